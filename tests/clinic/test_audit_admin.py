"""The change history in the admin: superusers browse and filter it; nobody can alter it."""

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from clinic import roles
from tests.factories import PatientFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:auditlog_logentry_changelist")


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def entry():
    patient = PatientFactory(first_name="Robin")
    patient.first_name = "Robyn"
    patient.save()
    return LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.UPDATE).get()


def test_a_superuser_browses_and_filters_the_change_history(client, superuser, entry):
    client.force_login(superuser)

    listing = client.get(CHANGELIST)
    updates = client.get(CHANGELIST, {"action__exact": LogEntry.Action.UPDATE})

    assert listing.status_code == 200
    assert updates.status_code == 200
    assert [row.pk for row in updates.context["cl"].result_list] == [entry.pk]
    detail = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert "Robyn" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()  # read-only


def test_nobody_can_add_change_or_delete_an_entry_not_even_a_superuser(client, superuser, entry):
    client.force_login(superuser)
    change_url = reverse("admin:auditlog_logentry_change", args=[entry.pk])

    assert client.post(change_url, {"object_repr": "rewritten"}).status_code == 403
    delete_url = reverse("admin:auditlog_logentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.object_repr != "rewritten"
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_the_registered_audit_admin_refuses_writes_for_everyone(superuser):
    request = RequestFactory().get(CHANGELIST)
    request.user = superuser
    model_admin = admin.site.get_model_admin(LogEntry)

    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


def test_other_staff_do_not_see_the_change_history(client, entry):
    client.force_login(make_staff(roles=[roles.LOCATION_MANAGER]))

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 403
