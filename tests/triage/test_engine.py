"""Tests for triage.engine against the back-pain triage protocol, version 2026.1.

Rule rows are tested at both sides of every boundary from a low-risk baseline; Hypothesis checks
the engine against an independent transcription of section 4 and checks input validation.
"""

import dataclasses
import pickle
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.triage.strategies import ANSWER_SPEC, baseline_answers, valid_answers
from triage import engine
from triage.engine import TriageError, TriageResult, assess

# --- An independent reading of the protocol, used as the oracle ------------------------------

# Section 4, R1-R11: (red-flag code, condition), in the table's order.
RED_FLAG_CONDITIONS = (
    (
        "cauda_equina",
        lambda a: (
            a["saddle_numbness"]
            or a["bladder_bowel_change"]
            or (a["both_legs"] and a["leg_pain_below_knee"])
        ),
    ),
    (
        "cord_compression",
        lambda a: a["cancer_history"] and (a["leg_numbness"] or a["leg_weakness"] != "none"),
    ),
    ("progressive_deficit", lambda a: a["leg_weakness"] == "progressive"),
    ("infection", lambda a: a["fever"] and (a["immunosuppressed"] or a["iv_drug_use"])),
    ("major_trauma", lambda a: a["trauma"] == "major"),
    ("cancer_history", lambda a: a["cancer_history"]),
    ("infection_risk", lambda a: a["immunosuppressed"] or a["iv_drug_use"]),
    (
        "fragility_fracture",
        lambda a: a["trauma"] == "minor" and (a["age"] >= 65 or a["osteoporosis"] or a["steroids"]),
    ),
    ("weight_loss", lambda a: a["weight_loss"]),
    ("fever", lambda a: a["fever"]),
    ("stable_deficit", lambda a: a["leg_weakness"] == "stable"),
)
# R1-R5 are the emergency rows.
EMERGENCY_FLAGS = {code for code, _ in RED_FLAG_CONDITIONS[:5]}


def expected_red_flags(a):
    return tuple(code for code, holds in RED_FLAG_CONDITIONS if holds(a))


def expected_sbst(a):
    item9 = a["sbst_9"] in ("very_much", "extremely")
    psychosocial = sum(a[f"sbst_{n}"] for n in (5, 6, 7, 8)) + item9
    total = sum(a[f"sbst_{n}"] for n in (1, 2, 3, 4)) + psychosocial
    risk = "high" if psychosocial >= 4 else "medium" if total >= 4 else "low"
    return total, psychosocial, risk


def expected_decision(a):
    """(rule, pathway, urgency, clinician_review) by section 4, written as a plain if-chain."""
    if (
        a["saddle_numbness"]
        or a["bladder_bowel_change"]
        or (a["both_legs"] and a["leg_pain_below_knee"])
    ):
        return "R1", "surgical_consult", "emergency", False
    if a["cancer_history"] and (a["leg_numbness"] or a["leg_weakness"] != "none"):
        return "R2", "surgical_consult", "emergency", False
    if a["leg_weakness"] == "progressive":
        return "R3", "surgical_consult", "emergency", False
    if a["fever"] and (a["immunosuppressed"] or a["iv_drug_use"]):
        return "R4", "surgical_consult", "emergency", False
    if a["trauma"] == "major":
        return "R5", "imaging", "emergency", False
    if a["cancer_history"]:
        return "R6", "imaging", "urgent", False
    if a["immunosuppressed"] or a["iv_drug_use"]:
        return "R7", "imaging", "urgent", False
    if a["trauma"] == "minor" and (a["age"] >= 65 or a["osteoporosis"] or a["steroids"]):
        return "R8", "imaging", "urgent", False
    if a["weight_loss"]:
        return "R9", "imaging", "urgent", True
    if a["fever"]:
        return "R10", "imaging", "urgent", True
    if a["leg_weakness"] == "stable":
        return "R11", "physio", "urgent", True
    radicular_after_care = (
        a["leg_pain_below_knee"] and a["conservative_care_weeks"] >= 6 and a["open_to_procedure"]
    )
    if radicular_after_care and a["pain_duration_weeks"] >= 12:
        return "R12", "surgical_consult", "routine", False
    if radicular_after_care and a["pain_duration_weeks"] >= 6:
        return "R13", "imaging", "soon", False
    if a["load_increase"] and a["hop_pain"]:
        return "R14", "imaging", "soon", False
    return {
        "low": ("SBST", "self_care", "routine", False),
        "medium": ("SBST", "physio", "routine", False),
        "high": ("SBST", "physio", "soon", False),
    }[expected_sbst(a)[2]]


def expected_safety_net(a):
    flags = []
    if a["age"] >= 50 and a["first_episode"]:
        flags.append("age_over_50_first_episode")
    if a["night_pain"]:
        flags.append("night_pain")
    if a["pain_duration_weeks"] >= 4 and a["sbst_9"] in ("very_much", "extremely"):
        flags.append("not_improving")
    return tuple(flags)


def decision(result):
    return result.rule, result.pathway, result.urgency, result.clinician_review


SELF_CARE = ("SBST", "self_care", "routine", False)

# --- The baseline ----------------------------------------------------------------------------


def test_baseline_answers_are_low_risk_self_care_with_no_flags():
    result = assess(baseline_answers())
    assert decision(result) == SELF_CARE
    assert result.red_flags == ()
    assert result.safety_net == ()
    assert result.emergency_advice is False
    assert (result.sbst_total, result.sbst_psychosocial, result.sbst_risk) == (0, 0, "low")
    assert result.protocol_version == "2026.1"


# --- Section 4: every rule row at its boundary -----------------------------------------------

# Section 4's outcome columns per rule: (rule, pathway, urgency, clinician_review).
OUTCOME = {
    "R1": ("R1", "surgical_consult", "emergency", False),
    "R2": ("R2", "surgical_consult", "emergency", False),
    "R3": ("R3", "surgical_consult", "emergency", False),
    "R4": ("R4", "surgical_consult", "emergency", False),
    "R5": ("R5", "imaging", "emergency", False),
    "R6": ("R6", "imaging", "urgent", False),
    "R7": ("R7", "imaging", "urgent", False),
    "R8": ("R8", "imaging", "urgent", False),
    "R9": ("R9", "imaging", "urgent", True),
    "R10": ("R10", "imaging", "urgent", True),
    "R11": ("R11", "physio", "urgent", True),
    "R12": ("R12", "surgical_consult", "routine", False),
    "R13": ("R13", "imaging", "soon", False),
    "R14": ("R14", "imaging", "soon", False),
    "SBST": SELF_CARE,  # the baseline's SBST band is low
}


def sciatica(weeks=12, care=6, open_to_procedure=True, below_knee=True):
    """Overrides for the R12/R13 conditions, each part adjustable to step over one boundary."""
    return {
        "leg_pain_below_knee": below_knee,
        "pain_duration_weeks": weeks,
        "conservative_care_weeks": care,
        "open_to_procedure": open_to_procedure,
    }


# (id, overrides, deciding rule, red_flags); each "not" row steps just off the matching row.
# fmt: off
RULE_BOUNDARIES = [
    # R1: any of three triggers; both legs counts only with pain below the knee.
    ("R1 saddle numbness", {"saddle_numbness": True}, "R1", ("cauda_equina",)),
    ("R1 bladder or bowel change", {"bladder_bowel_change": True}, "R1", ("cauda_equina",)),
    ("R1 both legs, below knee", {"both_legs": True, "leg_pain_below_knee": True}, "R1",
     ("cauda_equina",)),
    ("R1 not: both legs, not below knee", {"both_legs": True}, "SBST", ()),
    ("R1 not: below knee, one leg", {"leg_pain_below_knee": True}, "SBST", ()),
    # R2: cancer with numbness or any weakness.
    ("R2 cancer, numbness", {"cancer_history": True, "leg_numbness": True}, "R2",
     ("cord_compression", "cancer_history")),
    ("R2 cancer, stable weakness", {"cancer_history": True, "leg_weakness": "stable"}, "R2",
     ("cord_compression", "cancer_history", "stable_deficit")),
    ("R2 not: cancer, no deficit", {"cancer_history": True}, "R6", ("cancer_history",)),
    ("R2 not: numbness, no cancer", {"leg_numbness": True}, "SBST", ()),
    # R3: progressive weakness; stable weakness falls through to R11.
    ("R3 progressive weakness", {"leg_weakness": "progressive"}, "R3", ("progressive_deficit",)),
    ("R3 not: stable weakness", {"leg_weakness": "stable"}, "R11", ("stable_deficit",)),
    # R4: fever with immunosuppression or injecting drug use.
    ("R4 fever, immunosuppressed", {"fever": True, "immunosuppressed": True}, "R4",
     ("infection", "infection_risk", "fever")),
    ("R4 fever, injecting drugs", {"fever": True, "iv_drug_use": True}, "R4",
     ("infection", "infection_risk", "fever")),
    ("R4 not: fever alone", {"fever": True}, "R10", ("fever",)),
    ("R4 not: immunosuppressed alone", {"immunosuppressed": True}, "R7", ("infection_risk",)),
    # R5: major trauma at any age.
    ("R5 major trauma", {"trauma": "major"}, "R5", ("major_trauma",)),
    ("R5 not: minor trauma at 35", {"trauma": "minor"}, "SBST", ()),
    # R6 and R7.
    ("R6 cancer history", {"cancer_history": True}, "R6", ("cancer_history",)),
    ("R7 injecting drugs", {"iv_drug_use": True}, "R7", ("infection_risk",)),
    ("R7 immunosuppressed", {"immunosuppressed": True}, "R7", ("infection_risk",)),
    # R8: minor trauma with age >= 65, osteoporosis or steroids.
    ("R8 minor trauma at 65", {"trauma": "minor", "age": 65}, "R8", ("fragility_fracture",)),
    ("R8 not: minor trauma at 64", {"trauma": "minor", "age": 64}, "SBST", ()),
    ("R8 minor trauma, osteoporosis", {"trauma": "minor", "osteoporosis": True}, "R8",
     ("fragility_fracture",)),
    ("R8 minor trauma, steroids", {"trauma": "minor", "steroids": True}, "R8",
     ("fragility_fracture",)),
    ("R8 not: all risks, no trauma", {"age": 90, "osteoporosis": True, "steroids": True}, "SBST",
     ()),
    # R9-R11 need a clinician before anything is booked.
    ("R9 weight loss", {"weight_loss": True}, "R9", ("weight_loss",)),
    ("R10 fever", {"fever": True}, "R10", ("fever",)),
    ("R11 stable weakness", {"leg_weakness": "stable"}, "R11", ("stable_deficit",)),
    # R12 and R13: pain below the knee after >= 6 weeks of conservative care, open to a procedure.
    ("R12 12 weeks", sciatica(weeks=12), "R12", ()),
    ("R12 not: 11 weeks is R13", sciatica(weeks=11), "R13", ()),
    ("R12 not: 5 weeks of care", sciatica(weeks=12, care=5), "SBST", ()),
    ("R12 not: not open to a procedure", sciatica(weeks=12, open_to_procedure=False), "SBST", ()),
    ("R12 not: not below the knee", sciatica(weeks=12, below_knee=False), "SBST", ()),
    ("R13 6 weeks", sciatica(weeks=6), "R13", ()),
    ("R13 not: 5 weeks", sciatica(weeks=5), "SBST", ()),
    ("R13 not: 5 weeks of care", sciatica(weeks=6, care=5), "SBST", ()),
    ("R13 not: not open to a procedure", sciatica(weeks=6, open_to_procedure=False), "SBST", ()),
    ("R13 not: not below the knee", sciatica(weeks=6, below_knee=False), "SBST", ()),
    # R14: suspected bone stress injury needs both answers.
    ("R14 load increase, hop pain", {"load_increase": True, "hop_pain": True}, "R14", ()),
    ("R14 not: load increase alone", {"load_increase": True}, "SBST", ()),
    ("R14 not: hop pain alone", {"hop_pain": True}, "SBST", ()),
]
# fmt: on


@pytest.mark.parametrize(
    ("overrides", "rule", "red_flags"),
    [pytest.param(o, r, f, id=name) for name, o, r, f in RULE_BOUNDARIES],
)
def test_each_rule_matches_exactly_at_its_boundary(overrides, rule, red_flags):
    result = assess(baseline_answers(**overrides))
    assert decision(result) == OUTCOME[rule]
    assert result.red_flags == red_flags
    assert result.emergency_advice is (result.urgency == "emergency")


def test_saddle_numbness_alone_is_an_emergency():
    result = assess(baseline_answers(saddle_numbness=True))
    assert result.urgency == "emergency"
    assert result.emergency_advice is True
    assert result.pathway == "surgical_consult"


def test_first_matching_rule_decides_but_every_red_flag_is_listed():
    result = assess(baseline_answers(saddle_numbness=True, cancer_history=True))
    assert (result.rule, result.pathway, result.urgency) == ("R1", "surgical_consult", "emergency")
    assert result.red_flags == ("cauda_equina", "cancer_history")


def test_emergency_rule_outranks_a_clinician_review_rule():
    result = assess(baseline_answers(trauma="major", weight_loss=True, fever=True))
    assert decision(result) == ("R5", "imaging", "emergency", False)
    assert result.red_flags == ("major_trauma", "weight_loss", "fever")


def test_red_flag_rule_outranks_surgical_referral_for_sciatica():
    answers = baseline_answers(
        leg_pain_below_knee=True,
        pain_duration_weeks=20,
        conservative_care_weeks=10,
        open_to_procedure=True,
        weight_loss=True,
    )
    assert assess(answers).rule == "R9"


def test_sciatica_referral_outranks_bone_stress_rule():
    answers = baseline_answers(
        leg_pain_below_knee=True,
        pain_duration_weeks=12,
        conservative_care_weeks=6,
        open_to_procedure=True,
        load_increase=True,
        hop_pain=True,
    )
    assert assess(answers).rule == "R12"


def test_high_psychological_risk_never_blocks_a_surgical_referral():
    answers = baseline_answers(
        leg_pain_below_knee=True,
        pain_duration_weeks=12,
        conservative_care_weeks=6,
        open_to_procedure=True,
        **dict.fromkeys(("sbst_5", "sbst_6", "sbst_7", "sbst_8"), True),
        sbst_9="extremely",
    )
    result = assess(answers)
    assert result.sbst_risk == "high"
    assert (result.rule, result.pathway) == ("R12", "surgical_consult")


# --- Section 3: STarT Back scoring -----------------------------------------------------------


def sbst_items(*agreed, item9="slightly"):
    return {f"sbst_{n}": n in agreed for n in range(1, 9)} | {"sbst_9": item9}


# (id, agreed items 1-8, item 9, total, psychosocial, risk, pathway, urgency)
# fmt: off
SBST_CUT_OFFS = [
    ("psychosocial 3, total 3", (5, 6, 7), "slightly", 3, 3, "low", "self_care", "routine"),
    ("total 3", (1, 2, 3), "slightly", 3, 0, "low", "self_care", "routine"),
    ("total 4", (1, 2, 3, 4), "slightly", 4, 0, "medium", "physio", "routine"),
    ("psychosocial 3, total 4", (1, 5, 6, 7), "slightly", 4, 3, "medium", "physio", "routine"),
    ("total 5, psychosocial 1", (1, 2, 3, 4), "extremely", 5, 1, "medium", "physio", "routine"),
    ("psychosocial 4, items 5-8", (5, 6, 7, 8), "slightly", 4, 4, "high", "physio", "soon"),
    ("psychosocial 4 with item 9", (5, 6, 7), "very_much", 4, 4, "high", "physio", "soon"),
    ("every item", tuple(range(1, 9)), "extremely", 9, 5, "high", "physio", "soon"),
]
# fmt: on


@pytest.mark.parametrize(
    ("agreed", "item9", "total", "psychosocial", "risk", "pathway", "urgency"),
    [pytest.param(*row, id=name) for name, *row in SBST_CUT_OFFS],
)
def test_sbst_cut_offs_choose_the_risk_band_and_pathway(
    agreed, item9, total, psychosocial, risk, pathway, urgency
):
    result = assess(baseline_answers(**sbst_items(*agreed, item9=item9)))
    assert (result.sbst_total, result.sbst_psychosocial, result.sbst_risk) == (
        total,
        psychosocial,
        risk,
    )
    assert (result.rule, result.pathway, result.urgency) == ("SBST", pathway, urgency)
    assert result.clinician_review is False


@pytest.mark.parametrize(
    ("item9", "score"),
    [
        ("not_at_all", 0),
        ("slightly", 0),
        ("moderately", 0),
        ("very_much", 1),
        ("extremely", 1),
    ],
)
def test_sbst_item_9_scores_only_very_much_and_extremely(item9, score):
    result = assess(baseline_answers(sbst_9=item9))
    assert (result.sbst_total, result.sbst_psychosocial) == (score, score)


def test_sbst_is_scored_even_when_a_red_flag_rule_decides():
    answers = baseline_answers(saddle_numbness=True, **sbst_items(*range(1, 9), item9="extremely"))
    result = assess(answers)
    assert result.rule == "R1"
    assert (result.sbst_total, result.sbst_psychosocial, result.sbst_risk) == (9, 5, "high")


def test_high_sbst_reason_explains_psychologically_informed_physiotherapy():
    result = assess(baseline_answers(**sbst_items(5, 6, 7, 8)))
    assert "psychologically informed physiotherapy" in result.reasons[0]


def test_deciding_rules_reason_comes_first_then_the_other_red_flags():
    result = assess(baseline_answers(saddle_numbness=True, cancer_history=True, fever=True))
    r1 = next(rule for rule in engine.RULES if rule.code == "R1")
    assert result.reasons[0] == r1.reason
    assert len(result.reasons) == 3
    assert all(isinstance(reason, str) and reason for reason in result.reasons)


# --- Section 5: safety-net flags -------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "safety_net"),
    [
        pytest.param(
            {"age": 50, "first_episode": True}, ("age_over_50_first_episode",), id="50 first"
        ),
        pytest.param({"age": 49, "first_episode": True}, (), id="49 first"),
        pytest.param({"age": 50, "first_episode": False}, (), id="50 not first"),
        pytest.param({"night_pain": True}, ("night_pain",), id="night pain"),
        pytest.param(
            {"pain_duration_weeks": 4, "sbst_9": "very_much"},
            ("not_improving",),
            id="4 weeks very much",
        ),
        pytest.param(
            {"pain_duration_weeks": 4, "sbst_9": "extremely"},
            ("not_improving",),
            id="4 weeks extremely",
        ),
        pytest.param({"pain_duration_weeks": 3, "sbst_9": "extremely"}, (), id="3 weeks"),
        pytest.param({"pain_duration_weeks": 4, "sbst_9": "moderately"}, (), id="moderately"),
        pytest.param(
            {
                "age": 70,
                "first_episode": True,
                "night_pain": True,
                "pain_duration_weeks": 8,
                "sbst_9": "extremely",
            },
            ("age_over_50_first_episode", "night_pain", "not_improving"),
            id="all three in order",
        ),
    ],
)
def test_safety_net_flags_at_their_boundaries(overrides, safety_net):
    result = assess(baseline_answers(**overrides))
    assert result.safety_net == safety_net
    assert result.red_flags == ()


@given(valid_answers(), st.booleans(), st.booleans())
def test_safety_net_answers_never_change_the_decision(answers, night_pain, first_episode):
    changed = answers | {"night_pain": night_pain, "first_episode": first_episode}
    before, after = assess(answers), assess(changed)
    assert decision(after) == decision(before)
    assert after.red_flags == before.red_flags


# --- Properties against the independent reading ----------------------------------------------


@given(valid_answers())
def test_valid_answers_never_raise_and_give_a_well_formed_result(answers):
    result = assess(answers)
    assert result.pathway in engine.PATHWAYS
    assert result.urgency in engine.URGENCIES
    assert result.sbst_risk in ("low", "medium", "high")
    assert 0 <= result.sbst_total <= 9
    assert 0 <= result.sbst_psychosocial <= 5
    assert result.reasons
    assert result.protocol_version == engine.PROTOCOL_VERSION


@given(valid_answers())
def test_same_answers_give_an_equal_result(answers):
    assert assess(dict(answers)) == assess(dict(answers))


@given(valid_answers())
def test_decision_follows_the_protocol_table(answers):
    assert decision(assess(answers)) == expected_decision(answers)


@given(valid_answers())
def test_red_flags_are_exactly_the_true_r1_to_r11_conditions_in_table_order(answers):
    assert assess(answers).red_flags == expected_red_flags(answers)


@given(valid_answers())
def test_sbst_scores_follow_the_scoring_rules(answers):
    result = assess(answers)
    assert (result.sbst_total, result.sbst_psychosocial, result.sbst_risk) == expected_sbst(answers)


@given(valid_answers())
def test_safety_net_follows_section_5(answers):
    assert assess(answers).safety_net == expected_safety_net(answers)


@given(valid_answers())
def test_emergency_advice_is_given_exactly_for_emergencies(answers):
    result = assess(answers)
    assert result.emergency_advice is (result.urgency == "emergency")


@given(valid_answers())
def test_any_r1_to_r5_condition_means_emergency(answers):
    result = assess(answers)
    if EMERGENCY_FLAGS & set(expected_red_flags(answers)):
        assert result.urgency == "emergency"
        assert result.emergency_advice is True
    else:
        assert result.urgency != "emergency"


@given(valid_answers())
def test_clinician_review_only_when_r9_to_r11_decides(answers):
    result = assess(answers)
    assert result.clinician_review is (result.rule in ("R9", "R10", "R11"))


UNKNOWN_KEYS = st.text(min_size=1).filter(lambda key: key not in ANSWER_SPEC)


@given(valid_answers(), st.dictionaries(UNKNOWN_KEYS, st.integers() | st.none() | st.text()))
def test_unknown_extra_keys_are_ignored(answers, extra):
    assert assess(extra | answers) == assess(answers)


# --- Section 1 and 2: validation -------------------------------------------------------------


def bad_values(name):
    """Values a given answer must refuse: wrong type, out of range, bool-as-int, bad choice."""
    kind, *spec = ANSWER_SPEC[name]
    if kind == "int":
        low, high = spec
        return st.sampled_from(
            [low - 1, high + 1, True, False, float(low), str(low), None, [low]]
        ) | st.integers().filter(lambda n: not low <= n <= high)
    if kind == "bool":
        return st.sampled_from([0, 1, "true", "false", "yes", None, 1.0, "", []])
    (choices,) = spec
    return st.sampled_from(
        [choices[0].upper(), "", None, 0, True, (choices[0],)]
    ) | st.text().filter(lambda s: s not in choices)


MISSING = object()


@st.composite
def corrupted_answers(draw):
    """Valid answers with one or more fields removed or replaced by bad values."""
    answers = draw(valid_answers())
    bad = draw(st.sets(st.sampled_from(list(ANSWER_SPEC)), min_size=1, max_size=5))
    for name in bad:
        value = draw(st.just(MISSING) | bad_values(name))
        if value is MISSING:
            del answers[name]
        else:
            answers[name] = value
    return answers, bad


@given(corrupted_answers())
def test_invalid_answers_raise_naming_exactly_the_bad_fields(case):
    answers, bad = case
    with pytest.raises(TriageError) as caught:
        assess(answers)
    assert set(caught.value.errors) == bad
    for name in bad:
        assert name in str(caught.value)
        assert isinstance(caught.value.errors[name], str)
        assert caught.value.errors[name]


@pytest.mark.parametrize("name", list(ANSWER_SPEC))
def test_each_missing_answer_is_reported(name):
    answers = baseline_answers()
    del answers[name]
    with pytest.raises(TriageError) as caught:
        assess(answers)
    assert caught.value.errors == {name: "is required"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("age", 15),
        ("age", 121),
        ("age", True),
        ("age", 30.0),
        ("age", "30"),
        ("pain_duration_weeks", True),
        ("pain_score", False),
        ("conservative_care_weeks", True),
        ("pain_duration_weeks", -1),
        ("pain_duration_weeks", 521),
        ("pain_score", 11),
        ("conservative_care_weeks", -1),
        ("fever", 1),
        ("fever", 0),
        ("fever", "true"),
        ("fever", None),
        ("leg_weakness", "worse"),
        ("trauma", "Major"),
        ("sbst_9", "very much"),
    ],
)
def test_wrong_type_or_out_of_range_answer_is_reported(name, value):
    with pytest.raises(TriageError) as caught:
        assess(baseline_answers(**{name: value}))
    assert list(caught.value.errors) == [name]


@pytest.mark.parametrize(("age", "valid"), [(15, False), (16, True), (120, True), (121, False)])
def test_age_range_is_16_to_120(age, valid):
    if valid:
        assert assess(baseline_answers(age=age)).rule == "SBST"
    else:
        with pytest.raises(TriageError, match="age"):
            assess(baseline_answers(age=age))


def test_error_messages_are_short_and_human():
    answers = baseline_answers(age=12, fever="yes", trauma="bad")
    del answers["sbst_9"]
    with pytest.raises(TriageError) as caught:
        assess(answers)
    assert caught.value.errors == {
        "age": "must be a whole number from 16 to 120",
        "fever": "must be true or false",
        "trauma": "must be one of: none, minor, major",
        "sbst_9": "is required",
    }


def test_every_answer_missing_reports_every_field_in_protocol_order():
    with pytest.raises(TriageError) as caught:
        assess({})
    assert list(caught.value.errors) == list(ANSWER_SPEC)


def test_triage_error_is_a_value_error_that_survives_pickling():
    error = TriageError({"age": "is required"})
    assert isinstance(error, ValueError)
    restored = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    assert restored.errors == error.errors
    assert str(restored) == str(error)


def test_answers_that_are_not_a_mapping_are_a_programming_error():
    with pytest.raises(TypeError):
        assess([("age", 30)])


# --- Public constants and result shape -------------------------------------------------------


def test_result_has_exactly_the_protocol_attributes_and_is_immutable():
    names = [f.name for f in dataclasses.fields(TriageResult)]
    assert names == [
        "pathway",
        "urgency",
        "emergency_advice",
        "clinician_review",
        "rule",
        "red_flags",
        "sbst_total",
        "sbst_psychosocial",
        "sbst_risk",
        "reasons",
        "safety_net",
        "protocol_version",
    ]
    result = assess(baseline_answers())
    assert not hasattr(result, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.pathway = "imaging"


def test_fields_table_matches_section_2():
    assert list(engine.FIELDS) == list(ANSWER_SPEC)
    for name, field in engine.FIELDS.items():
        kind, *spec = ANSWER_SPEC[name]
        assert field.name == name
        assert field.kind == kind
        assert field.label
        if kind == "int":
            assert (field.min, field.max) == tuple(spec)
        elif kind == "choice":
            assert field.choices == spec[0]
            assert [value for value, _ in field.choice_pairs] == list(spec[0])


def test_constants_match_the_protocol():
    assert engine.PROTOCOL_VERSION == "2026.1"
    assert engine.PATHWAYS == ("self_care", "physio", "imaging", "surgical_consult")
    assert engine.URGENCIES == ("emergency", "urgent", "soon", "routine")
    assert engine.LEG_WEAKNESS_CHOICES == ("none", "stable", "progressive")
    assert engine.TRAUMA_CHOICES == ("none", "minor", "major")
    assert engine.SBST9_CHOICES == (
        "not_at_all",
        "slightly",
        "moderately",
        "very_much",
        "extremely",
    )
    assert [rule.code for rule in engine.RULES] == [f"R{n}" for n in range(1, 15)]
    assert list(engine.RED_FLAG_LABELS) == [code for code, _ in RED_FLAG_CONDITIONS]
    assert engine.RED_FLAG_LABELS["cauda_equina"] == "Possible cauda equina syndrome"
    assert list(engine.SAFETY_NET_LABELS) == [
        "age_over_50_first_episode",
        "night_pain",
        "not_improving",
    ]
    assert dict(engine.STAFF_TARGET) == {
        "emergency": timedelta(hours=1),
        "urgent": timedelta(days=14),
        "soon": timedelta(days=28),
        "routine": timedelta(days=42),
    }
