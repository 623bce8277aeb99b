"""Consent: the privacy notice a patient accepted (by version) and their opt-in to texts.

The one place that changes consent: each change updates the Patient row (the current state,
which `Patient.sms_number` reads) and appends a ConsentRecord (who, how, when); auditlog keeps
the row's history too.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patients.models import ConsentRecord, Patient

Source = ConsentRecord.Source


def privacy_notice_current(patient: Patient) -> bool:
    return patient.privacy_notice_version == settings.PRIVACY_NOTICE_VERSION


def user_accepted_current_notice(user) -> bool:
    return Patient.objects.filter(
        user=user, privacy_notice_version=settings.PRIVACY_NOTICE_VERSION
    ).exists()


@transaction.atomic
def accept_privacy_notice(*, patient: Patient, by=None) -> None:
    patient.privacy_notice_version = settings.PRIVACY_NOTICE_VERSION
    patient.privacy_notice_accepted_at = timezone.now()
    patient.save(
        update_fields=["privacy_notice_version", "privacy_notice_accepted_at", "updated_at"]
    )
    ConsentRecord.objects.create(
        patient=patient,
        kind=ConsentRecord.Kind.PRIVACY_NOTICE,
        granted=True,
        version=settings.PRIVACY_NOTICE_VERSION,
        source=Source.PATIENT,
        recorded_by=by,
    )


@transaction.atomic
def sms_opt_in(*, patient: Patient, source: str, by=None, detail: str = "") -> None:
    """Record that the patient agreed to texts at their current phone number. Texts go only
    while their contact preference is also text messages (`Patient.sms_number`)."""
    if not patient.phone:
        raise ValueError("An opt-in to texts needs a phone number.")
    patient.sms_opt_in_at = timezone.now()
    patient.save(update_fields=["sms_opt_in_at", "updated_at"])
    _record_sms(patient, granted=True, source=source, by=by, detail=detail)


@transaction.atomic
def sms_opt_out(*, patient: Patient, source: str, by=None, detail: str = "") -> None:
    """No more texts (messages go by email until an opt-in again); recorded even when there
    was no opt-in, as the patient's word."""
    patient.sms_opt_in_at = None
    patient.save(update_fields=["sms_opt_in_at", "updated_at"])
    _record_sms(patient, granted=False, source=source, by=by, detail=detail)


def _record_sms(patient, *, granted, source, by, detail) -> None:
    ConsentRecord.objects.create(
        patient=patient,
        kind=ConsentRecord.Kind.SMS,
        granted=granted,
        phone=str(patient.phone or ""),
        source=source,
        recorded_by=by,
        detail=detail,
    )


def number_opted_in(number: str) -> bool:
    """Whether some patient agreed to texts at this number (the last check before sending)."""
    return Patient.objects.filter(phone=number, sms_opt_in_at__isnull=False).exists()


def patients_with_number(number: str):
    return Patient.objects.filter(phone=number)
