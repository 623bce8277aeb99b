from django.contrib import admin
from django.urls import include, path

from clinic import views
from clinic.api.v1 import api
from staff.admin import admin_dashboard
from staff.outcomes import admin_outcomes

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/dashboard/", admin_dashboard, name="admin_dashboard"),
    path("admin/outcomes/", admin_outcomes, name="admin_outcomes"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("intake/", include("triage.urls")),
    path("follow-up/", include("outcomes.urls")),
    path("api/v1/", api.urls),
    path("", include("patients.urls")),
]
