"""Celery tasks: thin wrappers that pass ids to clinic.notifications."""

import logging

from celery import shared_task
from django.db import transaction
from kombu.exceptions import OperationalError

from clinic import notifications

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification(notification_id: int) -> str:
    return notifications.send(notification_id)


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """Every minute from beat: requeue stuck rows, claim what is due, queue one send per row."""
    notifications.requeue_stuck()
    ids = notifications.claim_due()
    queued = []
    try:
        for notification_id in ids:
            send_notification.delay(notification_id)
            queued.append(notification_id)
    except OperationalError:
        # The broker is down: hand the rest back; the next dispatch will try again.
        notifications.release([i for i in ids if i not in set(queued)])
        log.warning("Broker unavailable; %d notifications left for the next dispatch", len(ids))
    return len(queued)


def dispatch_after_commit() -> None:
    """Ask a worker to dispatch as soon as the current transaction commits, for messages a
    person is waiting for. With the broker down, beat's next dispatch sends them."""

    def queue():
        try:
            dispatch_due.delay()
        except OperationalError:
            log.warning("Broker unavailable; the next scheduled dispatch will send the mail")

    transaction.on_commit(queue)
