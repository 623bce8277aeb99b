"""Notification dispatch: drain due reminders through a real Celery worker (2 processes).

Reminder rows for existing appointments are written due now (bulk, as planning would leave
them). `clinic.tasks.dispatch_due` is then called from here once a minute, as beat calls it: it
claims up to `DISPATCH_BATCH` rows per call, queues them in chunks (`send_notifications`) on Redis
and, after a full batch, queues itself again; the worker sends them. The email backend of the bench
settings writes one line per sent message (its outbox key), so duplicates and losses are
counted from what was sent, and checked against the table.
"""

import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from bench import lib
from clinic import notifications, tasks
from clinic.models import (
    Appointment,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)

CONCURRENCY = 2
BEAT_SECONDS = 60.0  # clinic.settings CELERY_BEAT_SCHEDULE
PROBES = 101  # rows sent in-process: one for the query count, a hundred for a profile


def plan(count: int, prefix: str, *, due_at) -> list[int]:
    """`count` reminders due at `due_at`, spread over the latest appointments; their ids."""
    targets = list(
        Appointment.objects.order_by("-start").values_list("pk", "patient__user__email")[:count]
    )
    if not targets:
        raise RuntimeError("no appointments to remind of: seed the data first")
    rows = [
        Notification(
            key=f"{prefix}{n}",
            kind=NotificationKind.REMINDER,
            channel=NotificationChannel.EMAIL,
            recipient=email,
            template="notifications/reminder",
            due_at=due_at,
            appointment_id=appointment_id,
        )
        for n in range(count)
        for appointment_id, email in (targets[n % len(targets)],)
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)
    return list(Notification.objects.filter(key__startswith=prefix).values_list("pk", flat=True))


def claimed(ids: list[int]) -> list[int]:
    Notification.objects.filter(pk__in=ids).update(
        status=NotificationStatus.SENDING, claimed_at=timezone.now()
    )
    return ids


def mail_log_counts(prefix: str) -> Counter:
    try:
        with open(settings.BENCH_MAIL_LOG) as log:
            return Counter(line.strip() for line in log if line.startswith(prefix))
    except FileNotFoundError:
        return Counter()


def drain(prefix: str, count: int, deadline_s: float) -> tuple[float, int]:
    """Dispatch until nothing of ours is pending, then wait for the sends; (start, dispatches)."""
    ours = Notification.objects.filter(key__startswith=prefix)
    started = time.monotonic()
    dispatches = 0
    last_beat = None
    while ours.filter(status=NotificationStatus.PENDING).exists():
        # Beat's schedule, once a minute: a full batch queues the next dispatch by itself
        # (clinic.tasks.dispatch_due), so the backlog drains at the workers' pace.
        if last_beat is None or time.monotonic() - last_beat >= BEAT_SECONDS:
            dispatches += 1
            last_beat = time.monotonic()
            tasks.dispatch_due()
        time.sleep(0.25)
        if time.monotonic() - started > deadline_s:
            break
    remaining = max(deadline_s - (time.monotonic() - started), 1)
    done = lib.wait_until(
        lambda: (
            not ours.filter(
                status__in=(NotificationStatus.PENDING, NotificationStatus.SENDING)
            ).exists()
        ),
        timeout=remaining,
        interval=0.25,
    )
    if not done:
        lib.say(f"  not drained within {deadline_s:.0f} s")
    return started, dispatches


def main(argv: list[str]) -> int:
    scale = lib.scale()
    run = str(int(time.time()))
    prefix = f"bench:{run}:reminder:"
    probe_prefix = f"bench:{run}:probe:"
    count = scale.notifications
    ids = plan(count, prefix, due_at=timezone.now())
    # Probes are never due (the worker leaves them alone): they are claimed and sent here,
    # in-process, for the query count of one send and for a profile.
    probes = plan(PROBES, probe_prefix, due_at=timezone.now() + timedelta(days=3650))
    queries, status = lib.count_queries(lambda: notifications.send(claimed(probes[:1])[0]))
    if status != NotificationStatus.SENT:
        raise RuntimeError(f"an in-process send ended {status!r}, not sent")

    deadline = max(120.0, count / 25)
    with lib.celery_worker(concurrency=CONCURRENCY):
        wall_start = timezone.now()
        started, dispatches = drain(prefix, count, deadline)
        seconds = time.monotonic() - started

    ours = Notification.objects.filter(pk__in=ids)
    statuses = Counter(ours.values_list("status", flat=True))
    last_sent = ours.aggregate(last=Max("sent_at"))["last"]
    if last_sent is not None:
        seconds = (last_sent - wall_start).total_seconds()
    waits = [
        (sent_at - wall_start).total_seconds()
        for sent_at in ours.exclude(sent_at=None).values_list("sent_at", flat=True)
    ]
    sent = mail_log_counts(prefix)
    duplicates = sum(n - 1 for n in sent.values() if n > 1)
    # Still queued when the time ran out is not lost, but the run did not drain either.
    unfinished = statuses[NotificationStatus.PENDING] + statuses[NotificationStatus.SENDING]
    lost = count - len(sent) - unfinished
    ok = duplicates == 0 and lost == 0 and statuses[NotificationStatus.SENT] == count
    stats = lib.summary(waits) if waits else {"median": None, "p95": None, "n": 0}
    row = lib.Row(
        key="notification-dispatch",
        measurement=(
            f"Notification dispatch, {count:,} due reminders, Celery worker with "
            f"{CONCURRENCY} processes (time from start to each send)"
        ),
        goal="0 duplicates, 0 lost",
        unit="s",
        median=stats["median"],
        p95=stats["p95"],
        queries=queries,
        result=(
            f"{statuses[NotificationStatus.SENT]:,} sent in {seconds:.1f} s "
            f"({statuses[NotificationStatus.SENT] / max(seconds, 0.001):,.0f}/s), "
            f"{duplicates} duplicates, {lost} lost"
            + (f", {unfinished:,} not sent within {deadline:.0f} s" if unfinished else "")
            + (f", {dict(statuses)}" if len(statuses) > 1 else "")
        ),
        verdict=lib.verdict(ok),
        samples=stats["n"],
        details={
            "seconds_to_drain": seconds,
            "dispatch_calls": dispatches,
            "statuses": dict(statuses),
            "duplicates": duplicates,
            "lost": lost,
            "unfinished": unfinished,
            "dispatch_batch": notifications.DISPATCH_BATCH,
        },
    )
    if lib.should_profile(row.verdict):
        rest = claimed(probes[1:])
        row.profile = lib.profile(
            "notification-dispatch", lambda: [notifications.send(pk) for pk in rest]
        )
    lib.save_rows("notification_dispatch", [row])
    return 0
