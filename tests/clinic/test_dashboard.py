"""The staff dashboard: intakes by pathway and urgency, targets met, no-shows; scoped; as SVG."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from clinic import roles
from clinic.models import AppointmentStatus
from staff import dashboard
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    StaffFactory,
    admin_login,
    make_intake,
    make_staff,
)
from triage import services
from triage.models import Intake

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 20, 17, 0, tzinfo=dt.UTC)
EMERGENCY = {"saddle_numbness": True}
URGENT = {"cancer_history": True}
SOON = {"load_increase": True, "hop_pain": True}


@pytest.fixture
def chaska():
    return LocationFactory(name="Chaska", slug="chaska")


@pytest.fixture
def delano():
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def manager(chaska):
    return make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska])


def intake_at(when, *, location, **answers) -> Intake:
    with time_machine.travel(when, tick=False):
        return make_intake(location=location, **answers)


def contact_at(when, intake, actor):
    with time_machine.travel(when, tick=False):
        services.intake_set_status(intake=intake, actor=actor, status=Intake.Status.CONTACTED)


def visit(intake, start, status=AppointmentStatus.BOOKED):
    return AppointmentFactory(
        intake=intake,
        patient__user__email=f"p{intake.pk}@example.test",
        location=intake.preferred_location,
        start=start,
        status=status,
    )


@pytest.fixture
def history(chaska, delano, manager):
    """Thirty days at Chaska (and a little at Delano), each case labelled with what it shows."""
    day = dt.timedelta(days=1)
    hour = dt.timedelta(hours=1)
    cases = {}
    # Emergencies: contacted within the hour (met), after two hours (missed).
    cases["emergency_met"] = intake_at(NOW - 3 * day, location=chaska, **EMERGENCY)
    contact_at(NOW - 3 * day + 0.5 * hour, cases["emergency_met"], manager)
    cases["emergency_missed"] = intake_at(NOW - 2 * day, location=chaska, **EMERGENCY)
    contact_at(NOW - 2 * day + 2 * hour, cases["emergency_missed"], manager)
    # Urgent: a visit booked inside 14 days (met); none after 20 days (missed); a visit booked
    # for day 16 (missed); a cancelled visit does not count (pending, still inside the target).
    cases["urgent_met"] = intake_at(NOW - 5 * day, location=chaska, **URGENT)
    visit(cases["urgent_met"], NOW + 5 * day)
    cases["urgent_unbooked"] = intake_at(NOW - 20 * day, location=chaska, **URGENT)
    cases["urgent_late"] = intake_at(NOW - 10 * day, location=chaska, **URGENT)
    visit(cases["urgent_late"], NOW + 6 * day)
    cases["urgent_cancelled"] = intake_at(NOW - 1 * day, location=chaska, **URGENT)
    visit(cases["urgent_cancelled"], NOW + 1 * day, AppointmentStatus.CANCELLED)
    # Soon, not booked yet, inside 28 days: pending. Self-care: not in the target share.
    cases["soon_pending"] = intake_at(NOW - 4 * day, location=chaska, **SOON)
    cases["self_care"] = intake_at(NOW - 4 * day, location=chaska)
    # Outside the window, and another location: not in Chaska's numbers.
    cases["too_old"] = intake_at(NOW - 31 * day, location=chaska, **URGENT)
    cases["delano"] = intake_at(NOW - 2 * day, location=delano, **URGENT)

    # No-shows over the last 30 days: Chaska 1 of 4, Delano 1 of 1; unmarked and old ones ignored.
    for status in ["no_show", "completed", "completed", "completed", "booked"]:
        AppointmentFactory(location=chaska, start=NOW - 3 * day, status=status)
    AppointmentFactory(location=chaska, start=NOW - 40 * day, status="no_show")
    AppointmentFactory(location=delano, start=NOW - 3 * day, status="no_show")
    return cases


def test_intakes_are_counted_by_pathway_and_urgency_for_the_last_30_days(history, manager):
    data = dashboard.dashboard_data(user=manager, now=NOW)
    table = dict(data["count_table"])
    # urgencies in order: emergency, urgent, soon, routine
    assert table["Surgical consult"] == [2, 0, 0, 0]
    assert table["Imaging"] == [0, 4, 1, 0]
    assert table["Self-care"] == [0, 0, 0, 1]
    assert data["total_intakes"] == 8


def test_share_seen_within_target_by_urgency(history, manager):
    rows = {row.urgency: row for row in dashboard.dashboard_data(user=manager, now=NOW)["targets"]}

    assert (rows["emergency"].met, rows["emergency"].missed, rows["emergency"].pending) == (1, 1, 0)
    assert rows["emergency"].share == 50.0
    assert (rows["urgent"].met, rows["urgent"].missed, rows["urgent"].pending) == (1, 2, 1)
    assert rows["urgent"].share == 33.3
    assert (rows["soon"].met, rows["soon"].missed, rows["soon"].pending) == (0, 0, 1)
    assert rows["soon"].share is None
    assert rows["routine"].decided == 0  # the self-care intake is not counted


def test_no_show_rate_per_location_is_scoped(history, manager):
    rates = dashboard.dashboard_data(user=manager, now=NOW)["no_shows"]
    assert [(r.location, r.no_shows, r.marked, r.rate) for r in rates] == [("Chaska", 1, 4, 25.0)]

    everything = dashboard.dashboard_data(user=StaffFactory(is_superuser=True), now=NOW)
    assert [(r.location, r.rate) for r in everything["no_shows"]] == [
        ("Chaska", 25.0),
        ("Delano", 100.0),
    ]
    assert everything["total_intakes"] == 9


def test_dashboard_page_draws_svg_bar_charts_with_numbers_and_tables(client, history, manager):
    admin_login(client, manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("admin_dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="bs-bars"') == 3
    assert 'role="img"' in page
    assert '<title id="chart-targets-title">' in page
    assert "25% (1 of 4)" in page  # no-show bar label
    assert "33.3% (1 of 3), 1 pending" in page  # urgent target bar label
    assert "<caption>Intakes by pathway and urgency</caption>" in page
    assert "Delano" not in page
    assert "<script" not in page.split("<svg", 1)[1]


def test_admin_index_links_the_staff_tools(client, manager):
    admin_login(client, manager)
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin_dashboard") in page
    assert reverse("admin:clinic_appointment_day_sheet") in page


def test_bar_chart_scales_to_the_largest_value_and_keeps_labels():
    chart = dashboard.bar_chart(
        slug="t",
        title="T",
        description="D",
        rows=[dashboard.ChartRow("A", 10, "10"), dashboard.ChartRow("B", 5, "5")],
        max_value=10,
    )
    widths = [item.width for item in chart.items]
    assert widths[0] == 2 * widths[1]
    assert [item.label for item in chart.items] == ["A", "B"]
    assert chart.height > 0
