"""Planning and ending a patient's follow-up series (clinic-domain layer: below the services).

An intake plans 2-, 6- and 12-week follow-ups; a discharge (the intake closed after a completed
appointment) adds one 2 weeks later. Each is one outbox message with a signed link that opens
the questionnaire without signing in. A follow-up not answered within `ANSWER_WITHIN` of being
due expires; the patient may stop the whole series with one click.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic import notifications
from clinic.models import Notification, NotificationStatus
from outcomes.models import IMPROVED_IMPRESSIONS, FollowUp

AFTER_INTAKE = {
    FollowUp.Kind.WEEKS_2: timedelta(weeks=2),
    FollowUp.Kind.WEEKS_6: timedelta(weeks=6),
    FollowUp.Kind.WEEKS_12: timedelta(weeks=12),
}
AFTER_DISCHARGE = timedelta(weeks=2)
ANSWER_WITHIN = timedelta(weeks=4)
LINK_SALT = "backstride.outcomes.follow-up"
# Longer than the series (12 weeks) plus the time to answer, so every planned link still works.
TOKEN_MAX_AGE = timedelta(weeks=12) + ANSWER_WITHIN + timedelta(weeks=2)


def is_improved(*, baseline_pain: int, pain: int, impression: str) -> bool:
    """The one definition of "improved": pain down by at least 2 points or 30 % from the
    intake's, or the patient says much or very much better."""
    drop = baseline_pain - pain
    return (
        drop >= 2
        or (baseline_pain > 0 and drop >= 0.3 * baseline_pain)
        or (impression in IMPROVED_IMPRESSIONS)
    )


def token_for(follow_up: FollowUp) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign(str(follow_up.public_id))


def follow_up_id_from_token(token: str) -> str | None:
    try:
        return signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None


def follow_up_url(follow_up: FollowUp) -> str:
    return f"{settings.SITE_URL}{reverse('outcomes:answer', args=[token_for(follow_up)])}"


def _plan(intake, kind: str, due_at, *, message: bool = True) -> FollowUp:
    follow_up, created = FollowUp.objects.get_or_create(
        intake=intake,
        kind=kind,
        defaults={
            "due_at": due_at,
            "baseline_pain": intake.answers["pain_score"],
            "location_id": intake.preferred_location_id,
            "pathway": intake.current_decision.pathway,
            "runner": bool(intake.weekly_distance_km),
        },
    )
    if created and message:
        notifications.plan(
            key=f"follow-up:{follow_up.public_id}",
            kind=notifications.NotificationKind.FOLLOW_UP,
            recipient=intake.email,
            template="notifications/follow_up",
            due_at=due_at,
            context={
                "follow_up_url": follow_up_url(follow_up),
                "when": follow_up.get_kind_display(),
            },
            intake=intake,
        )
    return follow_up


def plan_series(intake, *, self_care: bool = False) -> list[FollowUp]:
    """The 2-, 6- and 12-week follow-ups of a new intake (idempotent).

    On self-care the 2-week self-care check-in is the 2-week follow-up's message (it links to
    the questionnaire), so the patient gets one message that day, not two."""
    return [
        _plan(
            intake,
            kind,
            intake.created_at + after,
            message=not (self_care and kind == FollowUp.Kind.WEEKS_2),
        )
        for kind, after in AFTER_INTAKE.items()
    ]


def follow_pathway(intake, pathway: str) -> None:
    """A new decision on the intake: its follow-ups count under the pathway it now has."""
    FollowUp.objects.filter(intake=intake).exclude(pathway=pathway).update(pathway=pathway)


def plan_discharge(intake, *, now=None) -> FollowUp | None:
    """The follow-up 2 weeks after a discharge: only for an episode that ended with a completed
    visit, and not once the patient has stopped the series."""
    if intake.follow_ups.filter(state=FollowUp.State.STOPPED).exists():
        return None
    if not intake.appointments.filter(status="completed").exists():
        return None
    return _plan(intake, FollowUp.Kind.DISCHARGE, (now or timezone.now()) + AFTER_DISCHARGE)


def expired(follow_up: FollowUp, *, now=None) -> bool:
    return follow_up.is_open and (now or timezone.now()) > follow_up.due_at + ANSWER_WITHIN


@transaction.atomic
def series_stop(*, intake) -> int:
    """The patient's "stop follow-ups": every open follow-up stopped and its message cancelled."""
    open_ones = FollowUp.objects.select_for_update().filter(
        intake=intake, state__in=FollowUp.OPEN_STATES
    )
    stopped = 0
    for follow_up in open_ones:
        follow_up.state = FollowUp.State.STOPPED
        follow_up.save(update_fields=["state", "updated_at"])  # through the model: audited
        stopped += 1
    for message in Notification.objects.filter(
        intake=intake,
        kind=notifications.NotificationKind.FOLLOW_UP,
        status=NotificationStatus.PENDING,
    ):
        message.status = NotificationStatus.CANCELLED
        message.save(update_fields=["status"])
    return stopped


def follow_ups_advance(*, now=None) -> tuple[int, int]:
    """Mark due follow-ups sent (their message is due) and those past `ANSWER_WITHIN` expired.
    Run every hour by beat; two set-based updates, no row held for long."""
    now = now or timezone.now()
    sent = FollowUp.objects.filter(state=FollowUp.State.PLANNED, due_at__lte=now).update(
        state=FollowUp.State.SENT, updated_at=now
    )
    gone = FollowUp.objects.filter(
        state__in=FollowUp.OPEN_STATES, due_at__lt=now - ANSWER_WITHIN
    ).update(state=FollowUp.State.EXPIRED, updated_at=now)
    return sent, gone
