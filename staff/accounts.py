"""Staff accounts and the change history: superusers only."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django_otp.plugins.otp_static.models import StaticDevice

from clinic.models import User
from staff.scope import EstimatedCountPaginator, SuperuserEditsAdmin


class SuperuserOnlyAdmin:
    """Mixin: the page exists for superusers only (it is hidden from everyone else)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class StaffCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self):
        return self.cleaned_data["email"].lower()


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        return self.cleaned_data["email"].lower()


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin, SuperuserEditsAdmin, DjangoUserAdmin):
    """Superusers manage staff: email login, groups (roles) and the locations that scope them."""

    form = StaffChangeForm
    add_form = StaffCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Role and scope",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "locations")},
        ),
        ("Extra permissions", {"classes": ("collapse",), "fields": ("user_permissions",)}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "first_name", "last_name", "is_staff", "is_superuser", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups", "locations")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    filter_horizontal = ("groups", "user_permissions", "locations")
    paginator = EstimatedCountPaginator
    show_full_result_count = False


# Recovery codes are shown once, at set-up (staff.site): django-otp's page would list them to
# any superuser. Removing a staff member's authenticator app sends them through set-up again,
# which replaces their codes.
if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)


# django-auditlog registers its own page; show it to superusers only (it is never editable).
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogEntryAdmin(SuperuserOnlyAdmin, LogEntryAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
