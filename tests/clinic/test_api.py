"""The JSON API under /api/v1/: what a client sees, from the public catalogue to booking.

Times are frozen on a winter Monday in Chicago (CST, -06:00) unless a test travels elsewhere.
"""

import datetime as dt
import hashlib
import re
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import Appointment, AppointmentStatus, Discipline
from patients import tokens
from patients.models import AccessLog, ApiToken
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    StaffFactory,
    UserFactory,
    WorkingHoursFactory,
    make_intake,
)

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
WINTER_MONDAY = dt.datetime(2027, 1, 11, 8, 0, tzinfo=CHICAGO)
PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}  # medium STarT Back risk: physiotherapy
IMAGING = {"load_increase": True, "hop_pain": True}  # R14: a scan, scheduled by staff


@pytest.fixture(autouse=True)
def _winter_monday():
    with time_machine.travel(WINTER_MONDAY, tick=False):
        yield


@pytest.fixture
def clinic():
    """One Chicago clinic, a physiotherapist working weekdays 09:00-13:00, and the services."""
    location = LocationFactory(slug="shakopee", name="Shakopee", time_zone="America/Chicago")
    practitioner = PractitionerFactory(locations=[location], display_name="Jordan Physio")
    for weekday in range(5):
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    physio = ServiceFactory()  # 45 minutes + 15 buffer: slots at 9, 10, 11, 12
    imaging = ServiceFactory(
        slug="lumbar-mri",
        name="Lumbar MRI",
        pathway="imaging",
        discipline=Discipline.IMAGING,
        duration_minutes=30,
        bookable_online=False,
    )
    return location, practitioner, physio, imaging


def token_for(user, name="tests") -> str:
    return tokens.token_create(user=user, name=name)[1]


def api(token=None, **extra) -> Client:
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(**extra)


@pytest.fixture
def patient():
    return PatientFactory()


@pytest.fixture
def client_for(patient):
    return api(token_for(patient.user))


def tuesday_at(hour: int) -> str:
    return dt.datetime(2027, 1, 12, hour, tzinfo=CHICAGO).isoformat()


def intake_answers(**overrides) -> dict:
    from tests.triage.strategies import baseline_answers

    return {**baseline_answers(**overrides), "preferred_location": "shakopee"}


def booking(clinic, intake, hour=10) -> dict:
    location, practitioner, physio, _imaging = clinic
    return {
        "service": physio.slug,
        "location": location.slug,
        "practitioner": practitioner.pk,
        "start": tuesday_at(hour),
        "intake": str(intake.public_id),
    }


# --- Public catalogue -----------------------------------------------------------------------------
def test_locations_and_services_are_public(clinic):
    locations = api().get("/api/v1/locations")
    services = api().get("/api/v1/services")
    assert locations.status_code == 200
    assert locations.json()[0]["slug"] == "shakopee"
    assert locations.json()[0]["time_zone"] == "America/Chicago"
    assert services.status_code == 200
    assert {s["slug"]: s["bookable_online"] for s in services.json()} == {
        "lumbar-mri": False,
        "physio-assessment": True,
    }


def test_slots_are_public_and_carry_the_winter_offset_of_chicago(clinic):
    _location, practitioner, _physio, _imaging = clinic
    response = api().get(
        "/api/v1/slots",
        {"service": "physio-assessment", "date_from": "2027-01-12", "date_to": "2027-01-12"},
    )
    assert response.status_code == 200
    slots = response.json()
    assert [s["start"] for s in slots] == [
        "2027-01-12T09:00:00-06:00",
        "2027-01-12T10:00:00-06:00",
        "2027-01-12T11:00:00-06:00",
        "2027-01-12T12:00:00-06:00",
    ]
    assert slots[0] == {
        "start": "2027-01-12T09:00:00-06:00",
        "end": "2027-01-12T09:45:00-06:00",
        "practitioner": practitioner.pk,
        "practitioner_name": "Jordan Physio",
        "location": "shakopee",
        "service": "physio-assessment",
    }


def test_summer_slots_carry_the_daylight_saving_offset(clinic):
    with time_machine.travel(dt.datetime(2027, 7, 5, 8, tzinfo=CHICAGO), tick=False):
        response = api().get(
            "/api/v1/slots",
            {
                "service": "physio-assessment",
                "location": "shakopee",
                "date_from": "2027-07-06",
                "date_to": "2027-07-06",
            },
        )
    assert response.json()[0]["start"] == "2027-07-06T09:00:00-05:00"


def test_slots_of_another_location_are_not_offered_when_one_is_asked_for(clinic):
    LocationFactory(slug="delano")
    response = api().get(
        "/api/v1/slots",
        {
            "service": "physio-assessment",
            "location": "delano",
            "date_from": "2027-01-12",
            "date_to": "2027-01-12",
        },
    )
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2027-02-30", "date_to": "2027-03-01"}, "date_from"),
        ({"date_from": "1999-12-31", "date_to": "2027-01-12"}, "date_from"),
        ({"date_from": "2027-01-12", "date_to": "3000-01-01"}, "date_to"),
        ({"date_from": "2027-01-12", "date_to": "2027-01-13", "service": "massage"}, "service"),
        ({"date_from": "2027-01-12", "date_to": "2027-01-13", "location": "mars"}, "location"),
        ({"date_from": "2027-01-12", "date_to": "2027-01-13", "service": "a b"}, "service"),
    ],
)
def test_bad_slot_queries_are_refused_with_the_field_named(clinic, query, field):
    response = api().get("/api/v1/slots", {"service": "physio-assessment", **query})
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]


def test_a_month_of_slots_is_the_most_one_request_returns(clinic):
    response = api().get(
        "/api/v1/slots",
        {"service": "physio-assessment", "date_from": "2027-01-12", "date_to": "2027-02-11"},
    )
    assert response.status_code == 200
    assert len(response.json()) == 4 * 23  # 23 weekdays from 12 January to 11 February
    # A longer range lists the same month: ask again from 12 February for more.
    longer = api().get(
        "/api/v1/slots",
        {"service": "physio-assessment", "date_from": "2027-01-12", "date_to": "2037-01-12"},
    )
    assert longer.status_code == 200
    assert longer.json() == response.json()


def test_a_date_to_before_date_from_is_an_empty_range(clinic):
    response = api().get(
        "/api/v1/slots",
        {"service": "physio-assessment", "date_from": "2027-01-20", "date_to": "2027-01-12"},
    )
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("unknown", [{"location": "nowhere"}, {"service": "no-such-service"}])
def test_an_unknown_location_or_service_is_refused_whatever_the_dates(clinic, unknown):
    query = {"service": "physio-assessment", "date_from": "2027-01-20", "date_to": "2027-01-12"}
    response = api().get("/api/v1/slots", query | unknown)
    assert response.status_code == 422
    assert next(iter(unknown)) in str(response.json())


# --- Authentication -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/intakes"),
        ("get", "/api/v1/intakes/00000000-0000-4000-8000-000000000000"),
        ("get", "/api/v1/intakes/00000000-0000-4000-8000-000000000000/slots"),
        ("get", "/api/v1/appointments"),
        ("post", "/api/v1/appointments"),
        ("post", "/api/v1/appointments/00000000-0000-4000-8000-000000000000/cancel"),
    ],
)
def test_patient_endpoints_need_a_token_or_a_session(method, path):
    response = getattr(api(), method)(path, {}, content_type="application/json")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(patient):
    record, token = tokens.token_create(user=patient.user, name="laptop")
    assert api(token).get("/api/v1/appointments").status_code == 200
    tokens.token_revoke(token=record, actor=patient.user)
    assert api(token).get("/api/v1/appointments").status_code == 401
    assert api(token).post("/api/v1/intakes", {}, content_type="application/json").status_code == (
        401
    )


def test_a_made_up_or_malformed_token_is_refused(patient):
    token = token_for(patient.user)
    for presented in (token[:-1] + "x", "bst_", token.upper(), "Token " + token):
        response = api().get("/api/v1/appointments", HTTP_AUTHORIZATION=f"Bearer {presented}")
        assert response.status_code == 401


def test_a_token_of_a_deactivated_account_authenticates_nobody(patient):
    token = token_for(patient.user)
    patient.user.is_active = False
    patient.user.save()
    assert api(token).get("/api/v1/appointments").status_code == 401


def test_a_token_records_when_it_was_last_used(patient):
    record, token = tokens.token_create(user=patient.user, name="watch")
    assert record.last_used_at is None
    api(token).get("/api/v1/appointments")
    record.refresh_from_db()
    assert record.last_used_at == WINTER_MONDAY


def test_tokens_are_stored_only_as_their_sha256(patient):
    record, token = tokens.token_create(user=patient.user, name="phone")
    assert token.startswith("bst_")
    assert len(token) > 40
    stored = ApiToken.objects.filter(pk=record.pk).values().get()
    assert token not in {str(value) for value in stored.values()}
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert stored["key_prefix"] == token[:8]


def test_staff_accounts_cannot_have_tokens():
    with pytest.raises(tokens.NotAllowed):
        tokens.token_create(user=StaffFactory(), name="admin script")


def test_the_session_works_with_its_csrf_token_for_changes(clinic):
    user = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.get("/api/v1/appointments").status_code == 200
    refused = browser.post("/api/v1/intakes", intake_answers(**PHYSIO), "application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    # Any page sets the CSRF cookie (this account has not accepted the privacy notice yet, so
    # the page is the one that asks).
    browser.get("/me/tokens/", follow=True)
    accepted = browser.post(
        "/api/v1/intakes",
        intake_answers(**PHYSIO),
        "application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert accepted.status_code == 201


def test_create_api_token_command_prints_a_working_token(patient):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token", patient.user.email.upper(), "--name", "cron", stdout=out, stderr=err
    )
    token = out.getvalue().strip()
    assert api(token).get("/api/v1/appointments").status_code == 200
    assert ApiToken.objects.get(user=patient.user).name == "cron"
    assert "shown only this once" in err.getvalue()


def test_create_api_token_command_refuses_an_unknown_email():
    with pytest.raises(CommandError, match="No account"):
        call_command("create_api_token", "nobody@example.test", stdout=StringIO())


# --- Intakes --------------------------------------------------------------------------------------
def test_submitting_answers_returns_the_protocol_decision(clinic, patient, client_for):
    response = client_for.post("/api/v1/intakes", intake_answers(**PHYSIO), "application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["pathway"] == "physio"
    assert body["urgency"] == "routine"
    assert body["sbst_risk"] == "medium"
    assert body["emergency_advice"] is False
    assert body["book_online"] == "physio-assessment"
    assert body["red_flags"] == []
    intake = patient.intakes.get()
    assert str(intake.public_id) == body["id"]
    assert (intake.first_name, intake.email) == (patient.first_name, patient.user.email)
    assert body["created_at"].endswith("-06:00")


def test_an_emergency_answer_set_says_so(clinic, client_for):
    response = client_for.post(
        "/api/v1/intakes", intake_answers(saddle_numbness=True), "application/json"
    )
    body = response.json()
    assert (body["urgency"], body["emergency_advice"]) == ("emergency", True)
    assert body["red_flags"] == ["cauda_equina"]
    assert body["book_online"] is None


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"age": "thirty"}, {"age"}),
        ({"age": 15}, {"age"}),
        ({"fever": "yes"}, {"fever"}),
        ({"fever": 1, "pain_score": 11}, {"fever", "pain_score"}),
        ({"leg_weakness": "wobbly"}, {"leg_weakness"}),
        ({"sbst_9": None}, {"sbst_9"}),
        ({"favourite_shoe": "trail"}, {"favourite_shoe"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"first_name": "Sam\x00"}, {"first_name"}),
        ({"preferred_location": "atlantis"}, {"preferred_location"}),
    ],
)
def test_invalid_answers_are_refused_naming_each_field(clinic, patient, client_for, change, fields):
    response = client_for.post(
        "/api/v1/intakes", intake_answers(**PHYSIO) | change, "application/json"
    )
    assert response.status_code == 422
    assert {error["loc"][-1] for error in response.json()["detail"]} == fields
    assert not patient.intakes.exists()


def test_a_missing_answer_is_named(clinic, client_for):
    answers = intake_answers()
    del answers["night_pain"]
    response = client_for.post("/api/v1/intakes", answers, "application/json")
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == ["night_pain"]


def test_malformed_json_is_a_400_with_a_detail(client_for):
    response = client_for.post("/api/v1/intakes", "{not json", "application/json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_reading_an_intake_is_for_its_patient_and_logged(clinic, patient, client_for):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    response = client_for.get(f"/api/v1/intakes/{intake.public_id}")
    assert response.status_code == 200
    assert response.json()["pathway"] == "physio"
    log = AccessLog.objects.get(object_type="intake")
    assert (log.actor, log.object_id) == (patient.user, str(intake.public_id))
    assert log.via == f"API GET /api/v1/intakes/{intake.public_id}"


def test_another_patients_intake_is_not_found(clinic, client_for):
    theirs = make_intake(location=clinic[0], patient=PatientFactory(), **PHYSIO)
    response = client_for.get(f"/api/v1/intakes/{theirs.public_id}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# --- Appointments ---------------------------------------------------------------------------------
def test_a_physio_intake_books_a_free_slot(clinic, patient, client_for):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    response = client_for.post("/api/v1/appointments", booking(clinic, intake), "application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["start"] == "2027-01-12T10:00:00-06:00"
    assert body["end"] == "2027-01-12T10:45:00-06:00"
    assert body["status"] == "booked"
    assert (body["service"], body["location"]) == ("physio-assessment", "shakopee")
    assert body["intake"] == str(intake.public_id)
    assert body["can_change"] is True
    appointment = Appointment.objects.get(public_id=body["id"])
    assert appointment.patient == patient
    # The change history names the token's owner, not an anonymous caller.
    entry = LogEntry.objects.get_for_object(appointment).get()
    assert entry.actor == patient.user


def test_a_taken_slot_is_a_409_with_the_nearest_free_times(clinic, client_for, patient):
    first = PatientFactory()
    first_intake = make_intake(location=clinic[0], patient=first, **PHYSIO)
    assert (
        api(token_for(first.user))
        .post("/api/v1/appointments", booking(clinic, first_intake), "application/json")
        .status_code
        == 201
    )
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    response = client_for.post("/api/v1/appointments", booking(clinic, intake), "application/json")
    assert response.status_code == 409
    body = response.json()
    assert "taken" in body["detail"]
    assert [slot["start"] for slot in body["alternatives"]] == [
        "2027-01-12T09:00:00-06:00",
        "2027-01-12T11:00:00-06:00",
        "2027-01-12T12:00:00-06:00",
    ]


def test_an_imaging_pathway_is_not_booked_online(clinic, patient, client_for):
    location, _practitioner, _physio, imaging = clinic
    intake = make_intake(location=location, patient=patient, **IMAGING)
    assert intake.current_decision.pathway == "imaging"
    response = client_for.post(
        "/api/v1/appointments",
        {**booking(clinic, intake), "service": imaging.slug},
        "application/json",
    )
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]
    assert not Appointment.objects.exists()


def test_booking_with_another_patients_intake_is_not_found(clinic, client_for):
    theirs = make_intake(location=clinic[0], patient=PatientFactory(), **PHYSIO)
    response = client_for.post("/api/v1/appointments", booking(clinic, theirs), "application/json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2027-01-12T10:00:00"}, "start"),  # no offset: which 10:00?
        ({"start": "next tuesday"}, "start"),
        ({"start": "0001-01-01T00:00:00+14:00"}, "start"),
        ({"practitioner": "Jordan"}, "practitioner"),
        ({"practitioner": 0}, "practitioner"),
        ({"practitioner": 999999}, "practitioner"),
        ({"intake": "not-a-uuid"}, "intake"),
        ({"service": "massage"}, "service"),
        ({"location": "nowhere"}, "location"),
        ({"service": "massage", "location": "nowhere"}, "service"),  # one at a time
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_bookings_are_refused_with_the_field_named(clinic, patient, client_for, change, field):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    response = client_for.post(
        "/api/v1/appointments", booking(clinic, intake) | change, "application/json"
    )
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]


def test_a_practitioner_who_no_longer_works_here_is_refused_with_the_field_named(
    clinic, patient, client_for
):
    _location, practitioner, _physio, _imaging = clinic
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    practitioner.is_active = False
    practitioner.save()
    response = client_for.post("/api/v1/appointments", booking(clinic, intake), "application/json")
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == ["practitioner"]
    assert not Appointment.objects.exists()


def test_a_time_that_is_not_a_slot_is_refused(clinic, patient, client_for):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    payload = booking(clinic, intake) | {"start": "2027-01-12T10:20:00-06:00"}
    response = client_for.post("/api/v1/appointments", payload, "application/json")
    assert response.status_code == 403
    assert "not offered" in response.json()["detail"]


def test_the_list_shows_only_the_patients_own_appointments(clinic, patient, client_for):
    mine = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    client_for.post("/api/v1/appointments", booking(clinic, mine, hour=9), "application/json")
    other = PatientFactory()
    theirs = make_intake(location=clinic[0], patient=other, **PHYSIO)
    api(token_for(other.user)).post(
        "/api/v1/appointments", booking(clinic, theirs, hour=11), "application/json"
    )
    listed = client_for.get("/api/v1/appointments").json()
    assert [a["start"] for a in listed] == ["2027-01-12T09:00:00-06:00"]


def test_listing_appointments_takes_the_same_queries_for_one_or_many(
    clinic, patient, client_for, django_assert_max_num_queries
):
    location, practitioner, physio, _imaging = clinic
    for day in range(12, 17):
        AppointmentFactory(
            patient=patient,
            practitioner=practitioner,
            location=location,
            service=physio,
            start=dt.datetime(2027, 1, day, 9, tzinfo=CHICAGO),
        )
    # The token (and its last-used stamp), the patient record (get_or_create: a savepoint), and
    # the appointments with everything they show, in one query whatever their number.
    with django_assert_max_num_queries(6):
        listed = client_for.get("/api/v1/appointments")
    assert len(listed.json()) == 5


def test_cancelling_then_cancelling_again(clinic, patient, client_for):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    booked = client_for.post("/api/v1/appointments", booking(clinic, intake), "application/json")
    url = f"/api/v1/appointments/{booked.json()['id']}/cancel"
    cancelled = client_for.post(url, {"reason": "feeling better"}, "application/json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = client_for.post(url, content_type="application/json")  # the reason is optional
    assert again.status_code == 409
    assert again.json() == {
        "detail": "An appointment that is cancelled cannot become cancelled.",
        "alternatives": [],
    }


def test_rescheduling_moves_the_same_appointment(clinic, patient, client_for):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    booked = client_for.post("/api/v1/appointments", booking(clinic, intake), "application/json")
    moved = client_for.post(
        f"/api/v1/appointments/{booked.json()['id']}/reschedule",
        {"start": tuesday_at(12)},
        "application/json",
    )
    assert moved.status_code == 200
    assert moved.json()["id"] == booked.json()["id"]
    assert moved.json()["start"] == "2027-01-12T12:00:00-06:00"


def test_rescheduling_into_a_taken_time_is_a_409_with_alternatives(clinic, patient, client_for):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    booked = client_for.post("/api/v1/appointments", booking(clinic, intake), "application/json")
    other = PatientFactory()
    theirs = make_intake(location=clinic[0], patient=other, **PHYSIO)
    api(token_for(other.user)).post(
        "/api/v1/appointments", booking(clinic, theirs, hour=12), "application/json"
    )
    response = client_for.post(
        f"/api/v1/appointments/{booked.json()['id']}/reschedule",
        {"start": tuesday_at(12)},
        "application/json",
    )
    assert response.status_code == 409
    assert response.json()["alternatives"]


def test_within_a_day_of_the_visit_changes_are_refused(clinic, patient, client_for):
    intake = make_intake(location=clinic[0], patient=patient, **PHYSIO)
    booked = client_for.post("/api/v1/appointments", booking(clinic, intake), "application/json")
    with time_machine.travel(dt.datetime(2027, 1, 11, 12, tzinfo=CHICAGO), tick=False):
        response = client_for.post(
            f"/api/v1/appointments/{booked.json()['id']}/cancel", content_type="application/json"
        )
    assert response.status_code == 403
    assert "24 hours" in response.json()["detail"]


def test_another_patients_appointment_is_not_found(clinic, client_for):
    other = PatientFactory()
    theirs = make_intake(location=clinic[0], patient=other, **PHYSIO)
    booked = api(token_for(other.user)).post(
        "/api/v1/appointments", booking(clinic, theirs), "application/json"
    )
    public_id = booked.json()["id"]
    for path, body in (("cancel", {}), ("reschedule", {"start": tuesday_at(12)})):
        response = client_for.post(
            f"/api/v1/appointments/{public_id}/{path}", body, "application/json"
        )
        assert response.status_code == 404
    assert Appointment.objects.get(public_id=public_id).status == AppointmentStatus.BOOKED


def test_staff_sessions_do_not_act_as_patients(clinic):
    staff = StaffFactory(locations=[clinic[0]])
    browser = Client()
    browser.force_login(staff)
    # Staff sessions count only with the second factor: mark this one as having passed it.
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = browser.get("/api/v1/appointments")
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


# --- Rate limits ----------------------------------------------------------------------------------
@override_settings(API_RATE_LIMIT_READ=3)
def test_too_many_reads_in_a_minute_are_a_429_with_retry_after(clinic, client_for):
    statuses = [client_for.get("/api/v1/appointments").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client_for.get("/api/v1/locations")
    assert limited.status_code == 429
    assert limited.json() == {"detail": "Too many requests."}
    assert 0 < int(limited["Retry-After"]) <= 60
    # A new minute is a new window.
    with time_machine.travel(WINTER_MONDAY + dt.timedelta(minutes=1), tick=False):
        assert client_for.get("/api/v1/appointments").status_code == 200


@override_settings(API_RATE_LIMIT_READ=2)
def test_each_caller_has_their_own_budget(clinic, client_for):
    for _ in range(2):
        client_for.get("/api/v1/locations")
    assert client_for.get("/api/v1/locations").status_code == 429
    assert api(token_for(PatientFactory().user)).get("/api/v1/locations").status_code == 200
    assert api().get("/api/v1/locations").status_code == 200  # anonymous: by address


@override_settings(API_RATE_LIMIT_WRITE=1)
def test_writes_have_a_smaller_budget_than_reads(clinic, client_for):
    first = client_for.post("/api/v1/intakes", intake_answers(**PHYSIO), "application/json")
    second = client_for.post("/api/v1/intakes", intake_answers(**PHYSIO), "application/json")
    assert (first.status_code, second.status_code) == (201, 429)
    assert client_for.get("/api/v1/appointments").status_code == 200


@override_settings(
    API_RATE_LIMIT_READ=1,
    # Nothing listens on port 1: the cache is down.
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    },
)
def test_the_api_keeps_working_when_the_rate_limit_cache_is_down(clinic):
    statuses = [api().get("/api/v1/locations").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


# --- Schema and docs ------------------------------------------------------------------------------
def test_the_schema_documents_every_operation_and_its_errors():
    schema = api().get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == {
        ("GET", "/api/v1/locations"),
        ("GET", "/api/v1/services"),
        ("GET", "/api/v1/slots"),
        ("POST", "/api/v1/intakes"),
        ("GET", "/api/v1/intakes/{id}"),
        ("GET", "/api/v1/intakes/{id}/slots"),
        ("GET", "/api/v1/appointments"),
        ("POST", "/api/v1/appointments"),
        ("POST", "/api/v1/appointments/{id}/cancel"),
        ("POST", "/api/v1/appointments/{id}/reschedule"),
    }
    for operation in operations.values():
        assert "429" in operation["responses"]
    assert "200" not in operations["POST", "/api/v1/appointments"]["responses"]
    assert set(operations["POST", "/api/v1/appointments"]["responses"]) >= {
        "201",
        "400",
        "401",
        "403",
        "404",
        "409",
        "422",
    }


def test_the_docs_page_loads_swagger_from_our_own_static_files():
    response = api().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    # Every script and stylesheet comes from here, none from a CDN (the page's random CSRF
    # token may spell "cdn": only the addresses are looked at).
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert addresses
    assert [a for a in addresses if not a.startswith("/")] == []


# --- The account page ---------------------------------------------------------------------------
def test_a_patient_makes_a_token_on_the_account_page_and_sees_it_once(patient):
    browser = Client()
    browser.force_login(patient.user)
    made = browser.post("/me/tokens/", {"name": "training app"})
    assert made.status_code == 200
    token = made.context["new_token"]
    assert token in made.content.decode()
    assert "no-store" in made["Cache-Control"]
    assert api(token).get("/api/v1/appointments").status_code == 200
    again = browser.get("/me/tokens/").content.decode()
    assert token not in again
    assert "training app" in again
    assert token[:8] in again


def test_a_patient_revokes_a_token_from_the_account_page(patient):
    record, token = tokens.token_create(user=patient.user, name="old phone")
    browser = Client()
    browser.force_login(patient.user)
    assert browser.get(f"/me/tokens/{record.pk}/revoke/").status_code == 405
    response = browser.post(f"/me/tokens/{record.pk}/revoke/")
    assert response.status_code == 302
    assert api(token).get("/api/v1/appointments").status_code == 401


def test_someone_elses_token_cannot_be_revoked():
    record, token = tokens.token_create(user=UserFactory(), name="theirs")
    browser = Client()
    browser.force_login(UserFactory())
    assert browser.post(f"/me/tokens/{record.pk}/revoke/").status_code == 404
    assert api(token).get("/api/v1/appointments").status_code == 200


def test_the_token_page_needs_a_csrf_token_to_make_one(patient):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(patient.user)
    assert browser.post("/me/tokens/", {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_token_page_needs_sign_in():
    response = Client().get("/me/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
