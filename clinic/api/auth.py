"""Who is calling the API, and how often they may.

Two ways in, tried in this order: `Authorization: Bearer bst_...` (a personal token, see
`patients.tokens`), or the signed-in session with Django's CSRF check on unsafe methods, so a
page on another site cannot drive the API with a patient's cookies.

The rate limit is a fixed window on Django's cache (Redis in production), per signed-in user
(all of a person's tokens share one budget) or per client address when anonymous. A cache that is
down lets requests through: losing the limiter for a while is better than losing the API.
"""

import contextlib
import logging
import time

from auditlog import context as auditlog_context
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle

from clinic import roles
from clinic.errors import NotAllowed
from patients import services, tokens
from patients.selectors import Access

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WINDOW_SECONDS = 60


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = tokens.token_authenticate(token)
        if user is None:
            return None
        # The selectors and the access log read request.user: make it the token's owner.
        request.user = user
        _attribute_changes_to(user)
        return user


def _attribute_changes_to(user) -> None:
    # AuditlogMiddleware read request.user before the token was checked (it was anonymous), so
    # name the token's owner as the actor of the changes this request makes. auditlog keeps the
    # request's context in this ContextVar; changing the dict it holds, rather than opening a
    # nested set_actor(), leaves its signal bookkeeping intact.
    with contextlib.suppress(LookupError):
        auditlog_context.auditlog_value.get()["actor"] = user


class CsrfSessionAuth(SessionAuth):
    """The signed-in session, with the CSRF check on unsafe methods (a 403 when it fails)."""

    def __call__(self, request):
        # Only a signed-in session is checked for CSRF: a request with no session (say, with a
        # revoked token) must get the 401 that tells the client to authenticate, not a 403.
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


token_auth = TokenAuth()
session_auth = CsrfSessionAuth(csrf=True)
# The token first: a request that carries one is judged by it, not by a cookie it may also carry.
API_AUTH = [token_auth, session_auth]


def caller_patient(request):
    """The caller's patient record (made on first need, as the pages do).

    Raises NotAllowed for staff: the API acts for patients, and staff book and change
    appointments in the admin.
    """
    if roles.is_privileged(request.user):
        raise NotAllowed(
            gettext(
                "The API acts for patient accounts; staff schedule and change appointments in "
                "the admin."
            )
        )
    return services.patient_for_user(request.user)


def api_access(request) -> Access:
    """The reader of an API call, for the selectors: the caller, and "API GET /api/v1/..." as
    how the read reached patient data (the access log)."""
    return Access.of(request, via=f"API {request.method} {request.path}")


class FixedWindowRateLimit(BaseThrottle):
    """At most API_RATE_LIMIT_READ reads and API_RATE_LIMIT_WRITE writes per minute and caller.

    A limit of 0 turns that limit off. Read at request time, so a deployment (or a test) can
    change it without a restart of this module.
    """

    def allow_request(self, request) -> bool:
        write = request.method not in SAFE_METHODS
        limit = settings.API_RATE_LIMIT_WRITE if write else settings.API_RATE_LIMIT_READ
        if not limit or limit <= 0:
            return True
        window = int(time.time() // WINDOW_SECONDS)
        key = f"api-rate:{'write' if write else 'read'}:{self._caller(request)}:{window}"
        try:
            count = _count(key)
        except Exception:
            # Fail open (see the module docstring); the log says the limiter is off.
            log.warning("API rate limiter unavailable; letting the request through", exc_info=True)
            return True
        return count <= limit

    def wait(self) -> float:
        return WINDOW_SECONDS - time.time() % WINDOW_SECONDS

    def _caller(self, request) -> str:
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            # A public endpoint runs no authentication; a token it carries still names the
            # caller, so a client is counted alike everywhere, not by a shared address.
            user = _bearer_user(request)
        if user is not None and getattr(user, "is_authenticated", False):
            return f"user:{user.pk}"
        # NINJA_NUM_PROXIES (API_TRUSTED_PROXIES) decides whether X-Forwarded-For is believed.
        return f"ip:{self.get_ident(request)}"


def _bearer_user(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return tokens.token_authenticate(token) if scheme.lower() == "bearer" else None


def _count(key: str) -> int:
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this request opens the window.
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        return 1
