"""Clients are made on the command line (the token printed once, only its hash kept), listed,
scoped and revoked by superusers in the admin, with every change in the change history."""

import io

import pytest
from auditlog.models import LogEntry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command

from clinic import roles
from fhir.models import FhirClient
from patients.tokens import token_hash
from tests.factories import admin_login, make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/fhir/fhirclient/"


def create(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_fhir_client", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_the_token_alone_and_stores_only_its_hash(chaska, delano, fhir):
    out, err = create("Regional EHR", "--location", "chaska", "--location", "delano")
    token = out.strip()
    assert out == token + "\n"
    assert token.startswith("bfhir_")
    assert "shown only this once" in err
    assert token not in err
    client = FhirClient.objects.get(name="Regional EHR")
    assert client.token_hash == token_hash(token)
    assert token not in {client.token_hash, client.key_prefix}
    assert set(client.locations.values_list("slug", flat=True)) == {"chaska", "delano"}
    assert fhir("Location", token=token).status_code == 200


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("EHR",), "at least one location"),
        (("EHR", "--location", "nowhere"), "No location has the slug nowhere"),
        (("  ", "--location", "chaska"), "Give the client a name"),
    ],
)
def test_the_command_refuses_without_a_name_or_a_real_location(chaska, args, says):
    with pytest.raises(CommandError, match=says):
        create(*args)
    assert not FhirClient.objects.exists()


@pytest.fixture
def superuser(chaska):
    return make_staff(is_superuser=True)


def test_superusers_list_and_revoke_clients_in_the_admin(client, superuser, chaska, fhir):
    token = create("Imaging partner", "--location", "chaska")[0].strip()
    record = FhirClient.objects.get(name="Imaging partner")
    admin_login(client, superuser)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "Imaging partner" in page.content.decode()
    assert token not in page.content.decode()
    response = client.post(
        CHANGELIST, {"action": "revoke", ACTION_CHECKBOX_NAME: [record.pk]}, follow=True
    )
    assert "1 client(s) revoked." in response.content.decode()
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert fhir("Location", token=token).status_code == 401


def test_a_superuser_changes_a_clients_locations_and_it_sees_the_new_scope(
    client, superuser, chaska, delano, make_referral, fhir
):
    token = create("Surgeons' office", "--location", "chaska")[0].strip()
    record = FhirClient.objects.get(name="Surgeons' office")
    referral = make_referral(delano).referrals.get()
    assert fhir(f"ServiceRequest/{referral.public_id}", token=token).status_code == 404
    admin_login(client, superuser)
    response = client.post(
        f"{CHANGELIST}{record.pk}/change/",
        {"name": "Surgeons' office", "locations": [delano.pk], "rate_limit": "60"},
    )
    assert response.status_code == 302
    assert fhir(f"ServiceRequest/{referral.public_id}", token=token).status_code == 200
    changes = [entry.changes_dict for entry in LogEntry.objects.get_for_object(record)]
    assert any("Delano" in str(change.get("locations", "")) for change in changes)
    assert any(change.get("rate_limit") == ["None", "60"] for change in changes)


def test_the_change_history_records_clients_without_their_token(chaska):
    create("EHR", "--location", "chaska")
    record = FhirClient.objects.get()
    history = LogEntry.objects.get_for_object(record)
    created = history.get(action=LogEntry.Action.CREATE)
    assert "name" in created.changes_dict
    for entry in history:
        assert "token_hash" not in entry.changes_dict
        assert record.token_hash not in str(entry.changes)


@pytest.mark.parametrize("role", roles.ALL)
def test_staff_who_are_not_superusers_never_see_the_clients(client, chaska, role):
    create("EHR", "--location", "chaska")
    admin_login(client, make_staff(roles=[role], locations=[chaska]))
    assert client.get(CHANGELIST).status_code == 403
    record = FhirClient.objects.get()
    assert client.get(f"{CHANGELIST}{record.pk}/change/").status_code == 403
    assert "FHIR client" not in client.get("/admin/").content.decode()


def test_clients_are_never_added_or_deleted_in_the_admin(client, superuser, chaska):
    create("EHR", "--location", "chaska")
    admin_login(client, superuser)
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    record = FhirClient.objects.get()
    assert client.get(f"{CHANGELIST}{record.pk}/delete/").status_code == 403
