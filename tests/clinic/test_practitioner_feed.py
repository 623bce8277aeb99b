"""A practitioner's private calendar feed: a secret address staff rotate, upcoming visits only."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import vobject
from auditlog.models import LogEntry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from clinic import calendar, roles
from clinic.models import AppointmentStatus, CalendarFeed
from clinic.scheduling import appointment_book, appointment_reschedule
from patients.models import AccessLog
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    StaffFactory,
    WorkingHoursFactory,
    admin_login,
    make_staff,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("America/Chicago"))
CHICAGO, DENVER = ZoneInfo("America/Chicago"), ZoneInfo("America/Denver")


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


@pytest.fixture
def chaska():
    return LocationFactory(name="Chaska", slug="chaska", time_zone="America/Chicago")


@pytest.fixture
def vail():
    return LocationFactory(name="Vail", slug="vail", time_zone="America/Denver")


@pytest.fixture
def robin(chaska, vail):
    return PractitionerFactory(display_name="Robin Physio", locations=[chaska, vail])


@pytest.fixture
def manager(chaska, vail):
    return make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska, vail])


def visit(practitioner, location, local_start, zone, **fields):
    patient = PatientFactory(first_name="Avery", last_name="Runnerson")
    return AppointmentFactory(
        practitioner=practitioner,
        location=location,
        patient=patient,
        start=local_start.replace(tzinfo=zone),
        **fields,
    )


def rotate_in_admin(client, staff, practitioner) -> str:
    admin_login(client, staff)
    response = client.post(
        reverse("admin:clinic_practitioner_changelist"),
        {"action": "rotate_calendar_feed", ACTION_CHECKBOX_NAME: [practitioner.pk]},
        follow=True,
    )
    shown = " ".join(str(message) for message in response.context["messages"])
    found = re.search(r"https?://[^/\s]+(/calendar/\S+\.ics)", shown)
    return found.group(1) if found else ""


def test_the_feed_lists_upcoming_visits_in_each_locations_zone_with_initials_only(
    client, robin, chaska, vail, manager
):
    here = visit(robin, chaska, dt.datetime(2026, 3, 3, 9, 0), CHICAGO)
    there = visit(robin, vail, dt.datetime(2026, 3, 4, 14, 0), DENVER)
    visit(robin, chaska, dt.datetime(2026, 3, 5, 9, 0), CHICAGO, status=AppointmentStatus.CANCELLED)
    visit(robin, chaska, dt.datetime(2026, 3, 1, 9, 0), CHICAGO)  # already over
    visit(PractitionerFactory(locations=[chaska]), chaska, dt.datetime(2026, 3, 3, 9), CHICAGO)
    path = rotate_in_admin(client, manager, robin)
    client.logout()

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "Runnerson" not in body
    assert "Avery" not in body
    feed = vobject.readOne(body)
    events = sorted(feed.vevent_list, key=lambda event: event.dtstart.value)
    assert [event.uid.value for event in events] == [
        calendar.uid_of(here),
        calendar.uid_of(there),
    ]
    assert [event.summary.value for event in events] == [
        "A.R.: Physiotherapy assessment",
        "A.R.: Physiotherapy assessment",
    ]
    # Each visit in its own location's local time, and a VTIMEZONE for every TZID used.
    assert "DTSTART;TZID=America/Chicago:20260303T090000" in body
    assert "DTSTART;TZID=America/Denver:20260304T140000" in body
    assert [event.dtstart.value.astimezone(dt.UTC).hour for event in events] == [15, 21]
    assert {zone.tzid.value for zone in feed.vtimezone_list} == {
        "America/Chicago",
        "America/Denver",
    }
    assert set(
        AccessLog.objects.filter(object_type="appointment feed").values_list("object_id", flat=True)
    ) == {str(here.public_id), str(there.public_id)}


def test_a_moved_visit_keeps_its_uid_with_a_higher_sequence(client, robin, chaska, manager):
    WorkingHoursFactory(
        practitioner=robin,
        location=chaska,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    appointment = appointment_book(
        patient=PatientFactory(),
        service=ServiceFactory(),
        location=chaska,
        practitioner=robin,
        start=dt.datetime(2026, 3, 3, 9, tzinfo=CHICAGO),
        booked_by=StaffFactory(),
        online=False,
    )
    appointment_reschedule(
        appointment=appointment,
        actor=StaffFactory(),
        start=dt.datetime(2026, 3, 3, 11, tzinfo=CHICAGO),
        by_patient=False,
    )
    path = rotate_in_admin(client, manager, robin)

    event = vobject.readOne(client.get(path).content.decode()).vevent
    assert event.uid.value == calendar.uid_of(appointment)
    assert event.sequence.value == "1"
    assert event.dtstart.value.hour == 11


def test_rotating_the_address_retires_the_old_one_and_is_in_the_change_history(
    client, robin, manager, clock
):
    first = rotate_in_admin(client, manager, robin)
    clock.shift(dt.timedelta(days=1))
    second = rotate_in_admin(client, manager, robin)
    client.logout()

    assert first
    assert second != first
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    feed = CalendarFeed.objects.get(practitioner=robin)
    assert second.removeprefix("/calendar/").removesuffix(".ics") not in feed.token_hash
    history = LogEntry.objects.get_for_object(feed)
    assert history.count() == 2
    assert {entry.actor for entry in history} == {manager}
    assert all("token_hash" not in entry.changes_dict for entry in history)


def test_staff_cannot_rotate_the_address_of_a_practitioner_outside_their_locations(
    client, robin, chaska
):
    elsewhere = make_staff(roles=[roles.LOCATION_MANAGER], locations=[LocationFactory()])
    scheduler = make_staff(roles=[roles.SCHEDULER], locations=[chaska])

    assert rotate_in_admin(client, elsewhere, robin) == ""
    assert rotate_in_admin(client, scheduler, robin) == ""  # may look, not change
    assert not CalendarFeed.objects.exists()
