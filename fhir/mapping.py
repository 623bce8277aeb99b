"""Our records as FHIR R4 resources (plain dicts, serialised as application/fhir+json).

Each function takes rows the caller has already loaded (with their related rows), so a page
of resources costs the same queries whatever its size. Times are given with the offset of the
location's own zone, as staff and patients see them. What maps to what is in the README
("FHIR R4").
"""

import datetime as dt
from functools import cache

from django.conf import settings

from clinic.models import Appointment, AppointmentStatus, Location, Practitioner
from patients.models import Patient
from triage import advice, engine
from triage.models import Intake, Referral


# Our own code systems and identifier systems live under the site's address.
def _system(path: str) -> str:
    return f"{settings.SITE_URL}/fhir/{path}"


QUESTIONNAIRE_ID = f"back-pain-intake-{engine.PROTOCOL_VERSION}"
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"
SNOMED = "http://snomed.info/sct"

REFERRAL_STATUS = {
    # A referral waiting for a clinician's review (R9-R11) may not be acted on yet.
    Referral.State.AWAITING_REVIEW: "draft",
    Referral.State.READY_TO_SCHEDULE: "active",
    Referral.State.SCHEDULED: "active",
    Referral.State.ATTENDED: "completed",
    Referral.State.CLOSED: "completed",
    Referral.State.RETURNED: "revoked",
    Referral.State.DECLINED: "revoked",
}
PRIORITY = {"emergency": "stat", "urgent": "urgent", "soon": "asap", "routine": "routine"}
APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
PATHWAY_SNOMED = {
    "imaging": ("363679005", "Imaging"),
    "surgical_consult": ("11429006", "Consultation"),
}


def local(instant, zone) -> str:
    """An instant as FHIR dateTime with the offset of `zone` (seconds precision)."""
    return instant.astimezone(zone).isoformat(timespec="seconds")


def _meta(updated_at) -> dict:
    return {"lastUpdated": updated_at.astimezone(dt.UTC).isoformat(timespec="milliseconds")}


def location_reference(location: Location) -> dict:
    return {"reference": f"Location/{location.slug}", "display": location.name}


def practitioner_reference(practitioner: Practitioner) -> dict:
    return {"reference": f"Practitioner/{practitioner.pk}", "display": practitioner.display_name}


def patient_reference(patient: Patient | None, *, name: str = "") -> dict:
    """A reference to the patient's record; an intake made without an account names the
    person only (there is no Patient resource to point to)."""
    if patient is None:
        return {"display": name or "Patient without an account"}
    return {"reference": f"Patient/{patient.public_id}", "display": patient.full_name or name}


def _intake_subject(intake: Intake) -> dict:
    return patient_reference(intake.patient, name=f"{intake.first_name} {intake.last_name}")


def location(location: Location) -> dict:
    resource = {
        "resourceType": "Location",
        "id": location.slug,
        "identifier": [{"system": _system("sid/location"), "value": location.slug}],
        "status": "active",
        "name": location.name,
        "mode": "instance",
        "address": {"text": location.address},
        "extension": [{"url": TIMEZONE_EXTENSION, "valueCode": location.time_zone}],
    }
    if location.phone:
        resource["telecom"] = [{"system": "phone", "value": location.phone, "use": "work"}]
    return resource


def practitioner(practitioner: Practitioner) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": str(practitioner.pk),
        "active": practitioner.is_active,
        "name": [{"text": practitioner.display_name}],
    }


def practitioner_role(practitioner: Practitioner, locations: list[Location]) -> dict:
    """One role per practitioner: their discipline, at the client's locations they work at."""
    discipline = practitioner.get_discipline_display()
    return {
        "resourceType": "PractitionerRole",
        "id": str(practitioner.pk),
        "active": practitioner.is_active,
        "practitioner": practitioner_reference(practitioner),
        "location": [location_reference(place) for place in locations],
        "specialty": [
            {
                "coding": [
                    {
                        "system": _system("CodeSystem/discipline"),
                        "code": practitioner.discipline,
                        "display": discipline,
                    }
                ],
                "text": discipline,
            }
        ],
    }


def patient(patient: Patient) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "meta": _meta(patient.updated_at),
        "identifier": [{"system": _system("sid/patient"), "value": str(patient.public_id)}],
        "active": patient.deletion_requested_at is None,
        "telecom": [{"system": "email", "value": patient.user.email}],
    }
    if patient.first_name or patient.last_name:
        name = {"use": "official", "text": patient.full_name}
        if patient.last_name:
            name["family"] = patient.last_name
        if patient.first_name:
            name["given"] = [patient.first_name]
        resource["name"] = [name]
    if patient.phone:
        resource["telecom"].append({"system": "phone", "value": str(patient.phone)})
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def _concept(system: str, code: str, display: str) -> dict:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _pathway_concept(pathway: str) -> dict:
    code, display = PATHWAY_SNOMED[pathway]
    label = pathway.replace("_", " ").capitalize()
    return {
        "coding": [
            {"system": SNOMED, "code": code, "display": display},
            {"system": _system("CodeSystem/pathway"), "code": pathway, "display": label},
        ],
        "text": label,
    }


@cache
def _rule_reasons() -> dict[str, str]:
    reasons = {rule.code: rule.reason for rule in engine.RULES}
    reasons["SBST"] = "STarT Back risk band (protocol section 4, last row)"
    return reasons


def service_request(referral: Referral, appointments: list[Appointment]) -> dict:
    """A referral as a ServiceRequest: `appointments` are the visits booked for it (each
    Appointment's basedOn points back here)."""
    intake = referral.intake
    decision = intake.current_decision
    zone = intake.preferred_location.zone
    reasons = []
    if decision is not None:
        reasons.append(
            _concept(
                _system("CodeSystem/triage-rule"),
                decision.rule,
                f"Protocol {decision.protocol_version} rule {decision.rule}: "
                + _rule_reasons().get(decision.rule, decision.rule),
            )
        )
        reasons.extend(
            _concept(_system("CodeSystem/red-flag"), code, engine.RED_FLAG_LABELS.get(code, code))
            for code in decision.red_flags
        )
    resource = {
        "resourceType": "ServiceRequest",
        "id": str(referral.public_id),
        "meta": _meta(referral.updated_at),
        "identifier": [{"system": _system("sid/referral"), "value": str(referral.public_id)}],
        "extension": [
            {
                # Our finer state (e.g. ready to schedule and scheduled are both "active").
                "url": _system("StructureDefinition/referral-state"),
                "valueCode": referral.state,
            }
        ],
        "status": REFERRAL_STATUS[referral.state],
        "intent": "order",
        "category": [_pathway_concept(referral.pathway)],
        "code": _pathway_concept(referral.pathway),
        "priority": PRIORITY[referral.urgency],
        "subject": _intake_subject(intake),
        "authoredOn": local(referral.created_at, zone),
        # From the submission to the protocol's section 6 target.
        "occurrencePeriod": {
            "start": local(intake.created_at, zone),
            "end": local(referral.target_date, zone),
        },
        "locationReference": [location_reference(intake.preferred_location)],
        "reasonCode": reasons,
        "supportingInfo": [
            {"reference": f"QuestionnaireResponse/{intake.public_id}", "display": "Intake answers"},
            *(
                {"reference": f"Appointment/{visit.public_id}", "display": str(visit.service)}
                for visit in appointments
            ),
        ],
    }
    if referral.reason:
        resource["note"] = [{"text": referral.reason}]
    return resource


def appointment(visit: Appointment, referral: Referral | None) -> dict:
    zone = visit.location.zone
    service = visit.service
    resource = {
        "resourceType": "Appointment",
        "id": str(visit.public_id),
        "meta": _meta(visit.updated_at),
        "identifier": [{"system": _system("sid/appointment"), "value": str(visit.public_id)}],
        "status": APPOINTMENT_STATUS[visit.status],
        "serviceType": [_concept(_system("CodeSystem/service"), service.slug, service.name)],
        "description": service.name,
        "start": local(visit.start, zone),
        "end": local(visit.end, zone),
        "minutesDuration": int((visit.end - visit.start).total_seconds() // 60),
        "created": local(visit.created_at, zone),
        "participant": [
            {
                "actor": patient_reference(visit.patient),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": practitioner_reference(visit.practitioner),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": location_reference(visit.location),
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if referral is not None:
        resource["basedOn"] = [{"reference": f"ServiceRequest/{referral.public_id}"}]
    return resource


def questionnaire_url() -> str:
    return f"{settings.SITE_URL}/fhir/R4/Questionnaire/{QUESTIONNAIRE_ID}"


def _question(name: str, spec: engine.Field) -> dict:
    item = {"linkId": name, "text": advice.question_for(name), "required": True}
    if spec.kind == "int":
        item["type"] = "integer"
        item["extension"] = [
            {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": spec.min},
            {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": spec.max},
        ]
    elif spec.kind == "bool":
        item["type"] = "boolean"
    else:
        item["type"] = "choice"
        item["answerOption"] = [
            {"valueCoding": {"system": _answer_system(name), "code": value, "display": words}}
            for value, words in advice.choice_pairs(name)
        ]
    return item


def _answer_system(name: str) -> str:
    return _system(f"CodeSystem/{name.replace('_', '-')}")


def questionnaire() -> dict:
    """The intake form of protocol 2026.1: every answer of section 2 (`engine.FIELDS`), asked
    with the patient's own question and answer words (`triage.advice`), as the form asks it."""
    return {
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": questionnaire_url(),
        "version": engine.PROTOCOL_VERSION,
        "name": "BackPainIntake",
        "title": f"Back-pain check (triage protocol {engine.PROTOCOL_VERSION})",
        "status": "active",
        "subjectType": ["Patient"],
        "publisher": "Backstride",
        "item": [_question(name, spec) for name, spec in engine.FIELDS.items()],
    }


def _answer(name: str, spec: engine.Field, value) -> dict:
    if spec.kind == "int":
        return {"valueInteger": int(value)}
    if spec.kind == "bool":
        return {"valueBoolean": bool(value)}
    words = dict(advice.choice_pairs(name)).get(value, str(value))
    return {"valueCoding": {"system": _answer_system(name), "code": str(value), "display": words}}


def questionnaire_response(intake: Intake) -> dict:
    """An intake's answers, exactly as submitted, against the protocol version they were
    assessed under."""
    decision = intake.current_decision
    version = decision.protocol_version if decision is not None else engine.PROTOCOL_VERSION
    items = [
        {"linkId": name, "text": advice.question_for(name), "answer": [_answer(name, spec, value)]}
        for name, spec in engine.FIELDS.items()
        if (value := intake.answers.get(name)) is not None
    ]
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(intake.public_id),
        "meta": _meta(intake.updated_at),
        "identifier": {"system": _system("sid/intake"), "value": str(intake.public_id)},
        "questionnaire": f"{questionnaire_url()}|{version}",
        "status": "completed",
        "subject": _intake_subject(intake),
        "authored": local(intake.created_at, intake.preferred_location.zone),
        "item": items,
    }
    if intake.patient is not None:
        resource["source"] = patient_reference(intake.patient)
    return resource
