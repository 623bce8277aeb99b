"""Every error the API returns is JSON with a `detail`, and every one is in the schema.

| raised                          | status | body                                   |
|---------------------------------|--------|----------------------------------------|
| malformed JSON                  | 400    | {"detail": "..."}                      |
| body over DATA_UPLOAD_MAX_...   | 400    | {"detail": "..."}                      |
| AuthenticationError             | 401    | {"detail": "..."} + WWW-Authenticate   |
| NotAllowed, failed CSRF check   | 403    | {"detail": "<the service's message>"}  |
| Http404                         | 404    | {"detail": "Not found."}               |
| SlotTaken                       | 409    | {"detail": "...", "alternatives": [..]}|
| InvalidTransition               | 409    | {"detail": "...", "alternatives": []}  |
| ValidationError, TriageError    | 422    | {"detail": [{"loc", "msg", "type"}]}   |
| rate limit                      | 429    | {"detail": "..."} + Retry-After        |
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from clinic.api import schemas
from clinic.errors import NotAllowed
from clinic.models import InvalidTransition
from clinic.scheduling import SlotTaken
from triage.engine import TriageError


def invalid(*loc: str, msg: str, kind: str = "value_error") -> ValidationError:
    """A 422 naming one field, in the same shape as the schema's own validation errors."""
    return ValidationError([{"loc": list(loc), "msg": msg, "type": kind}])


def install(api: NinjaAPI) -> None:
    """Register the handlers on `api`."""

    def not_found(request, exc):
        # Never say whose or whether: the same answer for "not yours" and "does not exist".
        return api.create_response(request, {"detail": "Not found."}, status=404)

    def unauthenticated(request, exc):
        response = api.create_response(
            request,
            {
                "detail": "Authentication required: send 'Authorization: Bearer <token>' "
                "(tokens are made on your account page) or sign in."
            },
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def not_allowed(request, exc):
        return api.create_response(request, {"detail": str(exc)}, status=403)

    def slot_taken(request, exc):
        body = schemas.Conflict(
            detail=str(exc), alternatives=[schemas.slot_out(slot) for slot in exc.alternatives]
        )
        return api.create_response(request, body.model_dump(mode="json"), status=409)

    def invalid_transition(request, exc):
        return api.create_response(request, {"detail": str(exc), "alternatives": []}, status=409)

    def triage_error(request, exc):
        # The engine is the last word on answers; the schema mirrors it, so this is rare.
        errors = [
            {"loc": ["body", "payload", name], "msg": message, "type": "triage"}
            for name, message in exc.errors.items()
        ]
        return api.create_response(request, {"detail": errors}, status=422)

    def too_big(request, exc):
        # Django would answer an HTML 400; a client of the API reads JSON. 400, not 413: the
        # schema documents 400 for a body the server cannot read.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return api.create_response(
            request,
            {"detail": f"The request body is too large: at most {limit} bytes."},
            status=400,
        )

    api.add_exception_handler(RequestDataTooBig, too_big)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(NotAllowed, not_allowed)
    api.add_exception_handler(SlotTaken, slot_taken)
    api.add_exception_handler(InvalidTransition, invalid_transition)
    api.add_exception_handler(TriageError, triage_error)
