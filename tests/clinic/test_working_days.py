"""'Within 1 working day' as an instant in the clinic's calendar (protocol section 6)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from clinic.working_days import contact_by

CHICAGO = ZoneInfo("America/Chicago")


def local(*args):
    return dt.datetime(*args, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (local(2027, 1, 11, 9, 0), local(2027, 1, 12, 9, 0)),  # Monday morning: Tuesday morning
        (local(2027, 1, 15, 22, 0), local(2027, 1, 18, 22, 0)),  # Friday night: Monday night
        (local(2027, 1, 16, 10, 0), local(2027, 1, 19, 0, 0)),  # Saturday: by the end of Monday
        (local(2027, 1, 17, 23, 59), local(2027, 1, 19, 0, 0)),  # Sunday night: the same
    ],
)
def test_one_working_day_skips_the_weekend(submitted, due):
    assert contact_by(submitted, CHICAGO, set()) == due


def test_a_locations_holiday_adds_a_day():
    thursday = local(2027, 11, 24, 15, 0)  # the day before Thanksgiving
    holidays = {dt.date(2027, 11, 25)}
    assert contact_by(thursday, CHICAGO, holidays) == local(2027, 11, 26, 15, 0)
    assert contact_by(thursday, CHICAGO, set()) == local(2027, 11, 25, 15, 0)


def test_it_counts_wall_clock_time_across_a_dst_change():
    """Friday 10:00 CST before spring forward is due on Monday 10:00 CDT, not 11:00."""
    friday = local(2027, 3, 12, 10, 0)
    due = contact_by(friday, CHICAGO, set())
    assert due == local(2027, 3, 15, 10, 0)
    assert due.utcoffset() == dt.timedelta(hours=-5)


def test_an_instant_in_utc_is_read_in_the_locations_zone():
    submitted = dt.datetime(2027, 1, 16, 3, 0, tzinfo=dt.UTC)  # Friday 21:00 in Minnesota
    assert contact_by(submitted, CHICAGO, set()) == local(2027, 1, 18, 21, 0)
