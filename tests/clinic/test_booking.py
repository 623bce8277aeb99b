"""Booking, cancelling, rescheduling and closing appointments, with the protocol's booking rules."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from clinic.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Discipline,
    InvalidTransition,
    Notification,
    NotificationKind,
    NotificationStatus,
    Practitioner,
)
from clinic.scheduling import (
    NotAllowed,
    SlotTaken,
    UnknownPractitioner,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    appointment_set_status,
)
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    StaffFactory,
    WorkingHoursFactory,
    make_intake,
)
from triage import services as triage_services
from triage.models import Intake

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 2, 23, 8, 0, tzinfo=CHICAGO)  # Monday 08:00 CST
TUESDAY = dt.date(2026, 2, 24)
LATER_TUESDAY = dt.date(2026, 3, 3)
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}  # medium SBST risk: physio, routine


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


def works_tuesdays(location, *, discipline=Discipline.PHYSIOTHERAPY, name=None):
    extra = {"display_name": name} if name else {}
    practitioner = PractitionerFactory(locations=[location], discipline=discipline, **extra)
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    return practitioner


@pytest.fixture
def clinic():
    location = LocationFactory(name="Shakopee", phone="(952) 555-0100")
    return SimpleNamespace(
        location=location,
        practitioner=works_tuesdays(location, name="Robin Physio"),
        service=ServiceFactory(),  # physio assessment, 45 min + 15 buffer, bookable online
        staff=StaffFactory(locations=[location]),
    )


def new_patient(clinic, **answers):
    patient = PatientFactory()
    intake = make_intake(location=clinic.location, patient=patient, **(answers or PHYSIO_ANSWERS))
    return patient, intake


def book(clinic, patient, intake, start, **kwargs):
    options = {
        "service": clinic.service,
        "location": clinic.location,
        "practitioner": clinic.practitioner,
        "booked_by": patient.user,
        "online": True,
        **kwargs,
    }
    return appointment_book(patient=patient, intake=intake, start=start, **options)


# --- Booking -------------------------------------------------------------------------------------
def test_a_patient_books_an_offered_time_and_it_is_stored_in_utc(clinic):
    patient, intake = new_patient(clinic)

    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))

    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.start == dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC)
    assert appointment.end - appointment.start == dt.timedelta(minutes=45)
    assert appointment.blocked_until - appointment.end == dt.timedelta(minutes=15)
    assert appointment.intake == intake
    assert appointment.booked_by == patient.user
    assert [e.kind for e in appointment.events.all()] == [AppointmentEvent.Kind.BOOKED]
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SCHEDULED


def test_booking_plans_a_confirmation_now_and_reminders_48_and_2_hours_before(clinic):
    patient, intake = new_patient(clinic)

    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))

    planned = Notification.objects.filter(appointment=appointment, status="pending")
    confirmation = planned.get(kind=NotificationKind.BOOKING_CONFIRMATION)
    assert confirmation.due_at == NOW
    assert confirmation.recipient == patient.email
    reminders = sorted(r.due_at for r in planned.filter(kind=NotificationKind.REMINDER))
    assert reminders == [
        appointment.start - dt.timedelta(hours=48),
        appointment.start - dt.timedelta(hours=2),
    ]


def test_second_booking_for_the_same_slot_is_refused_with_the_three_nearest_free_times(clinic):
    first, first_intake = new_patient(clinic)
    second, second_intake = new_patient(clinic)
    book(clinic, first, first_intake, at(TUESDAY, 10))

    with pytest.raises(SlotTaken) as taken:
        book(clinic, second, second_intake, at(TUESDAY, 10))

    assert Appointment.objects.count() == 1
    assert [s.local_start for s in taken.value.alternatives] == [
        at(TUESDAY, 9),
        at(TUESDAY, 11),
        at(TUESDAY, 12),
    ]
    assert {s.location_id for s in taken.value.alternatives} == {clinic.location.pk}


def test_overlapping_times_are_refused_even_when_they_overlap_only_the_buffer(clinic):
    check_in = ServiceFactory(
        slug="check-in", name="Check-in", duration_minutes=15, buffer_after_minutes=0
    )
    patient, intake = new_patient(clinic)
    book(clinic, patient, intake, at(TUESDAY, 9))  # 09:00-09:45, buffer until 10:00

    def staff_book(start):
        return appointment_book(
            patient=PatientFactory(),
            service=check_in,
            location=clinic.location,
            practitioner=clinic.practitioner,
            start=start,
            booked_by=clinic.staff,
            online=False,
        )

    with pytest.raises(SlotTaken):
        staff_book(at(TUESDAY, 9, 30))  # overlaps the appointment
    with pytest.raises(SlotTaken):
        staff_book(at(TUESDAY, 9, 45))  # overlaps only the buffer
    back_to_back = staff_book(at(TUESDAY, 10))  # starts as the buffer ends
    assert back_to_back.start == at(TUESDAY, 10)


def test_a_time_that_is_not_offered_is_refused(clinic):
    patient, intake = new_patient(clinic)

    with pytest.raises(NotAllowed, match="not offered"):
        book(clinic, patient, intake, at(TUESDAY, 10, 17))  # off the grid
    with pytest.raises(NotAllowed, match="not offered"):
        book(clinic, patient, intake, at(TUESDAY, 18))  # after hours
    with pytest.raises(NotAllowed, match="not offered"):
        book(clinic, patient, intake, NOW + dt.timedelta(hours=1))  # less than 2 hours' notice
    assert not Appointment.objects.exists()


def test_a_practitioner_who_left_takes_no_booking_even_at_their_old_times(clinic):
    patient, intake = new_patient(clinic)
    clinic.practitioner.is_active = False
    clinic.practitioner.save()

    with pytest.raises(UnknownPractitioner, match="not taking bookings"):
        book(clinic, patient, intake, at(TUESDAY, 10))
    with pytest.raises(UnknownPractitioner):
        book(clinic, patient, intake, at(TUESDAY, 10), practitioner=Practitioner(pk=0))
    assert not Appointment.objects.exists()


def test_a_time_without_a_time_zone_is_refused(clinic):
    patient, intake = new_patient(clinic)

    with pytest.raises(NotAllowed, match="time zone"):
        book(clinic, patient, intake, dt.datetime(2026, 2, 24, 10, 0))


def test_a_service_not_bookable_online_is_refused_online(clinic):
    staff_only = ServiceFactory(
        slug="complex-assessment", name="Complex assessment", bookable_online=False
    )
    patient, intake = new_patient(clinic)

    with pytest.raises(NotAllowed, match="scheduled by our staff"):
        book(clinic, patient, intake, at(TUESDAY, 10), service=staff_only)


def test_an_emergency_intake_cannot_be_booked_online_or_by_staff(clinic):
    patient, intake = new_patient(clinic, saddle_numbness=True)
    assert intake.current_decision.urgency == "emergency"

    with pytest.raises(NotAllowed, match="emergency department"):
        book(clinic, patient, intake, at(TUESDAY, 10))
    with pytest.raises(NotAllowed, match="emergency"):
        book(clinic, patient, intake, at(TUESDAY, 10), booked_by=clinic.staff, online=False)
    assert not Appointment.objects.exists()


def test_staff_may_book_an_emergency_case_once_a_clinician_has_changed_its_urgency(clinic):
    patient, intake = new_patient(clinic, saddle_numbness=True)
    triage_services.decision_override(
        intake=intake,
        actor=clinic.staff,
        pathway="physio",
        urgency="urgent",
        reason="Saddle numbness was from cycling; no neurology on examination.",
    )
    intake.refresh_from_db()

    appointment = book(
        clinic, patient, intake, at(TUESDAY, 10), booked_by=clinic.staff, online=False
    )

    assert appointment.booked_by == clinic.staff


def test_a_care_plan_changed_after_the_page_was_read_is_the_one_the_booking_follows(clinic):
    patient, intake = new_patient(clinic)  # physiotherapy, as the booking page showed it
    triage_services.decision_override(
        intake=Intake.objects.get(pk=intake.pk),  # meanwhile, a clinician's review elsewhere
        actor=clinic.staff,
        pathway="imaging",
        urgency="urgent",
        reason="Night pain on examination: scan first.",
    )

    with pytest.raises(NotAllowed):
        book(clinic, patient, intake, at(TUESDAY, 10))
    assert not Appointment.objects.exists()
    assert Intake.objects.get(pk=intake.pk).status != Intake.Status.SCHEDULED


def test_an_imaging_case_is_booked_by_staff_not_online(clinic):
    scanner = works_tuesdays(clinic.location, discipline=Discipline.IMAGING)
    imaging = ServiceFactory(
        slug="imaging-review",
        name="Imaging review",
        pathway="imaging",
        discipline=Discipline.IMAGING,
        duration_minutes=30,
        buffer_after_minutes=0,
        bookable_online=False,
    )
    patient, intake = new_patient(clinic, load_increase=True, hop_pain=True)
    assert intake.current_decision.pathway == "imaging"

    with pytest.raises(NotAllowed):
        book(clinic, patient, intake, at(TUESDAY, 10), service=imaging, practitioner=scanner)
    with pytest.raises(NotAllowed, match="staff will schedule"):
        book(clinic, patient, intake, at(TUESDAY, 10))  # physio online does not fit the plan

    appointment = book(
        clinic,
        patient,
        intake,
        at(TUESDAY, 10),
        service=imaging,
        practitioner=scanner,
        booked_by=clinic.staff,
        online=False,
    )

    assert appointment.service == imaging
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SCHEDULED


def test_a_case_awaiting_clinician_review_is_not_booked_online(clinic):
    patient, intake = new_patient(clinic, leg_weakness="stable")
    assert intake.current_decision.clinician_review is True

    with pytest.raises(NotAllowed, match="clinician needs to look"):
        book(clinic, patient, intake, at(TUESDAY, 10))
    # Staff neither (rules R9-R11): the review comes first, whoever books.
    with pytest.raises(NotAllowed, match="A clinician must review this case"):
        book(clinic, patient, intake, at(TUESDAY, 10), booked_by=clinic.staff, online=False)

    triage_services.decision_review_agree(intake=intake, actor=clinic.staff)
    intake.refresh_from_db()
    assert book(clinic, patient, intake, at(TUESDAY, 10), booked_by=clinic.staff, online=False)


def test_a_self_care_plan_books_nothing_online(clinic):
    patient = PatientFactory()
    intake = make_intake(location=clinic.location, patient=patient)  # baseline: self-care
    assert intake.current_decision.pathway == "self_care"

    with pytest.raises(NotAllowed, match="self-care"):
        book(clinic, patient, intake, at(TUESDAY, 10))


def test_online_booking_needs_a_questionnaire(clinic):
    patient = PatientFactory()

    with pytest.raises(NotAllowed, match="back-pain questions"):
        book(clinic, patient, None, at(TUESDAY, 10))


def test_one_active_booking_per_intake_and_service(clinic):
    patient, intake = new_patient(clinic)
    first = book(clinic, patient, intake, at(TUESDAY, 10))

    with pytest.raises(NotAllowed, match="already have an appointment"):
        book(clinic, patient, intake, at(TUESDAY, 12))

    appointment_cancel(appointment=first, actor=patient.user, by_patient=True)
    again = book(clinic, patient, intake, at(TUESDAY, 12))
    assert again.status == AppointmentStatus.BOOKED


def test_another_patients_intake_is_refused(clinic):
    _, someone_elses_intake = new_patient(clinic)
    patient = PatientFactory()

    with pytest.raises(NotAllowed, match="another account"):
        book(clinic, patient, someone_elses_intake, at(TUESDAY, 10))


def test_only_staff_book_on_a_patients_behalf(clinic):
    patient, intake = new_patient(clinic)

    with pytest.raises(NotAllowed, match="Only staff"):
        book(clinic, patient, intake, at(TUESDAY, 10), online=False)


# --- Cancelling ----------------------------------------------------------------------------------
def test_cancelling_frees_the_time_cancels_reminders_and_sends_a_notice(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))

    appointment_cancel(
        appointment=appointment, actor=patient.user, reason="Feeling better", by_patient=True
    )

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    cancelled = appointment.events.get(kind=AppointmentEvent.Kind.CANCELLED)
    assert (cancelled.actor, cancelled.note) == (patient.user, "Feeling better")
    reminders = Notification.objects.filter(appointment=appointment, kind=NotificationKind.REMINDER)
    assert {r.status for r in reminders} == {NotificationStatus.CANCELLED}
    notice = Notification.objects.get(appointment=appointment, kind=NotificationKind.CANCELLATION)
    assert (notice.status, notice.due_at) == (NotificationStatus.PENDING, NOW)
    other, other_intake = new_patient(clinic)
    assert book(clinic, other, other_intake, at(LATER_TUESDAY, 10))


def test_a_patient_cannot_cancel_within_24_hours_but_staff_can(clinic, clock):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    clock.move_to(appointment.start - dt.timedelta(hours=23, minutes=59))

    with pytest.raises(NotAllowed, match="until 24 hours before"):
        appointment_cancel(appointment=appointment, actor=patient.user, by_patient=True)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED

    appointment_cancel(
        appointment=appointment, actor=clinic.staff, reason="Called in", by_patient=False
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_a_patient_can_cancel_exactly_24_hours_before(clinic, clock):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    clock.move_to(appointment.start - dt.timedelta(hours=24))

    appointment_cancel(appointment=appointment, actor=patient.user, by_patient=True)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_a_patient_cannot_cancel_someone_elses_appointment(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    stranger = PatientFactory()

    with pytest.raises(NotAllowed):
        appointment_cancel(appointment=appointment, actor=stranger.user, by_patient=True)
    with pytest.raises(NotAllowed, match="Only staff"):
        appointment_cancel(appointment=appointment, actor=stranger.user, by_patient=False)


def test_a_cancelled_appointment_cannot_be_cancelled_again(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    appointment_cancel(appointment=appointment, actor=patient.user, by_patient=True)

    with pytest.raises(InvalidTransition):
        appointment_cancel(appointment=appointment, actor=clinic.staff, by_patient=False)


# --- Rescheduling --------------------------------------------------------------------------------
def test_rescheduling_moves_the_same_appointment_and_keeps_its_history(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    public_id = appointment.public_id

    moved = appointment_reschedule(
        appointment=appointment, actor=patient.user, start=at(LATER_TUESDAY, 12), by_patient=True
    )

    assert moved.pk == appointment.pk
    assert moved.public_id == public_id
    assert moved.start == at(LATER_TUESDAY, 12)
    assert moved.blocked_until == at(LATER_TUESDAY, 13)
    assert Appointment.objects.count() == 1
    events = list(moved.events.all())
    assert [e.kind for e in events] == ["booked", "rescheduled"]
    assert events[1].previous_start == at(LATER_TUESDAY, 10)
    assert events[1].previous_practitioner == clinic.practitioner
    assert events[1].actor == patient.user


def test_rescheduling_replaces_the_reminders_and_sends_a_notice(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))

    appointment_reschedule(
        appointment=appointment, actor=patient.user, start=at(LATER_TUESDAY, 12), by_patient=True
    )

    reminders = Notification.objects.filter(appointment=appointment, kind=NotificationKind.REMINDER)
    pending = sorted(r.due_at for r in reminders.filter(status=NotificationStatus.PENDING))
    assert pending == [at(LATER_TUESDAY, 12) - dt.timedelta(hours=h) for h in (48, 2)]
    assert reminders.filter(status=NotificationStatus.CANCELLED).count() == 2
    assert Notification.objects.filter(
        appointment=appointment, kind=NotificationKind.RESCHEDULE, status=NotificationStatus.PENDING
    ).exists()


def test_moving_back_to_the_first_time_brings_its_reminders_back(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    for hour in (12, 10):
        appointment_reschedule(
            appointment=appointment,
            actor=patient.user,
            start=at(LATER_TUESDAY, hour),
            by_patient=True,
        )

    pending = Notification.objects.filter(
        appointment=appointment, kind=NotificationKind.REMINDER, status=NotificationStatus.PENDING
    )
    assert sorted(r.due_at for r in pending) == [
        at(LATER_TUESDAY, 10) - dt.timedelta(hours=h) for h in (48, 2)
    ]
    assert (
        Notification.objects.filter(
            appointment=appointment, kind=NotificationKind.RESCHEDULE
        ).count()
        == 2
    )


def test_rescheduling_to_another_practitioner_records_who_it_was_with(clinic):
    other = works_tuesdays(clinic.location, name="Casey Physio")
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))

    moved = appointment_reschedule(
        appointment=appointment,
        actor=clinic.staff,
        start=at(LATER_TUESDAY, 10),
        practitioner=other,
        by_patient=False,
    )

    assert moved.practitioner == other
    assert moved.events.get(kind="rescheduled").previous_practitioner == clinic.practitioner


def test_rescheduling_onto_a_taken_time_is_refused_with_alternatives(clinic):
    patient, intake = new_patient(clinic)
    other, other_intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    book(clinic, other, other_intake, at(LATER_TUESDAY, 12))

    with pytest.raises(SlotTaken) as taken:
        appointment_reschedule(
            appointment=appointment,
            actor=patient.user,
            start=at(LATER_TUESDAY, 12),
            by_patient=True,
        )

    appointment.refresh_from_db()
    assert appointment.start == at(LATER_TUESDAY, 10)
    # The patient's own current time counts as free for them.
    assert [s.local_start for s in taken.value.alternatives] == [
        at(LATER_TUESDAY, 11),
        at(LATER_TUESDAY, 10),
        at(LATER_TUESDAY, 9),
    ]


def test_a_patient_cannot_reschedule_within_24_hours(clinic, clock):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    clock.move_to(appointment.start - dt.timedelta(hours=23, minutes=59))

    with pytest.raises(NotAllowed, match="until 24 hours before"):
        appointment_reschedule(
            appointment=appointment,
            actor=patient.user,
            start=at(LATER_TUESDAY, 12),
            by_patient=True,
        )


def test_a_cancelled_appointment_cannot_be_rescheduled(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))
    appointment_cancel(appointment=appointment, actor=patient.user, by_patient=True)

    with pytest.raises(InvalidTransition):
        appointment_reschedule(
            appointment=appointment,
            actor=patient.user,
            start=at(LATER_TUESDAY, 12),
            by_patient=True,
        )


# --- Closing (staff) -----------------------------------------------------------------------------
def test_a_no_show_is_recorded_and_the_patient_is_invited_to_book_again(clinic, clock):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(TUESDAY, 10))
    clock.move_to(at(TUESDAY, 10, 20))

    appointment_set_status(appointment=appointment, actor=clinic.staff, status="no_show")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW
    assert appointment.events.last().kind == AppointmentEvent.Kind.NO_SHOW
    follow_up = Notification.objects.get(
        appointment=appointment, kind=NotificationKind.NO_SHOW_FOLLOW_UP
    )
    assert follow_up.status == NotificationStatus.PENDING


def test_a_completed_appointment_is_final(clinic, clock):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(TUESDAY, 10))
    clock.move_to(at(TUESDAY, 11))

    appointment_set_status(appointment=appointment, actor=clinic.staff, status="completed")

    with pytest.raises(InvalidTransition):
        appointment_set_status(appointment=appointment, actor=clinic.staff, status="no_show")
    with pytest.raises(InvalidTransition):
        appointment_cancel(appointment=appointment, actor=clinic.staff, by_patient=False)


def test_an_appointment_cannot_be_closed_before_it_starts_or_by_a_patient(clinic):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(TUESDAY, 10))

    with pytest.raises(NotAllowed, match="once it has started"):
        appointment_set_status(appointment=appointment, actor=clinic.staff, status="no_show")
    with pytest.raises(NotAllowed, match="Only staff"):
        appointment_set_status(appointment=appointment, actor=patient.user, status="completed")
    with pytest.raises(NotAllowed):
        appointment_set_status(appointment=appointment, actor=clinic.staff, status="cancelled")


def test_moving_to_a_time_off_the_grid_over_its_own_old_time_is_not_offered_rather_than_taken(
    clinic,
):
    patient, intake = new_patient(clinic)
    appointment = book(clinic, patient, intake, at(LATER_TUESDAY, 10))

    # The only visit over 10:17 is the one being moved: the time is simply not offered.
    with pytest.raises(NotAllowed, match="not offered"):
        appointment_reschedule(
            appointment=appointment,
            actor=patient.user,
            start=at(LATER_TUESDAY, 10, 17),
            by_patient=True,
        )
    appointment.refresh_from_db()
    assert appointment.start == at(LATER_TUESDAY, 10)
