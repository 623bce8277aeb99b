"""Appointments in the admin: a scoped list in local times, status actions, the day sheet.

An appointment's page is read-only: its time, practitioner and status change only through the
scheduling services (booking from the triage queue or the front desk pages, `staff.front_desk`,
which also move and cancel; `appointment_set_status` from the actions).
"""

import itertools
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from clinic import scheduling
from clinic.models import Appointment, AppointmentEvent, AppointmentStatus, Location
from patients.selectors import (
    Access,
    day_sheet_appointments,
    record_access,
    scope_appointments,
)
from staff import front_desk
from staff.scope import (
    EstimatedCountPaginator,
    IdFilter,
    LocationScopedAdmin,
    ReadOnlyAdmin,
    StaffLocationFilter,
    practitioners_in_scope,
    staff_locations,
)


class PractitionerFilter(IdFilter):
    title = "practitioner"
    parameter_name = "practitioner"
    id_field = "practitioner_id"

    def lookups(self, request, model_admin):
        return [(str(p.pk), p.display_name) for p in practitioners_in_scope(request)]


class AppointmentDateFilter(admin.SimpleListFilter):
    """Days in the clinic's time zone (settings.TIME_ZONE); the day sheet uses each location's."""

    title = "date"
    parameter_name = "when"
    RANGES = {
        "today": ("Today", 0, 1),
        "tomorrow": ("Tomorrow", 1, 2),
        "next7": ("Next 7 days", 0, 7),
        "past7": ("Past 7 days", -7, 0),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.RANGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        _, first, last = self.RANGES[self.value()]
        today = timezone.localdate()
        start = timezone.make_aware(datetime.combine(today + timedelta(days=first), time.min))
        end = timezone.make_aware(datetime.combine(today + timedelta(days=last), time.min))
        return queryset.filter(start__gte=start, start__lt=end)


class AppointmentEventInline(ReadOnlyAdmin, admin.TabularInline):
    model = AppointmentEvent
    fk_name = "appointment"
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor", "previous_start", "previous_practitioner", "note")
    readonly_fields = fields
    verbose_name_plural = "History"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "previous_practitioner")


class DaySheetForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), to_field_name="slug", empty_label=None
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


def local_day_bounds(day, zone) -> tuple[datetime, datetime]:
    """The instants where a local calendar day starts and ends (23 or 25 hours on DST days)."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


@admin.register(Appointment)
class AppointmentAdmin(LocationScopedAdmin, admin.ModelAdmin):
    list_display = ("local_start", "patient", "service", "practitioner", "location", "status")
    list_select_related = ("patient__user", "service", "practitioner", "location")
    list_filter = (StaffLocationFilter, "status", PractitionerFilter, AppointmentDateFilter)
    search_fields = ("patient__first_name", "patient__last_name", "patient__user__email")
    ordering = ("-start",)
    sortable_by = ("local_start",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ("mark_completed", "mark_no_show")
    inlines = (AppointmentEventInline,)
    change_list_template = "admin/clinic/appointment/change_list.html"
    fields = (
        "public_id",
        "local_start",
        "local_end",
        "patient",
        "service",
        "practitioner",
        "location",
        "status",
        "intake",
        "booked_by",
        "created_at",
    )
    readonly_fields = fields

    access_log_type = "appointment"

    def scoped_queryset(self, request):
        return scope_appointments(request.user)

    def has_add_permission(self, request):
        return False  # booked through the scheduling service (the front desk, the queue)

    def has_delete_permission(self, request, obj=None):
        return False  # cancelled, never deleted

    def has_change_permission(self, request, obj=None):
        # The page of one appointment is read-only; the list's status actions need the
        # permission without an object.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="starts (local time)", ordering="start")
    def local_start(self, appointment):
        return f"{appointment.local_start:%a %d %b %Y, %H:%M %Z}"

    @admin.display(description="ends (local time)")
    def local_end(self, appointment):
        return f"{appointment.local_end:%H:%M %Z}"

    # --- status actions

    def _mark(self, request, queryset, status):
        changed, refused = 0, []
        for appointment in queryset.select_related("location", "patient__user"):
            try:
                scheduling.appointment_set_status(
                    appointment=appointment, actor=request.user, status=status
                )
            except (scheduling.InvalidTransition, scheduling.NotAllowed) as error:
                refused.append(f"{appointment}: {error}")
            else:
                changed += 1
        label = AppointmentStatus(status).label.lower()
        self.message_user(request, f"{changed} appointment(s) marked {label}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Mark completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        self._mark(request, queryset, AppointmentStatus.COMPLETED)

    @admin.action(description="Mark did not attend (no-show)", permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._mark(request, queryset, AppointmentStatus.NO_SHOW)

    # --- the day sheet

    def get_urls(self):
        return [
            path(
                "day-sheet/",
                self.admin_site.admin_view(self.day_sheet_view),
                name="clinic_appointment_day_sheet",
            ),
            path(
                "book/",
                self.admin_site.admin_view(self.book_view),
                name="clinic_appointment_book",
            ),
            path(
                "<uuid:public_id>/move/",
                self.admin_site.admin_view(self.move_view),
                name="clinic_appointment_move",
            ),
            path(
                "<uuid:public_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="clinic_appointment_cancel",
            ),
            *super().get_urls(),
        ]

    # --- the front desk: book, move and cancel for a patient (staff.front_desk)

    def book_view(self, request):
        return front_desk.book_page(self, request)

    def move_view(self, request, public_id):
        return front_desk.move_page(self, request, public_id)

    def cancel_view(self, request, public_id):
        return front_desk.cancel_page(self, request, public_id)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "may_book": request.user.has_perm(front_desk.BOOK_PERMISSION),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            "may_change_visit": request.user.has_perm(front_desk.CHANGE_PERMISSION),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def day_sheet_view(self, request):
        """One location's day, by practitioner, in the location's local time; printable."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        locations = staff_locations(request)
        data = request.GET
        if "location" not in data and "date" not in data:
            first = locations.first()
            data = {
                "location": first.slug if first else "",
                "date": timezone.localdate(timezone=first.zone if first else None).isoformat(),
            }
        form = DaySheetForm(data, locations=locations)
        context = {
            **self.admin_site.each_context(request),
            "title": "Day sheet",
            "opts": self.opts,
            "form": form,
            "sheet": None,
        }
        if not form.is_valid():
            template = "admin/clinic/appointment/day_sheet.html"
            return TemplateResponse(request, template, context, status=400)
        location, day = form.cleaned_data["location"], form.cleaned_data["date"]
        record_access(
            Access.of(request),
            patient_id=None,
            object_type="day_sheet",
            object_id=f"{location.slug} {day}",
        )
        context.update(
            title=f"Day sheet: {location.name}, {day:%A %d %B %Y}",
            location=location,
            day=day,
            sheet=day_sheet(request.user, location=location, day=day),
            zone_name=location.time_zone,
        )
        return TemplateResponse(request, "admin/clinic/appointment/day_sheet.html", context)


def day_sheet(user, *, location, day) -> list[tuple]:
    """[(practitioner, rows)] for the location's local `day`, cancelled visits left out."""
    start, end = local_day_bounds(day, location.zone)
    appointments = day_sheet_appointments(user, location=location, start=start, end=end)
    return [
        (practitioner, [_sheet_row(a, location.zone) for a in rows])
        for practitioner, rows in itertools.groupby(appointments, key=lambda a: a.practitioner)
    ]


def _sheet_row(appointment, zone) -> dict:
    decision = appointment.intake.current_decision if appointment.intake else None
    # Formatted here: the template's time filter would convert to the server's zone instead.
    start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
    return {
        "time": f"{start:%H:%M}\N{EN DASH}{end:%H:%M}",
        "patient": appointment.patient,
        "service": appointment.service,
        "status": appointment.get_status_display(),
        "urgency": decision.get_urgency_display() if decision else "",
    }
