"""Staff sign in with a password and an authenticator code; locks, idle logoff and sessions."""

import datetime as dt
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles
from staff import enrolment
from staff.site import GENERIC_ERROR, recovery_codes_issue
from tests.factories import PatientFactory, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # tests.factories.UserFactory's
LOGIN = "/admin/login/"
ENROLL = "/admin/two-factor/set-up/"
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
LOCKED = "Too many failed sign-in attempts. Try again in 30 minutes."
GENERIC = GENERIC_ERROR


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scheduler():
    return make_staff(roles=[roles.SCHEDULER], email="sam.scheduler@clinic.test")


def device_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code(device) -> str:
    return f"{totp(device.bin_key):06d}"


def admin_sign_in(client, user, *, password=PASSWORD, token=""):
    data = {"username": user.email, "password": password, "next": "/admin/"}
    if token:
        data["otp_token"] = token
    return client.post(LOGIN, data)


def start_set_up(client, user, *, password=PASSWORD):
    """Open an administrator's set-up link for `user` and give the password."""
    _link, token = enrolment.link_issue(user=user)
    return client.post(enrolment.link_path(token), {"password": password})


def signed_in_to_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def patient_sign_in(client, user, *, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def verified_patient(**fields):
    patient = PatientFactory(**fields)
    EmailAddress.objects.create(
        user=patient.user, email=patient.user.email, verified=True, primary=True
    )
    return patient


# --- First sign-in: setting up the authenticator app ------------------------------------------


def test_the_staff_sign_in_asks_for_email_password_and_the_app_code(client):
    html = client.get(LOGIN).content.decode()

    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="otp_token"' in html
    assert "Code from your authenticator app" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_first_admin_sign_in_without_a_device_is_refused_and_never_set_up(client, clock, scheduler):
    response = admin_sign_in(client, scheduler)

    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert not signed_in_to_admin(client)  # the password alone signed nobody in
    assert not TOTPDevice.objects.filter(user=scheduler).exists()  # and made no secret
    assert client.get(ENROLL)["Location"] == LOGIN


def test_an_administrators_link_and_the_password_go_to_set_up(client, clock, scheduler):
    response = start_set_up(client, scheduler)

    assert response.status_code == 302
    assert response["Location"] == ENROLL
    assert not signed_in_to_admin(client)  # not before a code from the new app


def test_set_up_shows_a_qr_code_and_the_secret_and_a_code_from_the_app_signs_in(
    client, clock, scheduler
):
    start_set_up(client, scheduler)
    page = client.get(ENROLL)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=scheduler)

    assert page.status_code == 200
    assert not device.confirmed
    assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    assert len(secret.replace(" ", "")) == 32  # 20 random bytes in base 32
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script (CSP)

    response = client.post(ENROLL, {"code": code(device)})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert signed_in_to_admin(client)
    device.refresh_from_db()
    assert device.confirmed


def _recovery_codes_from(html: str) -> list[str]:
    listed = re.search(r'<ul id="recovery-codes">(.*?)</ul>', html, re.S).group(1)
    return re.findall(r"<code>([a-z2-7]{8})</code>", listed)


def test_set_up_shows_ten_recovery_codes_once_and_stores_them_for_this_account(
    client, clock, scheduler
):
    start_set_up(client, scheduler)
    device = TOTPDevice.objects.get(user=scheduler)

    client.post(ENROLL, {"code": code(device)})
    response = client.get("/admin/")

    codes = _recovery_codes_from(response.content.decode())
    assert len(set(codes)) == 10
    assert "no-store" in response["Cache-Control"]  # never_cache: not kept anywhere
    stored = StaticToken.objects.filter(device__user=scheduler, device__confirmed=True)
    assert sorted(stored.values_list("token", flat=True)) == sorted(codes)
    # Nothing shows them again.
    assert 'id="recovery-codes"' not in client.get("/admin/").content.decode()
    assert "staff_2fa_recovery_codes" not in client.session
    assert client.get(ENROLL).status_code == 302


def test_a_recovery_code_signs_in_once_in_place_of_the_apps_code(client, clock, scheduler):
    device_for(scheduler)
    first, second, *_ = recovery_codes_issue(scheduler)

    response = admin_sign_in(client, scheduler, token=f" {first.upper()[:4]}-{first[4:]} ")
    assert response.status_code == 302
    assert signed_in_to_admin(client)

    client.logout()
    again = admin_sign_in(client, scheduler, token=first)
    assert again.status_code == 200
    assert GENERIC in again.content.decode()
    assert not signed_in_to_admin(client)

    clock.shift(dt.timedelta(seconds=5))  # past django-otp's throttle after a failure
    assert admin_sign_in(client, scheduler, token=second).status_code == 302
    assert signed_in_to_admin(client)


def test_the_apps_code_still_signs_in_when_recovery_codes_exist(client, clock, scheduler):
    device = device_for(scheduler)
    recovery_codes_issue(scheduler)

    assert admin_sign_in(client, scheduler, token=code(device)).status_code == 302
    assert signed_in_to_admin(client)
    # The app's code was checked against the app only: the recovery codes are not throttled.
    assert StaticDevice.objects.get(user=scheduler).throttling_failure_count == 0


def test_someone_elses_recovery_code_is_refused(client, clock, scheduler):
    device_for(scheduler)
    other = make_staff(roles=[roles.SCHEDULER], email="olive.other@clinic.test")
    theirs = recovery_codes_issue(other)[0]

    response = admin_sign_in(client, scheduler, token=theirs)

    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert not signed_in_to_admin(client)


def test_issuing_recovery_codes_again_ends_the_earlier_set(scheduler):
    old = recovery_codes_issue(scheduler)
    new = recovery_codes_issue(scheduler)

    stored = set(StaticToken.objects.filter(device__user=scheduler).values_list("token", flat=True))
    assert stored == set(new)
    assert not stored & set(old)


def test_a_wrong_code_at_set_up_is_refused_with_a_message(client, clock, scheduler):
    start_set_up(client, scheduler)
    device = TOTPDevice.objects.get(user=scheduler)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"

    response = client.post(ENROLL, {"code": wrong})

    assert response.status_code == 400
    assert "That code did not match" in response.content.decode()
    assert not signed_in_to_admin(client)
    assert client.post(ENROLL, {"code": "abc"}).status_code == 400


def test_the_set_up_page_needs_the_password_step_of_the_last_ten_minutes(client, clock, scheduler):
    assert client.get(ENROLL)["Location"] == LOGIN  # nobody gave a password

    start_set_up(client, scheduler)
    assert client.get(ENROLL).status_code == 200
    clock.shift(dt.timedelta(minutes=11))

    assert client.get(ENROLL)["Location"] == LOGIN


def test_an_account_with_a_device_is_never_sent_to_set_up_again(client, clock, scheduler):
    device_for(scheduler)

    response = admin_sign_in(client, scheduler)

    assert response.status_code == 200
    assert client.get(ENROLL)["Location"] == LOGIN


# --- Every later sign-in: password and code ----------------------------------------------------


def test_with_a_device_the_password_alone_is_refused(client, clock, scheduler):
    device_for(scheduler)

    response = admin_sign_in(client, scheduler)

    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert "OTP" not in response.content.decode()
    assert PASSWORD not in response.content.decode()  # the password is not echoed back
    assert not signed_in_to_admin(client)


def test_a_right_password_is_not_told_apart_from_a_wrong_one(client, clock, scheduler):
    """No password oracle: a right password without a code or with a wrong code gets the very
    error a wrong password gets (issue 19)."""
    device = device_for(scheduler)
    wrong_code = f"{(int(code(device)) + 1) % 1_000_000:06d}"

    def error(**kwargs):
        page = admin_sign_in(Client(), scheduler, **kwargs).content.decode()
        return re.findall(r'<p class="errornote"[^>]*>(.*?)</p>', page)

    assert error(password="wrong-password") == [GENERIC]
    assert error() == [GENERIC]
    clock.shift(dt.timedelta(seconds=5))
    assert error(token=wrong_code) == [GENERIC]
    clock.shift(dt.timedelta(seconds=5))
    assert error(password="wrong-password", token=wrong_code) == [GENERIC]


def test_wrong_codes_after_a_right_password_count_towards_the_lock(client, clock, scheduler):
    device = device_for(scheduler)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    responses = []
    for _ in range(settings.AXES_FAILURE_LIMIT):
        responses.append(admin_sign_in(client, scheduler, token=wrong))
        clock.shift(dt.timedelta(seconds=40))  # past django-otp's own throttle

    assert responses[-1].status_code == 429
    assert admin_sign_in(client, scheduler, token=code(device)).status_code == 429
    assert not signed_in_to_admin(client)


def test_guesses_spread_over_many_addresses_lock_the_account(client, clock, scheduler):
    device = device_for(scheduler)
    for n in range(settings.AXES_FAILURE_LIMIT):
        admin_sign_in(Client(REMOTE_ADDR=f"203.0.113.{n + 1}"), scheduler, password="wrong")

    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    assert admin_sign_in(elsewhere, scheduler, token=code(device)).status_code == 429


def test_password_and_the_current_code_sign_in(client, clock, scheduler):
    device = device_for(scheduler)

    response = admin_sign_in(client, scheduler, token=code(device))

    assert response.status_code == 302
    assert signed_in_to_admin(client)


def test_a_wrong_code_or_a_used_code_is_refused(client, clock, scheduler):
    device = device_for(scheduler)
    current = code(device)
    wrong = f"{(int(current) + 1) % 1_000_000:06d}"

    assert admin_sign_in(client, scheduler, token=wrong).status_code == 200
    assert not signed_in_to_admin(client)
    clock.shift(dt.timedelta(seconds=5))  # past django-otp's throttle after one failure
    assert admin_sign_in(client, scheduler, token=current).status_code == 302
    other = Client()
    clock.shift(dt.timedelta(seconds=5))
    assert admin_sign_in(other, scheduler, token=current).status_code == 200  # no replay
    assert not signed_in_to_admin(other)


def test_a_staff_password_in_the_patient_sign_in_does_not_open_a_staff_session(
    client, clock, scheduler
):
    EmailAddress.objects.create(user=scheduler, email=scheduler.email, verified=True, primary=True)
    device_for(scheduler)
    patient_sign_in(client, scheduler)

    response = client.get(reverse("patients:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


# --- Lock-out after repeated failures (django-axes) --------------------------------------------


def test_the_admin_sign_in_locks_after_the_failure_limit(client, clock, scheduler):
    device = device_for(scheduler)
    responses = [
        admin_sign_in(client, scheduler, password="wrong-password")
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert responses[-1].status_code == 429
    assert LOCKED in responses[-1].content.decode()
    # Locked even with the right password and code, for the whole cool-off.
    clock.shift(dt.timedelta(minutes=29))
    locked = admin_sign_in(client, scheduler, token=code(device))
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode()
    assert not signed_in_to_admin(client)


def test_the_admin_lock_is_for_that_person_only_from_any_address(client, clock, scheduler):
    colleague = make_staff(roles=[roles.SCHEDULER])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_sign_in(client, scheduler, password="wrong-password")

    other_person = Client()
    colleague_code = code(device_for(colleague))
    assert admin_sign_in(other_person, colleague, token=colleague_code).status_code == 302

    # Per account too (AXES_LOCKOUT_PARAMETERS): another address does not get round the lock.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert admin_sign_in(elsewhere, scheduler, token=code(device_for(scheduler))).status_code == 429


def test_the_patient_sign_in_locks_after_the_failure_limit(client, clock):
    patient = verified_patient()
    responses = [
        patient_sign_in(client, patient.user, password="wrong-password")
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert responses[0].status_code == 200
    assert responses[-1].status_code == 429
    assert LOCKED in responses[-1].content.decode()
    right_password = patient_sign_in(client, patient.user)
    assert right_password.status_code == 429
    assert LOCKED in right_password.content.decode()
    assert client.get(reverse("patients:dashboard")).status_code == 302


def test_the_patient_lock_is_for_that_person_only_from_any_address(client, clock):
    patient, neighbour = verified_patient(), verified_patient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        patient_sign_in(client, patient.user, password="wrong-password")

    assert patient_sign_in(Client(), neighbour.user)["Location"] == reverse("patients:dashboard")
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert patient_sign_in(elsewhere, patient.user).status_code == 429


def test_failures_in_either_sign_in_form_count_together(client, clock, scheduler):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        admin_sign_in(client, scheduler, password="wrong-password")

    response = patient_sign_in(client, scheduler, password="wrong-password")

    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_lock_ends_after_the_cool_off(client, clock, scheduler):
    device = device_for(scheduler)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin_sign_in(client, scheduler, password="wrong-password")

    clock.shift(dt.timedelta(minutes=31))

    assert admin_sign_in(client, scheduler, token=code(device)).status_code == 302


# --- Idle sessions end (HIPAA automatic logoff) -------------------------------------------------


def test_a_staff_session_idle_for_31_minutes_is_signed_out(client, clock, scheduler):
    client.force_login(scheduler)
    assert signed_in_to_admin(client)

    clock.shift(dt.timedelta(minutes=29))
    assert signed_in_to_admin(client)  # activity restarts the clock
    clock.shift(dt.timedelta(minutes=31))
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_a_patient_idle_for_23_hours_is_still_signed_in_and_after_25_hours_is_not(client, clock):
    patient = PatientFactory()
    client.force_login(patient.user)
    dashboard = reverse("patients:dashboard")
    assert client.get(dashboard).status_code == 200

    clock.shift(dt.timedelta(hours=23))
    assert client.get(dashboard).status_code == 200
    clock.shift(dt.timedelta(hours=25))
    response = client.get(dashboard)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_no_admin_page_lists_recovery_codes(client):
    from django.contrib import admin

    assert not admin.site.is_registered(StaticDevice)
    assert not admin.site.is_registered(StaticToken)
