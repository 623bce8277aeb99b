"""SMS backends. A real gateway plugs in through the SMS_BACKEND setting.

The interface: `send(*, to, body, timeout)`. `timeout` (seconds, settings.SMS_TIMEOUT) bounds
every network call the backend makes; any exception means "not sent, try again later".
"""

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class FileSMSBackend:
    """Writes each message as a JSON line under SMS_FILE_PATH, for people to read in a demo."""

    def send(self, *, to: str, body: str, timeout: float | None = None) -> None:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "messages.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps({"to": to, "body": body, "at": timezone.now().isoformat()}) + "\n")


class ConsoleSMSBackend:
    def send(self, *, to: str, body: str, timeout: float | None = None) -> None:
        print(f"SMS to {to}: {body}")


class LocmemSMSBackend:
    """Keeps messages in memory, like Django's locmem mail backend, for tests."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str, timeout: float | None = None) -> None:
        self.outbox.append({"to": to, "body": body})
