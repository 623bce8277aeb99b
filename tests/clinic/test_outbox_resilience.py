"""The outbox never stalls, never gives up early, keeps no live link, and sends plain text plain."""

import collections
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis.exceptions
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from clinic import celery_app, notifications, tasks
from clinic.celery import app
from clinic.models import Notification, NotificationKind, NotificationStatus
from clinic.sms import LocmemSMSBackend
from staff.outbox import NotificationAdmin
from tests.factories import AppointmentFactory, LocationFactory, PatientFactory, make_intake

ROOT = Path(__file__).resolve().parents[2]
NEW_ACCOUNT = {
    "email": "new.runner@example.test",
    "password1": "Tempo-2026-x",
    "password2": "Tempo-2026-x",
    "accept_privacy_notice": "on",
}


def plan_mail(key, *, due_at=None, template="notifications/self_care_check_in", intake=None):
    intake = intake or make_intake()
    return notifications.plan(
        key=key,
        kind=NotificationKind.SELF_CARE_CHECK_IN,
        recipient=intake.email,
        template=template,
        due_at=due_at or timezone.now(),
        intake=intake,
    )


def dispatch_once():
    """What beat's dispatch and the workers do, in-process: requeue, claim, send each row."""
    notifications.requeue_stuck()
    for notification_id in notifications.claim_due():
        notifications.send(notification_id)


def sent_keys():
    return collections.Counter(m.extra_headers["X-Backstride-Notification"] for m in mail.outbox)


# --- 1. Nothing slow inside a transaction ------------------------------------------------------
def test_on_sqlite_a_silent_smtp_server_blocks_no_write_and_every_message_goes_once_after(
    tmp_path,
):
    """Runs on a fresh SQLite file in a subprocess (the suite's database is PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="clinic.settings_test",
        EMAIL_TIMEOUT="2",  # from the environment, as in production
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.clinic.sqlite_hang_scenario"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["email_timeout"] == 2
    # Each hung send gave up after EMAIL_TIMEOUT and recorded the attempt for a retry.
    for status, seconds in seen["outcomes"].values():
        assert status == NotificationStatus.PENDING
        assert 1.5 <= seconds < 6
    for row in seen["after_hang"].values():
        assert row["attempts"] == 1
        assert "timed out" in row["last_error"]
    # Sessions and staff edits kept going while the sends hung (no write lock was held).
    assert len(seen["write_seconds"]) >= 10
    assert max(seen["write_seconds"]) < 0.5
    # After the server recovered: every due message sent, each exactly once.
    assert seen["statuses"] == [NotificationStatus.SENT] * 3
    assert seen["sent_per_key"] == [1, 1, 1]


class SilentSMTPServer:
    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self):
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.mark.django_db(transaction=True)
def test_a_hung_send_holds_no_row_lock_and_requeue_stuck_never_waits(settings):
    server = SilentSMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_TIMEOUT = 2
    hung = plan_mail("test:hung")
    stuck = plan_mail("test:stuck")
    notifications.claim_due()
    Notification.objects.filter(pk=stuck.pk).update(
        claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    outcome = {}

    def sender():
        outcome["status"] = notifications.send(hung.pk)
        connections.close_all()

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        assert server.accepted.wait(5)
        # While the send hangs, its row can be written (nobody holds a lock on it) ...
        started = time.monotonic()
        with transaction.atomic():
            Notification.objects.select_for_update(nowait=True).get(pk=hung.pk)
        assert time.monotonic() - started < 0.5
        # ... and requeue_stuck skips a row someone else has locked instead of waiting.
        locked, release = threading.Event(), threading.Event()

        def lock_holder():
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=stuck.pk)
                locked.set()
                release.wait(10)
            connections.close_all()

        holder = threading.Thread(target=lock_holder)
        holder.start()
        assert locked.wait(5)
        started = time.monotonic()
        assert notifications.requeue_stuck() == 0
        assert time.monotonic() - started < 0.5
        release.set()
        holder.join()
        assert notifications.requeue_stuck() == 1
    finally:
        thread.join(10)
        server.close()
    assert outcome["status"] == NotificationStatus.PENDING
    hung.refresh_from_db()
    assert hung.attempts == 1
    assert "timed out" in hung.last_error


def test_celery_tasks_have_time_limits_and_email_a_timeout(settings):
    assert app.conf.task_soft_time_limit
    assert app.conf.task_time_limit
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert settings.EMAIL_TIMEOUT
    assert settings.SMS_TIMEOUT


# --- 2. Failures are recorded; permanent ones fail at once; transient ones retry for hours -----
pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_message_whose_template_is_missing_fails_on_the_first_attempt_with_the_reason():
    notification = plan_mail("test:missing", template="notifications/no_such_template")
    notifications.claim_due()
    assert notifications.send(notification.pk) == NotificationStatus.FAILED
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert "no_such_template" in notification.last_error
    assert "TemplateDoesNotExist" in notification.last_error


@pytestmark_db
def test_an_sdk_error_that_is_not_an_oserror_is_recorded_and_retried(monkeypatch):
    def sdk_failure(self, *, to, body, timeout=None):
        raise ValueError("gateway said: invalid credentials")

    monkeypatch.setattr(LocmemSMSBackend, "send", sdk_failure)
    appointment = AppointmentFactory(
        patient__contact_preference="sms", patient__phone="+16125550123"
    )
    notification = notifications.plan_for_appointment(
        appointment=appointment, kind=NotificationKind.REMINDER, due_at=timezone.now()
    )
    notifications.claim_due()
    assert notifications.send(notification.pk) == NotificationStatus.PENDING
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert "ValueError: gateway said: invalid credentials" in notification.last_error
    assert notification.due_at > timezone.now()


@pytestmark_db
def test_a_provider_down_for_three_hours_loses_nothing_and_fails_nothing(monkeypatch):
    start = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    recovers_at = start + dt.timedelta(hours=3)

    real_send = LocmemEmailBackend.send_messages

    def provider(self, messages):
        if timezone.now() < recovers_at:
            raise RuntimeError("503 provider unavailable")  # not an OSError
        return real_send(self, messages)

    monkeypatch.setattr(LocmemEmailBackend, "send_messages", provider)
    with time_machine.travel(start, tick=False) as clock:
        intake = make_intake()
        keys = []
        for n in range(19):  # one due every 10 minutes through the outage
            keys.append(
                plan_mail(
                    f"test:outage:{n}", due_at=start + dt.timedelta(minutes=10 * n), intake=intake
                ).key
            )
        mail.outbox = []
        for _minute in range(3 * 60 + 30):  # beat's dispatch, once a minute
            dispatch_once()
            clock.shift(dt.timedelta(minutes=1))

    rows = Notification.objects.filter(key__in=keys)
    assert not rows.filter(status=NotificationStatus.FAILED).exists()
    assert set(rows.values_list("status", flat=True)) == {NotificationStatus.SENT}
    counts = sent_keys()
    assert {key: counts[key] for key in keys} == dict.fromkeys(keys, 1)


@pytestmark_db
def test_the_outbox_admin_lists_why_a_message_failed():
    assert "last_error" in NotificationAdmin.list_display
    assert "resend" in NotificationAdmin.actions


# --- 3. Account emails keep no live link at rest -------------------------------------------------
@pytestmark_db
def test_no_password_reset_or_verification_link_is_stored_after_it_is_sent(client):
    email = "riley.runner@example.test"
    patient = PatientFactory(user__email=email)
    EmailAddress.objects.create(user=patient.user, email=email, verified=True, primary=True)
    client.post(reverse("account_reset_password"), {"email": email})
    client.post(
        reverse("account_signup"),
        {
            "email": "new.runner@example.test",
            "password1": "Tempo-2026-x",
            "password2": "Tempo-2026-x",
            "accept_privacy_notice": "on",
        },
    )
    planned = Notification.objects.filter(kind=NotificationKind.ACCOUNT)
    assert planned.count() == 2

    dispatch_once()

    bodies = [m.body for m in mail.outbox]
    assert any("/accounts/password/reset/key/" in b for b in bodies)
    assert any("/accounts/confirm-email/" in b for b in bodies)
    with connection.cursor() as cursor:
        cursor.execute("SELECT context::text FROM clinic_notification")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert "/accounts/password/reset/key/" not in stored
    assert "/accounts/confirm-email/" not in stored
    for row in planned:
        assert row.status == NotificationStatus.SENT
        # Which email and whose, nothing more: the link was made as it was sent.
        assert set(row.context) in (
            {"account_email", "user_id"},
            {"account_email", "email_address_id"},
        )


# --- 4. Plain text stays plain -------------------------------------------------------------------
@pytestmark_db
def test_plain_text_email_and_sms_are_not_html_escaped():
    location = LocationFactory(name="O'Brien & Sons Spine")
    by_mail = AppointmentFactory(location=location)
    by_text = AppointmentFactory(
        location=location, patient__contact_preference="sms", patient__phone="+16125550123"
    )
    for appointment in (by_mail, by_text):
        notifications.plan_for_appointment(
            appointment=appointment, kind=NotificationKind.REMINDER, due_at=timezone.now()
        )
    LocmemSMSBackend.outbox.clear()
    dispatch_once()

    [message] = [m for m in mail.outbox if m.to == [by_mail.patient.email]]
    assert "O'Brien & Sons Spine" in message.body
    assert "&amp;" not in message.body
    assert "&#x27;" not in message.body
    [(html, _)] = message.alternatives
    assert "O&#x27;Brien &amp; Sons Spine" in html  # HTML is still escaped
    [sms] = [s for s in LocmemSMSBackend.outbox if s["to"] == "+16125550123"]
    assert "O'Brien & Sons Spine" in sms["body"]


# --- 5. Broker errors never answer 500 -----------------------------------------------------------
@pytestmark_db
def test_a_redis_error_after_the_commit_does_not_answer_500(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    attempts = []

    def broken(*args, **kwargs):
        attempts.append(1)
        raise redis.exceptions.ResponseError("READONLY You can't write against a read only replica")

    monkeypatch.setattr(celery_app, "send_task", broken)
    client.raise_request_exception = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("account_signup"), NEW_ACCOUNT)
    assert callbacks
    assert attempts  # the nudge was tried after the commit, and its error swallowed
    assert response.status_code == 302
    assert Notification.objects.filter(
        kind=NotificationKind.ACCOUNT, status=NotificationStatus.PENDING
    ).exists()


@pytestmark_db
def test_a_broker_error_in_dispatch_leaves_the_rows_pending(monkeypatch):
    notification = plan_mail("test:broker")

    def broken(*args, **kwargs):
        raise redis.exceptions.ResponseError("OOM command not allowed")

    monkeypatch.setattr(tasks.send_notifications, "delay", broken)
    assert tasks.dispatch_due() == 0
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING


# --- 6. A backlog drains at the workers' pace ----------------------------------------------------
@pytestmark_db
def test_dispatch_queues_itself_again_while_full_batches_are_due(monkeypatch):
    monkeypatch.setattr(notifications, "DISPATCH_BATCH", 2)
    intake = make_intake()
    planned = {plan_mail(f"test:backlog:{n}", intake=intake).pk for n in range(5)}
    queued, redispatches = [], []
    monkeypatch.setattr(tasks.send_notifications, "delay", queued.extend)

    def again():
        redispatches.append(1)
        tasks.dispatch_due()

    monkeypatch.setattr(tasks.dispatch_due, "delay", again)
    tasks.dispatch_due()
    assert planned <= set(queued)
    assert len(queued) == len(set(queued))
    assert len(redispatches) >= 2


@pytestmark_db
def test_a_chunk_is_sent_in_one_task_and_each_row_only_once():
    intake = make_intake()
    planned = [plan_mail(f"test:chunk:{n}", intake=intake) for n in range(5)]
    ids = [n.pk for n in planned]
    claimed = notifications.claim_due()
    assert set(ids) <= set(claimed)

    assert tasks.send_notifications(ids) == 5
    assert tasks.send_notifications(ids) == 0  # redelivered: nothing sent twice
    statuses = set(Notification.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == {NotificationStatus.SENT}


@pytestmark_db
def test_after_a_gateway_failure_the_rest_of_the_chunk_waits_for_the_next_dispatch(monkeypatch):
    intake = make_intake()
    planned = [plan_mail(f"test:down:{n}", intake=intake) for n in range(4)]
    ids = [n.pk for n in planned]
    notifications.claim_due()
    tries = []

    def refuse(self, messages):
        tries.append(1)
        raise ConnectionRefusedError("gateway down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    assert tasks.send_notifications(ids) == 0

    assert len(tries) == 1  # one timeout spent on a dead gateway, not one per message
    rows = Notification.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", flat=True)) == {NotificationStatus.PENDING}
    assert sorted(rows.values_list("attempts", flat=True)) == [0, 0, 0, 1]
