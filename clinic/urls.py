from django.contrib import admin
from django.urls import include, path

from clinic import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("intake/", include("triage.urls")),
    path("", include("patients.urls")),
]
