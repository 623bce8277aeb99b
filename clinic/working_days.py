"""Working days in a clinic's own calendar: "we will contact you within 1 working day"
(protocol section 6) as an instant. Pure Python, no Django.

One working day is 24 hours of time that falls on working days (Monday to Friday, not one of
the location's holidays), counted in the location's wall-clock time: a Friday-night intake is
due on Monday night, a Saturday one by the end of Monday, and a holiday adds a day.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKEND = (5, 6)


def is_working_day(day: date, holidays: set[date]) -> bool:
    return day.weekday() not in WEEKEND and day not in holidays


def contact_by(
    submitted_at: datetime, zone: ZoneInfo, holidays: set[date], *, working_days: int = 1
) -> datetime:
    """The instant (aware, in `zone`) by which `working_days` of working time have passed
    since `submitted_at`."""
    local = submitted_at.astimezone(zone)
    remaining = timedelta(days=working_days)
    day, clock = local.date(), local.time().replace(tzinfo=None)
    while True:
        if is_working_day(day, holidays):
            left_today = timedelta(days=1) - _since_midnight(clock)
            if remaining <= left_today:
                wall = datetime.combine(day, time()) + _since_midnight(clock) + remaining
                return wall.replace(tzinfo=zone)
            remaining -= left_today
        day, clock = day + timedelta(days=1), time()


def _since_midnight(clock: time) -> timedelta:
    return timedelta(
        hours=clock.hour, minutes=clock.minute, seconds=clock.second, microseconds=clock.microsecond
    )
