"""Issue 19, second part: audit gaps, control characters, recovery codes, deletion."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles
from clinic.middleware import AuditlogMiddleware
from patients import services, tokens
from patients.forms import CancelForm, ProfileForm
from patients.models import AccessLog
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    admin_login,
    make_intake,
    make_staff,
)

pytestmark = pytest.mark.django_db


def _changes(instance) -> list[dict]:
    return [entry.changes_dict for entry in LogEntry.objects.get_for_object(instance)]


def _all_changed_fields(instance) -> set[str]:
    return {name for changes in _changes(instance) for name in changes}


# 1. Audit gaps -------------------------------------------------------------------------------


def test_changes_to_an_accounts_email_superuser_status_roles_and_locations_are_audited():
    user = UserFactory(email="before@example.test")
    location = LocationFactory()
    user.email = "after@example.test"
    user.is_staff = user.is_superuser = True
    user.save()
    user.groups.add(Group.objects.get(name=roles.SCHEDULER))
    user.locations.add(location)

    changed = _all_changed_fields(user)
    assert {"email", "is_superuser", "is_staff", "groups", "locations"} <= changed
    assert any(
        changes.get("email") == ["before@example.test", "after@example.test"]
        for changes in _changes(user)
    )
    assert "password" not in changed


def test_api_tokens_are_audited_without_their_hash():
    user = UserFactory()
    record, _raw = tokens.token_create(user=user, name="laptop")
    tokens.token_revoke(token=record, actor=user)

    changed = _all_changed_fields(record)
    assert "revoked_at" in changed
    assert "name" in changed
    assert not changed & {"token_hash", "password_marker"}


def test_authenticator_devices_are_audited_without_their_secret():
    device = TOTPDevice.objects.create(user=UserFactory(), name="phone", confirmed=False)
    device.confirmed = True
    device.save()

    changed = _all_changed_fields(device)
    assert "confirmed" in changed
    assert "key" not in changed


def test_claiming_an_intake_records_the_patients_new_preferred_location_in_the_audit_log():
    location = LocationFactory()
    intake = make_intake(location=location)
    patient = PatientFactory(preferred_location=None)

    services.claim_session_intake(public_id=str(intake.public_id), patient=patient)

    patient.refresh_from_db()
    assert patient.preferred_location == location
    assert "preferred_location" in _all_changed_fields(patient)


def test_the_admin_patient_list_and_its_search_record_each_patient_shown(client):
    location = LocationFactory()
    shown = PatientFactory(last_name="Zebrowski", preferred_location=location)
    PatientFactory(last_name="Other", preferred_location=location)
    staff = make_staff(roles=[roles.SCHEDULER], locations=[location])
    admin_login(client, staff)

    response = client.get("/admin/patients/patient/", {"q": "Zebrowski"})

    assert response.status_code == 200
    logged = AccessLog.objects.filter(actor=staff, object_type="patient list")
    assert [(entry.patient_id, entry.object_id) for entry in logged] == [
        (shown.pk, str(shown.public_id))
    ]
    assert "q=Zebrowski" in logged.get().via


def test_the_admin_appointment_list_records_each_appointment_shown(client):
    appointment = AppointmentFactory()
    staff = make_staff(roles=[roles.SCHEDULER], locations=[appointment.location])
    admin_login(client, staff)

    assert client.get("/admin/clinic/appointment/").status_code == 200

    logged = AccessLog.objects.filter(actor=staff, object_type="appointment list")
    assert [entry.object_id for entry in logged] == [str(appointment.public_id)]


def _api_client(user, **extra) -> Client:
    _record, raw = tokens.token_create(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", **extra)


def test_the_api_appointment_list_records_each_appointment_read():
    appointment = AppointmentFactory()

    response = _api_client(appointment.patient.user).get("/api/v1/appointments")

    assert response.status_code == 200
    entry = AccessLog.objects.get(actor=appointment.patient.user)
    assert entry.object_id == str(appointment.public_id)
    assert entry.patient_id == appointment.patient_id
    assert entry.via == "API GET /api/v1/appointments"


def test_the_access_log_keeps_the_clients_address_behind_the_trusted_proxy(settings):
    settings.NINJA_NUM_PROXIES = 1
    appointment = AppointmentFactory()
    client = _api_client(
        appointment.patient.user,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )

    client.get("/api/v1/appointments")

    assert AccessLog.objects.get().ip_address == "203.0.113.7"


def test_the_access_log_ignores_a_client_sent_forwarded_for_without_a_proxy(settings):
    settings.NINJA_NUM_PROXIES = 0
    appointment = AppointmentFactory()
    client = _api_client(
        appointment.patient.user, REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )

    client.get("/api/v1/appointments")

    assert AccessLog.objects.get().ip_address == "198.51.100.4"


def test_the_change_history_does_not_trust_a_client_sent_forwarded_for(settings):
    settings.NINJA_NUM_PROXIES = 0
    patient = PatientFactory()

    def view(request):
        patient.phone = "(952) 555-0199"
        patient.save()

    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6", HTTP_X_FORWARDED_PORT="1"
    )
    request.user = UserFactory()
    AuditlogMiddleware(view)(request)

    entry = LogEntry.objects.get_for_object(patient).latest("timestamp")
    assert entry.remote_addr == "198.51.100.4"
    assert entry.remote_port is None


def test_the_change_history_keeps_the_clients_address_behind_the_trusted_proxy(settings):
    settings.NINJA_NUM_PROXIES = 1
    patient = PatientFactory()

    def view(request):
        patient.phone = "(952) 555-0198"
        patient.save()

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    request.user = UserFactory()
    AuditlogMiddleware(view)(request)

    assert LogEntry.objects.get_for_object(patient).latest("timestamp").remote_addr == (
        "203.0.113.7"
    )


# 2. The patient forms refuse the control characters the API refuses ----------------------


@pytest.mark.parametrize("text", ["Al\x1bex", "Al\tex", "Al\x7fex", "Al\ud800ex"])
def test_the_profile_form_refuses_control_characters_in_a_name(text):
    patient = PatientFactory()
    form = ProfileForm(
        {"first_name": text, "last_name": "Runner", "contact_preference": "email"},
        instance=patient,
    )
    assert not form.is_valid()
    assert "control characters" in form.errors["first_name"][0]


def test_the_profile_form_still_takes_plain_text_with_accents_and_apostrophes():
    form = ProfileForm(
        {"first_name": "Zoë", "last_name": "O'Brien-Núñez", "contact_preference": "email"},
        instance=PatientFactory(),
    )
    assert form.is_valid(), form.errors


def test_the_cancel_form_refuses_control_characters_in_the_reason():
    form = CancelForm({"reason": "feeling\x08 better"})
    assert not form.is_valid()
    assert "reason" in form.errors


def test_the_profile_page_refuses_a_name_with_control_characters(client):
    patient = PatientFactory(first_name="Alex")
    client.force_login(patient.user)
    response = client.post(
        reverse("patients:profile"),
        {"first_name": "Al\x1bex", "last_name": "Runner", "contact_preference": "email"},
    )
    assert response.status_code in (200, 400)
    patient.refresh_from_db()
    assert patient.first_name == "Alex"


# 5. Deleting an account removes the identity from the audit trail too ---------------------


def test_deleting_an_account_pseudonymises_the_audit_trail_and_access_log_labels(client):
    from patients import privacy
    from patients.selectors import Access, access_patient

    patient = PatientFactory(first_name="Avery", last_name="Quill", phone="+19525550142")
    user = patient.user
    email = user.email
    intake = make_intake(patient=patient)
    patient.phone = "+19525550143"
    patient.save()
    access_patient(Access(actor=user, via="test"), public_id=patient.public_id)
    superuser = make_staff(is_superuser=True)
    privacy.account_deletion_request(patient=patient)

    privacy.account_deletion_confirm(patient=patient, actor=superuser)

    entries = LogEntry.objects.filter(object_pk__in=[str(patient.pk), str(user.pk), str(intake.pk)])
    assert entries.exists()
    trail = " ".join(
        f"{entry.changes} {entry.changes_text} {entry.object_repr} {entry.actor_email}"
        for entry in LogEntry.objects.all()
    )
    for identifying in ("Avery", "Quill", "5550142", "5550143", email, "Sam", "Strider"):
        assert identifying not in trail
    labels = list(AccessLog.objects.filter(actor=user).values_list("actor_label", flat=True))
    assert labels
    assert all(email not in label for label in labels)
    # The entries themselves stay: what changed, when, by whom.
    assert LogEntry.objects.get_for_object(patient).filter(actor=superuser).exists()


def test_the_privacy_page_says_what_the_security_records_keep(client):
    patient = PatientFactory()
    client.force_login(patient.user)
    html = client.get(reverse("patients:privacy")).content.decode()
    assert "security records of who looked at or changed your details" in html
