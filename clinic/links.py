"""Signed, expiring links that let a patient manage an appointment from an email or SMS."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "backstride.appointment.manage"
MAX_AGE = timedelta(days=120)  # longer than the booking horizon; the cutoff still applies


def manage_token(appointment) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(appointment.public_id))


def public_id_from_token(token: str) -> str | None:
    """The appointment id the token was made for, or None if forged, altered or expired."""
    try:
        return signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE)
    except signing.BadSignature:
        return None


def manage_url(appointment) -> str:
    path = reverse("patients:appointment_manage_link", args=[manage_token(appointment)])
    return f"{settings.SITE_URL}{path}"
