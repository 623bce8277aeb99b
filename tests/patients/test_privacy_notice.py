"""The privacy notice: accepted at sign-up (a required box linking to it), versioned, and asked
again, before any patient page, when the version changes."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from patients.models import ConsentRecord, Patient
from tests.factories import PatientFactory
from tests.patients.test_accounts import EMAIL, PASSWORD, sign_up

pytestmark = pytest.mark.django_db


def test_sign_up_needs_the_box_ticked_and_links_to_the_notice(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert f'href="{reverse("patients:privacy_notice")}"' in page
    assert 'name="accept_privacy_notice"' in page

    refused = client.post(
        reverse("account_signup"), {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert refused.status_code == 200
    assert "Tick the box to accept the privacy notice." in refused.content.decode()
    assert not EmailAddress.objects.filter(email=EMAIL).exists()


def test_signing_up_records_the_accepted_version(client, settings):
    assert sign_up(client).status_code == 302
    patient = Patient.objects.get(user__email=EMAIL)
    assert patient.privacy_notice_version == settings.PRIVACY_NOTICE_VERSION
    assert patient.privacy_notice_accepted_at is not None
    [record] = ConsentRecord.objects.filter(patient=patient)
    assert (record.kind, record.granted, record.version, record.recorded_by) == (
        "privacy_notice",
        True,
        settings.PRIVACY_NOTICE_VERSION,
        patient.user,
    )


def test_the_notice_is_public(client):
    response = client.get(reverse("patients:privacy_notice"))
    assert response.status_code == 200
    assert '<h1 class="h3">Privacy notice</h1>' in response.content.decode()


def test_a_new_version_asks_again_before_any_patient_page_then_goes_on(client, settings):
    patient = PatientFactory()
    client.force_login(patient.user)
    assert client.get(reverse("patients:dashboard")).status_code == 200

    settings.PRIVACY_NOTICE_VERSION = "2099-01"
    asked = client.get(reverse("patients:profile"))
    accept = reverse("patients:privacy_notice_accept")
    assert asked.status_code == 302
    assert asked["Location"] == f"{accept}?next=%2Fme%2Fprofile%2F"
    page = client.get(asked["Location"]).content.decode()
    assert "Our privacy notice has changed" in page

    # Not ticked: asked again, clearly.
    refused = client.post(accept, {"next": "/me/profile/"})
    assert "Tick the box to accept the privacy notice." in refused.content.decode()

    done = client.post(accept, {"accept_privacy_notice": "on", "next": "/me/profile/"})
    assert done["Location"] == "/me/profile/"
    assert client.get(reverse("patients:profile")).status_code == 200
    patient.refresh_from_db()
    assert patient.privacy_notice_version == "2099-01"
    assert list(ConsentRecord.objects.filter(patient=patient).values_list("kind", "version")) == [
        ("privacy_notice", "2099-01")
    ]


def test_the_way_back_only_goes_to_this_site(client, settings):
    patient = PatientFactory(privacy_notice_version="old")
    client.force_login(patient.user)
    done = client.post(
        reverse("patients:privacy_notice_accept"),
        {"accept_privacy_notice": "on", "next": "https://evil.example/"},
    )
    assert done["Location"] == reverse("patients:dashboard")


def test_signing_out_and_anonymous_pages_are_not_held_up(client):
    patient = PatientFactory(privacy_notice_version="old")
    client.force_login(patient.user)
    assert client.get(reverse("patients:privacy_notice")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200
    client.logout()
    assert client.get(reverse("patients:home")).status_code == 200
