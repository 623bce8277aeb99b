"""Patients' requests to change a visit they may not change online (protocol section 7).

They show on the triage queue (the "change requested" filter and a notice on the intake) and
here, scoped to the staff member's locations. Staff answer one by rescheduling or cancelling
the visit (the booking service marks it handled) or by writing what was agreed here; the audit
log records the request and who handled it (`clinic.scheduling.change_requests`).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils.html import format_html

from clinic import scheduling
from clinic.models import ChangeRequest, InvalidTransition
from staff.scope import LocationScopedAdmin


def open_change_requests_of(request, intake_object_id) -> list[ChangeRequest]:
    """The open requests about an intake's visits, for the notice on its page (the page itself
    checks the intake's scope)."""
    try:
        intake_pk = int(unquote(str(intake_object_id)))
    except ValueError:
        return []
    return list(
        ChangeRequest.objects.filter(
            state=ChangeRequest.State.OPEN, appointment__intake_id=intake_pk
        ).select_related(
            "appointment__location", "appointment__service", "appointment__practitioner"
        )
    )


class ChangeRequestedFilter(admin.SimpleListFilter):
    title = "change requested"
    parameter_name = "change_requested"

    def lookups(self, request, model_admin):
        return [("yes", "Change requested by the patient")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        asked = ChangeRequest.objects.filter(state=ChangeRequest.State.OPEN).values(
            "appointment__intake_id"
        )
        return queryset.filter(pk__in=asked)


class HandleForm(forms.ModelForm):
    class Meta:
        model = ChangeRequest
        fields = ("resolution",)
        labels = {"resolution": "What was agreed"}
        help_texts = {"resolution": "Saving marks the request handled, with your name."}


class StateFilter(admin.SimpleListFilter):
    """Open requests by default: that is the work to do."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("handled", "Handled"), ("all", "All")]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "open") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        return queryset if value == "all" else queryset.filter(state=value)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "appointment__location"
    access_log_type = "change request"
    form = HandleForm
    list_display = ("created_at", "patient", "visit", "reason", "preferred_times", "state")
    list_display_links = ("created_at",)
    list_filter = (StateFilter,)
    list_select_related = (
        "appointment__patient",
        "appointment__location",
        "appointment__service",
        "appointment__practitioner",
    )
    ordering = ("created_at", "id")
    fields = (
        "patient",
        "visit",
        "intake_link",
        "reason",
        "preferred_times",
        "via",
        "created_at",
        "state",
        "handled_by",
        "handled_at",
        "resolution",
    )
    readonly_fields = (
        "patient",
        "visit",
        "intake_link",
        "reason",
        "preferred_times",
        "via",
        "created_at",
        "state",
        "handled_by",
        "handled_at",
    )

    def patient_id_of(self, change_request):
        return change_request.appointment.patient_id

    def has_add_permission(self, request):
        return False  # patients ask; staff answer

    def has_delete_permission(self, request, obj=None):
        return False  # kept for the record

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.state != ChangeRequest.State.OPEN:
            return (*self.readonly_fields, "resolution")
        return self.readonly_fields

    @admin.display(description="patient")
    def patient(self, change_request):
        return str(change_request.appointment.patient)

    @admin.display(description="visit")
    def visit(self, change_request):
        return str(change_request.appointment)

    @admin.display(description="intake")
    def intake_link(self, change_request):
        intake_id = change_request.appointment.intake_id
        if intake_id is None:
            return "—"
        url = reverse("admin:triage_intake_change", args=[intake_id])
        return format_html(
            '<a href="{}">Open the intake (reschedule or cancel from there)</a>', url
        )

    def save_model(self, request, obj, form, change):
        try:
            scheduling.change_request_handle(
                change_request=obj, actor=request.user, resolution=form.cleaned_data["resolution"]
            )
        except InvalidTransition as refused:
            self.message_user(request, str(refused), messages.ERROR)
