"""A staff alert whose message fails for good is not lost: the location's managers get it at
once, and the alert's history records the step (StaffAlertEvent "undelivered")."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend

from clinic import alerts, notifications, roles
from clinic.models import (
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    OnCallShift,
    StaffAlert,
    StaffAlertEvent,
)
from clinic.sms import LocmemSMSBackend
from tests.factories import make_intake

pytestmark = pytest.mark.django_db

NIGHT = dt.datetime(2027, 1, 16, 4, 0, tzinfo=dt.UTC)  # Friday 22:00 in Minnesota
ON_CALL = "robin@chaska.test"


@pytest.fixture
def clock():
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def on_call(chaska):
    return OnCallShift.objects.create(
        location=chaska,
        name="Robin",
        email=ON_CALL,
        phone="+16125550101",
        order=1,
        starts_at=NIGHT - dt.timedelta(hours=4),
        ends_at=NIGHT + dt.timedelta(days=4),
    )


@pytest.fixture
def manager(chaska, staff_at):
    return staff_at(chaska, roles.LOCATION_MANAGER)


def smtp_refusing(monkeypatch, refused):
    """The SMTP server answers 550 for the addresses `refused(address)` names, every time."""
    deliver = LocmemEmailBackend.send_messages

    def send_messages(self, messages):
        for message in messages:
            for address in message.to:
                if refused(address):
                    raise smtplib.SMTPRecipientsRefused({address: (550, b"mailbox unavailable")})
        return deliver(self, messages)

    monkeypatch.setattr(LocmemEmailBackend, "send_messages", send_messages)


def dispatch_for(clock, hours):
    """Beat's dispatch every 10 minutes for `hours` (the alerts' own escalation not run)."""
    for _ in range(hours * 6):
        notifications.requeue_stuck()
        for notification_id in notifications.claim_due():
            notifications.send(notification_id)
        clock.shift(dt.timedelta(minutes=10))


def emergency(location) -> StaffAlert:
    intake = make_intake(location=location, saddle_numbness=True)
    return StaffAlert.objects.get(intake=intake)


def alert_mail_to(address):
    return Notification.objects.get(
        kind=NotificationKind.STAFF_ALERT, channel=NotificationChannel.EMAIL, recipient=address
    )


def test_an_alert_email_refused_until_it_fails_goes_at_once_to_the_manager(
    monkeypatch, chaska, on_call, manager, clock
):
    smtp_refusing(monkeypatch, lambda address: address == ON_CALL)
    alert = emergency(chaska)

    dispatch_for(clock, hours=notifications.settings.NOTIFICATION_RETRY_HOURS + 1)

    failed = alert_mail_to(ON_CALL)
    assert failed.status == NotificationStatus.FAILED
    assert "SMTPRecipientsRefused" in failed.last_error
    # The manager got the alert, saying the person on call could not be reached ...
    [to_manager] = [m for m in mail.outbox if m.to == [manager.email]]
    assert "could not be delivered" in to_manager.body
    assert alert_mail_to(manager.email).status == NotificationStatus.SENT
    # ... within one dispatch of the failure, not at the next escalation.
    sent_at = alert_mail_to(manager.email).sent_at
    last_try = failed.due_at
    assert sent_at - last_try <= dt.timedelta(minutes=20)
    step = alert.events.get(kind=StaffAlertEvent.Kind.UNDELIVERED)
    assert step.recipients == [manager.email]
    assert ON_CALL in step.note
    assert "SMTPRecipientsRefused" in step.note
    # The text to the same person went through; nothing else was escalated.
    assert [sms["to"] for sms in LocmemSMSBackend.outbox] == ["+16125550101"]
    assert list(alert.events.values_list("kind", flat=True)) == [
        StaffAlertEvent.Kind.RAISED,
        StaffAlertEvent.Kind.UNDELIVERED,
    ]


def test_a_failure_after_someone_acknowledged_the_alert_escalates_nothing(
    monkeypatch, chaska, on_call, manager, clock
):
    smtp_refusing(monkeypatch, lambda address: address == ON_CALL)
    alert = emergency(chaska)
    alerts.alert_acknowledge(alert=alert, actor=manager)

    dispatch_for(clock, hours=notifications.settings.NOTIFICATION_RETRY_HOURS + 1)

    assert alert_mail_to(ON_CALL).status == NotificationStatus.FAILED
    assert not [m for m in mail.outbox if m.to == [manager.email]]
    assert not alert.events.filter(kind=StaffAlertEvent.Kind.UNDELIVERED).exists()


def test_with_every_address_refused_the_warning_fails_once_and_is_recorded_not_passed_on(
    monkeypatch, chaska, on_call, manager, clock
):
    smtp_refusing(monkeypatch, lambda address: True)
    alert = emergency(chaska)

    dispatch_for(clock, hours=2 * notifications.settings.NOTIFICATION_RETRY_HOURS + 2)

    assert alert_mail_to(manager.email).status == NotificationStatus.FAILED
    steps = alert.events.filter(kind=StaffAlertEvent.Kind.UNDELIVERED)
    assert [step.recipients for step in steps] == [[manager.email], []]
    assert "not passed on again" in steps.last().note
    emails = Notification.objects.filter(
        kind=NotificationKind.STAFF_ALERT, channel=NotificationChannel.EMAIL
    )
    assert emails.count() == 2  # the on-call person's and the one warning; no endless chain


def test_an_alert_message_with_no_address_fails_at_once_and_reaches_the_manager(
    chaska, manager, clock
):
    chaska.on_call_email = ""
    chaska.save()
    alert = emergency(chaska)  # nobody on the rota and no on-call address
    blank = Notification.objects.create(
        key=f"alert:{alert.public_id}:0:email:",
        kind=NotificationKind.STAFF_ALERT,
        channel=NotificationChannel.EMAIL,
        recipient="",
        template="notifications/staff_alert",
        due_at=NIGHT,
        intake=alert.intake,
        context={"decision_id": alert.decision_id, "alert_id": alert.pk},
    )

    dispatch_for(clock, hours=1)

    blank.refresh_from_db()
    assert blank.status == NotificationStatus.FAILED
    assert blank.attempts == 1
    assert "no address" in blank.last_error
    assert [m.to for m in mail.outbox] == [[manager.email]]
