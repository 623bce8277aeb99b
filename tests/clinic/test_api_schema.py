"""The API keeps its published schema: schemathesis fuzzes every operation against the WSGI app.

For each operation, generated requests (valid and invalid) are sent with a patient's token, and
every response must be a documented status with a body matching its schema, never a 5xx; every
check runs, so a request the schema allows is never refused (the schema states the server's
rules: slugs that exist, email addresses, years, no control characters) and one it forbids is.
The schema is loaded from the app after seeding: its slug enums are the seeded catalogue's.

Random data rarely names a real intake, slot or appointment, so part of the cases are steered
onto the seeded ones (chosen from the generated data itself, so a failure replays): that way the
201, 403 and 409 answers of booking and the 200s of cancelling and moving are checked against
the schema too, not only the 4xx of made-up ids.
"""

import datetime as dt
import json
import re
import zlib
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from ninja.responses import NinjaJSONEncoder

from clinic.api.v1 import api
from clinic.scheduling import available_slots
from clinic.wsgi import application
from patients import tokens
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}


@pytest.fixture
def seeded():
    """Demo-like data: a clinic with a physiotherapist working every day, services, a patient
    with three physiotherapy intakes to book with, and one upcoming appointment of theirs."""
    location = LocationFactory(slug="shakopee", name="Shakopee")
    LocationFactory(slug="delano", name="Delano")
    practitioner = PractitionerFactory(locations=[location])
    for weekday in range(7):
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=dt.time(8),
            end_time=dt.time(18),
        )
    physio = ServiceFactory()
    ServiceFactory(slug="lumbar-mri", name="Lumbar MRI", pathway="imaging", bookable_online=False)
    patient = PatientFactory(preferred_location=location)
    intakes = [make_intake(location=location, patient=patient, **PHYSIO) for _ in range(3)]
    today = dt.datetime.now(CHICAGO).date()
    slots = available_slots(
        service=physio,
        locations=[location],
        date_from=today + dt.timedelta(days=3),
        date_to=today + dt.timedelta(days=10),
    )
    taken = slots[-1]
    appointment = AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        location=location,
        service=physio,
        intake=make_intake(location=location, patient=patient, **PHYSIO),
        start=taken.start,
    )
    return {
        "token": tokens.token_create(user=patient.user, name="schemathesis")[1],
        "intakes": intakes,
        "appointment": appointment,
        # Some free times, and the taken one (a 409 with alternatives when asked for).
        "starts": [slot.local_start for slot in slots[:-1:20]] + [taken.local_start],
        "practitioner": practitioner,
        "service": physio,
        "location": location,
        "first_day": today + dt.timedelta(days=3),
    }


@pytest.fixture
def _keep_the_test_connection():
    """Requests here go straight to the WSGI app, not through Django's test client, so do what
    the test client does: keep request signals from closing the test's database connection
    (on PostgreSQL it holds the test transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The slugs the `seeded` fixture makes; the served schema lists exactly these then
# (test_slug_fields_list_the_slugs_that_exist).
SEEDED_SLUGS = {"service": ["lumbar-mri", "physio-assessment"], "location": ["delano", "shakopee"]}


def _schema_for_the_seeded_catalogue():
    """The schema /api/v1/openapi.json serves once `seeded` ran, built when the module is
    collected (no database then: the catalogue's slugs are given)."""
    document = api.get_openapi_schema(catalogue_slugs=SEEDED_SLUGS)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, cls=NinjaJSONEncoder)))
    loaded.app = application
    return loaded


schema = _schema_for_the_seeded_catalogue()


def _steer(case, seeded) -> None:
    """Point about half the valid cases at the seeded records (decided by the generated data).

    Invalid cases are left alone: they must be refused as generated.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if zlib.crc32(repr((case.path_parameters, case.body, case.query)).encode()) % 2:
        return
    path = case.operation.path
    pick = zlib.crc32(repr((case.body, case.query)).encode())
    if path == "/api/v1/slots":
        first_day = seeded["first_day"] + dt.timedelta(days=pick % 5)
        case.query = {
            "service": seeded["service"].slug,
            "date_from": first_day.isoformat(),
            "date_to": (first_day + dt.timedelta(days=pick % 3)).isoformat(),
            **({"location": seeded["location"].slug} if pick % 2 else {}),
        }
    elif path.endswith("/{id}/cancel") or path.endswith("/{id}/reschedule"):
        case.path_parameters = {"id": str(seeded["appointment"].public_id)}
    elif path == "/api/v1/intakes/{id}":
        case.path_parameters = {"id": str(seeded["intakes"][pick % 3].public_id)}
    elif path == "/api/v1/intakes/{id}/slots":
        case.path_parameters = {"id": str(seeded["intakes"][pick % 3].public_id)}
        case.query = {
            "date_from": (seeded["first_day"] + dt.timedelta(days=pick % 5)).isoformat(),
            "days": 1 + pick % 7,
            **({"location": seeded["location"].slug} if pick % 2 else {}),
        }
    if not isinstance(case.body, dict):
        return
    start = seeded["starts"][pick % len(seeded["starts"])].isoformat()
    if case.method == "POST" and path == "/api/v1/appointments":
        case.body = {
            "service": seeded["service"].slug,
            "location": seeded["location"].slug,
            "practitioner": seeded["practitioner"].pk,
            "start": start,
            "intake": str(seeded["intakes"][pick % 3].public_id),
        }
    elif path.endswith("/{id}/reschedule"):
        case.body = {"start": start}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # filter_too_much: most strings generated for a format (dates, times, email addresses) miss
    # the patterns the schema adds (a year 2000-2999, an address of the usual form); enough pass.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
# Limits off: hundreds of requests a minute from one token are the point here.
@override_settings(API_RATE_LIMIT_READ=0, API_RATE_LIMIT_WRITE=0)
@pytest.mark.usefixtures("_keep_the_test_connection")
def test_every_operation_answers_as_its_schema_says(case, seeded):
    _steer(case, seeded)
    case.call_and_validate(headers={"Authorization": f"Bearer {seeded['token']}"})


# --- What the served schema states -----------------------------------------------------------


def _served(client) -> dict:
    return client.get("/api/v1/openapi.json").json()


def _operations(document) -> dict[str, tuple[str, str]]:
    return {
        operation["operationId"]: (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_booking_links_to_cancelling_and_moving_the_booked_appointment(client, seeded):
    document = _served(client)
    booked = document["paths"]["/api/v1/appointments"]["post"]["responses"]["201"]
    links = booked["links"]
    operations = _operations(document)

    targets = {operations[link["operationId"]] for link in links.values()}
    assert targets == {
        ("post", "/api/v1/appointments/{id}/cancel"),
        ("post", "/api/v1/appointments/{id}/reschedule"),
    }
    for link in links.values():
        # The id the link passes is the one the 201 body carries.
        assert link["parameters"] == {"id": "$response.body#/id"}
        assert "id" in document["components"]["schemas"]["AppointmentOut"]["properties"]


def test_slug_fields_list_the_slugs_that_exist(client, seeded):
    document = _served(client)
    booking = document["components"]["schemas"]["AppointmentIn"]["properties"]
    assert booking["service"]["enum"] == SEEDED_SLUGS["service"]
    assert booking["location"]["enum"] == SEEDED_SLUGS["location"]
    # And a clinic added later is in the next schema served.
    LocationFactory(slug="chaska", name="Chaska")
    booking = _served(client)["components"]["schemas"]["AppointmentIn"]["properties"]
    assert booking["location"]["enum"] == ["chaska", "delano", "shakopee"]


def test_the_schema_states_the_email_year_and_control_character_rules(client, seeded):
    components = _served(client)["components"]["schemas"]
    email = components["IntakeIn"]["properties"]["email"]["anyOf"][0]
    assert email["format"] == "email"
    assert re.match(email["pattern"], "runner@example.org")
    assert not re.match(email["pattern"], "runner@localhost")
    start = components["AppointmentIn"]["properties"]["start"]
    assert re.match(start["pattern"], "2031-01-13T10:00:00-06:00")
    assert not re.match(start["pattern"], "1999-01-13T10:00:00-06:00")
    reason = components["CancelIn"]["properties"]["reason"]
    assert re.match(reason["pattern"], "Zoë can't make it")
    assert not re.match(reason["pattern"], "line\nbreak")
