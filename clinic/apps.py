from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic operations"
    default = True

    def ready(self):
        from clinic import audit  # noqa: F401  registers patient-data models with auditlog
