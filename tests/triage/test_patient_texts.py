"""What patients read (issue 23): one complete 911 list on every page and check-in message, with
each person's own extra signs (R6, R7); the bone stress advice (R14); pain relief with its
cautions; self-care advice on every result that is not an emergency; plain words; and the
reworded questions still giving the protocol's answers."""

import html
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from clinic import messages, notifications
from clinic.models import Discipline, Notification, NotificationKind
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    ServiceFactory,
    make_intake,
)
from tests.triage.test_intake_form import SLUGS, answer_steps, step_url, submit_intake
from triage import advice, engine

pytestmark = pytest.mark.django_db

# The protocol's five emergency categories (section 4, R1-R5), as words every 911 list must
# carry. Written from the protocol, not read from triage.advice: drop a category from the list,
# or the list from a page, and the test of each place fails.
EMERGENCY_CATEGORIES = {
    "R1 saddle numbness": "numbness around your genitals, buttocks or inner thighs",
    "R1 bladder or bowels": "trouble passing urine, or you cannot control your bladder or bowels",
    "R1 both legs": "down both legs at the same time",
    "R2 cancer and new numbness or weakness": "new numbness or weakness in a leg, if you have "
    "ever had cancer",
    "R3 weakness getting worse": "weakness in a leg or foot that gets worse",
    "R4 fever and infection risk": "a fever, if your immune system is weak or you inject drugs",
    "R5 major injury": "back pain after a major injury",
}
CANCER_SIGN = "Because you have had cancer: any new numbness, pins and needles or weakness"
FEVER_SIGN = "a fever or chills, or feeling generally unwell"

# One intake per way a result can come out: (answers, the rule the engine must pick).
RESULTS = {
    "self-care (SBST low)": ({}, "SBST"),
    "PT (SBST medium)": ({f"sbst_{n}": True for n in range(1, 5)}, "SBST"),
    "PT soon (SBST high)": (
        {"sbst_5": True, "sbst_6": True, "sbst_7": True, "sbst_8": True, "sbst_9": "extremely"},
        "SBST",
    ),
    "R6 cancer": ({"cancer_history": True}, "R6"),
    "R7 immune": ({"immunosuppressed": True}, "R7"),
    "R7 drugs": ({"iv_drug_use": True}, "R7"),
    "R8 fracture risk": ({"trauma": "minor", "age": 70}, "R8"),
    "R9 weight loss": ({"weight_loss": True}, "R9"),
    "R10 fever": ({"fever": True}, "R10"),
    "R11 stable weakness": ({"leg_weakness": "stable"}, "R11"),
    "R12 specialist": (
        {
            "leg_pain_below_knee": True,
            "pain_duration_weeks": 16,
            "conservative_care_weeks": 8,
            "open_to_procedure": True,
        },
        "R12",
    ),
    "R13 scan soon": (
        {
            "leg_pain_below_knee": True,
            "pain_duration_weeks": 8,
            "conservative_care_weeks": 6,
            "open_to_procedure": True,
        },
        "R13",
    ),
    "R14 bone stress": ({"load_increase": True, "hop_pain": True}, "R14"),
    "R1 saddle": ({"saddle_numbness": True}, "R1"),
    "R2 cancer and numbness": ({"cancer_history": True, "leg_numbness": True}, "R2"),
    "R3 weakness worse": ({"leg_weakness": "progressive"}, "R3"),
    "R4 fever and immune": ({"fever": True, "immunosuppressed": True}, "R4"),
    "R5 major injury": ({"trauma": "major"}, "R5"),
}
EMERGENCY_RULES = {"R1", "R2", "R3", "R4", "R5"}
NON_EMERGENCY = [name for name, (_, rule) in RESULTS.items() if rule not in EMERGENCY_RULES]


def words(markup: str) -> str:
    """Visible words of some HTML, spaces collapsed, entities decoded."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def main_of(response) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


class _Blocks(HTMLParser):
    """Collects the text inside every element that carries one attribute, nested ones too."""

    def __init__(self, marker: str):
        super().__init__()
        self.marker, self.found, self.open = marker, [], []  # open: [tag, depth, words]

    def handle_starttag(self, tag, attrs):
        for block in self.open:
            block[1] += block[0] == tag
        if any(name == self.marker for name, _ in attrs):
            self.open.append([tag, 1, []])

    def handle_endtag(self, tag):
        for block in list(self.open):
            if block[0] == tag:
                block[1] -= 1
                if block[1] == 0:
                    self.open.remove(block)
                    self.found.append(" ".join(" ".join(block[2]).split()))

    def handle_data(self, data):
        for block in self.open:
            block[2].append(data)


def blocks(markup: str, marker: str) -> list[str]:
    """The words of each element carrying ``marker`` (a data- attribute), in order of ending."""
    parser = _Blocks(marker)
    parser.feed(markup)
    return parser.found


def emergency_lists(markup: str) -> list[str]:
    return blocks(markup, "data-emergency-signs")


def text_emergency_list(text: str) -> str:
    """The plain-text 911 list: its lead line and the bullet lines after it."""
    start = text.index("Call 911 or go to an emergency department now if you have any of these:")
    lines = []
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("- "):
            break
        lines.append(line[2:])
    return " ".join(lines)


def assert_complete(listed: str, where: str) -> None:
    missing = [name for name, phrase in EMERGENCY_CATEGORIES.items() if phrase not in listed]
    assert missing == [], f"{where}: the 911 list lacks {missing}"


def result_for(client, overrides: dict, rule: str):
    """The result page of an intake with ``overrides``, seen by its signed-in patient."""
    patient = PatientFactory()
    client.force_login(patient.user)
    intake = make_intake(patient=patient, **overrides)
    assert intake.current_decision.rule == rule
    return intake, client.get(reverse("triage:result", args=[intake.public_id]))


def check_in(intake, kind) -> messages.Message:
    return messages.render(Notification.objects.get(intake=intake, kind=kind))


# --- One complete 911 list ---------------------------------------------------------------------


def test_the_shared_list_covers_exactly_the_protocols_emergency_rules():
    emergency_flags = {rule.red_flag for rule in engine.RULES if rule.urgency == "emergency"}
    assert {code for code, _ in advice.EMERGENCY_SIGNS} == emergency_flags
    assert_complete(" ".join(advice.emergency_signs()), "triage.advice.EMERGENCY_SIGNS")


@pytest.mark.parametrize(
    "name", ["patients:home", "triage:start", "triage:under_16", "triage:self_care_advice"]
)
def test_every_page_without_a_result_shows_the_whole_list(name):
    response = Client().get(reverse(name))
    assert response.status_code == 200
    [listed] = emergency_lists(main_of(response))
    assert_complete(listed, name)


@pytest.mark.parametrize("case", RESULTS)
def test_every_result_shows_the_whole_list(client, case):
    _, response = result_for(client, *RESULTS[case])
    [listed] = emergency_lists(main_of(response))
    assert_complete(listed, case)


@pytest.mark.parametrize(
    ("kind", "answers"),
    [
        (NotificationKind.SELF_CARE_CHECK_IN, {}),
        (NotificationKind.SAFETY_NET_CHECK_IN, {"night_pain": True}),
    ],
)
def test_every_check_in_carries_the_whole_list_in_text_and_html(kind, answers):
    message = check_in(make_intake(**answers), kind)
    assert_complete(text_emergency_list(message.text), f"{kind} text")
    [listed] = emergency_lists(message.html)
    assert_complete(listed, f"{kind} html")


def _appointment_message(kind, **appointment) -> messages.Message:
    appointment = AppointmentFactory(**appointment)
    notification = notifications.plan_for_appointment(
        appointment=appointment, kind=kind, due_at=appointment.start
    )
    return messages.render(notification)


@pytest.mark.parametrize(
    "kind",
    [
        NotificationKind.BOOKING_CONFIRMATION,
        NotificationKind.REMINDER,
        NotificationKind.CANCELLATION,
        NotificationKind.RESCHEDULE,
        NotificationKind.NO_SHOW_FOLLOW_UP,
    ],
)
def test_the_plain_text_of_every_appointment_email_has_the_911_line(kind):
    message = _appointment_message(kind)
    line = "In an emergency, call 911 or go to the nearest emergency department."
    assert line in message.text
    assert line in message.html


def test_the_plain_text_of_a_waitlist_offer_has_the_911_line():
    intake = make_intake()
    notification = notifications.plan(
        key="test:offer",
        kind=NotificationKind.WAITLIST_OFFER,
        recipient=intake.email,
        template="notifications/waitlist_offer",
        due_at=intake.created_at,
        intake=intake,
        context={"slot_label": "Monday 9:00 AM", "book_path": "/book/x/"},
    )
    assert "call 911" in messages.render(notification).text


# --- The person's own 911 signs (R6, R7) -------------------------------------------------------


def sooner_list(response) -> str:
    [listed] = blocks(main_of(response), "data-seek-help-sooner")
    return listed


def test_after_cancer_new_numbness_or_weakness_is_a_911_sign_not_a_call_to_us(client):
    _, response = result_for(client, {"cancer_history": True}, "R6")
    [listed] = emergency_lists(main_of(response))
    assert CANCER_SIGN in listed
    assert "numbness" not in sooner_list(response)
    assert "fever" in sooner_list(response)


@pytest.mark.parametrize(
    ("answer", "why"),
    [("immunosuppressed", "your immune system is weak"), ("iv_drug_use", "you inject drugs")],
)
def test_with_a_risk_of_spine_infection_a_fever_is_a_911_sign(client, answer, why):
    _, response = result_for(client, {answer: True}, "R7")
    [listed] = emergency_lists(main_of(response))
    assert f"Because {why}: {FEVER_SIGN}" in listed
    assert "fever" not in sooner_list(response)
    assert "numbness" in sooner_list(response)


def test_without_those_answers_there_are_no_personal_signs(client):
    _, response = result_for(client, {}, "SBST")
    assert "Because you" not in words(main_of(response))
    assert "fever" in sooner_list(response)
    assert "numbness" in sooner_list(response)


@pytest.mark.parametrize(
    ("answers", "sign"),
    [
        ({"cancer_history": True}, CANCER_SIGN),
        ({"immunosuppressed": True}, f"Because your immune system is weak: {FEVER_SIGN}"),
        ({"iv_drug_use": True}, f"Because you inject drugs: {FEVER_SIGN}"),
    ],
)
def test_the_check_in_puts_the_persons_own_signs_in_its_911_list(answers, sign):
    message = check_in(
        make_intake(night_pain=True, **answers), NotificationKind.SAFETY_NET_CHECK_IN
    )
    assert sign in text_emergency_list(message.text)
    [listed] = emergency_lists(message.html)
    assert sign in listed


def test_the_safety_net_check_in_repeats_the_advice_for_the_flag_that_planned_it():
    message = check_in(make_intake(night_pain=True), NotificationKind.SAFETY_NET_CHECK_IN)
    advice_text = advice.SAFETY_NET_CHECK_IN_ADVICE["night_pain"]
    assert advice_text in " ".join(message.text.split())
    assert advice_text in words(message.html)
    assert advice.SAFETY_NET_CHECK_IN_ADVICE["not_improving"] not in message.text


def test_the_self_care_check_in_links_the_advice_and_takes_no_booking():
    message = check_in(make_intake(), NotificationKind.SELF_CARE_CHECK_IN)
    assert "/intake/advice/self-care/" in message.text
    assert "book" not in message.text.lower()


# --- Suspected bone stress injury (R14) --------------------------------------------------------


def test_a_suspected_bone_stress_injury_is_told_to_stop_running_and_jumping(client):
    intake, response = result_for(client, {"load_increase": True, "hop_pain": True}, "R14")
    [told] = blocks(main_of(response), "data-bone-stress")
    assert "Stop running and jumping until you have been seen" in told
    assert "If you cannot put weight on your leg" in told
    assert "get seen today" in told
    assert intake.preferred_location.phone in told
    [self_care] = blocks(main_of(response), "data-self-care-advice")
    assert "Do not run or jump until you have been seen" in self_care
    assert "When you run again" not in self_care  # no advice that contradicts it


def test_the_bone_stress_advice_follows_the_answers_whichever_rule_decides(client):
    _, response = result_for(
        client, {"load_increase": True, "hop_pain": True, "cancer_history": True}, "R6"
    )
    assert "Stop running and jumping" in words(main_of(response))


def test_without_the_bone_stress_answers_there_is_no_stop_running_advice(client):
    _, response = result_for(client, {"load_increase": True}, "SBST")
    assert "Stop running and jumping" not in words(main_of(response))
    assert "When you run again" in words(main_of(response))


# --- Pain relief, heat, shoes --------------------------------------------------------------------

NSAID_CAUTIONS = (
    "stomach ulcer or bleeding",
    "kidney disease",
    "heart disease",
    "asthma that aspirin makes worse",
    "blood thinner",
    "steroid tablets",
    "are pregnant",
    "are over 65",
    "lowest dose that works, for the shortest time",
    "before or during a long run or a race",
    "harm your kidneys",
)


def _pain_relief(markup: str) -> str:
    [section] = blocks(markup, "data-pain-relief")
    return section


@pytest.mark.parametrize("where", ["self-care page", "self-care result", "R13 scan soon"])
def test_pain_relief_carries_the_cautions_and_does_not_lead_with_acetaminophen(client, where):
    if where == "self-care page":
        markup = main_of(Client().get(reverse("triage:self_care_advice")))
    else:
        case = "self-care (SBST low)" if where == "self-care result" else where
        markup = main_of(result_for(client, *RESULTS[case])[1])
    section = _pain_relief(markup)
    missing = [caution for caution in NSAID_CAUTIONS if caution not in section]
    assert missing == []
    # NG59: not acetaminophen alone; ACP 2017: no benefit. NSAIDs come first, then the warning.
    assert section.index("NSAID") < section.index("Acetaminophen")
    assert "on its own is not advised" in section
    assert "liver" in section
    assert "alcohol" in section


def test_heat_comes_first_with_a_burn_caution():
    page = words(main_of(Client().get(reverse("triage:self_care_advice"))))
    assert page.index("heat pack") < page.index("ice pack")
    assert "not to burn your skin" in page
    assert "never put ice straight on your skin" in page


def test_claims_only_the_articles_support_say_may():
    page = words(main_of(Client().get(reverse("triage:self_care_advice"))))
    assert "may leave your back muscles to do too much of the work" in page
    assert "planks may help" in page
    assert "may absorb less of the shock" in page
    assert "Replace them when the cushioning feels flat" in page


def test_a_runner_whose_shoes_have_run_far_is_told_so(client):
    location = LocationFactory()
    intake = submit_intake(client, location, shoe_age_months=18, weekly_distance=25)
    page = words(main_of(client.get(reverse("triage:result", args=[intake.public_id]))))
    assert "your shoes are 18 months old" in page
    assert "past the point where many runners replace them" in page


def test_shoe_advice_says_nothing_without_the_answers_or_for_new_shoes():
    assert advice.shoe_advice(shoe_age_months=None, weekly_distance_km=40) == ""
    assert advice.shoe_advice(shoe_age_months=2, weekly_distance_km=30) == ""
    assert "Check them for wear" in advice.shoe_advice(shoe_age_months=14, weekly_distance_km=None)


# --- Self-care advice on every result that is not an emergency ---------------------------------


@pytest.mark.parametrize("case", NON_EMERGENCY)
def test_every_non_emergency_result_gives_self_care_advice(client, case):
    _, response = result_for(client, *RESULTS[case])
    [section] = blocks(main_of(response), "data-self-care-advice")
    for part in ("Stay active", "Heat first", "Pain relief", "Your running shoes"):
        assert part in section


@pytest.mark.parametrize("case", sorted(EMERGENCY_RULES))
def test_an_emergency_result_has_no_self_care_plan_and_says_do_not_drive(client, case):
    [name] = [n for n, (_, rule) in RESULTS.items() if rule == case]
    _, response = result_for(client, *RESULTS[name])
    page = words(main_of(response))
    assert "data-self-care-advice" not in response.content.decode()
    assert "Do not drive yourself" in page


# --- Plain words ---------------------------------------------------------------------------------

JARGON = (
    "STarT Back",
    "out of 9",
    "score",
    "fragility fracture",
    "spinal cord compression",
    "physiotherapy",
    "Physiotherapy",
    "radicular",
    "Our clinical team will also look at",
)


@pytest.mark.parametrize("case", RESULTS)
def test_results_are_in_plain_words_with_no_score(client, case):
    _, response = result_for(client, *RESULTS[case])
    page = words(main_of(response))
    assert [term for term in JARGON if term in page] == []


def test_a_result_with_several_flags_says_in_plain_words_what_is_also_checked(client):
    _, response = result_for(client, {"trauma": "minor", "age": 70, "weight_loss": True}, "R8")
    page = words(main_of(response))
    assert "Our team will also check your weight loss." in page


def test_a_clinicians_decision_keeps_its_own_words():
    intake = make_intake()

    class Overridden:
        rule = "override"
        reasons = ["A clinician reviewed your answers and set your care plan."]
        red_flags = []

    assert advice.reasons(Overridden()) == Overridden.reasons
    assert intake.current_decision.rule == "SBST"


def test_the_account_does_not_list_an_emergency_check_as_an_appointment(client):
    patient = PatientFactory()
    make_intake(patient=patient, saddle_numbness=True)  # surgical consult, emergency
    make_intake(patient=patient, trauma="major")  # imaging, emergency
    make_intake(patient=patient, sbst_1=True, sbst_2=True, sbst_3=True, sbst_4=True)
    client.force_login(patient.user)
    page = words(main_of(client.get(reverse("patients:dashboard"))))
    assert page.count("Emergency care advised (nothing was booked)") == 2
    assert "Surgical consult" not in page
    assert "Imaging" not in page
    assert "Physical therapy (PT)" in page


# --- Reminders specific to the service -----------------------------------------------------------


def test_an_mri_reminder_asks_about_metal_and_implants():
    mri = ServiceFactory(
        slug="mri-lumbar", name="Lumbar spine MRI", pathway="imaging", discipline=Discipline.IMAGING
    )
    message = _appointment_message(NotificationKind.REMINDER, service=mri)
    for part in ("pacemaker", "implant", "metal", "pregnant"):
        assert part in message.text
        assert part in message.html


def test_a_pt_reminder_is_about_clothes_and_shoes_not_metal():
    message = _appointment_message(NotificationKind.REMINDER)
    assert "Wear loose clothes" in message.text
    assert "running shoes" in message.text
    assert "pacemaker" not in message.text


# --- The reworded questions still give the protocol's answers -----------------------------------

# (field, words of the new question, answers posted, what the engine must then decide).
REWORDED = [
    ("both_legs", "down both legs at the same time", {"both_legs": True}, "SBST"),
    (
        "both_legs",
        "not just sore leg muscles after a run",
        {"both_legs": True, "leg_pain_below_knee": True},
        "R1",
    ),
    (
        "bladder_bowel_change",
        "trouble passing urine, lost control of your bladder or bowels, or not felt a full bladder",
        {"bladder_bowel_change": True},
        "R1",
    ),
    ("leg_weakness", "We mean weakness, not pain", {"leg_weakness": "progressive"}, "R3"),
    ("leg_weakness", "weaker over hours or days", {"leg_weakness": "stable"}, "R11"),
    ("leg_weakness", "does not do what you tell it to", {"leg_weakness": "none"}, "SBST"),
    ("trauma", "higher than your own height", {"trauma": "major"}, "R5"),
    ("trauma", "Did the pain start with an injury?", {"trauma": "minor", "age": 70}, "R8"),
    ("night_pain", "there all the time, and also worse at night", {"night_pain": True}, "SBST"),
    (
        "conservative_care_weeks",
        "physical therapy (PT) or a set exercise program",
        {
            "conservative_care_weeks": 8,
            "open_to_procedure": True,
            "leg_pain_below_knee": True,
            "pain_duration_weeks": 16,
        },
        "R12",
    ),
    (
        "open_to_procedure",
        "a shot (injection) or surgery",
        {
            "open_to_procedure": True,
            "conservative_care_weeks": 6,
            "leg_pain_below_knee": True,
            "pain_duration_weeks": 8,
        },
        "R13",
    ),
    *(
        (f"sbst_{n}", advice.QUESTIONS[f"sbst_{n}"][0], {f"sbst_{n}": True}, "SBST")
        for n in range(1, 9)
    ),
    ("sbst_9", "how bothersome has the back pain been", {"sbst_9": "extremely"}, "SBST"),
]
STEP_OF = {
    "both_legs": "your-pain",
    "leg_weakness": "your-pain",
    "trauma": "your-pain",
    "bladder_bowel_change": "warning-signs",
    "night_pain": "warning-signs",
    "conservative_care_weeks": "care-so-far",
    "open_to_procedure": "care-so-far",
    **{f"sbst_{n}": "how-it-affects-you" for n in range(1, 10)},
}


@pytest.mark.parametrize(("field", "question", "answers", "rule"), REWORDED)
def test_a_reworded_question_still_gives_the_protocols_answer(
    client, field, question, answers, rule
):
    location = LocationFactory()
    answer_steps(client, location, upto=SLUGS.index(STEP_OF[field]))
    page = words(client.get(step_url(STEP_OF[field])).content.decode())
    assert question in page
    intake = submit_intake(client, location, **answers)
    for name, value in answers.items():
        assert intake.answers[name] == value
    decision = intake.current_decision
    assert decision.rule == rule
    assert engine.assess(intake.answers).rule == rule
    if field == "night_pain":
        assert decision.safety_net == ["night_pain"]
    if field.startswith("sbst_"):
        assert decision.sbst_total == 1


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("leg_weakness", "none", "No weakness"),
        ("leg_weakness", "stable", "Weakness that is staying the same"),
        ("leg_weakness", "progressive", "Weakness that is getting worse over hours or days"),
        ("trauma", "none", "No injury"),
        ("trauma", "minor", "A minor injury: a fall from standing height"),
        ("trauma", "major", "A major injury: a fall from height, a crash in a vehicle"),
        ("sbst_9", "very_much", "Very much"),
    ],
)
def test_each_answer_label_stands_for_the_engines_value(client, field, value, label):
    location = LocationFactory()
    answer_steps(client, location, upto=SLUGS.index(STEP_OF[field]))
    page = client.get(step_url(STEP_OF[field])).content.decode()
    match = re.search(rf'name="{field}" value="{value}"\s+id="(id_{field}_\d)"', page)
    assert match, f"no radio for {field}={value}"
    [shown] = re.findall(rf'<label[^>]*for="{match.group(1)}"[^>]*>(.*?)</label>', page, re.S)
    assert words(shown).startswith(label)
    assert {v for v, _ in advice.choice_pairs(field)} == set(engine.FIELDS[field].choices)


def test_the_sbst_intro_names_both_kinds_of_answer(client):
    location = LocationFactory()
    answer_steps(client, location, upto=3)
    page = words(client.get(step_url("how-it-affects-you")).content.decode())
    assert "For each of the first 8 statements, choose Agree or Disagree" in page
    assert "For the last question, choose the answer that fits best" in page


def test_the_email_field_promises_only_what_is_sent(client):
    page = words(client.get(step_url("about-you")).content.decode())
    assert "We send your result" not in page
    assert "check-ins and appointments" in page
