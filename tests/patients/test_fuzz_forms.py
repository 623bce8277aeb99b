"""Garbage into every patient-facing form: a refusal with a message, never a server error.

Hypothesis throws odd text, huge numbers, impossible dates, null bytes and repeated fields at
the intake steps, the booking confirmation (a signed-in patient's own intake) and the profile.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.models import Appointment
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)
from triage import forms as intake_forms
from triage.views import WIZARD_SESSION_KEY

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)  # a Monday, 8:00 in Minnesota
PHYSIO = {"sbst_1": True, "sbst_2": True, "sbst_3": True, "sbst_4": True}
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "-1",
        "0",
        "1e309",
        "NaN",
        "99999999999999999999999999",
        "-99999999999999999999999999",
        "\uff11\uff12",  # full-width digits
        "2026-02-30",
        "0000-00-00",
        "9999-12-31",
        "0001-01-01",
        "+1",
        "+99999999999999999999",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "yes",
        "no",
        "on",
        "email",
        "sms",
        "x" * 5000,
    ]
)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
VALUE = st.one_of(NASTY, TEXT, st.lists(st.one_of(NASTY, TEXT), min_size=2, max_size=3))


def garbage_for(field_names) -> st.SearchStrategy[dict]:
    """POST data: the form's own field names (and a few others) with hostile values."""
    names = st.one_of(st.sampled_from(sorted(field_names)), TEXT.filter(bool))
    return st.dictionaries(names, VALUE, max_size=20)


def shows_a_refusal(response) -> bool:
    html = response.content.decode()
    return any(mark in html for mark in ('role="alert"', "invalid-feedback", "is-invalid"))


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clinic():
    location = LocationFactory(name="Shakopee", slug="shakopee")
    practitioner = PractitionerFactory(display_name="Robin Physio", locations=[location])
    for weekday in range(6):
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    ServiceFactory()
    return location, practitioner


# --- The intake wizard -------------------------------------------------------------------------
ALL_INTAKE_FIELDS = {
    name for step in intake_forms.STEPS for name in step.form_class.base_fields
} | {"preferred_location"}


@FUZZ
@given(
    step=st.sampled_from([step.slug for step in intake_forms.STEPS]),
    data=garbage_for(ALL_INTAKE_FIELDS),
)
def test_garbage_to_any_intake_step_is_refused_with_a_message(client, clinic, step, data):
    # Every earlier step looks answered, so the garbage reaches this step's form.
    session = client.session
    session[WIZARD_SESSION_KEY] = {s.slug: {"seen": "1"} for s in intake_forms.STEPS}
    session.save()

    response = client.post(reverse("triage:step", args=[step]), data)

    assert response.status_code < 500
    if response.status_code == 200:
        assert shows_a_refusal(response)
    else:
        assert response.status_code == 302  # accepted, or the under-16 page


@FUZZ
@given(data=garbage_for(ALL_INTAKE_FIELDS))
def test_garbage_to_the_intake_review_sends_back_to_a_step(client, clinic, data):
    session = client.session
    session[WIZARD_SESSION_KEY] = {s.slug: data for s in intake_forms.STEPS}
    session.save()

    response = client.post(reverse("triage:review"), data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("triage:start"))


# --- Booking: the chosen time ------------------------------------------------------------------
SLOT_LIKE = st.builds(
    lambda practitioner, location, stamp: f"{practitioner}.{location}.{stamp}",
    st.one_of(st.integers(), st.sampled_from(["", "x", "1e9", "-0"])),
    st.one_of(st.integers(), st.sampled_from(["", "x"])),
    st.one_of(
        st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)).map(
            lambda d: d.strftime("%Y%m%dT%H%M%SZ").zfill(16)
        ),
        TEXT,
    ),
)


@FUZZ
@given(slot=st.one_of(SLOT_LIKE, NASTY, TEXT, st.lists(TEXT, min_size=2, max_size=3)))
def test_garbage_slots_on_the_booking_confirmation_are_refused(client, clinic, slot):
    location, _practitioner = clinic
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO)
    client.force_login(patient.user)
    url = reverse("patients:book_confirm", args=[intake.public_id])

    posted = client.post(url, {"slot": slot})
    shown = client.get(url, {"slot": slot})

    assert posted.status_code in (302, 404, 409), posted.status_code
    assert shown.status_code in (200, 302, 404), shown.status_code
    if posted.status_code == 302 and not Appointment.objects.filter(patient=patient).exists():
        assert posted["Location"] == reverse("patients:book", args=[intake.public_id])
        assert client.get(posted["Location"]).status_code == 200


@FUZZ
@given(
    start=st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    book=st.booleans(),
)
def test_any_time_with_the_real_practitioner_is_booked_or_refused_never_an_error(
    client, clinic, start, book
):
    location, practitioner = clinic
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO)
    client.force_login(patient.user)
    url = reverse("patients:book_confirm", args=[intake.public_id])
    stamp = f"{start:%Y%m%dT%H%M%SZ}".zfill(16)  # years before 1000 padded to four digits
    slot = f"{practitioner.pk}.{location.pk}.{stamp}"

    response = client.post(url, {"slot": slot}) if book else client.get(url, {"slot": slot})

    assert response.status_code in (200, 302, 409), response.status_code


def test_a_slot_pointing_at_a_missing_practitioner_is_a_404_not_an_error(client, clinic):
    location, _practitioner = clinic
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO)
    client.force_login(patient.user)
    url = reverse("patients:book_confirm", args=[intake.public_id])

    response = client.post(url, {"slot": f"987654.{location.pk}.20261124T160000Z"})

    assert response.status_code == 404


# --- The profile -------------------------------------------------------------------------------
PROFILE_FIELDS = {
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "contact_preference",
    "preferred_location",
}


@FUZZ
@given(data=garbage_for(PROFILE_FIELDS).filter(bool))
def test_garbage_to_the_profile_is_refused_with_a_message(client, clinic, data):
    patient = PatientFactory()
    client.force_login(patient.user)

    response = client.post(reverse("patients:profile"), data)

    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert shows_a_refusal(response)


def test_an_empty_profile_post_is_answered_with_a_message(client):
    patient = PatientFactory()
    client.force_login(patient.user)

    response = client.post(reverse("patients:profile"), {})

    assert response.status_code in (200, 400)
    assert shows_a_refusal(response)


@FUZZ
@given(data=garbage_for({"understood", "delete"}))
def test_garbage_to_the_deletion_request_is_refused_or_understood(client, data):
    patient = PatientFactory()
    client.force_login(patient.user)

    response = client.post(reverse("patients:privacy_delete"), data)

    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert "Tick the box" in response.content.decode()
