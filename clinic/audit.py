"""Change history for every model that holds patient data (HIPAA audit controls), and for the
accounts and credentials that decide who may read it (45 CFR 164.312(b)).

Secrets never go into the history: password hashes, token hashes and authenticator keys are
left out, and so are the fields a sign-in or an API call touches every time (noise).
"""

from auditlog.registry import auditlog
from django.apps import apps

PATIENT_DATA_MODELS = [
    "patients.Patient",
    "triage.Intake",
    "triage.TriageDecision",
    "clinic.Appointment",
    "clinic.ChangeRequest",
    "triage.Referral",
    "clinic.WaitlistEntry",
    "clinic.Notification",
    "outcomes.FollowUp",
    "outcomes.FollowUpAnswer",
]

for label in PATIENT_DATA_MODELS:
    auditlog.register(apps.get_model(label))

# Who may read patient data: roles (groups), permissions, locations, staff and superuser status,
# the email that is the login, deactivation.
auditlog.register(
    apps.get_model("clinic.User"),
    exclude_fields=["password", "last_login"],
    m2m_fields={"groups", "user_permissions", "locations"},
)
# API tokens: made, revoked, expiry; never the hash or the password fingerprint.
auditlog.register(
    apps.get_model("patients.ApiToken"),
    exclude_fields=["token_hash", "password_marker", "last_used_at"],
)
# Authenticator apps: set up, confirmed, removed; never the secret or the last code's step.
auditlog.register(
    apps.get_model("otp_totp.TOTPDevice"),
    exclude_fields=[
        "key",
        "last_t",
        "drift",
        "throttling_failure_timestamp",
        "throttling_failure_count",
        "last_used_at",
    ],
)
# Recovery codes: a set made or removed; the codes themselves (StaticToken) never.
auditlog.register(
    apps.get_model("otp_static.StaticDevice"),
    exclude_fields=["throttling_failure_timestamp", "throttling_failure_count", "last_used_at"],
)
