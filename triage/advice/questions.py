"""The questions a patient answers, in plain words, and the words for their answers."""

from triage.advice.i18n import gettext_noop
from triage.engine import FIELDS

# Plain-language questions and short help for the protocol answers. The engine's labels are
# statements for staff screens; a patient answers questions. The STarT Back items (sbst_1 to
# sbst_9) are the protocol's own paraphrase (section 2): Keele's exact wording is licensed.
QUESTIONS: dict[str, tuple[str, str]] = {
    "age": (
        gettext_noop("How old are you?"),
        gettext_noop("In years. This service is for people aged 16 and over."),
    ),
    "pain_duration_weeks": (
        gettext_noop("How many weeks has this episode of back pain lasted?"),
        gettext_noop(
            "Count from when this bout of pain began. Enter 0 if it began less than a week ago."
        ),
    ),
    "pain_score": (
        gettext_noop("How bad has the pain been at its worst in the last week?"),
        gettext_noop("A number from 0 (no pain) to 10 (the worst pain you can imagine)."),
    ),
    "first_episode": (gettext_noop("Is this the first time you have ever had back pain?"), ""),
    "leg_pain_below_knee": (
        gettext_noop("Does the pain spread down your leg to below the knee?"),
        "",
    ),
    "both_legs": (
        gettext_noop(
            "Do you have pain, numbness or pins and needles going down both legs at the same time?"
        ),
        gettext_noop(
            "We mean pain that comes from your back, not just sore leg muscles after a run."
        ),
    ),
    "leg_numbness": (
        gettext_noop("Do you have numbness or pins and needles in a leg or foot?"),
        "",
    ),
    "leg_weakness": (
        gettext_noop("Is a leg or foot weak, so that it does not do what you tell it to?"),
        gettext_noop(
            "We mean weakness, not pain. For example, a foot that slaps down or catches on the "
            "ground, or a leg that gives way. Getting worse means weaker over hours or days."
        ),
    ),
    "trauma": (
        gettext_noop("Did the pain start with an injury?"),
        gettext_noop(
            "A fall from height means a fall from higher than your own height, such as from a "
            "ladder or down stairs."
        ),
    ),
    "load_increase": (
        gettext_noop(
            "Before the pain began, did your weekly running go up by more than about a third?"
        ),
        gettext_noop(
            "More distance or more intensity (speed work, hills) than about 30% above your usual "
            "week. For example, from 20 miles to more than 26 miles a week."
        ),
    ),
    "hop_pain": (
        gettext_noop("Does hopping on one leg hurt your low back or buttock?"),
        gettext_noop(
            "Try a few gentle hops on each leg, holding on to something steady. Stop if it hurts."
        ),
    ),
    "saddle_numbness": (
        gettext_noop("Do you have numbness around your genitals, buttocks or inner thighs?"),
        gettext_noop("The area that would touch a saddle when riding a bike."),
    ),
    "bladder_bowel_change": (
        gettext_noop(
            "Since the pain began, have you had trouble passing urine, lost control of your "
            "bladder "
            "or bowels, or not felt a full bladder?"
        ),
        gettext_noop(
            "Runner's diarrhea (loose stools on or after a run) does not count. Nor does the "
            "burning of a bladder infection."
        ),
    ),
    "fever": (
        gettext_noop("Do you have a fever or chills, or feel generally unwell, with the pain?"),
        "",
    ),
    "cancer_history": (
        gettext_noop("Have you ever had cancer?"),
        gettext_noop("Answer Yes even if it was treated a long time ago."),
    ),
    "weight_loss": (gettext_noop("Have you lost weight in recent months without trying to?"), ""),
    "immunosuppressed": (
        gettext_noop("Do you have a weakened immune system?"),
        gettext_noop("For example from chemotherapy, medicines after a transplant, or HIV."),
    ),
    "iv_drug_use": (
        gettext_noop("Do you inject drugs?"),
        gettext_noop("Your answer is private. It helps us check for an infection in the spine."),
    ),
    "night_pain": (
        gettext_noop("Is your pain there all the time, and also worse at night or when you rest?"),
        gettext_noop(
            "Answer Yes only if both are true: the pain never goes away, and it is worse at night "
            "or at rest."
        ),
    ),
    "osteoporosis": (
        gettext_noop("Have you been told you have osteoporosis (thin, weak bones)?"),
        "",
    ),
    "steroids": (
        gettext_noop("Have you taken steroid tablets, such as prednisone, for 3 months or more?"),
        gettext_noop("Steroid inhalers, sprays and creams do not count."),
    ),
    "conservative_care_weeks": (
        gettext_noop(
            "How many weeks of physical therapy (PT) or a set exercise program have you already "
            "done for this episode?"
        ),
        gettext_noop("Enter 0 if none."),
    ),
    "open_to_procedure": (
        gettext_noop(
            "Would you consider a shot (injection) or surgery if a specialist advised it?"
        ),
        gettext_noop("Answering Yes does not commit you to anything."),
    ),
    "sbst_1": (gettext_noop("Back pain spread down my leg or legs at some time."), ""),
    "sbst_2": (gettext_noop("I had shoulder or neck pain at some time."), ""),
    "sbst_3": (gettext_noop("I only walked short distances because of back pain."), ""),
    "sbst_4": (gettext_noop("I dressed more slowly than usual because of back pain."), ""),
    "sbst_5": (
        gettext_noop(
            "It is not really safe for a person with my condition to be physically active."
        ),
        "",
    ),
    "sbst_6": (gettext_noop("I had worrying thoughts a lot of the time."), ""),
    "sbst_7": (gettext_noop("My back pain is terrible and it will never get any better."), ""),
    "sbst_8": (gettext_noop("I have not enjoyed the things I usually enjoy."), ""),
    "sbst_9": (gettext_noop("Overall, how bothersome has the back pain been?"), ""),
}

# Patient words for the answers of the choice questions; the stored values are the engine's.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "sbst_9": {
        "not_at_all": gettext_noop("Not at all"),
        "slightly": gettext_noop("Slightly"),
        "moderately": gettext_noop("Moderately"),
        "very_much": gettext_noop("Very much"),
        "extremely": gettext_noop("Extremely"),
    },
    "leg_weakness": {
        "none": gettext_noop("No weakness"),
        "stable": gettext_noop("Weakness that is staying the same"),
        "progressive": gettext_noop("Weakness that is getting worse over hours or days"),
    },
    "trauma": {
        "none": gettext_noop("No injury"),
        "minor": gettext_noop("A minor injury: a fall from standing height, a lift or a strain"),
        "major": gettext_noop(
            "A major injury: a fall from height, a crash in a vehicle or being hit by one, "
            "or a hard collision in sport"
        ),
    },
}


def choice_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """(stored value, patient words) for a choice question, in the engine's order."""
    words = CHOICE_LABELS.get(name, {})
    return tuple((value, words.get(value, label)) for value, label in FIELDS[name].choice_pairs)


def question_for(name: str) -> str:
    """The question a protocol answer is asked with, for messages and copies that name a field."""
    if name in QUESTIONS:
        return QUESTIONS[name][0]
    return FIELDS[name].label if name in FIELDS else name
