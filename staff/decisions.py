"""Triage decisions in the admin: the read-only history, red-flag badges, and the override page.

Decisions are append-only: an override is a new decision by `services.decision_override`, with
the clinician and a mandatory reason; the engine's decision stays in the history, and the audit
log records the new one with the clinician as actor (AuditlogMiddleware).
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join

from patients.selectors import Access, access_decisions
from staff.forms import OverrideForm
from staff.scope import ReadOnlyAdmin
from triage import engine, services
from triage.models import TriageDecision


class TriageDecisionInline(ReadOnlyAdmin, admin.TabularInline):
    """Every decision, newest first. Read-only: decisions are append-only."""

    model = TriageDecision
    extra = 0
    can_delete = False
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "pathway",
        "urgency",
        "rule",
        "flags",
        "clinician_review",
        "decided",
        "override_reason",
        "protocol_version",
    )
    readonly_fields = fields
    verbose_name = "decision"
    verbose_name_plural = "Decisions (newest first)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("decided_by")

    @admin.display(description="red flags")
    def flags(self, decision):
        return red_flag_badges(decision.red_flags)

    @admin.display(description="decided by")
    def decided(self, decision):
        return "Protocol engine" if decision.decided_by_engine else str(decision.decided_by)


def red_flag_badges(codes):
    if not codes:
        return "—"
    return format_html_join(
        " ",
        '<span class="bs-flag" title="{}">{}</span>',
        ((engine.RED_FLAG_LABELS.get(code, code), code.replace("_", " ")) for code in codes),
    )


def override_page(model_admin, request, intake):
    """A clinician replaces the current pathway and urgency, giving a reason (the caller has
    checked scope and permission). A refusal re-renders the form with the reason why."""
    decision = intake.current_decision
    initial = {"pathway": decision.pathway, "urgency": decision.urgency} if decision else {}
    form = OverrideForm(request.POST or None, initial=initial)
    if form.is_bound:
        if form.is_valid():
            try:
                services.decision_override(intake=intake, actor=request.user, **form.cleaned_data)
            except services.NotAllowed as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "The decision was overridden.")
                return HttpResponseRedirect(reverse("admin:triage_intake_change", args=[intake.pk]))
        messages.error(request, "The decision was not changed: correct the errors below.")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Override the triage decision for {intake.first_name} {intake.last_name}",
        "opts": model_admin.opts,
        "original": intake,
        "intake": intake,
        "form": form,
        "decisions": access_decisions(Access.of(request), intake=intake),
    }
    return TemplateResponse(request, "admin/triage/intake/override.html", context)
