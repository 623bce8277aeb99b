"""Issue 19, third part: staff enrolment through an administrator's link, the API-token form's
control characters, and token revocations in the change history."""

import datetime as dt
import io

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles
from clinic.models import StaffEnrolmentLink
from patients import tokens
from staff import enrolment
from staff.site import GENERIC_ERROR
from tests.factories import PatientFactory, admin_login, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # tests.factories.UserFactory's
ENROLL = "/admin/two-factor/set-up/"
LOGIN = "/admin/login/"


# Authenticator set-up only through an administrator's link ----------------------------------


@pytest.fixture
def newcomer():
    return make_staff(roles=[roles.SCHEDULER], email="nina.new@clinic.test")


@pytest.fixture
def superuser():
    return make_staff(is_superuser=True, email="ada.admin@clinic.test")


def _open_link(client, token, password=PASSWORD):
    return client.post(enrolment.link_path(token), {"password": password})


def _finish_set_up(client, user):
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return client.post(ENROLL, {"code": f"{totp(device.bin_key):06d}"})


def _signed_in_to_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_no_device_and_the_right_password_gets_the_generic_error_and_no_set_up(client, newcomer):
    response = client.post(
        LOGIN, {"username": newcomer.email, "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert "Set up" not in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer).exists()
    assert client.get(ENROLL)["Location"] == LOGIN
    assert not _signed_in_to_admin(client)


def test_the_link_with_the_password_and_a_code_from_the_app_signs_in(client, newcomer):
    _link, token = enrolment.link_issue(user=newcomer)

    page = client.get(enrolment.link_path(token))
    assert page.status_code == 200
    assert newcomer.email in page.content.decode()
    assert _open_link(client, token)["Location"] == ENROLL
    assert _finish_set_up(client, newcomer).status_code == 302

    assert _signed_in_to_admin(client)
    assert TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()


def test_the_link_with_a_wrong_password_does_not_start_set_up(client, newcomer):
    _link, token = enrolment.link_issue(user=newcomer)

    response = _open_link(client, token, password="not-the-password")

    assert response.status_code == 400
    assert "That password is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer).exists()


def test_an_expired_link_is_refused(client, newcomer, settings):
    _link, token = enrolment.link_issue(user=newcomer)
    later = timezone.now() + dt.timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS, seconds=1)

    with time_machine.travel(later):
        response = _open_link(client, token)

    assert response.status_code == 410
    assert "does not work" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer).exists()


def test_a_link_still_works_just_before_it_expires(client, newcomer, settings):
    _link, token = enrolment.link_issue(user=newcomer)
    later = timezone.now() + dt.timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS, minutes=-1)

    with time_machine.travel(later):
        assert _open_link(client, token)["Location"] == ENROLL


def test_a_used_link_is_refused(client, newcomer):
    _link, token = enrolment.link_issue(user=newcomer)
    _open_link(client, token)
    _finish_set_up(client, newcomer)
    TOTPDevice.objects.filter(user=newcomer).delete()  # even once the app is removed again

    other = client.__class__()
    response = _open_link(other, token)

    assert response.status_code == 410
    assert not TOTPDevice.objects.filter(user=newcomer).exists()


def test_a_newer_link_ends_the_earlier_one(client, newcomer):
    _first, old = enrolment.link_issue(user=newcomer)
    _second, new = enrolment.link_issue(user=newcomer)

    assert _open_link(client, old).status_code == 410
    assert _open_link(client, new)["Location"] == ENROLL


def test_a_link_issued_while_a_set_up_is_under_way_stops_that_set_up(client, newcomer):
    _first, old = enrolment.link_issue(user=newcomer)
    _open_link(client, old)
    enrolment.link_issue(user=newcomer)

    response = _finish_set_up(client, newcomer)

    assert response["Location"] == LOGIN
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()


def test_a_link_for_one_person_cannot_enrol_another(client, newcomer):
    other = make_staff(roles=[roles.SCHEDULER], email="oscar.other@clinic.test")
    _link, token = enrolment.link_issue(user=newcomer)

    # The link is for the newcomer: the other person's password (the same in the factories)
    # is checked against the newcomer's account, and whatever is posted, only they are set up.
    response = client.post(
        enrolment.link_path(token), {"password": PASSWORD, "username": other.email}
    )
    assert response["Location"] == ENROLL
    _finish_set_up(client, newcomer)

    assert not TOTPDevice.objects.filter(user=other).exists()
    assert TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()
    # And the other person still cannot sign in: they have no link of their own.
    client.logout()
    client.post(LOGIN, {"username": other.email, "password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=other).exists()


def test_a_link_does_not_work_once_the_account_is_set_up_otherwise(client, newcomer):
    _link, token = enrolment.link_issue(user=newcomer)
    TOTPDevice.objects.create(user=newcomer, name="Authenticator app", confirmed=True)

    assert _open_link(client, token).status_code == 410


def test_a_superuser_issues_a_link_from_the_accounts_page_shown_once(client, superuser, newcomer):
    admin_login(client, superuser)
    change_page = reverse("admin:clinic_user_change", args=[newcomer.pk])
    assert "Issue a set-up link" in client.get(change_page).content.decode()

    response = client.post(reverse("admin:clinic_user_enrolment_link", args=[newcomer.pk]))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    url = html.split('id="enrolment-link" type="text" readonly size="90" value="')[1].split('"')[0]
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = StaffEnrolmentLink.objects.get(user=newcomer)
    assert link.issued_by == superuser
    assert token not in str(StaffEnrolmentLink.objects.values_list(flat=True))  # hash only
    assert enrolment.link_for_token(token) == link
    # Issued and who issued it are in the change history, without the hash.
    entry = LogEntry.objects.get_for_object(link).get()
    assert entry.actor == superuser
    assert "token_hash" not in entry.changes_dict


def test_issuing_needs_a_superuser(client, newcomer):
    manager = make_staff(roles=[roles.LOCATION_MANAGER], email="meg.manager@clinic.test")
    admin_login(client, manager)

    response = client.post(reverse("admin:clinic_user_enrolment_link", args=[newcomer.pk]))

    assert response.status_code == 403
    assert not StaffEnrolmentLink.objects.exists()


def test_issuing_is_refused_for_a_patient_and_for_an_account_already_set_up(
    client, superuser, newcomer
):
    admin_login(client, superuser)
    patient = PatientFactory().user
    TOTPDevice.objects.create(user=newcomer, name="Authenticator app", confirmed=True)

    for user in (patient, newcomer):
        response = client.post(
            reverse("admin:clinic_user_enrolment_link", args=[user.pk]), follow=True
        )
        assert response.status_code == 200
        assert "set-up link for" not in response.content.decode().lower()
    assert not StaffEnrolmentLink.objects.exists()
    assert (
        client.get(reverse("admin:clinic_user_enrolment_link", args=[newcomer.pk])).status_code
        == 405
    )


def test_using_a_link_is_in_the_change_history(client, newcomer):
    link, token = enrolment.link_issue(user=newcomer)
    _open_link(client, token)
    _finish_set_up(client, newcomer)

    link.refresh_from_db()
    assert link.used_at is not None
    assert any("used_at" in e.changes_dict for e in LogEntry.objects.get_for_object(link))


def test_the_bootstrap_command_prints_a_working_link_for_the_first_superuser(client, settings):
    first = make_staff(is_superuser=True, email="first.admin@clinic.test")
    out = io.StringIO()

    call_command("create_staff_enrolment_link", "FIRST.admin@clinic.test", stdout=out)

    url = out.getvalue().strip().splitlines()[-1]
    assert url.startswith(settings.SITE_URL + "/admin/two-factor/enrol/")
    assert (
        _open_link(client, url.removeprefix(settings.SITE_URL).rstrip("/").rsplit("/", 1)[1])[
            "Location"
        ]
        == ENROLL
    )
    assert TOTPDevice.objects.filter(user=first, confirmed=False).exists()


def test_the_bootstrap_command_refuses_an_unknown_or_patient_account():
    with pytest.raises(CommandError, match="No account"):
        call_command("create_staff_enrolment_link", "nobody@clinic.test")
    patient = PatientFactory().user
    with pytest.raises(CommandError, match="Only staff"):
        call_command("create_staff_enrolment_link", patient.email)


def _revocations(record) -> list[dict]:
    return [
        entry.changes_dict
        for entry in LogEntry.objects.get_for_object(record)
        if entry.action == LogEntry.Action.UPDATE and "revoked_at" in entry.changes_dict
    ]


# The API-token form refuses control characters ----------------------------------------------


@pytest.mark.parametrize("name", ["my\x00app", "my\x1bapp", "line\nbreak", "tab\there"])
def test_the_token_form_refuses_a_name_with_control_characters(client, name):
    user = PatientFactory().user
    client.force_login(user)
    response = client.post(reverse("patients:tokens"), {"name": name, "expires_in_days": ""})
    assert response.status_code == 200
    assert "Remove the control characters" in response.content.decode()
    assert not tokens.token_list(user=user).exists()


def test_the_token_form_still_takes_a_plain_name(client):
    user = PatientFactory().user
    client.force_login(user)
    response = client.post(
        reverse("patients:tokens"), {"name": "Zoë's watch", "expires_in_days": ""}
    )
    assert response.status_code == 200
    assert tokens.token_list(user=user).get().name == "Zoë's watch"


# Revocations through a password change are in the change history ----------------------------


def test_tokens_revoked_by_a_password_change_are_in_the_change_history(client):
    user = PatientFactory().user
    record, _raw = tokens.token_create(user=user, name="app")
    user.set_password("another-long-password")
    user.save()
    client.force_login(user)
    client.get(reverse("patients:tokens"))  # the page revokes tokens of an old password
    assert len(_revocations(record)) == 1
    assert _revocations(record)[0]["revoked_at"][0] == "None"


def test_a_stale_token_presented_to_the_api_is_revoked_in_the_change_history():
    user = PatientFactory().user
    record, raw = tokens.token_create(user=user, name="app")
    user.set_password("another-long-password")
    user.save()
    assert tokens.token_authenticate(raw) is None
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert len(_revocations(record)) == 1


def test_seed_demo_prints_a_working_set_up_link_for_each_demo_staff_login(client, settings):
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_demo", "--enrolment-links", stdout=out)

    output = out.getvalue()
    staff_logins = [
        "triage@backstride.test",
        "scheduler@backstride.test",
        "manager@backstride.test",
        "admin@backstride.test",
    ]
    links = {}
    for line in output.splitlines():
        email, _, url = line.strip().partition(": ")
        if email in staff_logins:
            links[email] = url
    assert sorted(links) == sorted(staff_logins)
    assert "patient@backstride.test: " not in output
    token = links["scheduler@backstride.test"].rstrip("/").rsplit("/", 1)[1]
    assert _open_link(client, token, password="backstride-demo")["Location"] == ENROLL


def test_set_up_link_tokens_are_kept_out_of_the_logs(newcomer):
    from clinic.security import redact_link_tokens

    _link, token = enrolment.link_issue(user=newcomer)
    logged = redact_link_tokens(f"Gone: {enrolment.link_path(token)}")
    assert token not in logged
    assert "/admin/two-factor/enrol/[redacted]/" in logged
