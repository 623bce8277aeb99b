"""Urgent and emergency intakes reach a person, or escalate until they do (protocol section 6:
emergency, "on-call staff alerted at once; contact within 1 hour").

An alert goes at once, by email and text, to whoever is on call at the intake's location now
(the location's on-call address when the rota is empty). Until someone acknowledges it, every
ALERT_ESCALATION_MINUTES (emergencies; URGENT_ALERT_ESCALATION_MINUTES for urgent cases) it
goes to the next contact on the rota and to the location's managers, again and again. Each
step is a StaffAlertEvent. A message of an alert that ends as failed (the gateway kept refusing
it, or it could not be built or addressed) does not die quietly: it goes at once to the
location's managers (its on-call address when it has none), recorded as an "undelivered" step.
An urgent case also carries a "contact by" time, 1 working day in
the location's calendar (clinic.working_days, with its holidays); recording the contact clears
it, and overdue ones come first in the alert list. The messages say only what staff need to
act (urgency, location, a link); the patient's details are behind the staff sign-in.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext

from clinic import notifications, roles, working_days
from clinic.errors import NotAllowed
from clinic.models import (
    ContactOutcome,
    Notification,
    NotificationChannel,
    NotificationKind,
    OnCallShift,
    StaffAlert,
    StaffAlertEvent,
)

ALERTING_URGENCIES = ("emergency", "urgent")


def escalation_delay(urgency: str) -> timedelta:
    minutes = (
        settings.ALERT_ESCALATION_MINUTES
        if urgency == "emergency"
        else settings.URGENT_ALERT_ESCALATION_MINUTES
    )
    return timedelta(minutes=minutes)


def on_call(location, *, now=None) -> list[OnCallShift]:
    """The shifts of `location` running at `now`, first contact first."""
    now = now or timezone.now()
    return list(
        OnCallShift.objects.filter(location=location, starts_at__lte=now, ends_at__gt=now).order_by(
            "order", "starts_at"
        )
    )


def managers_of(location) -> list:
    users = get_user_model().objects.filter(
        is_active=True, is_staff=True, groups__name=roles.LOCATION_MANAGER, locations=location
    )
    return list(users.distinct().order_by("email"))


@transaction.atomic
def alert_raise(*, intake, decision, reported_at=None) -> StaffAlert | None:
    """Alert the people on call about an urgent or emergency decision, once per decision.

    An urgent case's contact-by time counts from `reported_at` (a follow-up's new red flag),
    else from the intake's submission."""
    if decision.urgency not in ALERTING_URGENCIES:
        return None
    now = timezone.now()
    alert, created = StaffAlert.objects.get_or_create(
        decision=decision,
        defaults={
            "intake": intake,
            "location": intake.preferred_location,
            "urgency": decision.urgency,
            "next_escalation_at": now + escalation_delay(decision.urgency),
            "contact_by": contact_deadline(
                intake.preferred_location, reported_at or intake.created_at
            )
            if decision.urgency == "urgent"
            else None,
        },
    )
    if created:
        shifts = on_call(alert.location, now=now)  # first contact first
        first = [(s.email, s.phone) for s in shifts if s.order == shifts[0].order]
        contacts = first or [(alert.location.on_call_email, "")]
        _send(alert, contacts, kind=StaffAlertEvent.Kind.RAISED)
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: StaffAlert, actor) -> StaffAlert:
    """A person takes the case: escalation stops. Only staff who may see the location's intakes
    (or any triage clinician, for an emergency) may acknowledge it."""
    alert = StaffAlert.objects.select_for_update().get(pk=alert.pk)
    if not may_handle(actor, alert):
        raise NotAllowed(gettext("Only staff of this location can acknowledge its alerts."))
    if alert.status == StaffAlert.Status.ACKNOWLEDGED:
        return alert
    alert.check_transition(StaffAlert.Status.ACKNOWLEDGED)
    alert.status = StaffAlert.Status.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor
    alert.next_escalation_at = None
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "next_escalation_at"])
    StaffAlertEvent.objects.create(
        alert=alert, kind=StaffAlertEvent.Kind.ACKNOWLEDGED, level=alert.level, actor=actor
    )
    return alert


def contact_deadline(location, submitted_at):
    """Protocol section 6, urgent: contact within 1 working day of the intake, by the
    location's own calendar and holidays."""
    holidays = set(location.holidays.values_list("date", flat=True))
    return working_days.contact_by(submitted_at, location.zone, holidays)


@transaction.atomic
def alert_record_contact(*, alert: StaffAlert, actor, outcome: str, note: str = "") -> StaffAlert:
    """The call was made: record how it went. It acknowledges the alert if nobody had, and
    clears the contact-by clock (even "no answer" is a recorded attempt; staff try again and
    record again)."""
    alert = StaffAlert.objects.select_for_update().get(pk=alert.pk)
    if not may_handle(actor, alert):
        raise NotAllowed(gettext("Only staff of this location can record contact for its alerts."))
    if outcome not in ContactOutcome.values:
        raise NotAllowed(gettext("Choose how the call went."))
    if alert.status == StaffAlert.Status.OPEN:
        alert_acknowledge(alert=alert, actor=actor)
        alert.refresh_from_db()
    alert.contacted_at = timezone.now()
    alert.contact_outcome = outcome
    alert.contact_note = (note or "").strip()[:300]
    alert.save(update_fields=["contacted_at", "contact_outcome", "contact_note"])
    StaffAlertEvent.objects.create(
        alert=alert,
        kind=StaffAlertEvent.Kind.CONTACTED,
        level=alert.level,
        actor=actor,
        note=f"{ContactOutcome(outcome).label}. {alert.contact_note}".strip()[:300],
    )
    return alert


def is_overdue(alert: StaffAlert, *, now=None) -> bool:
    now = now or timezone.now()
    return alert.contacted_at is None and alert.contact_by is not None and alert.contact_by < now


def overdue_q(now) -> Q:
    """`is_overdue` as a filter on alerts: past the contact-by time, no call recorded."""
    return Q(contacted_at__isnull=True, contact_by__lt=now)


def _unacknowledged_emergency_q() -> Q:
    return Q(status=StaffAlert.Status.OPEN, urgency="emergency")


def queue_first_q(now) -> Q:
    """Intakes that go to the top of the triage queue because of their alerts: an
    unacknowledged emergency, or an urgent case overdue for contact. One set of intake ids, so
    the database looks those few intakes up rather than testing every row."""
    calling = StaffAlert.objects.filter(_unacknowledged_emergency_q() | overdue_q(now))
    return Q(pk__in=calling.values("intake_id"))


def queue_priority(now) -> Case:
    """Their order among themselves, before urgency and age: unacknowledged emergencies (0),
    then urgent cases overdue for contact (1)."""
    unacknowledged = StaffAlert.objects.filter(_unacknowledged_emergency_q())
    return Case(
        When(pk__in=unacknowledged.values("intake_id"), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )


def may_handle(actor, alert: StaffAlert) -> bool:
    if roles.is_superuser(actor):
        return True
    if not roles.is_staff(actor):
        return False
    if alert.urgency == "emergency" and roles.has_role(actor, roles.TRIAGE_CLINICIAN):
        return True
    return alert.location_id in roles.location_ids(actor)


def alerts_escalate(*, now=None) -> int:
    """Escalate every open alert whose time has come; how many escalated. Run every minute."""
    now = now or timezone.now()
    due = StaffAlert.objects.filter(
        status=StaffAlert.Status.OPEN, next_escalation_at__lte=now
    ).values_list("pk", flat=True)
    escalated = 0
    for pk in list(due):
        escalated += _escalate_one(pk, now=now)
    return escalated


@transaction.atomic
def _escalate_one(pk: int, *, now) -> int:
    alert = (
        StaffAlert.objects.select_for_update(skip_locked=True)
        .filter(pk=pk, status=StaffAlert.Status.OPEN, next_escalation_at__lte=now)
        .select_related("location")
        .first()
    )
    if alert is None:
        return 0
    alert.level += 1
    shifts = on_call(alert.location, now=now)
    orders = sorted({s.order for s in shifts})
    # The next contact on the rota in turn (wrapping round), and always the managers.
    next_order = orders[min(alert.level, len(orders) - 1)] if orders else None
    contacts = [(s.email, s.phone) for s in shifts if s.order == next_order]
    contacts += [(manager.email, "") for manager in managers_of(alert.location)]
    if not contacts:
        contacts = [(alert.location.on_call_email, "")]
    alert.next_escalation_at = now + escalation_delay(alert.urgency)
    alert.save(update_fields=["level", "next_escalation_at"])
    _send(alert, contacts, kind=StaffAlertEvent.Kind.ESCALATED)
    return 1


@receiver(notifications.notification_failed, dispatch_uid="alerts-escalate-undelivered")
def _on_notification_failed(sender, notification: Notification, **kwargs) -> None:
    if notification.kind == NotificationKind.STAFF_ALERT:
        alert_escalate_undelivered(notification=notification)


@transaction.atomic
def alert_escalate_undelivered(*, notification: Notification) -> StaffAlert | None:
    """A message of an open alert failed for good: tell the location's managers now (its
    on-call address without managers), never the address that failed, and record the step.

    A failed message of this step is recorded, not passed on again: with the gateway down
    for a day, managers warning managers would never end.
    """
    alert = (
        StaffAlert.objects.select_for_update()
        .select_related("location")
        .filter(pk=notification.context.get("alert_id"))
        .first()
    )
    if alert is None or alert.status != StaffAlert.Status.OPEN:
        return None  # someone has the case: nothing is left waiting on this message
    note = f"Not delivered to {notification.recipient or 'no address'}: {notification.last_error}"
    if "undelivered" in notification.context:
        StaffAlertEvent.objects.create(
            alert=alert,
            kind=StaffAlertEvent.Kind.UNDELIVERED,
            level=alert.level,
            note=f"{note} (a warning to the managers; not passed on again)"[:300],
        )
        return alert
    contacts = [(manager.email, "") for manager in managers_of(alert.location)]
    contacts = contacts or [(alert.location.on_call_email, "")]
    contacts = [(email, phone) for email, phone in contacts if email != notification.recipient]
    _send(
        alert,
        contacts,
        kind=StaffAlertEvent.Kind.UNDELIVERED,
        step=f"undelivered-{notification.pk}",
        note=note[:300],
        extra={"undelivered": notification.pk},
    )
    return alert


def _send(
    alert: StaffAlert, contacts, *, kind: str, step: str = "", note: str = "", extra=None
) -> None:
    """Plan the alert's message to each contact (email and text) and record the step; `step`
    names it in the keys (the level by default), so planning it twice sends it once."""
    recipients = []
    step = step or str(alert.level)
    for email, phone in dict.fromkeys(contacts):
        for channel, address in (
            (NotificationChannel.EMAIL, email),
            (NotificationChannel.SMS, phone),
        ):
            if not address:
                continue
            notifications.plan(
                key=f"alert:{alert.public_id}:{step}:{channel}:{address}",
                kind=NotificationKind.STAFF_ALERT,
                channel=channel,
                recipient=address,
                template="notifications/staff_alert",
                due_at=timezone.now(),
                intake=alert.intake,
                context={"decision_id": alert.decision_id, "alert_id": alert.pk, **(extra or {})},
            )
            recipients.append(address)
    StaffAlertEvent.objects.create(
        alert=alert, kind=kind, level=alert.level, recipients=recipients, note=note
    )
    # An alert cannot wait for the next minute's dispatch.
    notifications.dispatch_soon()
