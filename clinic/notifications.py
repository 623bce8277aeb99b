"""The notification outbox: plan rows in the caller's transaction, then claim, send and record.

The database is the source of truth. Celery only nudges: `dispatch_due` (every minute, from
beat) claims due rows and queues `send_notifications(ids)` in chunks; each send claims its row
with a conditional UPDATE, so a redelivered task never sends twice, and holds no transaction
while it talks to the gateway. Transport errors are retried by moving `due_at` forward with
exponential backoff and jitter, so no long countdown ever waits in Redis.
"""

import logging
import random
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string

from clinic import audit, messages, sms
from clinic.models import Notification, NotificationChannel, NotificationKind, NotificationStatus
from patients import consent

__all__ = ["NotificationKind", "plan", "plan_intake_check_in"]

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(seconds=30)
# A provider back after an outage is tried again within this (plus jitter).
BACKOFF_MAX = timedelta(minutes=10)
STUCK_AFTER = timedelta(minutes=10)
DISPATCH_BATCH = 500

# Sent once a message has ended as failed (after its retries, unrenderable, or with no address),
# after that outcome is committed, with `notification`. The staff alerts escalate on it.
notification_failed = Signal()


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


def plan_intake_check_in(*, intake, kind: str, due_at, context: dict | None = None) -> Notification:
    return plan(
        key=f"intake:{intake.public_id}:{kind}",
        kind=kind,
        recipient=intake.email,
        template=f"notifications/{kind}",
        due_at=due_at,
        context=context,
        intake=intake,
    )


def plan_many(
    planned: list[Notification], *, audit_log: list | None = None, all_new: bool = False
) -> list[Notification]:
    """Plan several messages in one INSERT, each audited as a save would be; returns them in
    order, a key planned before as it is stored (planning stays idempotent). `all_new` says
    the keys cannot exist yet (they name a row made in this transaction): no look-up.

    The audit entries go into `audit_log` when the caller collects them for one statement of
    its own (`clinic.audit.write`), else they are written here. The callers hold the lock of
    what the messages are about (the practitioner, the appointment), so no one else plans the
    same keys meanwhile.
    """
    keys = [n.key for n in planned]
    stored = {} if all_new else {n.key: n for n in Notification.objects.filter(key__in=keys)}
    fresh = list({n.key: n for n in planned if n.key not in stored}.values())
    Notification.objects.bulk_create(fresh)
    entries = [audit.entry(notification) for notification in fresh]
    if audit_log is None:
        audit.write(entries)
    else:
        audit_log.extend(entries)
    made = {n.key: n for n in fresh}
    return [stored.get(n.key) or made[n.key] for n in planned]


def patient_channel(patient) -> tuple[str, str]:
    """Where a message to this patient goes: a text only with a recorded opt-in, else email."""
    if number := patient.sms_number:
        return NotificationChannel.SMS, number
    return NotificationChannel.EMAIL, patient.email


def _for_appointment(*, appointment, kind: str, due_at, suffix: str = "") -> Notification:
    """One message about `appointment`, unsaved."""
    channel, recipient = patient_channel(appointment.patient)
    # Confirmations and notices are about one version of the appointment: include its start so a
    # reschedule plans a fresh notice instead of colliding with the first one.
    version = suffix or appointment.start.strftime("%Y%m%dT%H%MZ")
    return Notification(
        key=f"appointment:{appointment.public_id}:{kind}:{version}",
        kind=kind,
        channel=channel,
        recipient=recipient,
        template=f"notifications/{kind}",
        due_at=due_at,
        context={},
        appointment=appointment,
    )


def _reminders(appointment) -> list[Notification]:
    """Reminders before the visit (48 h and 2 h by default); none for times already past."""
    now = timezone.now()
    return [
        _for_appointment(
            appointment=appointment,
            kind=NotificationKind.REMINDER,
            due_at=appointment.start - offset,
            suffix=f"{appointment.start:%Y%m%dT%H%MZ}:{int(offset.total_seconds() // 3600)}h",
        )
        for offset in settings.REMINDER_OFFSETS
        if appointment.start - offset > now
    ]


def plan_for_appointment(*, appointment, kind: str, due_at, suffix: str = "") -> Notification:
    return plan_many(
        [_for_appointment(appointment=appointment, kind=kind, due_at=due_at, suffix=suffix)]
    )[0]


def plan_reminders(*, appointment) -> list[Notification]:
    return plan_many(_reminders(appointment))


def plan_booking(*, appointment, now, audit_log: list | None = None) -> list[Notification]:
    """A new appointment's messages in one statement: the confirmation now and the reminders
    (their keys carry the new appointment's id, so none is planned yet)."""
    confirmation = _for_appointment(
        appointment=appointment, kind=NotificationKind.BOOKING_CONFIRMATION, due_at=now
    )
    return plan_many([confirmation, *_reminders(appointment)], audit_log=audit_log, all_new=True)


def cancel_pending(*, appointment, kinds=(NotificationKind.REMINDER,)) -> int:
    return Notification.objects.filter(
        appointment=appointment, kind__in=kinds, status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.CANCELLED)


# --- Dispatch (beat, every minute) ---------------------------------------------------------------
def claim_due(*, now=None, limit: int | None = None) -> list[int]:
    """Move due pending rows to `sending` and return their ids. Safe to run concurrently."""
    now = now or timezone.now()
    limit = limit or DISPATCH_BATCH
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.PENDING, due_at__lte=now)
            .order_by("due_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(id__in=ids).update(
                status=NotificationStatus.SENDING, claimed_at=now, send_started_at=None
            )
    return ids


def release(ids: list[int]) -> None:
    """Give claimed rows back (the broker refused them), so the next dispatch tries again."""
    Notification.objects.filter(
        id__in=ids, status=NotificationStatus.SENDING, send_started_at__isnull=True
    ).update(status=NotificationStatus.PENDING, claimed_at=None)


def requeue_stuck(*, now=None, older_than: timedelta = STUCK_AFTER) -> int:
    """Rows left in `sending` by a dead worker or a lost message go back to pending.

    Never waits on a row someone else holds (SKIP LOCKED), so a dispatch cannot hang behind it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=NotificationStatus.SENDING, claimed_at__lt=now - older_than)
            .values_list("id", flat=True)
        )
        if not ids:
            return 0
        return Notification.objects.filter(id__in=ids, status=NotificationStatus.SENDING).update(
            status=NotificationStatus.PENDING, claimed_at=None, send_started_at=None
        )


# --- Sending (one row, by id) --------------------------------------------------------------------
class RenderError(Exception):
    """The message cannot be built (missing template, missing data): trying again won't help."""


def send(notification_id: int) -> str:
    """Send one claimed notification at most once; returns its status afterwards
    ("skipped" when another sender has it or it is gone). See `send_many`."""
    return send_many([notification_id]).get(notification_id, "skipped")


SEND_RELATED = (
    "appointment__location",
    "appointment__service",
    "appointment__practitioner",
    "appointment__patient__user",
    "intake__preferred_location",
)


def send_many(notification_ids: list[int]) -> dict[int, str]:
    """Send claimed notifications, each at most once, over one gateway connection; returns
    each id's status afterwards (ids another sender has are left out).

    Per message three steps, and no transaction is open while the gateway is talked to:
    1. claim: a conditional UPDATE (commits at once) marks the send as started, so a duplicate
       task finds nothing to claim and skips;
    2. render and send, with the gateway's timeout (EMAIL_TIMEOUT, SMS_TIMEOUT);
    3. record the result in its own short commit, whatever happened (any exception).
    The rows are read in one query first. After a transient failure (the gateway is down or
    slow) the rest of the batch is handed back unclaimed for the next dispatch, so one task
    never spends more than one timeout on a dead gateway.
    A worker killed between 1 and 3 leaves the row in `sending`; `requeue_stuck` gives it back
    after STUCK_AFTER. The one gap no outbox closes: a worker killed in the milliseconds after
    the provider accepted the message and before step 3 sends that message again. A rare
    duplicate is preferred to a lost reminder.
    """
    waiting = list(
        Notification.objects.select_related(*SEND_RELATED)
        .filter(
            id__in=notification_ids,
            status=NotificationStatus.SENDING,
            send_started_at__isnull=True,
        )
        .order_by("due_at", "id")
    )
    results: dict[int, str] = {}
    connection = get_connection(fail_silently=False)
    try:
        for index, notification in enumerate(waiting):
            if not _claim(notification):
                continue
            results[notification.pk] = _send_claimed(notification, connection)
            if results[notification.pk] == NotificationStatus.PENDING:
                release([later.pk for later in waiting[index + 1 :]])
                break
    finally:
        try:
            connection.close()
        except Exception:  # a gateway that broke off mid-batch: the results are recorded
            log.warning("Closing the mail connection failed", exc_info=True)
    return results


def _claim(notification: Notification) -> bool:
    now = timezone.now()
    claimed = Notification.objects.filter(
        id=notification.pk, status=NotificationStatus.SENDING, send_started_at__isnull=True
    ).update(send_started_at=now, claimed_at=now, attempts=F("attempts") + 1)
    if claimed:
        notification.send_started_at = notification.claimed_at = now
        notification.attempts += 1
    return bool(claimed)


def _send_claimed(notification: Notification, connection) -> str:
    if not _may_text(notification):
        # Planned before a STOP (or never agreed to): no text without a recorded opt-in.
        notification.status = NotificationStatus.CANCELLED
        notification.last_error = NO_SMS_CONSENT
        _record(notification)
        return notification.status
    try:
        _deliver(notification, connection=connection)
    except (RenderError, sms.PermanentSMSError) as error:
        _record_failure(notification, error, permanent=True)
    except Exception as error:  # any failure is recorded, never rolled back
        _record_failure(notification, error, permanent=False)
    else:
        notification.status = NotificationStatus.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        _forget_secrets(notification)
    _record(notification)
    if notification.status == NotificationStatus.FAILED:
        for _receiver, error in notification_failed.send_robust(
            sender=Notification, notification=notification
        ):
            if isinstance(error, Exception):
                log.error(
                    "Handling the failure of notification %s failed",
                    notification.pk,
                    exc_info=error,
                )
    return notification.status


NO_SMS_CONSENT = "Not sent: no recorded consent to texts at this number."


def _may_text(notification: Notification) -> bool:
    # Staff alerts go to the on-call rota's work phones, not to patients: no patient consent.
    if notification.channel != NotificationChannel.SMS:
        return True
    if notification.kind == NotificationKind.STAFF_ALERT:
        return True
    return consent.number_opted_in(notification.recipient)


def _record_failure(notification: Notification, error: Exception, *, permanent: bool) -> None:
    now = timezone.now()
    notification.last_error = f"{type(error).__name__}: {error}"[:2000]
    notification.first_failed_at = notification.first_failed_at or now
    retry_until = notification.first_failed_at + timedelta(hours=settings.NOTIFICATION_RETRY_HOURS)
    next_try = now + _backoff(notification.attempts)
    if permanent or next_try > retry_until:
        notification.status = NotificationStatus.FAILED
        _forget_secrets(notification)
        log.error("Notification %s failed: %s", notification.pk, notification.last_error)
    else:
        notification.status = NotificationStatus.PENDING
        notification.due_at = next_try
        log.warning("Notification %s will be retried: %s", notification.pk, notification.last_error)


def _forget_secrets(notification: Notification) -> None:
    """An account email stored rendered is kept only until it is done with. (Those with a live
    link, reset and verification, are stored as ids and rendered at send time.)"""
    if "rendered" in notification.context:
        notification.context = {"note": ACCOUNT_TEXT_CLEARED}


ACCOUNT_TEXT_CLEARED = "Rendered text of this account email removed after sending."


def _record(notification: Notification) -> None:
    """Write the outcome in its own commit; only the sender that claimed the row may."""
    with transaction.atomic():
        Notification.objects.filter(
            id=notification.pk,
            status=NotificationStatus.SENDING,
            send_started_at=notification.send_started_at,
        ).update(
            status=notification.status,
            last_error=notification.last_error,
            sent_at=notification.sent_at,
            due_at=notification.due_at,
            first_failed_at=notification.first_failed_at,
            context=notification.context,
            claimed_at=None,
            send_started_at=None,
        )


def resend(*, notification: Notification) -> Notification:
    """Staff resend: a failed or sent message goes out again at the next dispatch."""
    notification.status = NotificationStatus.PENDING
    notification.due_at = timezone.now()
    notification.attempts = 0
    notification.claimed_at = None
    notification.send_started_at = None
    notification.first_failed_at = None
    notification.save(
        update_fields=[
            "status",
            "due_at",
            "attempts",
            "claimed_at",
            "send_started_at",
            "first_failed_at",
        ]
    )
    return notification


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at BACKOFF_MAX, plus up to 50 % jitter."""
    base = min(BACKOFF_BASE * (2 ** min(attempts - 1, 20)), BACKOFF_MAX)
    return base + base * random.uniform(0, 0.5)  # noqa: S311  jitter, not security


def _deliver(notification: Notification, *, connection=None) -> None:
    if not notification.recipient.strip():
        raise RenderError("no address to send it to")
    try:
        message = messages.render(notification)
    except DatabaseError:
        raise  # the database hiccupped: transient, try again later
    except Exception as error:  # missing template, missing data: won't get better
        raise RenderError(
            f"cannot render {notification.template!r}: {type(error).__name__}: {error}"
        ) from error
    if notification.channel == NotificationChannel.SMS:
        backend = import_string(settings.SMS_BACKEND)()
        backend.send(to=notification.recipient, body=message.text, timeout=settings.SMS_TIMEOUT)
    else:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            to=[notification.recipient],
            headers={"X-Backstride-Notification": notification.key},
            connection=connection,
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for filename, content, mimetype in message.attachments:
            email.attach(filename, content, mimetype)
        if connection is not None:
            connection.open()  # once per batch: later messages reuse it (a no-op if open)
        email.send()  # the SMTP backend gives up after settings.EMAIL_TIMEOUT seconds


def dispatch_soon() -> None:
    """Ask a worker to dispatch as soon as the current transaction commits, for messages a
    person is waiting for (an alert, an account email). By the task's name, so the outbox needs
    no import of the task layer. With the broker down, beat's next dispatch sends them."""

    def queue():
        try:
            current_app.send_task("clinic.tasks.dispatch_due")
        except Exception:
            # Whatever the broker raised, the data is committed: never answer 500 for it.
            log.warning(
                "Broker unavailable; the next scheduled dispatch will send the mail", exc_info=True
            )

    transaction.on_commit(queue)
