"""/fhir/R4/: the capability statement, then Type/id (read) and Type (search)."""

from django.urls import path, re_path

from fhir import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^(?P<type_name>[A-Za-z]+)/(?P<ident>[A-Za-z0-9\-.]{1,64})$", views.read, name="read"),
    re_path(r"^(?P<type_name>[A-Za-z]+)$", views.search_type, name="search"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
