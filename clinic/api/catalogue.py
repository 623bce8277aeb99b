"""Public reads: where, what, and which times are free. No sign-in needed."""

import datetime as dt
from functools import cache

from django.db import connection
from ninja import Query, Router, Schema

from clinic import scheduling
from clinic.api import schemas
from clinic.api.errors import invalid
from clinic.db import rows
from clinic.models import Location, Service

router = Router(tags=["catalogue"])

MAX_SLOT_RANGE_DAYS = 31  # both ends included: a month of slots in one answer, never a year


class SlotQuery(Schema):
    service: schemas.ServiceSlug
    location: schemas.LocationSlug | None = None
    date_from: schemas.Day
    date_to: schemas.Day


def add_catalogue_enums(schema: dict, *, slugs: dict[str, list[str]] | None = None) -> dict:
    """The served schema with the slugs that exist (or `slugs`, by "service" and "location")
    as the `enum` of each slug field (marked with schemas.CATALOGUE_KEY): the server refuses
    any other, so the schema says so."""
    if slugs is None:
        slugs = {
            "service": sorted(Service.objects.values_list("slug", flat=True)),
            "location": sorted(Location.objects.values_list("slug", flat=True)),
        }

    def walk(node):
        if isinstance(node, dict):
            known = slugs.get(node.get(schemas.CATALOGUE_KEY))
            if known:  # an empty enum is no valid schema: an empty catalogue keeps the pattern
                node["enum"] = known
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def service_by_slug(slug: str, *loc: str) -> Service:
    try:
        return Service.objects.get(slug=slug)  # unique: no ORDER BY to build, as .first() has
    except Service.DoesNotExist:
        raise _no_service(slug, loc) from None


def location_by_slug(slug: str, *loc: str) -> Location:
    try:
        return Location.objects.get(slug=slug)
    except Location.DoesNotExist:
        raise _no_location(slug, loc) from None


def _no_location(slug: str, loc: tuple[str, ...]):
    return invalid(*loc, msg=f"There is no location '{slug}'; see /api/v1/locations.")


def _no_service(slug: str, loc: tuple[str, ...]):
    return invalid(*loc, msg=f"There is no service '{slug}'; see /api/v1/services.")


# A booking names both; they are read in one statement, written in SQL as every booking's other
# reads are (clinic.db.rows): each LEFT JOIN finds its row or leaves its columns NULL.
_SERVICE_AND_LOCATION_SQL = """
SELECT {service_columns}, {location_columns}
FROM (SELECT 1) AS asked
LEFT JOIN {services} s ON s.slug = %s
LEFT JOIN {locations} l ON l.slug = %s
"""


@cache
def _service_and_location_sql(vendor: str) -> str:
    return _SERVICE_AND_LOCATION_SQL.format(
        service_columns=rows.columns(Service, "s"),
        location_columns=rows.columns(Location, "l"),
        services=Service._meta.db_table,
        locations=Location._meta.db_table,
    )


def service_and_location(
    service_slug: str, location_slug: str, *loc: str
) -> tuple[Service, Location]:
    """The service and the location a request names; 422 naming the field (`loc` is where the
    fields are, e.g. "body", "payload") for a slug that names none, the service first."""
    with connection.cursor() as cursor:
        cursor.execute(_service_and_location_sql(connection.vendor), [service_slug, location_slug])
        row = cursor.fetchone()
    location_at = rows.width(Service)
    service = rows.instance(Service, row[:location_at])
    if service is None:
        raise _no_service(service_slug, (*loc, "service"))
    location = rows.instance(Location, row[location_at:])
    if location is None:
        raise _no_location(location_slug, (*loc, "location"))
    return service, location


@router.get(
    "/locations",
    auth=None,
    response={200: list[schemas.LocationOut], 429: schemas.Error},
    summary="Clinic locations",
)
def location_list(request):
    return Location.objects.order_by("name")


@router.get(
    "/services",
    auth=None,
    response={200: list[schemas.ServiceOut], 429: schemas.Error},
    summary="Services, and whether patients may book them online",
)
def service_list(request):
    return Service.objects.order_by("name")


@router.get(
    "/slots",
    auth=None,
    response={
        200: list[schemas.SlotOut],
        422: schemas.ValidationErrors,
        429: schemas.Error,
    },
    summary="Free appointment times",
    description=(
        "Free times for a service on the local dates date_from..date_to (both included), at "
        f"one location or all. At most {MAX_SLOT_RANGE_DAYS} dates are listed, from date_from: "
        "ask again from the next date for more. A date_to before date_from is an empty range "
        "(no times). Times are local to the "
        "location, with their UTC offset."
    ),
)
def slot_list(request, filters: Query[SlotQuery]):
    # Both are answers, not errors: the schema cannot say "after date_from" or "within a
    # month of it", and a request the schema allows is not refused.
    # An unknown service or location is refused whatever the dates (the schema's enums).
    service = service_by_slug(filters.service, "query", "service")
    locations = None
    if filters.location is not None:
        locations = [location_by_slug(filters.location, "query", "location")]
    if filters.date_to < filters.date_from:
        return []
    last_date = min(filters.date_to, filters.date_from + dt.timedelta(days=MAX_SLOT_RANGE_DAYS - 1))
    slots = scheduling.available_slots(
        service=service, locations=locations, date_from=filters.date_from, date_to=last_date
    )
    return [schemas.slot_out(slot) for slot in slots]
