"""Every resource the interface serves, read and searched, is valid FHIR: checked against the
R4B models of `fhir.resources` (wire-compatible with R4 for these resources), with the codes
the R4 value sets allow, in the FHIR JSON content type."""

import datetime as dt

import pytest
from fhir.resources.R4B import get_fhir_model_class

from clinic import scheduling
from fhir import mapping
from tests.factories import PatientFactory, make_intake
from tests.fhir.conftest import CHICAGO, FHIR_JSON, entries
from triage import engine

pytestmark = pytest.mark.django_db

# R4 value sets (request-status, request-priority, appointmentstatus).
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error"}
REQUEST_PRIORITY = {"routine", "urgent", "asap", "stat"}
APPOINTMENT_STATUS = {"proposed", "pending", "booked", "arrived", "fulfilled", "cancelled"} | {
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}
TYPES = (
    "Patient",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "ServiceRequest",
    "Appointment",
    "Questionnaire",
    "QuestionnaireResponse",
)


def valid(resource: dict):
    """The resource parsed by its R4B model (raises on anything the model refuses)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.fixture
def network(chaska, make_referral, book, scheduler):
    """Something of every kind at Chaska: a booked scan, a cancelled one, an intake without an
    account, a referral waiting for review."""
    booked = book(make_referral(chaska))
    cancelled = book(make_referral(chaska, iv_drug_use=True))
    scheduling.appointment_cancel(appointment=cancelled, actor=scheduler, by_patient=False)
    make_intake(location=chaska, cancer_history=True)  # no account
    make_intake(location=chaska, patient=PatientFactory(), weight_loss=True)  # R9: review
    return booked


def test_the_capability_statement_is_valid_and_lists_what_is_served(fhir):
    response = fhir("metadata", token=None)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    statement = valid(response.body)
    assert statement.fhirVersion == "4.0.1"
    served = {resource.type: resource for resource in statement.rest[0].resource}
    assert set(served) == set(TYPES)
    appointment_params = {param.name for param in served["Appointment"].searchParam}
    assert appointment_params == {"_lastUpdated", "status", "date", "patient", "location"} | {
        "based-on"
    }
    for name in TYPES:
        assert {i.code for i in served[name].interaction} == {"read", "search-type"}


@pytest.mark.parametrize("type_name", TYPES)
def test_every_resource_type_searched_and_read_is_valid_fhir(network, fhir, type_name):
    response = fhir(type_name)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    bundle = valid(response.body)
    assert bundle.type == "searchset"
    found = entries(response.body)
    assert found, f"the search for {type_name} found nothing to validate"
    for resource in found:
        assert resource["resourceType"] == type_name
        valid(resource)
        read = fhir(f"{type_name}/{resource['id']}")
        assert read.status_code == 200
        assert read["Content-Type"].startswith(FHIR_JSON)
        assert read.body == resource
        valid(read.body)


def test_codes_come_from_the_r4_value_sets(network, fhir):
    requests = entries(fhir("ServiceRequest").body)
    assert {r["status"] for r in requests} == {"active", "draft"}
    assert all(r["status"] in REQUEST_STATUS for r in requests)
    assert all(r["priority"] in REQUEST_PRIORITY and r["intent"] == "order" for r in requests)
    visits = entries(fhir("Appointment").body)
    assert {v["status"] for v in visits} == {"booked", "cancelled"}
    assert all(v["status"] in APPOINTMENT_STATUS for v in visits)


def test_a_service_request_says_why_how_urgent_and_by_when(chaska, make_referral, fhir):
    intake = make_referral(chaska, cancer_history=True, weight_loss=True)
    referral = intake.referrals.get()
    resource = fhir(f"ServiceRequest/{referral.public_id}").body
    assert resource["priority"] == "urgent"
    assert resource["code"]["text"] == "Imaging"
    reasons = [concept["coding"][0]["code"] for concept in resource["reasonCode"]]
    # The deciding rule first, then every red flag that held.
    assert reasons == ["R6", "cancer_history", "weight_loss"]
    assert resource["reasonCode"][1]["text"] == engine.RED_FLAG_LABELS["cancer_history"]
    # Submitted Monday 08:00 CST; the urgent target is 14 days later, shown in Chicago time.
    assert resource["occurrencePeriod"] == {
        "start": "2027-02-22T08:00:00-06:00",
        "end": "2027-03-08T08:00:00-06:00",
    }
    assert resource["subject"]["reference"] == f"Patient/{intake.patient.public_id}"
    assert {"reference": f"QuestionnaireResponse/{intake.public_id}"}.items() <= resource[
        "supportingInfo"
    ][0].items()


def test_appointment_times_carry_the_location_offset_across_daylight_saving(
    chaska, make_referral, book, fhir
):
    # Chicago moves to daylight time on Sunday 14 March 2027: a Tuesday on each side of it.
    winter = book(make_referral(chaska))
    summer = book(make_referral(chaska), at=dt.datetime(2027, 3, 16, 10, 0, tzinfo=CHICAGO))
    assert fhir(f"Appointment/{winter.public_id}").body["start"] == "2027-02-23T10:00:00-06:00"
    assert fhir(f"Appointment/{summer.public_id}").body["start"] == "2027-03-16T10:00:00-05:00"
    assert fhir(f"Appointment/{summer.public_id}").body["end"] == "2027-03-16T10:30:00-05:00"


def test_the_questionnaire_asks_every_protocol_question_and_the_answers_match_it(
    chaska, make_referral, fhir
):
    form = valid(fhir(f"Questionnaire/{mapping.QUESTIONNAIRE_ID}").body)
    assert form.version == engine.PROTOCOL_VERSION
    asked = {item.linkId: item for item in form.item}
    assert list(asked) == list(engine.FIELDS)
    assert asked["age"].type == "integer"
    assert asked["trauma"].type == "choice"
    assert [o.valueCoding.code for o in asked["trauma"].answerOption] == ["none", "minor", "major"]

    intake = make_referral(chaska, cancer_history=True, trauma="minor")
    answers = fhir(f"QuestionnaireResponse/{intake.public_id}").body
    assert answers["questionnaire"] == f"{form.url}|{engine.PROTOCOL_VERSION}"
    given = {item["linkId"]: item["answer"][0] for item in answers["item"]}
    assert set(given) <= set(asked)
    assert given["cancer_history"] == {"valueBoolean": True}
    assert given["trauma"]["valueCoding"]["code"] == "minor"
    assert given["age"] == {"valueInteger": intake.answers["age"]}


def test_an_unknown_questionnaire_is_not_found(fhir):
    response = fhir("Questionnaire/back-pain-intake-1999.1")
    assert response.status_code == 404
    assert valid(response.body).issue[0].code == "not-found"
