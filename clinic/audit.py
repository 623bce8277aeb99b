"""Change history for every model that holds patient data (HIPAA audit controls)."""

from auditlog.registry import auditlog
from django.apps import apps

PATIENT_DATA_MODELS = [
    "patients.Patient",
    "triage.Intake",
    "triage.TriageDecision",
    "clinic.Appointment",
    "clinic.WaitlistEntry",
    "clinic.Notification",
]

for label in PATIENT_DATA_MODELS:
    auditlog.register(apps.get_model(label))
