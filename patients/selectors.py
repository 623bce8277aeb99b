"""The only way to read patient data. One `access_*` per kind, and `scope_*` querysets.

A patient sees only their own records; staff see the records of their locations (superusers
everything; every triage clinician sees emergencies); anyone else gets a 404, never a 403, so a
guessed id does not confirm that a record exists. Each `access_*` records the read in AccessLog.

They take an `Access` (who reads, and through what), never a request, so a task, a command or
an API client reads through the same rules as a page.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from clinic import links, roles
from clinic.models import Appointment, DateOverride, Notification, User
from clinic.security import client_ip
from outcomes.models import FollowUp
from patients.models import AccessLog, Patient
from triage.models import Intake, TriageDecision, Urgency

SESSION_INTAKES_KEY = "anonymous_intakes"


@dataclass(frozen=True)
class Access:
    """Who reads patient data and through what, for the scope and the access log.

    Pages, the admin and the API build one with `Access.of(request)`; a task or a command names
    its actor and itself: `Access(actor=user, via="command: export")`.
    """

    actor: Any  # a User, or Django's AnonymousUser
    via: str = ""
    address: str | None = None
    # Intakes this browser submitted before signing in (kept in its session): readable by it
    # until they are attached to an account.
    own_intake_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, request, *, via: str = "") -> "Access":
        return cls(
            actor=request.user,
            via=via or request.path,
            # The client's own address (behind the trusted proxies), not the proxy's.
            address=client_ip(request) or None,
            own_intake_ids=tuple(_session_intake_ids(request)),
        )


def _is_staff(user) -> bool:
    return roles.is_staff(user)


def _own(user) -> Q:
    """The rows of the user's own patient record. By its id when the user came with the record
    loaded (an API token brings it): no join to build and plan. Else through the account."""
    if not User.patient.is_cached(user):
        return Q(patient__user=user)
    try:
        return Q(patient_id=user.patient.pk)
    except Patient.DoesNotExist:  # loaded as absent: no patient record, so nothing of theirs
        return Q(pk__in=[])


def scope_intakes(user) -> QuerySet[Intake]:
    intakes = Intake.objects.all()
    if not user.is_authenticated:
        return intakes.none()
    if roles.is_superuser(user):
        return intakes
    if _is_staff(user):
        visible = Q(preferred_location__in=roles.location_ids(user))
        if roles.has_role(user, roles.TRIAGE_CLINICIAN):
            visible |= Q(urgency_rank=0)  # emergency: every triage clinician sees it
        return intakes.filter(visible)
    return intakes.filter(_own(user))


def scope_appointments(user) -> QuerySet[Appointment]:
    appointments = Appointment.objects.all()
    if not user.is_authenticated:
        return appointments.none()
    if roles.is_superuser(user):
        return appointments
    if _is_staff(user):
        return appointments.filter(location__in=roles.location_ids(user))
    return appointments.filter(_own(user))


def scope_patients(user) -> QuerySet[Patient]:
    patients = Patient.objects.all()
    if not user.is_authenticated:
        return patients.none()
    if roles.is_superuser(user):
        return patients
    if _is_staff(user):
        location_ids = roles.location_ids(user)
        return patients.filter(
            Q(intakes__preferred_location__in=location_ids)
            | Q(appointments__location__in=location_ids)
            | Q(preferred_location__in=location_ids)
        ).distinct()
    return patients.filter(user=user)


def scope_notifications(user) -> QuerySet[Notification]:
    """Messages about an appointment or intake the user may see; account emails and anything
    else addressed to no record are superusers' only."""
    notifications = Notification.objects.all()
    if roles.is_superuser(user):
        return notifications
    return notifications.filter(
        Q(appointment__in=scope_appointments(user).values("pk"))
        | Q(intake__in=scope_intakes(user).values("pk"))
    )


def _access_entry(access: Access, *, patient_id, object_type: str, object_id) -> AccessLog:
    user = access.actor
    authenticated = user is not None and user.is_authenticated
    return AccessLog(
        actor=user if authenticated else None,
        actor_label=user.email if authenticated else "anonymous (own session)",
        patient_id=patient_id,
        object_type=object_type[:40],
        object_id=str(object_id)[:64],
        via=access.via[:200],
        ip_address=access.address,
    )


def record_access(access: Access, *, patient_id, object_type: str, object_id) -> None:
    _access_entry(
        access, patient_id=patient_id, object_type=object_type, object_id=object_id
    ).save()


def record_list_access(access: Access, *, rows, object_type: str) -> None:
    """Record a read of many records at once (an admin list or search page, an API list):
    one entry per record shown, `rows` as (patient_id, object_id) pairs. `access.via` says
    which list and search it was."""
    AccessLog.objects.bulk_create(
        [
            _access_entry(
                access, patient_id=patient_id, object_type=object_type, object_id=object_id
            )
            for patient_id, object_id in rows
        ]
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


INTAKE_RELATED = ("current_decision", "preferred_location", "patient")


def access_intake(access: Access, *, public_id, related=INTAKE_RELATED) -> Intake:
    """The intake if the reader may see it: its patient, scoped staff, or the anonymous
    browser session that submitted it (until it is attached to an account). `related` is read
    with it: what the pages show (a booking needs only the care plan)."""
    readable = scope_intakes(access.actor)
    if access.own_intake_ids:
        # One query either way: `|` joins the two conditions with OR (no subquery to plan).
        readable = readable | Intake.objects.filter(
            public_id__in=access.own_intake_ids, patient__isnull=True
        )
    try:
        intake = readable.select_related(*related).get(public_id=public_id)
    except (Intake.DoesNotExist, ValueError, TypeError):
        raise Http404("No such intake.") from None
    record_access(access, patient_id=intake.patient_id, object_type="intake", object_id=public_id)
    return intake


def access_decisions(access: Access, *, intake: Intake) -> QuerySet[TriageDecision]:
    """Every decision of an intake the reader was already allowed to access."""
    record_access(
        access, patient_id=intake.patient_id, object_type="decisions", object_id=intake.public_id
    )
    return intake.decisions.select_related("decided_by")


APPOINTMENT_RELATED = ("location", "practitioner", "service", "patient__user", "intake")


def _appointment_read(access: Access, queryset, *, public_id) -> Appointment:
    try:
        appointment = queryset.select_related(*APPOINTMENT_RELATED).get(public_id=public_id)
    except (Appointment.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such appointment.") from None
    record_access(
        access, patient_id=appointment.patient_id, object_type="appointment", object_id=public_id
    )
    return appointment


def access_appointment(access: Access, *, public_id) -> Appointment:
    return _appointment_read(access, scope_appointments(access.actor), public_id=public_id)


def access_appointment_by_link(access: Access, *, public_id, version: str) -> Appointment:
    """The appointment a valid signed link names (the caller checked the signature): the link
    stands in for signing in, for this one appointment only, and only while the appointment is
    as it was when the link was made, booked, in the future, and its patient's account open
    (`clinic.links.link_still_valid`). Http404 otherwise, with nothing recorded."""
    try:
        appointment = Appointment.objects.select_related(*APPOINTMENT_RELATED).get(
            public_id=public_id
        )
    except (Appointment.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such appointment.") from None
    if not links.link_still_valid(appointment, version=version):
        raise Http404("This link has expired or is not valid.")
    record_access(
        access, patient_id=appointment.patient_id, object_type="appointment", object_id=public_id
    )
    return appointment


def access_patient(access: Access, *, public_id) -> Patient:
    try:
        patient = scope_patients(access.actor).select_related("user").get(public_id=public_id)
    except (Patient.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such patient.") from None
    record_access(access, patient_id=patient.pk, object_type="patient", object_id=public_id)
    return patient


def scope_patients_for_admin(user) -> QuerySet[Patient]:
    """`scope_patients` as a plain filter (no DISTINCT) that the admin can order, search and
    paginate."""
    return Patient.objects.filter(pk__in=scope_patients(user).values("pk"))


def day_sheet_appointments(user, *, location, start, end) -> QuerySet[Appointment]:
    """The visits of a location between two instants that the user may see, cancelled ones
    left out, in the day sheet's order (practitioner, then time)."""
    return (
        scope_appointments(user)
        .filter(location=location, start__gte=start, start__lt=end)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related("practitioner", "service", "patient__user", "intake__current_decision")
        .order_by("practitioner__display_name", "practitioner_id", "start")
    )


def clashing_appointments(user, *, practitioner_id, start, end) -> QuerySet[Appointment]:
    """The booked visits with a practitioner that overlap [start, end) (time off), those the
    user may see, soonest first."""
    return (
        scope_appointments(user)
        .filter(
            practitioner_id=practitioner_id,
            status=Appointment.Status.BOOKED,
            start__lt=end,
            end__gt=start,
        )
        .select_related("location", "practitioner", "service", "patient__user")
        .order_by("start")
    )


def visits_without_their_practitioner(user, override: DateOverride) -> list[Appointment]:
    """The booked visits on a date override's local day that its practitioner no longer works
    (those the user may see): all of them on a closed day; on a day of other hours, those
    outside every one of that day's hours at the visit's site."""
    day = override.date
    candidates = clashing_appointments(
        user,
        practitioner_id=override.practitioner_id,
        start=datetime.combine(day - timedelta(days=1), time(), UTC),
        end=datetime.combine(day + timedelta(days=2), time(), UTC),
    )
    visits = [visit for visit in candidates if visit.local_start.date() == day]
    if not visits:
        return []
    that_day = list(DateOverride.objects.filter(practitioner_id=override.practitioner_id, date=day))
    if any(row.kind == DateOverride.Kind.CLOSED for row in that_day):
        return visits
    if not any(row.kind == DateOverride.Kind.INSTEAD for row in that_day):
        return []  # extra hours only: the usual week still stands

    def worked(visit) -> bool:
        start, end = visit.local_start.time(), visit.local_end.time()
        return any(
            row.location_id == visit.location_id and row.start_time <= start and end <= row.end_time
            for row in that_day
            if row.kind != DateOverride.Kind.CLOSED
        )

    return [visit for visit in visits if not worked(visit)]


def search_patients(user, term: str, *, limit: int = 20) -> list[Patient]:
    """Patients the user may see whose name or email contains `term`, for the front desk."""
    words = term.split()
    patients = scope_patients_for_admin(user).select_related("user")
    for word in words:
        patients = patients.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(user__email__icontains=word)
        )
    return list(patients.order_by("last_name", "first_name", "pk")[:limit]) if words else []


def upcoming_appointments(patient: Patient):
    return (
        Appointment.objects.filter(
            patient=patient, status=Appointment.Status.BOOKED, start__gte=timezone.now()
        )
        .select_related("location", "practitioner", "service")
        .order_by("start")
    )


def dashboard_data(*, patient: Patient) -> dict:
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


def access_follow_up_by_link(access: Access, *, public_id) -> FollowUp:
    """The follow-up a valid signed link names (the caller checked the signature): the link
    stands in for signing in, for this one questionnaire only, and only while the patient's
    account (if any) is open. Http404 otherwise."""
    try:
        follow_up = FollowUp.objects.select_related(
            "intake__current_decision", "intake__preferred_location", "intake__patient__user"
        ).get(public_id=public_id)
    except (FollowUp.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("No such follow-up.") from None
    patient = follow_up.intake.patient
    if patient is not None and patient.user_id is not None and not patient.user.is_active:
        raise Http404("No such follow-up.")
    record_access(
        access,
        patient_id=follow_up.intake.patient_id,
        object_type="follow_up",
        object_id=follow_up.public_id,
    )
    return follow_up
