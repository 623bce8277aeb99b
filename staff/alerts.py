"""The on-call rota of each location, and the alerts a person must acknowledge (clinic.alerts).

An alert's message links to `ack/<token>/` here: behind the staff sign-in (password and
authenticator code), it asks the person to confirm, acknowledges and opens the intake.
"""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from clinic import alerts, links
from clinic.errors import NotAllowed
from clinic.models import OnCallShift, StaffAlert, StaffAlertEvent
from staff.scope import LocationScopedAdmin, ReadOnlyAdmin, StaffLocationFilter, staff_locations


@admin.register(OnCallShift)
class OnCallShiftAdmin(LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "location"
    list_display = ("location", "name", "order", "starts_at", "ends_at", "email", "phone")
    list_filter = (StaffLocationFilter,)
    ordering = ("-starts_at", "location", "order")
    fields = ("location", "person", "name", "email", "phone", "starts_at", "ends_at", "order")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "location":
            kwargs["queryset"] = staff_locations(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class StaffAlertEventInline(ReadOnlyAdmin, admin.TabularInline):
    model = StaffAlertEvent
    fields = ("created_at", "kind", "level", "recipients", "actor")
    readonly_fields = fields
    extra = 0


@admin.register(StaffAlert)
class StaffAlertAdmin(LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "location"
    list_display = ("created_at", "urgency", "location", "status", "level", "acknowledged_by")
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
    )
    readonly_fields = fields
    inlines = (StaffAlertEventInline,)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("location", "acknowledged_by")

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
            *super().get_urls(),
        ]

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
