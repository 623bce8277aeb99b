"""Booking, rescheduling, cancelling and closing appointments.

Double booking is prevented three times over: the practitioner's row is locked
(`select_for_update`, so bookings for one practitioner queue up on PostgreSQL; SQLite's
IMMEDIATE transactions serialize every writer), availability is re-checked under the lock, and on
PostgreSQL the exclusion constraint `appointment_no_overlap` (migration clinic 0003) has the last
word; its IntegrityError rolls the booking back and becomes `SlotTaken` (when rescheduling,
raised inside a savepoint).

`SlotTaken.alternatives` holds the three free slots nearest the requested time at the same
location; they are looked up after the failed transaction has rolled back and its locks are
released, which is why `appointment_book` and `appointment_reschedule` wrap an atomic inner
function instead of being atomic themselves.
"""

import copy
from datetime import UTC, datetime, timedelta
from functools import cache

from auditlog.context import disable_auditlog
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinic import audit, notifications
from clinic.errors import NotAllowed
from clinic.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    InvalidTransition,
    NotificationKind,
    NotificationStatus,
    Practitioner,
    WaitlistEntry,
)
from clinic.scheduling import waitlist
from clinic.scheduling.availability import Slot, available_slots, nearest_alternatives
from clinic.scheduling.change_requests import change_requests_resolve
from clinic.scheduling.rules import (
    availability_clock,
    before_change_cutoff,
    check_booking_allowed,
    online_change_refusal,
    staff_scheduled,
)
from triage.models import Intake, Referral


class SlotTaken(Exception):
    """The time is no longer free. `alternatives` lists up to three nearby free slots."""

    def __init__(self, message: str = "", alternatives: list[Slot] | None = None):
        super().__init__(
            message or gettext("Sorry, that time has just been taken. Please pick another.")
        )
        self.alternatives = list(alternatives or [])


def _has_active_booking(intake: Intake | None, service) -> bool:
    return (
        intake is not None
        and Appointment.objects.filter(
            intake=intake, service=service, status=AppointmentStatus.BOOKED
        ).exists()
    )


def _already_booked(service) -> NotAllowed:
    return NotAllowed(
        gettext(
            "You already have an appointment for %(service)s. You can reschedule it from your "
            "appointments page."
        )
        % {"service": service.patient_name}
    )


def _check_offered(
    *, service, location, practitioner, start, now, exclude=None, intake=None
) -> None:
    """The start must be a slot `available_slots` offers now; else NotAllowed when `intake`
    already has a booking of `service`, SlotTaken, or NotAllowed."""
    local_day = start.astimezone(location.zone).date()
    offered = available_slots(
        service=service,
        locations=[location],
        date_from=local_day,
        date_to=local_day,
        practitioner=practitioner,
        now=now,
        exclude_appointment=exclude,
    )
    if any(slot.start == start for slot in offered):
        return
    found = _booked_in_the_way(
        service=service, practitioner=practitioner, start=start, exclude=exclude, intake=intake
    )
    if intake is not None and (intake.pk, service.pk) in found:
        raise _already_booked(service)
    if found:
        raise SlotTaken()
    raise NotAllowed(
        gettext("That time is not offered for booking. Please pick one of the times shown.")
    )


# Why a time is not offered, in one look at the booked visits: the intake's own booking of the
# service, or someone else's visit over the time. Every refusal of a taken time asks it; written
# in SQL, as the availability queries are: the ORM's form of the two alternatives took longer to
# build in Python than the database takes to answer it.
_IN_THE_WAY_SQL = """
SELECT intake_id, service_id FROM {appointments}
WHERE status = %s AND (
    (intake_id = %s AND service_id = %s)
    OR (practitioner_id = %s AND start < %s AND blocked_until > %s{not_excluded})
)
"""


def _booked_in_the_way(*, service, practitioner, start, exclude, intake) -> set[tuple]:
    """(intake id, service id) of the booked appointments that stand in the way of booking
    `start`: the intake's own booking of `service`, and any visit of `practitioner` over the
    time (other than `exclude`, the appointment being moved)."""
    adapt = connection.ops.adapt_datetimefield_value
    not_excluded, excluded = ("", []) if exclude is None else (" AND id <> %s", [exclude.pk])
    sql = _IN_THE_WAY_SQL.format(appointments=Appointment._meta.db_table, not_excluded=not_excluded)
    params = [
        AppointmentStatus.BOOKED.value,
        intake.pk if intake is not None else None,  # = NULL matches no row
        service.pk,
        practitioner.pk,
        adapt(start + _blocked_for(service)),
        adapt(start),
        *excluded,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return set(cursor.fetchall())


def _utc(start: datetime) -> datetime:
    if timezone.is_naive(start):
        raise NotAllowed(gettext("The appointment time must include its time zone."))
    return start.astimezone(UTC)


def _blocked_for(service) -> timedelta:
    return timedelta(minutes=service.duration_minutes + service.buffer_after_minutes)


def _freed(appointment) -> dict:
    """What an appointment that no longer happens hands back to the waitlist."""
    return {
        "practitioner": appointment.practitioner,
        "location": appointment.location,
        "start": appointment.start,
        "end": appointment.blocked_until,
    }


# --- Booking -------------------------------------------------------------------------------------
def appointment_book(
    *,
    patient,
    service,
    location,
    practitioner,
    start: datetime,
    intake: Intake | None = None,
    booked_by,
    online: bool = True,
) -> Appointment:
    """Book `start` with `practitioner` at `location` for `patient`, in one transaction.

    Guarantees: the start is a slot `available_slots` offers (re-checked under the
    practitioner's lock), the appointment blocks the practitioner until its end plus the
    service's buffer, one active booking per intake and service, and the booking rules of
    `check_booking_allowed`; staff (`online=False`) may book inside the patients' minimum
    notice (`availability_clock`), never over another booking. Writes the appointment, a
    `booked` event, the confirmation and the reminders (outbox), marks the intake scheduled
    and the patient's waitlist entry fulfilled.

    `intake` is decided on as the caller read it in this request. `practitioner` may be a bare
    reference (`Practitioner(pk=...)`): it is read again under its lock.

    Raises NotAllowed (rules, duplicate booking, a time that is not offered; UnknownPractitioner
    when no active practitioner has that id) or SlotTaken (the time was taken; `.alternatives`
    holds up to three nearby free slots).
    """
    start = _utc(start)
    try:
        return _book(
            patient=patient,
            service=service,
            location=location,
            practitioner=practitioner,
            start=start,
            intake=intake,
            booked_by=booked_by,
            online=online,
        )
    except _Clash:
        # The transaction is rolled back: now see which constraint it was.
        if _has_active_booking(intake, service):
            raise _already_booked(service) from None
        taken = SlotTaken()
    except SlotTaken as error:
        taken = error
    taken.alternatives = nearest_alternatives(service=service, location=location, start=start)
    raise taken


class UnknownPractitioner(NotAllowed):
    """No active practitioner has the id asked for (pages offer only active ones; the API
    names the field)."""

    def __init__(self):
        super().__init__(
            gettext("That practitioner is not taking bookings. Please pick a time shown.")
        )


class _Clash(Exception):
    """The database refused the appointment (overlap, or a second booking for the intake)."""


@transaction.atomic
def _book(*, patient, service, location, practitioner, start, intake, booked_by, online):
    if not online and not getattr(booked_by, "is_staff", False):
        raise NotAllowed(gettext("Only staff can schedule appointments on a patient's behalf."))
    intake = _decided(patient=patient, intake=intake, service=service, online=online)
    now = timezone.now()
    practitioner = _lock_practitioner(practitioner, patient=patient, service=service)
    _check_offered(
        service=service,
        location=location,
        practitioner=practitioner,
        start=start,
        now=availability_clock(now, by_staff=not online),
        intake=intake,
    )
    end = start + timedelta(minutes=service.duration_minutes)
    appointment = Appointment(
        patient=patient,
        practitioner=practitioner,
        location=location,
        service=service,
        intake=intake,
        start=start,
        end=end,
        blocked_until=end + timedelta(minutes=service.buffer_after_minutes),
        booked_by=booked_by,
    )
    # No savepoint: a refusal by the exclusion constraint or the one-active-booking constraint
    # ends the whole transaction, and `appointment_book` answers after the rollback.
    try:
        with disable_auditlog():  # audited below, with the other rows, in one statement
            appointment.save(force_insert=True)
    except IntegrityError as error:
        raise _Clash() from error
    audit_log = [audit.entry(appointment)]
    AppointmentEvent.objects.create(
        appointment=appointment, kind=AppointmentEvent.Kind.BOOKED, actor=booked_by
    )
    notifications.plan_booking(appointment=appointment, now=now, audit_log=audit_log)
    if intake is not None:
        intake = _mark_scheduled(
            intake, patient=patient, service=service, online=online, now=now, audit_log=audit_log
        )
    audit.write(audit_log)
    if staff_scheduled(appointment):
        _move_referral(
            intake, Referral.State.READY_TO_SCHEDULE, Referral.State.SCHEDULED, booked_by
        )
    # The booking is the waitlist's confirmation: first to book gets the freed time.
    # Saved row by row (not .update()) so the audit log records these changes to patient data.
    if practitioner.patient_waits:
        waiting = WaitlistEntry.objects.filter(
            patient=patient, service=service, fulfilled_at__isnull=True
        )
        for entry in waiting:
            entry.fulfilled_at = now
            entry.save(update_fields=["fulfilled_at"])
    return appointment


# The practitioner's row, locked, and whether the patient waits for the service (most do not):
# one statement that every booking and every refusal of a taken time makes. Written out in SQL:
# the ORM's form of it (select_for_update with an Exists annotation) took longer to build in
# Python than the database takes to run it.
_LOCK_PRACTITIONER_SQL = """
SELECT p.*, EXISTS (
    SELECT 1 FROM {entries} w
    WHERE w.patient_id = %s AND w.service_id = %s AND w.fulfilled_at IS NULL
) AS patient_waits
FROM {practitioners} p
WHERE p.id = %s AND p.is_active{for_update}
"""


@cache
def _lock_practitioner_sql(vendor: str) -> str:
    # SQLite has no row locks: its IMMEDIATE transactions already serialize every writer.
    return _LOCK_PRACTITIONER_SQL.format(
        entries=WaitlistEntry._meta.db_table,
        practitioners=Practitioner._meta.db_table,
        for_update=" FOR UPDATE OF p" if connection.features.has_select_for_update_of else "",
    )


def _lock_practitioner(practitioner, *, patient, service) -> Practitioner:
    """Serialize bookings for this practitioner: the next booking waits here, then reads the row
    again. UnknownPractitioner when no active practitioner has the id."""
    sql = _lock_practitioner_sql(connection.vendor)
    found = list(Practitioner.objects.raw(sql, [patient.pk, service.pk, practitioner.pk]))
    if not found:
        raise UnknownPractitioner()
    return found[0]


def _decided(*, patient, intake, service, online) -> Intake | None:
    """The intake the booking goes ahead on: the caller's copy when the booking rules allow it,
    else the stored one if they allow that (something changed since the caller read it: staff
    attached the patient record, a clinician reviewed it). NotAllowed when neither; a change the
    other way is caught when the intake is marked scheduled."""
    try:
        check_booking_allowed(patient=patient, intake=intake, service=service, online=online)
        return intake
    except NotAllowed:
        if intake is None:
            raise
    return _decided_on_stored(patient=patient, intake=intake, service=service, online=online)


def _decided_on_stored(*, patient, intake, service, online) -> Intake:
    """The stored intake, locked, if the booking rules allow it (else NotAllowed)."""
    stored = (
        Intake.objects.select_for_update(of=("self",))
        .select_related("current_decision")
        .get(pk=intake.pk)
    )
    check_booking_allowed(patient=patient, intake=stored, service=service, online=online)
    return stored


def _mark_scheduled(intake, *, patient, service, online, now, audit_log) -> Intake:
    """Mark the intake scheduled in one UPDATE that holds only while the intake is as the booking
    read it (same patient and care plan, not closed). When it finds no row, the booking is
    decided again on the stored intake, under its lock (NotAllowed rolls it back)."""
    fields = {"status": Intake.Status.SCHEDULED}
    if intake.status != Intake.Status.SCHEDULED:
        intake.check_transition(Intake.Status.SCHEDULED)  # InvalidTransition: a closed intake
        fields["updated_at"] = now
    as_read = Intake.objects.filter(
        pk=intake.pk, patient_id=intake.patient_id, current_decision_id=intake.current_decision_id
    ).exclude(status=Intake.Status.CLOSED)
    if not as_read.update(**fields):
        stored = _decided_on_stored(patient=patient, intake=intake, service=service, online=online)
        return _mark_scheduled(
            stored, patient=patient, service=service, online=online, now=now, audit_log=audit_log
        )
    if "updated_at" in fields:
        before = copy.copy(intake)
        intake.status, intake.updated_at = fields["status"], now
        # The change to patient data is audited as a save would be (the entry a save writes).
        audit_log.append(audit.entry(intake, before=before, fields=list(fields)))
    return intake


# --- Cancelling ----------------------------------------------------------------------------------
def _check_actor(*, appointment, actor, by_patient: bool) -> None:
    if by_patient:
        if actor is None or appointment.patient.user_id != actor.pk:
            raise NotAllowed(gettext("This appointment belongs to another account."))
    elif not getattr(actor, "is_staff", False):
        raise NotAllowed(gettext("Only staff can change appointments on a patient's behalf."))


def _check_cutoff(*, appointment, now, by_patient: bool) -> None:
    refusal = online_change_refusal(appointment) if by_patient else None
    if refusal is not None:
        raise NotAllowed(refusal)
    if by_patient and not before_change_cutoff(appointment, now):
        hours = int(settings.BOOKING_CHANGE_CUTOFF.total_seconds() // 3600)
        raise NotAllowed(
            gettext(
                "Appointments can be changed online until %(hours)s hours before they start. "
                "Please call %(place)s on %(phone)s."
            )
            % {
                "hours": hours,
                "place": appointment.location.name,
                "phone": appointment.location.phone,
            }
        )


def _locked(appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "location", "service", "practitioner")
        .get(pk=appointment.pk)
    )


@transaction.atomic
def appointment_cancel(*, appointment, actor, reason: str = "", by_patient: bool) -> Appointment:
    """Cancel a booked appointment and offer the freed time to the waitlist.

    Patients may cancel until BOOKING_CHANGE_CUTOFF (24 h) before the start; staff at any time.
    Cancels pending reminders, plans a cancellation notice, writes a `cancelled` event.
    Raises InvalidTransition (not booked any more) or NotAllowed (cutoff, someone else's).
    """
    appointment = _locked(appointment)
    _check_actor(appointment=appointment, actor=actor, by_patient=by_patient)
    appointment.check_transition(AppointmentStatus.CANCELLED)
    now = timezone.now()
    _check_cutoff(appointment=appointment, now=now, by_patient=by_patient)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status", "updated_at"])
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=AppointmentEvent.Kind.CANCELLED,
        actor=actor,
        note=(reason or "").strip()[:300],
    )
    # A confirmation or notice not yet sent would contradict the cancellation.
    notifications.cancel_pending(
        appointment=appointment,
        kinds=(
            NotificationKind.REMINDER,
            NotificationKind.BOOKING_CONFIRMATION,
            NotificationKind.RESCHEDULE,
        ),
    )
    notifications.plan_for_appointment(
        appointment=appointment, kind=NotificationKind.CANCELLATION, due_at=now
    )
    waitlist.time_freed(**_freed(appointment))
    if not by_patient:
        change_requests_resolve(
            appointment=appointment, actor=actor, resolution="Cancelled by staff."
        )
    _back_to_the_queue(appointment, actor=actor, reason=f"Cancelled. {reason or ''}".strip())
    return appointment


def _move_referral(intake, from_state, to_state, actor, reason="") -> None:
    """The intake's open referral, if it is in `from_state`, moves to `to_state` (the model's
    transition table and event; booking sits below `triage.services`, so not its service)."""
    if intake is None:
        return
    referral = (
        Referral.objects.select_for_update()
        .filter(intake=intake, state__in=Referral.OPEN_STATES)
        .first()
    )
    if referral is not None and referral.state == from_state:
        referral.move(to_state, actor=actor, reason=reason)


def _back_to_the_queue(appointment, *, actor=None, reason="") -> None:
    """A staff-scheduled scan or consult that was cancelled or missed puts its intake back on
    the queue to schedule again: waiting once more, against its original target (section 6),
    which the queue counts from the intake's submission."""
    intake = appointment.intake
    if intake is None or not staff_scheduled(appointment):
        return
    still_booked = (
        intake.appointments.filter(status=AppointmentStatus.BOOKED).exclude(pk=appointment.pk)
    ).exists()
    if intake.status != Intake.Status.SCHEDULED or still_booked:
        return
    intake.check_transition(Intake.Status.CONTACTED)
    intake.status = Intake.Status.CONTACTED
    intake.save(update_fields=["status", "updated_at"])
    # Flagged for the queue (needs_attention), against its original target date.
    _move_referral(
        intake, Referral.State.SCHEDULED, Referral.State.READY_TO_SCHEDULE, actor, reason
    )


# --- Rescheduling --------------------------------------------------------------------------------
def appointment_reschedule(
    *, appointment, actor, start: datetime, practitioner=None, by_patient: bool
) -> Appointment:
    """Move a booked appointment to `start` (and optionally another practitioner).

    The same row moves, so its public_id and history stay; a `rescheduled` event records the
    previous start and practitioner. The new time is re-checked (ignoring the appointment's own
    current time); patients may reschedule until BOOKING_CHANGE_CUTOFF before the current start,
    staff at any time and inside the minimum notice, never over another booking.
    Pending reminders are replaced and a reschedule notice is planned. Raises InvalidTransition,
    NotAllowed, or SlotTaken with `.alternatives`.
    """
    start = _utc(start)
    try:
        return _reschedule(
            appointment=appointment,
            actor=actor,
            start=start,
            practitioner=practitioner,
            by_patient=by_patient,
        )
    except SlotTaken as taken:
        taken.alternatives = nearest_alternatives(
            service=appointment.service,
            location=appointment.location,
            start=start,
            exclude_appointment=appointment,
        )
        raise


@transaction.atomic
def _reschedule(*, appointment, actor, start, practitioner, by_patient):
    appointment = _locked(appointment)
    _check_actor(appointment=appointment, actor=actor, by_patient=by_patient)
    if not appointment.is_active:
        raise InvalidTransition(
            gettext("An appointment that is %(status)s cannot be rescheduled.")
            % {"status": appointment.get_status_display().lower()}
        )
    now = timezone.now()
    _check_cutoff(appointment=appointment, now=now, by_patient=by_patient)
    target = Practitioner.objects.select_for_update().get(
        pk=(practitioner or appointment.practitioner).pk
    )
    service = appointment.service
    _check_offered(
        service=service,
        location=appointment.location,
        practitioner=target,
        start=start,
        now=availability_clock(now, by_staff=not by_patient),
        exclude=appointment,
    )
    previous_start, previous_practitioner = appointment.start, appointment.practitioner
    appointment.practitioner = target
    appointment.start = start
    appointment.end = start + timedelta(minutes=service.duration_minutes)
    appointment.blocked_until = appointment.end + timedelta(minutes=service.buffer_after_minutes)
    try:
        with transaction.atomic():
            appointment.save(
                update_fields=["practitioner", "start", "end", "blocked_until", "updated_at"]
            )
    except IntegrityError as error:
        raise SlotTaken() from error
    waitlist.time_freed(
        practitioner=previous_practitioner,
        location=appointment.location,
        start=previous_start,
        end=previous_start + _blocked_for(service),
    )
    event = AppointmentEvent.objects.create(
        appointment=appointment,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        actor=actor,
        previous_start=previous_start,
        previous_practitioner=previous_practitioner,
    )
    if not by_patient:
        change_requests_resolve(
            appointment=appointment,
            actor=actor,
            resolution=f"Moved by staff from {previous_start:%Y-%m-%d %H:%M} UTC.",
        )
    notifications.cancel_pending(appointment=appointment)
    reminders = notifications.plan_reminders(appointment=appointment)
    # Moving back to an earlier time finds that time's reminders (same keys) cancelled: revive.
    for reminder in reminders:
        if reminder.status == NotificationStatus.CANCELLED:
            reminder.status = NotificationStatus.PENDING
            reminder.attempts = 0
            reminder.save(update_fields=["status", "attempts"])
    notifications.plan_for_appointment(
        appointment=appointment,
        kind=NotificationKind.RESCHEDULE,
        due_at=now,
        suffix=f"{start:%Y%m%dT%H%MZ}:{event.pk}",
    )
    return appointment


# --- Closing (staff) -----------------------------------------------------------------------------
CLOSING_STATUSES = {
    AppointmentStatus.COMPLETED: AppointmentEvent.Kind.COMPLETED,
    AppointmentStatus.NO_SHOW: AppointmentEvent.Kind.NO_SHOW,
}


@transaction.atomic
def appointment_set_status(*, appointment, actor, status: str) -> Appointment:
    """Staff record that a started appointment was completed or that the patient did not come.

    A no-show plans a follow-up inviting the patient to book again. Raises NotAllowed for
    non-staff, another status (cancel with `appointment_cancel`) or an appointment that has not
    started; InvalidTransition for an appointment that is not booked.
    """
    if not getattr(actor, "is_staff", False):
        raise NotAllowed(gettext("Only staff can record whether an appointment took place."))
    if status not in CLOSING_STATUSES:
        raise NotAllowed(gettext("An appointment can be marked completed or did not attend here."))
    appointment = _locked(appointment)
    appointment.check_transition(status)
    now = timezone.now()
    if now < appointment.start:
        raise NotAllowed(gettext("An appointment can be closed only once it has started."))
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    AppointmentEvent.objects.create(
        appointment=appointment, kind=CLOSING_STATUSES[status], actor=actor
    )
    notifications.cancel_pending(appointment=appointment)
    if status == AppointmentStatus.NO_SHOW:
        notifications.plan_for_appointment(
            appointment=appointment, kind=NotificationKind.NO_SHOW_FOLLOW_UP, due_at=now
        )
        _back_to_the_queue(appointment, actor=actor, reason="Did not attend.")
        waitlist.time_freed(**_freed(appointment))
    elif staff_scheduled(appointment):
        _move_referral(appointment.intake, Referral.State.SCHEDULED, Referral.State.ATTENDED, actor)
    return appointment
