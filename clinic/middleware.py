"""Session and request hardening: staff idle logoff, staff second factor, request rate limits;
the audit log's client address."""

import logging
import time

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from clinic import roles
from clinic.security import client_ip
from patients import consent

log = logging.getLogger(__name__)

LAST_ACTIVITY_KEY = "staff_last_activity"


class StaffEnglishMiddleware:
    """Staff pages (the admin) stay English whatever the browser or the language switch says:
    only patient pages and messages are translated. Goes after LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/"):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
        return self.get_response(request)


class StaffIdleTimeoutMiddleware:
    """Ends a staff session after STAFF_IDLE_TIMEOUT without a request (HIPAA automatic logoff,
    45 CFR 164.312(a)(2)(iii); OWASP ASVS 3.3.2).

    Patients keep the 24-hour rolling session (SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST).
    Goes after AuthenticationMiddleware and MessageMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if roles.is_privileged(user):
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            idle_limit = settings.STAFF_IDLE_TIMEOUT.total_seconds()
            if isinstance(last, int | float) and now - last > idle_limit:
                logout(request)
                minutes = int(idle_limit // 60)
                messages.info(
                    request, f"You were signed out after {minutes} minutes without activity."
                )
            else:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class StaffSecondFactorMiddleware:
    """A staff account is never signed in on its password alone.

    The staff admin asks for the authenticator code; this closes the other doors (the patient
    sign-in, any other password login): a staff session that has not passed the second factor
    is signed out before any view runs, so staff powers in the patient pages (the location
    scopes of `patients.selectors`) also need both factors. Goes after OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        # Without OTPMiddleware there is no `is_verified`: treat the session as unverified.
        verified = getattr(user, "is_verified", lambda: False)
        if roles.is_privileged(user) and not verified():
            logout(request)
            admin_login = reverse("admin:login")
            if not request.path.startswith(reverse("admin:index")):
                messages.info(
                    request,
                    "Staff accounts sign in through the staff site, with the code from "
                    "their authenticator app.",
                )
                return redirect(admin_login)
        return self.get_response(request)


class PrivacyNoticeMiddleware:
    """A signed-in patient who has not accepted the current privacy notice
    (settings.PRIVACY_NOTICE_VERSION: a new version asks again) is sent to accept it before any
    other page, then back where they were going.

    Only page reads are redirected: a form being sent is let through rather than lost, and the
    next page asks. Sign-in and account pages, the notice itself, the API and the staff site
    are never held up. One indexed query per patient page read (not cached in the session, so
    a version raised mid-session asks at once). Goes after StaffSecondFactorMiddleware.
    """

    OPEN_PREFIXES = ("/accounts/", "/api/", "/admin/", "/sms/", "/healthz", "/favicon.ico")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_accept(request):
            accept = reverse("patients:privacy_notice_accept")
            return redirect(f"{accept}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _must_accept(self, request) -> bool:
        user = request.user
        if (
            not user.is_authenticated
            or roles.is_privileged(user)
            or request.method not in ("GET", "HEAD")
        ):
            return False
        path = request.path
        static = "/" + settings.STATIC_URL.lstrip("/")
        if path.startswith((*self.OPEN_PREFIXES, static)):
            return False
        if path in (reverse("patients:privacy_notice_accept"), reverse("patients:privacy_notice")):
            return False
        return not consent.user_accepted_current_notice(user)


class RateLimitMiddleware:
    """Per-address request budgets for sign-in and the intake (OWASP ASVS 11.1.4).

    The JSON API limits its callers itself (django-ninja throttles, API_RATE_LIMIT_*).

    A fixed window per rule and address, counted in Django's cache. When the cache (Redis) does
    not answer, requests pass: an outage of the limiter must not take the clinic offline, and
    sign-in keeps django-axes's lock-out, which lives in the database.

    settings.RATE_LIMITS maps a rule name to (requests, seconds); RATE_LIMIT_ENABLED switches all.
    """

    # name -> (methods, path prefixes)
    RULES = {
        "sign-in": (
            {"POST"},
            (
                "/admin/login/",
                "/admin/two-factor/",
                "/accounts/login/",
                "/accounts/signup/",
                "/accounts/password/",
            ),
        ),
        "intake": ({"POST"}, ("/intake/",)),
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "RATE_LIMIT_ENABLED", True):
            rule = self._rule_for(request)
            if rule is not None:
                refused = self._check(request, rule)
                if refused is not None:
                    return refused
        return self.get_response(request)

    def _rule_for(self, request) -> str | None:
        for name, (methods, prefixes) in self.RULES.items():
            if request.method not in methods:
                continue
            if request.path.startswith(prefixes) and name in settings.RATE_LIMITS:
                return name
        return None

    def _check(self, request, rule: str):
        from django.core.cache import cache

        limit, window = settings.RATE_LIMITS[rule]
        now = int(time.time())
        window_start = now - now % window
        key = f"ratelimit:{rule}:{client_ip(request)}:{window_start}"
        try:
            cache.add(key, 0, timeout=window + 1)
            count = cache.incr(key)
        except Exception:  # any cache failure: fail open, the limiter is a guard, not a gate
            log.warning("Rate limit cache unavailable; letting %s through", request.path)
            return None
        if count <= limit:
            return None
        retry_after = window_start + window - now
        return _too_many(request, retry_after=max(retry_after, 1))


def _too_many(request, *, retry_after: int):
    minutes = max(1, -(-retry_after // 60))  # rounded up
    message = (
        f"Too many requests from your connection. Please wait {minutes} "
        f"minute{'s' if minutes != 1 else ''} and try again."
    )
    response = render(request, "ratelimited.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """django-auditlog's middleware with the client address the access log, the lock-out and
    the limits use (`clinic.security.client_ip`, behind API_TRUSTED_PROXIES proxies only).

    Its own takes the first X-Forwarded-For entry, which the client writes: anyone could put
    any address into the change history.
    """

    @staticmethod
    def _get_remote_addr(request):
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_ip(request) or None

    @staticmethod
    def _get_remote_port(request):
        # X-Forwarded-Port is as forgeable as X-Forwarded-For: trusted only behind our proxies.
        if not (getattr(settings, "NINJA_NUM_PROXIES", 0) or 0):
            return None
        return BaseAuditlogMiddleware._get_remote_port(request)
