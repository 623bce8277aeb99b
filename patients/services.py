"""Writes about patients: the record behind an account, and claiming anonymous intakes."""

from django.db import transaction

from patients.models import Patient
from triage import services as triage_services
from triage.models import Intake


def patient_for_user(user) -> Patient:
    """The patient record of a signed-in person, created on first need.

    get_or_create makes the row in its own savepoint and reads the winner's on a race, so no
    transaction of our own is needed (a read on every API call costs no savepoint).
    """
    patient, _ = Patient.objects.get_or_create(
        user=user, defaults={"first_name": user.first_name, "last_name": user.last_name}
    )
    patient.user = user  # already loaded: the address a booking's messages go to is its email
    return patient


def claim_session_intake(*, public_id: str, patient: Patient) -> None:
    """Attach an intake this browser session submitted anonymously to the signed-in patient."""
    intake = Intake.objects.filter(public_id=public_id, patient__isnull=True).first()
    if intake is not None:
        triage_services.intake_attach(intake=intake, patient=patient)
        if not patient.preferred_location_id:
            # Saved (not .update()) so the audit log records the change to patient data.
            patient.preferred_location = intake.preferred_location
            patient.save(update_fields=["preferred_location", "updated_at"])


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "contact_preference",
    "preferred_location",
)


@transaction.atomic
def patient_update_profile(*, patient: Patient, data: dict) -> Patient:
    """Save the profile fields a patient may change; auditlog records the change."""
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(patient, name, data[name])
    patient.save()
    return patient
