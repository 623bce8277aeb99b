from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic operations"
    default = True

    def ready(self):
        # audit registers the patient-data models with auditlog; alerts escalates an alert
        # whose message failed (a receiver of notifications.notification_failed).
        from clinic import alerts, audit  # noqa: F401
