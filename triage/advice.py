"""Plain-language words for the intake: its questions, and what a result means and what happens
next.

Pure text and small functions, no Django, so the wording a patient reads (protocol section 2's
questions, sections 5-7's advice) lives in one place.
"""

from collections.abc import Mapping

from triage.engine import FIELDS

# Plain-language questions and short help for the protocol answers. The engine's labels are
# statements for staff screens; a patient answers questions. The SBST items keep the protocol's
# paraphrase word for word (Keele's own wording is licensed), so they use the engine's labels.
QUESTIONS: dict[str, tuple[str, str]] = {
    "age": ("How old are you?", "In years. This service is for people aged 16 and over."),
    "pain_duration_weeks": (
        "How many weeks has this episode of back pain lasted?",
        "Count from when this bout of pain began. Enter 0 if it began less than a week ago.",
    ),
    "pain_score": (
        "How bad has the pain been at its worst in the last week?",
        "A number from 0 (no pain) to 10 (the worst pain you can imagine).",
    ),
    "first_episode": ("Is this the first time you have ever had back pain?", ""),
    "leg_pain_below_knee": ("Does the pain spread down your leg to below the knee?", ""),
    "both_legs": ("Do you have pain or numbness in both legs?", ""),
    "leg_numbness": ("Do you have numbness or pins and needles in a leg or foot?", ""),
    "leg_weakness": (
        "Do you have weakness in a leg or foot?",
        "For example, a foot that slaps down or catches on the ground, or a leg that gives way.",
    ),
    "trauma": ("Did the pain start with an injury?", ""),
    "load_increase": (
        "Before the pain began, did your weekly running go up by more than about a third?",
        "More distance or more intensity (speed work, hills) than about 30% above your usual "
        "week, for example from 20 to more than 26 miles.",
    ),
    "hop_pain": (
        "Does hopping on one leg hurt your low back or buttock?",
        "Try a few gentle hops on each leg, holding on to something steady. Stop if it hurts.",
    ),
    "saddle_numbness": (
        "Do you have numbness around your genitals, buttocks or inner thighs?",
        "The area that would touch a saddle when riding a bike.",
    ),
    "bladder_bowel_change": (
        "Have you had any new problem with your bladder or bowels?",
        "Difficulty passing urine, losing control of your bladder or bowels, or not feeling "
        "when your bladder is full.",
    ),
    "fever": ("Do you have a fever or chills, or feel generally unwell, with the pain?", ""),
    "cancer_history": (
        "Have you ever had cancer?",
        "Answer Yes even if it was treated a long time ago.",
    ),
    "weight_loss": ("Have you lost weight in recent months without trying to?", ""),
    "immunosuppressed": (
        "Do you have a weakened immune system?",
        "For example from chemotherapy, medicines after a transplant, or HIV.",
    ),
    "iv_drug_use": (
        "Do you inject drugs?",
        "Your answer is confidential. It helps us check for an infection in the spine.",
    ),
    "night_pain": ("Is the pain constant, and worse at night or when you rest?", ""),
    "osteoporosis": ("Have you been told you have osteoporosis (thin, weak bones)?", ""),
    "steroids": (
        "Have you taken steroid tablets, such as prednisone, for 3 months or more?",
        "Steroid inhalers, sprays and creams do not count.",
    ),
    "conservative_care_weeks": (
        "How many weeks of physiotherapy or a structured exercise program have you already "
        "done for this episode?",
        "Enter 0 if none.",
    ),
    "open_to_procedure": (
        "Would you consider an injection or surgery if a specialist advised it?",
        "Answering Yes does not commit you to anything.",
    ),
}


def question_for(name: str) -> str:
    """The question a protocol answer is asked with, for messages and copies that name a field."""
    if name in QUESTIONS:
        return QUESTIONS[name][0]
    return FIELDS[name].label if name in FIELDS else name


PATHWAY_TITLES = {
    "self_care": "A self-care plan",
    "physio": "Physiotherapy",
    "imaging": "A scan of your spine",
    "surgical_consult": "An appointment with a spine specialist",
}

URGENCY_TITLES = {
    "emergency": "Now: get emergency care",
    "urgent": "Urgent, we will contact you within 1 working day",
    "soon": "Soon, within the next 4 weeks",
    "routine": "Routine, at a time that suits you",
}

SBST_RISK_TITLES = {
    "low": "Low risk of the pain lasting",
    "medium": "Medium risk of the pain lasting",
    "high": "High risk of the pain lasting",
}

PSYCHOLOGICALLY_INFORMED = (
    "Your physiotherapy will be psychologically informed: alongside exercise and hands-on care, "
    "your physiotherapist will help with worry, low mood and the way the pain affects your daily "
    "life, because these make a real difference to how quickly you recover."
)

# Section 5's safety-net flags, as advice on when to seek help again.
SAFETY_NET_ADVICE = {
    "age_over_50_first_episode": (
        "This is your first episode of back pain and you are 50 or over. Back pain is still "
        "usually harmless, but if it is not clearly easing within 4 weeks, have it checked."
    ),
    "night_pain": (
        "Your pain is constant and worse at night or at rest. If that carries on, or you also "
        "feel unwell, have a fever or lose weight without trying, see a doctor promptly."
    ),
    "not_improving": (
        "Your pain has lasted 4 weeks or more and still bothers you a lot. If it is not getting "
        "better over the next few weeks, take the back-pain check again or see a doctor."
    ),
}

SEEK_HELP_SOONER = (
    "the pain is getting worse instead of better",
    "the pain starts to spread into your leg, below the knee",
    "you get numbness, pins and needles or weakness in a leg or foot",
    "you feel unwell, have a fever, or lose weight without trying",
)

EMERGENCY_SIGNS = (
    "numbness around your genitals, buttocks or inner thighs (the saddle area)",
    "new trouble passing urine, or losing control of your bladder or bowels",
    "weakness in your legs that is getting worse",
)

# What the person reported, in words they can repeat to an emergency department. Each row: when
# the answers show it, the words, and the red flags (protocol section 4) it belongs to.
_SYMPTOMS = (
    (
        lambda a: a.get("saddle_numbness") is True,
        "Numbness around the saddle area (the genitals, buttocks or inner thighs)",
        {"cauda_equina"},
    ),
    (
        lambda a: a.get("bladder_bowel_change") is True,
        "A new change in bladder or bowel control (trouble passing urine, leaking, or not "
        "feeling a full bladder)",
        {"cauda_equina"},
    ),
    (
        lambda a: a.get("both_legs") is True and a.get("leg_pain_below_knee") is True,
        "Pain spreading below the knee, with pain or numbness in both legs",
        {"cauda_equina"},
    ),
    (
        lambda a: a.get("leg_weakness") == "progressive",
        "Weakness in a leg or foot that is getting worse",
        {"progressive_deficit", "cord_compression"},
    ),
    (
        lambda a: a.get("leg_weakness") == "stable",
        "Weakness in a leg or foot",
        {"stable_deficit", "cord_compression"},
    ),
    (
        lambda a: a.get("leg_numbness") is True,
        "Numbness or pins and needles in a leg or foot",
        {"cord_compression"},
    ),
    (
        lambda a: a.get("cancer_history") is True,
        "I have had cancer",
        {"cord_compression", "cancer_history"},
    ),
    (
        lambda a: a.get("fever") is True,
        "A fever or chills, or feeling generally unwell",
        {"infection", "fever"},
    ),
    (
        lambda a: a.get("immunosuppressed") is True,
        "A weakened immune system (for example from chemotherapy, a transplant or HIV)",
        {"infection", "infection_risk"},
    ),
    (
        lambda a: a.get("iv_drug_use") is True,
        "I inject drugs",
        {"infection", "infection_risk"},
    ),
    (
        lambda a: a.get("trauma") == "major",
        "The pain started after a major injury, such as a fall from height or a collision",
        {"major_trauma"},
    ),
    (
        lambda a: a.get("trauma") == "minor",
        "The pain started after a fall or a strain",
        {"fragility_fracture"},
    ),
    (
        lambda a: a.get("osteoporosis") is True,
        "I have osteoporosis",
        {"fragility_fracture"},
    ),
    (
        lambda a: a.get("steroids") is True,
        "I have taken steroid tablets for 3 months or more",
        {"fragility_fracture"},
    ),
    (
        lambda a: a.get("weight_loss") is True,
        "Weight loss I cannot explain",
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
            "A clinician will look at your answers before anything is booked.",
            "We will contact you within 1 working day to tell you what happens next. "
            "You do not need to book anything.",
        ]
    if pathway == "self_care":
        return [
            "You do not need an appointment. Follow the self-care plan below: most back pain "
            "from running gets better within a few weeks by staying gently active.",
            "In 2 weeks we will email you to ask how your back is. If it is not better, you can "
            "take the check again and we will suggest the next step.",
        ]
    if pathway == "physio":
        when = {
            "urgent": "Please book a physiotherapy assessment now: we aim to see you within "
            "14 days, and our team will also contact you within 1 working day.",
            "soon": "Please book a physiotherapy assessment within the next 4 weeks.",
            "routine": "Book a physiotherapy assessment online at a time that suits you.",
        }
        return [when.get(urgency, when["routine"])]
    what = (
        "a scan of your spine" if pathway == "imaging" else "an appointment with a spine specialist"
    )
    when = {
        "urgent": f"Our team will contact you within 1 working day to arrange {what}.",
        "soon": f"Our team will contact you to arrange {what} within the next 4 weeks.",
        "routine": f"Our team will contact you to arrange {what} at a time that suits you.",
    }
    return [when.get(urgency, when["routine"]), "You do not need to book anything yourself."]


def for_decision(intake, decision) -> dict:
    """Everything the result page says about one decision, ready for the template."""
    emergency = decision.urgency == "emergency"
    return {
        "pathway_title": PATHWAY_TITLES.get(decision.pathway, decision.get_pathway_display()),
        "urgency_title": URGENCY_TITLES.get(decision.urgency, decision.get_urgency_display()),
        "sbst_risk_title": SBST_RISK_TITLES.get(decision.sbst_risk, ""),
        "next_steps": []
        if emergency
        else next_steps(
            pathway=decision.pathway,
            urgency=decision.urgency,
            clinician_review=decision.clinician_review,
        ),
        "reported_symptoms": reported_symptoms(intake.answers, decision.red_flags),
        # Booking is online for physiotherapy only, and never before a clinician's review or
        # after an emergency (protocol section 7).
        "can_book": decision.pathway == "physio"
        and not decision.clinician_review
        and not emergency,
        "psychologically_informed": PSYCHOLOGICALLY_INFORMED
        if decision.pathway == "physio" and decision.sbst_risk == "high" and not emergency
        else "",
        "self_care": decision.pathway == "self_care" and not emergency,
        "safety_net_advice": [
            SAFETY_NET_ADVICE[code] for code in decision.safety_net if code in SAFETY_NET_ADVICE
        ],
        "seek_help_sooner": SEEK_HELP_SOONER,
        "emergency_signs": EMERGENCY_SIGNS,
    }
