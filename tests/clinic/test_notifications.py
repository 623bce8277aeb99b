"""The outbox: planned once, claimed once, sent once, retried with backoff, never lost."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from clinic import notifications, tasks
from clinic.models import Notification, NotificationKind, NotificationStatus
from tests.factories import AppointmentFactory, LocationFactory, make_intake

pytestmark = pytest.mark.django_db


def plan_test_mail(key="test:check-in", due_in=dt.timedelta(0)):
    intake = make_intake()
    return notifications.plan(
        key=key,
        kind=NotificationKind.SELF_CARE_CHECK_IN,
        recipient=intake.email,
        template="notifications/self_care_check_in",
        due_at=timezone.now() + due_in,
        intake=intake,
    )


def test_planning_the_same_message_twice_creates_one_row():
    intake = make_intake()
    due = timezone.now()
    first = notifications.plan_intake_check_in(
        intake=intake, kind=NotificationKind.SAFETY_NET_CHECK_IN, due_at=due
    )
    again = notifications.plan_intake_check_in(
        intake=intake, kind=NotificationKind.SAFETY_NET_CHECK_IN, due_at=due
    )
    assert first.pk == again.pk
    assert (
        Notification.objects.filter(
            intake=intake, kind=NotificationKind.SAFETY_NET_CHECK_IN
        ).count()
        == 1
    )


def test_emergency_intake_alerts_the_locations_on_call_address_at_once():
    location = LocationFactory(on_call_email="oncall@shakopee.test")
    intake = make_intake(location=location, saddle_numbness=True)
    alert = Notification.objects.get(intake=intake, kind=NotificationKind.STAFF_ALERT)
    assert alert.recipient == "oncall@shakopee.test"
    assert alert.due_at <= timezone.now()

    tasks.send_notification(notifications.claim_due()[0])

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["oncall@shakopee.test"]
    assert "EMERGENCY" in mail.outbox[0].subject
    assert "/admin/clinic/staffalert/ack/" in mail.outbox[0].body
    # Only what staff need to act: no name, age, contact details or answers in the message.
    message = mail.outbox[0]
    for private in (intake.first_name, intake.last_name, intake.email, "cauda"):
        assert private not in message.subject
        assert private not in message.body


def test_routine_intake_alerts_nobody():
    intake = make_intake()
    assert not Notification.objects.filter(
        intake=intake, kind=NotificationKind.STAFF_ALERT
    ).exists()


def test_only_due_messages_are_claimed_and_each_only_once():
    due = plan_test_mail()
    later = notifications.plan_intake_check_in(
        intake=make_intake(),
        kind=NotificationKind.SAFETY_NET_CHECK_IN,
        due_at=timezone.now() + dt.timedelta(days=28),
    )
    claimed = notifications.claim_due()
    assert due.pk in claimed
    assert later.pk not in claimed
    assert notifications.claim_due() == []


def test_a_sent_message_is_not_sent_again_when_its_task_is_delivered_twice():
    notification = plan_test_mail()
    [claimed] = [i for i in notifications.claim_due() if i == notification.pk]
    assert notifications.send(claimed) == NotificationStatus.SENT
    assert notifications.send(claimed) == "skipped"
    assert len([m for m in mail.outbox if m.to == [notification.recipient]]) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.attempts == 1


@pytest.fixture
def failing_smtp(monkeypatch):
    """SMTP is the true boundary: make the gateway refuse connections."""

    def refuse(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)


def test_transport_error_is_retried_later_with_growing_backoff(failing_smtp):
    notification = plan_test_mail()
    notifications.claim_due()
    before = timezone.now()
    assert notifications.send(notification.pk) == NotificationStatus.PENDING
    notification.refresh_from_db()
    first_delay = notification.due_at - before
    assert dt.timedelta(seconds=30) <= first_delay <= dt.timedelta(seconds=46)
    assert "refused" in notification.last_error

    with time_machine.travel(notification.due_at + dt.timedelta(seconds=1)):
        notifications.claim_due()
        notifications.send(notification.pk)
        notification.refresh_from_db()
        second_delay = notification.due_at - timezone.now()
    assert second_delay > first_delay


def test_after_the_retry_window_the_message_is_marked_failed_with_the_error(failing_smtp, settings):
    settings.NOTIFICATION_RETRY_HOURS = 2
    notification = plan_test_mail()
    started = timezone.now()
    for _ in range(100):
        notification.refresh_from_db()
        if notification.status == NotificationStatus.FAILED:
            break
        with time_machine.travel(notification.due_at + dt.timedelta(seconds=1)):
            notifications.claim_due()
            notifications.send(notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.due_at - started <= dt.timedelta(hours=2)
    assert notification.attempts > 10  # retried all along, with capped backoff
    assert "SMTP server refused" in notification.last_error


def test_a_message_stuck_in_sending_is_requeued_after_ten_minutes():
    notification = plan_test_mail()
    notifications.claim_due()  # claimed, then the worker died before sending
    assert notifications.requeue_stuck() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        assert notifications.requeue_stuck() == 1
        assert notification.pk in notifications.claim_due()
        assert notifications.send(notification.pk) == NotificationStatus.SENT


def test_staff_can_resend_a_failed_message(failing_smtp):
    notification = plan_test_mail()
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.FAILED, attempts=5
    )
    notification.refresh_from_db()
    notifications.resend(notification=notification)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 0
    assert notification.pk in notifications.claim_due()


@time_machine.travel(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC), tick=False)
def test_booking_confirmation_carries_an_ics_and_shows_local_time():
    appointment = AppointmentFactory(
        start=dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC),  # 09:00 in Minnesota (CST)
    )
    notification = notifications.plan_for_appointment(
        appointment=appointment, kind=NotificationKind.BOOKING_CONFIRMATION, due_at=timezone.now()
    )
    notifications.claim_due()
    notifications.send(notification.pk)
    message = mail.outbox[-1]
    assert "9:00 AM CST" in message.body
    assert "/me/appointments/manage/" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert filename == "appointment.ics"
    assert mimetype == "text/calendar"
    text = content.decode() if isinstance(content, bytes) else content  # Django decodes text/*
    assert "BEGIN:VEVENT" in text
    assert "DTSTART;TZID=America/Chicago:20261202T090000" in text


def test_sms_preference_sends_a_text_instead_of_an_email():
    from clinic.sms import LocmemSMSBackend

    LocmemSMSBackend.outbox.clear()
    appointment = AppointmentFactory(
        patient__contact_preference="sms", patient__phone="+16125550123"
    )
    notification = notifications.plan_for_appointment(
        appointment=appointment, kind=NotificationKind.REMINDER, due_at=timezone.now()
    )
    notifications.claim_due()
    notifications.send(notification.pk)
    assert LocmemSMSBackend.outbox[-1]["to"] == "+16125550123"
    assert appointment.location.name in LocmemSMSBackend.outbox[-1]["body"]


def confirmation_text(appointment) -> str:
    from clinic import messages

    notification = notifications.plan_for_appointment(
        appointment=appointment,
        kind=NotificationKind.BOOKING_CONFIRMATION,
        due_at=timezone.now(),
    )
    return messages.render(notification).text


def test_the_confirmation_offers_an_online_change_only_before_the_cutoff():
    far = AppointmentFactory(start=timezone.now() + dt.timedelta(days=3))
    assert "Use this link up to 24 hours before" in confirmation_text(far)

    # 6 hours away: no promise that cannot be kept; call the clinic instead.
    soon = AppointmentFactory(start=timezone.now() + dt.timedelta(hours=6), location=far.location)
    text = confirmation_text(soon)
    assert "24 hours before:" not in text
    assert "It is less than 24 hours away, so it can no longer be changed online" in text
    assert f"call {soon.location.name} on {soon.location.phone}" in text
