"""Intakes: submit the back-pain answers, read the decision. The same service as the wizard."""

import uuid

from django.http import Http404
from ninja import Router, Status

from clinic.api import schemas
from clinic.api.auth import access_via, caller_patient
from clinic.api.catalogue import location_by_slug
from clinic.api.errors import invalid
from patients import booking, selectors
from triage import engine, services
from triage.services import RUNNER_CONTEXT_FIELDS

router = Router(tags=["intakes"])

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


def intake_out(intake) -> dict:
    decision = intake.current_decision
    service = booking.online_service_for(intake)
    return {
        "id": intake.public_id,
        "created_at": intake.created_at.astimezone(intake.preferred_location.zone),
        "status": intake.status,
        "preferred_location": intake.preferred_location.slug,
        "pathway": decision.pathway,
        "urgency": decision.urgency,
        "emergency_advice": decision.emergency_advice,
        "clinician_review": decision.clinician_review,
        "reasons": list(decision.reasons),
        "red_flags": list(decision.red_flags),
        "safety_net": list(decision.safety_net),
        "sbst_risk": decision.sbst_risk,
        "sbst_total": decision.sbst_total,
        "protocol_version": decision.protocol_version,
        "book_online": service.slug if service is not None else None,
    }


@router.post(
    "/intakes",
    response={
        201: schemas.IntakeOut,
        400: schemas.Error,
        401: schemas.Error,
        403: schemas.Error,
        422: schemas.ValidationErrors,
        429: schemas.Error,
    },
    summary="Submit the back-pain questions",
    description=(
        "Assesses the answers with the triage protocol and stores the intake for the signed-in "
        "patient. When `emergency_advice` is true, show the reasons and tell the person to seek "
        "emergency care now."
    ),
)
def intake_create(request, payload: schemas.IntakeIn):
    patient = caller_patient(request)
    data = payload.model_dump()
    defaults = {
        "first_name": patient.first_name or request.user.first_name,
        "last_name": patient.last_name or request.user.last_name,
        "email": request.user.email,
        "phone": str(patient.phone or ""),
    }
    contact = {name: data[name] or defaults[name] for name in CONTACT_FIELDS}
    for name in ("first_name", "last_name", "email"):
        if not contact[name]:
            raise invalid("body", "payload", name, msg="Required: the account has none to use.")
    if data["preferred_location"] is not None:
        location = location_by_slug(
            data["preferred_location"], "body", "payload", "preferred_location"
        )
    elif patient.preferred_location_id is not None:
        location = patient.preferred_location
    else:
        raise invalid("body", "payload", "preferred_location", msg="Choose a location's slug.")
    intake = services.intake_submit(
        answers={name: data[name] for name in engine.FIELDS},
        contact=contact,
        runner_context={name: data[name] for name in RUNNER_CONTEXT_FIELDS},
        preferred_location=location,
        patient=patient,
    )
    return Status(201, intake_out(intake))


@router.get(
    "/intakes/{id}",
    response={
        200: schemas.IntakeOut,
        401: schemas.Error,
        404: schemas.Error,
        422: schemas.ValidationErrors,
        429: schemas.Error,
    },
    summary="One intake and its current decision",
)
def intake_detail(request, id: uuid.UUID):
    intake = selectors.access_intake(request, public_id=id, via=access_via(request))
    if intake.current_decision is None:
        raise Http404("No decision for this intake.")
    return intake_out(intake)
