"""Locations, services, practitioners, working hours and time off.

Superusers edit locations and services; location managers edit practitioners' working hours and
time off at their own locations only (rows elsewhere are neither listed nor touched).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic import calendar, scheduling
from clinic.models import Location, Practitioner, Service, TimeOff, WorkingHours
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
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


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
class TimeOffAdmin(PractitionerChoiceMixin, LocationScopedAdmin, admin.ModelAdmin):
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
