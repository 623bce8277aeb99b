"""Shared steps of the browser journeys.

- `intake_answers` and `complete_intake`: the five intake steps filled in as a person would, from
  the intake's start page to the result page;
- `MailReader`: the newest mail the notification outbox sent to an address, whether a real
  Celery worker sent it (mail files in a folder) or the test thread drove the outbox itself;
- `seed_demo_network`: the demo clinics, as `manage.py seed_demo` makes them;
- `sign_in_staff`, `totp_code`: the staff admin's password-and-code sign-in;
- `assert_no_serious_violations`: axe-core on part of a page (the Django admin's own chrome is
  not ours to fix, so staff pages are checked on their content region).
"""

import importlib
import io
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path

from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from clinic import notifications
from clinic.models import Location, NotificationStatus

# --- The intake --------------------------------------------------------------------------------

# What a person with an ordinary sore back answers: No to every warning sign, no leg symptoms,
# Disagree to every STarT Back statement. The engine puts this on the self-care pathway.
CALM_ANSWERS: dict[str, str] = {
    "first_name": "Riley",
    "last_name": "Runner",
    "email": "riley.runner@example.test",
    "phone": "",
    "age": "34",
    "weekly_distance": "25",  # miles, the default unit
    "years_running": "6",
    "shoe_age_months": "5",
    "recent_race": "no",
    "pain_duration_weeks": "3",
    "pain_score": "5",
    "first_episode": "no",
    "leg_pain_below_knee": "no",
    "both_legs": "no",
    "leg_numbness": "no",
    "leg_weakness": "none",
    "trauma": "none",
    "load_increase": "no",
    "hop_pain": "no",
    "saddle_numbness": "no",
    "bladder_bowel_change": "no",
    "fever": "no",
    "cancer_history": "no",
    "weight_loss": "no",
    "immunosuppressed": "no",
    "iv_drug_use": "no",
    "night_pain": "no",
    "osteoporosis": "no",
    "steroids": "no",
    **{f"sbst_{n}": "disagree" for n in range(1, 9)},
    "sbst_9": "slightly",
    "conservative_care_weeks": "0",
    "open_to_procedure": "no",
}

# Protocol section 3: agreeing to items 1-4 only gives a total of 4 and a psychosocial score of
# 0, which is medium risk: physiotherapy, routine.
MEDIUM_RISK = {f"sbst_{n}": "agree" for n in range(1, 5)}


def intake_answers(*, location, **overrides: str) -> dict[str, str]:
    """Every field of the five steps as the form's own strings, with `overrides` applied."""
    unknown = set(overrides) - set(CALM_ANSWERS)
    if unknown:
        raise ValueError(f"not intake fields: {sorted(unknown)}")
    return {**CALM_ANSWERS, "preferred_location": str(location.pk), **overrides}


def fill_step(page: Page, answers: dict[str, str]) -> None:
    """Answer every question of the current step that `answers` has a value for."""
    for name, value in answers.items():
        field = page.locator(f'[name="{name}"]')
        if field.count() == 0:
            continue  # asked in another step
        kind = field.first.evaluate("e => e.type || e.tagName.toLowerCase()")
        if kind == "radio":
            page.locator(f'input[name="{name}"][value="{value}"]').check()
        elif kind.startswith("select"):
            field.select_option(value)
        else:
            field.fill(value)


def complete_intake(
    page: Page, *, answers: dict[str, str], check: Callable[[Page], None] | None = None
) -> None:
    """From the intake's start page to the result: each step answered, then the answers sent.

    `check` (e.g. the axe-core assertion) runs on every page on the way, the result included.
    """
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your back pain")
    _check(page, check)
    page.get_by_role("link", name="Start the check").click()
    for number in range(1, 6):
        expect(page.get_by_text(f"Step {number} of 5", exact=True)).to_be_visible()
        _check(page, check)
        fill_step(page, answers)
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    _check(page, check)
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(re.compile(r"/intake/result/[0-9a-f-]{36}/$"))
    _check(page, check)


def _check(page: Page, check: Callable[[Page], None] | None) -> None:
    if check is not None:
        check(page)


def intake_id_from(page: Page) -> str:
    """The intake's public id, from a result page's address."""
    match = re.search(r"/intake/result/([0-9a-f-]{36})/", page.url)
    assert match, page.url
    return match.group(1)


# --- Mail from the outbox ---------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str

    def link(self, path_start: str) -> str:
        """The path (and query) of the first link in the text that starts with `path_start`."""
        match = re.search(rf"https?://[^/\s]+({re.escape(path_start)}[^\s\"<>]*)", self.body)
        assert match, f"no link to {path_start} in:\n{self.body}"
        return match.group(1)


def can_run_a_worker() -> bool:
    """A real Celery worker needs the suite's Redis and a database another process can open."""
    return bool(os.environ.get("REDIS_URL")) and connection.vendor == "postgresql"


class MailReader:
    """The newest mail sent to an address.

    With `email_dir` a real Celery worker sends (Django's file mail backend writes one file per
    connection there) and this only reads; without it, this does what the worker would: claim
    the due rows of the outbox and send each one, into `django.core.mail.outbox`. The live server
    shares the test's database either way, so both see what the pages planned.
    """

    def __init__(self, email_dir: Path | None = None, *, timeout: float = 90.0):
        self.email_dir = email_dir
        self.timeout = timeout

    def latest(self, *, to: str) -> Mail:
        deadline = time.monotonic() + self.timeout
        while True:
            found = [m for m in self._sent() if m.to == to]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to} within {self.timeout:.0f} s")
            # Waiting for another process (the worker) to write the file; nothing in the
            # browser waits on this.
            time.sleep(0.1)

    def _sent(self) -> list[Mail]:
        if self.email_dir is None:
            for notification_id in notifications.claim_due():
                assert notifications.send(notification_id) == NotificationStatus.SENT
            return [
                Mail(to=", ".join(m.to), subject=m.subject, body=m.body)
                for m in getattr(mail, "outbox", [])
            ]
        sent = []
        for path in sorted(self.email_dir.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            for chunk in path.read_bytes().split(b"-" * 79):
                if chunk.strip():
                    sent.append(_parsed(message_from_bytes(chunk.strip())))
        return sent


def _parsed(message: Message) -> Mail:
    text = message
    if message.is_multipart():
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode(text.get_content_charset() or "utf-8")
    return Mail(to=message["To"], subject=str(message["Subject"]), body=body)


# --- Data -------------------------------------------------------------------------------------


def seed_demo_network() -> dict:
    """The demo network of `manage.py seed_demo` (six Minnesota clinics with services,
    practitioners' hours, demo logins and a few intakes), by location slug."""
    ensure_staff_groups()
    call_command("seed_demo", stdout=io.StringIO())
    return {location.slug: location for location in Location.objects.all()}


# --- Staff ------------------------------------------------------------------------------------


def ensure_staff_groups() -> None:
    """The staff roles of migration clinic 0004. A transactional test empties every table when
    it ends, including the rows data migrations made, so the next one puts them back."""
    migration = importlib.import_module("clinic.migrations.0004_staff_groups")
    migration.create_groups(apps, None)


def totp_code(device) -> str:
    """The code the staff member's authenticator app shows now for `device`."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def sign_in_staff(page: Page, *, email: str, password: str, code: str = "") -> None:
    page.goto("/admin/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Sign in").click()


def assert_no_serious_violations(axe, page: Page, *, context: str | dict | None = None) -> None:
    """axe-core on `context` (a CSS selector, or axe's {"include": [...], "exclude": [...]}; the
    whole page when None): no serious or critical violations."""
    results = axe.run(page, context=context)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url} ({context or 'whole page'}): " + "; ".join(bad)
