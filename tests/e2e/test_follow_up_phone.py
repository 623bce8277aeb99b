"""A runner answers the 6-week follow-up from the link in the message, on a phone, then sees it
on their own progress page; axe-core on every page visited. The live server's clock runs, so
the intake is made now and its link opened at once."""

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from clinic.models import Notification
from outcomes import series
from outcomes.models import FollowUp, FollowUpAnswer
from tests.e2e.helpers import fill_step
from tests.factories import LocationFactory, PatientFactory, UserFactory
from tests.outcomes.test_follow_ups import answers, runner_intake

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Long-run-on-Sunday-2026"


def test_a_runner_answers_a_follow_up_on_a_phone_and_sees_it_charted(phone_page, assert_accessible):
    page = phone_page
    user = UserFactory(email="ria.runner@example.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True)
    intake = runner_intake(
        location=LocationFactory(), patient=PatientFactory(user=user), pain_score=7
    )
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_6)
    link = Notification.objects.get(key=f"follow-up:{follow_up.public_id}")
    path = re.sub(r"^https?://[^/]+", "", link.context["follow_up_url"])

    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("How is your back?")
    assert_accessible(page)
    fill_step(
        page,
        answers(pain_score="3", impression="much_better", runs_again="yes", running_share="75"),
    )
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert_accessible(page)

    answer = FollowUpAnswer.objects.get(follow_up=follow_up)
    assert (answer.pain_score, answer.running_share, answer.impression) == (3, 75, "much_better")
    assert series.follow_up_id_from_token(path.strip("/").split("/")[-1]) == str(
        follow_up.public_id
    )

    page.goto(f"/accounts/login/?next=/follow-up/progress/{intake.public_id}/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How you are doing")
    expect(page.locator("#chart-trajectory-pain-heading + svg")).to_contain_text(
        "3 of 10, much better"
    )
    expect(page.locator("table.bs-trajectory")).to_contain_text("75%")
    assert_accessible(page)
