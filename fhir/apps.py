from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "fhir"
    verbose_name = "FHIR interface"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from fhir import audit  # noqa: F401  registers the clients with auditlog
