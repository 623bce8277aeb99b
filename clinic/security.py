"""Who is asking: the client's address and the sign-in name, as the lock-out and limits see them.

django-axes (settings AXES_CLIENT_IP_CALLABLE, AXES_USERNAME_CALLABLE) and the rate limits in
`clinic.middleware` use these, so a lock-out and a limit agree on who the client is.
"""

import ipaddress
import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind N trusted proxies the entry the outermost
    one added to X-Forwarded-For.

    N is the API's setting (NINJA_NUM_PROXIES, from API_TRUSTED_PROXIES) with the same meaning,
    so the API's limits, the lock-out and these limits see one address. Only entries appended
    by our own proxies are trusted; anything further left was written by the client and could
    be forged to dodge a lock-out (OWASP ASVS 2.2.1).
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = getattr(settings, "NINJA_NUM_PROXIES", 0) or 0
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops and _is_ip(forwarded[-hops]):
            return forwarded[-hops]
    return remote


def axes_username(request, credentials=None) -> str | None:
    """The name a sign-in attempt was for, from either sign-in form.

    The staff admin posts `username`, the patient sign-in (allauth) posts `login` and
    authenticates with `email`; both are the account's email address, so one person's failures
    count together whichever form they came through. Lower-cased, as addresses are stored.
    """
    sources = [credentials or {}, getattr(request, "POST", {}) or {}]
    for source in sources:
        for field in ("username", "email", "login"):
            value = source.get(field)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()[:255]
    return None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


_MANAGE_LINK_TOKEN = re.compile(r"(/appointments/manage/|/two-factor/enrol/)[^/\s?#\"']+")


def redact_link_tokens(text: str) -> str:
    """`text` with the token of any signed manage link or staff set-up link replaced: a link
    is a credential."""
    return _MANAGE_LINK_TOKEN.sub(r"\1[redacted]", text)


class RedactLinkTokens(logging.Filter):
    """Keeps signed manage-link tokens out of the logs (Django logs the path of every 4xx and
    5xx answer, "Not Found: /me/appointments/manage/<token>/"). On the console handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_link_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_link_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: redact_link_tokens(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        return True


# What the API's text fields refuse (clinic.api.schemas): a control character (PostgreSQL cannot
# store NUL, and none belongs in a name, a reason or a phone number) or a lone surrogate.
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def refuse_control_characters(value) -> None:
    """A form field validator: the pages refuse the text the API refuses."""
    if isinstance(value, str) and _CONTROL_OR_SURROGATE.search(value):
        raise ValidationError(
            "Remove the control characters (such as tabs or line breaks) from this text.",
            code="control_characters",
        )
