"""Mail backend for tests that run a real Celery worker in another process."""

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend


class SlowFileEmailBackend(EmailBackend):
    """Django's file backend, optionally slowed by TEST_EMAIL_DELAY seconds per message, so
    a test can kill the worker while a batch is being sent.

    While a slowed message waits, a `sending-<pid>` file in the mail folder says so: a test
    kills the worker only when every pool process is inside that wait, never in the few
    milliseconds between a message leaving and its row being marked sent (see
    clinic.notifications.send).
    """

    def send_messages(self, email_messages):
        delay = float(os.environ.get("TEST_EMAIL_DELAY", "0"))
        if not delay:
            return super().send_messages(email_messages)
        marker = Path(self.file_path) / f"sending-{os.getpid()}"
        marker.touch()
        try:
            time.sleep(delay)
        finally:
            marker.unlink(missing_ok=True)
        return super().send_messages(email_messages)
