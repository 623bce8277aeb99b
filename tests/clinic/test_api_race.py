"""The booking race through the API, on PostgreSQL: twenty patients, one slot, one 201.

Each thread is its own client with its own token and its own database connection, as separate
API callers on separate web workers are; the rows are committed for real (`transaction=True`).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import Appointment
from patients import tokens
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
PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}
THREADS = 20


def test_twenty_api_bookings_of_one_slot_give_one_201_and_nineteen_409s():
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    service = ServiceFactory()
    day = timezone.now().astimezone(CHICAGO).date() + dt.timedelta(days=3)
    day += dt.timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday at least three days away
    start = dt.datetime.combine(day, dt.time(10), CHICAGO).isoformat()
    callers = []
    for _ in range(THREADS):
        patient = PatientFactory()
        intake = make_intake(location=location, patient=patient, **PHYSIO)
        token = tokens.token_create(user=patient.user, name="race")[1]
        callers.append((token, intake))

    def book(token, intake):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            "/api/v1/appointments",
            {
                "service": service.slug,
                "location": location.slug,
                "practitioner": practitioner.pk,
                "start": start,
                "intake": str(intake.public_id),
            },
            "application/json",
        )
        return response.status_code, response.json()

    responses = at_once(book, callers)

    statuses = sorted(status for status, _ in responses)
    assert statuses == [201] + [409] * (THREADS - 1)
    for status, body in responses:
        if status == 409:
            assert "taken" in body["detail"]
            assert body["alternatives"]
            assert start not in [slot["start"] for slot in body["alternatives"]]
    assert Appointment.objects.filter(practitioner=practitioner).count() == 1
