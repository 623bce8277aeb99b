"""What a result means and what happens next, in words a patient can act on."""

from collections.abc import Mapping

from triage.advice.i18n import Text, gettext_noop
from triage.advice.running import shoe_advice
from triage.advice.safety import (
    BONE_STRESS_ADVICE,
    SAFETY_NET_ADVICE,
    bone_stress,
    personal_emergency_signs,
    seek_help_sooner,
)

PATHWAY_TITLES = {
    "self_care": gettext_noop("A self-care plan"),
    "physio": gettext_noop("Physical therapy (PT)"),
    "imaging": gettext_noop("A scan of your spine"),
    "surgical_consult": gettext_noop("An appointment with a spine specialist"),
}

URGENCY_TITLES = {
    "emergency": gettext_noop("Now: get emergency care"),
    "urgent": gettext_noop("Urgent, we will contact you within 1 working day"),
    "soon": gettext_noop("Soon, within the next 4 weeks"),
    "routine": gettext_noop("Routine, at a time that suits you"),
}

SBST_RISK_TITLES = {
    "low": gettext_noop("Low risk of the pain lasting"),
    "medium": gettext_noop("Medium risk of the pain lasting"),
    "high": gettext_noop("High risk of the pain lasting"),
}

PSYCHOLOGICALLY_INFORMED = gettext_noop(
    "Your PT will help with more than exercise. Your physical therapist will also help with "
    "worry, low mood and the way pain affects your day. These make a real difference to how "
    "fast you get better."
)

# Why: the deciding rule (protocol section 4) in plain words. The engine's own reasons are for
# staff screens and the record; a decision set by a clinician keeps the words it was given.
REASONS = {
    "R1": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "Your answers show signs that the nerves at the base of your spine may be squeezed. "
        "Doctors call this cauda equina syndrome. It needs emergency care."
    ),
    "R2": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have had cancer, and you have numbness or weakness in a leg. This can mean "
        "something is pressing on your spinal cord. It needs emergency care."
    ),
    "R3": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "Weakness in a leg or foot that is getting worse needs emergency care."
    ),
    "R4": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have a fever, and your immune system is weak or you inject drugs. This can mean "
        "an infection in your spine. It needs emergency care."
    ),
    "R5": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "Back pain after a major injury, such as a fall from height or a crash, needs "
        "emergency care."
    ),
    "R6": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have had cancer. So we want a scan of your spine, to check that the pain is not "
        "linked to it."
    ),
    "R7": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "A weak immune system, or injecting drugs, makes an infection in the spine more "
        "likely. So we want a scan to check."
    ),
    "R8": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You had a fall or a strain. At 65 or over, with thin bones or after long use of "
        "steroid tablets, this can break a bone in the spine. So we want a scan to check."
    ),
    "R9": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have lost weight without trying. A clinician will look at your answers before a "
        "scan is booked."
    ),
    "R10": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have a fever with your back pain. A clinician will look at your answers before "
        "a scan is booked."
    ),
    "R11": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have weakness in a leg or foot. A clinician will look at your answers before PT "
        "is booked."
    ),
    "R12": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have had leg pain below the knee for 12 weeks or more, even after 6 weeks or "
        "more of PT or exercise. A spine specialist can talk with you about a shot or surgery."
    ),
    "R13": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "You have had leg pain below the knee for 6 weeks or more, even after 6 weeks or "
        "more of PT or exercise. A scan can help plan the next step."
    ),
    "R14": gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "Your pain began after a big rise in your running, and it hurts when you hop. This "
        "can be a stress injury in the bone. So we want a scan."
    ),
}
SBST_REASONS = {
    "low": gettext_noop(
        "Your answers show a low risk of long-term problems. So a self-care plan is the "
        "best start. Most back pain gets better when you stay active."
    ),
    "medium": gettext_noop(
        "Your answers show a medium risk that the pain will last. So we suggest "
        "physical therapy (PT)."
    ),
    "high": gettext_noop(
        "Your answers show a high risk that the pain will last. So we suggest PT that "
        "also helps with worry, low mood and how pain affects your life."
    ),
}
# The other red flags present (section 4 reports them all), as what our team will also check.
ALSO_CHECKED = {
    "cauda_equina": gettext_noop("the signs of pressure on the nerves at the base of your spine"),
    "cord_compression": gettext_noop(
        "the numbness or weakness in your leg, as you have had cancer"
    ),
    "progressive_deficit": gettext_noop("the weakness in your leg or foot that is getting worse"),
    "infection": gettext_noop("the chance of an infection in your spine"),
    "major_trauma": gettext_noop("the injury that started your pain"),
    "cancer_history": gettext_noop("that you have had cancer"),
    "infection_risk": gettext_noop("the chance of an infection in your spine"),
    "fragility_fracture": gettext_noop("the chance of a broken bone in your spine"),
    "weight_loss": gettext_noop("your weight loss"),
    "fever": gettext_noop("your fever"),
    "stable_deficit": gettext_noop("the weakness in your leg or foot"),
}


# The red flags each rule's own reason already speaks of, so they are not "also" checked.
_REASON_COVERS = {
    "R1": {"cauda_equina"},
    "R2": {"cord_compression", "cancer_history"},
    "R3": {"progressive_deficit"},
    "R4": {"infection", "infection_risk", "fever"},
    "R5": {"major_trauma"},
    "R6": {"cancer_history"},
    "R7": {"infection_risk"},
    "R8": {"fragility_fracture"},
    "R9": {"weight_loss"},
    "R10": {"fever"},
    "R11": {"stable_deficit"},
}


def reasons(decision) -> list[str]:
    """Why this result, in plain words: the deciding rule first, then what is also checked."""
    if decision.rule == "SBST":
        first = SBST_REASONS.get(decision.sbst_risk)
    else:
        first = REASONS.get(decision.rule)
    if first is None:  # a clinician's decision: the words it was given
        return list(decision.reasons)
    covered = _REASON_COVERS.get(decision.rule, set())
    also = []
    for code in decision.red_flags:
        words = ALSO_CHECKED.get(code)
        if code not in covered and words and words not in also:
            also.append(words)
    return [
        first,
        *(Text(gettext_noop("Our team will also check %(what)s."), what=w) for w in also),
    ]


def result_label(decision) -> str:
    """A past check as the patient's account lists it: an emergency was never a booking."""
    if decision is None:
        return gettext_noop("Result not ready")
    if decision.urgency == "emergency":
        return gettext_noop("Emergency care advised (nothing was booked)")
    return PATHWAY_TITLES.get(decision.pathway, decision.get_pathway_display())


# What the person reported, in words they can repeat to an emergency department. Each row: when
# the answers show it, the words, and the red flags (protocol section 4) it belongs to.
_SYMPTOMS = (
    (
        lambda a: a.get("saddle_numbness") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("Numbness around the saddle area (the genitals, buttocks or inner thighs)"),
        {"cauda_equina"},
    ),
    (
        lambda a: a.get("bladder_bowel_change") is True,
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "A new change in bladder or bowel control (trouble passing urine, leaking, or not "
            "feeling a full bladder)"
        ),
        {"cauda_equina"},
    ),
    (
        lambda a: a.get("both_legs") is True and a.get("leg_pain_below_knee") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("Pain spreading below the knee, with pain or numbness in both legs"),
        {"cauda_equina"},
    ),
    (
        lambda a: a.get("leg_weakness") == "progressive",
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("Weakness in a leg or foot that is getting worse"),
        {"progressive_deficit", "cord_compression"},
    ),
    (
        lambda a: a.get("leg_weakness") == "stable",
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("Weakness in a leg or foot"),
        {"stable_deficit", "cord_compression"},
    ),
    (
        lambda a: a.get("leg_numbness") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("Numbness or pins and needles in a leg or foot"),
        {"cord_compression"},
    ),
    (
        lambda a: a.get("cancer_history") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("I have had cancer"),
        {"cord_compression", "cancer_history"},
    ),
    (
        lambda a: a.get("fever") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("A fever or chills, or feeling generally unwell"),
        {"infection", "fever"},
    ),
    (
        lambda a: a.get("immunosuppressed") is True,
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "A weakened immune system (for example from chemotherapy, a transplant or HIV)"
        ),
        {"infection", "infection_risk"},
    ),
    (
        lambda a: a.get("iv_drug_use") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("I inject drugs"),
        {"infection", "infection_risk"},
    ),
    (
        lambda a: a.get("trauma") == "major",
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "The pain started after a major injury, such as a fall from height or a collision"
        ),
        {"major_trauma"},
    ),
    (
        lambda a: a.get("trauma") == "minor",
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("The pain started after a fall or a strain"),
        {"fragility_fracture"},
    ),
    (
        lambda a: a.get("osteoporosis") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("I have osteoporosis"),
        {"fragility_fracture"},
    ),
    (
        lambda a: a.get("steroids") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("I have taken steroid tablets for 3 months or more"),
        {"fragility_fracture"},
    ),
    (
        lambda a: a.get("weight_loss") is True,
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("Weight loss I cannot explain"),
        {"weight_loss"},
    ),
)


def reported_symptoms(answers: Mapping, red_flags) -> list[str]:
    """The reported symptoms behind the red flags, in plain words, most serious first."""
    flags = set(red_flags)
    return [words for shows, words, codes in _SYMPTOMS if codes & flags and shows(answers)]


def next_steps(*, pathway: str, urgency: str, clinician_review: bool) -> list[str]:
    """What happens next for a non-emergency result (protocol sections 6 and 7)."""
    if clinician_review:
        return [
            gettext_noop("A clinician will look at your answers before anything is booked."),
            gettext_noop(
                "We will contact you within 1 working day to tell you what happens next. "
                "You do not need to book anything."
            ),
        ]
    if pathway == "self_care":
        return [
            gettext_noop(
                "You do not need an appointment. Follow the self-care plan below. Most back pain "
                "gets better within a few weeks, and staying active helps."
            ),
            gettext_noop(
                "In 2 weeks we will email you to ask how your back is. If it is not better, you "
                "can "
                "take the check again and we will suggest the next step."
            ),
        ]
    if pathway == "physio":
        when = {
            "urgent": gettext_noop(
                "Please book a physical therapy (PT) assessment now. We aim to see you "
                "within 14 days. Our team will also contact you within 1 working day."
            ),
            "soon": gettext_noop(
                "Please book a physical therapy (PT) assessment within the next 4 weeks."
            ),
            "routine": gettext_noop(
                "Book a physical therapy (PT) assessment online at a time that suits you."
            ),
        }
        return [when.get(urgency, when["routine"])]
    what = (
        gettext_noop("a scan of your spine")
        if pathway == "imaging"
        else gettext_noop("an appointment with a spine specialist")
    )
    when = {
        "urgent": gettext_noop(
            "Our team will contact you within 1 working day to arrange %(what)s."
        ),
        "soon": gettext_noop(
            "Our team will contact you to arrange %(what)s within the next 4 weeks."
        ),
        "routine": gettext_noop(
            "Our team will contact you to arrange %(what)s at a time that suits you."
        ),
    }
    return [
        Text(when.get(urgency, when["routine"]), what=what),
        gettext_noop("You do not need to book anything yourself."),
    ]


def for_decision(intake, decision) -> dict:
    """Everything the result page says about one decision, ready for the template."""
    emergency = decision.urgency == "emergency"
    answers = intake.answers
    return {
        "pathway_title": PATHWAY_TITLES.get(decision.pathway, decision.get_pathway_display()),
        "urgency_title": URGENCY_TITLES.get(decision.urgency, decision.get_urgency_display()),
        "sbst_risk_title": SBST_RISK_TITLES.get(decision.sbst_risk, ""),
        "reasons": reasons(decision),
        "next_steps": []
        if emergency
        else next_steps(
            pathway=decision.pathway,
            urgency=decision.urgency,
            clinician_review=decision.clinician_review,
        ),
        "reported_symptoms": reported_symptoms(answers, decision.red_flags),
        # Booking is online for physiotherapy only, and never before a clinician's review or
        # after an emergency (protocol section 7).
        "can_book": decision.pathway == "physio"
        and not decision.clinician_review
        and not emergency,
        "psychologically_informed": PSYCHOLOGICALLY_INFORMED
        if decision.pathway == "physio" and decision.sbst_risk == "high" and not emergency
        else "",
        "self_care": decision.pathway == "self_care" and not emergency,
        # NG59: self-management advice at every step, not only on the self-care pathway.
        "self_care_advice": not emergency,
        "bone_stress_advice": BONE_STRESS_ADVICE if bone_stress(answers) and not emergency else (),
        "shoe_advice": shoe_advice(
            shoe_age_months=intake.shoe_age_months, weekly_distance_km=intake.weekly_distance_km
        ),
        "safety_net_advice": [
            SAFETY_NET_ADVICE[code] for code in decision.safety_net if code in SAFETY_NET_ADVICE
        ],
        "seek_help_sooner": seek_help_sooner(answers),
        # The shared 911 list itself comes from the template tag (patient_advice), as on
        # pages that have no decision.
        "personal_emergency_signs": personal_emergency_signs(answers),
    }
