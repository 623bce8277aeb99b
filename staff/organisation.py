"""Locations, services, practitioners, working hours and time off.

Superusers edit locations and services; location managers edit practitioners' working hours and
time off at their own locations only (rows elsewhere are neither listed nor touched). Time off
saved over booked visits leads to a page listing them, each with a one-click move to a nearby
free time, other times, or a cancellation (staff.front_desk does the change).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from clinic import calendar, scheduling
from clinic.models import Location, Practitioner, Service, TimeOff, WorkingHours
from patients.selectors import Access, clashing_appointments, record_list_access
from staff import front_desk
from staff.scope import (
    LocationScopedAdmin,
    StaffLocationFilter,
    SuperuserEditsAdmin,
    practitioner_wholly_in_scope,
    practitioners_in_scope,
    practitioners_wholly_in_scope,
    staff_location_ids,
    staff_locations,
)


@admin.register(Location)
class LocationAdmin(SuperuserEditsAdmin, LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "id"
    list_display = ("name", "address", "phone", "time_zone", "on_call_email")
    search_fields = ("name", "address")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Service)
class ServiceAdmin(SuperuserEditsAdmin, admin.ModelAdmin):
    list_display = (
        "name",
        "pathway",
        "discipline",
        "duration_minutes",
        "buffer_after_minutes",
        "bookable_online",
    )
    list_filter = ("pathway", "discipline", "bookable_online")
    search_fields = ("name", "name_es", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "description")}),
        (
            "Spanish",
            {
                "fields": ("name_es", "description_es"),
                "description": "What patients reading Spanish see; left blank, they see the "
                "English.",
            },
        ),
        (
            "Booking",
            {
                "fields": (
                    "pathway",
                    "discipline",
                    "duration_minutes",
                    "buffer_after_minutes",
                    "bookable_online",
                )
            },
        ),
    )


class PractitionerChoiceMixin:
    """Practitioner and location pickers offer only what the staff member's locations hold."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "location":
            kwargs["queryset"] = staff_locations(request)
        elif db_field.name == "practitioner":
            kwargs["queryset"] = practitioners_in_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ("practitioner", "location", "weekday", "start_time", "end_time")

    def clean(self):
        cleaned = super().clean()
        # The inline has no practitioner field: the parent practitioner is the instance's.
        practitioner = cleaned.get("practitioner") or getattr(self.instance, "practitioner", None)
        location = cleaned.get("location")
        if practitioner and location and not practitioner.locations.filter(pk=location.pk).exists():
            raise ValidationError(f"{practitioner} does not work at {location}.")
        return cleaned


class WorkingHoursInline(PractitionerChoiceMixin, admin.TabularInline):
    model = WorkingHours
    form = WorkingHoursForm
    extra = 0

    def get_queryset(self, request):
        # A manager sees and edits the hours at their own locations; other rows are untouched.
        queryset = super().get_queryset(request).select_related("location")
        ids = staff_location_ids(request)
        return queryset if ids is None else queryset.filter(location__in=ids)


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0

    # Time off blocks the practitioner everywhere: only for a practitioner wholly in scope.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and practitioner_wholly_in_scope(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and practitioner_wholly_in_scope(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and practitioner_wholly_in_scope(
            request, obj
        )


def time_off_clashes(request, time_off) -> list:
    return list(
        clashing_appointments(
            request.user,
            practitioner_id=time_off.practitioner_id,
            start=time_off.start,
            end=time_off.end,
        )
    )


class ClashListAdmin:
    """Saving a change to a practitioner's days that leaves booked visits without them (time
    off, a closed day, a day at another site) lands on the list of those visits, each with a
    one-click move to the nearest free times, other times, or a cancel. Subclasses say which
    visits clash (`clashing_visits`) and name the change (`clash_subject`)."""

    clash_url_name: str

    def clashing_visits(self, request, obj) -> list:
        raise NotImplementedError

    def clash_subject(self, obj) -> str:
        return str(obj)

    def clashes_url(self, obj) -> str:
        return reverse(f"admin:{self.clash_url_name}", args=[obj.pk])

    def response_add(self, request, obj, post_url_continue=None):
        if self.clashing_visits(request, obj):
            return self._to_clashes(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self.clashing_visits(request, obj):
            return self._to_clashes(request, obj)
        return super().response_change(request, obj)

    def _to_clashes(self, request, obj):
        self.message_user(
            request,
            f"{obj} is saved. It clashes with booked visits: move or cancel each below.",
            messages.WARNING,
        )
        return HttpResponseRedirect(self.clashes_url(obj))

    def get_urls(self):
        return [
            path(
                "<int:pk>/clashes/",
                self.admin_site.admin_view(self.clashes_view),
                name=self.clash_url_name,
            ),
            *super().get_urls(),
        ]

    def clashes_view(self, request, pk):
        """The booked visits the change leaves without their practitioner (those the staff
        member may see), each with the nearest free times to move it to, other times, or cancel."""
        obj = self.get_object(request, str(pk))
        if obj is None:
            raise Http404("Not found.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        visits = self.clashing_visits(request, obj)
        record_list_access(
            Access.of(request, via=request.get_full_path()),
            rows=[(visit.patient_id, visit.public_id) for visit in visits],
            object_type="appointment list",
        )
        may_change = request.user.has_perm(front_desk.CHANGE_PERMISSION)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Visits clashing with {obj}",
            "subject": self.clash_subject(obj),
            "may_change": may_change,
            "here": request.get_full_path(),
            "rows": [
                {
                    "visit": visit,
                    "when": f"{visit.local_start:%a %d %b %Y, %H:%M %Z}",
                    "nearest": front_desk.nearest_rows(visit) if may_change else [],
                }
                for visit in visits
            ],
        }
        return TemplateResponse(request, "admin/clinic/clashes.html", context)


@admin.register(Practitioner)
class PractitionerAdmin(LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "locations"
    scope_distinct = True
    list_display = ("display_name", "discipline", "location_names", "is_active")
    list_filter = ("discipline", "is_active", "locations")
    search_fields = ("display_name",)
    filter_horizontal = ("locations",)
    inlines = (WorkingHoursInline, TimeOffInline)
    actions = ("rotate_calendar_feed",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("locations")

    def get_readonly_fields(self, request, obj=None):
        # Locations and identity are the superuser's: a manager editing them could move a
        # practitioner out of (or into) other managers' locations.
        if request.user.is_superuser:
            return ()
        return ("user", "display_name", "discipline", "locations")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not TimeOff:
            return
        for time_off in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
            if time_off_clashes(request, time_off):
                self.message_user(
                    request,
                    format_html(
                        '{} clashes with booked visits: <a href="{}">move or cancel them</a>.',
                        time_off,
                        reverse("admin:clinic_timeoff_clashes", args=[time_off.pk]),
                    ),
                    messages.WARNING,
                )

    @admin.display(description="locations")
    def location_names(self, practitioner):
        return ", ".join(location.name for location in practitioner.locations.all())

    @admin.action(description="Give a new private calendar address", permissions=["change"])
    def rotate_calendar_feed(self, request, queryset):
        # The queryset is already the staff member's scope. Each address is shown once here:
        # only its digest is kept, and the old address stops working.
        for practitioner in queryset:
            token = calendar.feed_rotate(practitioner=practitioner, actor=request.user)
            url = f"{settings.SITE_URL}{reverse('practitioner_feed', args=[token])}"
            messages.success(
                request,
                f"New calendar address for {practitioner} (shown once; the old one no longer "
                f"works): {url}",
            )


@admin.register(WorkingHours)
class WorkingHoursAdmin(PractitionerChoiceMixin, LocationScopedAdmin, admin.ModelAdmin):
    scope_location_field = "location"
    form = WorkingHoursForm
    list_display = ("practitioner", "location", "weekday", "start_time", "end_time")
    list_filter = (StaffLocationFilter, "weekday")
    list_select_related = ("practitioner", "location")
    search_fields = ("practitioner__display_name",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # New hours are freed times: waitlisted patients hear about them in turn.
        scheduling.weekly_hours_added(hours=obj)


@admin.register(TimeOff)
class TimeOffAdmin(ClashListAdmin, PractitionerChoiceMixin, LocationScopedAdmin, admin.ModelAdmin):
    clash_url_name = "clinic_timeoff_clashes"
    scope_location_field = "practitioner__locations"
    scope_distinct = True
    list_display = ("practitioner", "start", "end", "reason")
    list_select_related = ("practitioner",)
    search_fields = ("practitioner__display_name", "reason")
    date_hierarchy = "start"

    # Time off has no location and blocks the practitioner at every site: a staff member sees
    # the time off of practitioners at their locations, but records or changes it only for
    # practitioners who work nowhere else (staff.scope.practitioners_wholly_in_scope).
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "practitioner" and field is not None:
            field.queryset = practitioners_wholly_in_scope(request)
        return field

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or practitioner_wholly_in_scope(request, obj.practitioner)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or practitioner_wholly_in_scope(request, obj.practitioner)
        )

    def clashing_visits(self, request, obj) -> list:
        return time_off_clashes(request, obj)

    def clash_subject(self, obj) -> str:
        return "this time off"
