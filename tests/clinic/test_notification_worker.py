"""The outbox with a real Celery worker on the suite's real Redis and PostgreSQL.

A worker killed mid-batch loses nothing and doubles nothing; with Redis down the database keeps
every planned message, and once Redis is back they go out.
"""

import collections
import datetime as dt
import os
import subprocess
import time
from email import message_from_bytes

import pytest
from django.utils import timezone

from clinic import notifications, tasks
from clinic.models import Notification, NotificationKind, NotificationStatus
from tests.factories import LocationFactory
from tests.support.celery_worker import Worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def sent_keys(folder) -> collections.Counter:
    """How many times each notification key arrived, read from the mail files the worker wrote."""
    counts = collections.Counter()
    for path in folder.glob("*.log"):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                key = message_from_bytes(chunk.strip()).get("X-Backstride-Notification")
                if key:
                    counts[key] += 1
    return counts


def plan_due_messages(count: int) -> list[Notification]:
    from tests.factories import make_intake

    intake = make_intake(location=LocationFactory())
    return [
        notifications.plan(
            key=f"test:batch:{n}",
            kind=NotificationKind.SELF_CARE_CHECK_IN,
            recipient=f"runner{n}@example.test",
            template="notifications/self_care_check_in",
            due_at=timezone.now(),
            intake=intake,
        )
        for n in range(count)
    ]


def wait_until(predicate, timeout=60.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def statuses() -> collections.Counter:
    """Statuses of the messages the test planned (the intake plans follow-ups of its own)."""
    planned = Notification.objects.filter(key__startswith="test:batch:")
    return collections.Counter(planned.values_list("status", flat=True))


def test_a_worker_killed_mid_batch_leaves_every_message_sent_exactly_once(tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    planned = plan_due_messages(24)
    first = Worker(email_dir=mail_dir, email_delay=0.25).start()
    try:
        assert tasks.dispatch_due() >= len(planned)
        # Kill the worker (main process and pool) once part of the batch has gone out.
        assert wait_until(lambda: statuses()[NotificationStatus.SENT] >= 3, timeout=60)
        first.kill()
    finally:
        first.stop()
    assert statuses()[NotificationStatus.SENT] < len(planned), "the kill came too late to test"

    second = Worker(email_dir=mail_dir).start()
    try:
        # The stuck rows are found by the sweeper after its 10 minutes; simulate that time.
        notifications.requeue_stuck(now=timezone.now() + dt.timedelta(minutes=11))
        tasks.dispatch_due()
        assert wait_until(lambda: statuses()[NotificationStatus.SENT] == len(planned), timeout=90)
    finally:
        second.stop()

    counts = sent_keys(mail_dir)
    assert {n.key for n in planned} == set(counts)
    assert set(counts.values()) == {1}, f"sent more than once: {counts.most_common(3)}"


def redis_cli(*args):
    subprocess.run(
        ["redis-cli", "-p", os.environ["REDIS_PORT"], *args],
        check=False,
        capture_output=True,
        timeout=10,
    )


def start_redis():
    subprocess.run(
        [
            os.environ.get("REDIS_SERVER_BIN", "redis-server"),
            "--port",
            os.environ["REDIS_PORT"],
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
        ],
        check=True,
        timeout=10,
    )
    assert wait_until(
        lambda: (
            subprocess.run(
                ["redis-cli", "-p", os.environ["REDIS_PORT"], "ping"],
                capture_output=True,
                check=False,
            ).stdout.strip()
            == b"PONG"
        ),
        timeout=10,
    )


@pytest.fixture
def redis_outage():
    if "REDIS_PORT" not in os.environ:
        pytest.skip("needs the suite's own Redis (REDIS_PORT), started by `make test`")
    redis_cli("shutdown", "nosave")
    try:
        yield
    finally:
        start_redis()


def test_with_redis_down_messages_wait_in_the_database_and_go_out_when_it_is_back(
    tmp_path, redis_outage
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    planned = plan_due_messages(5)

    # Dispatch cannot reach the broker: nothing is lost, the rows wait as pending.
    assert tasks.dispatch_due() == 0
    assert statuses()[NotificationStatus.PENDING] == len(planned)

    start_redis()
    worker = Worker(email_dir=mail_dir).start()
    try:
        assert tasks.dispatch_due() == len(planned)
        assert wait_until(lambda: statuses()[NotificationStatus.SENT] == len(planned), timeout=60)
    finally:
        worker.stop()
    assert set(sent_keys(mail_dir).values()) == {1}
