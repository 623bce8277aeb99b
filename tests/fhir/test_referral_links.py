"""A referral's ServiceRequest and the Appointment booked for it point to each other, and both
follow the referral when it is scheduled, attended or cancelled."""

import datetime as dt

import pytest

from clinic import roles, scheduling
from clinic.models import AppointmentStatus
from tests.factories import PractitionerFactory, ServiceFactory, WorkingHoursFactory
from tests.fhir.conftest import ids
from triage import services

pytestmark = pytest.mark.django_db

STATE_EXTENSION_SUFFIX = "/fhir/StructureDefinition/referral-state"


def state(resource: dict) -> str:
    (extension,) = [e for e in resource["extension"] if e["url"].endswith(STATE_EXTENSION_SUFFIX)]
    return extension["valueCode"]


def linked_visits(resource: dict) -> list[str]:
    return [
        info["reference"]
        for info in resource["supportingInfo"]
        if info["reference"].startswith("Appointment/")
    ]


def test_scheduled_then_attended(chaska, make_referral, book, scheduler, fhir, freeze):
    intake = make_referral(chaska)
    referral = intake.referrals.get()
    request_path = f"ServiceRequest/{referral.public_id}"
    before = fhir(request_path).body
    assert (before["status"], state(before), linked_visits(before)) == (
        "active",
        "ready_to_schedule",
        [],
    )

    visit = book(intake)
    scheduled = fhir(request_path).body
    appointment = fhir(f"Appointment/{visit.public_id}").body
    assert (scheduled["status"], state(scheduled)) == ("active", "scheduled")
    assert linked_visits(scheduled) == [f"Appointment/{visit.public_id}"]
    assert appointment["status"] == "booked"
    assert appointment["basedOn"] == [{"reference": request_path}]
    # And from the referral's side, by search.
    assert ids(fhir("Appointment", **{"based-on": request_path}).body) == {str(visit.public_id)}

    freeze(visit.start + dt.timedelta(minutes=40))
    scheduling.appointment_set_status(
        appointment=visit, actor=scheduler, status=AppointmentStatus.COMPLETED
    )
    attended = fhir(request_path).body
    assert (attended["status"], state(attended)) == ("completed", "attended")
    assert fhir(f"Appointment/{visit.public_id}").body["status"] == "fulfilled"
    assert ids(fhir("ServiceRequest", status="completed").body) == {str(referral.public_id)}
    assert ids(fhir("ServiceRequest", status="active").body) == set()


def test_cancelled_then_booked_again(chaska, make_referral, book, scheduler, fhir, freeze):
    intake = make_referral(chaska)
    referral = intake.referrals.get()
    request_path = f"ServiceRequest/{referral.public_id}"
    first = book(intake)
    freeze(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    scheduling.appointment_cancel(
        appointment=first, actor=scheduler, reason="Scanner down.", by_patient=False
    )
    cancelled = fhir(request_path).body
    assert (cancelled["status"], state(cancelled)) == ("active", "ready_to_schedule")
    assert fhir(f"Appointment/{first.public_id}").body["status"] == "cancelled"
    # The cancelled visit still says which referral it was for, and the referral lists it.
    assert fhir(f"Appointment/{first.public_id}").body["basedOn"] == [{"reference": request_path}]
    assert linked_visits(cancelled) == [f"Appointment/{first.public_id}"]

    second = book(intake)
    rebooked = fhir(request_path).body
    assert state(rebooked) == "scheduled"
    assert linked_visits(rebooked) == [
        f"Appointment/{first.public_id}",
        f"Appointment/{second.public_id}",
    ]
    assert ids(fhir("Appointment", status="booked").body) == {str(second.public_id)}


def test_a_referral_awaiting_review_is_a_draft_until_a_clinician_agrees(
    chaska, make_referral, staff_at, fhir
):
    intake = make_referral(chaska, weight_loss=True)  # R9: a clinician reviews first
    request_path = f"ServiceRequest/{intake.referrals.get().public_id}"
    assert fhir(request_path).body["status"] == "draft"
    services.decision_review_agree(intake=intake, actor=staff_at(chaska, roles.TRIAGE_CLINICIAN))
    assert fhir(request_path).body["status"] == "active"


def test_closing_the_intake_revokes_the_service_request_with_the_reason(
    chaska, make_referral, staff_at, fhir
):
    intake = make_referral(chaska)
    request_path = f"ServiceRequest/{intake.referrals.get().public_id}"
    services.intake_set_status(
        intake=intake,
        actor=staff_at(chaska, roles.TRIAGE_CLINICIAN),
        status="closed",
        outcome="Patient moved away.",
    )
    closed = fhir(request_path).body
    assert (closed["status"], state(closed)) == ("revoked", "declined")
    assert closed["note"] == [{"text": "Patient moved away."}]


def test_a_physio_visit_of_the_same_intake_is_not_based_on_its_scan_referral(
    chaska, make_referral, scheduler, fhir
):
    intake = make_referral(chaska)
    physio = ServiceFactory(slug="physio-assessment", duration_minutes=30, buffer_after_minutes=0)
    physiotherapist = PractitionerFactory(locations=[chaska])
    WorkingHoursFactory(practitioner=physiotherapist, location=chaska, weekday=1)
    visit = scheduling.appointment_book(
        patient=intake.patient,
        service=physio,
        location=chaska,
        practitioner=physiotherapist,
        start=dt.datetime(2027, 2, 23, 16, 0, tzinfo=dt.UTC),
        intake=intake,
        booked_by=scheduler,
        online=False,
    )
    resource = fhir(f"Appointment/{visit.public_id}").body
    assert "basedOn" not in resource
    request_path = f"ServiceRequest/{intake.referrals.get().public_id}"
    assert ids(fhir("Appointment", **{"based-on": request_path}).body) == set()
