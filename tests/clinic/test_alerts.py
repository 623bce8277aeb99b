"""Emergency and urgent cases reach a person, or escalate until one acknowledges them."""

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from clinic import alerts, links, notifications, roles
from clinic.models import (
    Holiday,
    Notification,
    NotificationChannel,
    NotificationKind,
    OnCallShift,
    StaffAlert,
    StaffAlertEvent,
)
from clinic.sms import LocmemSMSBackend
from tests.factories import LocationFactory, admin_login, make_intake

pytestmark = pytest.mark.django_db

NIGHT = dt.datetime(2027, 1, 16, 4, 0, tzinfo=dt.UTC)  # Friday 22:00 in Minnesota


@pytest.fixture
def rota(chaska):
    """Two people on call at Chaska tonight, and one whose shift ended."""

    def shift(name, order, start, end, phone=""):
        return OnCallShift.objects.create(
            location=chaska,
            name=name,
            email=f"{name.lower()}@chaska.test",
            phone=phone,
            order=order,
            starts_at=start,
            ends_at=end,
        )

    return {
        "first": shift(
            "Robin", 1, NIGHT - dt.timedelta(hours=4), NIGHT + dt.timedelta(hours=8), "+16125550101"
        ),
        "backup": shift("Casey", 2, NIGHT - dt.timedelta(hours=4), NIGHT + dt.timedelta(hours=8)),
        "gone": shift("Drew", 1, NIGHT - dt.timedelta(hours=12), NIGHT - dt.timedelta(hours=4)),
    }


@pytest.fixture
def clock():
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


def recipients(alert, level) -> set[str]:
    return set(
        Notification.objects.filter(
            intake=alert.intake, kind=NotificationKind.STAFF_ALERT, key__contains=f":{level}:"
        ).values_list("recipient", flat=True)
    )


def emergency_at(location):
    intake = make_intake(location=location, saddle_numbness=True)
    return intake, StaffAlert.objects.get(intake=intake)


def test_an_emergency_goes_at_once_by_email_and_text_to_whoever_is_on_call_now(
    chaska, rota, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        intake, alert = emergency_at(chaska)

    assert recipients(alert, 0) == {"robin@chaska.test", "+16125550101"}
    channels = set(
        Notification.objects.filter(intake=intake, kind=NotificationKind.STAFF_ALERT).values_list(
            "channel", flat=True
        )
    )
    assert channels == {NotificationChannel.EMAIL, NotificationChannel.SMS}
    assert callbacks, "a dispatch is asked for at commit, not left to the next minute"
    assert [e.kind for e in alert.events.all()] == [StaffAlertEvent.Kind.RAISED]


def test_with_nobody_on_the_rota_the_locations_on_call_address_is_alerted(clock):
    location = LocationFactory(on_call_email="desk@delano.test")
    _, alert = emergency_at(location)
    assert recipients(alert, 0) == {"desk@delano.test"}


def test_the_text_alert_carries_no_patient_details(chaska, rota, clock):
    LocmemSMSBackend.outbox.clear()
    intake, _ = emergency_at(chaska)
    for notification_id in notifications.claim_due():
        notifications.send(notification_id)
    [text] = [m for m in LocmemSMSBackend.outbox if m["to"] == "+16125550101"]
    assert "EMERGENCY" in text["body"]
    assert "/admin/clinic/staffalert/ack/" in text["body"]
    for private in (intake.first_name, intake.last_name, intake.email, f"age {intake.age}"):
        assert private not in text["body"]


def test_unacknowledged_it_escalates_to_the_next_contact_and_the_manager_and_again(
    chaska, rota, clock, staff_at
):
    manager = staff_at(chaska, roles.LOCATION_MANAGER)
    _, alert = emergency_at(chaska)

    clock.shift(dt.timedelta(minutes=14))
    assert alerts.alerts_escalate() == 0  # not yet: 15 minutes by default

    clock.shift(dt.timedelta(minutes=1))
    assert alerts.alerts_escalate() == 1
    assert recipients(alert, 1) == {"casey@chaska.test", manager.email}

    clock.shift(dt.timedelta(minutes=15))
    assert alerts.alerts_escalate() == 1
    alert.refresh_from_db()
    assert alert.level == 2
    assert manager.email in recipients(alert, 2)
    kinds = [e.kind for e in alert.events.all()]
    assert kinds == ["raised", "escalated", "escalated"]


def test_the_escalation_time_is_a_setting(chaska, rota, clock, settings):
    settings.ALERT_ESCALATION_MINUTES = 5
    emergency_at(chaska)
    clock.shift(dt.timedelta(minutes=5))
    assert alerts.alerts_escalate() == 1


def test_the_signed_link_lands_on_the_intake_after_the_staff_sign_in(
    client, chaska, rota, clock, staff_at
):
    intake, alert = emergency_at(chaska)
    url = links.alert_ack_url(alert).removeprefix("http://testserver")
    path = url[url.index("/admin/") :]

    assert "/admin/login/" in client.get(path).url  # behind the sign-in

    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    admin_login(client, clinician)
    page = client.get(path)
    assert page.status_code == 200
    assert "Acknowledge and open the intake" in page.content.decode()
    alert.refresh_from_db()
    assert alert.status == StaffAlert.Status.OPEN  # a GET changes nothing

    response = client.post(path)
    assert response.url == reverse("admin:triage_intake_change", args=[intake.pk])
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (StaffAlert.Status.ACKNOWLEDGED, clinician)

    clock.shift(dt.timedelta(hours=1))
    assert alerts.alerts_escalate() == 0  # acknowledged: nobody else is woken
    assert [e.kind for e in alert.events.all()] == ["raised", "acknowledged"]
    assert alert.events.get(kind="acknowledged").actor == clinician


def test_a_forged_link_or_one_for_another_location_is_a_404(client, chaska, rota, clock, staff_at):
    _, alert = emergency_at(chaska)
    delano = LocationFactory(name="Delano", slug="delano")
    admin_login(client, staff_at(delano, roles.SCHEDULER))
    url = links.alert_ack_url(alert)
    assert client.get(url[url.index("/admin/") :]).status_code == 404
    forged = reverse("admin:clinic_staffalert_ack", args=[f"{alert.public_id}:forged"])
    assert client.get(forged).status_code == 404


def test_staff_acknowledge_from_the_alert_list(client, chaska, rota, clock, staff_at):
    _, alert = emergency_at(chaska)
    scheduler = staff_at(chaska, roles.SCHEDULER)
    admin_login(client, scheduler)
    listing = reverse("admin:clinic_staffalert_changelist")
    assert client.get(listing).status_code == 200
    response = client.post(
        listing, {"action": "acknowledge", ACTION_CHECKBOX_NAME: [alert.pk]}, follow=True
    )
    assert "1 alert(s) acknowledged." in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == scheduler


def test_a_routine_intake_raises_no_alert(chaska, clock):
    intake = make_intake(location=chaska)
    assert not StaffAlert.objects.filter(intake=intake).exists()


# --- Urgent: contact within 1 working day -------------------------------------------------------
def urgent_at(location):
    intake = make_intake(location=location, weight_loss=True)  # R9: imaging, urgent
    return intake, StaffAlert.objects.get(intake=intake)


def test_an_urgent_case_is_due_for_contact_within_one_working_day_of_its_location(chaska, clock):
    Holiday.objects.create(location=chaska, date=dt.date(2027, 1, 18), name="MLK Day")
    _, alert = urgent_at(chaska)  # Friday 22:00 in Minnesota
    local = alert.contact_by.astimezone(chaska.zone)
    assert (local.date(), local.hour) == (dt.date(2027, 1, 19), 22)  # Monday is a holiday


def test_overdue_urgent_cases_come_first_and_recording_the_call_clears_them(
    client, chaska, clock, staff_at
):
    _, earlier = urgent_at(chaska)
    clock.shift(dt.timedelta(days=3, hours=1))  # past Monday 22:00
    _, later = urgent_at(chaska)
    scheduler = staff_at(chaska, roles.SCHEDULER)
    admin_login(client, scheduler)
    listing = reverse("admin:clinic_staffalert_changelist")

    rows = list(client.get(listing).context["cl"].result_list)
    assert rows[0] == earlier
    assert "OVERDUE" in client.get(listing).content.decode()

    contact = reverse("admin:clinic_staffalert_contact", args=[earlier.pk])
    assert client.post(contact, {"outcome": "bogus"}).status_code == 400
    response = client.post(contact, {"outcome": "spoke", "note": "Booked for an MRI"})
    assert response.status_code == 302
    earlier.refresh_from_db()
    assert earlier.contact_outcome == "spoke"
    assert earlier.status == StaffAlert.Status.ACKNOWLEDGED
    assert not alerts.is_overdue(earlier)
    assert "OVERDUE" not in client.get(listing).content.decode()
    assert earlier.events.filter(kind="contacted", actor=scheduler).exists()
    assert later.contact_by > earlier.contact_by


def test_staff_elsewhere_cannot_record_contact(client, chaska, clock, staff_at):
    _, alert = urgent_at(chaska)
    delano = LocationFactory(name="Delano", slug="delano")
    admin_login(client, staff_at(delano, roles.SCHEDULER))
    contact = reverse("admin:clinic_staffalert_contact", args=[alert.pk])
    assert client.post(contact, {"outcome": "spoke"}).status_code == 404
    alert.refresh_from_db()
    assert alert.contacted_at is None


def test_a_location_manager_keeps_the_holidays_of_their_location_only(
    client, chaska, clock, staff_at
):
    delano = LocationFactory(name="Delano", slug="delano")
    admin_login(client, staff_at(chaska, roles.LOCATION_MANAGER))
    add = reverse("admin:clinic_holiday_add")
    ours = client.post(add, {"location": chaska.pk, "date": "2027-07-05", "name": "July 4th"})
    assert ours.status_code == 302
    theirs = client.post(add, {"location": delano.pk, "date": "2027-07-05", "name": "July 4th"})
    assert theirs.status_code == 200  # the form refuses a location that is not theirs
    assert list(Holiday.objects.values_list("location__slug", flat=True)) == ["chaska"]
