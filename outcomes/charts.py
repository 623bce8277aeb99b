"""The trajectory and outcome charts, laid out with the dashboard's bar-chart helpers."""

from django.utils import timezone
from django.utils.translation import gettext as _

from outcomes import reports
from outcomes.models import SBST_RISK_RANK
from outcomes.reports import OutcomeRow, Point
from staff.dashboard import ChartRow, bar_chart
from triage.models import Pathway

RISK_WORDS = {"low": "low", "medium": "medium", "high": "high"}


def _when(point: Point, zone) -> str:
    return timezone.localtime(point.at, zone).strftime("%-d %b %Y")


def trajectory_charts(points: list[Point], *, zone, pathway_label: str):
    """Pain, STarT Back risk and running share over time. Each appointment starts a new group,
    so the charts show what came before and after it; the pathway heads the first group."""
    rows = {"pain": [], "sbst": [], "running": []}
    group = _("%(pathway)s pathway") % {"pathway": pathway_label}
    for point in points:
        when = _when(point, zone)
        if point.event == "appointment":
            group = _("After the appointment on %(day)s: %(what)s") % {
                "day": when,
                "what": point.note,
            }
            continue
        label = f"{point.label}, {when}"
        if point.pain is not None:
            text = f"{point.pain} of 10"
            if point.impression:
                text += f", {point.impression.lower()}"
            rows["pain"].append(ChartRow(label, point.pain, text, group=group))
        if point.sbst_risk:
            rank = SBST_RISK_RANK[point.sbst_risk] + 1
            rows["sbst"].append(ChartRow(label, rank, RISK_WORDS[point.sbst_risk], group=group))
        if point.running_share is not None:
            share = point.running_share
            rows["running"].append(ChartRow(label, share, f"{share}%", group=group))
    charts = [
        bar_chart(
            slug="trajectory-pain",
            title=_("Worst pain in the last week"),
            description=_("Pain from 0 to 10 at the intake and each follow-up, with the change."),
            rows=rows["pain"],
            max_value=10,
        ),
        bar_chart(
            slug="trajectory-sbst",
            title=_("STarT Back risk"),
            description=_("Risk of the pain lasting: low, medium or high."),
            rows=rows["sbst"],
            max_value=3,
        ),
    ]
    if rows["running"]:
        charts.append(
            bar_chart(
                slug="trajectory-running",
                title=_("Running, share of usual weekly distance"),
                description=_("How much of the usual weekly distance is run now."),
                rows=rows["running"],
                max_value=100,
            )
        )
    return charts


def outcome_chart(rows: list[OutcomeRow]):
    labels = dict(Pathway.choices)
    return bar_chart(
        slug="outcomes",
        title="Improved at 6 and 12 weeks",
        description="Share of follow-ups due that were answered as improved, by pathway and "
        "location.",
        rows=[
            ChartRow(
                f"{row.location}, {'6' if row.kind == 'weeks_6' else '12'} weeks",
                row.improved_share or 0,
                "no data"
                if row.improved_share is None
                else f"{row.improved_share:g}% ({row.improved} of {row.due})",
                group=labels.get(row.pathway, row.pathway),
            )
            for row in rows
        ],
        max_value=100,
    )


def trajectory_context(intake) -> dict:
    points = reports.trajectory(intake)
    decision = intake.current_decision
    pathway = decision.get_pathway_display() if decision else ""
    zone = intake.preferred_location.zone
    return {
        "points": points,
        "zone": zone,
        "trajectory_charts": trajectory_charts(points, zone=zone, pathway_label=pathway),
    }
