"""The FHIR R4 endpoints: /metadata, read (`Type/id`) and search (`Type?params`).

Read-only: GET (and HEAD) only. Every answer is application/fhir+json, and every error an
OperationOutcome with its status: 400 for a query we cannot answer as asked, 401 without a
valid client token, 403 for a client with no locations, 404 for anything outside the client's
locations (never confirming it exists), 405 for other methods, 429 over the client's limit
(with Retry-After). Searches return a searchset Bundle with self, next and previous links.
"""

import json
import logging
import time
import uuid
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse

from clinic.api.auth import WINDOW_SECONDS, FixedWindowRateLimit, _count
from clinic.security import client_ip
from fhir import clients, mapping, reads, search
from fhir.registry import ALL_TYPES, QUESTIONNAIRE, TYPES, ResourceType
from fhir.search import BadRequest

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
FHIR_VERSION = "4.0.1"
# When this interface's capabilities were last changed (CapabilityStatement.date).
CAPABILITIES_DATE = "2026-12-01"


def fhir_response(body: dict, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=CONTENT_TYPE,
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def outcome(status: int, code: str, diagnostics: str, **headers) -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }
    return fhir_response(body, status, **headers)


class ClientRateLimit(FixedWindowRateLimit):
    """The JSON API's fixed window, per FHIR client: its own limit, or FHIR_RATE_LIMIT.

    A limit of 0 turns it off; a cache that is down lets requests through, as for the API."""

    def __init__(self, client):
        self.client = client

    def allow_request(self, request) -> bool:
        limit = self.client.rate_limit
        if limit is None:
            limit = settings.FHIR_RATE_LIMIT
        if not limit:
            return True
        window = int(time.time() // WINDOW_SECONDS)
        try:
            count = _count(f"fhir-rate:{self.client.pk}:{window}")
        except Exception:
            log.warning("FHIR rate limiter unavailable; letting the request through", exc_info=True)
            return True
        return count <= limit


def _bearer(request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def endpoint(*, authenticated: bool = True):
    """Method check, client authentication and rate limit, and errors as OperationOutcome."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return outcome(
                    405, "not-supported", "This FHIR interface is read-only.", Allow="GET, HEAD"
                )
            access = None
            if authenticated:
                client = clients.client_authenticate(_bearer(request))
                if client is None:
                    return outcome(
                        401,
                        "login",
                        "Send 'Authorization: Bearer <token>' with an active FHIR client token "
                        "(made by manage.py create_fhir_client).",
                        WWW_Authenticate='Bearer realm="fhir"',
                    )
                limiter = ClientRateLimit(client)
                if not limiter.allow_request(request):
                    wait = max(1, int(limiter.wait() + 0.999))
                    return outcome(
                        429,
                        "throttled",
                        f"Too many requests for this client; try again in {wait} s.",
                        Retry_After=str(wait),
                    )
                location_ids = clients.client_location_ids(client)
                if not location_ids:
                    return outcome(
                        403, "forbidden", "This client may not read any location's data."
                    )
                access = reads.ClientAccess(
                    client=client,
                    location_ids=location_ids,
                    via=f"FHIR {request.method} {request.get_full_path()}",
                    address=client_ip(request) or None,
                )
            try:
                return view(request, access, *args, **kwargs)
            except BadRequest as error:
                return outcome(400, "invalid", str(error))
            except Http404:
                return outcome(404, "not-found", "No such resource.")

        return wrapped

    return decorate


def _root(request) -> str:
    return request.build_absolute_uri("/fhir/R4").rstrip("/")


@endpoint(authenticated=False)
def metadata(request, access):
    """The CapabilityStatement, written from the registry: what is served, and how to search."""
    resources = [
        {
            "type": rtype.name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": p.name, "type": p.kind, "documentation": p.documentation}
                for p in rtype.params
            ],
        }
        for rtype in TYPES.values()
    ]
    resources.append(
        {"type": QUESTIONNAIRE, "interaction": [{"code": "read"}, {"code": "search-type"}]}
    )
    body = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITIES_DATE,
        "publisher": "Backstride",
        "kind": "instance",
        "software": {"name": "Backstride"},
        "implementation": {
            "description": "Backstride referrals and appointments, read-only",
            "url": _root(request),
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    f"Searches page with _count (default {search.DEFAULT_COUNT}, at most "
                    f"{search.MAX_COUNT}) and _offset; a repeated parameter means all of its "
                    "values, a comma inside one means any of them."
                ),
                "security": {
                    "description": "A bearer token per client system, scoped to its locations."
                },
                "resource": resources,
            }
        ],
    }
    return fhir_response(body)


def _parse_id(rtype: ResourceType, ident: str):
    if rtype.id_kind == "uuid":
        try:
            return uuid.UUID(ident)
        except ValueError:
            raise Http404 from None
    if rtype.id_kind == "int":
        if not search.DIGITS.fullmatch(ident):
            raise Http404
        return int(ident)
    return ident


def _rows(rtype: ResourceType, queryset):
    if rtype.related:
        queryset = queryset.select_related(*rtype.related)
    return queryset.defer(*rtype.deferred) if rtype.deferred else queryset


def _log(rtype: ResourceType, access, rows, resources) -> None:
    if rtype.log_type is not None:
        reads.record_reads(
            access,
            [
                (rtype.patient_of(row), rtype.log_type, resource["id"])
                for row, resource in zip(rows, resources, strict=True)
            ],
        )


@endpoint()
def read(request, access, type_name: str, ident: str):
    if type_name == QUESTIONNAIRE:
        if ident != mapping.QUESTIONNAIRE_ID:
            raise Http404
        return fhir_response(mapping.questionnaire())
    rtype = TYPES.get(type_name)
    if rtype is None:
        return _unknown_type(type_name)
    queryset = rtype.scope(access).filter(**{rtype.id_lookup: _parse_id(rtype, ident)})
    row = _rows(rtype, queryset).first()
    if row is None:
        raise Http404
    resources = rtype.render(access, [row])
    _log(rtype, access, [row], resources)
    return fhir_response(resources[0])


@endpoint()
def search_type(request, access, type_name: str):
    if type_name == QUESTIONNAIRE:
        query = search.parse(request.GET, ())
        entries = [mapping.questionnaire()] if query.offset == 0 else []
        return fhir_response(_bundle(request, type_name, query, entries, has_next=False))
    rtype = TYPES.get(type_name)
    if rtype is None:
        return _unknown_type(type_name)
    query = search.parse(request.GET, rtype.params)
    queryset = search.apply(rtype.scope(access), query).order_by(*rtype.order)
    # One row past the page says whether there is a next page, without a COUNT over the scope.
    rows = list(_rows(rtype, queryset)[query.offset : query.offset + query.count + 1])
    has_next = len(rows) > query.count
    rows = rows[: query.count]
    resources = rtype.render(access, rows)
    _log(rtype, access, rows, resources)
    return fhir_response(_bundle(request, type_name, query, resources, has_next=has_next))


def _bundle(request, type_name: str, query, resources: list[dict], *, has_next: bool) -> dict:
    root = _root(request)

    def page(offset: int) -> str:
        params = request.GET.copy()
        params["_count"] = str(query.count)
        params["_offset"] = str(offset)
        return f"{root}/{type_name}?{params.urlencode()}"

    links = [{"relation": "self", "url": page(query.offset)}]
    if has_next:
        links.append({"relation": "next", "url": page(query.offset + query.count)})
    if query.offset > 0:
        links.append({"relation": "previous", "url": page(max(0, query.offset - query.count))})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{root}/{type_name}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in resources
        ],
    }


def _unknown_type(type_name: str) -> HttpResponse:
    return outcome(
        404,
        "not-supported",
        f"'{type_name}' is not a resource type served here ({', '.join(ALL_TYPES)}).",
    )


@endpoint(authenticated=False)
def not_found(request, access, rest: str = ""):
    return outcome(404, "not-found", "No such FHIR endpoint; see /fhir/R4/metadata.")
