"""The waitlist: a freed time goes to the patient waiting longest, and booking it is the claim."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic import messages
from clinic.models import Notification, NotificationKind, WaitlistEntry
from clinic.scheduling import (
    NotAllowed,
    appointment_book,
    appointment_cancel,
    waitlist_join,
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

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 2, 23, 8, 0, tzinfo=CHICAGO)  # Monday 08:00 CST
TUESDAY = dt.date(2026, 3, 3)
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


def at(hour: int) -> dt.datetime:
    return dt.datetime.combine(TUESDAY, dt.time(hour), CHICAGO)


@pytest.fixture
def location():
    return LocationFactory(name="Shakopee")


@pytest.fixture
def practitioner(location):
    practitioner = PractitionerFactory(locations=[location], display_name="Robin Physio")
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(11),
    )
    return practitioner


def waiting_patient(location, *locations, **answers):
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **(answers or PHYSIO_ANSWERS))
    entry = waitlist_join(
        patient=patient, intake=intake, service=ServiceFactory(), locations=locations or [location]
    )
    return patient, intake, entry


def book(patient, intake, location, practitioner, start):
    return appointment_book(
        patient=patient,
        intake=intake,
        service=ServiceFactory(),
        location=location,
        practitioner=practitioner,
        start=start,
        booked_by=patient.user,
    )


def booked_appointment(location, practitioner, start):
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)
    return book(patient, intake, location, practitioner, start)


def offers():
    return Notification.objects.filter(kind=NotificationKind.WAITLIST_OFFER)


def test_joining_twice_keeps_one_open_entry_with_the_latest_locations(location):
    other = LocationFactory()
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)

    first = waitlist_join(
        patient=patient, intake=intake, service=ServiceFactory(), locations=[location]
    )
    again = waitlist_join(
        patient=patient, intake=intake, service=ServiceFactory(), locations=[location, other]
    )

    assert first.pk == again.pk
    assert WaitlistEntry.objects.count() == 1
    assert set(again.locations.all()) == {location, other}


def test_only_patients_who_could_book_online_may_wait(location):
    patient = PatientFactory()
    self_care = make_intake(location=location, patient=patient)
    emergency = make_intake(location=location, patient=patient, bladder_bowel_change=True)

    for intake in (self_care, emergency):
        with pytest.raises(NotAllowed):
            waitlist_join(
                patient=patient, intake=intake, service=ServiceFactory(), locations=[location]
            )
    with pytest.raises(NotAllowed, match="at least one clinic"):
        waitlist_join(
            patient=patient,
            intake=make_intake(location=location, patient=patient, **PHYSIO_ANSWERS),
            service=ServiceFactory(),
            locations=[],
        )
    assert not WaitlistEntry.objects.exists()


def test_a_cancellation_offers_the_time_to_the_patient_waiting_longest(
    location, practitioner, clock
):
    appointment = booked_appointment(location, practitioner, at(10))
    first, _, first_entry = waiting_patient(location)
    clock.shift(dt.timedelta(minutes=5))
    waiting_patient(location)

    appointment_cancel(appointment=appointment, actor=appointment.patient.user, by_patient=True)

    offer = offers().get()
    assert offer.recipient == first.email
    assert offer.intake == first_entry.intake
    assert offer.appointment is None  # the cancelled appointment is someone else's
    assert offer.context["slot_start"] == appointment.start.isoformat()
    assert offer.context["practitioner_id"] == practitioner.pk
    assert offer.context["location_id"] == location.pk
    text = messages.render(offer)
    assert "Tuesday 3 March, 10:00 AM CST at Shakopee with Robin Physio" in text.text
    assert "Physiotherapy assessment" in text.subject
    assert appointment.patient.last_name not in text.text


def test_nobody_waiting_for_that_location_gets_no_offer(location, practitioner):
    appointment = booked_appointment(location, practitioner, at(10))
    waiting_patient(location, LocationFactory())  # waits elsewhere only

    appointment_cancel(appointment=appointment, actor=appointment.patient.user, by_patient=True)

    assert not offers().exists()


def test_a_freed_time_too_close_to_offer_is_not_offered(location, practitioner, clock):
    appointment = booked_appointment(location, practitioner, at(10))
    waiting_patient(location)
    clock.move_to(at(10) - dt.timedelta(hours=1))  # inside the two-hour minimum notice

    appointment_cancel(appointment=appointment, actor=StaffFactory(), by_patient=False)

    assert not offers().exists()


def test_booking_the_offered_time_fulfils_the_entry_and_the_next_patient_finds_it_taken(
    location, practitioner
):
    appointment = booked_appointment(location, practitioner, at(10))
    first, first_intake, first_entry = waiting_patient(location)
    appointment_cancel(appointment=appointment, actor=appointment.patient.user, by_patient=True)

    book(first, first_intake, location, practitioner, at(10))

    first_entry.refresh_from_db()
    assert first_entry.fulfilled_at == NOW
    with pytest.raises(NotAllowed, match="already have an appointment"):
        waitlist_join(
            patient=first, intake=first_intake, service=ServiceFactory(), locations=[location]
        )
