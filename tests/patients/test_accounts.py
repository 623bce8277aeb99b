"""Patient accounts: sign up, verify the email, sign in, reset the password; mail via the outbox."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from clinic import notifications
from clinic.models import Notification, NotificationKind, NotificationStatus
from patients.models import Patient
from patients.selectors import SESSION_INTAKES_KEY
from tests.factories import LocationFactory, PatientFactory, make_intake

pytestmark = pytest.mark.django_db

EMAIL = "riley.runner@example.test"
PASSWORD = "Pacing-the-long-run-2026"


def deliver_account_mail() -> list:
    """What the worker does: claim the due rows of the outbox and send each one."""
    before = len(mail.outbox)
    for notification_id in notifications.claim_due():
        assert notifications.send(notification_id) == NotificationStatus.SENT
    return mail.outbox[before:]


def link_in(message, path_start: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(path_start)}[^\s\"<>]+)", message.body)
    assert match, message.body
    return match.group(1)


def sign_up(client, email=EMAIL):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "accept_privacy_notice": "on",
        },
    )


def sign_in(client, email=EMAIL, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_sign_up_sends_the_verification_through_the_outbox_and_the_link_verifies(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    queued = Notification.objects.get(kind=NotificationKind.ACCOUNT, recipient=EMAIL)
    assert queued.status == NotificationStatus.PENDING
    assert mail.outbox == []  # nothing leaves before the worker sends it

    [message] = deliver_account_mail()
    assert message.to == [EMAIL]
    confirm_path = link_in(message, "/accounts/confirm-email/")
    assert client.get(confirm_path).status_code == 200
    assert client.post(confirm_path).status_code == 302

    assert EmailAddress.objects.get(email=EMAIL).verified
    signed_in = sign_in(client)
    assert signed_in["Location"] == reverse("patients:dashboard")
    assert client.get(reverse("patients:dashboard")).status_code == 200


def test_an_unverified_account_cannot_sign_in_yet(client):
    sign_up(client)

    response = sign_in(client)

    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("patients:dashboard")).status_code == 302


def test_an_intake_taken_before_signing_up_is_attached_at_the_first_sign_in(client):
    location = LocationFactory(name="Sartell", slug="sartell")
    intake = make_intake(location=location)  # anonymous: no patient yet
    session = client.session
    session[SESSION_INTAKES_KEY] = [str(intake.public_id)]
    session.save()

    sign_up(client)
    [message] = deliver_account_mail()
    client.post(link_in(message, "/accounts/confirm-email/"))
    sign_in(client)

    intake.refresh_from_db()
    patient = Patient.objects.get(user__email=EMAIL)
    assert intake.patient == patient
    assert patient.preferred_location == location
    assert SESSION_INTAKES_KEY not in client.session
    dashboard = client.get(reverse("patients:dashboard")).content.decode()
    assert reverse("triage:result", args=[intake.public_id]) in dashboard


def test_an_intake_of_someone_else_in_the_session_is_not_taken_over(client):
    owner = PatientFactory()
    intake = make_intake(patient=owner)
    session = client.session
    session[SESSION_INTAKES_KEY] = [str(intake.public_id)]
    session.save()

    sign_up(client)
    [message] = deliver_account_mail()
    client.post(link_in(message, "/accounts/confirm-email/"))
    sign_in(client)

    intake.refresh_from_db()
    assert intake.patient == owner


def test_password_reset_goes_through_the_outbox_and_the_new_password_works(client):
    patient = PatientFactory(user__email=EMAIL)
    EmailAddress.objects.create(user=patient.user, email=EMAIL, verified=True, primary=True)

    response = client.post(reverse("account_reset_password"), {"email": EMAIL})

    assert response.status_code == 302
    assert Notification.objects.filter(kind=NotificationKind.ACCOUNT, recipient=EMAIL).exists()
    assert mail.outbox == []
    [message] = deliver_account_mail()
    reset_path = link_in(message, "/accounts/password/reset/key/")
    form_page = client.get(reset_path, follow=True)
    assert form_page.status_code == 200
    new_password = "Tempo-run-on-Tuesday-77"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_path,
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302

    assert sign_in(client, password=PASSWORD).status_code == 200  # the old one no longer works
    assert sign_in(client, password=new_password)["Location"] == reverse("patients:dashboard")
