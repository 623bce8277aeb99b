"""Staff accounts and the change history: superusers only."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django_otp.plugins.otp_static.models import StaticDevice

from clinic import roles
from clinic.errors import NotAllowed
from clinic.models import User
from staff import enrolment
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
    change_form_template = "admin/clinic/user/change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/enrolment-link/",
                self.admin_site.admin_view(self.enrolment_link_view),
                name="clinic_user_enrolment_link",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "can_issue_enrolment_link": user is not None
            and roles.is_privileged(user)
            and not enrolment.has_authenticator_app(user),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def enrolment_link_view(self, request, object_id):
        """POST: issue a set-up link for this staff account and show it, this once."""
        return _issue_enrolment_link(self, request, object_id)


def _issue_enrolment_link(model_admin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    # Those who manage staff accounts: active superusers with staff status (this page is theirs).
    if not roles.is_superuser(request.user) or not model_admin.has_change_permission(request):
        raise PermissionDenied
    user = model_admin.get_object(request, unquote(object_id))
    if user is None:
        raise Http404("No such account.")
    change_page = reverse("admin:clinic_user_change", args=[user.pk])
    try:
        link, token = enrolment.link_issue(user=user, issued_by=request.user)
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
        return redirect(change_page)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Set-up link for {user.email}",
        "opts": model_admin.opts,
        "original": user,
        "link_url": enrolment.link_url(token),
        "expires_at": link.expires_at,
        "hours": settings.STAFF_ENROLMENT_LINK_HOURS,
        "change_page": change_page,
    }
    # admin_view marks the page never_cache: the link is not kept by the browser or a proxy.
    return TemplateResponse(request, "admin/clinic/user/enrolment_link.html", context)


# Recovery codes are shown once, at set-up (staff.site): django-otp's page would list them to
# any superuser. After removing a staff member's authenticator app, a new set-up link sends
# them through set-up again, which replaces their codes.
if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)


# django-auditlog registers its own page; show it to superusers only (it is never editable).
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditLogEntryAdmin(SuperuserOnlyAdmin, LogEntryAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
