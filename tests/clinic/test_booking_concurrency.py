"""Double booking under real concurrency, on PostgreSQL: one slot, twenty patients, one winner.

These tests commit for real (`transaction=True`) so that each thread's connection sees the
others' writes, as web workers do.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.models import Appointment, AppointmentStatus
from clinic.scheduling import NotAllowed, SlotTaken, appointment_book
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    StaffFactory,
    WorkingHoursFactory,
    make_intake,
)
from tests.support.race import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHICAGO = ZoneInfo("America/Chicago")
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}
THREADS = 20


def next_weekday_at(hour: int, minute: int = 0, *, weekday: int = 1) -> dt.datetime:
    """The given weekday at least three days from now, at a local time (the grid is 09:00-13:00)."""
    today = timezone.now().astimezone(CHICAGO).date() + dt.timedelta(days=3)
    day = today + dt.timedelta(days=(weekday - today.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


@pytest.fixture
def clinic():
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    return location, practitioner, ServiceFactory()


def test_twenty_patients_booking_one_slot_at_once_get_exactly_one_appointment(clinic):
    location, practitioner, service = clinic
    start = next_weekday_at(10)
    people = []
    for _ in range(THREADS):
        patient = PatientFactory()
        people.append((patient, make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)))

    def attempt(patient, intake):
        try:
            appointment = appointment_book(
                patient=patient,
                intake=intake,
                service=service,
                location=location,
                practitioner=practitioner,
                start=start,
                booked_by=patient.user,
            )
        except SlotTaken as taken:
            return ("taken", len(taken.alternatives))
        return ("booked", appointment.pk)

    outcomes = at_once(attempt, people)

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["booked"] + ["taken"] * (THREADS - 1), outcomes
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
    # Every refused patient was offered other times (09:00, 11:00 and 12:00 that day).
    assert {detail for kind, detail in outcomes if kind == "taken"} == {3}


def test_one_patient_booking_with_several_practitioners_at_once_gets_one_appointment(clinic):
    location, _, service = clinic
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)
    practitioners = []
    for _ in range(8):
        practitioner = PractitionerFactory(locations=[location])
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=1,
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
        practitioners.append(practitioner)

    def attempt(practitioner):
        try:
            appointment_book(
                patient=patient,
                intake=intake,
                service=service,
                location=location,
                practitioner=practitioner,
                start=next_weekday_at(11),
                booked_by=patient.user,
            )
        except NotAllowed as refused:
            return "already" if "already have an appointment" in str(refused) else repr(refused)
        return "booked"

    outcomes = at_once(attempt, [(p,) for p in practitioners])

    # Each practitioner's lock is different, so the unique constraint on (intake, service) for
    # active bookings decides; its error comes back as the patient-readable refusal.
    assert sorted(outcomes) == ["already"] * (len(practitioners) - 1) + ["booked"], outcomes
    assert Appointment.objects.filter(intake=intake, status=AppointmentStatus.BOOKED).count() == 1


def test_the_database_refuses_overlapping_appointments_for_one_practitioner(clinic):
    location, practitioner, service = clinic  # 45 minutes + 15 minutes' buffer
    nine = next_weekday_at(9)
    AppointmentFactory(practitioner=practitioner, location=location, service=service, start=nine)

    def insert(start, **kwargs):
        with transaction.atomic():
            return AppointmentFactory(
                practitioner=practitioner, location=location, service=service, start=start, **kwargs
            )

    with pytest.raises(IntegrityError, match="appointment_no_overlap"):
        insert(nine + dt.timedelta(minutes=30))  # 09:30 overlaps 09:00-09:45
    with pytest.raises(IntegrityError, match="appointment_no_overlap"):
        insert(nine + dt.timedelta(minutes=50))  # 09:50 overlaps only the buffer (until 10:00)
    assert insert(nine + dt.timedelta(hours=1))  # 10:00, back to back: allowed
    assert insert(nine + dt.timedelta(minutes=30), status=AppointmentStatus.CANCELLED)
    other = PractitionerFactory(locations=[location])
    assert AppointmentFactory(practitioner=other, location=location, service=service, start=nine)


def test_the_booking_service_refuses_overlaps_and_allows_back_to_back_on_postgresql(clinic):
    location, practitioner, service = clinic
    check_in = ServiceFactory(slug="check-in", duration_minutes=15, buffer_after_minutes=0)
    nine = next_weekday_at(9)
    AppointmentFactory(practitioner=practitioner, location=location, service=service, start=nine)

    def staff_book(start):
        return appointment_book(
            patient=PatientFactory(),
            service=check_in,
            location=location,
            practitioner=practitioner,
            start=start,
            booked_by=StaffFactory(),
            online=False,
        )

    with pytest.raises(SlotTaken):
        staff_book(nine + dt.timedelta(minutes=30))
    with pytest.raises(SlotTaken):
        staff_book(nine + dt.timedelta(minutes=45))  # only the buffer
    assert staff_book(nine + dt.timedelta(hours=1)).start == nine + dt.timedelta(hours=1)
