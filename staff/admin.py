"""What Django's admin autodiscover loads: every staff admin module (importing one registers
its ModelAdmins), the site's titles and the dashboard page.

Every page is scoped to the staff member's locations (`staff.scope`); patient data is read
through the `patients.selectors.scope_*` querysets. Superusers see and manage everything.
"""

from django.contrib import admin
from django.template.response import TemplateResponse

from staff import (  # noqa: F401  importing them registers their admins
    accounts,
    alerts,
    appointments,
    change_requests,
    dashboard,
    fhir_clients,
    intakes,
    organisation,
    outbox,
    patients,
    schedule,
    waitlist,
)

admin.site.site_header = "Backstride staff"
admin.site.site_title = "Backstride staff"
admin.site.index_title = "Clinic administration"


def dashboard_view(request):
    """Intakes, targets met and no-shows for the staff member's locations, last 30 days; alert
    figures by month."""
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        **dashboard.dashboard_data(user=request.user),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)


# Routed at /admin/dashboard/ by clinic/urls.py; admin_view lets in active staff only.
admin_dashboard = admin.site.admin_view(dashboard_view)
