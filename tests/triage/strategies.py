"""Answer sets for the triage protocol (version 2026.1), written out from its section 2.

The spec is copied from the protocol rather than read from ``triage.engine.FIELDS`` so that tests
using it also catch a drift between the engine's field table and the protocol.
"""

from hypothesis import strategies as st

LEG_WEAKNESS = ("none", "stable", "progressive")
TRAUMA = ("none", "minor", "major")
SBST9 = ("not_at_all", "slightly", "moderately", "very_much", "extremely")

# name -> ("int", min, max) | ("bool",) | ("choice", choices), in section 2's order.
ANSWER_SPEC: dict[str, tuple] = {
    "age": ("int", 16, 120),
    "pain_duration_weeks": ("int", 0, 520),
    "pain_score": ("int", 0, 10),
    "first_episode": ("bool",),
    "leg_pain_below_knee": ("bool",),
    "both_legs": ("bool",),
    "leg_numbness": ("bool",),
    "leg_weakness": ("choice", LEG_WEAKNESS),
    "saddle_numbness": ("bool",),
    "bladder_bowel_change": ("bool",),
    "fever": ("bool",),
    "cancer_history": ("bool",),
    "weight_loss": ("bool",),
    "immunosuppressed": ("bool",),
    "iv_drug_use": ("bool",),
    "night_pain": ("bool",),
    "trauma": ("choice", TRAUMA),
    "osteoporosis": ("bool",),
    "steroids": ("bool",),
    "conservative_care_weeks": ("int", 0, 520),
    "open_to_procedure": ("bool",),
    "load_increase": ("bool",),
    "hop_pain": ("bool",),
    **{f"sbst_{n}": ("bool",) for n in range(1, 9)},
    "sbst_9": ("choice", SBST9),
}

_BASELINE = {
    "age": 35,
    "pain_duration_weeks": 2,
    "pain_score": 4,
    "first_episode": False,
    "leg_pain_below_knee": False,
    "both_legs": False,
    "leg_numbness": False,
    "leg_weakness": "none",
    "saddle_numbness": False,
    "bladder_bowel_change": False,
    "fever": False,
    "cancer_history": False,
    "weight_loss": False,
    "immunosuppressed": False,
    "iv_drug_use": False,
    "night_pain": False,
    "trauma": "none",
    "osteoporosis": False,
    "steroids": False,
    "conservative_care_weeks": 0,
    "open_to_procedure": False,
    "load_increase": False,
    "hop_pain": False,
    **{f"sbst_{n}": False for n in range(1, 9)},
    "sbst_9": "slightly",
}


def baseline_answers(**overrides) -> dict:
    """A valid, low-risk answer set (self-care, routine, no flags) with ``overrides`` applied.

    Unknown override names raise TypeError so a typo cannot silently test the baseline.
    """
    unknown = set(overrides) - set(ANSWER_SPEC)
    if unknown:
        raise TypeError(f"not protocol answers: {sorted(unknown)}")
    return {**_BASELINE, **overrides}


def field_values(name: str, *, sparse: bool = False) -> st.SearchStrategy:
    """Valid values for one answer. ``sparse`` makes yes-answers and non-default choices rare."""
    kind, *spec = ANSWER_SPEC[name]
    if kind == "int":
        low, high = spec
        # Integers near the rule thresholds are where the protocol changes its mind.
        return st.one_of(st.integers(low, high), st.integers(max(low, 0), min(high, 70)))
    if kind == "bool":
        return st.integers(0, 7).map(lambda n: n == 0) if sparse else st.booleans()
    (choices,) = spec
    if sparse:
        return st.sampled_from((choices[0],) * 4 + choices)
    return st.sampled_from(choices)


@st.composite
def valid_answers(draw, *, sparse: bool | None = None) -> dict:
    """A complete, valid answer dict.

    By default half the examples are "sparse" (each yes-answer about 1 in 8), because with every
    answer a coin flip nearly every example would stop at the cauda equina rule.
    """
    if sparse is None:
        sparse = draw(st.booleans())
    return {name: draw(field_values(name, sparse=sparse)) for name in ANSWER_SPEC}
