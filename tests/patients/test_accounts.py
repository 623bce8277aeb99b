"""Patient accounts: sign up, verify the email, sign in, reset the password; mail via the outbox."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
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


def stored_anywhere(*secrets: str) -> list[str]:
    """The tables in which any of `secrets` appears, in any column of any row (PostgreSQL)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608  names from the schema
            text = " ".join(row[0] for row in cursor.fetchall())
            found += [table for secret in secrets if secret in text]
    return found


def test_no_reset_or_verification_link_or_token_is_stored_before_or_after_sending(client):
    """Only which email and whose is kept; the link is made at send time, and it works."""
    if connection.vendor != "postgresql":
        pytest.skip("reads every row as text, which needs PostgreSQL")
    patient = PatientFactory(user__email=EMAIL)
    EmailAddress.objects.create(user=patient.user, email=EMAIL, verified=True, primary=True)
    client.post(reverse("account_reset_password"), {"email": EMAIL})
    sign_up(client, email="new.runner@example.test")
    planned = Notification.objects.filter(kind=NotificationKind.ACCOUNT)
    assert sorted(n.context["account_email"] for n in planned) == [
        "email_confirmation_signup",
        "password_reset_key",
    ]
    assert stored_anywhere("/accounts/password/reset/key/", "/accounts/confirm-email/") == []

    messages = {m.to[0]: m for m in deliver_account_mail()}

    reset_path = link_in(messages[EMAIL], "/accounts/password/reset/key/")
    confirm_path = link_in(messages["new.runner@example.test"], "/accounts/confirm-email/")
    reset_token = reset_path.rstrip("/").rsplit("-", 1)[-1]
    confirm_key = confirm_path.rstrip("/").rsplit("/", 1)[-1]
    assert stored_anywhere(reset_path, confirm_path, reset_token, confirm_key) == []
    # The links made at send time work: the address is verified, the new password signs in.
    assert client.post(confirm_path).status_code == 302
    assert EmailAddress.objects.get(email="new.runner@example.test").verified
    form_page = client.get(reset_path, follow=True)
    new_password = "Hill-repeats-on-Thursday-9"
    done = client.post(
        form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
    assert done.status_code == 302
    assert sign_in(client, password=new_password)["Location"] == reverse("patients:dashboard")


def test_an_account_email_resent_from_the_outbox_carries_a_fresh_working_link(client):
    """A resend renders again from the ids: a new link, not one kept from before."""
    patient = PatientFactory(user__email=EMAIL)
    EmailAddress.objects.create(user=patient.user, email=EMAIL, verified=True, primary=True)
    client.post(reverse("account_reset_password"), {"email": EMAIL})
    [first] = deliver_account_mail()
    notifications.resend(notification=Notification.objects.get(kind=NotificationKind.ACCOUNT))

    [again] = deliver_account_mail()

    reset_path = link_in(again, "/accounts/password/reset/key/")
    assert reset_path.startswith("/accounts/password/reset/key/")
    form_page = client.get(reset_path, follow=True)
    assert form_page.status_code == 200
    assert b"password1" in form_page.content  # the form, not "this link is invalid"
    assert first.subject == again.subject
