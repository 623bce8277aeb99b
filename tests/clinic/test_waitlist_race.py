"""Waitlist offers under real concurrency, on PostgreSQL: whoever clicks, one booking per time.

These tests commit for real (`transaction=True`), so each thread's connection sees the others'
writes and freed times are offered on commit, as in production.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic import tasks
from clinic.models import Appointment, AppointmentStatus, WaitlistOffer
from clinic.scheduling import (
    NotAllowed,
    SlotTaken,
    appointment_book,
    appointment_cancel,
    offer_accept,
    waitlist_join,
)
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)
from tests.support.race import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 2, 23, 8, 0, tzinfo=CHICAGO)  # Monday 08:00 CST
SLOT = dt.datetime(2026, 3, 3, 10, 0, tzinfo=CHICAGO)  # a Tuesday
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}


def patient_with_intake(location):
    patient = PatientFactory()
    return patient, make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)


def test_both_waitlisted_patients_clicking_at_once_book_the_time_once(freeze):
    clock = freeze(NOW)
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(11),
    )
    service = ServiceFactory()
    owner, owner_intake = patient_with_intake(location)
    appointment = appointment_book(
        patient=owner,
        intake=owner_intake,
        service=service,
        location=location,
        practitioner=practitioner,
        start=SLOT,
        booked_by=owner.user,
    )
    waiting = []
    for _ in range(2):
        patient, intake = patient_with_intake(location)
        waitlist_join(patient=patient, intake=intake, service=service, locations=[location])
        waiting.append(patient)
        clock.shift(dt.timedelta(minutes=1))
    appointment_cancel(appointment=appointment, actor=owner.user, by_patient=True)
    clock.shift(dt.timedelta(hours=2))
    tasks.pass_on_waitlist_holds()
    first_offer, second_offer = WaitlistOffer.objects.order_by("id")
    outsider, outsider_intake = patient_with_intake(location)

    def accept(offer, patient):
        return offer_accept(offer=offer, user=patient.user)

    def book_directly():
        return appointment_book(
            patient=outsider,
            intake=outsider_intake,
            service=service,
            location=location,
            practitioner=practitioner,
            start=SLOT,
            booked_by=outsider.user,
        )

    first, second = waiting
    results = at_once(
        lambda attempt, *args: attempt(*args),
        [
            (accept, first_offer, first),  # their hold ran out
            (accept, second_offer, second),
            (accept, second_offer, second),  # a double tap
            (book_directly,),
        ],
    )

    booked = Appointment.objects.filter(
        practitioner=practitioner, start=SLOT, status=AppointmentStatus.BOOKED
    )
    assert booked.count() == 1
    assert booked.get().patient == second
    winners = [result for result in results if isinstance(result, Appointment)]
    assert len(winners) == 1
    refusals = [result for result in results if not isinstance(result, Appointment)]
    assert all(isinstance(result, NotAllowed | SlotTaken) for result in refusals), refusals
    assert any("this offer has ended" in str(result) for result in refusals)
    second_offer.refresh_from_db()
    first_offer.refresh_from_db()
    assert (first_offer.state, second_offer.state) == (
        WaitlistOffer.State.EXPIRED,
        WaitlistOffer.State.ACCEPTED,
    )
