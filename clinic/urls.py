from django.contrib import admin
from django.urls import include, path

from clinic import views
from clinic.api.v1 import api
from patients.views import set_language
from staff.admin import admin_dashboard
from staff.outcomes import admin_outcomes

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("calendar/<str:token>.ics", views.practitioner_feed, name="practitioner_feed"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sms/inbound", views.sms_inbound, name="sms_inbound"),
    path("admin/dashboard/", admin_dashboard, name="admin_dashboard"),
    path("admin/outcomes/", admin_outcomes, name="admin_outcomes"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("intake/", include("triage.urls")),
    path("follow-up/", include("outcomes.urls")),
    path("api/v1/", api.urls),
    path("fhir/R4/", include("fhir.urls")),
    path("", include("patients.urls")),
]
