"""The intake done with the keyboard alone: Tab and Shift+Tab to move, Space and the arrow keys
to answer, Enter to go on. No mouse click anywhere, from the home page to the result."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import MEDIUM_RISK, intake_answers, seed_demo_network

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80


def focused_matches(page: Page, selector: str) -> bool:
    return page.evaluate(
        "s => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def tab_to(page: Page, selector: str, *, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the focus is on an element matching `selector`."""
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if focused_matches(page, selector):
            return
    raise AssertionError(f"{key} never reached {selector} on {page.url}")


def answer_radio_group(page: Page, name: str, value: str) -> None:
    """Tab into the group, then Space on the first choice or the arrow keys to another one."""
    tab_to(page, f'input[type="radio"][name="{name}"]')
    focused = page.evaluate("document.activeElement.value")
    if focused == value:
        page.keyboard.press("Space")
    for _ in range(6):
        if focused == value:
            break
        page.keyboard.press("ArrowDown")
        focused = page.evaluate("document.activeElement.value")
    expect(page.locator(f'input[name="{name}"][value="{value}"]')).to_be_checked()


def choose_in_select(page: Page, name: str, value: str) -> None:
    tab_to(page, f'select[name="{name}"]')
    select = page.locator(f'select[name="{name}"]')
    for _ in range(20):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrow keys never chose {value} in {name}")


def answer_step_with_the_keyboard(page: Page, answers: dict[str, str]) -> None:
    """Every question of the step in the order Tab reaches them, then Enter on Continue."""
    names = page.eval_on_selector_all(
        "form.intake-step [name]:not([type=hidden])",
        "els => [...new Set(els.map(e => e.name))]",
    )
    for name in names:
        value = answers.get(name, "")
        if not value:
            continue  # an optional question left blank
        kind = page.locator(f'[name="{name}"]').first.evaluate("e => e.type")
        if kind == "radio":
            answer_radio_group(page, name, value)
        elif kind.startswith("select"):
            choose_in_select(page, name, value)
        else:
            tab_to(page, f'[name="{name}"]')
            page.keyboard.type(value)
    tab_to(page, "form.intake-step button[type=submit]")
    page.keyboard.press("Enter")


def test_the_intake_can_be_completed_with_the_keyboard_alone(desktop_page):
    page = desktop_page
    shakopee = seed_demo_network()["shakopee"]
    answers = intake_answers(location=shakopee, last_name="Runner", **MEDIUM_RISK)

    page.goto("/")
    tab_to(page, 'main a[href="/intake/"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your back pain")
    tab_to(page, "main a[href='/intake/step/about-you/']")
    page.keyboard.press("Enter")

    # Step 1, with a typo in the last name put right by going back with Shift+Tab.
    expect(page.get_by_text("Step 1 of 5", exact=True)).to_be_visible()
    tab_to(page, '[name="first_name"]')
    page.keyboard.type(answers["first_name"])
    tab_to(page, '[name="last_name"]')
    page.keyboard.type("Runnner")
    tab_to(page, '[name="email"]')
    page.keyboard.type(answers["email"])
    tab_to(page, '[name="last_name"]', key="Shift+Tab")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("Runner")
    typed = {"first_name": "", "last_name": "", "email": ""}  # the rest from here on
    answer_step_with_the_keyboard(page, {**answers, **typed})

    for number in range(2, 6):
        expect(page.get_by_text(f"Step {number} of 5", exact=True)).to_be_visible()
        answer_step_with_the_keyboard(page, answers)

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_text("Runner", exact=True)).to_be_visible()
    tab_to(page, "form[action='/intake/review/'] button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your result: Physical therapy (PT)")
