"""A patient's rights over their data: a copy of everything we hold, and deleting the account.

The copy is the HIPAA right of access (45 CFR 164.524) in a machine-readable form; deletion is
asked for by the patient and confirmed by a superuser, because clinical records of care given
must be kept: appointments and intakes stay (with the answers and decisions), the identity is
removed from them. The audit trail (auditlog's LogEntry, AccessLog) is kept: it must outlive
the account (45 CFR 164.316(b)(2)); every entry stays (who did what, when, from where), with the
person's name, birth date, phone, email and addresses in it replaced by REMOVED, so the trail
does not keep the identity the deletion removed.
"""

import uuid

from allauth.account.models import EmailAddress
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from clinic import scheduling
from clinic.errors import NotAllowed
from clinic.models import (
    Appointment,
    AppointmentEvent,
    Notification,
    NotificationKind,
    NotificationStatus,
    WaitlistEntry,
)
from patients.models import AccessLog, ConsentRecord, ContactPreference, Patient
from patients.selectors import Access, record_access
from triage.advice import question_for
from triage.models import Intake, TriageDecision

# RFC 6761 reserves .invalid: an address there can never receive mail or match a real one.
PLACEHOLDER_DOMAIN = "invalid"
DELETION_NOTE = "Account deleted at the patient's request"


def is_anonymized(patient: Patient) -> bool:
    return patient.email.endswith(f"@{PLACEHOLDER_DOMAIN}")


# --- The copy of my data ---------------------------------------------------------------------


def access_data_export(access: Access, *, patient: Patient) -> dict:
    """Everything held about `patient`: profile, intakes with answers and every decision,
    appointments with their history, waiting-list entries and the messages sent to them.

    The caller passes the requester's own patient record (the view never takes an id). Values
    are plain Python (dates stay dates, for the page); JsonResponse's encoder writes them out.
    Recorded in AccessLog as an "export" read, via "data export". Staff alerts about an intake
    went to the clinic, not the patient, and internal notes of the outbox are left out.
    """
    record_access(access, patient_id=patient.pk, object_type="export", object_id=patient.public_id)
    intakes = (
        Intake.objects.filter(patient=patient)
        .select_related("preferred_location")
        .prefetch_related(
            Prefetch("decisions", queryset=TriageDecision.objects.order_by("created_at", "id"))
        )
        .order_by("created_at")
    )
    appointments = (
        Appointment.objects.filter(patient=patient)
        .select_related("service", "practitioner", "location", "intake")
        .prefetch_related(
            Prefetch("events", queryset=AppointmentEvent.objects.order_by("created_at", "id"))
        )
        .order_by("start")
    )
    waitlist = (
        WaitlistEntry.objects.filter(patient=patient)
        .select_related("service")
        .prefetch_related("locations")
        .order_by("created_at")
    )
    return {
        "exported_at": timezone.now(),
        "profile": _profile(patient),
        "intakes": [_intake(intake) for intake in intakes],
        "appointments": [_appointment(appointment) for appointment in appointments],
        "waitlist": [
            {
                "service": entry.service.patient_name,
                "locations": [location.name for location in entry.locations.all()],
                "joined_at": entry.created_at,
                "fulfilled_at": entry.fulfilled_at,
            }
            for entry in waitlist
        ],
        "notifications": [
            {
                "kind": notification.get_kind_display(),
                "channel": notification.get_channel_display(),
                "recipient": notification.recipient,
                "status": notification.get_status_display(),
                "due_at": notification.due_at,
                "sent_at": notification.sent_at,
            }
            for notification in notifications_to(patient).order_by("due_at", "id")
        ],
    }


def readable_answers(answers: dict) -> list[tuple[str, str]]:
    """The intake answers as (question, answer) in words, for the readable copy."""

    def in_words(value) -> str:
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value).replace("_", " ")

    return [(question_for(name), in_words(value)) for name, value in answers.items()]


def notifications_to(patient: Patient) -> QuerySet[Notification]:
    """Messages addressed to the patient: about their appointments and intakes, and their
    account emails. Staff alerts are about an intake but go to the clinic's on-call address."""
    return Notification.objects.filter(
        Q(appointment__patient=patient)
        | Q(intake__patient=patient)
        | Q(kind=NotificationKind.ACCOUNT, recipient__iexact=patient.email)
    ).exclude(kind=NotificationKind.STAFF_ALERT)


def _profile(patient: Patient) -> dict:
    return {
        "id": patient.public_id,
        "email": patient.email,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth,
        "phone": str(patient.phone or ""),
        "contact_preference": patient.get_contact_preference_display(),
        "texts_agreed_at": patient.sms_opt_in_at,
        "privacy_notice": {
            "version": patient.privacy_notice_version,
            "accepted_at": patient.privacy_notice_accepted_at,
        },
        "preferred_location": patient.preferred_location.name if patient.preferred_location else "",
        "account_created_at": patient.created_at,
        "deletion_requested_at": patient.deletion_requested_at,
    }


def _intake(intake: Intake) -> dict:
    return {
        "id": intake.public_id,
        "submitted_at": intake.created_at,
        "status": intake.get_status_display(),
        "outcome": intake.outcome,
        "preferred_location": intake.preferred_location.name,
        "contact": {
            "first_name": intake.first_name,
            "last_name": intake.last_name,
            "email": intake.email,
            "phone": intake.phone,
        },
        "runner_context": {
            "weekly_distance_km": intake.weekly_distance_km,
            "years_running": intake.years_running,
            "usual_surface": intake.get_usual_surface_display() if intake.usual_surface else "",
            "shoe_age_months": intake.shoe_age_months,
            "recent_race": intake.recent_race,
        },
        "answers": intake.answers,
        "decisions": [_decision(decision) for decision in intake.decisions.all()],
    }


def _decision(decision: TriageDecision) -> dict:
    return {
        "decided_at": decision.created_at,
        "decided_by": "clinician" if decision.decided_by_id else "protocol",
        "pathway": decision.get_pathway_display(),
        "urgency": decision.get_urgency_display(),
        "emergency_advice": decision.emergency_advice,
        "clinician_review": decision.clinician_review,
        "rule": decision.rule,
        "red_flags": decision.red_flags,
        "safety_net": decision.safety_net,
        "sbst_total": decision.sbst_total,
        "sbst_psychosocial": decision.sbst_psychosocial,
        "sbst_risk": decision.sbst_risk,
        "reasons": decision.reasons,
        "override_reason": decision.override_reason,
        "protocol_version": decision.protocol_version,
    }


def _appointment(appointment: Appointment) -> dict:
    return {
        "id": appointment.public_id,
        "service": appointment.service.patient_name,
        "practitioner": appointment.practitioner.display_name,
        "location": appointment.location.name,
        "start": appointment.start,
        "end": appointment.end,
        "time_zone": appointment.location.time_zone,
        "status": appointment.get_status_display(),
        "intake": appointment.intake.public_id if appointment.intake else None,
        "history": [
            {"event": event.get_kind_display(), "at": event.created_at, "note": event.note}
            for event in appointment.events.all()
        ],
    }


# --- Deleting the account --------------------------------------------------------------------


@transaction.atomic
def account_deletion_request(*, patient: Patient) -> Patient:
    """Record that the patient asks us to delete their account; a superuser confirms it.

    Idempotent: asking again keeps the first request's time. Raises NotAllowed for an account
    already deleted. auditlog records the change.
    """
    patient = (
        Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
    )
    if is_anonymized(patient):
        raise NotAllowed(gettext("This account has already been deleted."))
    if patient.deletion_requested_at is None:
        patient.deletion_requested_at = timezone.now()
        patient.save(update_fields=["deletion_requested_at", "updated_at"])
    return patient


@transaction.atomic
def account_deletion_withdraw(*, patient: Patient) -> Patient:
    """The patient changed their mind before a superuser confirmed: the request is dropped.

    Raises NotAllowed once the account is deleted (there is nothing left to withdraw).
    """
    patient = (
        Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
    )
    if is_anonymized(patient):
        raise NotAllowed(gettext("This account has already been deleted."))
    if patient.deletion_requested_at is not None:
        patient.deletion_requested_at = None
        patient.save(update_fields=["deletion_requested_at", "updated_at"])
    return patient


@transaction.atomic
def account_deletion_confirm(*, patient: Patient, actor) -> Patient:
    """Carry out a patient's deletion request: remove who they are, keep the care records.

    Guarantees, in one transaction:
    - future booked appointments are cancelled (the time goes to the waiting list); every
      appointment stays, linked to a Patient row with no name, birth date or phone;
    - the login is deactivated, its password made unusable, its email replaced by a unique
      `deleted-<uuid>@invalid` and its allauth email addresses removed;
    - the intakes keep their answers and decisions, with name, email and phone cleared;
    - open waiting-list entries are removed; messages not yet sent are cancelled, and the
      address is cleared from every message sent to them;
    - auditlog entries and the access log are kept (the changes are logged as `actor`), with
      the identity in them pseudonymised (`_pseudonymise_audit_trail`).

    Raises NotAllowed if `actor` is not an active superuser, if the patient has not asked,
    or if the account is already deleted.
    """
    if not (actor and actor.is_active and actor.is_superuser):
        raise NotAllowed(gettext("Only a superuser can confirm an account deletion."))
    patient = (
        Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
    )
    if is_anonymized(patient):
        raise NotAllowed(gettext("This account has already been deleted."))
    if patient.deletion_requested_at is None:
        raise NotAllowed(gettext("This patient has not asked to delete their account."))

    with set_actor(actor):
        now = timezone.now()
        future = patient.appointments.filter(status=Appointment.Status.BOOKED, start__gt=now)
        for appointment in future:
            scheduling.appointment_cancel(
                appointment=appointment, actor=actor, reason=DELETION_NOTE, by_patient=False
            )
        messages = notifications_to(patient)
        trail = _audit_trail_of(patient, message_ids=list(messages.values_list("pk", flat=True)))
        # Nothing more goes to someone who asked to be forgotten, the cancellation notice
        # included; the rows stay as a record that messages were sent, without the address.
        # Row by row (not .update()) so the change history records it, pseudonymised below.
        for message in Notification.objects.filter(pk__in=trail[Notification]):
            fields = ["recipient", "context"]
            if message.status == NotificationStatus.PENDING:
                message.status = NotificationStatus.CANCELLED
                fields.append("status")
            message.recipient, message.context = "", {}
            message.save(update_fields=fields)
        for entry in patient.waitlist_entries.filter(fulfilled_at__isnull=True):
            entry.delete()
        for intake in Intake.objects.filter(patient=patient):
            intake.first_name = intake.last_name = intake.email = intake.phone = ""
            intake.save(update_fields=["first_name", "last_name", "email", "phone", "updated_at"])

        patient.first_name = patient.last_name = ""
        patient.date_of_birth = None
        patient.phone = ""
        patient.contact_preference = ContactPreference.EMAIL
        patient.sms_opt_in_at = None
        patient.save()
        # The consent history stays (what was agreed, when, by whom) without the number.
        patient.consents.exclude(phone="").update(phone="")

        user = patient.user
        EmailAddress.objects.filter(user=user).delete()
        user.email = f"deleted-{uuid.uuid4().hex}@{PLACEHOLDER_DOMAIN}"
        user.first_name = user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        _pseudonymise_audit_trail(patient, trail=trail)
    return patient


REMOVED = "[removed]"
# What identifies the person in the change history: their own fields, the addresses messages went
# to and the names a message was written with.
IDENTIFYING_FIELDS = frozenset(
    {"first_name", "last_name", "date_of_birth", "phone", "email", "recipient", "context"}
)


def _audit_trail_of(patient: Patient, *, message_ids: list) -> dict:
    """The records whose change history may name the patient: (model, ids), taken before the
    deletion changes them (a message to the account's address is found by that address)."""
    return {
        Patient: [patient.pk],
        type(patient.user): [patient.user_id],
        Intake: list(Intake.objects.filter(patient=patient).values_list("pk", flat=True)),
        Notification: message_ids,
        WaitlistEntry: list(patient.waitlist_entries.values_list("pk", flat=True)),
        ConsentRecord: list(patient.consents.values_list("pk", flat=True)),
    }


def _pseudonymise_audit_trail(patient: Patient, *, trail: dict) -> None:
    """Keep every audit entry, with the identity in it replaced by REMOVED: values of the
    identifying fields in changes, the records' names (object_repr), the account's email as
    actor, and the access log's label of the patient's own reads."""
    pseudonym = f"deleted patient {patient.public_id}"
    for model, ids in trail.items():
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_pk__in=[str(pk) for pk in ids],
        )
        for entry in entries:
            entry.changes = _scrubbed(entry.changes)
            entry.changes_text = ""
            entry.serialized_data = None
            entry.object_repr = f"{model._meta.verbose_name} of {pseudonym}"
            entry.save(update_fields=["changes", "changes_text", "serialized_data", "object_repr"])
    LogEntry.objects.filter(actor_id=patient.user_id).update(actor_email=pseudonym)
    AccessLog.objects.filter(actor_id=patient.user_id).update(actor_label=pseudonym)


def _scrubbed(changes):
    if not isinstance(changes, dict):
        return changes
    return {
        field: (
            [REMOVED if value not in (None, "", "None") else value for value in values]
            if field in IDENTIFYING_FIELDS and isinstance(values, list)
            else values
        )
        for field, values in changes.items()
    }


def deletion_requests_pending() -> QuerySet[Patient]:
    """Patients who asked to delete their account and are not deleted yet, oldest first."""
    return (
        Patient.objects.filter(deletion_requested_at__isnull=False)
        .exclude(user__email__endswith=f"@{PLACEHOLDER_DOMAIN}")
        .select_related("user")
        .order_by("deletion_requested_at", "pk")
    )
