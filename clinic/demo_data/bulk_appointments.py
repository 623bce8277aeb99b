"""Bulk appointments: each practitioner's calendar filled slot by slot, never overlapping.

Each practitioner gets a share of the appointments in proportion to the slots their week holds,
so everyone's history reaches back about as far. About a tenth are still to come (booked, some
cancelled) in the next six weeks; the rest walk back from today through the past (completed,
some no-shows and cancellations), for about a year at benchmark sizes. Slots follow the same grid
the booking pages offer, and skip existing appointments and time off, so a second run fits around
the first and the PostgreSQL exclusion constraint is never violated.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.db import reset_queries, transaction

from clinic.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Discipline,
    Service,
    TimeOff,
    WorkingHours,
)
from clinic.scheduling.availability import BusyIntervals
from patients.models import Patient

FUTURE_DAYS = 42  # appointments are booked up to six weeks ahead
FUTURE_SHARE = 0.1  # of each practitioner's appointments, at most this share is still to come
OLDEST_APPOINTMENT = timedelta(days=5 * 366)  # give up on a practitioner's quota beyond this
PAST_FILL, FUTURE_FILL = 0.9, 0.5  # share of slots taken: busy history, room to book ahead
CHECK_IN_BLOCKS = 0.2  # share of physiotherapy half-days given to self-care check-in calls


def add_appointments(count, rng, now, batch_size, say) -> tuple[int, tuple]:
    """Add `count` appointments, spread over the practitioners' working hours in proportion to
    them; returns how many fitted and the first and last dates."""
    services = {s.slug: s for s in Service.objects.all()}
    main_service = {
        Discipline.PHYSIOTHERAPY: services["physio-assessment"],
        Discipline.IMAGING: services["mri-lumbar"],
        Discipline.SPINE_SURGERY: services["spine-surgery-consult"],
    }
    check_in = services["self-care-check-in"]
    weeks = defaultdict(lambda: defaultdict(list))  # practitioner id -> weekday -> blocks
    practitioner_of = {}
    hours = WorkingHours.objects.filter(practitioner__is_active=True)
    for block in hours.select_related("practitioner", "location").order_by("pk"):
        if block.practitioner.discipline in main_service:
            weeks[block.practitioner_id][block.weekday].append(block)
            practitioner_of[block.practitioner_id] = block.practitioner
    patient_ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    if not weeks or not patient_ids:
        return 0, (None, None)
    staff = sorted(weeks)
    capacity = [
        _weekly_slots(weeks[pk], main_service[practitioner_of[pk].discipline], check_in)
        for pk in staff
    ]
    busy = _busy_intervals(staff)

    made, pending, first, last = 0, [], None, None
    for pk, quota in zip(staff, _shares(count, capacity), strict=True):
        practitioner = practitioner_of[pk]
        service = main_service[practitioner.discipline]
        slots = _walk(weeks[pk], BusyIntervals(busy[pk]), quota, service, check_in, rng, now)
        for start, location_id, chosen in slots:
            pending.append(
                _appointment(practitioner, location_id, chosen, start, rng, now, patient_ids)
            )
            first, last = min(first or start, start), max(last or start, start)
            if len(pending) == batch_size:
                made += _insert_appointments(pending, now)
                pending = []
                say(f"  appointments {made:,}/{count:,}")
    made += _insert_appointments(pending, now)
    return made, (first.date() if first else None, last.date() if last else None)


def _weekly_slots(week, service, check_in) -> float:
    """Slots a practitioner's week holds, counting the share of check-in half-days."""

    def fits(block, offered) -> int:
        minutes = (block.end_time.hour * 60 + block.end_time.minute) - (
            block.start_time.hour * 60 + block.start_time.minute
        )
        return minutes // (offered.duration_minutes + offered.buffer_after_minutes)

    total = 0.0
    for block in (block for blocks in week.values() for block in blocks):
        total += fits(block, service)
        if service.discipline == Discipline.PHYSIOTHERAPY:
            total += CHECK_IN_BLOCKS * (fits(block, check_in) - fits(block, service))
    return total


def _shares(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders), so that every practitioner's
    appointments reach back about as far, whatever their hours."""
    weight = sum(weights)
    if not weight:
        return [0] * len(weights)
    exact = [total * w / weight for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: shares[i] - exact[i])
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _busy_intervals(practitioner_ids) -> dict[int, list]:
    busy = defaultdict(list)
    for model, end in ((Appointment, "blocked_until"), (TimeOff, "end")):
        rows = model.objects.filter(practitioner_id__in=practitioner_ids)
        for practitioner_id, start, stop in rows.values_list("practitioner_id", "start", end):
            busy[practitioner_id].append((start, stop))
    return busy


def _walk(week, calendar, quota, service, check_in, rng, now):
    """Slots for one practitioner's quota: about a tenth in the next six weeks, the rest walking
    back from today into the past for as long as it takes (about a year at benchmark sizes)."""
    today = now.astimezone(next(iter(week.values()))[0].location.zone).date()
    ahead = round(quota * FUTURE_SHARE)
    found = 0
    coming = (today + timedelta(days=n) for n in range(FUTURE_DAYS + 1))
    for start, _, location_id, chosen in _free_slots(
        week, coming, calendar, service, check_in, rng
    ):
        if found >= ahead:
            break
        if start > now and rng.random() < FUTURE_FILL:
            found += 1
            yield start, location_id, chosen
    past = (today - timedelta(days=n) for n in range(OLDEST_APPOINTMENT.days))
    for start, end, location_id, chosen in _free_slots(
        week, past, calendar, service, check_in, rng
    ):
        if found >= quota:
            break
        if end <= now and rng.random() < PAST_FILL:
            found += 1
            yield start, location_id, chosen


def _free_slots(week, days, calendar, service, check_in, rng):
    """(start, blocked until, location id, service) of free slots on the given local dates.

    Slots start at each block's opening and step by duration plus buffer, as the booking pages
    offer them; none overlaps the practitioner's existing bookings or time off, nor another
    block's slots the same day (should two blocks overlap).
    """
    for day in days:
        offered = []
        for block in sorted(week.get(day.weekday(), ()), key=lambda b: b.start_time):
            chosen = service
            if service.discipline == Discipline.PHYSIOTHERAPY and rng.random() < CHECK_IN_BLOCKS:
                chosen = check_in  # a half-day of check-in calls
            step = timedelta(minutes=chosen.duration_minutes + chosen.buffer_after_minutes)
            zone = block.location.zone
            start = datetime.combine(day, block.start_time, zone).astimezone(UTC)
            closing = datetime.combine(day, block.end_time, zone).astimezone(UTC)
            while start + step <= closing:
                end = start + step
                if not calendar.overlaps(start, end) and not any(
                    s < end and start < e for s, e in offered
                ):
                    yield start, end, block.location_id, chosen
                offered.append((start, end))
                start = end


def _appointment(practitioner, location_id, service, start, rng, now, patient_ids) -> Appointment:
    end = start + timedelta(minutes=service.duration_minutes)
    if start > now:
        status = AppointmentStatus.CANCELLED if rng.random() < 0.05 else AppointmentStatus.BOOKED
        booked_at = now - timedelta(days=rng.uniform(0, 30))
    else:
        status = rng.choices(
            (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED),
            weights=(85, 7, 8),
        )[0]
        booked_at = start - timedelta(days=rng.uniform(1, 40))
    return Appointment(
        patient_id=rng.choice(patient_ids),
        practitioner=practitioner,
        location_id=location_id,
        service=service,
        start=start,
        end=end,
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        status=status,
        created_at=booked_at,
    )


def _insert_appointments(appointments: list[Appointment], now: datetime) -> int:
    if not appointments:
        return 0
    with transaction.atomic():
        Appointment.objects.bulk_create(appointments, batch_size=len(appointments))
        events = []
        for appointment in appointments:
            booked_at = appointment.created_at
            events.append(_event(appointment, AppointmentEvent.Kind.BOOKED, booked_at))
            if appointment.status == AppointmentStatus.CANCELLED:
                # Cancelled halfway between the booking and the appointment (or today).
                at = booked_at + (min(appointment.start, now) - booked_at) / 2
                events.append(_event(appointment, AppointmentEvent.Kind.CANCELLED, at))
            elif appointment.status != AppointmentStatus.BOOKED:
                events.append(_event(appointment, appointment.status, appointment.end))
        AppointmentEvent.objects.bulk_create(events, batch_size=len(events))
    reset_queries()  # with DEBUG on, every batch's SQL would be kept in memory
    return len(appointments)


def _event(appointment: Appointment, kind: str, at: datetime) -> AppointmentEvent:
    return AppointmentEvent(appointment=appointment, kind=kind, created_at=at)
