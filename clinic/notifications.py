"""The notification outbox: plan rows in the caller's transaction, then claim, send and record.

The database is the source of truth. Celery only nudges: `dispatch_due` (every minute, from
beat) claims due rows and queues `send_notification(id)`; the send claims the row again under a
lock, so a redelivered task never sends twice. Transport errors are retried by moving `due_at`
forward with exponential backoff and jitter, so no long countdown ever waits in Redis.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from clinic import messages
from clinic.models import Notification, NotificationChannel, NotificationKind, NotificationStatus

__all__ = ["NotificationKind", "plan", "plan_intake_check_in", "plan_staff_alert"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
STUCK_AFTER = timedelta(minutes=10)
DISPATCH_BATCH = 500


class TransportError(Exception):
    """The mail or SMS gateway did not accept the message; worth trying again."""


# --- Planning (called by services inside their transaction) -----------------------------------
def plan(
    *,
    key: str,
    kind: str,
    recipient: str,
    template: str,
    due_at,
    channel: str = NotificationChannel.EMAIL,
    context: dict | None = None,
    appointment=None,
    intake=None,
) -> Notification:
    """Plan one message. The unique `key` makes planning idempotent: a second call is a no-op."""
    notification, _ = Notification.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "channel": channel,
            "recipient": recipient,
            "template": template,
            "due_at": due_at,
            "context": context or {},
            "appointment": appointment,
            "intake": intake,
        },
    )
    return notification


def plan_staff_alert(*, intake, decision) -> Notification:
    return plan(
        key=f"intake:{intake.public_id}:staff_alert:{decision.pk}",
        kind=NotificationKind.STAFF_ALERT,
        recipient=intake.preferred_location.on_call_email,
        template="notifications/staff_alert",
        due_at=timezone.now(),
        intake=intake,
        context={"decision_id": decision.pk},
    )


def plan_intake_check_in(*, intake, kind: str, due_at) -> Notification:
    return plan(
        key=f"intake:{intake.public_id}:{kind}",
        kind=kind,
        recipient=intake.email,
        template=f"notifications/{kind}",
        due_at=due_at,
        intake=intake,
    )


def _patient_channel(patient) -> tuple[str, str]:
    if patient.contact_preference == NotificationChannel.SMS and patient.phone:
        return NotificationChannel.SMS, str(patient.phone)
    return NotificationChannel.EMAIL, patient.email


def plan_for_appointment(*, appointment, kind: str, due_at, suffix: str = "") -> Notification:
    channel, recipient = _patient_channel(appointment.patient)
    # Confirmations and notices are about one version of the appointment: include its start so a
    # reschedule plans a fresh notice instead of colliding with the first one.
    version = suffix or appointment.start.strftime("%Y%m%dT%H%MZ")
    return plan(
        key=f"appointment:{appointment.public_id}:{kind}:{version}",
        kind=kind,
        channel=channel,
        recipient=recipient,
        template=f"notifications/{kind}",
        due_at=due_at,
        appointment=appointment,
    )


def plan_reminders(*, appointment) -> list[Notification]:
    """Reminders before the visit (48 h and 2 h by default); none for times already past."""
    now = timezone.now()
    planned = []
    for offset in settings.REMINDER_OFFSETS:
        due_at = appointment.start - offset
        if due_at > now:
            hours = int(offset.total_seconds() // 3600)
            planned.append(
                plan_for_appointment(
                    appointment=appointment,
                    kind=NotificationKind.REMINDER,
                    due_at=due_at,
                    suffix=f"{appointment.start:%Y%m%dT%H%MZ}:{hours}h",
                )
            )
    return planned


def cancel_pending(*, appointment, kinds=(NotificationKind.REMINDER,)) -> int:
    return Notification.objects.filter(
        appointment=appointment, kind__in=kinds, status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.CANCELLED)


# --- Dispatch (beat, every minute) ---------------------------------------------------------------
def claim_due(*, now=None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Move due pending rows to `sending` and return their ids. Safe to run concurrently."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.PENDING, due_at__lte=now)
            .order_by("due_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(id__in=ids).update(
                status=NotificationStatus.SENDING, claimed_at=now
            )
    return ids


def release(ids: list[int]) -> None:
    """Give claimed rows back (the broker refused them), so the next dispatch tries again."""
    Notification.objects.filter(id__in=ids, status=NotificationStatus.SENDING).update(
        status=NotificationStatus.PENDING, claimed_at=None
    )


def requeue_stuck(*, now=None, older_than: timedelta = STUCK_AFTER) -> int:
    """Rows left in `sending` by a dead worker or a lost message go back to pending."""
    now = now or timezone.now()
    return Notification.objects.filter(
        status=NotificationStatus.SENDING, claimed_at__lt=now - older_than
    ).update(status=NotificationStatus.PENDING, claimed_at=None)


# --- Sending (one row, by id) --------------------------------------------------------------------
def send(notification_id: int) -> str:
    """Send one claimed notification at most once; returns its status afterwards.

    The row is locked for the whole send: a duplicate task skips it, and a worker killed
    mid-send rolls back to `sending`, so the row is sent again by the redelivered task or by
    `requeue_stuck`, never silently dropped. The one gap no outbox closes: a worker killed in
    the milliseconds after the provider accepted the message and before this transaction
    commits sends that message again. A rare duplicate is preferred to a lost reminder.
    """
    with transaction.atomic():
        notification = (
            # Lock only the outbox row; the joins load what the message shows in one query.
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(
                "appointment__location",
                "appointment__service",
                "appointment__practitioner",
                "appointment__patient",
                "intake__preferred_location",
            )
            .filter(id=notification_id, status=NotificationStatus.SENDING)
            .first()
        )
        if notification is None:
            return "skipped"
        notification.attempts += 1
        try:
            _deliver(notification)
        except TransportError as error:
            notification.last_error = str(error)[:2000]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = NotificationStatus.FAILED
            else:
                notification.status = NotificationStatus.PENDING
                notification.due_at = timezone.now() + _backoff(notification.attempts)
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
        notification.save(update_fields=["status", "attempts", "last_error", "sent_at", "due_at"])
        return notification.status


def resend(*, notification: Notification) -> Notification:
    """Staff resend: a failed or sent message goes out again at the next dispatch."""
    notification.status = NotificationStatus.PENDING
    notification.due_at = timezone.now()
    notification.attempts = 0
    notification.claimed_at = None
    notification.save(update_fields=["status", "due_at", "attempts", "claimed_at"])
    return notification


def _backoff(attempts: int) -> timedelta:
    base = BACKOFF_BASE * (2 ** (attempts - 1))
    return base + base * random.uniform(0, 0.5)  # noqa: S311  jitter, not security


def _deliver(notification: Notification) -> None:
    message = messages.render(notification)
    try:
        if notification.channel == NotificationChannel.SMS:
            backend = import_string(settings.SMS_BACKEND)()
            backend.send(to=notification.recipient, body=message.text)
        else:
            email = EmailMultiAlternatives(
                subject=message.subject,
                body=message.text,
                to=[notification.recipient],
                headers={"X-Backstride-Notification": notification.key},
            )
            if message.html:
                email.attach_alternative(message.html, "text/html")
            for filename, content, mimetype in message.attachments:
                email.attach(filename, content, mimetype)
            email.send()
    except (OSError, TransportError) as error:  # smtplib errors are OSErrors
        raise TransportError(f"{type(error).__name__}: {error}") from error
