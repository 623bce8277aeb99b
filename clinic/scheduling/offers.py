"""What an intake may be offered: its target window, the free times grouped by local day, and
the key a chosen time travels as. The patient pages, the staff scheduling page and the API all
call `offers_for_intake`, so they offer the same window and the same times.

The window (protocol section 6) ends at the intake's submission plus the staff target of its
current decision's urgency: the clock the staff queue's "overdue" filter measures from
(triage/admin/filters.py). A clinician's override changes the urgency, not the clock.

Which intakes a patient may book online at all is `rules.online_service_for`; this module offers
times for whatever service the caller has already settled on.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.utils import timezone

from clinic.scheduling.availability import Slot, available_slots
from triage import engine

# --- The slot key ---------------------------------------------------------------------------------
SLOT_KEY_FORMAT = "%Y%m%dT%H%M%SZ"
_SLOT_KEY = re.compile(r"(\d{1,19})\.(\d{1,19})\.(\d{8}T\d{6}Z)", re.ASCII)


class SlotKey(NamedTuple):
    """A chosen time as a form or a link carries it: '<practitioner>.<location>.<UTC start>'.

    Opaque to the patient and never trusted: booking re-checks that the time is still free."""

    practitioner_id: int
    location_id: int
    start: datetime  # aware, UTC

    def __str__(self) -> str:
        return slot_key(self)


def slot_key(slot) -> str:
    """The key of anything with `practitioner_id`, `location_id` and an aware `start` (a Slot,
    an Appointment, a SlotKey), e.g. '7.2.20261123T160000Z'."""
    start = slot.start.astimezone(UTC)
    return f"{slot.practitioner_id}.{slot.location_id}.{start:{SLOT_KEY_FORMAT}}"


def parse_slot_key(value) -> SlotKey | None:
    """The SlotKey written by `slot_key`, or None for anything malformed (never raises)."""
    match = _SLOT_KEY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    practitioner_id, location_id, start = match.groups()
    try:
        start = datetime.strptime(start, SLOT_KEY_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # month 13, 25 o'clock, ...
        return None
    return SlotKey(int(practitioner_id), int(location_id), start)


# --- The target window (protocol section 6) -------------------------------------------------------
def target_window_end(*, submitted_at: datetime, urgency: str) -> datetime:
    """When the patient should have been seen by: the submission time plus the section 6 staff
    target for the urgency (urgent 14 days, soon 28, routine 42)."""
    return submitted_at + engine.STAFF_TARGET[urgency]


def window_end_for(intake) -> datetime | None:
    """The target window of an intake (counted from its submission, for its current decision's
    urgency), or None without an intake or a decision."""
    decision = intake.current_decision if intake is not None else None
    if decision is None:
        return None
    return target_window_end(submitted_at=intake.created_at, urgency=decision.urgency)


# --- What is offered ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OfferedSlot:
    slot: Slot
    key: str
    within_window: bool  # starts by the window's end (always True without a window)


@dataclass(frozen=True)
class Offers:
    window_end: datetime | None
    fits_window: bool  # some free time from now on starts inside the window
    days: dict[date, list[OfferedSlot]]  # local day at the location -> its slots, in order
    zone_name: str  # the location's zone abbreviation now, e.g. "CST"

    @property
    def slots(self) -> list[OfferedSlot]:
        return [offer for offers in self.days.values() for offer in offers]


def offered_slot(slot: Slot, *, window_end: datetime | None) -> OfferedSlot:
    return OfferedSlot(slot, slot_key(slot), window_end is None or slot.start <= window_end)


def offers_for_intake(
    *,
    intake,
    service,
    location,
    first_day: date,
    days: int,
    now: datetime | None = None,
) -> Offers:
    """The free times for `service` at `location` on the `days` local dates from `first_day`,
    grouped by local day, each with its key and whether it lies inside the intake's window.

    `intake` may be None (an appointment booked without one): no window, every time fits.
    `fits_window` looks past the dates shown: it is True when any free time from `now` to the
    window's end exists, so the page can say when nothing fits (and offer the waitlist).
    Free times come from `available_slots` alone; three to six queries.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    now = now or timezone.now()
    window_end = window_end_for(intake)
    # The last date shown, kept inside the calendar for a first day near the year 9999.
    span = timedelta(days=days - 1)
    last_day = first_day + span if first_day <= date.max - span else date.max
    slots = available_slots(
        service=service, locations=[location], date_from=first_day, date_to=last_day, now=now
    )
    by_day: dict[date, list[OfferedSlot]] = {}
    for slot in slots:
        by_day.setdefault(slot.local_start.date(), []).append(
            offered_slot(slot, window_end=window_end)
        )
    return Offers(
        window_end=window_end,
        fits_window=_fits_window(
            shown=by_day, service=service, location=location, window_end=window_end, now=now
        ),
        days=by_day,
        zone_name=now.astimezone(location.zone).tzname(),
    )


def _fits_window(*, shown, service, location, window_end, now) -> bool:
    if window_end is None:
        return True
    if any(offer.within_window for offers in shown.values() for offer in offers):
        return True  # a time shown is inside the window: no need to look further
    zone = location.zone
    return bool(
        available_slots(
            service=service,
            locations=[location],
            date_from=now.astimezone(zone).date(),
            date_to=window_end.astimezone(zone).date(),
            now=now,
            window_end=window_end,
        )
    )
