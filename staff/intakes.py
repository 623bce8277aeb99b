"""The staff triage queue: intakes by urgency, longest waiting first, scoped to the staff member.

Intakes whose alerts need someone come first (an unacknowledged emergency, then an urgent case
overdue for contact: `QueueChangeList`), then emergency, urgent, soon, routine; within each,
the oldest intake first (the `intake_queue_order` index). Waiting time is measured against the
staff target of protocol section 6 (see `staff.queue_filters`). Writes go through
`triage.services` and `clinic.scheduling`; decisions are append-only, so an override adds one.
"""

import logging
import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from clinic import alerts, roles
from clinic.errors import NotAllowed
from clinic.models import InvalidTransition, StaffAlert, User
from outcomes import charts as outcome_charts
from patients.selectors import scope_intakes
from staff import decisions, schedule
from staff import referrals as referral_pages
from staff.change_requests import ChangeRequestedFilter, open_change_requests_of
from staff.decisions import TriageDecisionInline, red_flag_badges
from staff.forms import CloseForm
from staff.queue_filters import (
    AssignedFilter,
    OverdueFilter,
    PreferredLocationFilter,
    QueueViewFilter,
    RedFlagFilter,
    UrgencyFilter,
    format_duration,
    is_still_waiting,
    urgency_of,
)
from staff.scope import EstimatedCountPaginator, LocationScopedAdmin, staff_location_ids
from triage import engine, referrals, services
from triage.models import Intake, Referral, Urgency


def assignable_staff(request):
    """Who an intake may be assigned to: active staff at the requester's locations, and every
    triage clinician (they handle emergencies from any location)."""
    users = User.objects.filter(is_staff=True, is_active=True)
    ids = staff_location_ids(request)
    if ids is not None:
        users = users.filter(Q(locations__in=ids) | Q(groups__name=roles.TRIAGE_CLINICIAN))
    return users.distinct().order_by("first_name", "last_name", "email")


class IntakeHandlingForm(forms.ModelForm):
    """The change page's form: a refused status move is an error on the status field.

    Which moves are allowed is the model's `check_transition`; this only asks it, so staff see
    why instead of a failed save. The service checks again, on the locked row, when saving.
    """

    def clean_status(self):
        status = self.cleaned_data["status"]
        if self.instance.pk is not None:
            try:
                self.instance.check_transition(status)
            except InvalidTransition as refused:
                raise forms.ValidationError(str(refused)) from refused
        return status


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- The queue ------------------------------------------------------------------------------------


class QueuePaginator(EstimatedCountPaginator):
    """The queue's default view (open work) always filters, so the planner's estimate never
    applies and the rows are always counted: count up to 1,000 ("more than 1,000"), not 10,000."""

    @property
    def cap(self) -> int:
        return min(EstimatedCountPaginator.cap, 1_000)


class QueueChangeList(ChangeList):
    """In its default order the queue starts with the intakes whose alerts need someone
    (clinic.alerts: unacknowledged emergencies, then urgent cases overdue for contact), then
    goes on by urgency and age. Sorting every open intake by that would read them all; instead
    the few alerted ones are read first and the rest follows in the `intake_queue_order` index's
    order, each read bounded by the page: two queries, however long the queue."""

    def get_results(self, request):
        super().get_results(request)
        if ORDER_VAR in self.params:
            return  # the staff member sorted by a column
        now = timezone.now()
        first_q = alerts.queue_first_q(now)
        paged = self.multi_page and not (self.show_all and self.can_show_all)
        bottom = (self.page_num - 1) * self.list_per_page if paged else 0
        top = bottom + self.list_per_page if paged else None
        ordering = self.queryset.query.order_by
        first = self.queryset.filter(first_q).order_by(alerts.queue_priority(now), *ordering)
        first = list(first[:top])
        if top is not None and len(first) >= top:
            self.result_list = first[bottom:top]
            return
        skip = max(bottom - len(first), 0)  # rows of the rest shown on earlier pages
        rest = self.queryset.exclude(first_q)[skip : None if top is None else top - len(first)]
        self.result_list = first[bottom:] + list(rest)


@admin.register(Intake)
class IntakeAdmin(LocationScopedAdmin, admin.ModelAdmin):
    list_display = (
        "patient_name",
        "age",
        "pathway",
        "urgency",
        "alert",
        "red_flags",
        "clinician_review",
        "referral",
        "waiting",
        "preferred_location",
        "status",
        "assigned_to",
    )
    list_display_links = ("patient_name",)
    list_select_related = ("current_decision", "preferred_location", "assigned_to")
    list_filter = (
        QueueViewFilter,
        UrgencyFilter,
        ("current_decision__pathway", admin.ChoicesFieldListFilter),
        "status",
        PreferredLocationFilter,
        RedFlagFilter,
        OverdueFilter,
        AssignedFilter,
        ChangeRequestedFilter,
    )
    # Sorting by anything else than the indexed columns would sort the whole table.
    sortable_by = ("urgency", "waiting")
    ordering = ("urgency_rank", "created_at")
    search_fields = ("first_name", "last_name", "email")
    search_help_text = "Name, email, or the intake's full reference (public id)."
    show_full_result_count = False
    paginator = QueuePaginator
    list_per_page = 50
    actions = (
        "assign_to_me",
        "agree_after_review",
        "mark_contacted",
        "close_attended_referral",
        "close_with_outcome",
    )
    form = IntakeHandlingForm
    change_form_template = "admin/triage/intake/change_form.html"

    fieldsets = (
        ("Handling", {"fields": ("status", "assigned_to", "outcome")}),
        (
            "Triage",
            {"fields": ("decision_summary", "red_flags", "safety_net", "waiting", "created_at")},
        ),
        (
            "Contact",
            {"fields": ("first_name", "last_name", "email", "phone", "patient_link")},
        ),
        ("Preferred location", {"fields": ("preferred_location",)}),
        (
            "Runner context",
            {
                "fields": (
                    "weekly_distance_km",
                    "years_running",
                    "usual_surface",
                    "shoe_age_months",
                    "recent_race",
                )
            },
        ),
        ("Answers as submitted", {"fields": ("answers_table",)}),
    )
    readonly_fields = (
        "decision_summary",
        "red_flags",
        "safety_net",
        "waiting",
        "created_at",
        "first_name",
        "last_name",
        "email",
        "phone",
        "patient_link",
        "preferred_location",
        "weekly_distance_km",
        "years_running",
        "usual_surface",
        "shoe_age_months",
        "recent_race",
        "answers_table",
    )
    inlines = (TriageDecisionInline,)

    # --- scope and permissions

    access_log_type = "intake"

    def scoped_queryset(self, request):
        # The selector decides who sees what: locations, plus every emergency for clinicians.
        return scope_intakes(request.user)

    def get_queryset(self, request):
        # The open referral's state and alert in the same query (no query per row).
        open_referral = Referral.objects.filter(
            intake=OuterRef("pk"), state__in=Referral.OPEN_STATES
        )
        return self._with_alerts(
            super()
            .get_queryset(request)
            .annotate(
                referral_state=Subquery(open_referral.values("state")[:1]),
                referral_attention=Subquery(open_referral.values("needs_attention")[:1]),
            )
        )

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    @staticmethod
    def _with_alerts(queryset):
        """Each row's unacknowledged alert and overdue contact, for the alert column."""
        mine = StaffAlert.objects.filter(intake=OuterRef("pk"))
        unacknowledged = mine.filter(status=StaffAlert.Status.OPEN).order_by("created_at")
        overdue = mine.filter(alerts.overdue_q(timezone.now())).order_by("contact_by")
        return queryset.annotate(
            open_alert_id=Subquery(unacknowledged.values("pk")[:1]),
            overdue_alert_id=Subquery(overdue.values("pk")[:1]),
            overdue_contact_by=Subquery(overdue.values("contact_by")[:1]),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Triage queue", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False  # intakes come from patients, through the protocol

    def has_delete_permission(self, request, obj=None):
        return False  # kept for the clinical record

    def has_override_permission(self, request, obj=None):
        return request.user.has_perm("triage.add_triagedecision") and self.has_change_permission(
            request, obj
        )

    def has_schedule_permission(self, request, obj=None):
        return request.user.has_perm("clinic.add_appointment") and self.has_change_permission(
            request, obj
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            kwargs["queryset"] = assignable_staff(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        field = form.base_fields.get("assigned_to")
        if field is not None and hasattr(field.widget, "can_add_related"):
            # Pick a colleague; staff accounts are managed elsewhere (superusers only).
            field.widget.can_add_related = field.widget.can_change_related = False
            field.widget.can_delete_related = field.widget.can_view_related = False
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_override_permission": request.user.has_perm("triage.add_triagedecision"),
            "has_schedule_permission": request.user.has_perm("clinic.add_appointment"),
            "open_change_requests": open_change_requests_of(request, object_id),
            "has_open_referral": Referral.objects.filter(
                intake_id=_int_or_none(unquote(object_id)), state__in=Referral.OPEN_STATES
            ).exists(),
        }
        # The recovery charts (outcomes). The scoped queryset, not get_object: the change view
        # itself records this read in the access log, once.
        intake = (
            self.get_queryset(request)
            .filter(pk=_int_or_none(unquote(object_id)))
            .select_related("current_decision", "preferred_location")
            .first()
        )
        if intake is not None:
            extra_context.update(outcome_charts.trajectory_context(intake))
        return super().change_view(request, object_id, form_url, extra_context)

    def get_list_display(self, request):
        display = super().get_list_display(request)
        if self.has_override_permission(request):
            display = (*display, "override_link")
        if self.has_schedule_permission(request):
            display = (*display, "schedule_link")
        return display

    def get_search_results(self, request, queryset, search_term):
        # A full reference finds exactly one intake (by its unique index); anything else is a
        # name or email. UUIDs are stored differently per database, so parse rather than cast.
        try:
            public_id = uuid.UUID(search_term.strip())
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(public_id=public_id), False

    # --- columns

    @admin.display(description="patient", ordering="last_name")
    def patient_name(self, intake):
        return f"{intake.first_name} {intake.last_name}"

    @admin.display(description="age")
    def age(self, intake):
        return intake.age

    @admin.display(description="pathway")
    def pathway(self, intake):
        decision = intake.current_decision
        return decision.get_pathway_display() if decision else "—"

    @admin.display(description="urgency", ordering="urgency_rank")
    def urgency(self, intake):
        urgency = urgency_of(intake)
        return format_html(
            '<span class="bs-urgency bs-urgency-{}">{}</span>', urgency, Urgency(urgency).label
        )

    @admin.display(description="red flags")
    def red_flags(self, intake):
        decision = intake.current_decision
        return red_flag_badges(decision.red_flags if decision else [])

    @admin.display(description="safety-net flags")
    def safety_net(self, intake):
        decision = intake.current_decision
        if not decision or not decision.safety_net:
            return "—"
        return ", ".join(engine.SAFETY_NET_LABELS.get(c, c) for c in decision.safety_net)

    @admin.display(description="review")
    def clinician_review(self, intake):
        # Marked only where it applies: an empty cell, not a red cross, means nothing to do.
        decision = intake.current_decision
        if decision and decision.clinician_review:
            return format_html('<strong class="bs-needs-review">{}</strong>', "Needs review")
        return ""

    @admin.display(description="referral")
    def referral(self, intake):
        state = getattr(intake, "referral_state", None)
        if not state:
            return ""
        label = Referral.State(state).label
        if getattr(intake, "referral_attention", False):
            return format_html(
                '{}<br><strong class="bs-overdue">{}</strong>', label, "Cancelled or missed"
            )
        return label

    @admin.display(description="waiting", ordering="created_at")
    def waiting(self, intake):
        target = engine.STAFF_TARGET[urgency_of(intake)]
        if not is_still_waiting(intake):
            return format_html(
                '<span class="bs-waiting-stopped">{}</span>', intake.get_status_display()
            )
        waited = timezone.now() - intake.created_at
        if waited > target:
            return format_html(
                '<span class="bs-overdue"><strong>overdue</strong> {}</span>'
                '<br><small class="bs-target">target {}</small>',
                format_duration(waited),
                format_duration(target),
            )
        return format_html(
            '<span class="bs-waiting">{}</span><br><small class="bs-target">target {}</small>',
            format_duration(waited),
            format_duration(target),
        )

    @admin.display(description="alert")
    def alert(self, intake):
        """An unacknowledged alert with its Acknowledge button (it posts the queue's own form,
        CSRF token included, to the alert's acknowledge page), and an overdue contact."""
        parts = []
        if intake.open_alert_id:
            url = reverse("admin:clinic_staffalert_acknowledge", args=[intake.open_alert_id])
            parts.append(
                format_html(
                    '<strong class="bs-alert-open">Not acknowledged</strong><br>'
                    '<button type="submit" class="button" formaction="{}" formmethod="post" '
                    'formnovalidate aria-label="Acknowledge the alert for {}">Acknowledge</button>',
                    url,
                    self.patient_name(intake),
                )
            )
        if intake.overdue_alert_id:
            due = intake.overdue_contact_by.astimezone(intake.preferred_location.zone)
            url = reverse("admin:clinic_staffalert_contact", args=[intake.overdue_alert_id])
            parts.append(
                format_html(
                    '<strong class="bs-contact-overdue">Contact overdue</strong>'
                    '<br><small>due {}</small><br><a href="{}">Record contact</a>',
                    f"{due:%a %d %b %H:%M %Z}",
                    url,
                )
            )
        return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))

    @admin.display(description="override")
    def override_link(self, intake):
        url = reverse("admin:triage_intake_override", args=[intake.pk])
        return format_html('<a href="{}">Override</a>', url)

    @admin.display(description="schedule")
    def schedule_link(self, intake):
        if not schedule.can_be_scheduled(intake):
            return "—"
        url = reverse("admin:triage_intake_schedule", args=[intake.pk])
        return format_html('<a href="{}">Schedule</a>', url)

    # --- change page fields

    @admin.display(description="current decision")
    def decision_summary(self, intake):
        decision = intake.current_decision
        if decision is None:
            return "—"
        who = "protocol engine" if decision.decided_by_engine else str(decision.decided_by)
        return format_html(
            "{} / {} — rule {}, by {}; STarT Back {} risk (total {}, psychosocial {})",
            decision.get_pathway_display(),
            decision.get_urgency_display(),
            decision.rule,
            who,
            decision.sbst_risk,
            decision.sbst_total,
            decision.sbst_psychosocial,
        )

    @admin.display(description="patient account")
    def patient_link(self, intake):
        if intake.patient_id is None:
            return "Not linked to an account"
        url = reverse("admin:patients_patient_change", args=[intake.patient_id])
        return format_html('<a href="{}">Open the patient record</a>', url)

    @admin.display(description="answers")
    def answers_table(self, intake):
        rows = []
        for name, field in engine.FIELDS.items():
            value = intake.answers.get(name)
            if field.kind == "bool":
                shown = "Yes" if value else "No"
            elif field.kind == "choice":
                shown = dict(field.choice_pairs).get(value, value)
            else:
                shown = value
            rows.append((field.label, shown))
        body = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows)
        return format_html(
            '<table class="bs-answers"><caption>As the patient answered, protocol {}</caption>'
            '<thead><tr><th scope="col">Question</th><th scope="col">Answer</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            intake.current_decision.protocol_version if intake.current_decision else "",
            body,
        )

    # --- saving: staff change the handling fields only, through the services

    def save_model(self, request, obj, form, change):
        if "assigned_to" in form.changed_data:
            services.intake_assign(intake=obj, assignee=form.cleaned_data["assigned_to"])
        if {"status", "outcome"} & set(form.changed_data):
            try:
                services.intake_set_status(
                    intake=obj,
                    actor=request.user,
                    status=form.cleaned_data["status"],
                    outcome=form.cleaned_data["outcome"],
                )
            except InvalidTransition as refused:
                # Changed by someone else since the form was checked: say so, save nothing.
                self.message_user(request, f"The status was not changed: {refused}", messages.ERROR)

    # --- actions

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        count = 0
        for intake in queryset:
            services.intake_assign(intake=intake, assignee=request.user)
            count += 1
        self.message_user(request, f"{count} intake(s) assigned to you.", messages.SUCCESS)

    @admin.action(
        description="Clinician review: agree with the protocol's decision",
        permissions=["override"],
    )
    def agree_after_review(self, request, queryset):
        """One click for R9-R11 cases a clinician agrees with; disagreeing is an override."""
        agreed, skipped = 0, 0
        for intake in queryset.select_related("current_decision"):
            try:
                services.decision_review_agree(intake=intake, actor=request.user)
            except NotAllowed:
                skipped += 1
            else:
                agreed += 1
        self.message_user(
            request,
            f"{agreed} intake(s) reviewed: the protocol's decision stands.",
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request, f"{skipped} intake(s) did not need a clinician's review.", messages.INFO
            )

    @admin.action(description="Referral attended: close it", permissions=["change"])
    def close_attended_referral(self, request, queryset):
        """The last step of a referral; which moves are allowed is the referral's table."""
        closed, refused = 0, []
        for intake in queryset:
            referral = services.open_referral(intake)
            try:
                if referral is None:
                    raise InvalidTransition("It has no open referral.")
                services.referral_move(
                    referral=referral, actor=request.user, state=Referral.State.CLOSED
                )
            except InvalidTransition as refusal:
                refused.append(str(refusal))
            else:
                closed += 1
        self.message_user(request, f"{closed} referral(s) closed.", messages.SUCCESS)
        self._report_refused(request, refused, "closed")

    @admin.action(description="Mark contacted", permissions=["change"])
    def mark_contacted(self, request, queryset):
        contacted, unchanged, refused = self._set_status(
            request, queryset, status=Intake.Status.CONTACTED
        )
        self.message_user(request, f"{contacted} intake(s) marked contacted.", messages.SUCCESS)
        if unchanged:
            self.message_user(
                request, f"{unchanged} intake(s) were already contacted.", messages.INFO
            )
        self._report_refused(request, refused, "marked contacted")

    @admin.action(description="Close with an outcome…", permissions=["change"])
    def close_with_outcome(self, request, queryset):
        form = CloseForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            closed, unchanged, refused = self._set_status(
                request, queryset, status=Intake.Status.CLOSED, outcome=form.cleaned_data["outcome"]
            )
            self.message_user(request, f"{closed} intake(s) closed.", messages.SUCCESS)
            if unchanged:
                self.message_user(
                    request,
                    f"{unchanged} intake(s) were already closed; their outcome was kept.",
                    messages.INFO,
                )
            self._report_refused(request, refused, "closed")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Close intakes with an outcome",
            "opts": self.opts,
            "form": form,
            "intakes": queryset.select_related("current_decision"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/triage/intake/close_outcome.html", context)

    def _set_status(self, request, queryset, *, status, outcome=""):
        """Move each intake through the service; returns (moved, already there, refusals).

        The service decides which moves are allowed; intakes already in `status` are left
        alone (a bulk close must not overwrite an earlier outcome).
        """
        moved, unchanged, refused = 0, 0, []
        for intake in queryset:
            if intake.status == status:
                unchanged += 1
                continue
            try:
                services.intake_set_status(
                    intake=intake, actor=request.user, status=status, outcome=outcome
                )
            except InvalidTransition as refusal:
                refused.append(str(refusal))
            else:
                moved += 1
        return moved, unchanged, refused

    def _report_refused(self, request, refused, verb):
        if refused:
            reasons = " ".join(dict.fromkeys(refused))  # each reason once, in order
            self.message_user(
                request,
                f"{len(refused)} intake(s) could not be {verb}: {reasons}",
                messages.ERROR,
            )

    # --- the override and schedule pages

    def get_urls(self):
        custom = [
            path(
                "<path:object_id>/override/",
                self.admin_site.admin_view(self.override_view),
                name="triage_intake_override",
            ),
            path(
                "<path:object_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="triage_intake_schedule",
            ),
            path(
                "<path:object_id>/referral/decline/",
                self.admin_site.admin_view(self.referral_decline_view),
                name="triage_intake_referral_decline",
            ),
            path(
                "<path:object_id>/referral/return/",
                self.admin_site.admin_view(self.referral_return_view),
                name="triage_intake_referral_return",
            ),
            path(
                "<path:object_id>/referral/",
                self.admin_site.admin_view(self.referral_view),
                name="triage_intake_referral",
            ),
            path(
                "<path:object_id>/referral.pdf",
                self.admin_site.admin_view(self.referral_pdf_view),
                name="triage_intake_referral_pdf",
            ),
        ]
        return custom + super().get_urls()

    # --- the referral summary, to print or send to an imaging provider or surgeon

    REFERRAL_TEMPLATE = "admin/triage/intake/referral_summary.html"

    def _referral_context(self, request, object_id, *, pdf: bool) -> dict:
        """Scoped like the change page, but a 404 (never confirm that a record exists)."""
        intake = self.get_object(request, unquote(object_id))
        if intake is None or not self.has_view_permission(request, intake):
            raise Http404("No such intake.")
        referral = referrals.referral_of(intake)
        if referral is None:
            raise Http404("This intake has no referral.")
        return {
            **referrals.referral_summary(referral),
            "pdf": pdf,
            "pdf_url": reverse("admin:triage_intake_referral_pdf", args=[intake.pk]),
            "back_url": reverse("admin:triage_intake_change", args=[intake.pk]),
        }

    def referral_view(self, request, object_id):
        context = self._referral_context(request, object_id, pdf=False)
        return TemplateResponse(request, self.REFERRAL_TEMPLATE, context)

    def referral_pdf_view(self, request, object_id):
        """The same template as the page, rendered to PDF by WeasyPrint (no network fetches:
        the template carries its own styles)."""
        context = self._referral_context(request, object_id, pdf=True)
        html = render_to_string(self.REFERRAL_TEMPLATE, context, request=request)
        # Imported here, not with the admin: only this page needs Pango loaded, and WeasyPrint
        # logs each rendering step at INFO, which would flood the console log.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        from weasyprint import HTML

        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="referral-{context["intake"].public_id}.pdf"'
        )
        return response

    def override_view(self, request, object_id):
        """Record a clinician's decision (see `staff.decisions`)."""
        intake = self.get_object(request, unquote(object_id))
        if intake is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_override_permission(request, intake):
            raise PermissionDenied
        return decisions.override_page(self, request, intake)

    def _referral_action_intake(self, request, object_id) -> Intake:
        """Out of scope is a 404 (never confirm a record exists); in scope without the
        clinician's rights, a 403."""
        intake = self.get_object(request, unquote(object_id))
        if intake is None:
            raise Http404("No such intake.")
        if not self.has_override_permission(request, intake):
            raise PermissionDenied
        return intake

    def referral_decline_view(self, request, object_id):
        """Decline the open referral with a reason (see `staff.referrals`)."""
        intake = self._referral_action_intake(request, object_id)
        return referral_pages.decline_page(self, request, intake)

    def referral_return_view(self, request, object_id):
        """Return the open referral with advice (see `staff.referrals`)."""
        intake = self._referral_action_intake(request, object_id)
        return referral_pages.return_page(self, request, intake)

    def schedule_view(self, request, object_id):
        """Book an appointment for this intake (see `staff.schedule`)."""
        intake = self.get_object(request, unquote(object_id))
        if intake is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_schedule_permission(request, intake):
            raise PermissionDenied
        return schedule.schedule_page(self, request, intake)
