"""Bulk recovery follow-ups for bulk intakes: the 2-, 6- and 12-week series, answered at about
a clinic's rate, with pain that mostly eases (faster on self-care and physiotherapy) and a
STarT Back score re-computed by the engine from the changed items. No outbox rows (see bulk.py).
"""

import random
from datetime import timedelta

from outcomes import series
from outcomes.models import FollowUp, FollowUpAnswer, Impression
from outcomes.services import RED_FLAG_FIELDS, SBST_FIELDS
from triage import engine

RESPONSE_RATE = {
    FollowUp.Kind.WEEKS_2: 0.65,
    FollowUp.Kind.WEEKS_6: 0.55,
    FollowUp.Kind.WEEKS_12: 0.45,
}
# The share of the intake's pain left, on average, by follow-up and pathway.
PAIN_LEFT = {FollowUp.Kind.WEEKS_2: 0.8, FollowUp.Kind.WEEKS_6: 0.6, FollowUp.Kind.WEEKS_12: 0.5}
PATHWAY_EFFECT = {"self_care": 0.95, "physio": 0.9, "imaging": 1.05, "surgical_consult": 1.1}
STOP_RATE = 0.04
RUNNING_SHARES = (25, 50, 75, 100)


def _impression(drop: int, rng: random.Random) -> str:
    drop += rng.choice((-1, 0, 0, 0, 1))
    if drop >= 4:
        return Impression.VERY_MUCH_BETTER
    if drop >= 2:
        return Impression.MUCH_BETTER
    if drop == 1:
        return Impression.A_LITTLE_BETTER
    if drop == 0:
        return Impression.NO_CHANGE
    if drop == -1:
        return Impression.A_LITTLE_WORSE
    return Impression.MUCH_WORSE if drop == -2 else Impression.VERY_MUCH_WORSE


def add_follow_ups(intakes, results, rng: random.Random, now) -> int:
    """The follow-ups (and answers) of intakes just inserted with their engine results."""
    follow_ups, answers = [], []
    for intake, result in zip(intakes, results, strict=True):
        baseline = intake.answers["pain_score"]
        stopped = False
        for kind, after in series.AFTER_INTAKE.items():
            due = intake.created_at + after
            row = FollowUp(
                location_id=intake.preferred_location_id,
                pathway=result.pathway,
                runner=bool(intake.weekly_distance_km),
                intake=intake,
                kind=kind,
                due_at=due,
                baseline_pain=baseline,
                created_at=intake.created_at,
            )
            follow_ups.append(row)
            stopped = stopped or (due <= now and rng.random() < STOP_RATE)
            if due > now:
                continue
            if stopped:
                row.state = FollowUp.State.STOPPED
                continue
            answered_at = due + timedelta(hours=rng.randrange(1, 24 * 5))
            if answered_at > now or rng.random() > RESPONSE_RATE[kind]:
                late = now > due + series.ANSWER_WITHIN
                row.state = FollowUp.State.EXPIRED if late else FollowUp.State.SENT
                continue
            row.state, row.answered_at = FollowUp.State.ANSWERED, answered_at
            values = _answer(intake, result, kind, rng)
            row.improved = series.is_improved(
                baseline_pain=baseline, pain=values["pain_score"], impression=values["impression"]
            )
            row.back_to_running = values["runs_again"]
            answers.append((row, values))
    FollowUp.objects.bulk_create(follow_ups)
    FollowUpAnswer.objects.bulk_create(
        [FollowUpAnswer(follow_up=row, **values) for row, values in answers]
    )
    return len(follow_ups)


def _answer(intake, result, kind, rng: random.Random) -> dict:
    baseline = intake.answers["pain_score"]
    left = PAIN_LEFT[kind] * PATHWAY_EFFECT.get(result.pathway, 1.0)
    pain = max(0, min(10, round(baseline * left + rng.gauss(0, 1.5))))
    impression = _impression(baseline - pain, rng)
    # Items ease as the pain does; the engine scores the changed set, as for a real answer.
    eased = pain < baseline
    items = {
        name: (intake.answers[name] and not (eased and rng.random() < 0.5))
        for name in SBST_FIELDS[:-1]
    }
    items["sbst_9"] = "slightly" if eased else intake.answers["sbst_9"]
    scored = engine.assess({**intake.answers, **items, "pain_score": pain})
    runs_again = rng.random() < (0.85 if eased else 0.35)
    return {
        "pain_score": pain,
        "sbst": items,
        "sbst_total": scored.sbst_total,
        "sbst_risk": scored.sbst_risk,
        "impression": impression,
        "red_flag_answers": {name: intake.answers[name] for name in RED_FLAG_FIELDS},
        "new_red_flags": [],
        "runs_again": runs_again,
        "running_share": rng.choice(RUNNING_SHARES) if runs_again else 0,
        "created_at": intake.created_at + series.AFTER_INTAKE[kind],
    }
