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
BOOKING_MIN_NOTICE after `now` and at most BOOKING_MAX_ADVANCE after it. The work is one
query whatever the number of practitioners, locations and days: the weekly hours and the dates'
overrides with their practitioner and location (a union), and the appointments, time off and
holds of the practitioners those hours name (another union), read together (`_BOTH_SQL`); the
rest is computed in Python.

Busy times are read from the database as whole seconds since 1970 and the grid is laid in those
seconds: reading thousands of appointments as datetimes, and converting every grid point
through its zone, took most of the time. A block with no clock change inside it (every block
but those of the two changeover nights) is plain arithmetic on the day's UTC offset; only the
free slots become datetimes.
"""

import heapq
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from clinic.models import (
    Appointment,
    AppointmentStatus,
    DateOverride,
    Location,
    Practitioner,
    TimeOff,
    WaitlistEntry,
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
    Sorted by start, then location and practitioner name. One query.
    """
    free, blocks = _free_times(
        service=service,
        locations=locations,
        date_from=date_from,
        date_to=date_to,
        practitioner=practitioner,
        now=now,
        window_end=window_end,
        exclude_appointment=exclude_appointment,
    )
    free.sort()
    return _as_slots(free, blocks, service)


def _free_times(
    *, service, locations, date_from, date_to, practitioner, now, window_end, exclude_appointment
) -> tuple[list[tuple[int, int]], list["_Block"]]:
    """The free times as (start in seconds since 1970, rank of its block) pairs, unsorted, and
    the blocks by rank (ordered by location, then practitioner name): the work of
    `available_slots` before its slots are made."""
    now = now or timezone.now()
    earliest = now + settings.BOOKING_MIN_NOTICE
    latest = now + settings.BOOKING_MAX_ADVANCE
    if window_end is not None:
        latest = min(latest, window_end)
    first_day = max(date_from, (earliest - _ZONE_MARGIN).date())
    last_day = min(date_to, (latest + _ZONE_MARGIN).date())
    if first_day > last_day or earliest > latest:
        return [], []

    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    location_ids = None if locations is None else [location.pk for location in locations]
    if location_ids == []:
        return [], []
    blocks_sql = _working_blocks_sql(
        discipline=service.discipline,
        location_ids=location_ids,
        practitioner_id=None if practitioner is None else practitioner.pk,
        weekdays=sorted({day.weekday() for day in days}),
        first_day=first_day,
        last_day=last_day,
    )
    # One round trip: the busy times of one practitioner (a booking's re-check) or of everyone
    # whose hours the same query finds.
    busy_sql = _busy_sql(
        practitioner_ids=None if practitioner is None else [practitioner.pk],
        since=datetime.combine(first_day, time(), UTC) - _ZONE_MARGIN,
        until=datetime.combine(last_day, time(), UTC) + 2 * _ZONE_MARGIN,
        exclude_id=None if exclude_appointment is None else exclude_appointment.pk,
        now=now,
    )
    block_rows, busy_rows = _both(blocks_sql, busy_sql)
    placed, replaced = _working_blocks(block_rows)
    if not placed:
        return [], []
    calendars = _busy_calendars(busy_rows)

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
    return free, blocks


def _as_slots(free: list[tuple[int, int]], blocks: list["_Block"], service) -> list[Slot]:
    duration = timedelta(minutes=service.duration_minutes)
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

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo keeps one instance per key


def _working_blocks(rows):
    """The rows of `_WORKING_BLOCKS_SQL` (the weekly hours on the range's weekdays at the
    locations and the date overrides of its dates) as (block, None) for a weekly block,
    (block, date) for that date's override hours, and the {(practitioner_id, date)} whose weekly
    hours do not apply.

    A one-off day elsewhere replaces the week even where the locations asked for do not reach:
    the practitioner is away from their usual site that day."""
    placed, replaced, closed, one_off = [], set(), set(), []
    for *shown, on_date, kind, wanted in rows:
        shown[7], shown[8] = _time_value(shown[7]), _time_value(shown[8])
        if on_date is None:
            placed.append((_Block(*shown), None))
            continue
        on_date = _date_value(on_date)
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


# The two unions below are written as SQL rather than built with the ORM: built, they cost
# about 3.5 ms of Python per call (compiling two unions with their joins), and every booking
# re-checks its time with them under the practitioner's lock and every 409 looks for
# alternatives with them; as text they cost a tenth of that. They run on PostgreSQL and SQLite:
# the parameters go through the backend's adapters, as the ORM's would, and `_EPOCH_SQL` holds
# the one expression that differs.
_WORKING_BLOCKS_SQL = """
SELECT h.practitioner_id, p.display_name, h.location_id, l.slug, l.name, l.time_zone,
       h.weekday, h.start_time, h.end_time, NULL, '', 1
  FROM {hours} h
  JOIN {practitioners} p ON p.id = h.practitioner_id
  JOIN {locations} l ON l.id = h.location_id
 WHERE p.is_active AND p.discipline = %s AND h.weekday IN ({weekdays}){hours_narrowed}
UNION ALL
SELECT o.practitioner_id, p.display_name, o.location_id, l.slug, l.name, l.time_zone,
       0, o.start_time, o.end_time, o.date, o.kind, {wanted}
  FROM {overrides} o
  JOIN {practitioners} p ON p.id = o.practitioner_id
  LEFT JOIN {locations} l ON l.id = o.location_id
 WHERE p.is_active AND p.discipline = %s AND o.date >= %s AND o.date <= %s{overrides_narrowed}
"""


def _working_blocks_sql(
    *, discipline, location_ids, practitioner_id, weekdays, first_day, last_day
):
    ops = connection.ops
    hours_narrowed, hours_params, overrides_narrowed, overrides_params = "", [], "", []
    wanted, wanted_params = "1", []
    if location_ids is not None:
        hours_narrowed += f" AND h.location_id IN ({_placeholders(location_ids)})"
        hours_params += location_ids
        # An override elsewhere still takes the day away; only its hours are not offered here.
        wanted = f"CASE WHEN o.location_id IN ({_placeholders(location_ids)}) THEN 1 ELSE 0 END"
        wanted_params = list(location_ids)
    if practitioner_id is not None:
        hours_narrowed += " AND h.practitioner_id = %s"
        hours_params.append(practitioner_id)
        overrides_narrowed = " AND o.practitioner_id = %s"
        overrides_params = [practitioner_id]
    sql = _WORKING_BLOCKS_SQL.format(
        hours=WorkingHours._meta.db_table,
        overrides=DateOverride._meta.db_table,
        practitioners=Practitioner._meta.db_table,
        locations=Location._meta.db_table,
        weekdays=_placeholders(weekdays),
        hours_narrowed=hours_narrowed,
        wanted=wanted,
        overrides_narrowed=overrides_narrowed,
    )
    params = [
        discipline,
        *weekdays,
        *hours_params,
        *wanted_params,
        discipline,
        ops.adapt_datefield_value(first_day),
        ops.adapt_datefield_value(last_day),
        *overrides_params,
    ]
    return sql, params


def _busy_calendars(rows) -> dict[int, "BusyIntervals"]:
    """The rows of `_BUSY_SQL` (booked appointments with their buffers, time off and live
    waitlist holds, in seconds) per practitioner."""
    busy = defaultdict(list)
    for practitioner_id, start, end in rows:
        busy[practitioner_id].append((start, end))
    return {pid: BusyIntervals(intervals) for pid, intervals in busy.items()}


# The hours and the busy times in one query: the hours' 12 columns, then the busy times' 3, each
# row tagged with the set it belongs to (the other set's columns are NULL).
_BOTH_SQL = """
WITH blocks AS ({blocks}), busy AS ({busy})
SELECT 0, blocks.*, NULL, NULL, NULL FROM blocks
UNION ALL
SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       busy.practitioner_id, busy.start_s, busy.end_s FROM busy
"""


def _both(blocks_sql: tuple[str, list], busy_sql: tuple[str, list]) -> tuple[list, list]:
    """The rows of the hours' query and of the busy times' query, read in one round trip."""
    (blocks, blocks_params), (busy, busy_params) = blocks_sql, busy_sql
    with connection.cursor() as cursor:
        cursor.execute(_BOTH_SQL.format(blocks=blocks, busy=busy), [*blocks_params, *busy_params])
        rows = cursor.fetchall()
    return [row[1:13] for row in rows if row[0] == 0], [row[13:] for row in rows if row[0] == 1]


# A time held for a waitlisted patient is taken for everyone else until the hold ends; the
# holder's acceptance closes the hold before it books (clinic.scheduling.waitlist).
_BUSY_SQL = """
SELECT a.practitioner_id, {a_start} AS start_s, {a_until} AS end_s
  FROM {appointments} a
 WHERE a.status = %s AND a.practitioner_id {practitioners}
   AND a.start < %s AND a.blocked_until > %s{not_excluded}
UNION ALL
SELECT t.practitioner_id, {t_start}, {t_end}
  FROM {time_off} t
 WHERE t.practitioner_id {practitioners} AND t.start < %s AND t."end" > %s
UNION ALL
SELECT h.practitioner_id, {h_start}, {h_until}
  FROM {holds} h
  JOIN {entries} e ON e.id = h.entry_id
 WHERE h.state = %s AND h.expires_at > %s AND e.fulfilled_at IS NULL
   AND h.practitioner_id {practitioners} AND h.start < %s AND h.blocked_until > %s
"""

# A datetime column as whole seconds since 1970 (UTC), cheap to read in bulk. SQLite keeps
# Django's UTC text: julianday() of it, rounded, as the float is off by microseconds.
_EPOCH_SQL = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM {column}) AS bigint)",
    "sqlite": "CAST(ROUND((julianday({column}) - 2440587.5) * 86400) AS integer)",
}


# The practitioners the hours name. On PostgreSQL as an array computed once, so each table is read
# through its practitioner index (an IN subquery was planned as a scan of everyone's bookings).
_IN_BLOCKS_SQL = {
    "postgresql": "= ANY(ARRAY(SELECT DISTINCT blocks.practitioner_id FROM blocks))",
    "sqlite": "IN (SELECT blocks.practitioner_id FROM blocks)",
}


def _busy_sql(*, practitioner_ids, since, until, exclude_id, now):
    """The busy times of `practitioner_ids`, or of every practitioner in `_BOTH_SQL`'s blocks
    when None."""
    ops = connection.ops
    if practitioner_ids is None:
        practitioners, practitioner_ids = _IN_BLOCKS_SQL[connection.vendor], []
    else:
        practitioners = f"IN ({_placeholders(practitioner_ids)})"
    epoch = _EPOCH_SQL[connection.vendor].format
    since, until = ops.adapt_datetimefield_value(since), ops.adapt_datetimefield_value(until)
    not_excluded, excluded = "", []
    if exclude_id is not None:
        not_excluded, excluded = " AND a.id <> %s", [exclude_id]
    sql = _BUSY_SQL.format(
        appointments=Appointment._meta.db_table,
        time_off=TimeOff._meta.db_table,
        holds=WaitlistOffer._meta.db_table,
        entries=WaitlistEntry._meta.db_table,
        practitioners=practitioners,
        not_excluded=not_excluded,
        a_start=epoch(column="a.start"),
        a_until=epoch(column="a.blocked_until"),
        t_start=epoch(column="t.start"),
        t_end=epoch(column='t."end"'),
        h_start=epoch(column="h.start"),
        h_until=epoch(column="h.blocked_until"),
    )
    params = [
        AppointmentStatus.BOOKED.value,
        *practitioner_ids,
        until,
        since,
        *excluded,
        *practitioner_ids,
        until,
        since,
        WaitlistOffer.State.HELD.value,
        ops.adapt_datetimefield_value(now),
        *practitioner_ids,
        until,
        since,
    ]
    return sql, params


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def _time_value(value) -> time | None:
    # SQLite returns a time column as its text.
    return time.fromisoformat(value) if isinstance(value, str) else value


def _date_value(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


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

    target = start.timestamp()

    def nearness(pair):
        # At one location a block's rank orders by practitioner name, as the slots are listed.
        moment, rank = pair
        return (abs(moment - target), moment, rank)

    narrow = min(search, NEAREST_FIRST_SEARCH)
    for reach in dict.fromkeys((narrow, search)):
        free, blocks = _free_times(
            service=service,
            locations=[location],
            date_from=(start - reach).date(),
            date_to=(start + reach).date(),
            practitioner=None,
            now=now,
            window_end=None,
            exclude_appointment=exclude_appointment,
        )
        # Only the nearest become slots: a week at a busy clinic is a thousand free times.
        nearest = heapq.nsmallest(count, free, key=nearness)
        # Local dates may differ from UTC ones by up to a day: only times within
        # `reach - 1 day` of `start` are certainly nearer than anything outside the range.
        certain = (reach - timedelta(days=1)).total_seconds()
        if reach == search or (len(nearest) >= count and abs(nearest[-1][0] - target) <= certain):
            return _as_slots(nearest, blocks, service)
    return []  # pragma: no cover - the loop always ends on the whole search
