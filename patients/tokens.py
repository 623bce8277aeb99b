"""Personal API tokens: made, listed, revoked, and checked on every API request.

A token is "bst_" and 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored, so
the database never holds a usable token; it is shown to its owner once, when it is made. A plain
SHA-256 (not a slow password hash) is enough because the token is random and long, not a
password a person chose, and it lets the API find the token with one indexed lookup.
"""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from clinic import roles
from clinic.db import rows
from clinic.errors import NotAllowed
from clinic.models import User
from patients.models import ApiToken, Patient

PREFIX = "bst_"
MAX_ACTIVE_TOKENS = 10
# last_used_at is a "roughly when" for the owner; writing it at most once a minute keeps a busy
# client from turning every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


def password_marker(user) -> str:
    """A fingerprint of the user's password hash: it changes with every password change (a
    reset, a change, the admin or `changepassword`), so a token made under the old password
    stops working. The stored hash is already salted; this keeps it out of the token table."""
    return hashlib.sha256((user.password or "").encode()).hexdigest()


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored for a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def token_create(*, user, name: str = "", expires_at=None) -> tuple[ApiToken, str]:
    """Make a token for `user`; returns the stored record and the token (shown once, not kept).

    `expires_at` (optional, in the future) ends it on its own; it also ends when the password
    changes. Raises NotAllowed for privileged accounts (staff work in the admin, behind its
    second factor, and a bearer token would bypass it; `clinic.roles.is_privileged`), inactive
    accounts, an expiry in the past, or a user who already has MAX_ACTIVE_TOKENS active tokens.
    """
    if expires_at is not None and expires_at <= timezone.now():
        raise NotAllowed(gettext("The expiry must be in the future."))
    if not user.is_active:
        raise NotAllowed(gettext("This account is not active."))
    if roles.is_privileged(user):
        raise NotAllowed(
            gettext(
                "Staff accounts cannot have API tokens: staff work in the admin, behind its "
                "second factor."
            )
        )
    # Lock the user's row so two requests at once cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    token_revoke_stale(user=user)
    if _active(token_list(user=user)).count() >= MAX_ACTIVE_TOKENS:
        raise NotAllowed(
            gettext("You already have %(count)s active tokens. Revoke one you no longer use.")
            % {"count": MAX_ACTIVE_TOKENS}
        )
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user,
        name=(name or "").strip()[:100] or "API token",
        key_prefix=token[:8],
        token_hash=token_hash(token),
        expires_at=expires_at,
        password_marker=password_marker(user),
    )
    return record, token


def _active(tokens: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
    return tokens.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def token_revoke_stale(*, user) -> int:
    """Revoke the user's tokens made under an earlier password; returns how many."""
    stale = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
        password_marker=password_marker(user)
    )
    return _revoke(stale)


def _revoke(tokens: QuerySet[ApiToken]) -> int:
    """Revoke each token row by row: save(), not .update(), so the change history records
    every revocation (django-auditlog listens to save signals only)."""
    now = timezone.now()
    revoked = 0
    with transaction.atomic():
        for token in tokens.filter(revoked_at__isnull=True).select_for_update():
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            revoked += 1
    return revoked


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    """Revoke one of `actor`'s tokens; it stops working at once. Revoking twice is harmless.

    Raises NotAllowed for someone else's token.
    """
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != actor.pk:
        raise NotAllowed(gettext("This token belongs to another account."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_list(*, user) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, active and revoked."""
    return ApiToken.objects.filter(user=user)


def token_for_owner(*, user, pk) -> ApiToken:
    """One of the user's own tokens; Http404 for anyone else's id, so ids are not confirmed."""
    try:
        return token_list(user=user).get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("No such token.") from None


def token_authenticate(raw: str):
    """The active, non-privileged user a presented token belongs to, or None.

    A revoked or expired token, a token made before the owner's password last changed (it is
    revoked then), a token of a deactivated account or of an account that became staff
    authenticates nobody. Records when the token was last used (to the minute).
    """
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    record = _token_with_owner(token_hash(raw))
    if record is None or not record.is_active:  # revoked or expired
        return None
    if not record.user.is_active or roles.is_privileged(record.user):
        return None
    now = timezone.now()
    if record.password_marker != password_marker(record.user):
        _revoke(ApiToken.objects.filter(pk=record.pk))
        return None
    if record.last_used_at is None or now - record.last_used_at >= LAST_USED_PRECISION:
        # .update() on purpose: last_used_at is left out of the change history (noise).
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


# Every API call starts with this read: the token, its owner and the owner's patient record (which
# most calls need next, patient_for_user), in one statement written in SQL. The ORM's form of it
# (select_related over the three tables) took longer to build in Python than the database takes
# to answer it.
_WITH_OWNER_SQL = """
SELECT {token_columns}, {user_columns}, {patient_columns}
FROM {tokens} t
JOIN {users} u ON u.id = t.user_id
LEFT JOIN {patients} p ON p.user_id = t.user_id
WHERE t.token_hash = %s
"""


@cache
def _with_owner_sql(vendor: str) -> str:
    return _WITH_OWNER_SQL.format(
        token_columns=rows.columns(ApiToken, "t"),
        user_columns=rows.columns(User, "u"),
        patient_columns=rows.columns(Patient, "p"),
        tokens=ApiToken._meta.db_table,
        users=User._meta.db_table,
        patients=Patient._meta.db_table,
    )


def _token_with_owner(digest: str) -> ApiToken | None:
    """The token stored with this digest, its user and the user's patient record loaded (as
    select_related loads them: no patient record is loaded as absent), or None."""
    with connection.cursor() as cursor:
        cursor.execute(_with_owner_sql(connection.vendor), [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    user_at = rows.width(ApiToken)
    patient_at = user_at + rows.width(User)
    record = rows.instance(ApiToken, row[:user_at])
    record.user = rows.instance(User, row[user_at:patient_at])
    patient = rows.instance(Patient, row[patient_at:])
    User.patient.related.set_cached_value(record.user, patient)
    if patient is not None:
        Patient.user.field.set_cached_value(patient, record.user)
    return record
