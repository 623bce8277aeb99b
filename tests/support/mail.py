"""Mail backend for tests that run a real Celery worker in another process."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileEmailBackend(EmailBackend):
    """Django's file backend, optionally slowed by TEST_EMAIL_DELAY seconds per message, so
    a test can kill the worker while a batch is being sent."""

    def send_messages(self, email_messages):
        delay = float(os.environ.get("TEST_EMAIL_DELAY", "0"))
        if delay:
            time.sleep(delay)
        return super().send_messages(email_messages)
