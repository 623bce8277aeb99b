"""The queue's waiting time against protocol section 6, and its list filters.

The clock stops when the target's event happens: contact for an emergency ("contact within 1
hour"), scheduling or closing for the others ("seen within N days").
"""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from staff.scope import StaffLocationFilter
from triage import engine
from triage.models import URGENCY_RANK, Intake, Pathway, Referral, Urgency

EMERGENCY_RANK = URGENCY_RANK[Urgency.EMERGENCY]


# --- Waiting time against protocol section 6 ----------------------------------------------------


def still_waiting_q() -> Q:
    """Intakes whose section 6 clock still runs.

    An emergency's target is contact, so contacting stops its clock; for the others the target
    is being seen, so the clock runs until an appointment is scheduled or the intake is closed.
    """
    return Q(status=Intake.Status.NEW) | (
        Q(status=Intake.Status.CONTACTED) & ~Q(urgency_rank=EMERGENCY_RANK)
    )


def overdue_q(now) -> Q:
    """Intakes still waiting beyond the staff target for their urgency (one term per urgency)."""
    past_target = Q()
    for urgency, target in engine.STAFF_TARGET.items():
        past_target |= Q(urgency_rank=URGENCY_RANK[urgency], created_at__lt=now - target)
    return still_waiting_q() & past_target


def is_still_waiting(intake: Intake) -> bool:
    if intake.status == Intake.Status.NEW:
        return True
    return intake.status == Intake.Status.CONTACTED and intake.urgency_rank != EMERGENCY_RANK


def format_duration(delta: timedelta) -> str:
    """Compact and exact enough for a queue: "12 d 2 h", "14 d", "3 h 5 min", "40 min"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def urgency_of(intake: Intake) -> str:
    return engine.URGENCIES[intake.urgency_rank]


# --- List filters -------------------------------------------------------------------------------


class UrgencyFilter(admin.SimpleListFilter):
    # Filters on the denormalised rank, which the queue index covers.
    title = "urgency"
    parameter_name = "urgency"

    def lookups(self, request, model_admin):
        return Urgency.choices

    def queryset(self, request, queryset):
        if self.value() in URGENCY_RANK:
            return queryset.filter(urgency_rank=URGENCY_RANK[self.value()])
        return queryset


class PreferredLocationFilter(StaffLocationFilter):
    location_field = "preferred_location"


class RedFlagFilter(admin.SimpleListFilter):
    """Red flags of the current decision (a JSON list of codes)."""

    title = "red flag"
    parameter_name = "red_flag"
    ANY = "any"
    NONE = "none"

    def lookups(self, request, model_admin):
        return [
            (self.ANY, "Any red flag"),
            (self.NONE, "No red flag"),
            *engine.RED_FLAG_LABELS.items(),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ANY:
            return queryset.exclude(current_decision__red_flags=[])
        if value == self.NONE:
            return queryset.filter(current_decision__red_flags=[])
        if value in engine.RED_FLAG_LABELS:
            if connection.vendor == "postgresql":
                return queryset.filter(current_decision__red_flags__contains=[value])
            # SQLite has no JSON containment: match the quoted code in the stored JSON text
            # (quotes keep "infection" from matching "infection_risk").
            return queryset.filter(current_decision__red_flags__icontains=f'"{value}"')
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "waiting time"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue (past the protocol target)"), ("no", "Within target")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_q(timezone.now()))
        if self.value() == "no":
            return queryset.exclude(overdue_q(timezone.now()))
        return queryset


class AssignedFilter(admin.SimpleListFilter):
    title = "assignee"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Unassigned")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class QueueViewFilter(admin.SimpleListFilter):
    """What the queue shows: open work by default (not closed, not self-care: protocol section
    7 gives self-care no appointment), the cases a clinician must review (R9-R11), referrals
    ready to schedule (a cancelled or missed one among them), or everything.

    The default steps aside when the staff member asks for something else: a status or a
    pathway filter, a search (finding a closed intake by name must work), or an action on rows
    the staff member ticked.
    """

    title = "view"
    parameter_name = "view"
    OPEN = "open"
    NEEDS_REVIEW = "needs_review"
    READY = "ready"
    ALL = "all"
    OVERRIDDEN_BY = ("status__exact", "current_decision__pathway__exact", "q")

    def lookups(self, request, model_admin):
        return [
            (self.NEEDS_REVIEW, "Needs clinician review"),
            (self.READY, "Ready to schedule"),
            (self.ALL, "All intakes, closed and self-care too"),
        ]

    def choices(self, changelist):
        # The unfiltered entry is the default view, so name it for what it shows.
        yield {
            "selected": self.value() in (None, self.OPEN),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Open work",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        if value == self.NEEDS_REVIEW:
            return queryset.filter(current_decision__clinician_review=True).exclude(
                status=Intake.Status.CLOSED
            )
        if value == self.READY:
            # One open referral per intake (a unique constraint), so the join adds no rows.
            return queryset.filter(referrals__state=Referral.State.READY_TO_SCHEDULE).exclude(
                status=Intake.Status.CLOSED
            )
        if value in (None, self.OPEN) and any(request.GET.get(p) for p in self.OVERRIDDEN_BY):
            return queryset
        if value is None and request.POST.getlist(ACTION_CHECKBOX_NAME):
            # An action applies to the rows the staff member ticked, whatever the default hides.
            return queryset
        return queryset.exclude(status=Intake.Status.CLOSED).exclude(
            current_decision__pathway=Pathway.SELF_CARE
        )
