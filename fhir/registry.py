"""The resource types the FHIR interface serves: for each, what a client may see, how a read
finds one, the search parameters it supports, and how a page of rows becomes resources.

The CapabilityStatement (`/metadata`) is written from this table, so it lists exactly what
is served. Each `render` loads what the page's rows need in a fixed number of queries.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import F, QuerySet

from clinic.models import Appointment, Practitioner
from fhir import mapping, reads
from fhir.reads import ClientAccess
from fhir.search import Param
from triage.models import Referral
from triage.services import REFERRAL_PATHWAYS


@dataclass(frozen=True)
class ResourceType:
    name: str
    scope: Callable[[ClientAccess], QuerySet]
    id_lookup: str
    id_kind: str  # "uuid" | "slug" | "int"
    render: Callable[[ClientAccess, list], list[dict]]
    params: tuple[Param, ...] = ()
    # Newest first by the primary key: an index walk that stops after one page, at any size.
    order: tuple[str, ...] = ("-id",)
    related: tuple[str, ...] = ()
    # Columns a page never shows: not read, not decoded (the intake's answers are JSON).
    deferred: tuple[str, ...] = ()
    # For patient data: the access log's object type and the row's patient id.
    log_type: str | None = None
    patient_of: Callable[[object], int | None] = lambda row: None


def _last_updated(lookup: str = "updated_at") -> Param:
    return Param("_lastUpdated", "date", lookup, "When the resource last changed.")


def _patient(lookup: str) -> Param:
    return Param("patient", "reference", lookup, "The patient (Patient/id).", target="Patient")


def _location(lookup: str, what: str) -> Param:
    return Param(
        "location",
        "reference",
        lookup,
        f"{what} (Location/slug).",
        target="Location",
        id_kind="slug",
    )


# --- Which referral a visit was booked for ------------------------------------------------


def _based_on(visit: Appointment, referrals: list[Referral]) -> Referral | None:
    """The referral a visit was booked for: of its intake's referrals for the service's pathway,
    the newest made before the visit was booked. The one rule both directions of the link use."""
    matching = [r for r in referrals if r.pathway == visit.service.pathway]
    before = [r for r in matching if r.created_at <= visit.created_at]
    chosen = before or matching
    return max(chosen, key=lambda r: (r.created_at, r.pk)) if chosen else None


def _referrals_by_intake(intake_ids) -> dict[int, list[Referral]]:
    grouped = defaultdict(list)
    for referral in Referral.objects.filter(intake_id__in=intake_ids).only(
        "id", "public_id", "intake_id", "pathway", "created_at"
    ):
        grouped[referral.intake_id].append(referral)
    return grouped


def _render_service_requests(access: ClientAccess, rows: list[Referral]) -> list[dict]:
    # The client's few locations once, rather than a copy joined onto every row.
    places = {place.pk: place for place in reads.locations(access)}
    for row in rows:
        row.intake.preferred_location = places[row.intake.preferred_location_id]
    intake_ids = {row.intake_id for row in rows}
    referrals = _referrals_by_intake(intake_ids)
    visits = defaultdict(list)
    for visit in (
        Appointment.objects.filter(intake_id__in=intake_ids, service__pathway__in=REFERRAL_PATHWAYS)
        .select_related("service")
        .order_by("start", "id")
    ):
        chosen = _based_on(visit, referrals[visit.intake_id])
        if chosen is not None:
            visits[chosen.pk].append(visit)
    return [mapping.service_request(row, visits[row.pk]) for row in rows]


def _render_appointments(access: ClientAccess, rows: list[Appointment]) -> list[dict]:
    referrals = _referrals_by_intake({row.intake_id for row in rows if row.intake_id})
    return [
        mapping.appointment(
            row, _based_on(row, referrals[row.intake_id]) if row.intake_id else None
        )
        for row in rows
    ]


def _render_roles(access: ClientAccess, rows: list[Practitioner]) -> list[dict]:
    places = defaultdict(list)
    for link in (
        Practitioner.locations.through.objects.filter(
            practitioner_id__in=[row.pk for row in rows], location_id__in=access.location_ids
        )
        .select_related("location")
        .order_by("location__name")
    ):
        places[link.practitioner_id].append(link.location)
    return [mapping.practitioner_role(row, places[row.pk]) for row in rows]


def _each(build):
    return lambda access, rows: [build(row) for row in rows]


_REFERRAL_CODES = {
    code: tuple(state for state, fhir in mapping.REFERRAL_STATUS.items() if fhir == code)
    for code in dict.fromkeys(mapping.REFERRAL_STATUS.values())
}
_APPOINTMENT_CODES = {fhir: (ours,) for ours, fhir in mapping.APPOINTMENT_STATUS.items()}

TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "Patient",
            reads.patients,
            "public_id",
            "uuid",
            _each(mapping.patient),
            params=(_last_updated(),),
            related=("user",),
            log_type="patient",
            patient_of=lambda row: row.pk,
        ),
        ResourceType(
            "Location",
            reads.locations,
            "slug",
            "slug",
            _each(mapping.location),
            order=("name", "id"),
        ),
        ResourceType(
            "Practitioner",
            reads.practitioners,
            "pk",
            "int",
            _each(mapping.practitioner),
            order=("display_name", "id"),
        ),
        ResourceType(
            "PractitionerRole",
            reads.practitioners,
            "pk",
            "int",
            _render_roles,
            params=(
                _location("locations__slug", "Where the practitioner works"),
                Param(
                    "practitioner",
                    "reference",
                    "pk",
                    "The practitioner (Practitioner/id).",
                    target="Practitioner",
                    id_kind="int",
                ),
            ),
            order=("display_name", "id"),
        ),
        ResourceType(
            "ServiceRequest",
            reads.referrals,
            "public_id",
            "uuid",
            _render_service_requests,
            params=(
                _last_updated(),
                Param(
                    "status",
                    "token",
                    "state",
                    "draft (awaiting review), active, completed or revoked.",
                    codes=_REFERRAL_CODES,
                ),
                _patient("intake__patient__public_id"),
                _location("intake__preferred_location__slug", "The clinic the referral is for"),
                Param("authored", "date", "created_at", "When the referral was made."),
            ),
            related=("intake__current_decision", "intake__patient"),
            deferred=(
                "intake__answers",
                "intake__current_decision__reasons",
                "intake__current_decision__safety_net",
                "intake__current_decision__override_reason",
            ),
            log_type="referral",
            patient_of=lambda row: row.intake.patient_id,
        ),
        ResourceType(
            "Appointment",
            reads.appointments,
            "public_id",
            "uuid",
            _render_appointments,
            params=(
                _last_updated(),
                Param(
                    "status",
                    "token",
                    "status",
                    "booked, fulfilled, cancelled or noshow.",
                    codes=_APPOINTMENT_CODES,
                ),
                Param("date", "date", "start", "When the appointment starts."),
                _patient("patient__public_id"),
                _location("location__slug", "Where the appointment is"),
                Param(
                    "based-on",
                    "reference",
                    "intake__referrals__public_id",
                    "The referral it was booked for (ServiceRequest/id).",
                    target="ServiceRequest",
                    # The referral of the same pathway as the visit's service.
                    same_row={"service__pathway": F("intake__referrals__pathway")},
                ),
            ),
            related=("location", "practitioner", "service", "patient"),
            log_type="appointment",
            patient_of=lambda row: row.patient_id,
        ),
        ResourceType(
            "QuestionnaireResponse",
            reads.intakes,
            "public_id",
            "uuid",
            _each(mapping.questionnaire_response),
            params=(
                _last_updated(),
                _patient("patient__public_id"),
                Param("authored", "date", "created_at", "When the answers were submitted."),
                _location("preferred_location__slug", "The clinic the intake chose"),
            ),
            related=("current_decision", "preferred_location", "patient"),
            log_type="intake answers",
            patient_of=lambda row: row.patient_id,
        ),
    )
}

# The intake form is not patient data and needs no query: served from code.
QUESTIONNAIRE = "Questionnaire"
ALL_TYPES = (*TYPES, QUESTIONNAIRE)
