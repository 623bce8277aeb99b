"""Pages a person reaches first, in a real browser, checked with axe-core."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_on_a_phone_is_accessible_and_starts_the_check(phone_page, assert_accessible):
    phone_page.goto("/")
    assert phone_page.get_by_role("heading", level=1).is_visible()
    assert_accessible(phone_page)
    phone_page.get_by_role("link", name="Start the back-pain check").click()
    phone_page.wait_for_url("**/intake/**")


def test_the_skip_link_is_the_first_thing_the_keyboard_reaches(phone_page):
    phone_page.goto("/")
    phone_page.keyboard.press("Tab")
    focused = phone_page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    phone_page.keyboard.press("Enter")
    assert phone_page.evaluate("location.hash") == "#main"


def test_the_privacy_notice_is_reachable_from_every_page_and_accessible(
    phone_page, assert_accessible
):
    phone_page.goto("/")
    phone_page.get_by_role("link", name="Privacy notice").click()
    phone_page.wait_for_url("**/privacy-notice/")
    assert phone_page.get_by_role("heading", level=1, name="Privacy notice").is_visible()
    assert_accessible(phone_page)


def test_the_favicon_is_served(phone_page):
    response = phone_page.goto("/favicon.ico")
    assert response.status == 200
