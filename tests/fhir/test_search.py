"""Searches: the common parameters, paging through the links a Bundle gives, a query count
that does not grow with the page, and a 400 OperationOutcome (never a 500) for a query that
cannot be answered as asked."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from fhir.registry import TYPES
from fhir.search import Param
from tests.factories import AppointmentFactory
from tests.fhir.conftest import CHICAGO, NOW, entries, ids

pytestmark = pytest.mark.django_db


def follow(fhir, url: str):
    """GET a link a Bundle gave (an absolute URL on this server)."""
    parts = urlsplit(url)
    assert parts.path.startswith("/fhir/R4/")
    path = parts.path.removeprefix("/fhir/R4/")
    return fhir(f"{path}?{parts.query}")


def links(bundle: dict) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def test_paging_walks_every_match_once_with_next_and_previous(chaska, make_referral, fhir):
    made = {str(make_referral(chaska).referrals.get().public_id) for _ in range(7)}
    page = fhir("ServiceRequest", _count="3").body
    assert len(entries(page)) == 3
    assert "previous" not in links(page)
    seen, pages = [], [page]
    while True:
        seen.extend(resource["id"] for resource in entries(page))
        if "next" not in links(page):
            break
        page = follow(fhir, links(page)["next"]).body
        pages.append(page)
    assert len(pages) == 3
    assert sorted(seen) == sorted(made)  # each once
    # Back from the last page to the second.
    back = follow(fhir, links(pages[2])["previous"]).body
    assert ids(back) == ids(pages[1])
    # The self link is the page itself.
    assert ids(follow(fhir, links(pages[1])["self"]).body) == ids(pages[1])


def test_links_keep_the_search_parameters(chaska, make_referral, fhir):
    for _ in range(3):
        make_referral(chaska)
    page = fhir("ServiceRequest", status="active", _count="2").body
    assert "status=active" in links(page)["next"]


def test_last_updated_and_date_filters(chaska, make_referral, book, fhir, freeze):
    early = make_referral(chaska)
    tuesday = book(early)
    freeze(NOW + dt.timedelta(days=2))
    late = make_referral(chaska)
    early_id, late_id = (str(i.referrals.get().public_id) for i in (early, late))
    assert ids(fhir("ServiceRequest", _lastUpdated="gt2027-02-23").body) == {late_id}
    assert ids(fhir("ServiceRequest", _lastUpdated="lt2027-02-23").body) == {early_id}
    assert ids(fhir("ServiceRequest", authored="2027-02-22").body) == {early_id}
    both = fhir("ServiceRequest", _lastUpdated=["ge2027-02-22", "le2027-02-24"]).body
    assert ids(both) == {early_id, late_id}

    next_week = book(late, at=dt.datetime(2027, 3, 2, 10, 0, tzinfo=CHICAGO))
    assert ids(fhir("Appointment", date="2027-02-23").body) == {str(tuesday.public_id)}
    # Times with a zone: 10:00 in Chicago is 16:00 UTC.
    assert ids(fhir("Appointment", date="ge2027-03-02T16:00:00Z").body) == {
        str(next_week.public_id)
    }
    assert ids(fhir("Appointment", date="gt2027-03-02T16:00:00Z").body) == set()
    assert ids(fhir("Appointment", date="lt2027-03-02T10:00:00-06:00").body) == {
        str(tuesday.public_id)
    }


def test_patient_and_location_parameters(chaska, make_referral, fhir):
    first, second = make_referral(chaska), make_referral(chaska)
    by_patient = fhir("QuestionnaireResponse", patient=f"Patient/{first.patient.public_id}")
    assert ids(by_patient.body) == {str(first.public_id)}
    bare_id = fhir("ServiceRequest", patient=str(second.patient.public_id)).body
    assert ids(bare_id) == {str(second.referrals.get().public_id)}
    assert len(entries(fhir("ServiceRequest", location="chaska").body)) == 2


@pytest.mark.parametrize(
    ("type_name", "params", "says"),
    [
        ("ServiceRequest", {"status": "bogus"}, "status: 'bogus' is not one of"),
        ("ServiceRequest", {"_lastUpdated": "yesterday"}, "is not a FHIR date"),
        ("ServiceRequest", {"_lastUpdated": "2027-02-30"}, "is not a date that exists"),
        ("ServiceRequest", {"_lastUpdated": "2027-02-22T10:00:00+99:00"}, "offset"),
        ("ServiceRequest", {"patient": "Patient/not-a-uuid"}, "is not a Patient id"),
        ("ServiceRequest", {"patient": "Location/chaska"}, "must be a Patient reference"),
        ("ServiceRequest", {"colour": "red"}, "'colour' is not a supported search parameter"),
        ("ServiceRequest", {"status:not": "active"}, "modifier ':not' is not supported"),
        ("ServiceRequest", {"_count": "many"}, "_count must be a single whole number"),
        ("ServiceRequest", {"_count": "0"}, "_count must be at least 1"),
        ("ServiceRequest", {"_offset": "-5"}, "_offset must be a single whole number"),
        ("ServiceRequest", {"_offset": "99999999"}, "_offset must be from 0 to 10000"),
        ("ServiceRequest", {"_format": "xml"}, "only JSON"),
        ("Appointment", {"date": ""}, "date is empty"),
        ("Location", {"_lastUpdated": "2027"}, "not a supported search parameter"),
        ("PractitionerRole", {"practitioner": "Practitioner/x1"}, "not a Practitioner id"),
        ("Questionnaire", {"status": "active"}, "not a supported search parameter"),
    ],
)
def test_a_query_that_cannot_be_answered_is_a_400_operation_outcome(
    chaska, fhir, type_name, params, says
):
    response = fhir(type_name, **params)
    assert response.status_code == 400
    assert response.body["resourceType"] == "OperationOutcome"
    issue = response.body["issue"][0]
    assert (issue["severity"], issue["code"]) == ("error", "invalid")
    assert says in issue["diagnostics"]


def test_a_large_count_is_capped_and_a_json_format_is_accepted(chaska, make_referral, fhir):
    make_referral(chaska)
    response = fhir("ServiceRequest", _count="5000", _format="application/fhir+json")
    assert response.status_code == 200
    assert "_count=100" in links(response.body)["self"]


@pytest.mark.parametrize(
    ("method", "status"), [("post", 405), ("put", 405), ("delete", 405), ("patch", 405)]
)
def test_the_interface_is_read_only(client, chaska_token, method, status):
    response = getattr(client, method)(
        "/fhir/R4/ServiceRequest", HTTP_AUTHORIZATION=f"Bearer {chaska_token}"
    )
    assert response.status_code == status
    assert response.json()["issue"][0]["code"] == "not-supported"


def test_unknown_types_and_paths_are_404_operation_outcomes(fhir):
    for path in ("Observation", "Observation/1", "ServiceRequest/1/_history/2", "Patient/%20"):
        response = fhir(path)
        assert response.status_code == 404, path
        assert response.body["resourceType"] == "OperationOutcome"
    assert fhir("ServiceRequest/not-a-uuid").status_code == 404
    assert fhir("Practitioner/abc").status_code == 404


def queries_for(fhir, path, **params) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = fhir(path, **params)
    assert response.status_code == 200
    return len(captured.captured_queries), response.body


# The client, its locations, the page and the access log; then what the page links to: for a
# ServiceRequest the clinics, the referrals of its intakes and their visits, for an
# Appointment the referrals of its intakes.
@pytest.mark.parametrize(
    ("type_name", "queries"),
    [("ServiceRequest", 7), ("Appointment", 5), ("QuestionnaireResponse", 4)],
)
def test_a_page_costs_the_same_queries_at_10_and_at_100(
    chaska, make_referral, radiographer, scan_service, fhir, type_name, queries
):
    intakes = [make_referral(chaska) for _ in range(110)]
    if type_name in ("Appointment", "ServiceRequest"):
        # Visits made directly (far more than one radiographer's bookable mornings), each
        # linked to its intake's referral like a booked one.
        for n, intake in enumerate(intakes):
            AppointmentFactory(
                patient=intake.patient,
                practitioner=radiographer,
                location=chaska,
                service=scan_service,
                intake=intake,
                start=NOW + dt.timedelta(days=1, hours=n),
            )
    fhir(type_name)  # the client's first call of the minute also records its last use
    small, small_page = queries_for(fhir, type_name, _count="10")
    large, large_page = queries_for(fhir, type_name, _count="100")
    assert (len(entries(small_page)), len(entries(large_page))) == (10, 100)
    assert small == large == queries
    if type_name != "QuestionnaireResponse":
        assert all(
            any(
                link.get("reference", "").startswith(("Appointment/", "ServiceRequest/"))
                for link in resource.get("supportingInfo", []) + resource.get("basedOn", [])
            )
            for resource in entries(large_page)
        )


NASTY = ["²", "\x00", "Patient/\x00", "ge", "2027-13-01", "9" * 40, "a,b,,", "ltx", "%", "//"]


@override_settings(FHIR_RATE_LIMIT=0)  # hundreds of requests in a minute
def test_no_value_of_any_parameter_of_any_type_gives_a_500(chaska, make_referral, fhir):
    make_referral(chaska)
    for name, rtype in TYPES.items():
        for param in (*rtype.params, Param("_count", "", "", ""), Param("_offset", "", "", "")):
            for value in NASTY:
                response = fhir(name, **{param.name: value})
                assert response.status_code in (200, 400), (name, param.name, value)
                assert response.body["resourceType"] in ("Bundle", "OperationOutcome")
