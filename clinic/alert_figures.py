"""How well alerts reached a person, per location and calendar month (protocol section 6).

- Emergencies acknowledged within 15 minutes of the alert: the promise is "on-call staff
  alerted at once; contact within 1 hour", so a quarter of that hour is the acknowledgement
  target. Counted from the alert being raised to its acknowledgement.
- Urgent cases contacted within 1 working day: contact recorded (clinic.alerts
  `alert_record_contact`) by the alert's own `contact_by` time, which already holds the
  location's working days and holidays. Counted from the intake's submission, as promised to the
  patient.

An alert belongs to the month, in its location's zone, of the instant it is counted from. One
whose target has passed with no acknowledgement (or contact) is a miss; one still inside its
target is pending, shown but left out of the share. The medians are over the alerts that were
acknowledged (or contacted), whenever that was. Everything comes from one query, whatever the
number of alerts; the figures are worked out here, in each location's own calendar.
"""

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from clinic import roles
from clinic.models import StaffAlert

EMERGENCY_ACK_TARGET = timedelta(minutes=15)
MONTHS = 6  # the current month and the five before, in each location's zone


@dataclass(frozen=True)
class Share:
    """n of N met its target, plus those whose target has not passed yet."""

    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None


@dataclass(frozen=True)
class AlertMonth:
    location: str
    month: date  # the first day of the month, in the location's zone
    acknowledged: Share  # emergencies acknowledged within EMERGENCY_ACK_TARGET
    median_to_acknowledge: timedelta | None
    contacted: Share  # urgents contacted by their contact-by time
    median_to_contact: timedelta | None


def alert_figures(*, actor, now: datetime | None = None, months: int = MONTHS) -> list[AlertMonth]:
    """The figures for each location in the actor's scope (superusers: every location) and each
    of the last `months` months that had an alert, by location name then newest month first."""
    now = now or timezone.now()
    alerts = StaffAlert.objects.all()
    if not roles.is_staff(actor):
        return []
    if not roles.is_superuser(actor):
        alerts = alerts.filter(location_id__in=roles.location_ids(actor))
    # Any zone's month started at most 14 hours either side of UTC's: a day of margin, then the
    # exact boundary per location below. An urgent case counts from its intake, never later
    # than its alert, so filtering on the alert's creation keeps every one of them.
    earliest = _month_start(now.date(), months - 1) - timedelta(days=1)
    rows = (
        alerts.filter(created_at__gte=datetime.combine(earliest, datetime.min.time(), UTC))
        .values_list(
            "location__name",
            "location__time_zone",
            "urgency",
            "created_at",
            "intake__created_at",
            "acknowledged_at",
            "contact_by",
            "contacted_at",
        )
        .order_by()
    )
    buckets: dict[tuple[str, date], dict[str, list]] = {}
    for name, zone, urgency, raised, submitted, acknowledged, contact_by, contacted in rows:
        if urgency == "emergency":
            start, done, deadline = raised, acknowledged, raised + EMERGENCY_ACK_TARGET
        elif urgency == "urgent" and contact_by is not None:
            start, done, deadline = submitted, contacted, contact_by
        else:
            continue
        local = start.astimezone(ZoneInfo(zone)).date()
        if local < _month_start(now.astimezone(ZoneInfo(zone)).date(), months - 1):
            continue
        bucket = buckets.setdefault((name, local.replace(day=1)), {"emergency": [], "urgent": []})
        bucket[urgency].append((start, done, deadline))
    return [
        AlertMonth(
            location=name,
            month=month,
            acknowledged=_share(bucket["emergency"], now),
            median_to_acknowledge=_median(bucket["emergency"]),
            contacted=_share(bucket["urgent"], now),
            median_to_contact=_median(bucket["urgent"]),
        )
        for (name, month), bucket in sorted(
            buckets.items(), key=lambda i: (i[0][0], -i[0][1].toordinal())
        )
    ]


def _share(cases, now) -> Share:
    met = sum(1 for _, done, deadline in cases if done is not None and done <= deadline)
    pending = sum(1 for _, done, deadline in cases if done is None and now <= deadline)
    return Share(met=met, missed=len(cases) - met - pending, pending=pending)


def _median(cases) -> timedelta | None:
    taken = [done - start for start, done, _ in cases if done is not None]
    return statistics.median(taken) if taken else None


def _month_start(day: date, back: int) -> date:
    """The first day of the month `back` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)
