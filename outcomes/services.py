"""Answering a follow-up (outcomes domain, above the triage services it calls).

The answers are scored by the triage engine itself: the intake's answers with the new pain,
STarT Back items and red-flag answers in their place go through `engine.assess`, so the score
and the red-flag rules are the protocol's, never a copy. A red flag the intake did not have
becomes a new decision on the intake through `triage.services`, with the same emergency advice
and staff alert as an intake.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from clinic.errors import NotAllowed
from outcomes import series
from outcomes.models import WORSE_IMPRESSIONS, FollowUp, FollowUpAnswer
from triage import engine
from triage import services as triage_services

# The warning-sign questions a follow-up asks again (engine names), those of R1-R4 and R9-R11
# that can appear after the first visit.
RED_FLAG_FIELDS = (
    "saddle_numbness",
    "bladder_bowel_change",
    "both_legs",
    "leg_pain_below_knee",
    "leg_numbness",
    "leg_weakness",
    "fever",
    "weight_loss",
)
SBST_FIELDS = tuple(f"sbst_{n}" for n in range(1, 10))


@dataclass(frozen=True)
class Outcome:
    answer: FollowUpAnswer
    result: engine.TriageResult
    new_red_flags: tuple[str, ...]

    @property
    def emergency(self) -> bool:
        return bool(self.new_red_flags) and self.result.emergency_advice

    @property
    def offer_new_check(self) -> bool:
        return self.answer.impression in WORSE_IMPRESSIONS


def follow_up_answers(follow_up: FollowUp, values: dict) -> dict:
    """The intake's answers with the follow-up's in their place: what the engine re-assesses,
    and what a new check starts from."""
    carried = dict(follow_up.intake.answers)
    carried["pain_score"] = values["pain_score"]
    carried.update({name: values[name] for name in (*SBST_FIELDS, *RED_FLAG_FIELDS)})
    return carried


def carried_answers(follow_up: FollowUp) -> dict:
    """`follow_up_answers` from what an answered follow-up stored."""
    answer = follow_up.answer
    return follow_up_answers(
        follow_up, {**answer.red_flag_answers, **answer.sbst, "pain_score": answer.pain_score}
    )


@transaction.atomic
def follow_up_answer(*, follow_up: FollowUp, values: dict, now=None) -> Outcome:
    """Record the patient's answers (validated by the form; the engine checks them again).

    Raises NotAllowed for a follow-up already answered, stopped or expired, and
    engine.TriageError for answers outside the protocol's.
    """
    now = now or timezone.now()
    follow_up = FollowUp.objects.select_for_update().select_related("intake").get(pk=follow_up.pk)
    if not follow_up.is_open or series.expired(follow_up, now=now):
        raise NotAllowed(
            gettext("This follow-up is closed: it was answered, stopped or has expired.")
        )
    intake = follow_up.intake
    result = engine.assess(follow_up_answers(follow_up, values))
    known = set(intake.current_decision.red_flags) if intake.current_decision else set()
    new_flags = tuple(flag for flag in result.red_flags if flag not in known)
    answer = FollowUpAnswer.objects.create(
        follow_up=follow_up,
        pain_score=values["pain_score"],
        sbst={name: values[name] for name in SBST_FIELDS},
        sbst_total=result.sbst_total,
        sbst_risk=result.sbst_risk,
        impression=values["impression"],
        red_flag_answers={name: values[name] for name in RED_FLAG_FIELDS},
        new_red_flags=list(new_flags),
        runs_again=values.get("runs_again"),
        running_share=values.get("running_share"),
    )
    follow_up.state = FollowUp.State.ANSWERED
    follow_up.answered_at = now
    follow_up.improved = series.is_improved(
        baseline_pain=follow_up.baseline_pain,
        pain=values["pain_score"],
        impression=values["impression"],
    )
    follow_up.back_to_running = values.get("runs_again")
    follow_up.save(
        update_fields=["state", "answered_at", "improved", "back_to_running", "updated_at"]
    )
    if new_flags:
        triage_services.decision_from_follow_up(intake=intake, result=result)
    return Outcome(answer, result, new_flags)


def follow_up_open(follow_up: FollowUp, *, now=None) -> bool:
    return follow_up.is_open and not series.expired(follow_up, now=now)


def follow_up_stop(*, follow_up: FollowUp) -> int:
    """One click from any follow-up's link stops the rest of its series."""
    return series.series_stop(intake=follow_up.intake)
