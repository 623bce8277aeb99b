"""Plain language: every patient page and message reads at US school grade 8 or below.

The grade is Flesch-Kincaid's, computed by textstat 0.7.3 (later releases download a word list
at run time). Pages are rendered with the test client and messages from their templates, then
reduced to the words a person reads: the page's <main> or the whole message. Each heading,
paragraph, list item, label and table cell is one unit of reading, so it ends a sentence: a
list of short items is not one long sentence to a reader, and textstat counts sentences only
by their full stops.
"""

import html
import re

import pytest
import textstat
from django.test import Client
from django.urls import reverse

from clinic import messages, notifications, scheduling
from clinic.models import Discipline, Notification, NotificationKind
from outcomes import series
from outcomes.models import FollowUp
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    ServiceFactory,
    StaffFactory,
    WorkingHoursFactory,
    make_intake,
)
from tests.outcomes.test_follow_ups import answers, runner_intake
from tests.triage.test_intake_form import SLUGS, answer_steps, step_url
from tests.triage.test_patient_texts import RESULTS, check_in, main_of

pytestmark = pytest.mark.django_db

MAX_GRADE = 8.0
# A single sentence this long is hard to follow whatever the page's average (issue 23 found the
# worst texts were long single sentences).
MAX_SENTENCE_WORDS = 30

_UNIT_END = re.compile(
    r"<br\s*/?>|</(p|li|h[1-6]|dt|dd|td|th|tr|legend|label|button|summary|option|title|div)>",
    re.I,
)


_LINK = re.compile(r"https?://\S+")


def readable_text(markup: str) -> str:
    """The words of some HTML, each unit of reading ending in a full stop."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    markup = re.sub(r"<!--.*?-->", " ", markup, flags=re.S)
    return _units(_UNIT_END.sub("\n", markup).splitlines(), strip_tags=True)


def readable_plain_text(text: str) -> str:
    """A plain-text message: each line is a unit (bullets and address lines stand alone)."""
    return _units(text.splitlines(), strip_tags=False)


def _units(lines, *, strip_tags: bool) -> str:
    units = []
    for line in lines:
        if strip_tags:
            line = html.unescape(re.sub(r"<[^>]+>", " ", line))
        # A link is followed, not read: its random token would count as one long hard word.
        line = _LINK.sub(" ", line)
        line = " ".join(line.removeprefix("- ").split()).strip(" *")
        if not re.search(r"[A-Za-z]", line):
            continue
        units.append(line if line[-1] in ".!?" else f"{line}.")
    return " ".join(units)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.findall(r"\b[^.!?]+[.!?]*", text)]


def assert_plain(text: str, where: str) -> None:
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= MAX_GRADE, f"{where}: grade {grade}"
    long = [s for s in sentences(text) if len(s.split()) > MAX_SENTENCE_WORDS]
    assert long == [], f"{where}: sentences over {MAX_SENTENCE_WORDS} words"


def test_the_measure_fails_hard_text_and_passes_plain_text():
    hard = (
        "Nonsteroidal anti-inflammatory medication should be administered at the lowest "
        "effective dosage for the shortest possible duration, considering gastrointestinal, "
        "hepatic and cardio-renal toxicity."
    )
    assert textstat.flesch_kincaid_grade(hard) > MAX_GRADE
    plain = readable_text("<p>Take the lowest dose that works.</p><ul><li>are over 65</li></ul>")
    assert plain == "Take the lowest dose that works. are over 65."
    assert textstat.flesch_kincaid_grade(plain) <= MAX_GRADE


# --- Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["patients:home", "triage:start", "triage:under_16", "triage:self_care_advice"]
)
def test_each_information_page_is_plain(name):
    assert_plain(readable_text(main_of(Client().get(reverse(name)))), name)


@pytest.mark.parametrize("slug", SLUGS)
def test_each_step_of_the_form_is_plain(client, slug):
    location = LocationFactory()
    answer_steps(client, location, upto=SLUGS.index(slug))
    assert_plain(readable_text(main_of(client.get(step_url(slug)))), slug)


def test_the_review_page_is_plain(client):
    answer_steps(client, LocationFactory())
    assert_plain(readable_text(main_of(client.get(reverse("triage:review")))), "review")


@pytest.mark.parametrize("case", RESULTS)
def test_each_result_is_plain(client, case):
    answers, rule = RESULTS[case]
    patient = PatientFactory()
    client.force_login(patient.user)
    intake = make_intake(patient=patient, night_pain=True, **answers)  # with safety-net advice
    assert intake.current_decision.rule == rule
    response = client.get(reverse("triage:result", args=[intake.public_id]))
    assert_plain(readable_text(main_of(response)), case)


def test_a_result_with_every_kind_of_extra_advice_is_plain(client):
    patient = PatientFactory()
    client.force_login(patient.user)
    intake = make_intake(
        patient=patient,
        age=55,
        first_episode=True,
        pain_duration_weeks=6,
        sbst_9="very_much",
        night_pain=True,
        cancer_history=True,
        immunosuppressed=True,
        iv_drug_use=True,
        weight_loss=True,
        load_increase=True,
        hop_pain=True,
    )
    response = client.get(reverse("triage:result", args=[intake.public_id]))
    assert_plain(readable_text(main_of(response)), "every extra")


def test_the_account_page_is_plain(client):
    patient = PatientFactory()
    make_intake(patient=patient, saddle_numbness=True)
    make_intake(patient=patient)
    client.force_login(patient.user)
    assert_plain(readable_text(main_of(client.get(reverse("patients:dashboard")))), "account")


# --- Messages ------------------------------------------------------------------------------------


def assert_message_plain(message: messages.Message, where: str) -> None:
    assert_plain(readable_plain_text(f"{message.subject}\n{message.text}"), f"{where} text")
    if message.html:
        assert_plain(readable_text(message.html), f"{where} html")


@pytest.mark.parametrize(
    ("kind", "answers"),
    [
        (NotificationKind.SELF_CARE_CHECK_IN, {}),
        (NotificationKind.SAFETY_NET_CHECK_IN, {"night_pain": True, "iv_drug_use": True}),
        (NotificationKind.SAFETY_NET_CHECK_IN, {"night_pain": True}),
        (
            NotificationKind.SAFETY_NET_CHECK_IN,
            {
                "age": 55,
                "first_episode": True,
                "night_pain": True,
                "pain_duration_weeks": 6,
                "sbst_9": "very_much",
                "cancer_history": True,
                "immunosuppressed": True,
            },
        ),
    ],
)
def test_each_check_in_is_plain(kind, answers):
    intake = make_intake(**answers)
    assert_message_plain(check_in(intake, kind), f"{kind} {sorted(answers)}")


@pytest.mark.parametrize(
    ("kind", "discipline"),
    [
        (NotificationKind.BOOKING_CONFIRMATION, Discipline.PHYSIOTHERAPY),
        (NotificationKind.REMINDER, Discipline.PHYSIOTHERAPY),
        (NotificationKind.REMINDER, Discipline.IMAGING),
        (NotificationKind.REMINDER, Discipline.SPINE_SURGERY),
        (NotificationKind.CANCELLATION, Discipline.PHYSIOTHERAPY),
        (NotificationKind.RESCHEDULE, Discipline.PHYSIOTHERAPY),
        (NotificationKind.NO_SHOW_FOLLOW_UP, Discipline.PHYSIOTHERAPY),
    ],
)
def test_each_appointment_message_is_plain(kind, discipline):
    service = {
        Discipline.PHYSIOTHERAPY: ServiceFactory(),
        Discipline.IMAGING: ServiceFactory(
            slug="mri-lumbar", name="Lumbar spine MRI", pathway="imaging", discipline=discipline
        ),
        Discipline.SPINE_SURGERY: ServiceFactory(
            slug="spine-surgery-consult",
            name="Spine surgeon consultation",
            pathway="surgical_consult",
            discipline=discipline,
        ),
    }[discipline]
    appointment = AppointmentFactory(service=service)
    notification = notifications.plan_for_appointment(
        appointment=appointment, kind=kind, due_at=appointment.start
    )
    assert_message_plain(messages.render(notification), f"{kind} {discipline}")


def test_a_cancellation_by_the_clinic_with_new_times_is_plain():
    appointment = AppointmentFactory(service=ServiceFactory())
    for weekday in range(7):
        WorkingHoursFactory(
            practitioner=appointment.practitioner, location=appointment.location, weekday=weekday
        )
    scheduling.appointment_cancel(appointment=appointment, actor=StaffFactory(), by_patient=False)
    notification = appointment.notifications.get(kind=NotificationKind.CANCELLATION)
    message = messages.render(notification)
    assert "These times are free now" in message.text
    assert_message_plain(message, "cancellation by the clinic")


def test_a_waitlist_offer_is_plain():
    intake = make_intake()
    notification = notifications.plan(
        key="test:offer",
        kind=NotificationKind.WAITLIST_OFFER,
        recipient=intake.email,
        template="notifications/waitlist_offer",
        due_at=intake.created_at,
        intake=intake,
        context={
            "slot_label": "Monday 2 March, 9:00 AM CST at Shakopee with Jordan Lee",
            "book_path": "/book/x/",
            "appointment": {"service": {"name": "Physiotherapy assessment"}},
        },
    )
    assert_message_plain(messages.render(notification), "waitlist offer")


def test_the_confirmation_of_a_staff_scheduled_scan_is_plain():
    scan = ServiceFactory(
        slug="mri-lumbar",
        name="Lumbar spine MRI",
        pathway="imaging",
        discipline=Discipline.IMAGING,
        bookable_online=False,
    )
    appointment = AppointmentFactory(service=scan)
    notification = notifications.plan_for_appointment(
        appointment=appointment,
        kind=NotificationKind.BOOKING_CONFIRMATION,
        due_at=appointment.start,
    )
    message = messages.render(notification)
    assert "ask us for a change" in message.text
    assert_message_plain(message, "staff-scheduled confirmation")


@pytest.mark.parametrize(
    ("kind", "pathway"),
    [
        (NotificationKind.REFERRAL_DECLINED, "imaging"),
        (NotificationKind.REFERRAL_RETURNED, "physio"),
        (NotificationKind.REFERRAL_RETURNED, "self_care"),
    ],
)
def test_each_referral_outcome_message_is_plain(kind, pathway):
    from clinic.models import User
    from triage import services as triage_services

    intake = make_intake(cancer_history=True)  # imaging, urgent
    clinician = User.objects.create_user(email="clin@example.test", is_staff=True)
    reason = "Your recent scan already answers the question, so we will not repeat it."
    if kind == NotificationKind.REFERRAL_DECLINED:
        triage_services.referral_decline(intake=intake, actor=clinician, reason=reason)
    else:
        triage_services.referral_return(
            intake=intake, actor=clinician, pathway=pathway, reason=reason
        )
    notification = Notification.objects.get(kind=kind)
    assert_message_plain(messages.render(notification), f"{kind} {pathway}")


def test_a_held_waitlist_offer_is_plain():
    intake = make_intake()
    notification = notifications.plan(
        key="test:held-offer",
        kind=NotificationKind.WAITLIST_HOLD,
        recipient=intake.email,
        template="notifications/waitlist_hold",
        due_at=intake.created_at,
        intake=intake,
        context={
            "service_name": "Physiotherapy assessment",
            "slot_label": "Monday 2 March, 9:00 AM CST at Shakopee with Jordan Lee",
            "hold_until": "11:00 AM CST",
            "accept_url": "https://book.example.test/waitlist/offers/x/",
        },
    )
    assert_message_plain(messages.render(notification), "held waitlist offer")


# --- Recovery follow-ups (outcomes) --------------------------------------------------------------


def _follow_up_link(intake, name="outcomes:answer"):
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    return reverse(name, args=[series.token_for(follow_up)])


def test_the_follow_up_message_is_plain():
    intake = runner_intake(location=LocationFactory())
    message = messages.render(
        Notification.objects.filter(intake=intake, kind=NotificationKind.FOLLOW_UP).first()
    )
    assert_message_plain(message, "follow-up")


def test_the_follow_up_pages_are_plain(client):
    patient = PatientFactory()
    intake = runner_intake(location=LocationFactory(), patient=patient)
    url = _follow_up_link(intake)
    assert_plain(readable_text(main_of(client.get(url))), "follow-up questions")
    errors = client.post(url, {"pain_score": "12"})
    assert_plain(readable_text(main_of(errors)), "follow-up errors")
    worse = client.post(url, answers(impression="much_worse", runs_again="no"))
    assert_plain(readable_text(main_of(worse)), "follow-up thanks, worse")
    assert_plain(readable_text(main_of(client.get(url))), "follow-up closed")
    stopped = client.post(_follow_up_link(intake, "outcomes:stop"))
    assert_plain(readable_text(main_of(stopped)), "follow-ups stopped")
    client.force_login(patient.user)
    progress = client.get(reverse("outcomes:progress", args=[intake.public_id]))
    assert_plain(readable_text(main_of(progress)), "progress page")
