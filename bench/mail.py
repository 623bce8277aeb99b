"""An email backend for the benchmarks: one line per message, nothing else kept.

Each line is the message's X-Backstride-Notification header (the outbox row's unique key), so
counting lines per key shows duplicates and losses. Lines are appended with O_APPEND in one
write each, so the Celery pool's processes can share the file.
"""

import os

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class NotificationLogBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        lines = "".join(
            f"{message.extra_headers.get('X-Backstride-Notification', '-')}\n"
            for message in email_messages
        )
        path = settings.BENCH_MAIL_LOG
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, lines.encode())
        finally:
            os.close(descriptor)
        return len(email_messages)
