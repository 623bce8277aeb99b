"""Alerts in the triage queue itself: an unacknowledged alert shows and is acknowledged from its
row; urgent cases overdue for contact come next after unacknowledged emergencies, in words."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from clinic import alerts, roles
from clinic.models import ContactOutcome, StaffAlert
from tests.factories import LocationFactory, admin_login, make_intake, make_staff
from triage.models import Intake

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:triage_intake_changelist")
FRIDAY_NIGHT = dt.datetime(2027, 1, 16, 4, 0, tzinfo=dt.UTC)  # Friday 22:00 in Minnesota
EMERGENCY = {"saddle_numbness": True}  # R1
URGENT = {"cancer_history": True}  # R6
SOON = {"load_increase": True, "hop_pain": True}  # R14


@pytest.fixture
def delano():
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def clinician(chaska):
    return make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[chaska])


def intake_for(first_name, *, location, **answers) -> Intake:
    intake = make_intake(location=location, **answers)
    Intake.objects.filter(pk=intake.pk).update(first_name=first_name)
    intake.refresh_from_db()
    return intake


def alert_of(intake) -> StaffAlert:
    return StaffAlert.objects.get(intake=intake)


def ack_url(alert) -> str:
    return reverse("admin:clinic_staffalert_acknowledge", args=[alert.pk])


def listed(response) -> list[int]:
    return [intake.pk for intake in response.context["cl"].result_list]


def changelist_form(page: str) -> str:
    start = page.index('<form id="changelist-form"')
    return page[start : page.index("</form>", start)]


def test_an_unacknowledged_alert_is_acknowledged_from_its_queue_row(client, chaska, clinician):
    intake = intake_for("Emergency", location=chaska, **EMERGENCY)
    alert = alert_of(intake)
    admin_login(client, clinician)

    page = client.get(QUEUE).content.decode()
    form = changelist_form(page)  # the button posts the queue's form, with its CSRF token
    assert "Not acknowledged" in form
    assert f'formaction="{ack_url(alert)}" formmethod="post"' in form
    assert "csrfmiddlewaretoken" in form

    filtered = f"http://testserver{QUEUE}?urgency=emergency"
    response = client.post(ack_url(alert), HTTP_REFERER=filtered)
    assert response.status_code == 302
    assert response.url == filtered  # back to the queue as it was
    shown = client.get(response.url).content.decode()
    assert "The emergency alert at Chaska is acknowledged: you are handling this case." in shown
    assert "Not acknowledged" not in shown

    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (StaffAlert.Status.ACKNOWLEDGED, clinician)
    assert alert.events.get(kind="acknowledged").actor == clinician  # the audit trail
    assert alerts.alerts_escalate(now=alert.created_at + dt.timedelta(hours=1)) == 0


def test_a_second_acknowledgement_says_who_already_took_it(client, chaska, clinician):
    alert = alert_of(make_intake(location=chaska, **EMERGENCY))
    colleague = make_staff(roles=[roles.SCHEDULER], locations=[chaska], first_name="Robin")
    alerts.alert_acknowledge(alert=alert, actor=colleague)
    admin_login(client, clinician)

    shown = client.post(ack_url(alert), follow=True).content.decode()

    assert "was already acknowledged by" in shown
    alert.refresh_from_db()
    assert alert.acknowledged_by == colleague
    assert alert.events.filter(kind="acknowledged").count() == 1


def test_acknowledging_takes_a_post_with_the_csrf_token(chaska, clinician):
    alert = alert_of(make_intake(location=chaska, **EMERGENCY))
    strict = Client(enforce_csrf_checks=True)
    admin_login(strict, clinician)

    assert strict.get(ack_url(alert)).status_code == 405
    assert strict.post(ack_url(alert)).status_code == 403  # no CSRF token
    alert.refresh_from_db()
    assert alert.status == StaffAlert.Status.OPEN

    page = strict.get(QUEUE).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert strict.post(ack_url(alert), {"csrfmiddlewaretoken": token}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == StaffAlert.Status.ACKNOWLEDGED


def test_staff_of_another_location_get_a_404_but_any_clinician_may_take_an_emergency(
    client, chaska, delano
):
    emergency = alert_of(make_intake(location=chaska, **EMERGENCY))
    urgent = alert_of(make_intake(location=chaska, **URGENT))
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[delano]))
    assert client.post(ack_url(emergency)).status_code == 404
    assert client.post(ack_url(urgent)).status_code == 404
    assert (
        client.post(reverse("admin:clinic_staffalert_acknowledge", args=[999999])).status_code
        == 404
    )

    delano_clinician = make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[delano])
    admin_login(client, delano_clinician)
    assert client.post(ack_url(urgent)).status_code == 404  # urgent cases stay with their location
    assert client.post(ack_url(emergency)).status_code == 302
    emergency.refresh_from_db()
    urgent.refresh_from_db()
    assert emergency.acknowledged_by == delano_clinician
    assert urgent.status == StaffAlert.Status.OPEN


def test_a_patient_is_sent_to_the_staff_sign_in(client, chaska):
    alert = alert_of(make_intake(location=chaska, **EMERGENCY))
    client.force_login(make_staff(is_staff=False))
    response = client.post(ack_url(alert))
    assert response.status_code == 302
    assert "/admin/login/" in response.url
    alert.refresh_from_db()
    assert alert.status == StaffAlert.Status.OPEN


def test_overdue_urgent_cases_come_after_unacknowledged_emergencies_marked_in_words(
    client, chaska, clinician
):
    with time_machine.travel(FRIDAY_NIGHT, tick=False) as clock:
        handled = intake_for("Handled", location=chaska, **EMERGENCY)
        alerts.alert_acknowledge(alert=alert_of(handled), actor=clinician)
        overdue = intake_for("Overdue", location=chaska, **URGENT)  # due Monday 22:00
        clock.shift(dt.timedelta(days=3, hours=1))  # Monday 23:00: one working day has passed
        fresh = intake_for("Fresh", location=chaska, **URGENT)
        soon = intake_for("Soon", location=chaska, **SOON)
        waiting = intake_for("Waiting", location=chaska, **EMERGENCY)
        admin_login(client, clinician)
        response = client.get(QUEUE)

        assert listed(response) == [waiting.pk, overdue.pk, handled.pk, fresh.pk, soon.pk]
        page = response.content.decode()
        assert page.count("Contact overdue") == 1
        assert "due Mon 18 Jan 22:00 CST" in page
        contact = reverse("admin:clinic_staffalert_contact", args=[alert_of(overdue).pk])
        assert f'<a href="{contact}">Record contact</a>' in page

        # Recording the call clears it: the case goes back to its place by urgency and age.
        alerts.alert_record_contact(
            alert=alert_of(overdue), actor=clinician, outcome=ContactOutcome.SPOKE
        )
        after = client.get(QUEUE)
        assert listed(after) == [waiting.pk, handled.pk, overdue.pk, fresh.pk, soon.pk]
        assert "Contact overdue" not in after.content.decode()


def test_pages_go_on_from_the_alerted_intakes_to_the_rest_without_gaps_or_repeats(
    client, chaska, clinician, monkeypatch
):
    from staff.intakes import IntakeAdmin

    monkeypatch.setattr(IntakeAdmin, "list_per_page", 2)
    with time_machine.travel(FRIDAY_NIGHT, tick=False) as clock:
        first_overdue = intake_for("OverdueOne", location=chaska, **URGENT)
        clock.shift(dt.timedelta(minutes=1))
        second_overdue = intake_for("OverdueTwo", location=chaska, **URGENT)
        clock.shift(dt.timedelta(days=3, hours=1))
        soon = []
        for n in range(3):
            clock.shift(dt.timedelta(minutes=1))
            soon.append(intake_for(f"Soon{n}", location=chaska, **SOON))
        waiting = intake_for("Waiting", location=chaska, **EMERGENCY)
        admin_login(client, clinician)
        pages = [listed(client.get(QUEUE, {"p": n})) for n in (1, 2, 3)]

    assert pages == [
        [waiting.pk, first_overdue.pk],
        [second_overdue.pk, soon[0].pk],
        [soon[1].pk, soon[2].pk],
    ]
