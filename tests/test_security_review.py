"""Issue 19: what an outside security review found, one test (or a few) per finding."""

import datetime as dt
import logging

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic import links, scheduling
from clinic.errors import NotAllowed
from clinic.models import Appointment
from clinic.security import RedactLinkTokens
from patients import selectors, tokens
from patients.models import AccessLog
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    make_intake,
    make_staff,
)

pytestmark = pytest.mark.django_db


# 1. One notion of "privileged" -------------------------------------------------------------


@pytest.fixture
def unticked_superuser():
    """A superuser whose staff status is unticked: a password-only login."""
    return UserFactory(is_superuser=True, is_staff=False)


def test_superuser_without_staff_status_reads_no_one_elses_patient_data(unticked_superuser):
    other = PatientFactory()
    make_intake(patient=other)
    AppointmentFactory(patient=other)
    assert not selectors.scope_patients(unticked_superuser).exists()
    assert not selectors.scope_intakes(unticked_superuser).exists()
    assert not selectors.scope_appointments(unticked_superuser).exists()
    assert not selectors.scope_notifications(unticked_superuser).exists()


def test_superuser_without_staff_status_is_signed_out_without_the_second_factor(
    client, unticked_superuser
):
    client.force_login(unticked_superuser)
    response = client.get(reverse("patients:dashboard"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_superuser_without_staff_status_cannot_make_or_use_api_tokens(unticked_superuser):
    with pytest.raises(NotAllowed):
        tokens.token_create(user=unticked_superuser)
    patient_user = PatientFactory().user
    _record, raw = tokens.token_create(user=patient_user)
    patient_user.is_superuser = True
    patient_user.save()
    assert tokens.token_authenticate(raw) is None


def test_superuser_with_staff_status_still_sees_everything():
    boss = make_staff(is_superuser=True)
    PatientFactory(preferred_location=LocationFactory())
    assert selectors.scope_patients(boss).exists()


# 2. Signed manage links are bound to the appointment as it was -------------------------------


def _manage(client, token):
    return client.get(reverse("patients:appointment_manage_link", args=[token]))


def test_a_manage_link_works_for_the_unchanged_appointment():
    appointment = AppointmentFactory()
    response = _manage(Client(), links.manage_token(appointment))
    assert response.status_code == 200
    assert AccessLog.objects.get().via == "signed manage link"


def test_a_manage_link_is_refused_after_a_cancel(client):
    appointment = AppointmentFactory()
    token = links.manage_token(appointment)
    scheduling.appointment_cancel(
        appointment=appointment, actor=make_staff(is_superuser=True), by_patient=False
    )
    assert _manage(client, token).status_code == 404
    assert not AccessLog.objects.exists()


def test_a_manage_link_is_refused_after_a_move(client):
    appointment = AppointmentFactory()
    token = links.manage_token(appointment)
    appointment.start += dt.timedelta(hours=1)
    appointment.end += dt.timedelta(hours=1)
    appointment.blocked_until += dt.timedelta(hours=1)
    appointment.save()
    assert _manage(client, token).status_code == 404


def test_a_manage_link_is_refused_after_any_change_of_the_appointment(client):
    appointment = AppointmentFactory()
    token = links.manage_token(appointment)
    with time_machine.travel(dt.timedelta(seconds=5)):
        appointment.save()  # updated_at moves
    assert _manage(client, token).status_code == 404


def test_a_manage_link_is_refused_once_the_appointment_has_started(client):
    appointment = AppointmentFactory()
    token = links.manage_token(appointment)
    with time_machine.travel(appointment.start + dt.timedelta(minutes=1)):
        assert _manage(client, token).status_code == 404


def test_a_manage_link_is_refused_after_the_account_is_closed(client):
    appointment = AppointmentFactory()
    token = links.manage_token(appointment)
    user = appointment.patient.user
    user.is_active = False
    user.save()
    assert _manage(client, token).status_code == 404


def test_a_move_through_the_link_hands_out_a_fresh_link(client):
    appointment = AppointmentFactory()
    old = links.manage_token(appointment)
    appointment.start += dt.timedelta(hours=1)
    appointment.end += dt.timedelta(hours=1)
    appointment.blocked_until += dt.timedelta(hours=1)
    appointment.save()
    fresh = links.manage_token(appointment)
    assert fresh != old
    assert _manage(client, fresh).status_code == 200


def test_manage_link_tokens_are_kept_out_of_the_logs():
    token = links.manage_token(AppointmentFactory())
    path = reverse("patients:appointment_manage_link", args=[token])
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (path,), None
    )
    assert RedactLinkTokens().filter(record)
    assert token not in record.getMessage()
    assert "[redacted]" in record.getMessage()
    console = settings.LOGGING["handlers"]["console"]
    assert "redact_link_tokens" in console["filters"]


# 3. API tokens end with the password, and may expire --------------------------------------


def test_a_password_change_revokes_the_api_tokens():
    user = PatientFactory().user
    record, raw = tokens.token_create(user=user, name="app")
    assert tokens.token_authenticate(raw) == user
    user.set_password("another-long-password")
    user.save()
    assert tokens.token_authenticate(raw) is None
    record.refresh_from_db()
    assert record.revoked_at is not None


def test_the_token_page_shows_tokens_of_an_old_password_as_revoked(client):
    user = PatientFactory().user
    record, _raw = tokens.token_create(user=user, name="app")
    user.set_password("another-long-password")
    user.save()
    client.force_login(user)
    client.get(reverse("patients:tokens"))
    record.refresh_from_db()
    assert not record.is_active


def test_a_token_with_an_expiry_stops_working_then():
    user = PatientFactory().user
    expires = timezone.now() + dt.timedelta(days=30)
    _record, raw = tokens.token_create(user=user, name="app", expires_at=expires)
    assert tokens.token_authenticate(raw) == user
    with time_machine.travel(expires + dt.timedelta(seconds=1)):
        assert tokens.token_authenticate(raw) is None


def test_the_token_page_offers_an_expiry(client):
    user = PatientFactory().user
    client.force_login(user)
    client.post(reverse("patients:tokens"), {"name": "app", "expires_in_days": "30"})
    record = tokens.token_list(user=user).get()
    assert record.expires_at is not None
    assert dt.timedelta(days=29) < record.expires_at - timezone.now() <= dt.timedelta(days=30)


# 6. The API answers JSON 4xx for text it cannot store and for a body too large ---------------


def _api_client(user) -> Client:
    _record, raw = tokens.token_create(user=user, name="tests")
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_lone_surrogate_in_api_json_is_refused_not_a_500():
    appointment = AppointmentFactory()
    client = _api_client(appointment.patient.user)
    response = client.post(
        f"/api/v1/appointments/{appointment.public_id}/cancel",
        data='{"reason": "\\ud800"}',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "reason"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_a_body_over_the_size_limit_answers_json_on_the_api():
    client = _api_client(PatientFactory().user)
    body = '{"reason": "' + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = client.post(
        "/api/v1/appointments/00000000-0000-4000-8000-000000000000/cancel",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]
