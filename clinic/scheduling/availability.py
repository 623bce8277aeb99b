"""Which appointment times are free: one function for the pages, the admin and the API.

Slots are laid on each working-hours block in the location's local time: the first starts when
the block starts and the next one `duration + buffer` later, and a slot is offered only when the
appointment *and its buffer* end inside the block (so a practitioner never works past closing to
clear a buffer). Each local time becomes an aware datetime in the location's zone and is stored
and compared in UTC. Across daylight-saving changes:

- a local time that does not exist (the spring-forward gap) is skipped;
- an ambiguous local time (the repeated fall-back hour) is read with fold=0, the first
  occurrence, so the repeated hour is offered once and no UTC time is offered twice;
- a slot never starts before the previous slot of the same block (buffer included) has ended,
  even when a clock change shortens the real time between two grid points.

A date override (`DateOverride`) changes one local date: `instead` and `closed` drop that
practitioner's weekly hours that day (everywhere: a day at another site is a day away from the
usual one), `instead` and `extra` add their own block, and `closed` offers nothing at all.

Free means: no booked appointment's [start, blocked_until), no time off and no live waitlist
hold overlaps the slot's [start, start + duration + buffer); it starts at least
BOOKING_MIN_NOTICE after `now` and at most BOOKING_MAX_ADVANCE after it. The work is two
queries whatever the number of practitioners, locations and days (the weekly hours and the
dates' overrides with their practitioner and location in one union, then appointments, time off
and holds for those practitioners in another); the rest is computed in Python.

Busy times are read from the database as whole seconds since 1970 and the grid is laid in those
seconds: reading thousands of appointments as datetimes, and converting every grid point
through its zone, took most of the time. A block with no clock change inside it (every block
but those of the two changeover nights) is plain arithmetic on the day's UTC offset; only the
free slots become datetimes.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateField,
    Func,
    IntegerField,
    Value,
    When,
)
from django.utils import timezone

from clinic.models import (
    Appointment,
    AppointmentStatus,
    DateOverride,
    Location,
    TimeOff,
    WaitlistOffer,
    WorkingHours,
)

# Zones are at most 14 hours from UTC: a local date lies within a day either side of the UTC date.
_ZONE_MARGIN = timedelta(days=1)
_DAY = timedelta(days=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class Slot(NamedTuple):
    """One bookable time with one practitioner at one location. Times are aware, in UTC.

    A named tuple rather than a dataclass: a month of a network's times is thousands of them,
    and a tuple is made several times faster."""

    start: datetime
    end: datetime
    practitioner_id: int
    practitioner_name: str
    location_id: int
    location_slug: str
    location_name: str
    service_slug: str
    time_zone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def local_start(self) -> datetime:
        """The start in the location's zone, for display ("9:00 AM CST")."""
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.zone)


def available_slots(
    *,
    service,
    locations: Iterable[Location] | None = None,
    date_from: date,
    date_to: date,
    practitioner=None,
    now: datetime | None = None,
    window_end: datetime | None = None,
    exclude_appointment=None,
) -> list[Slot]:
    """Free slots for `service` on the local dates `date_from`..`date_to` (both included).

    Only active practitioners of the service's discipline with working hours (weekly, or a
    date override) at one of `locations` (every location when None) are offered;
    `practitioner` narrows to one.
    `window_end` drops slots starting after it (a triage target window); `exclude_appointment`
    ignores one appointment's own time (a reschedule may move within its current slot).
    Sorted by start, then location and practitioner name. At most two queries.
    """
    now = now or timezone.now()
    earliest = now + settings.BOOKING_MIN_NOTICE
    latest = now + settings.BOOKING_MAX_ADVANCE
    if window_end is not None:
        latest = min(latest, window_end)
    first_day = max(date_from, (earliest - _ZONE_MARGIN).date())
    last_day = min(date_to, (latest + _ZONE_MARGIN).date())
    if first_day > last_day or earliest > latest:
        return []

    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    placed, replaced = _working_blocks(
        service=service,
        locations=locations,
        practitioner=practitioner,
        weekdays={day.weekday() for day in days},
        first_day=first_day,
        last_day=last_day,
    )
    if not placed:
        return []

    calendars = _busy_calendars(
        practitioner_ids={block.practitioner_id for block, _ in placed},
        since=datetime.combine(first_day, time(), UTC) - _ZONE_MARGIN,
        until=datetime.combine(last_day, time(), UTC) + 2 * _ZONE_MARGIN,
        exclude_appointment=exclude_appointment,
        now=now,
    )

    duration = timedelta(minutes=service.duration_minutes)
    blocked = int(duration.total_seconds()) + service.buffer_after_minutes * 60
    earliest_s, latest_s = earliest.timestamp(), latest.timestamp()
    # Slots at one time are listed by location, then practitioner: rank the blocks that way
    # once, and sort plain (start, rank) pairs.
    placed.sort(
        key=lambda pair: (pair[0].location_name, pair[0].practitioner_name, pair[0].practitioner_id)
    )
    blocks = [block for block, _ in placed]
    by_weekday, by_date = defaultdict(list), defaultdict(list)
    for rank, (block, on_date) in enumerate(placed):
        if on_date is None:
            by_weekday[block.weekday].append((rank, block))
        else:
            by_date[on_date].append((rank, block))
    offsets = _DayOffsets()

    free = []
    add = free.append
    for day in days:
        weekly = by_weekday[day.weekday()]
        if replaced:
            weekly = [pair for pair in weekly if (pair[1].practitioner_id, day) not in replaced]
        todays = weekly + by_date[day] if by_date else weekly
        for rank, block in todays:
            grid = _grid(day, block, blocked, offsets)
            if grid and (grid[0] < earliest_s or grid[-1] > latest_s):
                grid = [start for start in grid if earliest_s <= start <= latest_s]
            calendar = calendars.get(block.practitioner_id)
            if calendar is None:
                free.extend((start, rank) for start in grid)
                continue
            starts, max_end = calendar.starts, calendar.max_end
            for start in grid:
                # BusyIntervals.overlaps, inlined: this loop runs for every grid point of the month.
                index = bisect_left(starts, start + blocked)
                if index == 0 or max_end[index - 1] <= start:
                    add((start, rank))
    free.sort()
    slots = []
    for start, rank in free:
        block = blocks[rank]
        start = datetime.fromtimestamp(start, UTC)
        slots.append(
            Slot(
                start,
                start + duration,
                block.practitioner_id,
                block.practitioner_name,
                block.location_id,
                block.location_slug,
                block.location_name,
                service.slug,
                block.time_zone,
            )
        )
    return slots


class _Block(NamedTuple):
    """One working-hours row with what its slots show, read as plain values."""

    practitioner_id: int
    practitioner_name: str
    location_id: int
    location_slug: str
    location_name: str
    time_zone: str
    weekday: int
    start_time: time
    end_time: time

    LOOKUPS = (
        "practitioner_id",
        "practitioner__display_name",
        "location_id",
        "location__slug",
        "location__name",
        "location__time_zone",
        "weekday",
        "start_time",
        "end_time",
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo keeps one instance per key


def _working_blocks(*, service, locations, practitioner, weekdays, first_day, last_day):
    """One query (UNION ALL): the weekly hours on `weekdays` at `locations` and the date
    overrides of `first_day`..`last_day`, as (block, None) for a weekly block, (block, date) for
    that date's override hours, and the {(practitioner_id, date)} whose weekly hours do not apply.

    A one-off day elsewhere replaces the week even where `locations` does not reach: the
    practitioner is away from their usual site that day."""
    hours = WorkingHours.objects.filter(
        practitioner__is_active=True,
        practitioner__discipline=service.discipline,
        weekday__in=weekdays,
    ).order_by()
    overrides = DateOverride.objects.filter(
        practitioner__is_active=True,
        practitioner__discipline=service.discipline,
        date__gte=first_day,
        date__lte=last_day,
    ).order_by()
    if locations is not None:
        hours = hours.filter(location__in=locations)
    if practitioner is not None:
        hours = hours.filter(practitioner=practitioner)
        overrides = overrides.filter(practitioner=practitioner)
    in_scope = (
        Value(True)
        if locations is None
        else Case(When(location__in=locations, then=Value(True)), default=Value(False))
    )
    weekly = hours.annotate(
        on_date=Value(None, output_field=DateField()),
        override=Value("", output_field=CharField()),
        in_scope=Value(True),
    ).values_list(*_Block.LOOKUPS, "on_date", "override", "in_scope")
    dated = overrides.annotate(
        weekday=Value(0, output_field=IntegerField()), in_scope=in_scope
    ).values_list(
        *_Block.LOOKUPS[:6], "weekday", "start_time", "end_time", "date", "kind", "in_scope"
    )
    placed, replaced, closed, one_off = [], set(), set(), []
    for *shown, on_date, kind, wanted in weekly.union(dated, all=True):
        if on_date is None:
            placed.append((_Block(*shown), None))
            continue
        if kind != DateOverride.Kind.EXTRA:
            replaced.add((shown[0], on_date))
        if kind == DateOverride.Kind.CLOSED:
            closed.add((shown[0], on_date))
        elif wanted:
            shown[6] = on_date.weekday()
            one_off.append((_Block(*shown), on_date))
    # A closed day offers nothing, whatever else is recorded for it.
    placed.extend(
        (block, day) for block, day in one_off if (block.practitioner_id, day) not in closed
    )
    return placed, replaced


def _busy_calendars(
    *, practitioner_ids, since, until, exclude_appointment, now
) -> dict[int, "BusyIntervals"]:
    """Booked appointments (with their buffers), time off and live waitlist holds per
    practitioner, in seconds, read in one query."""
    appointments = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED,
        practitioner_id__in=practitioner_ids,
        start__lt=until,
        blocked_until__gt=since,
    ).order_by()
    if exclude_appointment is not None:
        appointments = appointments.exclude(pk=exclude_appointment.pk)
    time_off = TimeOff.objects.filter(
        practitioner_id__in=practitioner_ids, start__lt=until, end__gt=since
    ).order_by()
    # A time held for a waitlisted patient is taken for everyone else until the hold ends; the
    # holder's acceptance closes the hold before it books (clinic.scheduling.waitlist).
    holds = WaitlistOffer.objects.filter(
        state=WaitlistOffer.State.HELD,
        expires_at__gt=now,
        entry__fulfilled_at__isnull=True,
        practitioner_id__in=practitioner_ids,
        start__lt=until,
        blocked_until__gt=since,
    ).order_by()
    rows = appointments.values_list(
        "practitioner_id", EpochSeconds("start"), EpochSeconds("blocked_until")
    ).union(
        time_off.values_list("practitioner_id", EpochSeconds("start"), EpochSeconds("end")),
        holds.values_list("practitioner_id", EpochSeconds("start"), EpochSeconds("blocked_until")),
        all=True,
    )
    busy = defaultdict(list)
    for practitioner_id, start, end in rows:
        busy[practitioner_id].append((start, end))
    return {pid: BusyIntervals(intervals) for pid, intervals in busy.items()}


class EpochSeconds(Func):
    """A datetime column as whole seconds since 1970 (UTC), cheap to read in bulk."""

    output_field = BigIntegerField()

    @property
    def convert_value(self):
        return self._convert_value_noop  # the driver already returns an int

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS bigint)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() of Django's UTC text; rounded, as the float is off by microseconds.
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400) AS integer)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _grid(day: date, block: _Block, step: int, offsets: "_DayOffsets") -> range | list[int]:
    """Starts of the slots of one block on one local date, in seconds since 1970, DST-safe
    (see the module docstring)."""
    zone = block.zone
    offset = offsets.steady(zone, day)
    if offset is not None:
        # No clock change that day: local times map to UTC by one offset.
        midnight = (day.toordinal() - _EPOCH_ORDINAL) * 86400 - offset
        first = midnight + _seconds(block.start_time)
        last = midnight + _seconds(block.end_time) - step
        return range(first, last + 1, step)
    local = datetime.combine(day, block.start_time)
    local_end = datetime.combine(day, block.end_time)
    return list(_grid_across_a_clock_change(local, local_end, zone, step))


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _grid_across_a_clock_change(
    local: datetime, local_end: datetime, zone: ZoneInfo, step: int
) -> Iterable[int]:
    block_end = _latest_reading_no_later_than(local_end, zone).timestamp()
    step_delta = timedelta(seconds=step)
    free_from = None  # the previous slot's end plus buffer
    while local + step_delta <= local_end:
        start = _utc(local, zone)
        if start is not None:
            start = int(start.timestamp())
            if free_from is None or start >= free_from:
                if start + step > block_end:
                    break
                yield start
                free_from = start + step
        local += step_delta


class _DayOffsets:
    """Per zone and local date: the UTC offset in seconds when it holds all day, else None."""

    def __init__(self):
        self._known: dict[tuple[str, date], int | None] = {}

    def steady(self, zone: ZoneInfo, day: date) -> int | None:
        key = (zone.key, day)
        if key not in self._known:
            # Clocks change at most once a day: the same unambiguous offset at both midnights
            # means none changed in between.
            midnights = (datetime.combine(day, time()), datetime.combine(day + _DAY, time()))
            found = {
                moment.replace(tzinfo=zone, fold=fold).utcoffset()
                for moment in midnights
                for fold in (0, 1)
            }
            self._known[key] = int(found.pop().total_seconds()) if len(found) == 1 else None
        return self._known[key]


def _utc(local: datetime, zone: ZoneInfo) -> datetime | None:
    """A naive local time as UTC (fold=0 for an ambiguous time); None if it does not exist."""
    aware = local.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        return None  # in the spring-forward gap
    return utc


def _latest_reading_no_later_than(local: datetime, zone: ZoneInfo) -> datetime:
    # The end of a block is read conservatively: for an ambiguous time the earlier instant, for
    # a nonexistent one the instant before the gap, so a block never grows across a clock change.
    return min(
        local.replace(tzinfo=zone, fold=0).astimezone(UTC),
        local.replace(tzinfo=zone, fold=1).astimezone(UTC),
    )


class BusyIntervals:
    """A practitioner's busy intervals, answering "does [start, end) overlap any?" in log time.

    Any ordered values serve as times: seconds here, datetimes in clinic.demo_data.
    """

    def __init__(self, intervals: list[tuple]):
        intervals.sort()
        self.starts = [start for start, _ in intervals]
        # Running maximum of the ends: an interval starting before `end` overlaps [start, end)
        # exactly when it ends after `start`, so the largest such end decides.
        self.max_end = []
        running = None
        for _, end in intervals:
            running = end if running is None or end > running else running
            self.max_end.append(running)

    def overlaps(self, start, end) -> bool:
        index = bisect_left(self.starts, end)
        return index > 0 and self.max_end[index - 1] > start


# The first, narrow range of `nearest_alternatives` (it widens to its `search` when needed).
NEAREST_FIRST_SEARCH = timedelta(days=3)


def nearest_alternatives(
    *,
    service,
    location,
    start: datetime,
    now: datetime | None = None,
    exclude_appointment=None,
    count: int = 3,
    search: timedelta = timedelta(days=14),
) -> list[Slot]:
    """The `count` free slots for `service` at `location` nearest in time to `start`, within
    `search` either side.

    A few days around `start` usually hold them, and a 409 must answer fast while others are
    booking: that narrow range is read first, and the whole `search` only when it does not
    hold `count` slots nearer than its certain edge (so the answer is the same either way).
    """

    def key(slot):
        return (abs(slot.start - start), slot.start, slot.practitioner_name)

    narrow = min(search, NEAREST_FIRST_SEARCH)
    for reach in dict.fromkeys((narrow, search)):
        slots = available_slots(
            service=service,
            locations=[location],
            date_from=(start - reach).date(),
            date_to=(start + reach).date(),
            now=now,
            exclude_appointment=exclude_appointment,
        )
        slots.sort(key=key)
        # Local dates may differ from UTC ones by up to a day: only slots within
        # `reach - 1 day` of `start` are certainly nearer than anything outside the range.
        certain = reach - timedelta(days=1)
        if reach == search or (
            len(slots) >= count and abs(slots[count - 1].start - start) <= certain
        ):
            return slots[:count]
    return []  # pragma: no cover - the loop always ends on the whole search
