"""Numbers for the staff dashboard, and the geometry of the bar charts that show them.

Everything covers the last 30 days and the staff member's own locations (superusers: all).

- Intakes by pathway and urgency: intakes created in the window, by their current decision.
- Seen within target (protocol section 6): of the window's intakes that need an appointment
  (every pathway except self-care, whose target is a check-in message, not a visit), the share
  that met the staff target for their current urgency:
    * emergency: contacted within 1 hour, i.e. the intake's status first left "new" within the
      hour (the time comes from the audit log, which records every status change); a visit
      starting within the hour also counts;
    * urgent, soon, routine: the first booked or completed appointment for the intake starts
      within 14, 28 or 42 days of the intake (a booked visit inside the target counts: it is on
      track). Cancelled and missed visits do not count.
  An intake is "pending" while its target has not passed and it has not met it yet; pending
  intakes are shown but left out of the share, which is met / (met + missed).
- No-show rate per location: appointments that started in the window and were marked completed
  or did not attend; rate = did not attend / (completed + did not attend). Appointments not yet
  marked either way are left out.
- Alerts per location and month (the last six months, not the 30 days): emergencies acknowledged
  within 15 minutes, urgent cases contacted within 1 working day, median times; defined in
  `clinic.alert_figures`.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Min, Q
from django.utils import timezone

from clinic import alert_figures, roles
from clinic.models import AppointmentStatus
from patients.selectors import scope_appointments, scope_intakes
from staff.queue_filters import format_duration
from triage import engine
from triage.models import URGENCY_RANK, Intake, Pathway, Urgency

WINDOW = timedelta(days=30)
SEEN_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)


# --- Numbers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    urgency: str
    label: str
    target: timedelta
    met: int
    missed: int
    pending: int

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        """Met / (met + missed), as a percentage; None when nothing is decided yet."""
        return round(100 * self.met / self.decided, 1) if self.decided else None


@dataclass(frozen=True)
class NoShowRow:
    location: str
    no_shows: int
    attended: int

    @property
    def marked(self) -> int:
        return self.no_shows + self.attended

    @property
    def rate(self) -> float | None:
        return round(100 * self.no_shows / self.marked, 1) if self.marked else None


def intakes_in_scope(user):
    """The dashboard's intakes: the staff member's own locations (not other locations'
    emergencies, which the queue shows to clinicians but which are not this team's numbers)."""
    intakes = scope_intakes(user)
    if not user.is_superuser:
        intakes = intakes.filter(preferred_location__in=roles.location_ids(user))
    return intakes


def intake_counts(*, intakes, since: datetime) -> dict[tuple[str, str], int]:
    """(pathway, urgency) -> number of intakes created since `since`, for every combination."""
    counts = {(p, u): 0 for p in Pathway.values for u in Urgency.values}
    rows = (
        intakes.filter(created_at__gte=since, current_decision__isnull=False)
        .values("current_decision__pathway", "current_decision__urgency")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[(row["current_decision__pathway"], row["current_decision__urgency"])] = row["n"]
    return counts


def seen_within_target(*, intakes, since: datetime, now: datetime) -> list[TargetRow]:
    """Met, missed and pending per urgency, as defined in the module docstring."""
    cohort = list(
        intakes.filter(created_at__gte=since, current_decision__isnull=False)
        .exclude(current_decision__pathway=Pathway.SELF_CARE)
        .annotate(
            first_visit=Min("appointments__start", filter=Q(appointments__status__in=SEEN_STATUSES))
        )
        .values("id", "created_at", "urgency_rank", "first_visit")
        .order_by()
    )
    contacted = _first_status_change(
        [row["id"] for row in cohort if row["urgency_rank"] == URGENCY_RANK[Urgency.EMERGENCY]]
    )
    tally = {urgency: {"met": 0, "missed": 0, "pending": 0} for urgency in Urgency.values}
    for row in cohort:
        urgency = engine.URGENCIES[row["urgency_rank"]]
        deadline = row["created_at"] + engine.STAFF_TARGET[urgency]
        events = [row["first_visit"], contacted.get(row["id"])]
        first = min((e for e in events if e is not None), default=None)
        if first is not None and first <= deadline:
            tally[urgency]["met"] += 1
        elif first is not None or now > deadline:
            tally[urgency]["missed"] += 1
        else:
            tally[urgency]["pending"] += 1
    return [
        TargetRow(urgency, Urgency(urgency).label, engine.STAFF_TARGET[urgency], **tally[urgency])
        for urgency in Urgency.values
    ]


def _first_status_change(intake_ids: list[int]) -> dict[int, datetime]:
    """When each intake's status first left "new", from the audit log's recorded changes."""
    if not intake_ids:
        return {}
    entries = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Intake),
            object_id__in=intake_ids,
            action=LogEntry.Action.UPDATE,
            changes__status__0=Intake.Status.NEW,
        )
        .values("object_id")
        .annotate(first=Min("timestamp"))
        .order_by()
    )
    return {entry["object_id"]: entry["first"] for entry in entries}


def no_show_rates(*, appointments, since: datetime, now: datetime) -> list[NoShowRow]:
    rows = (
        appointments.filter(
            start__gte=since,
            start__lt=now,
            status__in=(AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW),
        )
        .values("location__name")
        .annotate(
            no_shows=Count("id", filter=Q(status=AppointmentStatus.NO_SHOW)),
            attended=Count("id", filter=Q(status=AppointmentStatus.COMPLETED)),
        )
        .order_by("location__name")
    )
    return [NoShowRow(r["location__name"], r["no_shows"], r["attended"]) for r in rows]


# --- Charts --------------------------------------------------------------------------------------

CHART_WIDTH = 640
LABEL_WIDTH = 210
BAR_AREA = 330
ROW_HEIGHT = 26
BAR_HEIGHT = 18
HEADING_HEIGHT = 28


@dataclass(frozen=True)
class ChartRow:
    label: str
    value: float
    text: str
    group: str = ""


@dataclass
class ChartItem:
    kind: str  # "heading" or "bar"
    y: int
    label: str
    text: str = ""
    width: float = 0.0

    @property
    def text_y(self) -> int:
        return self.y + 13

    @property
    def value_x(self) -> float:
        return LABEL_WIDTH + self.width + 6


@dataclass
class BarChart:
    """A horizontal bar chart laid out for server-side SVG: every bar has a text label and its
    value written next to it, so nothing depends on colour or on hovering."""

    slug: str
    title: str
    description: str
    items: list[ChartItem] = field(default_factory=list)
    height: int = 0
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH
    label_x: int = LABEL_WIDTH - 8  # labels end just left of the bars
    bar_height: int = BAR_HEIGHT


def bar_chart(
    *, slug: str, title: str, description: str, rows: list[ChartRow], max_value: float
) -> BarChart:
    chart = BarChart(slug=slug, title=title, description=description)
    scale = BAR_AREA / max_value if max_value > 0 else 0
    y = 4
    group = None
    for row in rows:
        if row.group and row.group != group:
            group = row.group
            chart.items.append(ChartItem("heading", y + 6, row.group))
            y += HEADING_HEIGHT
        chart.items.append(
            ChartItem("bar", y, row.label, row.text, width=round(row.value * scale, 1))
        )
        y += ROW_HEIGHT
    chart.height = y + 4
    return chart


# --- Putting it together -------------------------------------------------------------------------


def dashboard_data(*, user, now: datetime | None = None) -> dict:
    """The numbers and charts for one staff member, over the last 30 days up to `now`."""
    now = now or timezone.now()
    since = now - WINDOW
    intakes = intakes_in_scope(user)
    counts = intake_counts(intakes=intakes, since=since)
    targets = seen_within_target(intakes=intakes, since=since, now=now)
    no_shows = no_show_rates(appointments=scope_appointments(user), since=since, now=now)

    pathway_labels = dict(Pathway.choices)
    urgency_labels = dict(Urgency.choices)
    intake_chart = bar_chart(
        slug="intakes",
        title="Intakes by pathway and urgency, last 30 days",
        description="Number of intakes for each pathway, split by urgency.",
        rows=[
            ChartRow(urgency_labels[u], n, str(n), group=pathway_labels[p])
            for (p, u), n in counts.items()
        ],
        max_value=max(counts.values(), default=0),
    )
    target_chart = bar_chart(
        slug="targets",
        title="Seen within the protocol target, last 30 days",
        description="Share of intakes that met the staff target for their urgency.",
        rows=[
            ChartRow(
                row.label,
                row.share or 0,
                _share_text(row.share, row.met, row.decided, row.pending),
            )
            for row in targets
        ],
        max_value=100,
    )
    no_show_chart = bar_chart(
        slug="no-shows",
        title="No-show rate by location, last 30 days",
        description="Share of marked appointments where the patient did not attend.",
        rows=[
            ChartRow(row.location, row.rate or 0, _share_text(row.rate, row.no_shows, row.marked))
            for row in no_shows
        ],
        max_value=100,
    )
    return {
        "since": since,
        "now": now,
        "pathways": [(p, pathway_labels[p]) for p in Pathway.values],
        "urgencies": [(u, urgency_labels[u]) for u in Urgency.values],
        "count_table": [
            (pathway_labels[p], [counts[(p, u)] for u in Urgency.values]) for p in Pathway.values
        ],
        "total_intakes": sum(counts.values()),
        "targets": targets,
        "no_shows": no_shows,
        "charts": [intake_chart, target_chart, no_show_chart],
        "alert_months": [
            _alert_row(month) for month in alert_figures.alert_figures(actor=user, now=now)
        ],
    }


def _alert_row(month: alert_figures.AlertMonth) -> dict:
    def share(share: alert_figures.Share) -> str:
        text = f"{share.met} of {share.decided} ({share.percent:g}%)" if share.decided else "none"
        return f"{text}, {share.pending} pending" if share.pending else text

    def median(value) -> str:
        return format_duration(value) if value is not None else "—"

    return {
        "location": month.location,
        "month": month.month,
        "acknowledged": share(month.acknowledged),
        "median_to_acknowledge": median(month.median_to_acknowledge),
        "contacted": share(month.contacted),
        "median_to_contact": median(month.median_to_contact),
    }


def _share_text(share: float | None, part: int, whole: int, pending: int | None = None) -> str:
    text = "no data" if share is None else f"{share:g}% ({part} of {whole})"
    if pending:
        text += f", {pending} pending"
    return text
