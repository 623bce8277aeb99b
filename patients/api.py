"""A patient's appointments: book, list, cancel, move. The same services as the pages.

Booking rules (protocol section 7) live in `clinic.scheduling`: physiotherapy is booked online,
imaging and surgical consults only by staff (403 here), an emergency not at all.
"""

import uuid

from ninja import Router, Status

from clinic import scheduling
from clinic.api import schemas
from clinic.api.auth import api_access, caller_patient
from clinic.api.catalogue import service_and_location
from clinic.api.errors import invalid
from clinic.models import Practitioner
from patients import booking, selectors

router = Router(tags=["appointments"])

ERROR_RESPONSES = {
    400: schemas.Error,
    401: schemas.Error,
    403: schemas.Error,
    404: schemas.Error,
    409: schemas.Conflict,
    422: schemas.ValidationErrors,
    429: schemas.Error,
}
CHANGE_RESPONSES = {200: schemas.AppointmentOut, **ERROR_RESPONSES}


def appointment_out(appointment) -> dict:
    zone = appointment.location.zone
    return {
        "id": appointment.public_id,
        "start": appointment.start.astimezone(zone),
        "end": appointment.end.astimezone(zone),
        "status": appointment.status,
        "service": appointment.service.slug,
        "service_name": appointment.service.name,
        "location": appointment.location.slug,
        "location_name": appointment.location.name,
        "practitioner": appointment.practitioner_id,
        "practitioner_name": appointment.practitioner.display_name,
        "intake": appointment.intake.public_id if appointment.intake_id else None,
        "can_change": booking.patient_may_change(appointment),
    }


def _no_such_practitioner():
    return invalid("body", "payload", "practitioner", msg="There is no such practitioner.")


def _practitioner(pk: int) -> Practitioner:
    practitioner = Practitioner.objects.filter(pk=pk, is_active=True).first()
    if practitioner is None:
        raise _no_such_practitioner()
    return practitioner


# The operationIds django-ninja gives them (module and function), spelt out for the links below.
CANCEL_OPERATION = "patients_api_appointment_cancel"
RESCHEDULE_OPERATION = "patients_api_appointment_reschedule"


@router.post(
    "/appointments",
    response={201: schemas.AppointmentOut, **ERROR_RESPONSES},
    # OpenAPI links: the booked appointment's id is what cancelling and moving it take.
    openapi_extra={
        "responses": {
            201: {
                "links": {
                    "CancelAppointment": {
                        "operationId": CANCEL_OPERATION,
                        "parameters": {"id": "$response.body#/id"},
                        "description": "Cancel the appointment just booked.",
                    },
                    "RescheduleAppointment": {
                        "operationId": RESCHEDULE_OPERATION,
                        "parameters": {"id": "$response.body#/id"},
                        "description": "Move the appointment just booked to another time.",
                    },
                }
            }
        }
    },
    summary="Book an appointment",
    description=(
        "Books a time from /api/v1/slots for the patient's intake. 409 when the time was just "
        "taken, with the nearest free times; 403 when the care plan is not booked online."
    ),
)
def appointment_create(request, payload: schemas.AppointmentIn):
    patient = caller_patient(request)
    intake = selectors.access_intake(
        api_access(request), public_id=payload.intake, related=("current_decision",)
    )
    service, location = service_and_location(payload.service, payload.location, "body", "payload")
    try:
        appointment = scheduling.appointment_book(
            patient=patient,
            service=service,
            location=location,
            # Looked up under the booking's lock, not before it as well.
            practitioner=Practitioner(pk=payload.practitioner),
            start=payload.start,
            intake=intake,
            booked_by=request.user,
            online=True,
        )
    except scheduling.UnknownPractitioner:
        raise _no_such_practitioner() from None
    return Status(201, appointment_out(appointment))


@router.get(
    "/appointments",
    response={
        200: list[schemas.AppointmentOut],
        401: schemas.Error,
        403: schemas.Error,
        429: schemas.Error,
    },
    summary="The patient's appointments, upcoming and past",
)
def appointment_list(request):
    caller_patient(request)
    appointments = list(
        selectors.scope_appointments(request.user)
        .select_related("location", "practitioner", "service", "intake")
        .order_by("start")
    )
    selectors.record_list_access(
        api_access(request),
        rows=[(appointment.patient_id, appointment.public_id) for appointment in appointments],
        object_type="appointment",
    )
    return [appointment_out(appointment) for appointment in appointments]


@router.post(
    "/appointments/{id}/cancel",
    response=CHANGE_RESPONSES,
    operation_id=CANCEL_OPERATION,
    summary="Cancel an appointment",
    description="Patients may cancel online until 24 hours before the start.",
)
def appointment_cancel(request, id: uuid.UUID, payload: schemas.CancelIn | None = None):
    caller_patient(request)
    appointment = selectors.access_appointment(api_access(request), public_id=id)
    appointment = scheduling.appointment_cancel(
        appointment=appointment,
        actor=request.user,
        reason=payload.reason if payload is not None else "",
        by_patient=True,
    )
    return appointment_out(appointment)


@router.post(
    "/appointments/{id}/reschedule",
    response=CHANGE_RESPONSES,
    operation_id=RESCHEDULE_OPERATION,
    summary="Move an appointment to another free time",
    description="Patients may move an appointment online until 24 hours before its start.",
)
def appointment_reschedule(request, id: uuid.UUID, payload: schemas.RescheduleIn):
    caller_patient(request)
    appointment = selectors.access_appointment(api_access(request), public_id=id)
    practitioner = None
    if payload.practitioner is not None:
        practitioner = _practitioner(payload.practitioner)
    appointment = scheduling.appointment_reschedule(
        appointment=appointment,
        actor=request.user,
        start=payload.start,
        practitioner=practitioner,
        by_patient=True,
    )
    return appointment_out(appointment)
