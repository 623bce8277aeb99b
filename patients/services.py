"""Writes about patients: the record behind an account, records made for a patient without an
account (and claiming them on a verified email), and claiming anonymous intakes."""

import phonenumbers
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from clinic import notifications, scheduling
from clinic.models import (
    Appointment,
    NotificationChannel,
    NotificationKind,
    WaitlistEntry,
)
from patients import consent
from patients.models import ConsentRecord, ContactPreference, Patient
from triage import services as triage_services
from triage.models import Intake


def patient_for_user(user) -> Patient:
    """The patient record of a signed-in person, created on first need.

    get_or_create makes the row in its own savepoint and reads the winner's on a race, so no
    transaction of our own is needed (a read on every API call costs no savepoint).
    """
    try:
        patient = user.patient  # no query when it came with the user (an API token's owner)
    except Patient.DoesNotExist:
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


def _phone_or_blank(raw: str) -> str:
    """The intake's free-form phone as E.164, or blank when it is not a valid US number (the
    intake form checks characters only; a message to a wrong number is worse than none)."""
    try:
        number = phonenumbers.parse(raw or "", "US")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _verified_account(email: str):
    """The patient account that verified `email`, if any (never a staff account)."""
    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=True, user__is_staff=False)
        .select_related("user")
        .first()
    )
    return address.user if address is not None else None


@transaction.atomic
def patient_for_intake(*, intake: Intake) -> Patient:
    """The patient record staff schedule an intake for, made from its contact details when the
    person has no account yet.

    Order: the intake's own patient; the account that has verified the intake's email; an
    earlier record made for that email without an account; else a new record (name, email,
    phone as the intake has them; the intake holds an age, not a date of birth). The intake is
    attached to it. Auditlog records the new record and the attachment.
    """
    intake = (
        Intake.objects.select_for_update(of=("self",)).select_related("patient").get(pk=intake.pk)
    )
    if intake.patient is not None:
        return intake.patient
    user = _verified_account(intake.email)
    if user is not None:
        patient = patient_for_user(user)
    else:
        patient = (
            Patient.objects.filter(user__isnull=True, contact_email__iexact=intake.email)
            .order_by("created_at")
            .first()
        )
        if patient is None:
            patient = Patient.objects.create(
                first_name=intake.first_name,
                last_name=intake.last_name,
                contact_email=intake.email,
                phone=_phone_or_blank(intake.phone),
                preferred_location=intake.preferred_location,
            )
    triage_services.intake_attach(intake=intake, patient=patient)
    return patient


def schedule_for_intake(
    *, intake: Intake, service, location, practitioner, start, booked_by, sms_consent: bool
) -> Appointment:
    """Staff book an intake's visit (protocol section 7), with or without a patient account.

    The patient record is the intake's, or made from its contact details
    (`patient_for_intake`). The booking is the normal `appointment_book(online=False)`, which
    plans the confirmation with its signed manage link. A patient without an account who agreed
    to texts (`sms_consent`, recorded as their opt-in, by the staff member) and has a valid
    phone gets the confirmation by text message and by email. Raises what `appointment_book`
    raises; the patient record stays made when the time was taken, for the next try.
    """
    patient = patient_for_intake(intake=intake)
    if sms_consent and not patient.has_account and patient.phone:
        patient.contact_preference = ContactPreference.SMS
        patient.save(update_fields=["contact_preference", "updated_at"])
        consent.sms_opt_in(
            patient=patient,
            source=consent.Source.STAFF,
            by=booked_by,
            detail="The patient agreed to texts (told staff when scheduled).",
        )
    appointment = scheduling.appointment_book(
        patient=patient,
        service=service,
        location=location,
        practitioner=practitioner,
        start=start,
        intake=intake,
        booked_by=booked_by,
        online=False,
    )
    if not patient.has_account and patient.sms_number:
        # Email too: the booking planned the text; a person without an account has no
        # other place to find the time and the link.
        notifications.plan(
            key=f"appointment:{appointment.public_id}:booking_confirmation:email",
            kind=NotificationKind.BOOKING_CONFIRMATION,
            channel=NotificationChannel.EMAIL,
            recipient=patient.email,
            template="notifications/booking_confirmation",
            due_at=appointment.created_at,
            appointment=appointment,
        )
    return appointment


@transaction.atomic
def claim_records(*, user) -> list[Patient]:
    """Give a patient account the records staff made for its email before it existed, once
    (and only once) that email is verified: an unverified address claims nothing, so signing
    up with someone else's email shows none of their care.

    A claimed record becomes the account's own when the account has none yet; otherwise its
    intakes, appointments and waiting-list entries move to the account's record. Returns the
    records claimed. Each change is saved row by row so the audit log records it.
    """
    if user.is_staff:
        return []
    emails = list(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    if not emails:
        return []
    same_email = Q()
    for email in emails:
        same_email |= Q(contact_email__iexact=email)
    orphans = Patient.objects.select_for_update().filter(same_email, user__isnull=True)
    claimed = []
    for orphan in orphans:
        own = Patient.objects.filter(user=user).first()
        if own is not None and not _holds_care(own):
            _give_up_signup_record(own, to=orphan)
            own = None
        if own is None:
            orphan.user = user
            orphan.save(update_fields=["user", "updated_at"])
        else:
            for related in (
                Intake.objects.filter(patient=orphan),
                Appointment.objects.filter(patient=orphan),
                WaitlistEntry.objects.filter(patient=orphan),
            ):
                for row in related:
                    row.patient = own
                    row.save(update_fields=["patient"])
        claimed.append(orphan)
    return claimed


def _holds_care(patient: Patient) -> bool:
    return (
        Intake.objects.filter(patient=patient).exists()
        or Appointment.objects.filter(patient=patient).exists()
        or WaitlistEntry.objects.filter(patient=patient).exists()
    )


def _give_up_signup_record(own: Patient, *, to: Patient) -> None:
    """The record made at sign-up only to hold the privacy acceptance gives way to the record
    staff made (which has the person's details): its consents move over, then it goes."""
    to.privacy_notice_version = own.privacy_notice_version
    to.privacy_notice_accepted_at = own.privacy_notice_accepted_at
    to.save(update_fields=["privacy_notice_version", "privacy_notice_accepted_at", "updated_at"])
    # A re-pointing, not an edit: the history itself is unchanged.
    ConsentRecord.objects.filter(patient=own).update(patient=to)
    own.delete()


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "contact_preference",
    "preferred_location",
)


@transaction.atomic
def patient_update_profile(*, patient: Patient, data: dict, by=None) -> Patient:
    """Save the profile fields a patient may change; auditlog records the change. `sms_opt_in`
    (the "text me" box) records an opt-in to texts at the number saved, again when the number
    changes, or an opt-out when it is cleared."""
    old_phone = patient.phone
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(patient, name, data[name])
    patient.save()
    if "sms_opt_in" in data:
        opted_in = patient.sms_opt_in_at is not None
        if data["sms_opt_in"] and (not opted_in or patient.phone != old_phone):
            consent.sms_opt_in(patient=patient, source=consent.Source.PATIENT, by=by)
        elif not data["sms_opt_in"] and opted_in:
            consent.sms_opt_out(patient=patient, source=consent.Source.PATIENT, by=by)
    return patient


def set_preferred_language(patient: Patient, language: str | None) -> None:
    """Remember the language a patient reads, for the messages we send them later."""
    language = (language or "").split("-")[0]
    if language in dict(settings.LANGUAGES) and patient.preferred_language != language:
        patient.preferred_language = language
        patient.save(update_fields=["preferred_language", "updated_at"])
