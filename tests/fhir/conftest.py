"""Shared set-up for the FHIR tests: two clinics, a scan service at each, a client per clinic,
and a way to call the interface with a client's token."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic import roles, scheduling
from clinic.models import Discipline
from fhir import clients
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
    make_staff,
)
from triage.models import Pathway

CHICAGO = ZoneInfo("America/Chicago")
# A Monday 08:00 in Chicago; the scan service works Tuesdays 09:00-13:00.
NOW = dt.datetime(2027, 2, 22, 8, 0, tzinfo=CHICAGO)
TUESDAY_10 = dt.datetime(2027, 2, 23, 10, 0, tzinfo=CHICAGO)
FHIR_JSON = "application/fhir+json"


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


@pytest.fixture
def delano(db):
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def scan_service(db):
    return ServiceFactory(
        slug="mri-lumbar",
        name="MRI of the lower back",
        pathway=Pathway.IMAGING,
        discipline=Discipline.IMAGING,
        duration_minutes=30,
        buffer_after_minutes=0,
        bookable_online=False,
    )


@pytest.fixture
def radiographer(chaska, delano):
    practitioner = PractitionerFactory(
        display_name="Riley Scanner", locations=[chaska, delano], discipline=Discipline.IMAGING
    )
    for place in (chaska, delano):
        WorkingHoursFactory(
            practitioner=practitioner,
            location=place,
            weekday=1,
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    return practitioner


@pytest.fixture
def scheduler(chaska, delano):
    return make_staff(roles=[roles.SCHEDULER], locations=[chaska, delano])


@pytest.fixture
def make_referral():
    """`make_referral(location, **answers)`: an intake by a patient with an account whose
    answers make a scan referral ready to schedule (R6, history of cancer, by default)."""

    def make(location, **answers):
        answers = answers or {"cancer_history": True}
        return make_intake(location=location, patient=PatientFactory(), **answers)

    return make


@pytest.fixture
def book(scan_service, radiographer, scheduler):
    """`book(intake, at=None)`: the scan booked by staff at the intake's clinic, by default at
    the next free half hour from Tuesday 10:00 (one radiographer serves both clinics)."""
    booked = []

    def book_at(intake, at=None):
        at = at or TUESDAY_10 + dt.timedelta(minutes=30 * len(booked))
        booked.append(at)
        return scheduling.appointment_book(
            patient=intake.patient,
            service=scan_service,
            location=intake.preferred_location,
            practitioner=radiographer,
            start=at,
            intake=intake,
            booked_by=scheduler,
            online=False,
        )

    return book_at


@pytest.fixture
def chaska_token(chaska):
    _, token = clients.client_create(name="Chaska imaging centre", location_slugs=["chaska"])
    return token


@pytest.fixture
def fhir(client, chaska_token):
    """`fhir(path, token=chaska_token, **params)`: GET /fhir/R4/<path>; the JSON body is on
    `response.body`."""

    def get(path, token=chaska_token, **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        response = client.get(f"/fhir/R4/{path}", params, **headers)
        response.body = response.json() if response.content else None
        return response

    return get


def entries(bundle: dict) -> list[dict]:
    return [entry["resource"] for entry in bundle.get("entry", [])]


def ids(bundle: dict) -> set[str]:
    return {resource["id"] for resource in entries(bundle)}
