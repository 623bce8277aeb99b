"""Which appointment times are free: one function for the pages, the admin and the API.

Slots are laid on each working-hours block in the location's local time: the first starts when
the block starts and the next one `duration + buffer` later, and a slot is offered only when the
appointment *and its buffer* end inside the block (so a practitioner never works past closing to
clear a buffer). Each local time becomes an aware datetime in the location's zone and is stored
and compared in UTC. Across daylight-saving changes:

- a local time that does not exist (the spring-forward gap) is skipped;
- an ambiguous local time (the repeated fall-back hour) is read with fold=0, the first
  occurrence, so the repeated hour is offered once and no UTC time is offered twice;
- a slot never starts before the previous slot of the same block (buffer included) has ended,
  even when a clock change shortens the real time between two grid points.

Free means: no booked appointment's [start, blocked_until) and no time off overlaps the slot's
[start, start + duration + buffer); it starts at least BOOKING_MIN_NOTICE after `now` and at most
BOOKING_MAX_ADVANCE after it. The work is three queries whatever the number of practitioners,
locations and days (working hours with their practitioner and location, then appointments and
time off for those practitioners in bulk); the rest is computed in Python.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from clinic.models import Appointment, AppointmentStatus, Location, TimeOff, WorkingHours
from triage import engine

# Zones are at most 14 hours from UTC: a local date lies within a day either side of the UTC date.
_ZONE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Slot:
    """One bookable time with one practitioner at one location. Times are aware, in UTC."""

    start: datetime
    end: datetime
    practitioner_id: int
    practitioner_name: str
    location_id: int
    location_slug: str
    location_name: str
    service_slug: str
    time_zone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def local_start(self) -> datetime:
        """The start in the location's zone, for display ("9:00 AM CST")."""
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.zone)


def available_slots(
    *,
    service,
    locations: Iterable[Location] | None = None,
    date_from: date,
    date_to: date,
    practitioner=None,
    now: datetime | None = None,
    window_end: datetime | None = None,
    exclude_appointment=None,
) -> list[Slot]:
    """Free slots for `service` on the local dates `date_from`..`date_to` (both included).

    Only active practitioners of the service's discipline with working hours at one of
    `locations` (every location when None) are offered; `practitioner` narrows to one.
    `window_end` drops slots starting after it (a triage target window); `exclude_appointment`
    ignores one appointment's own time (a reschedule may move within its current slot).
    Sorted by start, then location and practitioner name. At most three queries.
    """
    now = now or timezone.now()
    earliest = now + settings.BOOKING_MIN_NOTICE
    latest = now + settings.BOOKING_MAX_ADVANCE
    if window_end is not None:
        latest = min(latest, window_end)
    first_day = max(date_from, (earliest - _ZONE_MARGIN).date())
    last_day = min(date_to, (latest + _ZONE_MARGIN).date())
    if first_day > last_day or earliest > latest:
        return []

    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    hours = WorkingHours.objects.filter(
        practitioner__is_active=True,
        practitioner__discipline=service.discipline,
        weekday__in={day.weekday() for day in days},
    ).select_related("practitioner", "location")
    if locations is not None:
        hours = hours.filter(location__in=locations)
    if practitioner is not None:
        hours = hours.filter(practitioner=practitioner)
    hours = list(hours)
    if not hours:
        return []

    practitioner_ids = {block.practitioner_id for block in hours}
    range_start = datetime.combine(first_day, datetime.min.time(), UTC) - _ZONE_MARGIN
    range_end = datetime.combine(last_day, datetime.min.time(), UTC) + 2 * _ZONE_MARGIN
    appointments = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED,
        practitioner_id__in=practitioner_ids,
        start__lt=range_end,
        blocked_until__gt=range_start,
    )
    if exclude_appointment is not None:
        appointments = appointments.exclude(pk=exclude_appointment.pk)
    busy = defaultdict(list)
    for practitioner_id, start, until in appointments.values_list(
        "practitioner_id", "start", "blocked_until"
    ):
        busy[practitioner_id].append((start, until))
    for practitioner_id, start, end in TimeOff.objects.filter(
        practitioner_id__in=practitioner_ids, start__lt=range_end, end__gt=range_start
    ).values_list("practitioner_id", "start", "end"):
        busy[practitioner_id].append((start, end))
    calendars = {pid: _Busy(intervals) for pid, intervals in busy.items()}

    duration = timedelta(minutes=service.duration_minutes)
    blocked = duration + timedelta(minutes=service.buffer_after_minutes)
    by_weekday = defaultdict(list)
    for block in hours:
        by_weekday[block.weekday].append(block)

    slots = []
    for day in days:
        for block in by_weekday[day.weekday()]:
            calendar = calendars.get(block.practitioner_id)
            for start in _grid(day, block, blocked):
                if start < earliest or start > latest:
                    continue
                if calendar is not None and calendar.overlaps(start, start + blocked):
                    continue
                slots.append(_slot(block, service, start, start + duration))
    slots.sort(key=lambda s: (s.start, s.location_name, s.practitioner_name, s.practitioner_id))
    return slots


def _grid(day: date, block: WorkingHours, step: timedelta) -> Iterable[datetime]:
    """UTC starts of the slots of one block on one local date, DST-safe (see module docstring)."""
    zone = block.location.zone
    block_end = _latest_reading_no_later_than(datetime.combine(day, block.end_time), zone)
    local = datetime.combine(day, block.start_time)
    local_end = datetime.combine(day, block.end_time)
    free_from = None  # the previous slot's end plus buffer, in UTC
    while local + step <= local_end:
        start = _utc(local, zone)
        if start is not None and (free_from is None or start >= free_from):
            if start + step > block_end:
                break
            yield start
            free_from = start + step
        local += step


def _utc(local: datetime, zone: ZoneInfo) -> datetime | None:
    """A naive local time as UTC (fold=0 for an ambiguous time); None if it does not exist."""
    aware = local.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        return None  # in the spring-forward gap
    return utc


def _latest_reading_no_later_than(local: datetime, zone: ZoneInfo) -> datetime:
    # The end of a block is read conservatively: for an ambiguous time the earlier instant, for
    # a nonexistent one the instant before the gap, so a block never grows across a clock change.
    return min(
        local.replace(tzinfo=zone, fold=0).astimezone(UTC),
        local.replace(tzinfo=zone, fold=1).astimezone(UTC),
    )


def _slot(block: WorkingHours, service, start: datetime, end: datetime) -> Slot:
    return Slot(
        start=start,
        end=end,
        practitioner_id=block.practitioner_id,
        practitioner_name=block.practitioner.display_name,
        location_id=block.location_id,
        location_slug=block.location.slug,
        location_name=block.location.name,
        service_slug=service.slug,
        time_zone=block.location.time_zone,
    )


class _Busy:
    """A practitioner's busy intervals, answering "does [start, end) overlap any?" in log time."""

    def __init__(self, intervals: list[tuple[datetime, datetime]]):
        intervals.sort()
        self.starts = [start for start, _ in intervals]
        # Running maximum of the ends: an interval starting before `end` overlaps [start, end)
        # exactly when it ends after `start`, so the largest such end decides.
        self.max_end = []
        running = None
        for _, end in intervals:
            running = end if running is None or end > running else running
            self.max_end.append(running)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        index = bisect_left(self.starts, end)
        return index > 0 and self.max_end[index - 1] > start


# --- Triage target windows (protocol sections 6 and 7) ------------------------------------------
def target_window_end(*, decision) -> datetime:
    """When the patient should have been seen by: the decision's time plus the section 6 staff
    target for its urgency (urgent 14 days, soon 28, routine 42)."""
    return decision.created_at + engine.STAFF_TARGET[decision.urgency]


def slots_for_decision(
    *, decision, service, locations: Iterable[Location] | None = None, now: datetime | None = None
) -> tuple[list[Slot], bool]:
    """Slots to offer a patient for a triage decision, and whether they fit its target window.

    When some slot starts inside the window (protocol section 6), only those are returned with
    True, so the first slot offered lies inside the target. When none does, every slot up to
    the booking horizon is returned with False, so the page can say so and offer the waitlist.
    """
    now = now or timezone.now()
    window_end = target_window_end(decision=decision)
    slots = available_slots(
        service=service,
        locations=locations,
        date_from=(now - _ZONE_MARGIN).date(),
        date_to=(now + settings.BOOKING_MAX_ADVANCE + _ZONE_MARGIN).date(),
        now=now,
    )
    inside = [slot for slot in slots if slot.start <= window_end]
    if inside:
        return inside, True
    return slots, False


def nearest_alternatives(
    *,
    service,
    location,
    start: datetime,
    now: datetime | None = None,
    exclude_appointment=None,
    count: int = 3,
    search: timedelta = timedelta(days=14),
) -> list[Slot]:
    """The `count` free slots for `service` at `location` nearest in time to `start`."""
    slots = available_slots(
        service=service,
        locations=[location],
        date_from=(start - search).date(),
        date_to=(start + search).date(),
        now=now,
        exclude_appointment=exclude_appointment,
    )
    slots.sort(key=lambda slot: (abs(slot.start - start), slot.start, slot.practitioner_name))
    return slots[:count]
