"""FHIR search parameters: parsed strictly, turned into queryset filters.

Three kinds are supported (https://hl7.org/fhir/R4/search.html): `date` with the prefixes eq,
ne, lt, le, gt, ge, sa and eb and the precisions year to second; `token`, a comma-separated
list of codes (any of them); and `reference`, `Type/id` or a bare id. A repeated parameter
means all of them (AND). Anything malformed, unknown or unsupported raises BadRequest, which
the views answer with a 400 OperationOutcome naming it: a client learns its query was not
understood instead of getting a wrong answer.
"""

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

DEFAULT_COUNT = 50
MAX_COUNT = 100
# Offsets past this are refused: deep offset paging is slow, and a sync job that far in should
# narrow its query with _lastUpdated instead.
MAX_OFFSET = 10_000
# Accepted everywhere and ignored: the answer is always FHIR JSON.
IGNORED = frozenset({"_format", "_pretty"})
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


class BadRequest(ValueError):
    """The query cannot be answered as asked; the message says why (shown to the client)."""


@dataclass(frozen=True)
class Param:
    """One supported search parameter: its FHIR name and type, and the lookup it filters on.

    For a token, `codes` maps each FHIR code to the stored values it stands for. For a
    reference, `target` is the resource type it points to and `id_kind` how its ids look
    ("uuid", "slug" or "int").
    """

    name: str
    kind: str  # "date" | "token" | "reference"
    lookup: str
    documentation: str
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    target: str = ""
    id_kind: str = "uuid"
    # Further conditions on the same joined row as the reference (one filter() call).
    same_row: dict = field(default_factory=dict)

    def apply(self, queryset: QuerySet, value: str) -> QuerySet:
        if self.kind == "date":
            return queryset.filter(date_filter(self.lookup, value, self.name))
        if self.kind == "token":
            return queryset.filter(**{f"{self.lookup}__in": self._stored(value)})
        return queryset.filter(**{self.lookup: self._reference_id(value), **self.same_row})

    def _stored(self, value: str) -> list[str]:
        stored = []
        for code in value.split(","):
            code = code.strip().rpartition("|")[2]  # a system|code token: the code counts
            if code not in self.codes:
                allowed = ", ".join(self.codes)
                raise BadRequest(f"{self.name}: '{code}' is not one of {allowed}.")
            stored.extend(self.codes[code])
        return stored

    def _reference_id(self, value: str):
        kind, _, ident = value.strip().rpartition("/")
        if kind and kind.rpartition("/")[2] != self.target:
            raise BadRequest(f"{self.name} must be a {self.target} reference, not '{value}'.")
        if self.id_kind == "uuid":
            try:
                return uuid.UUID(ident)
            except ValueError:
                raise BadRequest(f"{self.name}: '{ident}' is not a {self.target} id.") from None
        if self.id_kind == "int":
            if not DIGITS.fullmatch(ident):
                raise BadRequest(f"{self.name}: '{ident}' is not a {self.target} id.")
            return int(ident)
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", ident):
            raise BadRequest(f"{self.name}: '{ident}' is not a {self.target} id.")
        return ident


# ASCII digits only: str.isdigit() accepts "²", which int() refuses.
DIGITS = re.compile(r"[0-9]{1,18}")
_PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge", "sa", "eb")
_DATE = re.compile(
    r"(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(\.\d{1,9})?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?",
    re.ASCII,
)


def date_range(value: str, name: str) -> tuple[dt.datetime, dt.datetime]:
    """The instants [low, high) a FHIR date or dateTime stands for at its precision.

    A value without a zone is read as UTC (the spec leaves it to the server)."""
    match = _DATE.fullmatch(value)
    if match is None:
        raise BadRequest(
            f"{name}: '{value}' is not a FHIR date, e.g. 2026-03-01 or 2026-03-01T09:00:00Z."
        )
    parts = {key: int(v) for key, v in match.groupdict().items() if v and key != "zone"}
    zone = match["zone"]
    tz = dt.UTC
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59:
            raise BadRequest(f"{name}: '{zone}' is not a time-zone offset.")
        tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        low = dt.datetime(
            parts["year"],
            parts.get("month", 1),
            parts.get("day", 1),
            parts.get("hour", 0),
            parts.get("minute", 0),
            parts.get("second", 0),
            tzinfo=tz,
        )
    except ValueError:
        raise BadRequest(f"{name}: '{value}' is not a date that exists.") from None
    if "second" in parts:
        high = low + dt.timedelta(seconds=1)
    elif "minute" in parts:
        high = low + dt.timedelta(minutes=1)
    elif "day" in parts:
        high = low + dt.timedelta(days=1)
    elif "month" in parts:
        high = (low.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    else:
        high = low.replace(year=low.year + 1)
    return low, high


def date_filter(lookup: str, raw: str, name: str) -> Q:
    prefix, value = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
    low, high = date_range(value, name)
    if prefix == "eq":
        return Q(**{f"{lookup}__gte": low, f"{lookup}__lt": high})
    if prefix == "ne":
        return ~Q(**{f"{lookup}__gte": low, f"{lookup}__lt": high})
    if prefix in ("lt", "eb"):
        return Q(**{f"{lookup}__lt": low})
    if prefix == "le":
        return Q(**{f"{lookup}__lt": high})
    if prefix in ("gt", "sa"):
        return Q(**{f"{lookup}__gte": high})
    return Q(**{f"{lookup}__gte": low})  # ge


@dataclass(frozen=True)
class Query:
    """A parsed search: the filters to apply, and the page asked for."""

    filters: tuple[tuple[Param, str], ...]
    count: int
    offset: int


def parse(params, supported: tuple[Param, ...]) -> Query:
    """Read a request's query (a QueryDict) against the parameters a resource type supports."""
    by_name = {param.name: param for param in supported}
    filters = []
    count, offset = DEFAULT_COUNT, 0
    for name, values in params.lists():
        if name in IGNORED:
            if name == "_format" and any(v not in JSON_FORMATS for v in values):
                raise BadRequest("_format: only JSON is served (application/fhir+json).")
            continue
        if name == "_count":
            count = min(_whole_number(values, name, low=1), MAX_COUNT)
            continue
        if name == "_offset":
            offset = _whole_number(values, name, low=0, high=MAX_OFFSET)
            continue
        base, _, modifier = name.partition(":")
        if base not in by_name:
            known = ", ".join(sorted({*by_name, "_count", "_offset"}))
            raise BadRequest(f"'{name}' is not a supported search parameter here ({known}).")
        if modifier:
            raise BadRequest(f"The modifier ':{modifier}' is not supported ({name}).")
        for value in values:
            if not value.strip():
                raise BadRequest(f"{name} is empty.")
            filters.append((by_name[base], value.strip()))
    return Query(filters=tuple(filters), count=count, offset=offset)


def _whole_number(values: list[str], name: str, *, low: int, high: int | None = None) -> int:
    if len(values) != 1 or not re.fullmatch(r"[0-9]{1,9}", values[0]):
        raise BadRequest(f"{name} must be a single whole number.")
    number = int(values[0])
    if number < low or (high is not None and number > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise BadRequest(f"{name} must be {bounds}.")
    return number


def apply(queryset: QuerySet, query: Query) -> QuerySet:
    for param, value in query.filters:
        queryset = param.apply(queryset, value)
    return queryset
