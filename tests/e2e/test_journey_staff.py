"""A staff member's journey on a desktop, in Chromium: signing in to the staff admin with a
password and an authenticator code, the triage queue (emergencies first), overriding a decision
with a reason, scheduling the imaging it now calls for, and the day sheet that shows it; the
front desk booking and cancelling for a patient who phoned.

axe-core checks the admin pages on their content region (`#content`) only: the header, sidebar
and breadcrumbs are Django's own admin templates, which we do not restyle; what we put on these
pages is all inside `#content`.
"""

import re
from base64 import b32decode

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clinic import roles
from clinic.models import Appointment, AppointmentStatus, User
from patients.models import Patient
from staff import enrolment
from tests.e2e.helpers import (
    assert_no_serious_violations,
    seed_demo_network,
    sign_in_staff,
    totp_code,
)
from tests.factories import make_intake
from tests.triage.strategies import baseline_answers
from triage import services as triage_services
from triage.models import Intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Queue-first-then-coffee-2026"
URGENCY_ORDER = ["Emergency", "Urgent", "Soon", "Routine"]


@pytest.fixture
def clinics(db):
    return seed_demo_network()


def make_staff(*, email: str, clinics, locations=("shakopee", "maple-grove")) -> User:
    """A triage clinician who also schedules, at Shakopee and Maple Grove."""
    user = User.objects.create_user(
        email, PASSWORD, first_name="Dana", last_name="Berg", is_staff=True
    )
    user.groups.set(Group.objects.filter(name__in=[roles.TRIAGE_CLINICIAN, roles.SCHEDULER]))
    user.locations.set([clinics[slug] for slug in locations])
    return user


@pytest.fixture
def staff(clinics):
    user = make_staff(email="dana.berg@backstride.test", clinics=clinics)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


@pytest.fixture
def physio_patient_intake(clinics) -> Intake:
    """Jordan Lee, signed up, whose intake at Shakopee came out physiotherapy, routine."""
    patient = Patient.objects.create(
        user=User.objects.create_user("jordan.lee@example.test", PASSWORD),
        first_name="Jordan",
        last_name="Lee",
        preferred_location=clinics["shakopee"],
    )
    return triage_services.intake_submit(
        answers=baseline_answers(**{f"sbst_{n}": True for n in range(1, 5)}),
        contact={"first_name": "Jordan", "last_name": "Lee", "email": patient.email, "phone": ""},
        runner_context={"weekly_distance_km": 60},
        preferred_location=clinics["shakopee"],
        patient=patient,
    )


# Django's own widgets inside #content, unchanged by us: the changelist's search bar labels its
# input with a magnifier icon only (axe: label-title-only).
DJANGO_WIDGETS = ["#changelist-search"]


def check_content(axe, page) -> None:
    assert_no_serious_violations(
        axe, page, context={"include": ["#content"], "exclude": DJANGO_WIDGETS}
    )


def test_staff_sign_in_triage_the_queue_override_a_decision_and_schedule_imaging(
    desktop_page, axe, clinics, staff, physio_patient_intake
):
    page = desktop_page
    # The newest intake is an emergency: it still comes first.
    make_intake(location=clinics["shakopee"], saddle_numbness=True)

    page.goto("/admin/login/")
    check_content(axe, page)
    sign_in_staff(
        page,
        email=staff.email,
        password=PASSWORD,
        code=totp_code(TOTPDevice.objects.get(user=staff)),
    )
    expect(page.get_by_role("heading", name="Clinic administration")).to_be_visible()
    check_content(axe, page)

    # The queue: emergencies first, then by urgency.
    page.goto("/admin/triage/intake/")
    check_content(axe, page)
    urgencies = page.locator("#result_list tbody td.field-urgency").all_inner_texts()
    assert urgencies[0] == "Emergency"
    assert urgencies == sorted(urgencies, key=URGENCY_ORDER.index)

    # Override Jordan's physiotherapy: the call found a likely bone stress injury.
    jordan = page.locator("#result_list tbody tr", has_text="Jordan Lee")
    jordan.get_by_role("link", name="Override").click()
    check_content(axe, page)
    page.get_by_label("New pathway").select_option(label="Imaging")
    page.get_by_label("New urgency").select_option(label="Soon")
    reason = "Painful single-leg hop on the phone call: suspected bone stress injury, MRI first."
    page.get_by_label("Reason for the override").fill(reason)
    page.get_by_role("button", name="Record the override").click()
    expect(page.locator(".messagelist")).to_contain_text("The decision was overridden.")
    check_content(axe, page)
    physio_patient_intake.refresh_from_db()
    decision = physio_patient_intake.current_decision
    assert (decision.pathway, decision.urgency, decision.override_reason) == (
        "imaging",
        "soon",
        reason,
    )
    assert decision.decided_by == staff

    # Schedule the MRI from the queue's schedule page, at Shakopee.
    page.goto("/admin/triage/intake/")
    jordan.get_by_role("link", name="Schedule").click()
    check_content(axe, page)
    expect(page.get_by_label("Location")).to_have_value("shakopee")
    first_time = page.locator('input[name="slot"]').first
    first_time.check()
    page.get_by_role("button", name="Book the chosen time").click()
    expect(page.locator(".messagelist")).to_contain_text("Booked:")
    check_content(axe, page)
    appointment = Appointment.objects.get(intake=physio_patient_intake)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.service.pathway == "imaging"
    assert appointment.booked_by == staff

    # The day sheet for that day at Shakopee lists it, in Shakopee's local time.
    local_start = appointment.start.astimezone(clinics["shakopee"].zone)
    page.goto("/admin/clinic/appointment/")
    check_content(axe, page)
    page.get_by_role("link", name="Day sheet").click()
    check_content(axe, page)
    page.get_by_label("Location").select_option("shakopee")
    page.get_by_label("Date").fill(local_start.date().isoformat())
    page.get_by_role("button", name="Show").click()
    row = page.locator(".bs-table tbody tr", has_text="Jordan Lee")
    expect(row).to_contain_text(f"{local_start:%H:%M}")
    expect(row).to_contain_text(appointment.service.name)
    expect(row).to_contain_text("Soon")
    check_content(axe, page)


def test_a_staff_member_sets_up_the_authenticator_only_through_an_administrators_link(
    desktop_page, axe, clinics
):
    page = desktop_page
    newcomer = make_staff(email="new.starter@backstride.test", clinics=clinics)

    # The password alone is refused like a wrong one, and sets nothing up.
    sign_in_staff(page, email=newcomer.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.get_by_role("alert")).to_contain_text("is not right")
    assert not TOTPDevice.objects.filter(user=newcomer).exists()

    # The link an administrator issued, then the password.
    _link, token = enrolment.link_issue(user=newcomer)
    page.goto(enrolment.link_path(token))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    check_content(axe, page)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(re.compile(r"/admin/two-factor/set-up/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    check_content(axe, page)
    # Not signed in yet: the admin still asks for the login.
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()

    # Added by hand in the app, from the key the page shows.
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6-digit code from the app").fill(f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="Confirm and sign in").click()

    expect(page.get_by_role("heading", name="Clinic administration")).to_be_visible()
    check_content(axe, page)
    assert TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()

    # The link is used up.
    page.goto(enrolment.link_path(token))
    expect(page.get_by_role("alert")).to_contain_text("This set-up link does not work")


def test_a_scheduler_books_and_cancels_a_visit_for_a_patient_who_phoned(
    desktop_page, axe, clinics, staff, physio_patient_intake
):
    page = desktop_page
    sign_in_staff(
        page,
        email=staff.email,
        password=PASSWORD,
        code=totp_code(TOTPDevice.objects.get(user=staff)),
    )
    page.goto("/admin/clinic/appointment/")
    page.get_by_role("link", name="Book for a patient").click()
    check_content(axe, page)

    page.get_by_label("Patient").fill("Lee")
    page.get_by_role("button", name="Search").click()
    check_content(axe, page)
    page.get_by_role("link", name="Book for Jordan Lee").click()

    page.get_by_label("Location").select_option("shakopee")
    page.get_by_role("button", name="Find free times").click()
    check_content(axe, page)
    first_time = page.locator('input[name="slot"]').first
    first_time.check()
    page.get_by_role("button", name="Book the chosen time").click()
    expect(page.locator(".messagelist")).to_contain_text("Booked:")
    check_content(axe, page)

    appointment = Appointment.objects.get(patient=physio_patient_intake.patient)
    assert (appointment.location.slug, appointment.booked_by) == ("shakopee", staff)
    physio_patient_intake.refresh_from_db()
    assert physio_patient_intake.status == Intake.Status.SCHEDULED

    # The visit's own page: cancel it, with the reason the patient gave on the phone.
    page.get_by_role("link", name="Cancel").click()
    check_content(axe, page)
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_text("Give a reason")).to_be_visible()
    page.get_by_label("Reason for cancelling").fill("Phoned: a race that weekend")
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.locator(".messagelist")).to_contain_text("Cancelled:")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
