"""What an intake is offered (clinic.scheduling.offers): one window, one set of times, one key,
whether the patient's booking page, the staff scheduling page or the API asks.

The clock is frozen: the intake is submitted on Friday 20 November 2026 and a clinician
overrides its decision on Monday 23 November, in Minnesota (CST, UTC-6).
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from clinic import roles
from clinic.scheduling import SlotKey, available_slots, parse_slot_key, slot_key
from patients import tokens
from patients.models import AccessLog
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    admin_login,
    make_intake,
    make_staff,
)
from triage import services as triage_services
from triage.engine import STAFF_TARGET

CHICAGO = ZoneInfo("America/Chicago")
SUBMITTED = dt.datetime(2026, 11, 20, 8, 0, tzinfo=CHICAGO)  # Friday
OVERRIDDEN = dt.datetime(2026, 11, 23, 8, 0, tzinfo=CHICAGO)  # the Monday after
WEEK = "2026-11-30"  # the week shown: Monday 30 November to Sunday 6 December
PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}  # physiotherapy, routine: 42 days
KEY = re.compile(r'name="slot" id="[^"]+" value="([^"]+)"')


# --- The slot key ---------------------------------------------------------------------------------
def test_a_slot_key_names_practitioner_location_and_the_utc_start():
    start = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO)
    key = slot_key(SlotKey(7, 2, start))
    assert key == "7.2.20261123T160000Z"
    assert parse_slot_key(key) == SlotKey(7, 2, start)
    assert parse_slot_key(key).start.tzinfo == dt.UTC


@given(
    practitioner_id=st.integers(1, 2**63 - 1),
    location_id=st.integers(1, 2**63 - 1),
    start=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2999, 12, 31),
        timezones=st.sampled_from([dt.UTC, CHICAGO, ZoneInfo("Pacific/Chatham")]),
    ),
)
def test_every_key_reads_back_as_the_time_it_was_made_from(practitioner_id, location_id, start):
    start = start.replace(microsecond=0)
    parsed = parse_slot_key(slot_key(SlotKey(practitioner_id, location_id, start)))
    assert (parsed.practitioner_id, parsed.location_id) == (practitioner_id, location_id)
    # Compared in UTC: Python never finds a time in a zone's gap or fold equal to another zone's.
    assert parsed.start == start.astimezone(dt.UTC)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        "1.2",
        "1.2.3",
        "1.2.3.4",
        "a.2.20261123T160000Z",
        "1..20261123T160000Z",
        "-1.2.20261123T160000Z",
        "1.2.20261123T160000",  # no Z: not UTC
        "1.2.20261323T160000Z",  # month 13
        "1.2.20261123T250000Z",  # 25 o'clock
        "1.2.2026112T160000Z",
        " 1.2.20261123T160000Z",
        "1.2.20261123T160000Z\n",
        "\N{ARABIC-INDIC DIGIT ONE}.2.20261123T160000Z",
        "12345678901234567890.2.20261123T160000Z",  # beyond any database id
        "7@2026-11-23T16:00:00+00:00",  # the staff page's old format
        None,
        7,
    ],
)
def test_a_malformed_key_reads_as_none(value):
    assert parse_slot_key(value) is None


# --- One window and one set of times for the patient, the staff and the API -----------------------
@pytest.fixture
def clock(freeze):
    return freeze(SUBMITTED)


@pytest.fixture
def clinic(db):
    location = LocationFactory(slug="shakopee", name="Shakopee", time_zone="America/Chicago")
    practitioner = PractitionerFactory(display_name="Robin Physio", locations=[location])
    for weekday in range(6):  # Monday to Saturday, 09:00-17:00
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    return location, ServiceFactory()


@pytest.fixture
def overridden(clock, clinic):
    """A routine physiotherapy intake, submitted on Friday, made urgent by a clinician on
    Monday: its window is now 14 days from Friday's submission, not from Monday's override."""
    location, _service = clinic
    intake = make_intake(location=location, patient=PatientFactory(), **PHYSIO)
    assert intake.current_decision.urgency == "routine"
    clock.move_to(OVERRIDDEN)
    clinician = make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[location])
    decision = triage_services.decision_override(
        intake=intake,
        actor=clinician,
        pathway="physio",
        urgency="urgent",
        reason="Night pain on examination",
    )
    intake.refresh_from_db()
    assert intake.current_decision == decision
    return intake


def patient_page(intake):
    client = Client()
    client.force_login(intake.patient.user)
    url = reverse("patients:book", args=[intake.public_id])
    response = client.get(url, {"location": "shakopee", "date": WEEK})
    assert response.status_code == 200
    return response


def staff_page(intake, service):
    client = Client()
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[intake.preferred_location]))
    url = reverse("admin:triage_intake_schedule", args=[intake.pk])
    query = {"service": service.slug, "location": "shakopee", "date_from": WEEK, "days": 7}
    response = client.get(url, query)
    assert response.status_code == 200
    return response


def api_slots(intake, **query):
    token = tokens.token_create(user=intake.patient.user, name="tests")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(f"/api/v1/intakes/{intake.public_id}/slots", query)


def test_after_an_override_the_patient_the_staff_and_the_api_offer_the_same_window_and_times(
    overridden, clinic
):
    _location, service = clinic
    intake = overridden
    submitted_window = intake.created_at + STAFF_TARGET["urgent"]
    assert intake.created_at == SUBMITTED
    assert submitted_window == dt.datetime(2026, 12, 4, 8, 0, tzinfo=CHICAGO)  # a Friday
    assert intake.current_decision.created_at + STAFF_TARGET["urgent"] != submitted_window

    patient = patient_page(intake)
    staff = staff_page(intake, service)
    api = api_slots(intake, location="shakopee", date_from=WEEK, days=7)

    assert api.status_code == 200
    body = api.json()
    assert patient.context["page"].window_end == submitted_window
    assert staff.context["window_end"] == submitted_window
    assert dt.datetime.fromisoformat(body["window_end"]) == submitted_window
    assert body["window_end"] == "2026-12-04T08:00:00-06:00"
    assert "Friday 4 December 2026" in staff.content.decode()  # "seen by", the protocol target

    patient_keys = KEY.findall(patient.content.decode())
    staff_keys = [row["key"] for _day, rows in staff.context["days"] for row in rows]
    api_keys = [slot["key"] for slot in body["slots"]]
    assert patient_keys
    assert patient_keys == staff_keys == api_keys
    assert staff_keys == KEY.findall(staff.content.decode())

    # Inside the window: Monday 30 November to Thursday 3 December; the Friday's and the
    # Saturday's times start after 08:00 on the 4th, so both pages mark them alike.
    staff_inside = [row["within_target"] for _day, rows in staff.context["days"] for row in rows]
    assert staff_inside == [slot["within_window"] for slot in body["slots"]]
    for slot in body["slots"]:
        inside = dt.datetime.fromisoformat(slot["start"]).date() <= dt.date(2026, 12, 3)
        assert slot["within_window"] is inside
    assert body["fits_window"] is True
    assert patient.context["page"].fits_window is True
    assert staff.context["offers"].fits_window is True
    assert "(after the target)" in staff.content.decode()

    # And they are the free times of the one source.
    free = available_slots(
        service=service,
        locations=[intake.preferred_location],
        date_from=dt.date(2026, 11, 30),
        date_to=dt.date(2026, 12, 6),
    )
    assert api_keys == [slot_key(slot) for slot in free]


def test_a_key_the_staff_page_offered_books_there(overridden, clinic):
    _location, service = clinic
    intake = overridden
    client = Client()
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[intake.preferred_location]))
    url = reverse("admin:triage_intake_schedule", args=[intake.pk])
    key = api_slots(intake, date_from=WEEK).json()["slots"][0]["key"]

    response = client.post(url, {"service": service.slug, "location": "shakopee", "slot": key})

    assert response.status_code == 302
    assert intake.appointments.get().start == parse_slot_key(key).start


def test_the_staff_page_refuses_a_key_for_another_location(overridden, clinic):
    _location, service = clinic
    intake = overridden
    client = Client()
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[intake.preferred_location]))
    url = reverse("admin:triage_intake_schedule", args=[intake.pk])
    key = parse_slot_key(api_slots(intake, date_from=WEEK).json()["slots"][0]["key"])
    elsewhere = slot_key(key._replace(location_id=LocationFactory().pk))

    response = client.post(
        url, {"service": service.slug, "location": "shakopee", "slot": elsewhere}
    )

    assert response.status_code == 400
    assert "Choose one of the free times shown" in response.content.decode()
    assert not intake.appointments.exists()


# --- The API endpoint -----------------------------------------------------------------------------
def test_the_api_defaults_to_a_week_from_today_at_the_preferred_location(overridden):
    response = api_slots(overridden)

    assert response.status_code == 200
    body = response.json()
    assert (body["service"], body["location"], body["time_zone"]) == (
        "physio-assessment",
        "shakopee",
        "America/Chicago",
    )
    days = {dt.datetime.fromisoformat(slot["start"]).date() for slot in body["slots"]}
    # Monday 23 (from 10:00, two hours' notice) to Saturday 28 November; no Sunday work.
    assert days == {dt.date(2026, 11, d) for d in range(23, 29)}
    assert body["slots"][0]["start"] == "2026-11-23T10:00:00-06:00"
    log = AccessLog.objects.filter(object_type="intake", object_id=str(overridden.public_id))
    assert log.filter(via__endswith="/slots").exists()


def test_another_patients_intake_has_no_slots_to_show(overridden):
    stranger = PatientFactory()
    token = tokens.token_create(user=stranger.user, name="tests")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get(f"/api/v1/intakes/{overridden.public_id}/slots")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_care_plan_booked_by_staff_has_no_slots_in_the_api(clock, clinic):
    location, _service = clinic
    intake = make_intake(location=location, patient=PatientFactory(), cancer_history=True)
    assert intake.current_decision.pathway == "imaging"
    response = api_slots(intake)
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-11-19"}, "date_from"),  # before today
        ({"date_from": "2027-12-01"}, "date_from"),  # more than a year ahead
        ({"date_from": "9999-12-31"}, "date_from"),
        ({"days": 0}, "days"),
        ({"days": 29}, "days"),
        ({"location": "mars"}, "location"),
    ],
)
def test_bad_slot_queries_for_an_intake_are_refused_with_the_field_named(
    clock, clinic, query, field
):
    location, _service = clinic
    intake = make_intake(location=location, patient=PatientFactory(), **PHYSIO)
    response = api_slots(intake, **query)
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]


def test_the_api_takes_the_same_queries_for_a_day_or_four_weeks(overridden):
    token = tokens.token_create(user=overridden.patient.user, name="tests")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/intakes/{overridden.public_id}/slots"
    client.get(url)  # the first use of a token also records when it was used
    counts = []
    for days in (1, 28):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"days": days}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
