"""Celery tasks: thin wrappers that pass ids to clinic.notifications."""

import logging

from celery import shared_task

from clinic import alerts, notifications
from clinic.scheduling import waitlist

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notification(notification_id: int) -> str:
    return notifications.send(notification_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_notifications(notification_ids: list[int]) -> int:
    """A chunk of claimed rows, sent over one connection; how many were sent."""
    results = notifications.send_many(notification_ids)
    return sum(status == "sent" for status in results.values())


# Rows per send task: few enough that a chunk is quick, many enough that the per-task and
# per-connection costs do not dominate a backlog. A small batch is split in at least
# MIN_CHUNKS, so every worker process gets a share at once.
SEND_CHUNK = 25
MIN_CHUNKS = 8


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """Every minute from beat: requeue stuck rows, claim what is due, queue the sends in chunks.

    A full batch means more is due: the task queues itself again at once, so a backlog drains
    at the workers' pace, not one batch a minute.
    """
    notifications.requeue_stuck()
    ids = notifications.claim_due()
    queued = []
    try:
        size = max(1, min(SEND_CHUNK, -(-len(ids) // MIN_CHUNKS)))
        for first in range(0, len(ids), size):
            chunk = ids[first : first + size]
            send_notifications.delay(chunk)
            queued.extend(chunk)
        if len(ids) >= notifications.DISPATCH_BATCH:
            dispatch_due.delay()
    except Exception:
        # The broker is down or refused (kombu, redis or socket errors alike): hand the rest
        # back; the next dispatch will try again. The rows are safe in the database.
        sent = set(queued)
        notifications.release([i for i in ids if i not in sent])
        log.warning(
            "Broker unavailable; %d notifications left for the next dispatch",
            len(ids) - len(sent),
            exc_info=True,
        )
    return len(queued)


@shared_task(ignore_result=True)
def escalate_alerts() -> int:
    """Every minute from beat: alerts nobody acknowledged in time go to the next people."""
    return alerts.alerts_escalate()


@shared_task(ignore_result=True)
def pass_on_waitlist_holds() -> int:
    """Every minute from beat: waitlist holds that ran out pass their time to the next patient."""
    return waitlist.holds_pass_on()
