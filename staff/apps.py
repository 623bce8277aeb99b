from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Staff admin"
    default = True

    def ready(self):
        from staff import audit

        # Runs after the admin's autodiscover (the admin app is listed first), so whatever
        # LogEntry admin the modules registered is the one made read-only.
        audit.lock_down_audit_log()


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Backstride's site: password plus an authenticator code.

    Listed in INSTALLED_APPS instead of "django.contrib.admin", so `admin.site` and every
    `@admin.register` use `staff.site.StaffAdminSite`.
    """

    default = False  # "staff" in INSTALLED_APPS still means StaffConfig
    default_site = "staff.site.StaffAdminSite"
