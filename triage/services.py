"""Writes about intakes and decisions. Every function is one transaction and audits itself.

Decisions are append-only: `decision_override` adds a decision and never edits one, and the
intake's `current_decision` always points at the newest.
"""

from collections.abc import Mapping
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinic import alerts, notifications
from clinic.errors import NotAllowed
from outcomes import series
from triage import engine
from triage.models import (
    URGENCY_RANK,
    Intake,
    Pathway,
    Referral,
    ReferralEvent,
    TriageDecision,
    Urgency,
)

SELF_CARE_CHECK_IN_AFTER = timedelta(weeks=2)  # protocol section 6, routine self-care
SAFETY_NET_CHECK_IN_AFTER = timedelta(weeks=4)  # protocol section 5

RUNNER_CONTEXT_FIELDS = (
    "weekly_distance_km",
    "years_running",
    "usual_surface",
    "shoe_age_months",
    "recent_race",
)


@transaction.atomic
def intake_submit(
    *,
    answers: Mapping,
    contact: Mapping,
    runner_context: Mapping,
    preferred_location,
    patient=None,
    language: str = "en",
    predecessor: Intake | None = None,
) -> Intake:
    """Assess the answers with the protocol and store the intake with the engine's decision.

    Raises `engine.TriageError` for invalid answers (nothing is stored). Urgent and emergency
    decisions alert the preferred location's on-call address at once through the outbox;
    self-care and safety-net check-ins and the follow-up series are planned in the same
    transaction. `predecessor` is the earlier intake a follow-up's "worse" answer came from.
    """
    result = engine.assess(answers)
    snapshot = {name: answers[name] for name in engine.FIELDS}
    intake = Intake.objects.create(
        answers=snapshot,
        first_name=contact["first_name"],
        last_name=contact["last_name"],
        email=contact["email"],
        phone=contact.get("phone", "") or "",
        preferred_location=preferred_location,
        patient=patient,
        language=language,
        predecessor=predecessor,
        **{k: v for k, v in runner_context.items() if k in RUNNER_CONTEXT_FIELDS and v is not None},
    )
    decision = _record_decision(intake, _fields_from_result(result))
    self_care = result.pathway == Pathway.SELF_CARE
    follow_ups = series.plan_series(intake, self_care=self_care)
    if self_care:
        notifications.plan_intake_check_in(
            intake=intake,
            kind=notifications.NotificationKind.SELF_CARE_CHECK_IN,
            due_at=intake.created_at + SELF_CARE_CHECK_IN_AFTER,
            context={"follow_up_url": series.follow_up_url(follow_ups[0])},
        )
    if result.safety_net:
        notifications.plan_intake_check_in(
            intake=intake,
            kind=notifications.NotificationKind.SAFETY_NET_CHECK_IN,
            due_at=intake.created_at + SAFETY_NET_CHECK_IN_AFTER,
        )
    _alert_staff_if_needed(intake, decision)
    _follow_referral(intake, decision)
    return intake


FOLLOW_UP_REASON = "New warning signs reported in a follow-up."


@transaction.atomic
def decision_from_follow_up(*, intake: Intake, result: engine.TriageResult) -> TriageDecision:
    """A follow-up reported a red flag the intake did not have: the engine's new result becomes
    the intake's decision, and it takes the intake's own path (staff alert, referral)."""
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    decision = _record_decision(intake, _fields_from_result(result))
    _alert_staff_if_needed(intake, decision, reported_at=decision.created_at)
    _follow_referral(intake, decision, reason=FOLLOW_UP_REASON)
    return decision


@transaction.atomic
def decision_override(
    *, intake: Intake, actor, pathway: str, urgency: str, reason: str
) -> TriageDecision:
    """A clinician sets a new pathway and urgency, with a mandatory reason.

    The engine's decision and every earlier one are kept; the change is recorded in the audit
    log (auditlog registers TriageDecision). Raises NotAllowed without a reason or for a value
    outside the protocol's.
    """
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed(gettext("A reason is required to override a triage decision."))
    if pathway not in Pathway.values or urgency not in Urgency.values:
        raise NotAllowed(gettext("Choose a pathway and an urgency from the protocol."))
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    previous = intake.current_decision
    fields = {
        "pathway": pathway,
        "urgency": urgency,
        "emergency_advice": urgency == Urgency.EMERGENCY,
        "clinician_review": False,
        "rule": "override",
        "red_flags": previous.red_flags,
        "safety_net": previous.safety_net,
        "sbst_total": previous.sbst_total,
        "sbst_psychosocial": previous.sbst_psychosocial,
        "sbst_risk": previous.sbst_risk,
        "reasons": ["A clinician reviewed your answers and set your care plan."],
        "protocol_version": engine.PROTOCOL_VERSION,
    }
    decision = _record_decision(intake, fields, decided_by=actor, override_reason=reason)
    _alert_staff_if_needed(intake, decision)
    _follow_referral(intake, decision, actor=actor, reason=reason)
    if previous.clinician_review:
        _tell_patient_the_review(intake, decision)
    return decision


REVIEW_AGREED = "Clinician review: agreed with the protocol's decision."


@transaction.atomic
def decision_review_agree(*, intake: Intake, actor) -> TriageDecision:
    """A clinician reviews a decision the protocol flagged for review (R9-R11) and agrees with
    it: one action, no reason needed (an override is how to disagree).

    Adds a decision with the same pathway and urgency and `clinician_review` cleared, decided by
    `actor`, so the intake can be booked; the engine's decision is kept and the change audited.
    Raises NotAllowed when the current decision does not need review.
    """
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    previous = intake.current_decision
    if previous is None or not previous.clinician_review:
        raise NotAllowed(gettext("This intake does not need a clinician's review."))
    fields = {
        name: getattr(previous, name)
        for name in (
            "pathway",
            "urgency",
            "emergency_advice",
            "rule",
            "red_flags",
            "safety_net",
            "sbst_total",
            "sbst_psychosocial",
            "sbst_risk",
            "reasons",
            "protocol_version",
        )
    }
    decision = _record_decision(
        intake,
        {**fields, "clinician_review": False},
        decided_by=actor,
        override_reason=REVIEW_AGREED,
    )
    _follow_referral(intake, decision, actor=actor, reason=REVIEW_AGREED)
    _tell_patient_the_review(intake, decision)
    return decision


def _tell_patient_the_review(intake: Intake, decision: TriageDecision) -> None:
    """After a clinician's review (R9-R11) the patient hears what was decided and what happens
    next; for physiotherapy, that they may now book online."""
    notifications.plan(
        key=f"intake:{intake.public_id}:review_outcome:{decision.pk}",
        kind=notifications.NotificationKind.REVIEW_OUTCOME,
        recipient=intake.email,
        template="notifications/review_outcome",
        due_at=timezone.now(),
        intake=intake,
    )


# --- Referrals (imaging and surgical consults) -------------------------------------------------

REFERRAL_PATHWAYS = (Pathway.IMAGING, Pathway.SURGICAL_CONSULT)


def referral_target(intake: Intake, urgency: str):
    """The section 6 staff target, counted from the intake's submission."""
    return intake.created_at + engine.STAFF_TARGET[urgency]


def open_referral(intake: Intake, *, lock: bool = False) -> Referral | None:
    referrals = Referral.objects.filter(intake=intake, state__in=Referral.OPEN_STATES)
    if lock:
        referrals = referrals.select_for_update()
    return referrals.first()


@transaction.atomic
def referral_move(*, referral: Referral, actor, state: str, reason: str = "") -> Referral:
    """Move a referral to `state`, as `actor`, recording a ReferralEvent (who, when, why).

    Validated by `Referral.check_transition` on the locked, current row: raises
    InvalidTransition for a move the table does not allow, NotAllowed when returning or
    declining without a reason.
    """
    reason = (reason or "").strip()
    if state in Referral.NEEDS_REASON and not reason:
        raise NotAllowed(gettext("Say why the referral is returned or declined."))
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    referral.move(state, actor=actor, reason=reason)
    return referral


RETURN_PATHWAYS = (Pathway.PHYSIO, Pathway.SELF_CARE)


def _check_not_booked(intake: Intake) -> None:
    if intake.appointments.filter(status="booked").exists():
        raise NotAllowed(
            gettext(
                "This referral has a booked appointment: cancel it first, so the time is freed and "
                "the patient is told."
            )
        )


def _tell_patient_about_referral(intake: Intake, referral: Referral, kind: str) -> None:
    notifications.plan(
        key=f"intake:{intake.public_id}:{kind}:{referral.public_id}",
        kind=kind,
        recipient=intake.email,
        template=f"notifications/{kind}",
        due_at=timezone.now(),
        context={"reason": referral.reason, "pathway": referral.pathway},
        intake=intake,
    )


@transaction.atomic
def referral_decline(*, intake: Intake, actor, reason: str) -> Referral:
    """Staff decline the intake's open referral, with a reason the patient is told.

    The referral moves to declined (a ReferralEvent: who, when, why), the intake is closed with
    the reason as its outcome, and the patient gets a message with the reason and the clinic's
    phone number. Raises NotAllowed without a reason, with no open referral or while a visit is
    booked; InvalidTransition for a move the referral's table refuses.
    """
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed(gettext("Say why the referral is declined: the patient is told."))
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    referral = open_referral(intake, lock=True)
    if referral is None:
        raise NotAllowed(gettext("This intake has no open referral."))
    _check_not_booked(intake)
    referral.move(Referral.State.DECLINED, actor=actor, reason=reason)
    intake_set_status(
        intake=intake,
        actor=actor,
        status=Intake.Status.CLOSED,
        outcome=f"Referral declined: {reason}"[:300],
    )
    _tell_patient_about_referral(intake, referral, notifications.NotificationKind.REFERRAL_DECLINED)
    return referral


@transaction.atomic
def referral_return(*, intake: Intake, actor, pathway: str, reason: str) -> Referral:
    """Staff return the intake's open referral with advice: physiotherapy or self-care.

    A clinician's decision for `pathway` is added (append-only; the urgency kept, an emergency
    excepted), which returns the referral (a ReferralEvent with the reason). The patient is told
    the reason and what to do: for physiotherapy, that they may book online now; for self-care,
    the advice link (and the 2-week check-in is planned). Raises NotAllowed without a reason, for
    another pathway, with no open referral or while a visit is booked.
    """
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed(gettext("Say why the referral is returned: the patient is told."))
    if pathway not in RETURN_PATHWAYS:
        raise NotAllowed(
            gettext("A referral is returned with advice for physiotherapy or self-care.")
        )
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    referral = open_referral(intake, lock=True)
    if referral is None:
        raise NotAllowed(gettext("This intake has no open referral."))
    _check_not_booked(intake)
    previous = intake.current_decision
    urgency = previous.urgency if previous.urgency != Urgency.EMERGENCY else Urgency.URGENT
    decision = _record_decision(
        intake,
        {
            "pathway": pathway,
            "urgency": urgency,
            "emergency_advice": False,
            "clinician_review": False,
            "rule": "override",
            "red_flags": previous.red_flags,
            "safety_net": previous.safety_net,
            "sbst_total": previous.sbst_total,
            "sbst_psychosocial": previous.sbst_psychosocial,
            "sbst_risk": previous.sbst_risk,
            "reasons": ["A clinician reviewed your referral and set your care plan."],
            "protocol_version": engine.PROTOCOL_VERSION,
        },
        decided_by=actor,
        override_reason=f"Referral returned with advice: {reason}",
    )
    _follow_referral(intake, decision, actor=actor, reason=reason)
    referral.refresh_from_db()
    if pathway == Pathway.SELF_CARE:
        notifications.plan_intake_check_in(
            intake=intake,
            kind=notifications.NotificationKind.SELF_CARE_CHECK_IN,
            due_at=timezone.now() + SELF_CARE_CHECK_IN_AFTER,
        )
    _tell_patient_about_referral(intake, referral, notifications.NotificationKind.REFERRAL_RETURNED)
    return referral


def _follow_referral(intake: Intake, decision: TriageDecision, *, actor=None, reason="") -> None:
    """Keep the intake's one open referral in step with its newest decision.

    Imaging or a surgical consult: made (awaiting review for R9-R11, else ready to schedule) or
    updated (pathway, urgency, target; a completed review makes it ready). Redirected to physio
    or self-care by a clinician: returned with advice, the clinician's reason kept.
    """
    referral = open_referral(intake, lock=True)
    State = Referral.State
    if decision.pathway not in REFERRAL_PATHWAYS:
        if referral is not None:
            referral.move(
                State.RETURNED,
                actor=actor,
                reason=reason or f"Redirected to {decision.get_pathway_display().lower()}.",
            )
        return
    state = State.AWAITING_REVIEW if decision.clinician_review else State.READY_TO_SCHEDULE
    if referral is None:
        referral = Referral.objects.create(
            intake=intake,
            pathway=decision.pathway,
            urgency=decision.urgency,
            state=state,
            target_date=referral_target(intake, decision.urgency),
        )
        ReferralEvent.objects.create(
            referral=referral, to_state=state, actor=actor, reason=reason or decision.rule
        )
        return
    referral.pathway = decision.pathway
    referral.urgency = decision.urgency
    referral.target_date = referral_target(intake, decision.urgency)
    referral.save(update_fields=["pathway", "urgency", "target_date", "updated_at"])
    if referral.state == State.AWAITING_REVIEW and state == State.READY_TO_SCHEDULE:
        referral.move(state, actor=actor, reason=reason)


@transaction.atomic
def intake_attach(*, intake: Intake, patient) -> Intake:
    """Attach an anonymous intake to the patient who just signed in or signed up.

    An intake that already belongs to someone else is never moved (raises NotAllowed).
    """
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    if intake.patient_id not in (None, patient.pk):
        raise NotAllowed(gettext("This intake belongs to another account."))
    if intake.patient_id is None:
        intake.patient = patient
        intake.save(update_fields=["patient", "updated_at"])
    return intake


@transaction.atomic
def intake_set_status(*, intake: Intake, actor, status: str, outcome: str = "") -> Intake:
    """Move the intake to `status` (and record the outcome, if given).

    Every move is validated by `Intake.check_transition` on the locked, current row: raises
    InvalidTransition (e.g. a closed intake back to new) and NotAllowed for an unknown status.
    Moving to the status it already has only updates the outcome. Closing it ends its open
    referral (closed if attended, else declined with the outcome as the reason).
    """
    if status not in Intake.Status.values:
        raise NotAllowed(gettext("Unknown intake status."))
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    intake.check_transition(status)
    intake.status = status
    update = ["status", "updated_at"]
    if outcome:
        intake.outcome = outcome
        update.append("outcome")
    intake.save(update_fields=update)
    if status == Intake.Status.CLOSED:
        _close_referral(intake, actor=actor, outcome=intake.outcome)
        # Discharge: an episode closed after a completed visit is followed up 2 weeks later.
        series.plan_discharge(intake)
    return intake


def _close_referral(intake: Intake, *, actor, outcome: str) -> None:
    """Closing the intake ends its open referral: closed once attended, else declined, with
    the intake's outcome as the reason."""
    referral = open_referral(intake, lock=True)
    if referral is None:
        return
    State = Referral.State
    state = State.CLOSED if referral.state == State.ATTENDED else State.DECLINED
    referral.move(state, actor=actor, reason=outcome or "The intake was closed.")


@transaction.atomic
def intake_assign(*, intake: Intake, assignee) -> Intake:
    """Assign the intake to a staff member; saved through the model so auditlog records it."""
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    intake.assigned_to = assignee
    intake.save(update_fields=["assigned_to", "updated_at"])
    return intake


def _fields_from_result(result: engine.TriageResult) -> dict:
    return {
        "pathway": result.pathway,
        "urgency": result.urgency,
        "emergency_advice": result.emergency_advice,
        "clinician_review": result.clinician_review,
        "rule": result.rule,
        "red_flags": list(result.red_flags),
        "safety_net": list(result.safety_net),
        "sbst_total": result.sbst_total,
        "sbst_psychosocial": result.sbst_psychosocial,
        "sbst_risk": result.sbst_risk,
        "reasons": list(result.reasons),
        "protocol_version": result.protocol_version,
    }


def _record_decision(intake: Intake, fields: dict, **who) -> TriageDecision:
    decision = TriageDecision.objects.create(intake=intake, **fields, **who)
    intake.current_decision = decision
    intake.urgency_rank = URGENCY_RANK[decision.urgency]
    intake.save(update_fields=["current_decision", "urgency_rank", "updated_at"])
    series.follow_pathway(intake, decision.pathway)
    return decision


def _alert_staff_if_needed(intake: Intake, decision: TriageDecision, reported_at=None) -> None:
    # Protocol section 6: emergency and urgent cases reach the on-call staff at once.
    if decision.urgency in (Urgency.EMERGENCY, Urgency.URGENT):
        alerts.alert_raise(intake=intake, decision=decision, reported_at=reported_at)
