"""Texts only with a recorded opt-in; STOP and START from the patient's phone; Twilio."""

from unittest import mock
from urllib.parse import parse_qsl

import pytest
import requests
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from clinic import notifications
from clinic.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from clinic.sms import LocmemSMSBackend, TwilioSMSBackend
from patients.models import ConsentRecord
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db

PHONE = "+16125550123"
TOKEN = "test-auth-token"  # a made-up secret for signing test requests


@pytest.fixture(autouse=True)
def _empty_outbox():
    LocmemSMSBackend.outbox.clear()


def reminder_for(patient):
    appointment = AppointmentFactory(patient=patient)
    return notifications.plan_for_appointment(
        appointment=appointment, kind=NotificationKind.REMINDER, due_at=timezone.now()
    )


def test_a_patient_who_chose_texts_but_never_opted_in_gets_email_not_a_text():
    patient = PatientFactory(contact_preference="sms", phone=PHONE, sms_opt_in_at=None)
    notification = reminder_for(patient)
    assert (notification.channel, notification.recipient) == (
        NotificationChannel.EMAIL,
        patient.email,
    )


def test_an_opted_in_patient_gets_a_text():
    patient = PatientFactory(contact_preference="sms", phone=PHONE)
    notification = reminder_for(patient)
    assert (notification.channel, notification.recipient) == (NotificationChannel.SMS, PHONE)


def inbound(client, body, *, from_number=PHONE, token=TOKEN, sign_with=TOKEN):
    params = {"From": from_number, "To": "+19525550000", "Body": body, "MessageSid": "SM1"}
    path = reverse("sms_inbound")
    with override_settings(TWILIO_AUTH_TOKEN=token, SITE_URL="https://book.example.org"):
        signature = RequestValidator(sign_with).compute_signature(
            "https://book.example.org" + path, params
        )
        return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_stop_stops_texts_and_start_resumes_them(client):
    patient = PatientFactory(contact_preference="sms", phone=PHONE)
    planned_before = reminder_for(patient)

    response = inbound(client, " stop ")
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.sms_opt_in_at is None
    # A text planned before the STOP is not sent either.
    notifications.claim_due()
    assert notifications.send(planned_before.pk) == NotificationStatus.CANCELLED
    assert LocmemSMSBackend.outbox == []
    # New messages go by email.
    assert reminder_for(patient).channel == NotificationChannel.EMAIL

    assert inbound(client, "START").status_code == 200
    patient.refresh_from_db()
    assert patient.sms_opt_in_at is not None
    resumed = reminder_for(patient)
    assert resumed.channel == NotificationChannel.SMS
    notifications.claim_due()
    assert notifications.send(resumed.pk) == NotificationStatus.SENT
    assert LocmemSMSBackend.outbox[-1]["to"] == PHONE

    history = list(
        ConsentRecord.objects.filter(patient=patient)
        .order_by("at", "id")
        .values_list("granted", "source", "detail")
    )
    assert history == [(False, "sms_keyword", "STOP"), (True, "sms_keyword", "START")]


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "END", "QUIT"])
def test_every_standard_stop_word_opts_out(client, word):
    patient = PatientFactory(contact_preference="sms", phone=PHONE)
    inbound(client, word)
    patient.refresh_from_db()
    assert patient.sms_opt_in_at is None


def test_other_texts_and_other_numbers_change_nothing(client):
    patient = PatientFactory(contact_preference="sms", phone=PHONE)
    inbound(client, "Stop by at 5?")
    inbound(client, "STOP", from_number="+16125550999")
    patient.refresh_from_db()
    assert patient.sms_opt_in_at is not None


def test_an_unsigned_or_forged_webhook_is_refused_and_changes_nothing(client):
    patient = PatientFactory(contact_preference="sms", phone=PHONE)
    assert inbound(client, "STOP", sign_with="someone-elses-token").status_code == 403
    assert client.post(reverse("sms_inbound"), {"From": PHONE, "Body": "STOP"}).status_code == 403
    # Not configured: nothing is accepted, whatever the signature.
    assert inbound(client, "STOP", token="").status_code == 403
    patient.refresh_from_db()
    assert patient.sms_opt_in_at is not None


def test_staff_alert_texts_to_on_call_staff_need_no_patient_consent():
    notification = notifications.plan(
        key="alert:test",
        kind=NotificationKind.STAFF_ALERT,
        channel=NotificationChannel.SMS,
        recipient="+16125550777",
        template="notifications/account",
        due_at=timezone.now(),
        context={"rendered": {"subject": "Urgent", "text": "An urgent intake", "html": ""}},
    )
    notifications.claim_due()
    assert notifications.send(notification.pk) == NotificationStatus.SENT
    assert LocmemSMSBackend.outbox[-1]["to"] == "+16125550777"


def test_the_profile_records_the_opt_in_with_its_time_and_a_cleared_box_opts_out(client):
    patient = PatientFactory(phone=PHONE)
    client.force_login(patient.user)
    form = {
        "first_name": "Ada",
        "last_name": "Runner",
        "phone": PHONE,
        "contact_preference": "sms",
    }
    # Texts chosen without ticking the box: refused, nothing recorded.
    response = client.post(reverse("patients:profile"), form)
    assert response.status_code == 200
    assert "Tick this box to get text messages" in response.content.decode()
    assert not ConsentRecord.objects.filter(patient=patient).exists()

    assert client.post(reverse("patients:profile"), form | {"sms_opt_in": "on"}).status_code == 302
    patient.refresh_from_db()
    assert patient.sms_number == PHONE
    assert "You agreed to texts on" in client.get(reverse("patients:profile")).content.decode()

    form["contact_preference"] = "email"
    assert client.post(reverse("patients:profile"), form).status_code == 302
    patient.refresh_from_db()
    assert patient.sms_opt_in_at is None
    assert list(
        ConsentRecord.objects.filter(patient=patient)
        .order_by("at", "id")
        .values_list("granted", "source", "recorded_by")
    ) == [(True, "patient", patient.user_id), (False, "patient", patient.user_id)]


# --- The Twilio gateway, with the HTTP boundary (requests' adapter) mocked ---------------------
def _response(status, payload):
    response = requests.Response()
    response.status_code = status
    response._content = payload.encode()
    response.headers["Content-Type"] = "application/json"
    return response


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM = "+19525550000"
    settings.SMS_TIMEOUT = 7
    settings.SMS_BACKEND = "clinic.sms.TwilioSMSBackend"
    return settings


def test_twilio_sends_to_from_and_body_with_the_timeout(twilio_settings):
    sent = _response(201, '{"sid": "SM123", "status": "queued"}')
    with mock.patch("requests.adapters.HTTPAdapter.send", return_value=sent) as http:
        TwilioSMSBackend().send(to=PHONE, body="See you at 9:00", timeout=7)
    request = http.call_args.args[0]
    assert request.url.endswith(f"/Accounts/{twilio_settings.TWILIO_ACCOUNT_SID}/Messages.json")
    body = dict(parse_qsl(request.body))
    assert body == {"To": PHONE, "From": "+19525550000", "Body": "See you at 9:00"}
    assert http.call_args.kwargs["timeout"] == 7


def test_a_refused_number_is_a_failed_notification_and_an_outage_is_retried(twilio_settings):
    patient = PatientFactory(contact_preference="sms", phone=PHONE)
    refused = reminder_for(patient)
    error = _response(400, '{"code": 21211, "message": "Invalid To number", "status": 400}')
    with mock.patch("requests.adapters.HTTPAdapter.send", return_value=error):
        notifications.claim_due()
        assert notifications.send(refused.pk) == NotificationStatus.FAILED
    refused.refresh_from_db()
    assert refused.attempts == 1
    assert "21211" in refused.last_error

    down = notifications.plan_for_appointment(
        appointment=AppointmentFactory(patient=patient),
        kind=NotificationKind.REMINDER,
        due_at=timezone.now(),
    )
    outage = _response(503, '{"code": 20500, "message": "Internal error", "status": 503}')
    with mock.patch("requests.adapters.HTTPAdapter.send", return_value=outage):
        notifications.claim_due()
        assert notifications.send(down.pk) == NotificationStatus.PENDING


def test_a_gateway_timeout_is_a_transient_failure_retried_later(twilio_settings):
    patient = PatientFactory(contact_preference="sms", phone=PHONE)
    notification = reminder_for(patient)
    with mock.patch(
        "requests.adapters.HTTPAdapter.send", side_effect=requests.exceptions.ReadTimeout("slow")
    ):
        notifications.claim_due()
        assert notifications.send(notification.pk) == NotificationStatus.PENDING
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert notification.due_at > timezone.now()
    assert "Timeout" in notification.last_error
    assert not Notification.objects.filter(status=NotificationStatus.SENT).exists()
