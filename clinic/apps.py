from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic operations"
    default = True

    def ready(self):
        from clinic import (
            admin_audit,
            audit,  # noqa: F401  registers patient-data models with auditlog
        )

        # Runs after the admin's autodiscover (the admin app is listed first), so whatever
        # LogEntry admin the modules registered is the one made read-only.
        admin_audit.lock_down_audit_log()


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Backstride's site: password plus an authenticator code.

    Listed in INSTALLED_APPS instead of "django.contrib.admin", so `admin.site` and every
    `@admin.register` in the apps use `clinic.admin_site.StaffAdminSite`.
    """

    default = False  # "clinic" in INSTALLED_APPS still means ClinicConfig
    default_site = "clinic.admin_site.StaffAdminSite"
