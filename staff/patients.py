"""Patients and the access log in the staff admin.

Patient records are read-only here (patients keep their own details in the portal) and scoped by
`patients.selectors.scope_patients`; opening one is recorded in the access log. Superusers confirm
account deletion requests from the list (`staff.privacy.confirm_account_deletion`).
The access log is for superusers only, and nobody can add, change or delete an entry.
"""

from django.contrib import admin
from django.db.models import Q

from clinic.models import Appointment, User
from patients.models import AccessLog, Patient
from patients.selectors import (
    scope_appointments,
    scope_intakes,
    scope_patients_for_admin,
)
from staff.privacy import confirm_account_deletion
from staff.scope import (
    EstimatedCountPaginator,
    IdFilter,
    LocationScopedAdmin,
    ReadOnlyAdmin,
)
from triage.models import Intake


class ReadOnlyInline(ReadOnlyAdmin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class PatientIntakeInline(ReadOnlyInline):
    model = Intake
    fields = ("created_at", "current_decision", "preferred_location", "status")
    readonly_fields = fields
    verbose_name_plural = "Intakes (those you may see)"

    def get_queryset(self, request):
        # The patient may be visible through one location while other intakes are elsewhere.
        visible = scope_intakes(request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=visible)
            .select_related("current_decision", "preferred_location")
        )


class PatientAppointmentInline(ReadOnlyInline):
    model = Appointment
    fields = ("start", "service", "practitioner", "location", "status")
    readonly_fields = fields
    verbose_name_plural = "Appointments (those you may see)"

    def get_queryset(self, request):
        visible = scope_appointments(request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=visible)
            .select_related("service", "practitioner", "location")
        )


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin, LocationScopedAdmin, admin.ModelAdmin):
    list_display = ("full_name", "email", "date_of_birth", "phone", "preferred_location")
    list_select_related = ("user", "preferred_location")
    search_fields = ("first_name", "last_name", "user__email", "contact_email")
    list_filter = (("deletion_requested_at", admin.EmptyFieldListFilter),)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = (confirm_account_deletion,)
    fields = (
        "public_id",
        "first_name",
        "last_name",
        "email",
        "date_of_birth",
        "phone",
        "contact_preference",
        "preferred_location",
        "deletion_requested_at",
        "created_at",
    )
    readonly_fields = fields
    inlines = (PatientIntakeInline, PatientAppointmentInline)

    access_log_type = "patient"

    def scoped_queryset(self, request):
        return scope_patients_for_admin(request.user)

    def patient_id_of(self, patient):
        return patient.pk

    def get_actions(self, request):
        # Confirming a deletion request (patients.privacy) is for superusers only.
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("confirm_account_deletion", None)
        return actions

    @admin.display(description="name", ordering="last_name")
    def full_name(self, patient):
        return patient.full_name or "—"


class StaffActorFilter(IdFilter):
    """Filter by who read: staff accounts only (listing every patient account would not fit)."""

    title = "actor"
    parameter_name = "actor"

    id_field = "actor_id"

    def lookups(self, request, model_admin):
        staff = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True)).order_by("email")
        return [(str(user.pk), user.email) for user in staff]


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "object type"
    parameter_name = "object_type"
    TYPES = ("intake", "decisions", "appointment", "patient", "day_sheet", "export")

    def lookups(self, request, model_admin):
        return [(name, name.replace("_", " ")) for name in self.TYPES]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Who read which patient's data. Superusers browse it; nobody edits it."""

    list_display = ("at", "actor_label", "object_type", "object_id", "patient", "via", "ip_address")
    list_select_related = ("patient__user",)
    list_filter = (StaffActorFilter, ObjectTypeFilter, "at")
    search_fields = ("actor_label", "=object_id")
    ordering = ("-at",)
    sortable_by = ("at",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    fields = list_display
    readonly_fields = list_display

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
