"""Plain-language words for the intake: its questions, and what a result means and what happens
next.

Pure text and small functions, no Django, so the wording a patient reads (protocol section 2's
questions, sections 5-7's advice) lives in one place:

- `questions`: the questions and the words for their answers;
- `safety`: the one 911 list, a person's own 911 signs, when to seek help sooner, bone stress;
- `results`: what a result means, why, and what happens next;
- `running`: shoes, and what to bring to each kind of appointment.
"""

from triage.advice.questions import (
    CHOICE_LABELS,
    QUESTIONS,
    choice_pairs,
    question_for,
)
from triage.advice.results import (
    ALSO_CHECKED,
    PATHWAY_TITLES,
    PSYCHOLOGICALLY_INFORMED,
    REASONS,
    SBST_REASONS,
    SBST_RISK_TITLES,
    URGENCY_TITLES,
    for_decision,
    next_steps,
    reasons,
    reported_symptoms,
    result_label,
)
from triage.advice.running import (
    DEFAULT_REMINDER_NOTES,
    MRI_NOTES,
    REMINDER_NOTES,
    SHOE_MILES,
    reminder_notes,
    shoe_advice,
)
from triage.advice.safety import (
    BONE_STRESS_ADVICE,
    EMERGENCY_SIGNS,
    SAFETY_NET_ADVICE,
    SAFETY_NET_CHECK_IN_ADVICE,
    SEEK_HELP_SOONER,
    bone_stress,
    check_in_advice,
    emergency_signs,
    personal_emergency_signs,
    seek_help_sooner,
)

__all__ = [
    "ALSO_CHECKED",
    "BONE_STRESS_ADVICE",
    "CHOICE_LABELS",
    "DEFAULT_REMINDER_NOTES",
    "EMERGENCY_SIGNS",
    "MRI_NOTES",
    "PATHWAY_TITLES",
    "PSYCHOLOGICALLY_INFORMED",
    "QUESTIONS",
    "REASONS",
    "REMINDER_NOTES",
    "SAFETY_NET_ADVICE",
    "SAFETY_NET_CHECK_IN_ADVICE",
    "SBST_REASONS",
    "SBST_RISK_TITLES",
    "SEEK_HELP_SOONER",
    "SHOE_MILES",
    "URGENCY_TITLES",
    "bone_stress",
    "check_in_advice",
    "choice_pairs",
    "emergency_signs",
    "for_decision",
    "next_steps",
    "personal_emergency_signs",
    "question_for",
    "reasons",
    "reminder_notes",
    "reported_symptoms",
    "result_label",
    "seek_help_sooner",
    "shoe_advice",
]
