"""A client sees its own locations' data only, with a valid token, within its rate limit, and
every read of patient data is in the access log."""

import pytest
from django.test import override_settings

from fhir import clients
from fhir.models import FhirClient
from patients.models import AccessLog
from tests.fhir.conftest import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clinics(chaska, delano, make_referral, book):
    """A booked scan referral at each clinic (the practitioner works at both)."""
    at_chaska = make_referral(chaska)
    at_delano = make_referral(delano)
    return {
        "chaska": (at_chaska, at_chaska.referrals.get(), book(at_chaska)),
        "delano": (at_delano, at_delano.referrals.get(), book(at_delano)),
    }


def test_a_chaska_client_gets_404_for_a_delano_referral_and_its_search_never_lists_one(
    two_clinics, fhir
):
    _, chaska_referral, _ = two_clinics["chaska"]
    _, delano_referral, _ = two_clinics["delano"]
    assert fhir(f"ServiceRequest/{chaska_referral.public_id}").status_code == 200
    response = fhir(f"ServiceRequest/{delano_referral.public_id}")
    assert response.status_code == 404
    assert response.body["resourceType"] == "OperationOutcome"
    assert ids(fhir("ServiceRequest").body) == {str(chaska_referral.public_id)}
    # Not by asking for Delano, nor for the Delano patient, either.
    assert ids(fhir("ServiceRequest", location="Location/delano").body) == set()
    delano_patient = f"Patient/{delano_referral.intake.patient.public_id}"
    assert ids(fhir("ServiceRequest", patient=delano_patient).body) == set()


@pytest.mark.parametrize(
    ("type_name", "id_of"),
    [
        ("Patient", lambda intake, referral, visit: intake.patient.public_id),
        ("Appointment", lambda intake, referral, visit: visit.public_id),
        ("QuestionnaireResponse", lambda intake, referral, visit: intake.public_id),
        ("Location", lambda intake, referral, visit: intake.preferred_location.slug),
    ],
)
def test_every_other_kind_of_delano_record_is_404_and_never_listed(
    two_clinics, fhir, type_name, id_of
):
    mine, theirs = (str(id_of(*two_clinics[place])) for place in ("chaska", "delano"))
    assert fhir(f"{type_name}/{mine}").status_code == 200
    assert fhir(f"{type_name}/{theirs}").status_code == 404
    assert ids(fhir(type_name).body) == {mine}


def test_a_client_for_both_clinics_sees_both(two_clinics, fhir):
    _, token = clients.client_create(name="Regional EHR", location_slugs=["chaska", "delano"])
    expected = {str(two_clinics[place][1].public_id) for place in ("chaska", "delano")}
    assert ids(fhir("ServiceRequest", token=token).body) == expected


def test_a_practitioner_role_names_only_the_clients_locations(two_clinics, fhir, radiographer):
    role = fhir(f"PractitionerRole/{radiographer.pk}").body
    assert [place["reference"] for place in role["location"]] == ["Location/chaska"]


def test_without_a_token_or_with_a_wrong_one_the_answer_is_401(two_clinics, fhir):
    _, referral, _ = two_clinics["chaska"]
    for token in (None, "bfhir_not-a-real-token", "bst_a-patient-api-token"):
        response = fhir(f"ServiceRequest/{referral.public_id}", token=token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="fhir"'
        assert response.body["issue"][0]["code"] == "login"


def test_a_revoked_client_gets_401_at_once(two_clinics, fhir, chaska_token):
    assert fhir("ServiceRequest").status_code == 200
    clients.client_revoke(client=FhirClient.objects.get())
    response = fhir("ServiceRequest")
    assert response.status_code == 401
    assert response.body["resourceType"] == "OperationOutcome"


def test_a_client_left_without_locations_gets_403(fhir):
    FhirClient.objects.get().locations.clear()
    response = fhir("ServiceRequest")
    assert response.status_code == 403
    assert response.body["issue"][0]["code"] == "forbidden"


def test_only_the_token_hash_is_stored_and_use_is_recorded(chaska_token, fhir):
    client = FhirClient.objects.get()
    assert chaska_token not in {client.token_hash, client.key_prefix}
    assert client.last_used_at is None
    fhir("Location")
    client.refresh_from_db()
    assert client.last_used_at is not None


def test_reads_and_search_results_are_in_the_access_log(two_clinics, fhir):
    intake, referral, visit = two_clinics["chaska"]
    AccessLog.objects.all().delete()
    fhir(f"ServiceRequest/{referral.public_id}")
    entry = AccessLog.objects.get()
    assert (entry.object_type, entry.object_id, entry.patient_id, entry.actor) == (
        "referral",
        str(referral.public_id),
        intake.patient_id,
        None,
    )
    assert entry.actor_label.startswith("FHIR client: Chaska imaging centre")
    assert entry.via == f"FHIR GET /fhir/R4/ServiceRequest/{referral.public_id}"

    AccessLog.objects.all().delete()
    fhir("Appointment", status="booked")
    entry = AccessLog.objects.get()
    assert (entry.object_type, entry.object_id) == ("appointment", str(visit.public_id))
    assert entry.via == "FHIR GET /fhir/R4/Appointment?status=booked"

    AccessLog.objects.all().delete()
    fhir("Patient")
    fhir("QuestionnaireResponse")
    assert set(AccessLog.objects.values_list("object_type", "patient_id")) == {
        ("patient", intake.patient_id),
        ("intake answers", intake.patient_id),
    }
    # A 404 reads nothing, and logs nothing.
    AccessLog.objects.all().delete()
    fhir(f"ServiceRequest/{two_clinics['delano'][1].public_id}")
    assert not AccessLog.objects.exists()


@pytest.mark.redis
@override_settings(FHIR_RATE_LIMIT=3)
def test_each_client_has_its_own_rate_limit(chaska, fhir, chaska_token):
    _, other_token = clients.client_create(name="Surgeons' office", location_slugs=["chaska"])
    for _ in range(3):
        assert fhir("Location").status_code == 200
    refused = fhir("Location")
    assert refused.status_code == 429
    assert refused.body["issue"][0]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another client's budget is its own; a client's own limit beats the setting.
    assert fhir("Location", token=other_token).status_code == 200
    FhirClient.objects.filter(name="Chaska imaging centre").update(rate_limit=10)
    assert fhir("Location").status_code == 200
