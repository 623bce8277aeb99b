"""What the API accepts and returns. Shapes only: the services decide.

The intake's answers are generated from the protocol's own field table (`triage.engine.FIELDS`,
protocol section 2), with the engine's ranges and choices, so the schema cannot drift from the
protocol. Inputs refuse unknown fields, so a misspelt answer is named in a 422, not ignored.
Times go out in the location's zone with their UTC offset (ISO 8601), and come in the same way.
"""

import datetime as dt
import re
import uuid
from typing import Annotated, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    create_model,
)

from triage import engine
from triage.models import Surface

# Every text input refuses control characters: PostgreSQL cannot store NUL, and none belongs in
# a name, a reason or a phone number. Nor a lone surrogate ("\ud800" is valid JSON but no
# character: it cannot be encoded as UTF-8, so the database would refuse it with a 500).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if _SURROGATE.search(value):
        raise ValueError("must not contain unpaired surrogates (not valid Unicode text)")
    return value


# The schema states each rule the validators below enforce, as a JSON Schema pattern, so a
# client built from it sends nothing the server refuses (schemathesis checks both ways). The
# validators, not pydantic's pattern, do the refusing: their messages say what to fix.
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# An address Django's validate_email accepts, narrowed to what the pattern can say: a dot-atom
# local part of at most 64 characters (RFC 5321), dotted host names, a top-level domain of
# letters.
EMAIL_PATTERN = (
    r"^(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_EMAIL = re.compile(EMAIL_PATTERN)
YEAR_PATTERN = r"^2[0-9]{3}-"  # ISO 8601 starts with the year: 2000 to 2999


def _email(value: str) -> str:
    _no_control_characters(value)
    try:
        if not _EMAIL.match(value):
            raise DjangoValidationError("not an address of the usual form")
        validate_email(value)
    except DjangoValidationError:
        raise ValueError("enter a valid email address, like name@example.com") from None
    return value


def _reasonable_time(value: dt.datetime | dt.date) -> dt.datetime | dt.date:
    # Times this far out are typing mistakes, and near year 1 or 9999 UTC conversion overflows.
    if not 2000 <= value.year <= 2999:
        raise ValueError("must be a date between the years 2000 and 2999")
    return value


def _whole_number(value):
    # JSON Schema counts 36.0 as an integer, so the API takes it as 36; 36.5 and "36" stay
    # refused (the fields are strict: no strings, no booleans).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def WholeNumber(*, ge: int, le: int):  # named as the type it makes
    return Annotated[int, Field(strict=True, ge=ge, le=le), BeforeValidator(_whole_number)]


# Which catalogue a slug names: the served schema lists the slugs that exist as its `enum`
# (`clinic.api.catalogue.add_catalogue_enums`), so a client knows them from the schema.
CATALOGUE_KEY = "x-catalogue"
_SLUG = {"min_length": 1, "max_length": 50, "pattern": r"^[-a-zA-Z0-9_]+$"}
ServiceSlug = Annotated[
    str,
    Field(**_SLUG, examples=["physio-assessment"], json_schema_extra={CATALOGUE_KEY: "service"}),
]
LocationSlug = Annotated[
    str, Field(**_SLUG, examples=["shakopee"], json_schema_extra={CATALOGUE_KEY: "location"})
]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[
    str,
    AfterValidator(_no_control_characters),
    Field(json_schema_extra={"pattern": NO_CONTROL_PATTERN}),
]
Email = Annotated[
    str,
    AfterValidator(_email),
    Field(max_length=254, json_schema_extra={"format": "email", "pattern": EMAIL_PATTERN}),
]
Day = Annotated[
    dt.date,
    AfterValidator(_reasonable_time),
    Field(json_schema_extra={"pattern": YEAR_PATTERN}),
]
StartTime = Annotated[
    AwareDatetime,
    AfterValidator(_reasonable_time),
    Field(
        description="ISO 8601 with a UTC offset, e.g. 2026-01-13T10:00:00-06:00; years 2000 to "
        "2999.",
        json_schema_extra={"pattern": YEAR_PATTERN},
    ),
]


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


# --- Errors ---------------------------------------------------------------------------------------
class Error(Schema):
    detail: str


class FieldError(Schema):
    loc: list[str | int] = Field(description='Where: e.g. ["body", "payload", "age"].')
    msg: str
    type: str


class ValidationErrors(Schema):
    detail: list[FieldError]


# --- Catalogue ------------------------------------------------------------------------------------
class LocationOut(Schema):
    slug: str
    name: str
    address: str
    phone: str
    time_zone: str = Field(description="IANA zone; slot and appointment times use it.")


class ServiceOut(Schema):
    slug: str
    name: str
    pathway: str
    duration_minutes: int
    bookable_online: bool
    description: str


class SlotOut(Schema):
    start: dt.datetime = Field(description="Local time at the location, with its UTC offset.")
    end: dt.datetime
    practitioner: int = Field(description="The practitioner's id, to book with.")
    practitioner_name: str
    location: str = Field(description="The location's slug.")
    service: str = Field(description="The service's slug.")


class Conflict(Schema):
    detail: str
    alternatives: list[SlotOut] = Field(
        default_factory=list, description="Up to three free times nearest the one asked for."
    )


# --- Intakes --------------------------------------------------------------------------------------
def _answer_type(field: engine.Field):
    if field.kind == "int":
        return WholeNumber(ge=field.min, le=field.max)
    if field.kind == "bool":
        return StrictBool
    return Literal[field.choices]


class _IntakeContact(Input):
    first_name: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="Defaults to the account's first name."
    )
    last_name: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="Defaults to the account's last name."
    )
    email: Email | None = Field(None, description="Defaults to the account's email address.")
    phone: Annotated[str, Field(pattern=r"^[0-9+()\-. ]{7,30}$")] | None = None
    preferred_location: LocationSlug | None = Field(
        None, description="A location's slug; defaults to the patient's preferred location."
    )
    weekly_distance_km: WholeNumber(ge=0, le=500) | None = None
    years_running: WholeNumber(ge=0, le=100) | None = None
    usual_surface: Literal[tuple(Surface.values)] | None = None
    shoe_age_months: WholeNumber(ge=0, le=240) | None = None
    recent_race: StrictBool = False


IntakeIn = create_model(
    "IntakeIn",
    __base__=_IntakeContact,
    __doc__="The protocol's answers by name (protocol section 2), with contact details.",
    **{
        name: (_answer_type(field), Field(..., description=field.label))
        for name, field in engine.FIELDS.items()
    },
)


class IntakeOut(Schema):
    id: uuid.UUID
    created_at: dt.datetime
    status: str
    preferred_location: str
    pathway: str
    urgency: str
    emergency_advice: bool = Field(
        description="True: the answers need emergency care now; nothing is booked online."
    )
    clinician_review: bool
    reasons: list[str]
    red_flags: list[str]
    safety_net: list[str]
    sbst_risk: str
    sbst_total: int
    protocol_version: str
    book_online: str | None = Field(
        description="The slug of the service the patient may book online, or null when staff "
        "schedule it (or nothing is to be booked)."
    )


MAX_OFFER_DAYS = 28  # as the staff scheduling page: four weeks of an intake's times at most


class IntakeSlotQuery(Schema):
    location: LocationSlug | None = Field(
        None, description="A location's slug; defaults to the intake's preferred location."
    )
    date_from: Day | None = Field(
        None, description="The first local date; defaults to today at the location."
    )
    days: int = Field(7, ge=1, le=MAX_OFFER_DAYS, description="How many local dates to list.")


class OfferedSlotOut(SlotOut):
    key: str = Field(description="The time's key, as the booking pages carry it.")
    within_window: bool = Field(description="Whether it starts by `window_end`.")


class IntakeSlotsOut(Schema):
    service: str = Field(description="The slug of the service the patient may book online.")
    location: str = Field(description="The location's slug.")
    time_zone: str = Field(description="IANA zone of the location; the times use it.")
    window_end: dt.datetime = Field(
        description="Seen by: the intake's submission plus the protocol's staff target for the "
        "urgency of its current decision (protocol section 6), local time at the location."
    )
    fits_window: bool = Field(
        description="Whether any free time at the location, from now on, starts by window_end "
        "(not only on the dates listed)."
    )
    slots: list[OfferedSlotOut]


def offered_slot_out(offer) -> dict:
    """A scheduling OfferedSlot: the slot as `slot_out` shows it, with its key and window flag."""
    return {**slot_out(offer.slot), "key": offer.key, "within_window": offer.within_window}


# --- Appointments ---------------------------------------------------------------------------------
class AppointmentIn(Input):
    service: ServiceSlug
    location: LocationSlug
    practitioner: Id
    start: StartTime
    intake: uuid.UUID = Field(description="The id of the patient's intake this booking is for.")


class RescheduleIn(Input):
    start: StartTime
    practitioner: Id | None = Field(None, description="Defaults to the same practitioner.")


class CancelIn(Input):
    reason: Annotated[Text, Field(max_length=300)] = ""


class AppointmentOut(Schema):
    id: uuid.UUID
    start: dt.datetime = Field(description="Local time at the location, with its UTC offset.")
    end: dt.datetime
    status: str
    service: str
    service_name: str
    location: str
    location_name: str
    practitioner: int
    practitioner_name: str
    intake: uuid.UUID | None
    can_change: bool = Field(description="Whether the patient may still cancel or move it online.")


def slot_out(slot) -> dict:
    """A scheduling Slot as the API shows it: local times with offsets, ids and slugs."""
    return {
        "start": slot.local_start,
        "end": slot.local_end,
        "practitioner": slot.practitioner_id,
        "practitioner_name": slot.practitioner_name,
        "location": slot.location_slug,
        "service": slot.service_slug,
    }
