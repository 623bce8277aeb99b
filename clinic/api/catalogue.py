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
    service: schemas.Slug
    location: schemas.Slug | None = None
    date_from: dt.date
    date_to: dt.date


def service_by_slug(slug: str, *loc: str) -> Service:
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise invalid(*loc, msg=f"There is no service '{slug}'; see /api/v1/services.")
    return service


def location_by_slug(slug: str, *loc: str) -> Location:
    location = Location.objects.filter(slug=slug).first()
    if location is None:
        raise invalid(*loc, msg=f"There is no location '{slug}'; see /api/v1/locations.")
    return location


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
        "Free times for a service on the local dates date_from..date_to (both included, at "
        f"most {MAX_SLOT_RANGE_DAYS} days), at one location or all. Times are local to the "
        "location, with their UTC offset."
    ),
)
def slot_list(request, filters: Query[SlotQuery]):
    if filters.date_to < filters.date_from:
        raise invalid("query", "date_to", msg="date_to must not be before date_from.")
    if (filters.date_to - filters.date_from).days >= MAX_SLOT_RANGE_DAYS:
        raise invalid(
            "query", "date_to", msg=f"Ask for at most {MAX_SLOT_RANGE_DAYS} days at a time."
        )
    service = service_by_slug(filters.service, "query", "service")
    locations = None
    if filters.location is not None:
        locations = [location_by_slug(filters.location, "query", "location")]
    slots = scheduling.available_slots(
        service=service, locations=locations, date_from=filters.date_from, date_to=filters.date_to
    )
    return [schemas.slot_out(slot) for slot in slots]
