"""The only way to read patient data. One `access_*` per kind, and `scope_*` querysets.

A patient sees only their own records; staff see the records of their locations (superusers
everything; every triage clinician sees emergencies); anyone else gets a 404, never a 403, so a
guessed id does not confirm that a record exists. Each `access_*` records the read in AccessLog.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from clinic import roles
from clinic.models import Appointment
from patients.models import AccessLog, Patient
from triage.models import Intake, TriageDecision, Urgency

SESSION_INTAKES_KEY = "anonymous_intakes"


def _is_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff


def scope_intakes(user) -> QuerySet[Intake]:
    intakes = Intake.objects.all()
    if not user.is_authenticated:
        return intakes.none()
    if user.is_superuser:
        return intakes
    if _is_staff(user):
        visible = Q(preferred_location__in=roles.location_ids(user))
        if roles.has_role(user, roles.TRIAGE_CLINICIAN):
            visible |= Q(urgency_rank=0)  # emergency: every triage clinician sees it
        return intakes.filter(visible)
    return intakes.filter(patient__user=user)


def scope_appointments(user) -> QuerySet[Appointment]:
    appointments = Appointment.objects.all()
    if not user.is_authenticated:
        return appointments.none()
    if user.is_superuser:
        return appointments
    if _is_staff(user):
        return appointments.filter(location__in=roles.location_ids(user))
    return appointments.filter(patient__user=user)


def scope_patients(user) -> QuerySet[Patient]:
    patients = Patient.objects.all()
    if not user.is_authenticated:
        return patients.none()
    if user.is_superuser:
        return patients
    if _is_staff(user):
        location_ids = roles.location_ids(user)
        return patients.filter(
            Q(intakes__preferred_location__in=location_ids)
            | Q(appointments__location__in=location_ids)
            | Q(preferred_location__in=location_ids)
        ).distinct()
    return patients.filter(user=user)


def record_access(request, *, patient_id, object_type: str, object_id, via: str = "") -> None:
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    AccessLog.objects.create(
        actor=user if authenticated else None,
        actor_label=user.email if authenticated else "anonymous (own session)",
        patient_id=patient_id,
        object_type=object_type,
        object_id=str(object_id),
        via=(via or request.path)[:200],
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )


def _session_intake_ids(request) -> list[str]:
    stored = request.session.get(SESSION_INTAKES_KEY, []) if hasattr(request, "session") else []
    # Only well-formed UUIDs reach the query: a malformed entry must not turn a read into a 500.
    return [str(value) for value in stored if _is_uuid(value)] if isinstance(stored, list) else []


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def access_intake(request, *, public_id, via: str = "") -> Intake:
    """The intake if the requester may see it: its patient, scoped staff, or the anonymous
    browser session that submitted it (until it is attached to an account)."""
    queryset = Intake.objects.select_related("current_decision", "preferred_location", "patient")
    visible = scope_intakes(request.user)
    own_session = Q(public_id__in=_session_intake_ids(request), patient__isnull=True)
    try:
        intake = queryset.filter(Q(pk__in=visible.values("pk")) | own_session).get(
            public_id=public_id
        )
    except (Intake.DoesNotExist, ValueError, TypeError):
        raise Http404("No such intake.") from None
    record_access(
        request, patient_id=intake.patient_id, object_type="intake", object_id=public_id, via=via
    )
    return intake


def access_decisions(request, *, intake: Intake, via: str = "") -> QuerySet[TriageDecision]:
    """Every decision of an intake the requester was already allowed to access."""
    record_access(
        request,
        patient_id=intake.patient_id,
        object_type="decisions",
        object_id=intake.public_id,
        via=via,
    )
    return intake.decisions.select_related("decided_by")


APPOINTMENT_RELATED = ("location", "practitioner", "service", "patient__user", "intake")


def _appointment_read(request, queryset, *, public_id, via: str) -> Appointment:
    try:
        appointment = queryset.select_related(*APPOINTMENT_RELATED).get(public_id=public_id)
    except (Appointment.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such appointment.") from None
    record_access(
        request,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=public_id,
        via=via,
    )
    return appointment


def access_appointment(request, *, public_id, via: str = "") -> Appointment:
    return _appointment_read(
        request, scope_appointments(request.user), public_id=public_id, via=via
    )


def access_appointment_by_link(request, *, public_id, via: str = "") -> Appointment:
    """The appointment a valid signed link names (the caller checked the signature): the link
    stands in for signing in, for this one appointment only."""
    return _appointment_read(
        request, Appointment.objects.all(), public_id=public_id, via=via or "signed manage link"
    )


def access_patient(request, *, public_id, via: str = "") -> Patient:
    try:
        patient = scope_patients(request.user).select_related("user").get(public_id=public_id)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient.") from None
    record_access(
        request, patient_id=patient.pk, object_type="patient", object_id=public_id, via=via
    )
    return patient


def patient_for_user(user) -> Patient:
    from patients import services

    return services.patient_for_user(user)


def upcoming_appointments(patient: Patient):
    from django.utils import timezone

    return (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, start__gte=timezone.now()
        )
        .select_related("location", "practitioner", "service")
        .order_by("start")
    )


def dashboard_data(*, patient: Patient) -> dict:
    from django.utils import timezone

    past = (
        Appointment.objects.filter(patient=patient)
        .exclude(status=Appointment.Status.BOOKED, start__gte=timezone.now())
        .select_related("location", "practitioner", "service")
        .order_by("-start")[:20]
    )
    intakes = (
        Intake.objects.filter(patient=patient)
        .select_related("current_decision", "preferred_location")
        .order_by("-created_at")[:10]
    )
    return {
        "upcoming": upcoming_appointments(patient),
        "past": past,
        "intakes": intakes,
        "emergency_rank": Urgency.EMERGENCY,
    }
