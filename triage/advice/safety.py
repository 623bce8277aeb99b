"""When to seek help: the one 911 list (protocol rules R1-R5), a person's own extra 911
signs, when to contact us sooner, and what a runner with a suspected bone stress injury does."""

from collections.abc import Mapping

from triage.advice.i18n import Text, gettext_noop

# Section 5's safety-net flags, as advice on when to seek help again.
SAFETY_NET_ADVICE = {
    "age_over_50_first_episode": (
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "This is your first back pain and you are 50 or over. Back pain is still most often "
            "harmless. But if it is not clearly easing within 4 weeks, have it checked."
        )
    ),
    "night_pain": (
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "Your pain is there all the time and worse at night or at rest. If that goes on, see a "
            "doctor soon. Go sooner if you also feel unwell, have a fever or lose weight without "
            "trying."
        )
    ),
    "not_improving": (
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "Your pain has lasted 4 weeks or more and still bothers you a lot. If it is not "
            "getting "
            "better over the next few weeks, take the back-pain check again or see a doctor."
        )
    ),
}

# The same flags, 4 weeks on, in the safety-net check-in message.
SAFETY_NET_CHECK_IN_ADVICE = {
    "age_over_50_first_episode": (
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "You told us this was your first back pain and you are 50 or over. If it is not "
            "clearly better by now, please see a doctor to have it checked."
        )
    ),
    "night_pain": (
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "You told us your pain was there all the time and worse at night or at rest. If it "
            "still is, please see a doctor soon. Go sooner if you also feel unwell, have a fever "
            "or "
            "lose weight without trying."
        )
    ),
    "not_improving": (
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "You told us your pain had lasted 4 weeks or more and bothered you a lot. If it is no "
            "better, take the back-pain check again or see a doctor."
        )
    ),
}

# Contact us or your doctor sooner if...
SEEK_HELP_SOONER = (
    # Translators: clinical; needs review by a qualified medical translator before use.
    gettext_noop("the pain is getting worse instead of better"),
    # Translators: clinical; needs review by a qualified medical translator before use.
    gettext_noop("the pain starts to spread into your leg, below the knee"),
    # Translators: clinical; needs review by a qualified medical translator before use.
    gettext_noop("you get numbness, pins and needles or weakness in a leg or foot"),
    # Translators: clinical; needs review by a qualified medical translator before use.
    gettext_noop("you have a fever or chills, or feel generally unwell"),
    # Translators: clinical; needs review by a qualified medical translator before use.
    gettext_noop("you lose weight without trying"),
)
_SOONER_NUMBNESS, _SOONER_FEVER = SEEK_HELP_SOONER[2], SEEK_HELP_SOONER[3]

# Call 911 or go to an emergency department if... One list for every page and message: the
# protocol's emergency rules R1-R5 (section 4), each row with the red flag it stands for.
EMERGENCY_SIGNS: tuple[tuple[str, str], ...] = (
    # Translators: clinical; needs review by a qualified medical translator before use.
    ("cauda_equina", gettext_noop("numbness around your genitals, buttocks or inner thighs")),
    (
        "cauda_equina",
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("new trouble passing urine, or you cannot control your bladder or bowels"),
    ),
    (
        "cauda_equina",
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("pain, numbness or pins and needles down both legs at the same time"),
    ),
    (
        "cord_compression",
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("new numbness or weakness in a leg, if you have ever had cancer"),
    ),
    (
        "progressive_deficit",
        # Translators: clinical; needs review by a qualified medical translator before use.
        gettext_noop("weakness in a leg or foot that gets worse over hours or days"),
    ),
    # Translators: clinical; needs review by a qualified medical translator before use.
    ("infection", gettext_noop("a fever, if your immune system is weak or you inject drugs")),
    (
        "major_trauma",
        gettext_noop(
            # Translators: clinical; needs review by a qualified medical translator before use.
            "back pain after a major injury, such as a fall from a ladder, a car crash or a hard "
            "hit "
            "in sport"
        ),
    ),
)


def emergency_signs() -> list[str]:
    """The shared 911 list, in words."""
    return [words for _, words in EMERGENCY_SIGNS]


def personal_emergency_signs(answers: Mapping) -> list[str]:
    """Signs that are an emergency for this person because of their answers (R6 and R7 become
    R2 and R4 with one new symptom), to put first in their 911 list."""
    signs = []
    if answers.get("cancer_history") is True:
        signs.append(
            gettext_noop(
                # Translators: clinical; needs review by a qualified medical translator before use.
                "Because you have had cancer: any new numbness, pins and needles or weakness in a "
                "leg or foot"
            )
        )
    weak_immune = answers.get("immunosuppressed") is True
    injecting = answers.get("iv_drug_use") is True
    if weak_immune or injecting:
        why = {
            (True, False): gettext_noop(
                # Translators: clinical; needs review by a qualified medical translator before use.
                "your immune system is weak"
            ),
            (False, True): gettext_noop(
                # Translators: clinical; needs review by a qualified medical translator before use.
                "you inject drugs"
            ),
            (True, True): gettext_noop(
                # Translators: clinical; needs review by a qualified medical translator before use.
                "your immune system is weak and you inject drugs"
            ),
        }[(weak_immune, injecting)]
        signs.append(
            Text(
                # Translators: clinical; needs review by a qualified medical translator before use.
                gettext_noop("Because %(why)s: a fever or chills, or feeling generally unwell"),
                why=why,
            )
        )
    return signs


def seek_help_sooner(answers: Mapping) -> list[str]:
    """When to contact us or a doctor sooner, without what is a 911 sign for this person."""
    emergencies = set()
    if answers.get("cancer_history") is True:
        emergencies.add(_SOONER_NUMBNESS)
    if answers.get("immunosuppressed") is True or answers.get("iv_drug_use") is True:
        emergencies.add(_SOONER_FEVER)
    return [text for text in SEEK_HELP_SOONER if text not in emergencies]


def bone_stress(answers: Mapping) -> bool:
    """The answers of R14, a suspected bone stress injury, whichever rule decided."""
    return answers.get("load_increase") is True and answers.get("hop_pain") is True


# What a runner with a suspected bone stress injury (R14) does until seen.
BONE_STRESS_ADVICE = (
    gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "Stop running and jumping until you have been seen. Rest lets the bone heal. Running on it "
        "can turn a stress injury into a break."
    ),
    gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "Walking for everyday tasks is fine if it does not hurt. Cycling or swimming may be fine "
        "too, if they cause no pain."
    ),
    gettext_noop(
        # Translators: clinical; needs review by a qualified medical translator before use.
        "If you cannot put weight on your leg, or it hurts too much to walk, get seen today. Call "
        "your clinic, or go to urgent care."
    ),
)


def check_in_advice(decision) -> list[str]:
    """The safety-net advice for the flags that planned a 4-week check-in."""
    if decision is None:
        return []
    return [
        SAFETY_NET_CHECK_IN_ADVICE[code]
        for code in decision.safety_net
        if code in SAFETY_NET_CHECK_IN_ADVICE
    ]
