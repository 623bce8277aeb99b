"""SMS backends, and what a patient's reply means. A gateway plugs in through SMS_BACKEND.

The interface: `send(*, to, body, timeout)`. `timeout` (seconds, settings.SMS_TIMEOUT) bounds
every network call the backend makes; `PermanentSMSError` means "this message can never go"
(a number the gateway refuses), any other exception "not sent, try again later".

Inbound: the gateway posts each text a patient sends to the webhook (clinic.views.sms_inbound,
which checks the gateway's signature); `handle_inbound` turns the carriers' standard keywords
into a recorded opt-out or opt-in.
"""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patients import consent

log = logging.getLogger(__name__)

# The carriers' (CTIA) standard keywords; matched on the whole message, any case.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})


class PermanentSMSError(Exception):
    """The gateway refused this message for good (an invalid or blocked number)."""


def handle_inbound(*, from_number: str, body: str) -> str | None:
    """Apply a keyword texted from `from_number` to every patient with that number; returns
    "opt_out", "opt_in" or None (any other text, kept by the gateway, changes nothing)."""
    word = (body or "").strip().upper()
    if word in STOP_WORDS:
        action = "opt_out"
    elif word in START_WORDS:
        action = "opt_in"
    else:
        return None
    with transaction.atomic():
        for patient in consent.patients_with_number(from_number).select_for_update():
            if action == "opt_out":
                consent.sms_opt_out(patient=patient, source=consent.Source.SMS_KEYWORD, detail=word)
            else:
                consent.sms_opt_in(patient=patient, source=consent.Source.SMS_KEYWORD, detail=word)
    return action


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


class TwilioSMSBackend:
    """Sends through Twilio's REST API with the official library: TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN and TWILIO_FROM from the environment; each request gives up after
    `timeout` seconds (the library's HTTP client, not the default of waiting forever)."""

    def send(self, *, to: str, body: str, timeout: float | None = None) -> None:
        # Imported here: the default file backend runs without the library.
        from twilio.base.exceptions import TwilioRestException
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=timeout or settings.SMS_TIMEOUT),
        )
        try:
            client.messages.create(to=to, from_=settings.TWILIO_FROM, body=body)
        except TwilioRestException as error:
            # 4xx but rate limiting: the request itself is wrong (bad number, opted out at
            # the carrier); trying again will not help. 5xx and 429 are worth another try.
            if 400 <= error.status < 500 and error.status != 429:
                raise PermanentSMSError(
                    f"Twilio {error.status} ({error.code}): {error.msg}"
                ) from error
            raise
