"""Signed, expiring links that let a patient manage an appointment from an email or SMS.

A link names the appointment and a version of it (a digest of its status, time, practitioner and
last change), so it stops working as soon as the appointment changes: after a cancel, a move or
any staff change the old links are dead, and the page hands out a fresh one. It also stops at
the appointment's start and when the account is closed (`link_still_valid`).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "backstride.appointment.manage"
MAX_AGE = timedelta(days=120)  # longer than the booking horizon; the cutoff still applies


def appointment_version(appointment) -> str:
    """A digest that changes on every change of the appointment."""
    updated = appointment.updated_at.isoformat() if appointment.updated_at else ""
    raw = "|".join(
        (
            str(appointment.public_id),
            str(appointment.status),
            appointment.start.isoformat(),
            str(appointment.practitioner_id),
            updated,
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def manage_token(appointment) -> str:
    value = f"{appointment.public_id}.{appointment_version(appointment)}"
    return signing.TimestampSigner(salt=SALT).sign(value)


def read_token(token: str) -> tuple[str, str] | None:
    """(appointment id, version) the token was made for, or None if forged, altered, expired
    or of the old, unversioned form."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    public_id, dot, version = value.partition(".")
    if not dot or not version:
        return None
    return public_id, version


def link_still_valid(appointment, *, version: str) -> bool:
    """Whether a link made for `version` may still manage the appointment: unchanged since,
    still booked, not yet started, and its patient's account still open (a patient staff
    scheduled before they had an account has only this link)."""
    patient = appointment.patient
    return (
        appointment_version(appointment) == version
        and appointment.is_active
        and appointment.start > timezone.now()
        and (patient.user_id is None or patient.user.is_active)
    )


def manage_url(appointment) -> str:
    path = reverse("patients:appointment_manage_link", args=[manage_token(appointment)])
    return f"{settings.SITE_URL}{path}"


ALERT_SALT = "backstride.staff-alert.acknowledge"
ALERT_LINK_MAX_AGE = timedelta(days=2)


def alert_ack_url(alert) -> str:
    """A signed link to acknowledge an alert; it opens only behind the staff sign-in, so a
    forwarded message shows nothing to whoever holds it."""
    token = signing.TimestampSigner(salt=ALERT_SALT).sign(str(alert.public_id))
    return f"{settings.SITE_URL}{reverse('admin:clinic_staffalert_ack', args=[token])}"


def alert_id_from_token(token: str) -> str | None:
    try:
        return signing.TimestampSigner(salt=ALERT_SALT).unsign(token, max_age=ALERT_LINK_MAX_AGE)
    except signing.BadSignature:
        return None


WAITLIST_SALT = "backstride.waitlist.offer"
# Longer than any hold: the page itself says when an offer has ended.
WAITLIST_LINK_MAX_AGE = timedelta(days=7)


def waitlist_offer_url(offer) -> str:
    """A signed link to a held waitlist offer; it opens behind the patient's sign-in, and only
    for the patient it was made to."""
    token = signing.TimestampSigner(salt=WAITLIST_SALT).sign(str(offer.public_id))
    return f"{settings.SITE_URL}{reverse('patients:waitlist_offer', args=[token])}"


def waitlist_offer_id_from_token(token: str) -> str | None:
    try:
        return signing.TimestampSigner(salt=WAITLIST_SALT).unsign(
            token, max_age=WAITLIST_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return None
