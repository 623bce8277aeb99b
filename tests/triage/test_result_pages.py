"""Result pages: each pathway end to end through the form, and who may see a result."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import Notification, NotificationKind
from tests.factories import LocationFactory, PatientFactory, StaffFactory, make_intake
from tests.triage.test_intake_form import submit_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def location():
    return LocationFactory(name="Maple Grove", on_call_email="oncall@maple.test")


def result_url(intake) -> str:
    return reverse("triage:result", args=[intake.public_id])


def book_url(intake) -> str:
    return reverse("patients:book", args=[intake.public_id])


def text_of(response) -> str:
    """The page's visible words, so assertions read like what a person sees."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def planned(intake, kind) -> list[Notification]:
    return list(Notification.objects.filter(intake=intake, kind=kind))


# --- One journey per pathway -----------------------------------------------------------------


def test_low_risk_answers_get_the_self_care_plan_and_a_two_week_check_in(client, location):
    intake = submit_intake(client, location)
    response = client.get(result_url(intake))
    page = text_of(response)
    assert response.status_code == 200
    assert response.content.decode().count("<h1") == 1
    assert "Your result: A self-care plan" in page
    assert "low risk of long-term problems" in page  # the deciding rule, in plain words
    assert "You do not need an appointment" in page
    assert "In 2 weeks we will email you" in page
    for advice in (
        "10 to 20 minutes",
        "lowest dose that works, for the shortest time",
        "Look ahead",
        "shoulders relaxed",
        "forward and back, not across the middle of your body",
        "planks",
        "supportive running shoes",
        "Replace them when the cushioning feels flat",
        "When to seek help again",
    ):
        assert advice in page
    assert reverse("triage:self_care_advice") in response.content.decode()
    assert book_url(intake) not in response.content.decode()
    assert len(planned(intake, NotificationKind.SELF_CARE_CHECK_IN)) == 1
    assert not planned(intake, NotificationKind.STAFF_ALERT)


def test_medium_risk_answers_get_physiotherapy_and_anonymous_people_are_asked_to_sign_in(
    client, location
):
    intake = submit_intake(client, location, sbst_1=True, sbst_2=True, sbst_3=True, sbst_4=True)
    response = client.get(result_url(intake))
    page = text_of(response)
    html = response.content.decode()
    assert "Your result: Physical therapy (PT)" in page
    assert "How soon: Routine, at a time that suits you" in page
    assert "Book a physical therapy (PT) assessment online" in page
    assert "Sign in or create an account to keep your results and book" in page
    next_param = f"?next={result_url(intake)}"
    assert f'href="{reverse("account_login")}{next_param}"' in html
    assert f'href="{reverse("account_signup")}{next_param}"' in html
    assert "psychologically informed" not in page


def test_a_signed_in_patient_with_a_physio_result_gets_the_booking_link(client, location):
    patient = PatientFactory()
    client.force_login(patient.user)
    intake = submit_intake(client, location, sbst_1=True, sbst_2=True, sbst_3=True, sbst_4=True)
    response = client.get(result_url(intake))
    assert f'href="{book_url(intake)}"' in response.content.decode()
    assert book_url(intake) == f"/book/{intake.public_id}/"
    assert "Sign in or create an account" not in text_of(response)


def test_high_risk_answers_get_psychologically_informed_physiotherapy_soon(client, location):
    intake = submit_intake(
        client, location, sbst_5=True, sbst_6=True, sbst_7=True, sbst_8=True, sbst_9="extremely"
    )
    page = text_of(client.get(result_url(intake)))
    assert "Your result: Physical therapy (PT)" in page
    assert "How soon: Soon, within the next 4 weeks" in page
    assert "book a physical therapy (PT) assessment within the next 4 weeks" in page
    assert "PT that also helps with worry, low mood" in page
    assert "Your PT will help with more than exercise" in page


def test_a_history_of_cancer_gets_an_urgent_scan_arranged_by_the_team(client, location):
    intake = submit_intake(client, location, cancer_history=True)
    response = client.get(result_url(intake))
    page = text_of(response)
    assert "Your result: A scan of your spine" in page
    assert "Our team will contact you within 1 working day to arrange a scan of your spine" in page
    assert "You do not need to book anything yourself" in page
    assert "sam@example.test" in page
    assert book_url(intake) not in response.content.decode()
    [alert] = planned(intake, NotificationKind.STAFF_ALERT)
    assert alert.recipient == "oncall@maple.test"


def test_a_suspected_bone_stress_injury_gets_a_scan_within_four_weeks(client, location):
    intake = submit_intake(client, location, load_increase=True, hop_pain=True)
    page = text_of(client.get(result_url(intake)))
    assert "Your result: A scan of your spine" in page
    assert "Our team will contact you to arrange a scan of your spine within the next 4 weeks" in (
        page
    )
    assert "stress injury in the bone" in page


def test_long_lasting_leg_pain_after_physio_gets_a_spine_specialist(client, location):
    intake = submit_intake(
        client,
        location,
        leg_pain_below_knee=True,
        pain_duration_weeks=16,
        conservative_care_weeks=8,
        open_to_procedure=True,
    )
    response = client.get(result_url(intake))
    page = text_of(response)
    assert intake.current_decision.pathway == "surgical_consult"
    assert "Your result: An appointment with a spine specialist" in page
    assert "How soon: Routine, at a time that suits you" in page
    assert "Our team will contact you to arrange an appointment with a spine specialist" in page
    assert book_url(intake) not in response.content.decode()


def test_weight_loss_needs_a_clinician_to_review_before_anything_is_booked(client, location):
    intake = submit_intake(client, location, weight_loss=True)
    response = client.get(result_url(intake))
    page = text_of(response)
    assert "A clinician will look at your answers before anything is booked" in page
    assert "within 1 working day" in page
    assert book_url(intake) not in response.content.decode()


def test_stable_leg_weakness_is_physio_but_not_booked_online_before_review(client, location):
    client.force_login(PatientFactory().user)
    intake = submit_intake(client, location, leg_weakness="stable")
    response = client.get(result_url(intake))
    assert "Your result: Physical therapy (PT)" in text_of(response)
    assert "A clinician will look at your answers" in text_of(response)
    assert book_url(intake) not in response.content.decode()


def test_saddle_numbness_gets_the_emergency_page_and_alerts_the_on_call_team(client, location):
    client.force_login(PatientFactory().user)
    intake = submit_intake(client, location, saddle_numbness=True)
    response = client.get(result_url(intake))
    html = response.content.decode()
    page = text_of(response)
    assert html.count("<h1") == 1
    assert "Go to an emergency department now" in page
    assert "call 911" in page
    assert "Numbness around the saddle area" in page  # what to tell them
    assert "cauda equina" in page
    assert "Our clinic team has been alerted" in page
    assert "Maple Grove" in page
    # No booking of any kind and no normal result layout.
    assert "/book/" not in html
    assert "Book" not in page
    assert "Your result:" not in page
    [alert] = planned(intake, NotificationKind.STAFF_ALERT)
    assert alert.recipient == location.on_call_email


def test_the_emergency_page_lists_every_reported_warning_sign(client, location):
    intake = submit_intake(
        client, location, bladder_bowel_change=True, cancer_history=True, leg_numbness=True
    )
    page = text_of(client.get(result_url(intake)))
    assert "A new change in bladder or bowel control" in page
    assert "Numbness or pins and needles in a leg or foot" in page
    assert "I have had cancer" in page
    assert "Numbness around the saddle area" not in page


def test_major_trauma_is_an_emergency_too(client, location):
    intake = submit_intake(client, location, trauma="major")
    page = text_of(client.get(result_url(intake)))
    assert "Go to an emergency department now" in page
    assert "after a major injury" in page


# --- Safety net (protocol section 5) ---------------------------------------------------------


def test_night_pain_adds_advice_on_when_to_seek_help_and_a_four_week_check_in(client, location):
    intake = submit_intake(client, location, night_pain=True)
    page = text_of(client.get(result_url(intake)))
    assert intake.current_decision.pathway == "self_care"  # the flag never changes the pathway
    assert "there all the time and worse at night" in page
    assert "In 4 weeks we will email you" in page
    assert len(planned(intake, NotificationKind.SAFETY_NET_CHECK_IN)) == 1


def test_a_first_episode_at_fifty_and_pain_that_is_not_improving_each_get_advice(client, location):
    intake = submit_intake(
        client,
        location,
        age=55,
        first_episode=True,
        pain_duration_weeks=6,
        sbst_9="very_much",
        sbst_1=True,
        sbst_2=True,
        sbst_3=True,
    )
    page = text_of(client.get(result_url(intake)))
    assert "first back pain and you are 50 or over" in page
    assert "lasted 4 weeks or more and still bothers you a lot" in page
    assert "In 4 weeks we will email you" in page


def test_without_a_safety_net_flag_there_is_no_four_week_check_in(client, location):
    page = text_of(client.get(result_url(submit_intake(client, location))))
    assert "In 4 weeks" not in page
    assert "Call 911 or go to an emergency department now" in page


# --- The advice page -------------------------------------------------------------------------


def test_the_self_care_advice_has_its_own_page_for_check_in_emails(client):
    response = Client().get("/intake/advice/self-care/")
    page = text_of(response)
    assert response.status_code == 200
    assert reverse("triage:self_care_advice") == "/intake/advice/self-care/"
    assert response.content.decode().count("<h1") == 1
    assert "10 to 20 minutes" in page
    assert "When to get help" in page
    assert "Take the back-pain check again if" in page


# --- Who may see a result --------------------------------------------------------------------


def test_another_browser_cannot_see_an_anonymous_result(client, location):
    intake = submit_intake(client, location)
    assert Client().get(result_url(intake)).status_code == 404


def test_a_result_id_that_is_not_a_uuid_or_does_not_exist_is_404(client):
    assert client.get("/intake/result/not-a-uuid/").status_code == 404
    assert client.get("/intake/result/1/").status_code == 404
    assert client.get(reverse("triage:result", args=[uuid.uuid4()])).status_code == 404


def test_a_signed_in_patient_sees_their_own_result_and_not_someone_elses(client, location):
    mine = PatientFactory()
    theirs = make_intake(location=location, patient=PatientFactory())
    own = make_intake(location=location, patient=mine)
    client.force_login(mine.user)
    assert client.get(result_url(own)).status_code == 200
    assert client.get(result_url(theirs)).status_code == 404


def test_signing_in_after_an_anonymous_check_keeps_the_result_in_the_account(client, location):
    from allauth.account.models import EmailAddress

    patient = PatientFactory()
    EmailAddress.objects.create(
        user=patient.user, email=patient.user.email, verified=True, primary=True
    )
    intake = submit_intake(client, location)
    response = client.post(
        f"{reverse('account_login')}?next={result_url(intake)}",
        {"login": patient.user.email, "password": "a-long-test-password"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == result_url(intake)
    intake.refresh_from_db()
    assert intake.patient == patient
    assert client.get(result_url(intake)).status_code == 200
    assert Client().get(result_url(intake)).status_code == 404


def test_an_anonymous_result_is_no_longer_open_to_the_browser_once_someone_claims_it(
    client, location
):
    intake = submit_intake(client, location)
    intake.patient = PatientFactory()
    intake.save()
    assert client.get(result_url(intake)).status_code == 404


def test_a_tampered_session_list_of_intakes_shows_nothing_extra(client, location):
    other = make_intake(location=location)
    session = client.session
    session["anonymous_intakes"] = ["not-a-uuid", 42, None]
    session.save()
    assert client.get(result_url(other)).status_code == 404


def test_staff_of_another_location_cannot_see_the_result(client, location):
    intake = make_intake(location=location)
    client.force_login(StaffFactory(locations=[LocationFactory()]))
    assert client.get(result_url(intake)).status_code == 404


def test_viewing_a_result_is_recorded_in_the_access_log(client, location):
    from patients.models import AccessLog

    intake = submit_intake(client, location)
    client.get(result_url(intake))
    assert AccessLog.objects.filter(object_type="intake", object_id=str(intake.public_id)).exists()


def test_the_result_page_makes_a_fixed_number_of_queries(
    client, location, django_assert_max_num_queries
):
    intake = submit_intake(client, location, night_pain=True, cancer_history=True)
    with django_assert_max_num_queries(8):
        assert client.get(result_url(intake)).status_code == 200
