"""What the follow-ups show: one patient's trajectory, and the network's outcomes.

Outcomes per pathway (the intake's current decision) and location, for follow-ups due in a
period, at 6 and at 12 weeks:
- improved: answered, and pain down by at least 2 points or 30 % from the intake's, or "much
  better" / "very much better" (`series.is_improved`, stored on the follow-up when answered);
- back to running: answered by a runner who runs again;
- response rate: answered / due. Stopped and unanswered follow-ups count as due, never as
  improved, so the shares are of every follow-up due, not only of those who answered.
One aggregate query over the follow-ups (indexed on kind and due date).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from clinic.models import Location
from outcomes.models import FollowUp


@dataclass(frozen=True)
class OutcomeRow:
    pathway: str
    location: str
    kind: str
    due: int
    answered: int
    improved: int
    runners: int
    running: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def improved_share(self) -> float | None:
        return self._share(self.improved, self.due)

    @property
    def running_share(self) -> float | None:
        return self._share(self.running, self.runners)

    @property
    def response_rate(self) -> float | None:
        return self._share(self.answered, self.due)


DASHBOARD_KINDS = (FollowUp.Kind.WEEKS_6, FollowUp.Kind.WEEKS_12)


def outcome_rows(*, location_ids, since: datetime, until: datetime) -> list[OutcomeRow]:
    """Per (pathway, location, 6 or 12 weeks): follow-ups due in [since, until) at the reader's
    locations (None: every location, for a superuser), with their answered, improved and
    running counts. Runners are the intakes with a usual weekly distance.

    The follow-up carries its location, pathway and outcome, so this reads one table through
    its (kind, due date) index: no intake, decision or answer row.
    """
    follow_ups = FollowUp.objects.filter(
        kind__in=DASHBOARD_KINDS, due_at__gte=since, due_at__lt=until
    )
    if location_ids is not None:
        follow_ups = follow_ups.filter(location_id__in=location_ids)
    answered = Q(state=FollowUp.State.ANSWERED)
    rows = (
        follow_ups.values("pathway", "location_id", "kind")
        .annotate(
            due=Count("id"),
            answered=Count("id", filter=answered),
            improved=Count("id", filter=answered & Q(improved=True)),
            runners=Count("id", filter=Q(runner=True)),
            running=Count("id", filter=answered & Q(runner=True, back_to_running=True)),
        )
        .order_by()
    )
    names = dict(Location.objects.values_list("pk", "name"))
    result = [
        OutcomeRow(
            pathway=r["pathway"],
            location=names[r["location_id"]],
            kind=r["kind"],
            due=r["due"],
            answered=r["answered"],
            improved=r["improved"],
            runners=r["runners"],
            running=r["running"],
        )
        for r in rows
    ]
    return sorted(
        result, key=lambda row: (row.pathway, row.location, DASHBOARD_KINDS.index(row.kind))
    )


@dataclass(frozen=True)
class Point:
    """One moment of a patient's story: the intake, a follow-up or an appointment."""

    at: datetime
    label: str
    event: str  # "intake", "follow_up" or "appointment"
    pain: int | None = None
    sbst_risk: str = ""
    impression: str = ""
    running_share: int | None = None
    note: str = ""


def trajectory(intake) -> list[Point]:
    """The intake, its answered follow-ups and its appointments, in time order."""
    decision = intake.current_decision
    points = [
        Point(
            at=intake.created_at,
            label="Intake",
            event="intake",
            pain=intake.answers.get("pain_score"),
            sbst_risk=decision.sbst_risk if decision else "",
            running_share=100 if intake.weekly_distance_km else None,
            note=decision.get_pathway_display() if decision else "",
        )
    ]
    follow_ups = intake.follow_ups.filter(state=FollowUp.State.ANSWERED).select_related("answer")
    for follow_up in follow_ups:
        answer = follow_up.answer
        points.append(
            Point(
                at=follow_up.answered_at,
                label=follow_up.get_kind_display(),
                event="follow_up",
                pain=answer.pain_score,
                sbst_risk=answer.sbst_risk,
                impression=answer.get_impression_display(),
                running_share=answer.running_share,
            )
        )
    for appointment in intake.appointments.select_related("service").order_by("start"):
        points.append(
            Point(
                at=appointment.start,
                label="Appointment",
                event="appointment",
                note=f"{appointment.service.name} ({appointment.get_status_display().lower()})",
            )
        )
    return sorted(points, key=lambda p: p.at)
