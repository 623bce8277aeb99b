"""Date overrides: a one-off day at another site, extra hours, closed days, on top of the week."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.models import DateOverride
from clinic.scheduling import NotAllowed, appointment_book, available_slots
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=CHICAGO)  # Monday 08:00 CST
TUESDAY = dt.date(2026, 3, 3)
NEXT_TUESDAY = dt.date(2026, 3, 10)
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}
Kind = DateOverride.Kind


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


@pytest.fixture
def usual():
    return LocationFactory(name="Shakopee", slug="shakopee")


@pytest.fixture
def other():
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def robin(usual):
    """Robin works Tuesdays 09:00-12:00 at Shakopee."""
    practitioner = PractitionerFactory(locations=[usual], display_name="Robin Physio")
    WorkingHoursFactory(
        practitioner=practitioner,
        location=usual,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    return practitioner


def override(practitioner, day, kind=Kind.INSTEAD, location=None, start=None, end=None):
    row = DateOverride(
        practitioner=practitioner,
        date=day,
        kind=kind,
        location=location,
        start_time=dt.time(*start) if start else None,
        end_time=dt.time(*end) if end else None,
    )
    row.full_clean()
    row.save()
    return row


def times(location, day=TUESDAY, service=None):
    slots = available_slots(
        service=service or ServiceFactory(), locations=[location], date_from=day, date_to=day
    )
    return [f"{slot.local_start:%H:%M}" for slot in slots]


def at(day, hour):
    return dt.datetime.combine(day, dt.time(hour), CHICAGO)


def book(location, practitioner, start):
    patient = PatientFactory()
    return appointment_book(
        patient=patient,
        intake=make_intake(location=location, patient=patient, **PHYSIO_ANSWERS),
        service=ServiceFactory(),
        location=location,
        practitioner=practitioner,
        start=start,
        booked_by=patient.user,
    )


def test_a_one_off_day_at_another_site_is_bookable_there_and_not_at_the_usual_site(
    usual, other, robin
):
    override(robin, TUESDAY, Kind.INSTEAD, other, (13, 0), (16, 0))

    assert times(other) == ["13:00", "14:00", "15:00"]
    assert times(usual) == []
    # The week after, the usual pattern is back and the other site has nothing.
    assert times(usual, NEXT_TUESDAY) == ["09:00", "10:00", "11:00"]
    assert times(other, NEXT_TUESDAY) == []

    appointment = book(other, robin, at(TUESDAY, 14))
    assert appointment.location == other
    assert appointment.local_start.hour == 14
    with pytest.raises(NotAllowed, match="not offered"):
        book(usual, robin, at(TUESDAY, 10))


def test_a_closed_day_offers_nothing_even_with_hours_recorded_elsewhere(usual, other, robin):
    override(robin, TUESDAY, Kind.CLOSED)

    assert times(usual) == []
    assert times(other) == []
    assert times(usual, NEXT_TUESDAY) == ["09:00", "10:00", "11:00"]
    with pytest.raises(ValidationError, match="is marked closed"):
        override(robin, TUESDAY, Kind.EXTRA, other, (13, 0), (15, 0))


def test_extra_hours_add_slots_on_top_of_the_week(usual, other, robin):
    override(robin, TUESDAY, Kind.EXTRA, usual, (14, 0), (16, 0))
    override(robin, TUESDAY, Kind.EXTRA, other, (17, 0), (18, 0))

    assert times(usual) == ["09:00", "10:00", "11:00", "14:00", "15:00"]
    assert times(other) == ["17:00"]
    assert times(usual, NEXT_TUESDAY) == ["09:00", "10:00", "11:00"]


def test_overlapping_hours_at_two_sites_are_refused_with_a_clear_message(usual, other, robin):
    with pytest.raises(ValidationError) as refused:
        override(robin, TUESDAY, Kind.EXTRA, other, (11, 0), (13, 0))
    assert "Robin Physio already works 09:00-12:00 at Shakopee on Tuesdays" in str(refused.value)

    override(robin, TUESDAY, Kind.INSTEAD, other, (9, 0), (12, 0))
    with pytest.raises(ValidationError, match="already works 09:00-12:00 at Delano on Tuesday 3"):
        override(robin, TUESDAY, Kind.INSTEAD, usual, (11, 0), (14, 0))
    # Back to back is not an overlap.
    override(robin, TUESDAY, Kind.INSTEAD, usual, (12, 0), (14, 0))

    second_week = WorkingHoursFactory.build(
        practitioner=robin, location=other, weekday=1, start_time=dt.time(8), end_time=dt.time(10)
    )
    with pytest.raises(ValidationError, match="already works 09:00-12:00 at Shakopee"):
        second_week.full_clean()


@pytest.mark.postgres
def test_the_database_refuses_overlapping_hours_that_skip_the_form(usual, other, robin):
    DateOverride.objects.create(
        practitioner=robin,
        date=TUESDAY,
        kind=Kind.INSTEAD,
        location=usual,
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        DateOverride.objects.create(
            practitioner=robin,
            date=TUESDAY,
            kind=Kind.INSTEAD,
            location=other,
            start_time=dt.time(11),
            end_time=dt.time(13),
        )


def test_a_closed_day_with_hours_or_hours_without_a_place_are_refused(robin, usual):
    with pytest.raises(ValidationError, match="closed day has no location"):
        override(robin, TUESDAY, Kind.CLOSED, usual, (9, 0), (10, 0))
    with pytest.raises(ValidationError, match="Give the location"):
        override(robin, TUESDAY, Kind.EXTRA, None, (9, 0), (10, 0))


def test_a_one_off_day_across_the_spring_forward_gap(freeze, usual, other):
    freeze(dt.datetime(2027, 3, 1, 12, 0, tzinfo=CHICAGO))
    sunday = dt.date(2027, 3, 14)  # 02:00 CST jumps to 03:00 CDT
    practitioner = PractitionerFactory(locations=[usual])
    WorkingHoursFactory(
        practitioner=practitioner,
        location=usual,
        weekday=6,
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    override(practitioner, sunday, Kind.INSTEAD, other, (1, 0), (5, 0))

    slots = available_slots(
        service=ServiceFactory(), locations=[usual, other], date_from=sunday, date_to=sunday
    )

    assert [f"{s.local_start:%H:%M %Z} {s.location_slug}" for s in slots] == [
        "01:00 CST delano",
        "03:00 CDT delano",  # 02:00 does not exist that night
        "04:00 CDT delano",
    ]
    assert [s.start for s in slots] == [
        dt.datetime(2027, 3, 14, 7, tzinfo=UTC),
        dt.datetime(2027, 3, 14, 8, tzinfo=UTC),
        dt.datetime(2027, 3, 14, 9, tzinfo=UTC),
    ]


def test_extra_hours_on_the_fall_back_night_offer_each_utc_time_once(freeze, usual):
    freeze(dt.datetime(2026, 10, 20, 12, 0, tzinfo=CHICAGO))
    sunday = dt.date(2026, 11, 1)  # 01:00-01:59 happens twice
    practitioner = PractitionerFactory(locations=[usual])
    override(practitioner, sunday, Kind.EXTRA, usual, (0, 0), (3, 0))

    slots = available_slots(
        service=ServiceFactory(), locations=[usual], date_from=sunday, date_to=sunday
    )

    assert [f"{s.local_start:%H:%M %Z}" for s in slots] == ["00:00 CDT", "01:00 CDT", "02:00 CST"]
    starts = [s.start for s in slots]
    assert len(set(starts)) == len(starts)
