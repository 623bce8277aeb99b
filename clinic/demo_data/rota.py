"""The demo on-call rota and holidays, so the alerts of `make run` reach a demo login.

Each demo clinic gets weekly on-call shifts (handover Monday 08:00 in its zone) from the one
running now to WEEKS_AHEAD weeks on: the triage clinician and the clinic's own demo colleague
(the scheduler at Chaska, the manager at Delano, the administrator elsewhere) take turns as first
contact, the other is next. It also gets the next two public holidays the clinics close for.
Everything is relative to the day it runs and found by natural key, so a second run adds only
the weeks and holidays that have come into range.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.demo_data import catalogue
from clinic.models import Holiday, Location, OnCallShift, User

WEEKS_AHEAD = 3
HANDOVER = time(8, 0)  # Monday morning, local time
CLINICIAN = "triage@backstride.test"
# The clinic's other contact; clinics without a demo colleague of their own get the administrator.
COLLEAGUES = {"chaska": "scheduler@backstride.test", "delano": "manager@backstride.test"}
FALLBACK = "admin@backstride.test"
# Fictional mobile numbers (the 555-01xx block) for the text alerts.
PHONES = {
    CLINICIAN: "+19525550171",
    "scheduler@backstride.test": "+19525550172",
    "manager@backstride.test": "+17635550173",
    FALLBACK: "+17635550174",
}


@dataclass
class RotaReport:
    shifts_total: int = 0
    shifts_created: int = 0
    holidays_total: int = 0
    holidays_created: int = 0
    people: set[str] = field(default_factory=set)


@transaction.atomic
def demo_rota(*, now: datetime | None = None) -> RotaReport:
    """On-call shifts covering now and the next WEEKS_AHEAD weeks, and two holidays ahead, at
    every demo clinic. Needs the demo logins (`demo_seed` calls it once they exist, before the demo
    intakes); never changes what exists."""
    now = now or timezone.now()
    report = RotaReport()
    people = {user.email: user for user in User.objects.filter(email__in=PHONES)}
    for spec in catalogue.LOCATIONS:
        location = Location.objects.filter(Q(slug=spec.slug) | Q(name=spec.name)).first()
        if location is None:
            continue
        contacts = [
            people[email]
            for email in (CLINICIAN, COLLEAGUES.get(spec.slug, FALLBACK))
            if email in people
        ]
        for start, end, week in _weeks(now, location.zone):
            for order, person in enumerate(_turn(contacts, week), start=1):
                _, created = OnCallShift.objects.get_or_create(
                    location=location,
                    starts_at=start,
                    order=order,
                    defaults={
                        "ends_at": end,
                        "person": person,
                        "name": person.get_full_name() or person.email,
                        "email": person.email,
                        "phone": PHONES[person.email],
                    },
                )
                report.shifts_total += 1
                report.shifts_created += int(created)
                report.people.add(person.email)
        for day, name in next_holidays(now.astimezone(location.zone).date()):
            _, created = Holiday.objects.get_or_create(
                location=location, date=day, defaults={"name": name}
            )
            report.holidays_total += 1
            report.holidays_created += int(created)
    return report


def _weeks(now: datetime, zone: ZoneInfo):
    """(start, end, ISO week number) of the shift running at `now` and the WEEKS_AHEAD after it;
    each from one Monday handover to the next, in local time (a DST change keeps 08:00)."""
    local = now.astimezone(zone)
    monday = local.date() - timedelta(days=local.weekday())
    if local.time() < HANDOVER and local.weekday() == 0:
        monday -= timedelta(weeks=1)  # before Monday's handover: last week's shift still runs
    for week in range(WEEKS_AHEAD + 1):
        first = monday + timedelta(weeks=week)
        start = datetime.combine(first, HANDOVER, zone)
        end = datetime.combine(first + timedelta(weeks=1), HANDOVER, zone)
        yield start, end, first.isocalendar().week


def _turn(contacts: list, week: int) -> list:
    """Who is first this week: the contacts take turns by week number, so a rerun agrees."""
    if not contacts:
        return []
    shift = week % len(contacts)
    return contacts[shift:] + contacts[:shift]


def next_holidays(today: date, count: int = 2) -> list[tuple[date, str]]:
    """The next `count` holidays the demo clinics close for, from `today` on."""
    ahead = sorted(
        (day, name)
        for year in (today.year, today.year + 1)
        for day, name in _holidays(year).items()
        if day >= today
    )
    return ahead[:count]


def _holidays(year: int) -> dict[date, str]:
    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    last_may = date(year, 5, 31)
    return {
        date(year, 1, 1): "New Year's Day",
        last_may - timedelta(days=last_may.weekday()): "Memorial Day",
        date(year, 7, 4): "Independence Day",
        nth_weekday(9, 0, 1): "Labor Day",
        nth_weekday(11, 3, 4): "Thanksgiving Day",
        date(year, 12, 25): "Christmas Day",
    }
