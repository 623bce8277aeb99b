"""Public reads: where, what, and which times are free. No sign-in needed."""

import datetime as dt

from ninja import Query, Router, Schema

from clinic import scheduling
from clinic.api import schemas
from clinic.api.errors import invalid
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
        raise invalid(*loc, msg=f"There is no service '{slug}'; see /api/v1/services.") from None


def location_by_slug(slug: str, *loc: str) -> Location:
    try:
        return Location.objects.get(slug=slug)
    except Location.DoesNotExist:
        raise invalid(*loc, msg=f"There is no location '{slug}'; see /api/v1/locations.") from None


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
