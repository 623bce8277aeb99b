"""Back-pain triage engine: the back-pain triage protocol, version 2026.1.

The contract is the protocol document (``triage-protocol.md``); section numbers below refer to it:

- section 1: the interface, ``assess(answers) -> TriageResult`` and ``TriageError``;
- section 2: the answers (``FIELDS``) and how they are validated;
- section 3: STarT Back (SBST) scoring;
- section 4: the ordered rules R1-R14 and the SBST fallback (``RULES``, ``SBST_RULES``);
- section 5: the safety-net flags (``SAFETY_NETS``);
- section 6: service targets by urgency (``STAFF_TARGET``).

The module is pure: standard library only, no Django, no clock, no randomness, so the same answers
always give the same result and it can be re-run later to explain a stored decision. Any change to
a rule is a new protocol version, so ``PROTOCOL_VERSION`` is stored with every result.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

__all__ = [
    "FIELDS",
    "LEG_WEAKNESS_CHOICES",
    "PATHWAYS",
    "PROTOCOL_VERSION",
    "RED_FLAG_CODES",
    "RED_FLAG_LABELS",
    "RULES",
    "SAFETY_NETS",
    "SAFETY_NET_CHECK_IN",
    "SAFETY_NET_CODES",
    "SAFETY_NET_LABELS",
    "SBST9_CHOICES",
    "SBST_RISKS",
    "SBST_RULES",
    "SELF_CARE_CHECK_IN",
    "STAFF_TARGET",
    "TRAUMA_CHOICES",
    "URGENCIES",
    "Field",
    "Rule",
    "SafetyNet",
    "TriageError",
    "TriageResult",
    "assess",
]

PROTOCOL_VERSION = "2026.1"

PATHWAYS = ("self_care", "physio", "imaging", "surgical_consult")
# Most to least urgent, so the index doubles as a sort key for the staff queue.
URGENCIES = ("emergency", "urgent", "soon", "routine")
SBST_RISKS = ("low", "medium", "high")

LEG_WEAKNESS_CHOICES = ("none", "stable", "progressive")
TRAUMA_CHOICES = ("none", "minor", "major")
SBST9_CHOICES = ("not_at_all", "slightly", "moderately", "very_much", "extremely")


# --- Section 2: the answers ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """One answer of section 2, described so that a form can be generated from it.

    ``kind`` is ``"int"`` (with ``min``/``max``), ``"bool"`` or ``"choice"`` (with ``choices``,
    the stored values, and ``choice_labels``, their plain-English labels in the same order).
    """

    name: str
    kind: str
    label: str
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()

    @property
    def choice_pairs(self) -> tuple[tuple[str, str], ...]:
        """``(value, label)`` pairs, the shape form libraries expect for choices."""
        return tuple(zip(self.choices, self.choice_labels, strict=True))


def _int(name: str, low: int, high: int, label: str) -> Field:
    return Field(name, "int", label, min=low, max=high)


def _bool(name: str, label: str) -> Field:
    return Field(name, "bool", label)


def _choice(name: str, choices: tuple[str, ...], labels: tuple[str, ...], label: str) -> Field:
    return Field(name, "choice", label, choices=choices, choice_labels=labels)


_SBST_ITEMS = (
    # Keele's item wording is copyright: these are the protocol's paraphrases (section 2).
    "In the last 2 weeks my back pain has spread down my leg(s) at some time",
    "In the last 2 weeks I have had pain in the shoulder or neck at some time",
    "In the last 2 weeks I have only walked short distances because of my back pain",
    "In the last 2 weeks I have dressed more slowly than usual because of my back pain",
    "It is not really safe for a person with a condition like mine to be physically active",
    "Worrying thoughts have been going through my mind a lot of the time",
    "I feel that my back pain is terrible and it is never going to get any better",
    "In general I have not enjoyed all the things I used to enjoy",
)

# In section 2's order, which is also the order errors are reported in.
FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        _int("age", 16, 120, "Age in years"),
        _int("pain_duration_weeks", 0, 520, "How many weeks this episode of pain has lasted"),
        _int("pain_score", 0, 10, "Worst pain in the last week, from 0 (none) to 10 (worst)"),
        _bool("first_episode", "This is my first ever episode of back pain"),
        _bool("leg_pain_below_knee", "Pain spreads below the knee"),
        _bool("both_legs", "Leg pain or numbness in both legs"),
        _bool("leg_numbness", "Numbness or pins and needles in a leg or foot"),
        _choice(
            "leg_weakness",
            LEG_WEAKNESS_CHOICES,
            ("No weakness", "Weakness that is not changing", "Weakness that is getting worse"),
            "Weakness in a leg or foot",
        ),
        _bool("saddle_numbness", "Numbness around the genitals, buttocks or inner thighs"),
        _bool(
            "bladder_bowel_change",
            "New difficulty passing urine, loss of bladder or bowel control, "
            "or not feeling a full bladder",
        ),
        _bool("fever", "Fever, chills or feeling generally unwell with the pain"),
        _bool("cancer_history", "I have had cancer at some time"),
        _bool("weight_loss", "Unexplained weight loss in recent months"),
        _bool(
            "immunosuppressed",
            "Immunosuppressive treatment or condition (e.g. chemotherapy, transplant, HIV)",
        ),
        _bool("iv_drug_use", "Injecting drug use"),
        _bool("night_pain", "Constant pain that is worse at night or at rest"),
        _choice(
            "trauma",
            TRAUMA_CHOICES,
            (
                "No injury",
                "Minor injury: a fall from standing height, a lift or a strain",
                "Major injury: a fall from height, a vehicle or sports collision",
            ),
            "Did the pain start with an injury?",
        ),
        _bool("osteoporosis", "Diagnosed osteoporosis"),
        _bool("steroids", "Long-term steroid tablets (3 months or more)"),
        _int(
            "conservative_care_weeks",
            0,
            520,
            "Weeks of physiotherapy or structured exercise already done for this episode",
        ),
        _bool("open_to_procedure", "I would consider an injection or surgery if it were advised"),
        _bool(
            "load_increase",
            "My weekly running distance or intensity rose by more than about 30% "
            "before the pain began",
        ),
        _bool("hop_pain", "Pain in the low back or buttock when hopping on one leg"),
        *(_bool(f"sbst_{n}", text) for n, text in enumerate(_SBST_ITEMS, start=1)),
        _choice(
            "sbst_9",
            SBST9_CHOICES,
            ("Not at all", "Slightly", "Moderately", "Very much", "Extremely"),
            "Overall, how bothersome has your back pain been in the last 2 weeks?",
        ),
    )
}


# --- Section 1: result and error -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TriageResult:
    """The outcome of one assessment; every attribute is a plain str, int, bool or tuple."""

    pathway: str
    urgency: str
    emergency_advice: bool
    clinician_review: bool
    rule: str
    red_flags: tuple[str, ...]
    sbst_total: int
    sbst_psychosocial: int
    sbst_risk: str
    reasons: tuple[str, ...]
    safety_net: tuple[str, ...]
    protocol_version: str


class TriageError(ValueError):
    """Some answers are missing or invalid; ``errors`` maps each bad field to a short message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors: dict[str, str] = dict(errors)
        detail = "; ".join(f"{name}: {message}" for name, message in self.errors.items())
        super().__init__(f"invalid triage answers: {detail}")

    def __reduce__(self):
        # The default would rebuild from the message string; rebuild from the errors instead.
        return (type(self), (self.errors,))


# --- Section 4: the rules --------------------------------------------------------------------

Answers = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of section 4's table. ``red_flag`` is None for R12-R14 and the SBST rows."""

    code: str
    when: Callable[[Answers], bool]
    pathway: str
    urgency: str
    red_flag: str | None
    clinician_review: bool
    reason: str


# fmt: off
RULES: tuple[Rule, ...] = (
    Rule("R1",
         lambda a: a["saddle_numbness"] or a["bladder_bowel_change"]
         or (a["both_legs"] and a["leg_pain_below_knee"]),
         "surgical_consult", "emergency", "cauda_equina", False,
         "Numbness around the genitals or buttocks, a change in bladder or bowel control, or pain "
         "down both legs can mean pressure on the nerves at the base of the spine (cauda equina "
         "syndrome), which needs emergency care."),
    Rule("R2",
         lambda a: a["cancer_history"] and (a["leg_numbness"] or a["leg_weakness"] != "none"),
         "surgical_consult", "emergency", "cord_compression", False,
         "Numbness or weakness in a leg after cancer can mean pressure on the spinal cord, which "
         "needs emergency care."),
    Rule("R3",
         lambda a: a["leg_weakness"] == "progressive",
         "surgical_consult", "emergency", "progressive_deficit", False,
         "Weakness in a leg or foot that is getting worse needs emergency care."),
    Rule("R4",
         lambda a: a["fever"] and (a["immunosuppressed"] or a["iv_drug_use"]),
         "surgical_consult", "emergency", "infection", False,
         "A fever with back pain, when your immune system is weakened or you inject drugs, can "
         "mean an infection in the spine, which needs emergency care."),
    Rule("R5",
         lambda a: a["trauma"] == "major",
         "imaging", "emergency", "major_trauma", False,
         "Back pain after a major injury, such as a fall from height or a collision, needs "
         "emergency care."),
    Rule("R6",
         lambda a: a["cancer_history"],
         "imaging", "urgent", "cancer_history", False,
         "Because you have had cancer, we are arranging a scan of your spine to check the pain is "
         "not linked to it."),
    Rule("R7",
         lambda a: a["immunosuppressed"] or a["iv_drug_use"],
         "imaging", "urgent", "infection_risk", False,
         "A weakened immune system or injecting drugs raises the risk of an infection in the "
         "spine, so we are arranging a scan."),
    Rule("R8",
         lambda a: a["trauma"] == "minor"
         and (a["age"] >= 65 or a["osteoporosis"] or a["steroids"]),
         "imaging", "urgent", "fragility_fracture", False,
         "A fall or strain at 65 or over, or with osteoporosis or long-term steroids, can break a "
         "bone in the spine, so we are arranging a scan."),
    Rule("R9",
         lambda a: a["weight_loss"],
         "imaging", "urgent", "weight_loss", True,
         "Unexplained weight loss with back pain needs a clinician to look at your answers before "
         "a scan is booked."),
    Rule("R10",
         lambda a: a["fever"],
         "imaging", "urgent", "fever", True,
         "A fever with back pain needs a clinician to look at your answers before a scan is "
         "booked."),
    Rule("R11",
         lambda a: a["leg_weakness"] == "stable",
         "physio", "urgent", "stable_deficit", True,
         "Weakness in a leg or foot needs a clinician to look at your answers before "
         "physiotherapy is booked."),
    Rule("R12",
         lambda a: a["leg_pain_below_knee"] and a["pain_duration_weeks"] >= 12
         and a["conservative_care_weeks"] >= 6 and a["open_to_procedure"],
         "surgical_consult", "routine", None, False,
         "Leg pain below the knee for 12 weeks or more, despite at least 6 weeks of physiotherapy "
         "or exercise, is worth a specialist's opinion on an injection or surgery."),
    Rule("R13",
         lambda a: a["leg_pain_below_knee"] and a["pain_duration_weeks"] >= 6
         and a["conservative_care_weeks"] >= 6 and a["open_to_procedure"],
         "imaging", "soon", None, False,
         "Leg pain below the knee for 6 weeks or more, despite at least 6 weeks of physiotherapy "
         "or exercise, is worth a scan to guide the next step."),
    Rule("R14",
         lambda a: a["load_increase"] and a["hop_pain"],
         "imaging", "soon", None, False,
         "Pain that began after a big rise in running, and hurts when you hop, can be a stress "
         "injury in the bone, so we are arranging a scan."),
)

# Section 4's last row, "otherwise, by sbst_risk"; its predicate is the risk band itself.
SBST_RULES: dict[str, Rule] = {
    "low": Rule("SBST", lambda a: True, "self_care", "routine", None, False,
                "Your answers show a low risk of long-term problems, so a self-care plan is the "
                "best start: most back pain gets better by staying active."),
    "medium": Rule("SBST", lambda a: True, "physio", "routine", None, False,
                   "Your answers show a medium risk of the pain lasting, so we recommend "
                   "physiotherapy."),
    "high": Rule("SBST", lambda a: True, "physio", "soon", None, False,
                 "Your answers show a high risk of the pain lasting, so we recommend "
                 "psychologically informed physiotherapy: physiotherapy that also helps with "
                 "worry, low mood and how the pain affects your daily life."),
}
# fmt: on

_RED_FLAG_RULES = tuple(rule for rule in RULES if rule.red_flag is not None)
_OTHER_RULES = tuple(rule for rule in RULES if rule.red_flag is None)
RED_FLAG_CODES: tuple[str, ...] = tuple(rule.red_flag for rule in _RED_FLAG_RULES)

RED_FLAG_LABELS: dict[str, str] = {
    "cauda_equina": "Possible cauda equina syndrome",
    "cord_compression": "Possible spinal cord compression (history of cancer)",
    "progressive_deficit": "Leg or foot weakness that is getting worse",
    "infection": "Possible spinal infection (fever with a weakened immune system or drug use)",
    "major_trauma": "Back pain after a major injury",
    "cancer_history": "History of cancer",
    "infection_risk": "Higher risk of spinal infection",
    "fragility_fracture": "Possible fragility fracture",
    "weight_loss": "Unexplained weight loss",
    "fever": "Fever with back pain",
    "stable_deficit": "Leg or foot weakness that is not changing",
}


# --- Section 5: safety-net flags -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SafetyNet:
    """One weak flag of section 5: it adds advice and a check-in, never changes the pathway."""

    code: str
    when: Callable[[Answers], bool]
    label: str


SAFETY_NETS: tuple[SafetyNet, ...] = (
    SafetyNet(
        "age_over_50_first_episode",
        lambda a: a["age"] >= 50 and a["first_episode"],
        "First episode of back pain at 50 or over",
    ),
    SafetyNet("night_pain", lambda a: a["night_pain"], "Constant pain worse at night or at rest"),
    SafetyNet(
        "not_improving",
        lambda a: a["pain_duration_weeks"] >= 4 and a["sbst_9"] in ("very_much", "extremely"),
        "Still very bothersome after 4 weeks or more",
    ),
)
SAFETY_NET_CODES: tuple[str, ...] = tuple(net.code for net in SAFETY_NETS)
SAFETY_NET_LABELS: dict[str, str] = {net.code: net.label for net in SAFETY_NETS}


# --- Section 6: service targets --------------------------------------------------------------

# Staff target per urgency: emergency is "contact within 1 hour", the rest "seen within N days".
STAFF_TARGET: dict[str, timedelta] = {
    "emergency": timedelta(hours=1),
    "urgent": timedelta(days=14),
    "soon": timedelta(days=28),
    "routine": timedelta(days=42),
}
SELF_CARE_CHECK_IN = timedelta(weeks=2)  # section 6 (routine) and section 7 (self_care)
SAFETY_NET_CHECK_IN = timedelta(weeks=4)  # section 5: after the intake, when any flag is present


# --- Validation (section 2) ------------------------------------------------------------------

_MISSING = object()
_REQUIRED = "is required"


def _int_message(field: Field) -> str:
    return f"must be a whole number from {field.min} to {field.max}"


def _choice_message(field: Field) -> str:
    return "must be one of: " + ", ".join(field.choices)


_BOOL_MESSAGE = "must be true or false"

# Flat per-kind lists, built once, so a call does no attribute lookups or dispatch on kind.
_INT_CHECKS = tuple(
    (f.name, f.min, f.max, _int_message(f)) for f in FIELDS.values() if f.kind == "int"
)
_BOOL_NAMES = tuple(f.name for f in FIELDS.values() if f.kind == "bool")
_CHOICE_CHECKS = tuple(
    (f.name, frozenset(f.choices), _choice_message(f))
    for f in FIELDS.values()
    if f.kind == "choice"
)
_FIELD_ORDER = {name: index for index, name in enumerate(FIELDS)}


def _validated(answers: Mapping) -> dict[str, object]:
    """Copy the known answers into a plain dict, or raise TriageError listing every bad field."""
    if not isinstance(answers, Mapping):
        raise TypeError(f"answers must be a mapping, not {type(answers).__name__}")
    get = answers.get
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, low, high, message in _INT_CHECKS:
        value = get(name, _MISSING)
        # bool is an int subclass: True must not pass as an age of 1.
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            values[name] = int(value)
        else:
            errors[name] = _REQUIRED if value is _MISSING else message
    for name in _BOOL_NAMES:
        value = get(name, _MISSING)
        if value is True or value is False:
            values[name] = value
        else:
            errors[name] = _REQUIRED if value is _MISSING else _BOOL_MESSAGE
    for name, allowed, message in _CHOICE_CHECKS:
        value = get(name, _MISSING)
        if isinstance(value, str) and value in allowed:
            values[name] = str(value)
        else:
            errors[name] = _REQUIRED if value is _MISSING else message
    if errors:
        raise TriageError({name: errors[name] for name in sorted(errors, key=_FIELD_ORDER.get)})
    return values


# --- Section 3: STarT Back scoring -----------------------------------------------------------

_SBST9_SCORE = {choice: int(choice in ("very_much", "extremely")) for choice in SBST9_CHOICES}


def _sbst(a: Mapping[str, object]) -> tuple[int, int, str]:
    item9 = _SBST9_SCORE[a["sbst_9"]]
    psychosocial = a["sbst_5"] + a["sbst_6"] + a["sbst_7"] + a["sbst_8"] + item9
    total = psychosocial + a["sbst_1"] + a["sbst_2"] + a["sbst_3"] + a["sbst_4"]
    if psychosocial >= 4:
        risk = "high"
    elif total >= 4:
        risk = "medium"
    else:
        risk = "low"
    return total, psychosocial, risk


# --- Section 1: the entry point --------------------------------------------------------------


def assess(answers: Mapping) -> TriageResult:
    """Apply protocol 2026.1 to one set of answers (section 2 names); see the module docstring.

    Raises TriageError (a ValueError) naming every missing or invalid answer.
    """
    a = _validated(answers)
    sbst_total, sbst_psychosocial, sbst_risk = _sbst(a)

    # Every R1-R11 condition is reported, not only the one that decides (section 4).
    flagged = [rule for rule in _RED_FLAG_RULES if rule.when(a)]
    if flagged:
        decided = flagged[0]
    else:
        decided = next((rule for rule in _OTHER_RULES if rule.when(a)), None)
        if decided is None:
            decided = SBST_RULES[sbst_risk]

    reasons = [decided.reason]
    reasons.extend(
        f"Our clinical team will also look at: {RED_FLAG_LABELS[rule.red_flag].lower()}."
        for rule in flagged[1:]
    )
    urgency = decided.urgency
    return TriageResult(
        pathway=decided.pathway,
        urgency=urgency,
        emergency_advice=urgency == "emergency",
        clinician_review=decided.clinician_review,
        rule=decided.code,
        red_flags=tuple(rule.red_flag for rule in flagged),
        sbst_total=sbst_total,
        sbst_psychosocial=sbst_psychosocial,
        sbst_risk=sbst_risk,
        reasons=tuple(reasons),
        safety_net=tuple(net.code for net in SAFETY_NETS if net.when(a)),
        protocol_version=PROTOCOL_VERSION,
    )
