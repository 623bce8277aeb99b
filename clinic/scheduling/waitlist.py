"""The waitlist: patients for whom nothing fitted their target window hear about freed times.

Every freed time (a cancellation, a move, a no-show, new hours) is offered to the waiting
entries for that location and discipline, oldest first, one time per entry: each offer is held
for its patient for WAITLIST_HOLD_MINUTES (availability treats a live hold as taken for
everyone else). A hold that runs out passes the time to the next entry (`holds_pass_on`, every
minute from beat); an entry is never offered the same time twice. Accepting an offer
(`clinic.scheduling.waitlist_offers`) books it through `appointment_book`. An entry stops at
its own `wait_until`.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext, pgettext

from clinic import links, notifications
from clinic.errors import NotAllowed
from clinic.models import (
    Appointment,
    AppointmentStatus,
    Location,
    NotificationKind,
    Practitioner,
    WaitlistEntry,
    WaitlistOffer,
)
from clinic.scheduling.availability import available_slots
from clinic.scheduling.rules import check_booking_allowed

log = logging.getLogger(__name__)

# Entries considered per freed time: more than a clinic's waitlist for one service, and a bound
# on the work one cancellation can cause.
MAX_ENTRIES_PER_FREED_TIME = 50


@transaction.atomic
def waitlist_join(*, patient, intake, service, locations, wait_until=None) -> WaitlistEntry:
    """Put the patient on the waitlist for `service` at `locations` (at least one), until
    `wait_until` (default: the booking horizon, BOOKING_MAX_ADVANCE from now).

    Joining again while an entry is open updates its locations and end instead of adding a
    second one. Raises NotAllowed when the patient could not book the service online (the same
    rules as booking) or already has an appointment for it.
    """
    locations = list(locations)
    if not locations:
        raise NotAllowed(gettext("Choose at least one clinic to wait for."))
    check_booking_allowed(patient=patient, intake=intake, service=service, online=True)
    if Appointment.objects.filter(
        intake=intake, service=service, status=AppointmentStatus.BOOKED
    ).exists():
        raise NotAllowed(
            gettext("You already have an appointment for %(service)s.")
            % {"service": service.patient_name}
        )
    wait_until = wait_until or timezone.now() + settings.BOOKING_MAX_ADVANCE
    entry, _ = WaitlistEntry.objects.update_or_create(
        intake=intake,
        service=service,
        fulfilled_at__isnull=True,
        defaults={"wait_until": wait_until},
        create_defaults={"patient": patient, "wait_until": wait_until},
    )
    entry.locations.set(locations)
    return entry


# --- Freed times -------------------------------------------------------------------------------
def time_freed(*, practitioner, location, start: datetime, end: datetime) -> None:
    """[start, end) of `practitioner` at `location` is free again: once the caller's
    transaction commits, offer it to the waiting entries (a failure there is logged, never
    undoes the change that freed it; beat's pass-on and the next freed time carry on)."""
    practitioner_id, location_id = practitioner.pk, location.pk

    def offer():
        offer_freed_time(
            practitioner_id=practitioner_id, location_id=location_id, start=start, end=end
        )

    transaction.on_commit(offer, robust=True)


def hours_added(*, override) -> None:
    """New hours on one date (a date override) are freed times like any other."""
    zone = override.location.zone
    start = datetime.combine(override.date, override.start_time, zone)
    end = datetime.combine(override.date, override.end_time, zone)
    time_freed(practitioner=override.practitioner, location=override.location, start=start, end=end)


# New weekly hours are offered this far ahead: the weeks a waiting patient most wants.
NEW_WEEKLY_HOURS_AHEAD = timedelta(days=14)


def weekly_hours_added(*, hours) -> None:
    """New or changed weekly hours: their free times in the coming two weeks are freed times."""
    now = timezone.now()
    time_freed(
        practitioner=hours.practitioner,
        location=hours.location,
        start=now,
        end=now + NEW_WEEKLY_HOURS_AHEAD,
    )


def offer_freed_time(*, practitioner_id, location_id, start, end, now=None) -> list[WaitlistOffer]:
    """Hold free slots starting in [start, end) for the waiting entries, oldest first, one each.

    Returns the offers made (each with its message planned in the outbox).
    """
    now = now or timezone.now()
    if end <= now + settings.BOOKING_MIN_NOTICE:
        return []  # nothing in it can be booked any more (a no-show, a time about to start)
    practitioner = Practitioner.objects.filter(pk=practitioner_id, is_active=True).first()
    location = Location.objects.filter(pk=location_id).first()
    if practitioner is None or location is None:
        return []
    offers = []
    for entry in _waiting(location=location, discipline=practitioner.discipline, now=now):
        offer = _hold_for(
            entry, practitioner=practitioner, location=location, start=start, end=end, now=now
        )
        if offer is not None:
            offers.append(offer)
    return offers


def _waiting(*, location, discipline, now) -> list[WaitlistEntry]:
    live_hold = WaitlistOffer.objects.filter(
        entry=OuterRef("pk"), state=WaitlistOffer.State.HELD, expires_at__gt=now
    )
    return list(
        WaitlistEntry.objects.filter(
            Q(wait_until__isnull=True) | Q(wait_until__gt=now),
            fulfilled_at__isnull=True,
            locations=location,
            service__discipline=discipline,
            service__bookable_online=True,
        )
        .exclude(Exists(live_hold))  # one held time per patient at once
        .select_related("service", "patient__user", "intake")
        .order_by("created_at", "id")[:MAX_ENTRIES_PER_FREED_TIME]
    )


def _hold_for(entry, *, practitioner, location, start, end, now) -> WaitlistOffer | None:
    zone = location.zone
    with transaction.atomic():
        # Serialized with bookings for this practitioner (booking takes the same lock), so a
        # hold is never laid over a time booked a moment ago.
        Practitioner.objects.select_for_update().get(pk=practitioner.pk)
        offered_before = set(
            entry.offers.filter(practitioner=practitioner).values_list("start", flat=True)
        )
        slot = next(
            (
                slot
                for slot in available_slots(
                    service=entry.service,
                    locations=[location],
                    date_from=start.astimezone(zone).date(),
                    date_to=(end - timedelta(seconds=1)).astimezone(zone).date(),
                    practitioner=practitioner,
                    now=now,
                )
                if start <= slot.start < end and slot.start not in offered_before
            ),
            None,
        )
        if slot is None:
            return None
        # Held for the set time, but never past the patient's own end of waiting nor past the
        # last moment the time can still be booked online.
        expires_at = min(
            now + timedelta(minutes=settings.WAITLIST_HOLD_MINUTES),
            slot.start - settings.BOOKING_MIN_NOTICE,
            entry.wait_until or slot.start,
        )
        if expires_at <= now:
            return None
        try:
            with transaction.atomic():
                offer = WaitlistOffer.objects.create(
                    entry=entry,
                    practitioner=practitioner,
                    location=location,
                    start=slot.start,
                    end=slot.end,
                    blocked_until=slot.end + timedelta(minutes=entry.service.buffer_after_minutes),
                    offered_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            return None  # held for someone else a moment ago (PostgreSQL's exclusion constraint)
        _plan_message(offer, entry=entry, practitioner=practitioner, location=location)
    return offer


def _plan_message(offer, *, entry, practitioner, location):
    channel, recipient = notifications.patient_channel(entry.patient)
    local_start = offer.start.astimezone(location.zone)
    local_expiry = offer.expires_at.astimezone(location.zone)
    # The time and the service's name are written into the message now: in the waiting
    # patient's language, not that of whoever freed it (a cancel made on a Spanish page, say).
    with translation.override(entry.patient.preferred_language):
        slot_label = gettext("%(when)s at %(place)s with %(name)s") % {
            "when": dateformat.format(local_start, pgettext("date format", "l, F j, g:i A T")),
            "place": location.name,
            "name": practitioner.display_name,
        }
        hold_until = dateformat.format(local_expiry, pgettext("date format", "g:i A T"))
        service_name = entry.service.patient_name
    return notifications.plan(
        key=f"waitlist-offer:{offer.public_id}",
        kind=NotificationKind.WAITLIST_HOLD,
        channel=channel,
        recipient=recipient,
        template="notifications/waitlist_hold",
        due_at=offer.offered_at,
        intake=entry.intake,
        context={
            "offer_id": str(offer.public_id),
            "service_name": service_name,
            "slot_label": slot_label,
            "hold_until": hold_until,
            "accept_url": links.waitlist_offer_url(offer),
        },
    )


# --- Holds running out (beat) --------------------------------------------------------------------
def holds_pass_on(*, now=None, limit: int = 500) -> int:
    """Close the holds that ran out (or whose patient booked another time or stopped waiting)
    and offer each time to the next entry. Returns how many holds were closed."""
    now = now or timezone.now()
    ended = (
        WaitlistOffer.objects.filter(state=WaitlistOffer.State.HELD)
        .filter(Q(expires_at__lte=now) | Q(entry__fulfilled_at__isnull=False))
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for offer_id in list(ended):
        with transaction.atomic():
            offer = (
                WaitlistOffer.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("entry")
                .filter(pk=offer_id, state=WaitlistOffer.State.HELD)
                .first()
            )
            if offer is None:
                continue  # accepted or closed meanwhile
            offer.state = (
                WaitlistOffer.State.EXPIRED
                if offer.expires_at <= now
                else WaitlistOffer.State.RELEASED
            )
            offer.closed_at = now
            offer.save(update_fields=["state", "closed_at"])
        closed += 1
        try:
            offer_freed_time(
                practitioner_id=offer.practitioner_id,
                location_id=offer.location_id,
                start=offer.start,
                end=offer.blocked_until,
                now=now,
            )
        except Exception:
            log.exception("Passing on waitlist offer %s failed", offer.pk)
    return closed
