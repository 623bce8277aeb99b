"""Run in a subprocess by tests/clinic/test_outbox_resilience.py, on a fresh SQLite file.

An SMTP server accepts connections and never answers. While sends hang on it, other writes
must go through at once (no transaction is open during the send); each hung send gives up
after EMAIL_TIMEOUT and is recorded; after the server recovers every due message is sent
exactly once. Prints one JSON line with what it saw.
"""

import collections
import datetime as dt
import json
import socket
import threading
import time

import django

django.setup()

import time_machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from clinic import notifications  # noqa: E402
from clinic.models import Location, Notification, NotificationStatus  # noqa: E402
from tests.factories import make_intake  # noqa: E402


class SilentSMTPServer:
    """Accepts every connection and never says a word."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
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


def main() -> dict:
    assert connection.vendor == "sqlite", connection.vendor
    call_command("migrate", verbosity=0)
    server = SilentSMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    planned = []
    for n in range(3):
        intake = make_intake()
        planned.append(
            notifications.plan(
                key=f"test:hang:{n}",
                kind="self_care_check_in",
                recipient=intake.email,
                template="notifications/self_care_check_in",
                due_at=timezone.now(),
                intake=intake,
            ).pk
        )
    ids = notifications.claim_due()
    assert sorted(ids) == sorted(planned), (ids, planned)

    outcomes = {}

    def hung_sender():
        try:
            for notification_id in ids:
                started = time.monotonic()
                outcomes[notification_id] = (
                    notifications.send(notification_id),
                    time.monotonic() - started,
                )
        finally:
            connections.close_all()

    sender = threading.Thread(target=hung_sender)
    sender.start()
    assert server.accepted.wait(10), "the sender never connected"

    # While the send hangs: sessions are saved (every page does) and staff edit a location.
    write_seconds = []
    location = Location.objects.first()
    while sender.is_alive():
        started = time.monotonic()
        store = SessionStore()
        store["seen"] = True
        store.save()
        Location.objects.filter(pk=location.pk).update(phone=f"(952) 555-{len(write_seconds):04d}")
        write_seconds.append(time.monotonic() - started)
        time.sleep(0.1)
    sender.join()

    after_hang = {
        n.pk: {"status": n.status, "attempts": n.attempts, "last_error": n.last_error}
        for n in Notification.objects.filter(pk__in=ids)
    }

    # The server recovers. Dispatch runs every minute, as beat would; each due row goes once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    now = timezone.now()
    for minute in range(1, 30):
        with time_machine.travel(now + dt.timedelta(minutes=minute)):
            notifications.requeue_stuck()
            for notification_id in notifications.claim_due():
                notifications.send(notification_id)
                notifications.send(notification_id)  # a redelivered task does nothing
    keys = collections.Counter(m.extra_headers["X-Backstride-Notification"] for m in mail.outbox)
    return {
        "email_timeout": settings.EMAIL_TIMEOUT,
        "outcomes": {str(k): v for k, v in outcomes.items()},
        "write_seconds": write_seconds,
        "after_hang": {str(k): v for k, v in after_hang.items()},
        "statuses": sorted(
            Notification.objects.filter(pk__in=ids).values_list("status", flat=True)
        ),
        "sent_per_key": sorted(keys.values()),
        "keys": len(keys),
        "sent_status": NotificationStatus.SENT,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
