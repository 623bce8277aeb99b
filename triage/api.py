"""Intakes: submit the back-pain answers, read the decision and the times it may be booked
at. The same services as the wizard and the booking page."""

import datetime as dt
import uuid

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Query, Router, Status

from clinic import scheduling
from clinic.api import schemas
from clinic.api.auth import api_access, caller_patient
from clinic.api.catalogue import location_by_slug
from clinic.api.errors import invalid
from clinic.errors import NotAllowed
from patients import selectors
from triage import engine, services
from triage.services import RUNNER_CONTEXT_FIELDS

router = Router(tags=["intakes"])

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")
MAX_DAYS_AHEAD = 366  # as the booking page: a first day within the next year


def intake_out(intake) -> dict:
    decision = intake.current_decision
    service = scheduling.online_service_for(intake)
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
    return intake_out(_readable_intake(request, id))


@router.get(
    "/intakes/{id}/slots",
    response={
        200: schemas.IntakeSlotsOut,
        401: schemas.Error,
        403: schemas.Error,
        404: schemas.Error,
        422: schemas.ValidationErrors,
        429: schemas.Error,
    },
    summary="The times this intake may be booked at, and its target window",
    description=(
        "The free times of the service the patient may book online for this intake, on `days` "
        f"local dates from date_from (1 to {schemas.MAX_OFFER_DAYS}; date_from today or within "
        f"{MAX_DAYS_AHEAD} days), each marked whether it starts by `window_end`, the protocol's "
        "target for the care plan counted from the intake's submission. The same times as the "
        "booking page; book one with POST /api/v1/appointments. 403 when the care plan is not "
        "booked online."
    ),
)
def intake_slots(request, id: uuid.UUID, filters: Query[schemas.IntakeSlotQuery]):
    intake = _readable_intake(request, id)
    service = scheduling.online_service_for(intake)
    if service is None:
        raise NotAllowed(
            scheduling.online_refusal(intake.current_decision)
            or gettext("This care plan is booked by our team, not online.")
        )
    location = intake.preferred_location
    if filters.location is not None:
        location = location_by_slug(filters.location, "query", "location")
    today = timezone.now().astimezone(location.zone).date()
    first_day = filters.date_from or today
    if first_day < today:
        raise invalid("query", "date_from", msg="Choose today or a later day.")
    if first_day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise invalid("query", "date_from", msg=f"Choose a day within {MAX_DAYS_AHEAD} days.")
    offers = scheduling.offers_for_intake(
        intake=intake, service=service, location=location, first_day=first_day, days=filters.days
    )
    return {
        "service": service.slug,
        "location": location.slug,
        "time_zone": location.time_zone,
        "window_end": offers.window_end.astimezone(location.zone),
        "fits_window": offers.fits_window,
        "slots": [schemas.offered_slot_out(offer) for offer in offers.slots],
    }


def _readable_intake(request, public_id):
    """The intake if the caller may read it (404 otherwise, or without a decision); logged."""
    intake = selectors.access_intake(api_access(request), public_id=public_id)
    if intake.current_decision is None:
        raise Http404("No decision for this intake.")
    return intake
