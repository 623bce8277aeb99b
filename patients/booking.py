"""What the patient's booking pages show: a week of the times `clinic.scheduling` offers the
intake (its target window, protocol section 6, is the scheduling domain's rule, as is which
intakes are booked online, protocol section 7), and whether the patient may still change a visit.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic import scheduling
from clinic.models import Appointment, WaitlistEntry
from triage.models import Pathway

DAYS_SHOWN = 7


def patient_may_change(appointment) -> bool:
    """Patients cancel or move online until the cutoff (24 h by default) before the visit,
    except what staff scheduled (scans and consults): those they ask us to change."""
    return (
        appointment.is_active
        and scheduling.online_change_refusal(appointment) is None
        and scheduling.before_change_cutoff(appointment, timezone.now())
    )


def slot_page(*, intake, service, location, first_day: dt.date) -> scheduling.Offers:
    """A week of free times from `first_day`, by local day, with the intake's window."""
    return scheduling.offers_for_intake(
        intake=intake, service=service, location=location, first_day=first_day, days=DAYS_SHOWN
    )


# --- The account page: each back-pain check with where it stands and what comes next --------
class CheckStatus:
    BOOK = "book"
    WAITING_FOR_TEAM = "waiting_for_team"
    UNDER_REVIEW = "under_review"
    SCHEDULED = "scheduled"
    WAITLISTED = "waitlisted"
    SELF_CARE = "self_care"
    CLOSED = "closed"


STATUS_LABELS = {
    CheckStatus.BOOK: _("Ready to book"),
    CheckStatus.WAITING_FOR_TEAM: _("Waiting for our team"),
    CheckStatus.UNDER_REVIEW: _("Under review"),
    CheckStatus.SCHEDULED: _("Scheduled"),
    CheckStatus.WAITLISTED: _("On the waiting list"),
    CheckStatus.SELF_CARE: _("Self-care plan"),
    CheckStatus.CLOSED: _("Closed"),
}


@dataclass(frozen=True)
class AccountCheck:
    intake: object
    status: str
    appointment: object = None  # the next visit, when scheduled
    waitlist: object = None  # the open waiting-list entry, when waitlisted
    service: object = None  # what the patient may book online, when they may

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def account_checks(*, patient, intakes) -> list[AccountCheck]:
    """`intakes` (the patient's, newest first) with their status and next step. A repeat of
    the same check on the same day with the same result (sent twice) is not shown again unless
    it has its own visit or place on the waiting list."""
    now = timezone.now()
    ids = [intake.pk for intake in intakes]
    next_visit = {}
    for appointment in (
        Appointment.objects.filter(
            intake_id__in=ids, status=Appointment.Status.BOOKED, start__gte=now
        )
        .select_related("location", "service", "practitioner")
        .order_by("-start")
    ):
        next_visit[appointment.intake_id] = appointment  # the earliest wins (ordered last)
    waiting = {
        entry.intake_id: entry
        for entry in WaitlistEntry.objects.filter(
            patient=patient, intake_id__in=ids, fulfilled_at__isnull=True
        )
        .select_related("service")
        .prefetch_related("locations")
    }
    groups: dict[tuple, list[AccountCheck]] = {}
    for intake in intakes:
        decision = intake.current_decision
        zone = intake.preferred_location.zone if intake.preferred_location_id else None
        day = timezone.localdate(intake.created_at, zone)
        key = (day, decision.pathway if decision else None, decision.urgency if decision else None)
        check = _check(intake, next_visit.get(intake.pk), waiting.get(intake.pk))
        groups.setdefault(key, []).append(check)
    shown = []
    for same in groups.values():
        # Those with a visit or a place on the waiting list are all kept; otherwise the newest.
        going = [c for c in same if c.status in (CheckStatus.SCHEDULED, CheckStatus.WAITLISTED)]
        shown.extend(going or same[:1])
    return sorted(shown, key=lambda c: c.intake.created_at, reverse=True)


def _check(intake, appointment, waitlist) -> AccountCheck:
    decision = intake.current_decision
    if appointment is not None:
        return AccountCheck(intake, CheckStatus.SCHEDULED, appointment=appointment)
    if intake.status == intake.Status.CLOSED:
        return AccountCheck(intake, CheckStatus.CLOSED)
    service = scheduling.online_service_for(intake)
    if waitlist is not None:
        return AccountCheck(intake, CheckStatus.WAITLISTED, waitlist=waitlist, service=service)
    if decision is not None and decision.clinician_review:
        return AccountCheck(intake, CheckStatus.UNDER_REVIEW)
    if service is not None:
        return AccountCheck(intake, CheckStatus.BOOK, service=service)
    if decision is not None and decision.pathway == Pathway.SELF_CARE:
        return AccountCheck(intake, CheckStatus.SELF_CARE)
    return AccountCheck(intake, CheckStatus.WAITING_FOR_TEAM)
