"""Change history for every model that holds patient data (HIPAA audit controls), and for the
accounts and credentials that decide who may read it (45 CFR 164.312(b)).

Secrets never go into the history: password hashes, token hashes and authenticator keys are
left out, and so are the fields a sign-in or an API call touches every time (noise).
"""

from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import pre_save
from django.utils.encoding import smart_str

PATIENT_DATA_MODELS = [
    "patients.Patient",
    "patients.ConsentRecord",
    "triage.Intake",
    "triage.TriageDecision",
    "clinic.Appointment",
    "clinic.ChangeRequest",
    "triage.Referral",
    "clinic.WaitlistEntry",
    "clinic.WaitlistOffer",
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
# Practitioners' calendar feeds: who rotated the secret address and when; never its hash.
auditlog.register(apps.get_model("clinic.CalendarFeed"), exclude_fields=["token_hash"])
# Authenticator set-up links: issued (by whom), used, replaced; never the token's hash.
auditlog.register(apps.get_model("clinic.StaffEnrolmentLink"), exclude_fields=["token_hash"])
# Recovery codes: a set made or removed; the codes themselves (StaticToken) never.
auditlog.register(
    apps.get_model("otp_static.StaticDevice"),
    exclude_fields=["throttling_failure_timestamp", "throttling_failure_count", "last_used_at"],
)


# --- Entries written in bulk ------------------------------------------------------------------
# django-auditlog writes its entry from the save signal, one INSERT per row. Rows made with
# bulk_create (or changed with .update()) send no signal: `entry` builds the same LogEntry that
# the signal would have written (same diff, representation, correlation id, and the request's
# actor and address through LogEntry's pre_save receivers), and `write` saves many at once.
def entry(instance, *, before=None, fields=None):
    """The unsaved LogEntry auditlog records for saving `instance`: created when `before` is
    None, else changed from `before` (a copy taken before the change), limited to `fields`.
    None when auditlog is off or nothing changed."""
    if auditlog_disabled.get() or not auditlog.contains(type(instance)):
        return None
    changes = model_instance_diff(
        before,
        instance,
        fields_to_check=fields,
        use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES,
    )
    if not changes:
        return None
    pk = instance.pk
    log = LogEntry(
        action=LogEntry.Action.CREATE if before is None else LogEntry.Action.UPDATE,
        changes=changes,
        object_pk=pk,
        object_id=pk if isinstance(pk, int) else None,
        object_repr=smart_str(instance),
        serialized_data=LogEntry.objects._get_serialized_data_or_none(instance),
        cid=get_cid(),
    )
    get_additional_data = getattr(instance, "get_additional_data", None)
    if callable(get_additional_data):
        log.additional_data = get_additional_data()
    # What a save would do: auditlog's request context sets the actor and the client address.
    pre_save.send(sender=LogEntry, instance=log, raw=False, using="default", update_fields=None)
    log.audited_model = type(instance)  # its content type is looked up in `write`, all at once
    return log


def write(entries) -> None:
    """Save the entries `entry` built, in one statement."""
    entries = [log for log in entries if log is not None]
    if not entries:
        return
    types = ContentType.objects.get_for_models(*{log.audited_model for log in entries})
    for log in entries:
        log.content_type = types[log.audited_model]
    LogEntry.objects.bulk_create(entries)
