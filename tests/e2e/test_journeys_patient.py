"""A patient's real journeys on a phone, in Chromium, with axe-core on every page visited.

1. New patient: the intake, a physiotherapy result, sign up, verify the email from the mail the
   outbox sent, book at Shakopee in its local time, add it to a calendar, cancel it.
2. Red flags: the emergency page, nothing to book, and the on-call team alerted.
4. The chosen time is taken by someone else before Confirm: a kind message and alternatives.

The live server runs in a thread of this process on the test's database, so the clock is not
frozen (it would stop the server's too): dates are chosen relative to now.
"""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from clinic import alerts, scheduling
from clinic.models import (
    Appointment,
    AppointmentStatus,
    Notification,
    NotificationKind,
    Practitioner,
    Service,
)
from clinic.scheduling import parse_slot_key
from tests.e2e.helpers import (
    MEDIUM_RISK,
    MailReader,
    can_run_a_worker,
    complete_intake,
    intake_answers,
    intake_id_from,
    seed_demo_network,
)
from tests.factories import PatientFactory, UserFactory, make_intake
from triage.models import Intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Long-run-on-Sunday-2026"
CHICAGO_ZONE_NAMES = re.compile(r"\b(CST|CDT)\b")


@pytest.fixture
def clinics(db):
    """The demo network: six Minnesota clinics, their services and practitioners' hours."""
    return seed_demo_network()


@pytest.fixture
def outbox(tmp_path):
    """Reads the mail the outbox sends: a real Celery worker's when Redis and PostgreSQL are
    there (as in `make test`), otherwise sent from the test thread."""
    if not can_run_a_worker():
        yield MailReader()
        return
    from tests.support.celery_worker import Worker

    email_dir = tmp_path / "mail"
    email_dir.mkdir()
    worker = Worker(email_dir=email_dir).start()
    try:
        yield MailReader(email_dir)
    finally:
        worker.stop()


def chicago_today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("America/Chicago")).date()


def test_a_new_patient_books_physiotherapy_at_shakopee_in_local_time_and_cancels_it(
    phone_page, assert_accessible, clinics, outbox
):
    page = phone_page
    shakopee = clinics["shakopee"]
    email = "alex.rivera@example.test"

    # The intake, from the home page.
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Start the back-pain check").click()
    answers = intake_answers(location=shakopee, email=email, first_name="Alex", **MEDIUM_RISK)
    complete_intake(page, answers=answers, check=assert_accessible)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result: Physical therapy (PT)")
    intake_id = intake_id_from(page)

    # Sign up to keep the result and book.
    page.get_by_role("link", name="Create an account").click()
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("I have read and accept the privacy notice").check()
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    assert_accessible(page)

    # The link in the verification mail.
    message = outbox.latest(to=email)
    page.goto(message.link("/accounts/confirm-email/"))
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()
    assert EmailAddress.objects.get(email=email).verified

    # Verified, then signed in: the intake taken before signing up is in the account.
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hello"))
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r": Physical therapy \(PT\)$")).click()
    expect(page).to_have_url(re.compile(f"/intake/result/{intake_id}/$"))
    assert_accessible(page)
    page.get_by_role("link", name="Book a physical therapy (PT) assessment").click()
    assert_accessible(page)

    # Times at Shakopee, from two days ahead (after the one-day change cutoff), in its zone.
    expect(page.get_by_label("Location")).to_have_value(shakopee.slug)
    page.get_by_label("From").fill((chicago_today() + dt.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Show times").click()
    expect(page.get_by_text(CHICAGO_ZONE_NAMES).first).to_be_visible()
    assert_accessible(page)
    # Each time says who it is with, on screen (not only for screen readers).
    expect(page.locator(".slot-picker label .slot-with").first).to_be_visible()
    expect(page.locator(".slot-picker label").first).to_contain_text(" with ")
    page.locator(".slot-picker label").first.click()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your appointment")
    assert_accessible(page)
    chosen = page.locator('input[name="slot"]').input_value()
    _, _, start = parse_slot_key(chosen)
    local = start.astimezone(shakopee.zone)
    shown = f"{local:%-I:%M %p} {local.tzname()}"
    expect(page.get_by_text(shown)).to_be_visible()
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("status")).to_contain_text("Your appointment is booked")
    expect(page.get_by_text(shown)).to_be_visible()
    assert_accessible(page)
    appointment = Appointment.objects.get(intake__public_id=intake_id)
    assert appointment.location == shakopee
    assert appointment.start == start

    with page.expect_download() as download:
        page.get_by_role("link", name="Add to my calendar (.ics)").click()
    ics = download.value.path().read_text()
    assert f"DTSTART;TZID=America/Chicago:{local:%Y%m%dT%H%M%S}" in ics

    # Cancel from My appointments (the menu is folded away on a phone).
    page.get_by_role("button", name="Show menu").click()
    page.get_by_role("link", name="My appointments").click()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Details, change or cancel")).click()
    assert_accessible(page)
    page.get_by_label("Reason (optional)").fill("Feeling better after a week off")
    page.get_by_role("button", name="Cancel this appointment").click()
    expect(page.get_by_role("status")).to_contain_text("Your appointment is cancelled")
    assert_accessible(page)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_saddle_numbness_sends_the_patient_to_the_emergency_department_and_alerts_on_call_staff(
    phone_page, assert_accessible, clinics
):
    page = phone_page
    maple_grove = clinics["maple-grove"]

    page.goto("/intake/")
    complete_intake(
        page,
        answers=intake_answers(location=maple_grove, saddle_numbness="yes"),
        check=assert_accessible,
    )

    expect(page.get_by_role("heading", level=1)).to_have_text("Go to an emergency department now")
    expect(page.get_by_role("alert")).to_contain_text("call 911")
    expect(page.get_by_role("link", name=re.compile("book", re.IGNORECASE))).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("book", re.IGNORECASE))).to_have_count(0)
    intake = Intake.objects.get(public_id=intake_id_from(page))
    # The demo rota has someone on call at every clinic now: the first contact gets it.
    first_on_call = alerts.on_call(maple_grove)[0]
    assert Notification.objects.filter(
        kind=NotificationKind.STAFF_ALERT, intake=intake, recipient=first_on_call.email
    ).exists()


def test_a_time_taken_by_someone_else_before_confirming_offers_three_nearby_times(
    phone_page, assert_accessible, clinics
):
    page = phone_page
    shakopee = clinics["shakopee"]
    patient = PatientFactory(
        user=UserFactory(email="sam.okafor@example.test", password=PASSWORD),
        preferred_location=shakopee,
    )
    EmailAddress.objects.create(user=patient.user, email=patient.user.email, verified=True)
    intake = physio_intake(patient=patient, location=shakopee)

    page.goto(f"/accounts/login/?next=/book/{intake.public_id}/")
    assert_accessible(page)
    page.get_by_label("Email").fill(patient.user.email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a physiotherapy assessment")
    assert_accessible(page)
    page.get_by_label("From").fill((chicago_today() + dt.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Show times").click()
    page.locator(".slot-picker label").first.click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your appointment")
    assert_accessible(page)

    # Meanwhile, someone else books the same time.
    practitioner_id, _, start = parse_slot_key(page.locator('input[name="slot"]').input_value())
    other = PatientFactory(preferred_location=shakopee)
    scheduling.appointment_book(
        patient=other,
        service=Service.objects.get(slug="physio-assessment"),
        location=shakopee,
        practitioner=Practitioner.objects.get(pk=practitioner_id),
        start=start,
        intake=physio_intake(patient=other, location=shakopee),
        booked_by=other.user,
    )

    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("alert")).to_contain_text("someone booked that time a moment ago")
    alternatives = page.get_by_role("list", name="Nearest free times").get_by_role("link")
    expect(alternatives).to_have_count(3)
    expect(alternatives.first).to_contain_text("Shakopee")
    expect(alternatives.first).to_contain_text(CHICAGO_ZONE_NAMES)
    assert_accessible(page)
    assert not Appointment.objects.filter(patient=patient).exists()


def physio_intake(*, patient, location) -> Intake:
    """A medium-risk intake (physiotherapy, routine) in the patient's account."""
    return make_intake(
        location=location, patient=patient, **{f"sbst_{n}": True for n in range(1, 5)}
    )
