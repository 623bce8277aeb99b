"""Authenticator set-up links: the only way a staff member gets a first authenticator app.

A password alone never starts a set-up (it would enrol whoever first knows the password): an
administrator issues a link bound to one staff account (the admin's user page, or
`manage.py create_staff_enrolment_link` for the first superuser). The link is a random token of
which only the SHA-256 is stored; it works once, for STAFF_ENROLMENT_LINK_HOURS, and a newer link
for the same person ends it. Whoever opens it still gives that account's password (`staff.site`).
Issuing, use and replacement are in the change history (clinic.audit).
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import roles
from clinic.errors import NotAllowed
from clinic.models import StaffEnrolmentLink, User


def has_authenticator_app(user) -> bool:
    """A confirmed authenticator app. Recovery codes alone do not count."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_issue(*, user, issued_by=None) -> tuple[StaffEnrolmentLink, str]:
    """A new set-up link for `user`; returns the record and the token (shown once, not kept).

    Any earlier unused link for `user` stops working. Raises NotAllowed for an inactive or
    non-staff account, or one that already has an authenticator app (remove it first to send
    the person through set-up again).
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise NotAllowed("This account is not active.")
        if not roles.is_privileged(user):
            raise NotAllowed("Only staff accounts set up an authenticator app.")
        if has_authenticator_app(user):
            raise NotAllowed(
                "This account already has an authenticator app. Delete it (Authenticator apps) "
                "first if the person needs to set up a new one."
            )
        now = timezone.now()
        # Row by row, so the change history records each replaced link.
        for earlier in StaffEnrolmentLink.objects.filter(
            user=user, used_at__isnull=True, revoked_at__isnull=True
        ):
            earlier.revoked_at = now
            earlier.save(update_fields=["revoked_at"])
        token = secrets.token_urlsafe(32)
        record = StaffEnrolmentLink.objects.create(
            user=user,
            issued_by=issued_by,
            token_hash=_hash(token),
            expires_at=now + timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS),
        )
    return record, token


def link_path(token: str) -> str:
    return reverse("admin:two_factor_enrol_link", args=[token])


def link_url(token: str) -> str:
    return settings.SITE_URL + link_path(token)


def _open():
    return StaffEnrolmentLink.objects.filter(
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        user__is_active=True,
    ).select_related("user")


def _usable(link: StaffEnrolmentLink | None) -> StaffEnrolmentLink | None:
    if link is None or not roles.is_privileged(link.user) or has_authenticator_app(link.user):
        return None
    return link


def link_for_token(token: str) -> StaffEnrolmentLink | None:
    """The open link `token` names, or None (unknown, used, replaced, expired, or its account
    deactivated, no longer staff or already set up)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return _usable(_open().filter(token_hash=_hash(token)).first())


def link_still_open(link_id, *, user) -> StaffEnrolmentLink | None:
    """The link a set-up in progress came through, if it is still open and for `user`."""
    return _usable(_open().filter(pk=link_id, user=user).first())


def link_lock(link_id, *, user) -> StaffEnrolmentLink | None:
    """Lock the link of a set-up in progress, if still open for `user`: inside the transaction
    that confirms the device, so one link never confirms two (see `link_mark_used`)."""
    link = _open().select_for_update(of=("self",)).filter(pk=link_id, user=user).first()
    return _usable(link)


def link_mark_used(link: StaffEnrolmentLink) -> None:
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
