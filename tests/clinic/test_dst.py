"""Daylight-saving changes in America/Chicago: local slots stay right and UTC times never clash.

2026-11-01: clocks fall back at 02:00 CDT to 01:00 CST (01:00-01:59 happens twice).
2027-03-14: clocks spring forward at 02:00 CST to 03:00 CDT (02:00-02:59 never happens).
"""

import datetime as dt
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinic.models import Discipline, NotificationKind
from clinic.scheduling import appointment_book, available_slots
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    StaffFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC
FALL_BACK = dt.date(2026, 11, 1)  # a Sunday
SPRING_FORWARD = dt.date(2027, 3, 14)  # a Sunday
SUNDAY, SATURDAY = 6, 5


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def hours(location, weekday, start, end):
    practitioner = PractitionerFactory(locations=[location], discipline=Discipline.PHYSIOTHERAPY)
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=weekday,
        start_time=dt.time(*start),
        end_time=dt.time(*end),
    )
    return practitioner


def night_and_day(location):
    """One practitioner working 01:00-04:00 and 09:00-12:00 on Sundays, 09:00-10:00 Saturdays."""
    practitioner = hours(location, SUNDAY, (1, 0), (4, 0))
    for weekday, start, end in ((SUNDAY, 9, 12), (SATURDAY, 9, 10)):
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=dt.time(start),
            end_time=dt.time(end),
        )
    return practitioner


def labels(slots):
    return [f"{s.local_start:%a %H:%M %Z}" for s in slots]


def assert_no_overlap(slots, blocked: dt.timedelta):
    starts = [s.start for s in slots]
    assert len(set(starts)) == len(starts)
    for earlier, later in pairwise(starts):
        assert later >= earlier + blocked


@time_machine.travel(dt.datetime(2026, 10, 20, 12, 0, tzinfo=CHICAGO), tick=False)
def test_fall_back_day_offers_the_repeated_hour_once_and_stores_the_right_utc_times():
    location = LocationFactory()
    night_and_day(location)
    service = ServiceFactory()  # 45 min + 15 buffer: a one-hour grid

    slots = available_slots(
        service=service,
        date_from=FALL_BACK - dt.timedelta(days=1),
        date_to=FALL_BACK,
    )

    assert labels(slots) == [
        "Sat 09:00 CDT",
        "Sun 01:00 CDT",  # the first 01:00 (fold=0); the second is not offered again
        "Sun 02:00 CST",
        "Sun 03:00 CST",
        "Sun 09:00 CST",
        "Sun 10:00 CST",
        "Sun 11:00 CST",
    ]
    assert [s.start for s in slots] == [
        utc(2026, 10, 31, 14),  # 09:00 CDT is UTC-5
        utc(2026, 11, 1, 6),
        utc(2026, 11, 1, 8),
        utc(2026, 11, 1, 9),
        utc(2026, 11, 1, 15),  # 09:00 CST is UTC-6
        utc(2026, 11, 1, 16),
        utc(2026, 11, 1, 17),
    ]
    assert_no_overlap(slots, dt.timedelta(hours=1))


@time_machine.travel(dt.datetime(2026, 10, 20, 12, 0, tzinfo=CHICAGO), tick=False)
def test_fall_back_day_half_hour_grid_has_no_duplicate_utc_times():
    location = LocationFactory()
    hours(location, SUNDAY, (0, 30), (3, 0))
    service = ServiceFactory(slug="review", duration_minutes=30, buffer_after_minutes=0)

    slots = available_slots(service=service, date_from=FALL_BACK, date_to=FALL_BACK)

    assert labels(slots) == [
        "Sun 00:30 CDT",
        "Sun 01:00 CDT",
        "Sun 01:30 CDT",
        "Sun 02:00 CST",
        "Sun 02:30 CST",
    ]
    assert_no_overlap(slots, dt.timedelta(minutes=30))


@time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=CHICAGO), tick=False)
def test_spring_forward_day_has_no_slots_in_the_missing_hour():
    location = LocationFactory()
    night_and_day(location)
    service = ServiceFactory()

    slots = available_slots(
        service=service,
        date_from=SPRING_FORWARD - dt.timedelta(days=1),
        date_to=SPRING_FORWARD,
    )

    assert labels(slots) == [
        "Sat 09:00 CST",
        "Sun 01:00 CST",
        "Sun 03:00 CDT",  # 02:00 does not exist that night
        "Sun 09:00 CDT",
        "Sun 10:00 CDT",
        "Sun 11:00 CDT",
    ]
    assert [s.start for s in slots] == [
        utc(2027, 3, 13, 15),  # 09:00 CST is UTC-6
        utc(2027, 3, 14, 7),
        utc(2027, 3, 14, 8),
        utc(2027, 3, 14, 14),  # 09:00 CDT is UTC-5
        utc(2027, 3, 14, 15),
        utc(2027, 3, 14, 16),
    ]
    assert not [s for s in slots if s.local_start.hour == 2]
    assert_no_overlap(slots, dt.timedelta(hours=1))


@time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=CHICAGO), tick=False)
def test_spring_forward_half_hour_grid_runs_straight_through_the_gap():
    location = LocationFactory()
    hours(location, SUNDAY, (1, 0), (4, 0))
    service = ServiceFactory(slug="review", duration_minutes=30, buffer_after_minutes=0)

    slots = available_slots(service=service, date_from=SPRING_FORWARD, date_to=SPRING_FORWARD)

    assert labels(slots) == ["Sun 01:00 CST", "Sun 01:30 CST", "Sun 03:00 CDT", "Sun 03:30 CDT"]
    assert [s.start for s in slots] == [utc(2027, 3, 14, 7, m) for m in (0, 30)] + [
        utc(2027, 3, 14, 8, m) for m in (0, 30)
    ]


@time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=CHICAGO), tick=False)
def test_a_long_slot_across_the_gap_never_overlaps_the_next_one():
    location = LocationFactory()
    hours(location, SUNDAY, (1, 30), (6, 0))
    service = ServiceFactory(slug="long", duration_minutes=90, buffer_after_minutes=0)

    slots = available_slots(service=service, date_from=SPRING_FORWARD, date_to=SPRING_FORWARD)

    # 01:30 CST runs to 03:30 CDT, so the 03:00 CDT grid point is skipped.
    assert labels(slots) == ["Sun 01:30 CST", "Sun 04:30 CDT"]
    assert_no_overlap(slots, dt.timedelta(minutes=90))


@time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=CHICAGO), tick=False)
def test_a_block_starting_inside_the_gap_starts_at_its_first_real_time():
    location = LocationFactory()
    hours(location, SUNDAY, (2, 30), (5, 0))
    service = ServiceFactory()

    slots = available_slots(service=service, date_from=SPRING_FORWARD, date_to=SPRING_FORWARD)

    assert labels(slots) == ["Sun 03:30 CDT"]


@time_machine.travel(dt.datetime(2026, 10, 20, 12, 0, tzinfo=CHICAGO), tick=False)
def test_a_booking_after_fall_back_is_stored_in_utc_and_reminded_in_real_hours():
    location = LocationFactory()
    practitioner = night_and_day(location)
    service = ServiceFactory()
    start = dt.datetime(2026, 11, 1, 9, 0, tzinfo=CHICAGO)

    appointment = appointment_book(
        patient=PatientFactory(),
        service=service,
        location=location,
        practitioner=practitioner,
        start=start,
        booked_by=StaffFactory(),
        online=False,
    )

    appointment.refresh_from_db()
    assert appointment.start == utc(2026, 11, 1, 15)
    assert f"{appointment.local_start:%H:%M %Z}" == "09:00 CST"
    reminders = sorted(
        n.due_at for n in appointment.notifications.filter(kind=NotificationKind.REMINDER)
    )
    # 48 real hours before 09:00 CST is 10:00 CDT on the Friday.
    assert reminders[0] == utc(2026, 10, 30, 15)
    assert f"{reminders[0].astimezone(CHICAGO):%a %H:%M %Z}" == "Fri 10:00 CDT"
    # The booked slot is gone and the neighbours stay.
    left = available_slots(service=service, date_from=FALL_BACK, date_to=FALL_BACK)
    assert "Sun 09:00 CST" not in labels(left)
    assert "Sun 10:00 CST" in labels(left)


def test_every_day_of_a_year_offers_the_same_local_times_in_winter_and_summer(settings):
    settings.BOOKING_MAX_ADVANCE = dt.timedelta(days=400)
    location = LocationFactory(time_zone="America/Chicago")
    practitioner = hours(location, 0, (9, 0), (13, 0))
    for weekday in range(1, 7):
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    first, last = dt.date(2026, 9, 1), dt.date(2027, 8, 31)

    slots = available_slots(
        service=ServiceFactory(),  # 45 minutes and a 15-minute buffer: one an hour
        locations=[location],
        date_from=first,
        date_to=last,
        now=dt.datetime(2026, 8, 30, tzinfo=UTC),
    )

    by_day = {}
    for slot in slots:
        by_day.setdefault(slot.local_start.date(), []).append(f"{slot.local_start:%H:%M}")
    assert len(by_day) == (last - first).days + 1
    assert {tuple(times) for times in by_day.values()} == {("09:00", "10:00", "11:00", "12:00")}
    winter = [s.start for s in slots if s.local_start.date() == dt.date(2027, 1, 12)]
    summer = [s.start for s in slots if s.local_start.date() == dt.date(2027, 7, 13)]
    assert winter[0] == utc(2027, 1, 12, 15, 0)  # 09:00 CST
    assert summer[0] == utc(2027, 7, 13, 14, 0)  # 09:00 CDT
