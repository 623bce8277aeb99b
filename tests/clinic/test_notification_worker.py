"""The outbox with a real Celery worker on the suite's real Redis and PostgreSQL.

A worker killed mid-batch loses nothing and doubles nothing; with Redis down the database keeps
every planned message, and once Redis is back they go out.
"""

import collections
import datetime as dt
import os
import re
import subprocess
import time
from email import message_from_bytes

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic import notifications, tasks
from clinic.models import Appointment, Notification, NotificationKind, NotificationStatus
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)
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
                    counts["".join(key.split())] += 1  # a long key is folded onto two lines
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


def mid_send(folder, *, processes: int) -> bool:
    """Whether `processes` pool processes are each well inside a slowed send (see
    tests.support.mail.SlowFileEmailBackend), far from the moment a message leaves."""
    # File times come from the real clock, also when the session's clock is moved ahead.
    hatch = time_machine.escape_hatch
    now = hatch.time.time() if hatch.is_travelling() else time.time()
    fresh = []
    for marker in folder.glob("sending-*"):
        try:
            fresh.append(now - marker.stat().st_mtime < 0.2)
        except FileNotFoundError:  # that send just finished
            return False
    return fresh.count(True) == processes


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
    first = Worker(email_dir=mail_dir, email_delay=0.5).start()
    try:
        assert tasks.dispatch_due() >= len(planned)
        # Kill the worker (main process and pool) once part of the batch has gone out, while
        # both pool processes are in the middle of sending.
        assert wait_until(
            lambda: statuses()[NotificationStatus.SENT] >= 3 and mid_send(mail_dir, processes=2),
            timeout=60,
            interval=0.01,
        )
        first.kill()
    finally:
        first.stop()
    assert statuses()[NotificationStatus.SENT] < len(planned), "the kill came too late to test"

    # The rows whose send was cut off stay `sending` (a redelivered task skips them: their send
    # had started) until the sweeper finds them after its 10 minutes; simulate that time. It
    # runs before the next worker starts: with the clock moved 11 minutes, a send that worker
    # had just begun would look stuck too, which no real send can be (the task time limit).
    notifications.requeue_stuck(now=timezone.now() + dt.timedelta(minutes=11))
    second = Worker(email_dir=mail_dir).start()
    try:
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


def test_with_redis_down_a_patient_still_books_and_the_confirmation_follows_when_it_is_back(
    tmp_path, redis_outage, client
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    for weekday in range(7):
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    ServiceFactory()  # physiotherapy assessment, bookable online
    patient = PatientFactory()
    intake = make_intake(
        location=location, patient=patient, **{f"sbst_{n}": True for n in (1, 2, 3, 4)}
    )
    client.force_login(patient.user)

    page = client.get(reverse("patients:book", args=[intake.public_id])).content.decode()
    key = re.findall(r'name="slot" id="[^"]+" value="([^"]+)"', page)[0]
    response = client.post(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})

    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    confirmation = Notification.objects.get(
        appointment=appointment, kind=NotificationKind.BOOKING_CONFIRMATION
    )
    assert confirmation.status == NotificationStatus.PENDING
    assert tasks.dispatch_due() == 0  # nothing reaches the broker; the row waits

    start_redis()
    worker = Worker(email_dir=mail_dir).start()
    try:
        assert tasks.dispatch_due() >= 1
        assert wait_until(
            lambda: Notification.objects.get(pk=confirmation.pk).status == NotificationStatus.SENT,
            timeout=60,
        )
    finally:
        worker.stop()
    assert sent_keys(mail_dir)[confirmation.key] == 1
