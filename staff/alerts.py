"""The on-call rota of each location, and the alerts a person must acknowledge (clinic.alerts).

An alert's message links to `ack/<token>/` here: behind the staff sign-in (password and
authenticator code), it asks the person to confirm, acknowledges and opens the intake.
"""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.db.models import BooleanField, Case, Value, When
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from clinic import alerts, links
from clinic.errors import NotAllowed
from clinic.models import ContactOutcome, Holiday, OnCallShift, StaffAlert, StaffAlertEvent
from staff.scope import (
    LocationChoicesInScope,
    LocationScopedAdmin,
    ReadOnlyAdmin,
    StaffLocationFilter,
)


@admin.register(OnCallShift)
class OnCallShiftAdmin(LocationChoicesInScope, LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "location"
    list_display = ("location", "name", "order", "starts_at", "ends_at", "email", "phone")
    list_filter = (StaffLocationFilter,)
    ordering = ("-starts_at", "location", "order")
    fields = ("location", "person", "name", "email", "phone", "starts_at", "ends_at", "order")


@admin.register(Holiday)
class HolidayAdmin(LocationChoicesInScope, LocationScopedAdmin, admin.ModelAdmin):
    """Days a location is closed: "within 1 working day" skips them."""

    scope_location_field = "location"
    list_display = ("date", "name", "location")
    list_filter = (StaffLocationFilter,)
    ordering = ("-date",)


def _queue_url(request) -> str:
    """The queue page the request came from (its filters kept), or the queue."""
    queue = reverse("admin:triage_intake_changelist")
    came_from = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(
        came_from, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if same_site and urlsplit(came_from).path == queue:
        return came_from
    return queue


class ContactForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=ContactOutcome.choices, widget=forms.RadioSelect, label="How did the call go?"
    )
    note = forms.CharField(
        required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3}), label="Note"
    )


class StaffAlertEventInline(ReadOnlyAdmin, admin.TabularInline):
    model = StaffAlertEvent
    fields = ("created_at", "kind", "level", "recipients", "actor")
    readonly_fields = fields
    extra = 0


@admin.register(StaffAlert)
class StaffAlertAdmin(LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "location"
    list_display = (
        "created_at",
        "urgency",
        "location",
        "status",
        "level",
        "contact_deadline",
        "acknowledged_by",
        "contact_link",
    )
    list_filter = ("status", "urgency", StaffLocationFilter)
    ordering = ("status", "-created_at")
    actions = ("acknowledge",)
    fields = (
        "intake_link",
        "urgency",
        "location",
        "status",
        "level",
        "next_escalation_at",
        "acknowledged_at",
        "acknowledged_by",
        "contact_by",
        "contacted_at",
        "contact_outcome",
        "contact_note",
    )
    readonly_fields = fields
    inlines = (StaffAlertEventInline,)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_ordering(self, request):
        return ("-overdue", *self.ordering)  # `overdue` is annotated in scoped_queryset

    def scoped_queryset(self, request):
        # Urgent cases past their contact-by time and not yet contacted come first.
        overdue = Case(
            When(alerts.overdue_q(timezone.now()), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        queryset = super().scoped_queryset(request).select_related("location", "acknowledged_by")
        return queryset.annotate(overdue=overdue)

    @admin.display(description="contact by", ordering="contact_by")
    def contact_deadline(self, alert):
        if alert.contact_by is None:
            return "—"
        local = alert.contact_by.astimezone(alert.location.zone)
        text = f"{local:%a %d %b %H:%M %Z}"
        if alerts.is_overdue(alert):
            return format_html('<strong class="bs-overdue">OVERDUE: {}</strong>', text)
        if alert.contacted_at:
            return format_html("{} (contacted)", text)
        return text

    @admin.display(description="")
    def contact_link(self, alert):
        url = reverse("admin:clinic_staffalert_contact", args=[alert.pk])
        return format_html('<a href="{}">Record contact</a>', url)

    @admin.display(description="intake")
    def intake_link(self, alert):
        url = reverse("admin:triage_intake_change", args=[alert.intake_id])
        return format_html('<a href="{}">Open the intake</a>', url)

    @admin.action(description="Acknowledge: I am handling these", permissions=["change"])
    def acknowledge(self, request, queryset):
        done = 0
        for alert in queryset:
            try:
                alerts.alert_acknowledge(alert=alert, actor=request.user)
            except NotAllowed as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} alert(s) acknowledged.", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "ack/<str:token>/",
                self.admin_site.admin_view(self.acknowledge_view),
                name="clinic_staffalert_ack",
            ),
            path(
                "<int:pk>/acknowledge/",
                self.admin_site.admin_view(self.queue_acknowledge_view),
                name="clinic_staffalert_acknowledge",
            ),
            path(
                "<int:pk>/contact/",
                self.admin_site.admin_view(self.contact_view),
                name="clinic_staffalert_contact",
            ),
            *super().get_urls(),
        ]

    def queue_acknowledge_view(self, request, pk):
        """The triage queue's Acknowledge button (POST, under the queue form's CSRF token): the
        person takes the case, then is back on the queue as they left it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        # Who may take an alert is the domain's rule, as for the signed link: staff of its
        # location, and any triage clinician for an emergency (the queue shows them every
        # location's). Anyone else, or a missing alert, is a 404.
        alert = (
            StaffAlert.objects.select_related("location", "acknowledged_by").filter(pk=pk).first()
        )
        if alert is None or not alerts.may_handle(request.user, alert):
            raise Http404("No such alert in your locations.")
        what = f"The {alert.urgency} alert at {alert.location}"
        if alert.status == StaffAlert.Status.ACKNOWLEDGED:
            who = alert.acknowledged_by or "a colleague"
            messages.info(request, f"{what} was already acknowledged by {who}.")
        else:
            alerts.alert_acknowledge(alert=alert, actor=request.user)
            messages.success(request, f"{what} is acknowledged: you are handling this case.")
        return HttpResponseRedirect(_queue_url(request))

    def contact_view(self, request, pk):
        """Record a call: how it went and a note. Clears the contact-by clock."""
        alert = self.get_queryset(request).filter(pk=pk).first()
        if alert is None or not self.has_change_permission(request, alert):
            raise Http404("No such alert in your locations.")
        form = ContactForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            alerts.alert_record_contact(
                alert=alert,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, "Contact recorded.")
            return HttpResponseRedirect(reverse("admin:clinic_staffalert_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Record contact: {alert.urgency} alert at {alert.location}",
            "alert": alert,
            "form": form,
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(
            request, "admin/clinic/staffalert/contact.html", context, status=status
        )

    def acknowledge_view(self, request, token):
        """From the link in an alert: confirm, acknowledge, then open the intake."""
        public_id = links.alert_id_from_token(token)
        alert = (
            self.get_queryset(request).filter(public_id=public_id).first() if public_id else None
        )
        if alert is None or not alerts.may_handle(request.user, alert):
            raise Http404("This alert link is not valid, or the alert is not for your locations.")
        intake_url = reverse("admin:triage_intake_change", args=[alert.intake_id])
        if request.method == "POST":
            alerts.alert_acknowledge(alert=alert, actor=request.user)
            messages.success(request, "Alert acknowledged: you are handling this case.")
            return HttpResponseRedirect(intake_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{alert.urgency.capitalize()} alert at {alert.location}",
            "alert": alert,
            "intake_url": intake_url,
        }
        return TemplateResponse(request, "admin/clinic/staffalert/acknowledge.html", context)
