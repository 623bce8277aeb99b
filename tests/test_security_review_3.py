"""Issue 19, third part: staff enrolment through an administrator's link, the API-token form's
control characters, and token revocations in the change history."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from patients import tokens
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


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
