"""Alert figures per location and month: emergencies acknowledged within 15 minutes, urgent
cases contacted within 1 working day, median times; in each location's zone; scoped."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic import alert_figures, alerts, roles
from clinic.models import ContactOutcome, StaffAlert
from tests.factories import LocationFactory, StaffFactory, admin_login, make_intake, make_staff

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2026, 4, 20, 17, 0, tzinfo=UTC)  # Monday 12:00 in Minnesota (CDT)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def delano():
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def clinician(chaska, delano):
    return make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[chaska, delano])


@pytest.fixture
def manager(chaska):
    return make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska])


def raised(when, location, **answers) -> StaffAlert:
    with time_machine.travel(when, tick=False):
        intake = make_intake(location=location, **answers)
    return StaffAlert.objects.get(intake=intake)


def emergency(when, location, *, acknowledged_after=None, by=None) -> StaffAlert:
    alert = raised(when, location, saddle_numbness=True)
    if acknowledged_after is not None:
        with time_machine.travel(when + acknowledged_after, tick=False):
            alerts.alert_acknowledge(alert=alert, actor=by)
    return alert


def urgent(when, location, *, contacted_after=None, by=None) -> StaffAlert:
    alert = raised(when, location, weight_loss=True)  # R9: imaging, urgent
    if contacted_after is not None:
        with time_machine.travel(when + contacted_after, tick=False):
            alerts.alert_record_contact(alert=alert, actor=by, outcome=ContactOutcome.SPOKE)
    return alert


@pytest.fixture
def history(chaska, delano, clinician):
    """April and the end of March at Chaska, one April emergency at Delano."""
    # Emergencies in April: met (10 min), missed (40 min), never acknowledged (a miss), raised
    # five minutes ago (pending).
    emergency(
        dt.datetime(2026, 4, 6, 14, 0, tzinfo=UTC),
        chaska,
        acknowledged_after=10 * MIN,
        by=clinician,
    )
    emergency(
        dt.datetime(2026, 4, 8, 14, 0, tzinfo=UTC),
        chaska,
        acknowledged_after=40 * MIN,
        by=clinician,
    )
    emergency(dt.datetime(2026, 4, 10, 14, 0, tzinfo=UTC), chaska)
    emergency(NOW - 5 * MIN, chaska)
    # 1 April 03:00 UTC is still 31 March, 22:00 in Chaska: a March emergency, met in 5 minutes.
    emergency(
        dt.datetime(2026, 4, 1, 3, 0, tzinfo=UTC), chaska, acknowledged_after=5 * MIN, by=clinician
    )
    # Urgent cases (submitted 10:00 local, due 10:00 the next working day): called after 3 hours
    # (met), after 29 hours (missed), never (a miss), submitted today (pending).
    urgent(
        dt.datetime(2026, 4, 7, 15, 0, tzinfo=UTC), chaska, contacted_after=3 * HOUR, by=clinician
    )
    urgent(
        dt.datetime(2026, 4, 9, 15, 0, tzinfo=UTC), chaska, contacted_after=29 * HOUR, by=clinician
    )
    urgent(dt.datetime(2026, 4, 13, 15, 0, tzinfo=UTC), chaska)
    urgent(NOW - 2 * HOUR, chaska)
    # Older than the six months shown, and another location.
    emergency(dt.datetime(2025, 10, 15, 14, 0, tzinfo=UTC), chaska)
    emergency(
        dt.datetime(2026, 4, 14, 14, 0, tzinfo=UTC),
        delano,
        acknowledged_after=2 * MIN,
        by=clinician,
    )


def chaska_of(user):
    return user.locations.get()


def summary(months):
    return [
        (
            m.location,
            f"{m.month:%Y-%m}",
            (m.acknowledged.met, m.acknowledged.decided, m.acknowledged.pending),
            m.median_to_acknowledge,
            (m.contacted.met, m.contacted.decided, m.contacted.pending),
            m.median_to_contact,
        )
        for m in months
    ]


def test_figures_per_month_in_the_locations_zone_with_misses_and_medians(history, manager):
    months = alert_figures.alert_figures(actor=manager, now=NOW)

    assert summary(months) == [
        ("Chaska", "2026-04", (1, 3, 1), 25 * MIN, (1, 3, 1), 16 * HOUR),
        ("Chaska", "2026-03", (1, 1, 0), 5 * MIN, (0, 0, 0), None),
    ]
    april = months[0]
    assert april.acknowledged.percent == 33.3
    assert april.contacted.percent == 33.3
    assert months[1].contacted.percent is None


def test_an_emergency_left_unacknowledged_becomes_a_miss_once_15_minutes_have_passed(
    chaska, manager
):
    emergency(NOW, chaska)
    assert alert_figures.alert_figures(actor=manager, now=NOW + 15 * MIN)[0].acknowledged == (
        alert_figures.Share(met=0, missed=0, pending=1)
    )
    late = alert_figures.alert_figures(actor=manager, now=NOW + 16 * MIN)[0]
    assert late.acknowledged == alert_figures.Share(met=0, missed=1, pending=0)
    assert late.median_to_acknowledge is None


def test_staff_see_their_locations_only_and_superusers_every_location(history, manager):
    assert {m.location for m in alert_figures.alert_figures(actor=manager, now=NOW)} == {"Chaska"}

    everything = alert_figures.alert_figures(actor=StaffFactory(is_superuser=True), now=NOW)
    assert summary(everything)[-1] == ("Delano", "2026-04", (1, 1, 0), 2 * MIN, (0, 0, 0), None)

    former = make_staff(locations=[chaska_of(manager)], is_active=False)
    assert alert_figures.alert_figures(actor=former, now=NOW) == []


def test_the_figures_take_a_fixed_number_of_queries(chaska, clinician, manager):
    def queries() -> int:
        manager.__dict__.pop("_location_ids", None)
        with CaptureQueriesContext(connection) as captured:
            alert_figures.alert_figures(actor=manager, now=NOW)
        return len(captured)

    emergency(NOW - HOUR, chaska, acknowledged_after=MIN, by=clinician)
    few = queries()
    for day in range(1, 13):
        emergency(NOW - day * 24 * HOUR, chaska, acknowledged_after=day * MIN, by=clinician)
        urgent(NOW - day * 24 * HOUR, chaska, contacted_after=HOUR, by=clinician)
    assert queries() == few == 2  # the manager's locations, then the alerts


def test_the_dashboard_page_shows_the_alert_figures(client, history, manager):
    admin_login(client, manager)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("admin_dashboard")).content.decode()

    assert "Alerts reaching a person, by location and month" in page
    assert (
        '<th scope="row">Chaska</th><td>April 2026</td><td>1 of 3 (33.3%), 1 pending</td>'
        "<td>25 min</td><td>1 of 3 (33.3%), 1 pending</td><td>16 h</td>"
    ) in page
    assert "<td>March 2026</td><td>1 of 1 (100%)</td><td>5 min</td><td>none</td><td>—</td>" in page
    assert "Delano" not in page
