"""In Chromium: a clinician acknowledges an emergency alert from its row in the triage queue, and
an urgent case overdue for contact stands out, in words, right below it."""

import datetime as dt

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clinic.models import StaffAlert
from tests.e2e.helpers import seed_demo_network, sign_in_staff, totp_code
from tests.e2e.test_journey_staff import PASSWORD, check_content, make_staff
from tests.factories import make_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinics(db):
    return seed_demo_network()


def test_a_clinician_acknowledges_an_alert_from_the_queue_row(desktop_page, axe, clinics):
    page = desktop_page
    staff = make_staff(email="dana.berg@backstride.test", clinics=clinics)
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    # The demo emergency at Maple Grove is waiting; an urgent case at Shakopee is past its
    # contact-by time.
    emergency = StaffAlert.objects.get(location=clinics["maple-grove"], urgency="emergency")
    urgent = make_intake(location=clinics["shakopee"], weight_loss=True)
    StaffAlert.objects.filter(intake=urgent).update(
        contact_by=timezone.now() - dt.timedelta(hours=2)
    )

    sign_in_staff(page, email=staff.email, password=PASSWORD, code=totp_code(device))
    page.goto("/admin/triage/intake/")
    rows = page.locator("#result_list tbody tr")
    expect(rows.nth(0)).to_contain_text("Chris Halloran")
    expect(rows.nth(0)).to_contain_text("Not acknowledged")
    expect(rows.nth(1)).to_contain_text("Contact overdue")
    expect(rows.nth(1).get_by_role("link", name="Record contact")).to_be_visible()
    check_content(axe, page)

    rows.nth(0).get_by_role("button", name="Acknowledge the alert for Chris Halloran").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "The emergency alert at Maple Grove is acknowledged: you are handling this case."
    )
    assert page.url.endswith("/admin/triage/intake/")  # back on the queue
    chris = page.locator("#result_list tbody tr", has_text="Chris Halloran")
    expect(chris).not_to_contain_text("Not acknowledged")
    expect(chris.get_by_role("button", name="Acknowledge")).to_have_count(0)
    emergency.refresh_from_db()
    assert (emergency.status, emergency.acknowledged_by) == ("acknowledged", staff)
