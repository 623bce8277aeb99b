from django.contrib import admin
from django.urls import include, path

from clinic import views
from clinic.api.v1 import api
from patients.views import set_language
from staff.admin import admin_dashboard

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/dashboard/", admin_dashboard, name="admin_dashboard"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("intake/", include("triage.urls")),
    path("api/v1/", api.urls),
    path("", include("patients.urls")),
]
