"""A patient downloads their data and asks to delete their account; a superuser confirms."""

import datetime as dt
import json
import re

import pytest
from allauth.account.models import EmailAddress
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic import notifications, roles
from clinic.errors import NotAllowed
from clinic.models import (
    Appointment,
    AppointmentEvent,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from patients import privacy
from patients.models import AccessLog, Patient
from staff.privacy import confirm_account_deletion
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    make_intake,
    make_staff,
)

pytestmark = pytest.mark.django_db

URGENT = {"cancer_history": True}  # protocol rule R6: alerts the clinic's on-call address


@pytest.fixture
def location():
    return LocationFactory(name="Shakopee", slug="shakopee")


@pytest.fixture
def avery(location):
    patient = PatientFactory(
        first_name="Avery", last_name="Quinn", phone="+16125550123", preferred_location=location
    )
    EmailAddress.objects.create(
        user=patient.user, email=patient.user.email, verified=True, primary=True
    )
    return patient


@pytest.fixture
def blake(location):
    patient = PatientFactory(first_name="Blake", last_name="Other")
    make_intake(location=location, patient=patient)
    AppointmentFactory(patient=patient, location=location)
    return patient


@pytest.fixture
def history(avery, location):
    """Avery's record: an urgent intake, a past visit, a booked one, and messages."""
    intake = make_intake(location=location, patient=avery, **URGENT)
    past = AppointmentFactory(
        patient=avery,
        location=location,
        intake=intake,
        start=timezone.now() - dt.timedelta(days=10),
        status=Appointment.Status.COMPLETED,
    )
    AppointmentEvent.objects.create(appointment=past, kind=AppointmentEvent.Kind.BOOKED)
    future = AppointmentFactory(
        patient=avery, location=location, start=timezone.now() + dt.timedelta(days=5)
    )
    confirmation = notifications.plan_for_appointment(
        appointment=past, kind=NotificationKind.BOOKING_CONFIRMATION, due_at=past.created_at
    )
    Notification.objects.filter(pk=confirmation.pk).update(
        status=NotificationStatus.SENT, sent_at=timezone.now()
    )
    reminders = notifications.plan_reminders(appointment=future)
    return {"intake": intake, "past": past, "future": future, "reminders": reminders}


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="admin@clinic.test")


# --- Download my data ----------------------------------------------------------------------------


def test_my_appointments_page_leads_to_my_data_and_account_deletion(client, avery):
    client.force_login(avery.user)

    page = client.get(reverse("patients:dashboard")).content.decode()

    assert f'href="{reverse("patients:privacy")}"' in page


def test_the_json_export_holds_my_data_and_nobody_elses(client, avery, blake, history):
    client.force_login(avery.user)

    response = client.get(reverse("patients:privacy_export_json"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == avery.user.email
    assert data["profile"]["first_name"] == "Avery"
    assert [i["id"] for i in data["intakes"]] == [str(history["intake"].public_id)]
    [intake] = data["intakes"]
    assert intake["answers"]["cancer_history"] is True
    assert intake["decisions"][0]["urgency"] == "Urgent"
    assert intake["decisions"][0]["decided_by"] == "protocol"
    assert {a["id"] for a in data["appointments"]} == {
        str(history["past"].public_id),
        str(history["future"].public_id),
    }
    kinds = {n["kind"] for n in data["notifications"]}
    assert "Booking confirmation" in kinds
    assert "Reminder" in kinds
    assert not any("Staff alert" in kind for kind in kinds)  # that went to the clinic
    body = response.content.decode()
    assert "Blake" not in body
    assert blake.user.email not in body
    assert str(blake.public_id) not in body


def test_the_export_is_recorded_in_the_access_log(client, avery, history):
    client.force_login(avery.user)

    client.get(reverse("patients:privacy_export_json"))
    client.get(reverse("patients:privacy_export"))

    entries = AccessLog.objects.filter(via="data export")
    assert entries.count() == 2
    assert {(e.actor, e.patient, e.object_type) for e in entries} == {(avery.user, avery, "export")}


def test_the_readable_export_shows_answers_in_words_and_the_visits(client, avery, history):
    client.force_login(avery.user)

    page = client.get(reverse("patients:privacy_export"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Avery" in html
    assert "Physiotherapy assessment" in html
    assert re.search(r"Have you ever had cancer\?</dt><dd[^>]*>Yes</dd>", html)
    assert "urgent" in html
    assert "<script>" not in html


def test_signing_in_is_needed_for_the_privacy_pages(client):
    for name in ("privacy", "privacy_export", "privacy_export_json"):
        response = client.get(reverse(f"patients:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Asking to delete the account --------------------------------------------------------------


def test_asking_to_delete_needs_the_box_ticked(client, avery):
    client.force_login(avery.user)

    response = client.post(reverse("patients:privacy_delete"), {})

    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    avery.refresh_from_db()
    assert avery.deletion_requested_at is None


def test_a_patient_asks_to_delete_and_can_change_their_mind(client, avery):
    client.force_login(avery.user)

    client.post(reverse("patients:privacy_delete"), {"understood": "on"})
    avery.refresh_from_db()
    assert avery.deletion_requested_at is not None
    assert (
        "You asked us to delete your account"
        in client.get(reverse("patients:privacy")).content.decode()
    )

    client.post(reverse("patients:privacy_delete_withdraw"))
    avery.refresh_from_db()
    assert avery.deletion_requested_at is None


def test_asking_twice_keeps_the_first_time(avery):
    first = privacy.account_deletion_request(patient=avery).deletion_requested_at
    again = privacy.account_deletion_request(patient=avery).deletion_requested_at

    assert again == first


# --- A superuser confirms: identity removed, care records and audit kept ------------------------


def test_confirming_removes_the_identity_and_keeps_the_care_records_and_audit(
    client, avery, blake, history, superuser
):
    privacy.account_deletion_request(patient=avery)
    user = avery.user
    audit_before = set(LogEntry.objects.values_list("pk", flat=True))
    AccessLog.objects.create(actor_label="x", patient=avery, object_type="patient", object_id="1")
    client.force_login(superuser)

    listing = client.get(reverse("admin:deletion_requests"))
    assert avery.user.email in listing.content.decode()
    confirm_url = reverse("admin:deletion_confirm", args=[avery.public_id])
    assert client.get(confirm_url).status_code == 200
    response = client.post(confirm_url)

    assert response["Location"] == reverse("admin:deletion_requests")
    avery.refresh_from_db()
    user.refresh_from_db()
    assert (avery.first_name, avery.last_name, avery.date_of_birth, str(avery.phone)) == (
        "",
        "",
        None,
        "",
    )
    assert not user.is_active
    assert not user.has_usable_password()
    assert user.email.startswith("deleted-")
    assert user.email.endswith("@invalid")
    assert not EmailAddress.objects.filter(user=user).exists()
    intake = history["intake"]
    intake.refresh_from_db()
    assert (intake.first_name, intake.last_name, intake.email, intake.phone) == ("", "", "", "")
    assert intake.answers["cancer_history"] is True
    assert intake.decisions.count() == 1
    # The care given stays (linked to a nameless record); the booked visit is cancelled.
    assert set(Appointment.objects.filter(patient=avery)) == {history["past"], history["future"]}
    history["future"].refresh_from_db()
    assert history["future"].status == Appointment.Status.CANCELLED
    for reminder in history["reminders"]:
        reminder.refresh_from_db()
        assert reminder.status == NotificationStatus.CANCELLED
        # The address cleared row by row: the change history has it, by the superuser, without
        # the address itself (issue 19).
        assert any(
            entry.changes_dict.get("recipient", [""])[0] == "[removed]"
            for entry in LogEntry.objects.get_for_object(reminder).filter(actor=superuser)
        )
    assert not privacy.notifications_to(avery).exclude(recipient="").exists()
    assert not Notification.objects.filter(
        appointment__patient=avery, status=NotificationStatus.PENDING
    ).exists()
    # The audit trail is kept whole, and the deletion itself is in it, by the superuser.
    assert audit_before <= set(LogEntry.objects.values_list("pk", flat=True))
    change = LogEntry.objects.get_for_object(avery).order_by("-timestamp", "-pk").first()
    assert change.actor == superuser
    assert AccessLog.objects.filter(patient=avery).exists()
    # Nobody else was touched.
    blake.refresh_from_db()
    assert blake.first_name == "Blake"
    assert blake.user.is_active


def test_a_deleted_account_cannot_sign_in(client, avery, superuser):
    email = avery.user.email
    privacy.account_deletion_request(patient=avery)
    privacy.account_deletion_confirm(patient=avery, actor=superuser)

    response = client.post(
        reverse("account_login"), {"login": email, "password": "a-long-test-password"}
    )

    assert response.status_code == 200
    assert client.get(reverse("patients:dashboard")).status_code == 302


def test_only_a_superuser_confirms_and_only_what_was_asked(avery, superuser):
    manager = make_staff(roles=[roles.LOCATION_MANAGER])

    with pytest.raises(NotAllowed, match="not asked"):
        privacy.account_deletion_confirm(patient=avery, actor=superuser)
    privacy.account_deletion_request(patient=avery)
    with pytest.raises(NotAllowed, match="Only a superuser"):
        privacy.account_deletion_confirm(patient=avery, actor=manager)
    privacy.account_deletion_confirm(patient=avery, actor=superuser)
    with pytest.raises(NotAllowed, match="already been deleted"):
        privacy.account_deletion_confirm(patient=avery, actor=superuser)
    with pytest.raises(NotAllowed, match="already been deleted"):
        privacy.account_deletion_request(patient=avery)


def test_other_staff_cannot_open_the_deletion_requests(client, avery):
    privacy.account_deletion_request(patient=avery)
    client.force_login(make_staff(roles=[roles.LOCATION_MANAGER]))

    assert client.get(reverse("admin:deletion_requests")).status_code == 403
    confirm_url = reverse("admin:deletion_confirm", args=[avery.public_id])
    assert client.post(confirm_url).status_code == 403
    avery.refresh_from_db()
    assert avery.first_name == "Avery"


def test_the_admin_action_confirms_the_selected_requests(avery, blake, superuser):
    privacy.account_deletion_request(patient=avery)
    request = RequestFactory().post("/admin/patients/patient/")
    request.user = superuser
    request.session = {}
    request._messages = FallbackStorage(request)

    confirm_account_deletion(
        admin.site.get_model_admin(Patient), request, Patient.objects.filter(pk__in=[avery.pk])
    )

    avery.refresh_from_db()
    assert avery.first_name == ""
    assert privacy.is_anonymized(avery)
    assert not privacy.deletion_requests_pending().exists()


def test_the_export_costs_the_same_queries_however_long_the_history(client, avery, location):
    client.force_login(avery.user)
    url = reverse("patients:privacy_export_json")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_intake(location=location, patient=avery)
    AppointmentFactory(patient=avery, location=location)
    few = queries()
    for _ in range(4):
        intake = make_intake(location=location, patient=avery, **URGENT)
        AppointmentFactory(patient=avery, location=location, intake=intake)

    assert queries() == few


def test_superusers_find_the_deletion_requests_from_the_admin_index(client, superuser):
    client.force_login(superuser)
    assert reverse("admin:deletion_requests") in client.get("/admin/").content.decode()

    client.force_login(make_staff(roles=[roles.LOCATION_MANAGER]))
    assert reverse("admin:deletion_requests") not in client.get("/admin/").content.decode()


def test_deleting_keeps_the_consent_history_without_the_number(avery, superuser):
    from patients import consent

    consent.sms_opt_in(patient=avery, source=consent.Source.PATIENT, by=avery.user)
    privacy.account_deletion_request(patient=avery)
    privacy.account_deletion_confirm(patient=avery, actor=superuser)

    avery.refresh_from_db()
    assert avery.sms_opt_in_at is None
    [record] = avery.consents.all()
    assert (record.kind, record.granted, record.phone) == ("sms", True, "")
    created = LogEntry.objects.get_for_object(record).get()
    assert "+16125550123" not in json.dumps(created.changes_dict)


def test_the_export_says_what_the_patient_agreed_to(client, avery, settings):
    client.force_login(avery.user)
    profile = client.get(reverse("patients:privacy_export_json")).json()["profile"]
    assert profile["privacy_notice"]["version"] == settings.PRIVACY_NOTICE_VERSION
    assert profile["texts_agreed_at"] is None
