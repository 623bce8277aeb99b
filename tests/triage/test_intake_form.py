"""The intake wizard as a person uses it: five steps, answers kept, bad input refused kindly."""

import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.models import Location
from patients.selectors import SESSION_INTAKES_KEY
from tests.factories import LocationFactory, PatientFactory, StaffFactory
from tests.triage.strategies import baseline_answers
from triage import engine
from triage.models import Intake
from triage.views import WIZARD_SESSION_KEY

pytestmark = pytest.mark.django_db

# The steps and what each asks, as the issue describes them (a test of the form's shape).
STEPS = {
    "about-you": ("age",),
    "your-pain": (
        "pain_duration_weeks",
        "pain_score",
        "first_episode",
        "leg_pain_below_knee",
        "both_legs",
        "leg_numbness",
        "leg_weakness",
        "trauma",
        "load_increase",
        "hop_pain",
    ),
    "warning-signs": (
        "saddle_numbness",
        "bladder_bowel_change",
        "fever",
        "cancer_history",
        "weight_loss",
        "immunosuppressed",
        "iv_drug_use",
        "night_pain",
        "osteoporosis",
        "steroids",
    ),
    "how-it-affects-you": tuple(f"sbst_{n}" for n in range(1, 10)),
    "care-so-far": ("conservative_care_weeks", "open_to_procedure"),
}
SLUGS = tuple(STEPS)


def step_url(slug: str) -> str:
    return reverse("triage:step", args=[slug])


def posted(name: str, value) -> str:
    """How the form spells an answer: Yes/No radios, Agree/Disagree for the SBST statements."""
    if isinstance(value, bool):
        if name.startswith("sbst_"):
            return "agree" if value else "disagree"
        return "yes" if value else "no"
    return str(value)


def step_data(slug: str, location, **overrides) -> dict:
    """Valid POST data for one step: the low-risk baseline with protocol ``overrides``."""
    answers = baseline_answers(**{k: v for k, v in overrides.items() if k in engine.FIELDS})
    data = {name: posted(name, answers[name]) for name in STEPS[slug]}
    if slug == "about-you":
        data.update(
            first_name="Sam",
            last_name="Strider",
            email="sam@example.test",
            phone="",
            weekly_distance="25",
            weekly_distance_unit="mi",
            years_running="5",
            usual_surface="road",
            shoe_age_months="6",
            recent_race="no",
            preferred_location=str(location.pk),
        )
    data.update({k: str(v) for k, v in overrides.items() if k not in engine.FIELDS})
    return data


def answer_steps(client, location, *, upto: int = len(SLUGS), **overrides):
    """Answer the first ``upto`` steps in order, asserting each one is accepted."""
    for slug in SLUGS[:upto]:
        response = client.post(step_url(slug), step_data(slug, location, **overrides))
        assert response.status_code == 302, (slug, response.content.decode()[:2000])


def submit_intake(client, location, **overrides) -> Intake:
    """The whole journey: five steps, the review page, send. Returns the new intake."""
    answer_steps(client, location, **overrides)
    before = set(Intake.objects.values_list("pk", flat=True))
    response = client.post(reverse("triage:review"))
    assert response.status_code == 302, response.content.decode()[:2000]
    intake = Intake.objects.exclude(pk__in=before).get()
    assert response["Location"] == reverse("triage:result", args=[intake.public_id])
    return intake


@pytest.fixture
def location():
    return LocationFactory(name="Shakopee")


def field_errors(response) -> str:
    return " ".join(
        re.findall(r'class="invalid-feedback">(.*?)</div>', response.content.decode(), re.S)
    )


# --- What is asked ---------------------------------------------------------------------------


def test_every_protocol_answer_is_asked_in_exactly_one_step(client, location):
    asked = []
    for index, slug in enumerate(SLUGS):
        page = client.get(step_url(slug)).content.decode()
        asked += [n for n in engine.FIELDS if re.search(rf'name="{n}"[ >]', page)]
        client.post(step_url(slug), step_data(slug, location))
        assert index + 1 == len(SLUGS) or client.get(step_url(SLUGS[index + 1])).status_code == 200
    assert sorted(asked) == sorted(engine.FIELDS)
    assert len(asked) == len(set(asked))


def test_each_step_says_which_step_it_is_and_has_one_main_heading(client, location):
    for number, slug in enumerate(SLUGS, start=1):
        page = client.get(step_url(slug)).content.decode()
        assert f"Step {number} of 5" in page
        assert page.count("<h1") == 1
        client.post(step_url(slug), step_data(slug, location))


def test_yes_no_questions_are_radio_groups_with_a_legend_and_nothing_preselected(client, location):
    answer_steps(client, location, upto=2)
    page = client.get(step_url("warning-signs")).content.decode()
    assert page.count("<legend") >= 10
    assert re.search(r'type="radio"[^>]*name="saddle_numbness" value="yes"', page)
    assert "checked" not in page
    assert 'type="checkbox"' not in page


def test_the_sbst_statements_use_the_protocols_paraphrase_with_agree_and_disagree(client, location):
    answer_steps(client, location, upto=3)
    page = client.get(step_url("how-it-affects-you")).content.decode()
    assert "Think about the last 2 weeks" in page
    assert "It is not really safe for a person with my condition to be physically active" in page
    assert 'value="agree"' in page
    assert 'value="disagree"' in page
    for choice in ("Not at all", "Slightly", "Moderately", "Very much", "Extremely"):
        assert choice in page


def test_about_you_asks_contact_details_running_and_clinic(client, location):
    page = client.get(step_url("about-you")).content.decode()
    for name in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "age",
        "weekly_distance",
        "weekly_distance_unit",
        "years_running",
        "usual_surface",
        "shoe_age_months",
        "recent_race",
        "preferred_location",
    ):
        assert f'name="{name}"' in page
    assert "Shakopee" in page


# --- Bad input gets a message on the field, never a 500 --------------------------------------


def test_an_unanswered_yes_no_question_is_an_error_not_a_no(client, location):
    answer_steps(client, location, upto=2)
    data = step_data("warning-signs", location)
    del data["saddle_numbness"]
    response = client.post(step_url("warning-signs"), data)
    assert response.status_code == 200
    assert "Choose Yes or No." in field_errors(response)
    assert "Please check your answers" in response.content.decode()
    assert "warning-signs" not in client.session[WIZARD_SESSION_KEY]


@pytest.mark.parametrize("value", ["maybe", "true", "1", "on", ""])
def test_a_yes_no_question_answered_with_anything_but_yes_or_no_is_refused(client, location, value):
    answer_steps(client, location, upto=1)
    response = client.post(step_url("your-pain"), step_data("your-pain", location, hop_pain=value))
    assert response.status_code == 200
    assert "Choose Yes or No." in field_errors(response)


@pytest.mark.parametrize(
    ("slug", "field", "value"),
    [
        ("your-pain", "leg_weakness", "severe"),
        ("your-pain", "trauma", "<script>"),
        ("how-it-affects-you", "sbst_9", "unbearable"),
        ("how-it-affects-you", "sbst_1", "yes"),
        ("about-you", "usual_surface", "lava"),
        ("about-you", "preferred_location", "999999"),
        ("about-you", "preferred_location", "not-a-number"),
        ("about-you", "preferred_location", "99999999999999999999999999"),
    ],
)
def test_tampered_choice_values_are_refused_on_the_field(client, location, slug, field, value):
    answer_steps(client, location, upto=SLUGS.index(slug))
    response = client.post(step_url(slug), step_data(slug, location, **{field: value}))
    assert response.status_code == 200
    assert "Choose" in field_errors(response)


@pytest.mark.parametrize(
    ("slug", "field", "value", "message"),
    [
        ("about-you", "age", "121", "from 0 to 120"),
        ("about-you", "age", "thirty", "from 0 to 120"),
        ("about-you", "age", "-3", "from 0 to 120"),
        ("about-you", "age", "35.5", "from 0 to 120"),
        ("about-you", "age", "", "from 0 to 120"),
        ("about-you", "weekly_distance", "100000", "from 0 to 500"),
        ("about-you", "weekly_distance", "400", "at most 310 miles"),
        ("about-you", "email", "not-an-email", "valid email"),
        ("about-you", "phone", "call me maybe", "phone number"),
        ("about-you", "first_name", "x" * 101, "at most 100"),
        ("your-pain", "pain_score", "11", "from 0 to 10"),
        ("your-pain", "pain_duration_weeks", "521", "from 0 to 520"),
        ("your-pain", "pain_duration_weeks", "9" * 5000, "from 0 to 520"),
        ("care-so-far", "conservative_care_weeks", "-1", "from 0 to 520"),
    ],
)
def test_missing_or_out_of_range_values_are_refused_on_the_field(
    client, location, slug, field, value, message
):
    answer_steps(client, location, upto=SLUGS.index(slug))
    response = client.post(step_url(slug), step_data(slug, location, **{field: value}))
    assert response.status_code == 200
    assert message in field_errors(response)
    assert slug not in client.session.get(WIZARD_SESSION_KEY, {})


def test_errors_are_tied_to_their_fields(client, location):
    response = client.post(step_url("about-you"), step_data("about-you", location, age="121"))
    page = response.content.decode()
    assert re.search(r'<input[^>]*name="age"[^>]*aria-invalid="true"', page)
    assert re.search(r'<input[^>]*name="age"[^>]*aria-describedby="[^"]*id_age_error', page)
    assert 'href="#id_age"' in page  # the error summary links to the field


def test_a_radio_group_error_is_announced_with_its_fieldset(client, location):
    answer_steps(client, location, upto=1)
    data = step_data("your-pain", location)
    del data["leg_weakness"]
    page = client.post(step_url("your-pain"), data).content.decode()
    assert re.search(r'<fieldset[^>]*aria-describedby="[^"]*id_leg_weakness_error', page)
    assert 'href="#id_leg_weakness_0"' in page


def test_a_body_over_the_upload_limit_gets_400(client, location):
    data = step_data("about-you", location, first_name="x" * (300 * 1024))
    response = client.post(step_url("about-you"), data)
    assert response.status_code == 400
    assert WIZARD_SESSION_KEY not in client.session


def test_too_many_fields_gets_400(client, location):
    data = {f"field{n}": "x" for n in range(500)}
    assert client.post(step_url("about-you"), data).status_code == 400


def test_an_unknown_step_is_404(client):
    assert client.get(step_url("payment-details")).status_code == 404
    assert client.post(step_url("payment-details"), {}).status_code == 404


def test_other_http_methods_are_refused(client):
    assert client.put(step_url("about-you")).status_code == 405
    assert client.get(reverse("triage:restart")).status_code == 405


# Strings that have broken form handling somewhere: NULs, huge numbers, SQL, markup, unicode.
_NASTY = st.sampled_from(
    [
        "",
        "\x00",
        "yes\x00",
        "-1",
        "1e9",
        "NaN",
        "99999999999999999999999999999",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "٣٥",
        "yes",
        "no",
        "agree",
        "maybe",
        "none",
        "major",
        "extremely",
    ]
)
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_FIELD_NAMES = sorted(
    {name for names in STEPS.values() for name in names}
    | {"first_name", "email", "phone", "preferred_location", "usual_surface", "recent_race"}
)
_GARBAGE = st.dictionaries(
    st.one_of(st.sampled_from(_FIELD_NAMES), _TEXT.filter(bool)),
    st.one_of(_NASTY, _TEXT, st.lists(st.one_of(_NASTY, _TEXT), max_size=3)),
    max_size=25,
)


def _valid_wizard_session(location) -> dict:
    return {slug: step_data(slug, location) for slug in SLUGS}


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(slug=st.sampled_from(SLUGS), data=_GARBAGE)
def test_no_post_to_any_step_is_a_server_error(client, location, slug, data):
    # Every earlier step answered, so the garbage reaches the step's form, not a redirect.
    session = client.session
    session[WIZARD_SESSION_KEY] = _valid_wizard_session(location)
    session.save()
    response = client.post(step_url(slug), data)
    assert response.status_code < 500


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=_GARBAGE)
def test_no_post_to_the_review_is_a_server_error(client, location, data):
    session = client.session
    session[WIZARD_SESSION_KEY] = _valid_wizard_session(location)
    session.save()
    assert client.post(reverse("triage:review"), data).status_code < 500


def test_a_corrupted_wizard_session_starts_again_instead_of_failing(client, location):
    session = client.session
    session[WIZARD_SESSION_KEY] = {"about-you": ["not", "a", "dict"], "your-pain": "x"}
    session.save()
    assert client.get(step_url("warning-signs"))["Location"] == step_url("about-you")
    session[WIZARD_SESSION_KEY] = "garbage"
    session.save()
    assert client.get(reverse("triage:review"))["Location"] == step_url("about-you")


# --- Under 16 --------------------------------------------------------------------------------


def test_under_16_is_refused_kindly_and_nothing_is_kept(client, location):
    response = client.post(step_url("about-you"), step_data("about-you", location, age="15"))
    assert response["Location"] == reverse("triage:under_16")
    page = client.get(response["Location"]).content.decode()
    assert "16 and over" in page
    assert "family doctor" in page
    assert "911" in page
    assert WIZARD_SESSION_KEY not in client.session
    assert client.get(step_url("your-pain"))["Location"] == step_url("about-you")
    assert not Intake.objects.exists()


def test_under_16_is_refused_even_before_the_rest_of_the_step_is_right(client, location):
    response = client.post(step_url("about-you"), {"age": "12", "email": "broken"})
    assert response["Location"] == reverse("triage:under_16")


def test_under_16_forgets_answers_given_before_the_age_was_corrected(client, location):
    answer_steps(client, location, upto=2)
    client.post(step_url("about-you"), step_data("about-you", location, age="14"))
    assert WIZARD_SESSION_KEY not in client.session


def test_sixteen_is_old_enough(client, location):
    response = client.post(step_url("about-you"), step_data("about-you", location, age="16"))
    assert response["Location"] == step_url("your-pain")


# --- Order and memory ------------------------------------------------------------------------


def test_jumping_ahead_goes_to_the_first_unanswered_step(client, location):
    assert client.get(step_url("care-so-far"))["Location"] == step_url("about-you")
    assert client.get(reverse("triage:review"))["Location"] == step_url("about-you")
    answer_steps(client, location, upto=2)
    assert client.get(step_url("care-so-far"))["Location"] == step_url("warning-signs")
    data = step_data("care-so-far", location)
    assert client.post(step_url("care-so-far"), data)["Location"] == step_url("warning-signs")
    assert client.post(reverse("triage:review"))["Location"] == step_url("warning-signs")
    assert not Intake.objects.exists()


def test_each_step_leads_to_the_next_and_the_last_to_the_review(client, location):
    for index, slug in enumerate(SLUGS):
        response = client.post(step_url(slug), step_data(slug, location))
        following = step_url(SLUGS[index + 1]) if index + 1 < len(SLUGS) else None
        assert response["Location"] == (following or reverse("triage:review"))


def test_going_back_shows_the_saved_answers(client, location):
    answer_steps(client, location, upto=2, pain_score=7, first_episode=True, trauma="minor")
    page = re.sub(r"\s+", " ", client.get(step_url("about-you")).content.decode())
    assert 'value="Sam"' in page
    assert 'value="sam@example.test"' in page
    assert 'value="35"' in page
    assert re.search(rf'<option value="{location.pk}" selected>', page)
    page = re.sub(r"\s+", " ", client.get(step_url("your-pain")).content.decode())
    assert re.search(r'name="pain_score" value="7"', page)
    assert re.search(r'name="first_episode" value="yes" [^>]*checked', page)
    assert re.search(r'name="first_episode" value="no" (?![^>]*checked)', page)
    assert re.search(r'name="trauma" value="minor" [^>]*checked', page)


def test_each_step_has_a_back_link_to_the_step_before(client, location):
    assert (
        f'href="{reverse("triage:start")}">Back'
        in client.get(step_url("about-you")).content.decode()
    )
    answer_steps(client, location, upto=1)
    page = client.get(step_url("your-pain")).content.decode()
    assert f'href="{step_url("about-you")}">Back' in page


def test_a_validation_error_keeps_what_was_typed_and_the_earlier_steps(client, location):
    answer_steps(client, location, upto=1)
    response = client.post(
        step_url("your-pain"),
        step_data("your-pain", location, pain_score="12", pain_duration_weeks=9),
    )
    page = re.sub(r"\s+", " ", response.content.decode())
    assert 'name="pain_duration_weeks" value="9"' in page
    assert "about-you" in client.session[WIZARD_SESSION_KEY]
    assert 'value="Sam"' in client.get(step_url("about-you")).content.decode()


def test_changing_an_earlier_answer_keeps_the_later_ones(client, location):
    answer_steps(client, location)
    client.post(step_url("about-you"), step_data("about-you", location, first_name="Samira"))
    page = client.get(reverse("triage:review")).content.decode()
    assert "Samira" in page
    assert client.get(reverse("triage:review")).status_code == 200


def test_the_start_page_offers_to_continue_or_start_again(client, location):
    page = client.get(reverse("triage:start")).content.decode()
    assert step_url("about-you") in page
    answer_steps(client, location, upto=2)
    page = client.get(reverse("triage:start")).content.decode()
    assert "Continue where you left off" in page
    assert step_url("warning-signs") in page
    response = client.post(reverse("triage:restart"))
    assert response["Location"] == step_url("about-you")
    assert WIZARD_SESSION_KEY not in client.session


# --- Review and submit -----------------------------------------------------------------------


def test_the_review_page_lists_the_answers_in_words_with_change_links(client, location):
    answer_steps(client, location, trauma="minor", sbst_9="very_much")
    page = client.get(reverse("triage:review")).content.decode()
    assert page.count("<h1") == 1
    assert "A minor injury" in page
    assert "Very much" in page
    assert "Shakopee" in page
    for slug in SLUGS:
        assert step_url(slug) in page
    assert not Intake.objects.exists()


def test_submitting_stores_the_intake_forgets_the_answers_and_remembers_it_for_this_browser(
    client, location
):
    intake = submit_intake(client, location, pain_score=6, first_episode=True)
    assert intake.answers == baseline_answers(pain_score=6, first_episode=True)
    assert intake.first_name == "Sam"
    assert intake.email == "sam@example.test"
    assert intake.preferred_location == location
    assert intake.patient is None
    assert WIZARD_SESSION_KEY not in client.session
    assert client.session[SESSION_INTAKES_KEY] == [str(intake.public_id)]
    # A second press of Send (the answers are gone) does not make a second intake.
    assert client.post(reverse("triage:review"))["Location"] == step_url("about-you")
    assert Intake.objects.count() == 1


def test_answers_reach_the_engine_as_real_booleans_and_numbers(client, location):
    intake = submit_intake(client, location, leg_pain_below_knee=True, pain_duration_weeks=3)
    assert intake.answers["leg_pain_below_knee"] is True
    assert intake.answers["both_legs"] is False
    assert intake.answers["pain_duration_weeks"] == 3
    assert intake.answers["sbst_9"] == "slightly"


def test_the_running_details_are_kept_but_do_not_change_the_result(client, location):
    intake = submit_intake(
        client,
        location,
        weekly_distance=110,
        weekly_distance_unit="km",
        usual_surface="trail",
        recent_race="yes",
    )
    assert intake.weekly_distance_km == 110
    assert intake.years_running == 5
    assert intake.usual_surface == "trail"
    assert intake.shoe_age_months == 6
    assert intake.recent_race is True
    assert intake.current_decision.pathway == "self_care"


def test_the_running_details_are_optional(client, location):
    intake = submit_intake(
        client,
        location,
        weekly_distance="",
        years_running="",
        usual_surface="",
        shoe_age_months="",
        phone="",
    )
    assert intake.weekly_distance_km is None
    assert intake.usual_surface == ""


def test_a_signed_in_patients_intake_is_theirs(client, location):
    patient = PatientFactory()
    client.force_login(patient.user)
    intake = submit_intake(client, location)
    assert intake.patient == patient
    assert SESSION_INTAKES_KEY not in client.session


def test_a_staff_members_test_intake_belongs_to_nobody_but_this_browser_can_see_it(
    client, location
):
    client.force_login(StaffFactory())
    intake = submit_intake(client, location)
    assert intake.patient is None
    assert client.get(reverse("triage:result", args=[intake.public_id])).status_code == 200


def test_a_clinic_closed_during_the_form_sends_the_person_back_to_choose_again(client, location):
    answer_steps(client, location)
    Location.objects.filter(pk=location.pk).delete()
    response = client.post(reverse("triage:review"))
    assert response["Location"] == step_url("about-you")
    assert not Intake.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Some answers need checking" in page


# --- Every page of the form ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["triage:start", "triage:under_16", "triage:self_care_advice"])
def test_each_page_has_exactly_one_main_heading(client, name):
    page = client.get(reverse(name)).content.decode()
    assert page.count("<h1") == 1


def test_a_step_posted_without_the_csrf_token_is_refused(location):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    response = browser.post(step_url("about-you"), step_data("about-you", location))
    assert response.status_code == 403
    assert WIZARD_SESSION_KEY not in browser.session


def test_the_form_works_without_javascript_and_loads_no_inline_script(client):
    page = client.get(step_url("about-you")).content.decode()
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", page) == []
    assert 'method="post"' in page


def test_the_weekly_distance_is_asked_in_miles_and_kept_in_km(client, location):
    page = client.get(step_url("about-you")).content.decode()
    assert "About how far do you run in a normal week?" in page
    assert "kilometers" not in page
    # Miles are chosen unless the runner picks km.
    assert re.search(r'<option value="mi"[^>]*selected[^>]*>\s*miles', page)
    assert '<option value="km"' in page

    answer_steps(client, location, weekly_distance=25)
    assert "25 miles" in client.get(reverse("triage:review")).content.decode()
    client.post(reverse("triage:review"))
    assert Intake.objects.get().weekly_distance_km == 40  # 25 miles
