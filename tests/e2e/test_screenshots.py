"""The README's screenshots of the main pages, taken from the demo data in a real browser.

Runs only with SAVE_SCREENSHOTS=1 (it writes into docs/screenshots/):

    SAVE_SCREENSHOTS=1 .venv/bin/pytest tests/e2e/test_screenshots.py
"""

import datetime as dt
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clinic.demo_data import catalogue
from clinic.models import User
from tests.e2e.helpers import (
    MEDIUM_RISK,
    fill_step,
    intake_answers,
    seed_demo_network,
    sign_in_staff,
    totp_code,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("SAVE_SCREENSHOTS") != "1", reason="set SAVE_SCREENSHOTS=1 to write them"
    ),
]

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_PATIENT = "patient@backstride.test"
DEMO_TRIAGE = "triage@backstride.test"


def test_screenshots_of_the_main_pages(phone_page, desktop_page):
    FOLDER.mkdir(parents=True, exist_ok=True)
    clinics = seed_demo_network()
    page = phone_page

    page.goto("/")
    page.screenshot(path=FOLDER / "home.png")

    # Signed in as the demo patient, so the result offers booking.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(DEMO_PATIENT)
    page.get_by_label(re.compile(r"^Password:?$")).fill(catalogue.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    answers = intake_answers(
        location=clinics["shakopee"],
        first_name="Jamie",
        last_name="Lindgren",
        email=DEMO_PATIENT,
        **MEDIUM_RISK,
    )
    page.goto("/intake/step/about-you/")
    fill_step(page, answers)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 5", exact=True)).to_be_visible()
    page.screenshot(path=FOLDER / "intake-step.png")
    for _ in range(4):
        fill_step(page, answers)
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result: Physical therapy (PT)")
    page.screenshot(path=FOLDER / "result.png")

    page.get_by_role("link", name="Book a physical therapy (PT) assessment").click()
    monday = next_weekday(0)
    page.get_by_label("From").fill(monday.isoformat())
    page.get_by_role("button", name="Show times").click()
    page.locator(".slot-picker label").first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your appointment")
    page.screenshot(path=FOLDER / "booking.png")

    staff = User.objects.get(email=DEMO_TRIAGE)
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    sign_in_staff(
        desktop_page, email=DEMO_TRIAGE, password=catalogue.DEMO_PASSWORD, code=totp_code(device)
    )
    desktop_page.goto("/admin/triage/intake/")
    expect(desktop_page.locator("#result_list")).to_be_visible()
    desktop_page.screenshot(path=FOLDER / "staff-queue.png")


def next_weekday(weekday: int) -> dt.date:
    """The next such weekday in Minnesota, at least two days ahead."""
    day = dt.datetime.now(ZoneInfo(catalogue.TIME_ZONE)).date() + dt.timedelta(days=2)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)
