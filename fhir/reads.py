"""What a FHIR client may read, and the access log of what it read.

A client sees the records of its locations only: referrals and intake answers by the intake's
location, appointments by theirs, patients with an intake, a visit or their preferred clinic
there (the scope `patients.selectors.scope_patients` gives staff). Anything else is a 404 for a
read and absent from a search, so a guessed id confirms nothing. Every read of patient data is a
row in the access log (`patients.models.AccessLog`), one per record a search page returned.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from clinic.models import Appointment, Location, Practitioner
from fhir.models import FhirClient
from patients.models import AccessLog, Patient
from triage.models import Intake, Referral


@dataclass(frozen=True)
class ClientAccess:
    """A client, its locations (read once per request), and how the read arrived."""

    client: FhirClient
    location_ids: frozenset[int]
    via: str = ""
    address: str | None = None

    @property
    def label(self) -> str:
        return f"FHIR client: {self.client.name} (#{self.client.pk})"


def locations(access: ClientAccess) -> QuerySet[Location]:
    return Location.objects.filter(id__in=access.location_ids)


def practitioners(access: ClientAccess) -> QuerySet[Practitioner]:
    working_here = Practitioner.locations.through.objects.filter(
        location_id__in=access.location_ids
    ).values("practitioner_id")
    return Practitioner.objects.filter(pk__in=working_here)


def referrals(access: ClientAccess) -> QuerySet[Referral]:
    return Referral.objects.filter(intake__preferred_location_id__in=access.location_ids)


def appointments(access: ClientAccess) -> QuerySet[Appointment]:
    return Appointment.objects.filter(location_id__in=access.location_ids)


def intakes(access: ClientAccess) -> QuerySet[Intake]:
    return Intake.objects.filter(preferred_location_id__in=access.location_ids)


def patients(access: ClientAccess) -> QuerySet[Patient]:
    ids = access.location_ids
    # Subqueries rather than joins: no DISTINCT, so the page can be ordered and sliced.
    return Patient.objects.filter(
        Q(pk__in=Intake.objects.filter(preferred_location_id__in=ids).values("patient_id"))
        | Q(pk__in=Appointment.objects.filter(location_id__in=ids).values("patient_id"))
        | Q(preferred_location_id__in=ids)
    )


def record_reads(access: ClientAccess, rows: list[tuple[int | None, str, str]]) -> None:
    """Write one access-log row per record read: (patient id, object type, object id)."""
    if not rows:
        return
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                actor=None,
                actor_label=access.label[:254],
                patient_id=patient_id,
                object_type=object_type[:40],
                object_id=str(object_id)[:64],
                via=access.via[:200],
                ip_address=access.address,
            )
            for patient_id, object_type, object_id in rows
        ]
    )
