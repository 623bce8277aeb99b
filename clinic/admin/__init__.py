"""The clinic side of the staff admin.

- `accounts`: staff accounts (superusers only) and the change history from django-auditlog.
- `organisation`: locations, services, practitioners, their working hours and time off.
- `appointments`: the appointment list, status actions and the printable day sheet.
- `outbox`: the notification log with its resend action.
- `dashboard_view` below: the staff dashboard (its numbers come from `clinic.dashboard`).

Every page is scoped to the staff member's locations (`clinic.admin_scope`); patient data is
read through the `patients.selectors.scope_*` querysets. Superusers see and manage everything.
"""

from django.contrib import admin
from django.template.response import TemplateResponse

from clinic import dashboard
from clinic.admin import accounts, appointments, organisation, outbox  # noqa: F401  registers

admin.site.site_header = "Backstride staff"
admin.site.site_title = "Backstride staff"
admin.site.index_title = "Clinic administration"


def dashboard_view(request):
    """Intakes, targets met and no-shows for the staff member's locations, last 30 days."""
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        **dashboard.dashboard_data(user=request.user),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)


# Routed at /admin/dashboard/ by clinic/urls.py; admin_view lets in active staff only.
admin_dashboard = admin.site.admin_view(dashboard_view)
