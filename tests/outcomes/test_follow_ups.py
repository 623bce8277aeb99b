"""Recovery follow-ups: planned with the intake, answered from a signed link, charted, and
their red flags taken down the intake's own emergency path."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic import alerts, messages
from clinic.models import Notification, NotificationKind, NotificationStatus, StaffAlert
from outcomes import series
from outcomes.models import FollowUp, FollowUpAnswer
from patients.models import AccessLog
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    admin_login,
    make_intake,
    make_staff,
)
from tests.triage.strategies import baseline_answers
from triage import services as triage_services
from triage.models import Intake

pytestmark = pytest.mark.django_db


def answers(**overrides) -> dict:
    """A valid follow-up form post: no warning signs, pain 3, a little better."""
    data = {
        "pain_score": "3",
        "impression": "a_little_better",
        **{f"sbst_{n}": "disagree" for n in range(1, 9)},
        "sbst_9": "slightly",
        "saddle_numbness": "no",
        "bladder_bowel_change": "no",
        "both_legs": "no",
        "leg_pain_below_knee": "no",
        "leg_numbness": "no",
        "leg_weakness": "none",
        "fever": "no",
        "weight_loss": "no",
    }
    data.update(overrides)
    return data


def runner_intake(*, location, patient=None, **answer_overrides) -> Intake:
    return triage_services.intake_submit(
        answers=baseline_answers(**answer_overrides),
        contact={"first_name": "Ria", "last_name": "Runner", "email": "ria@example.test"},
        runner_context={"weekly_distance_km": 40},
        preferred_location=location,
        patient=patient,
    )


def link(follow_up: FollowUp, name: str = "outcomes:answer") -> str:
    return reverse(name, args=[series.token_for(follow_up)])


@pytest.fixture
def now(freeze):
    start = timezone.now().replace(microsecond=0)
    return freeze(start)


PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}  # STarT Back medium risk: physiotherapy


def test_an_intake_plans_follow_ups_at_2_6_and_12_weeks_in_the_outbox(now, chaska):
    intake = make_intake(location=chaska, pain_score=6, **PHYSIO)
    follow_ups = list(intake.follow_ups.order_by("due_at"))
    assert [f.due_at - intake.created_at for f in follow_ups] == [
        timedelta(weeks=2),
        timedelta(weeks=6),
        timedelta(weeks=12),
    ]
    assert {f.baseline_pain for f in follow_ups} == {6}
    messages = Notification.objects.filter(intake=intake, kind=NotificationKind.FOLLOW_UP)
    assert sorted(m.due_at for m in messages) == [f.due_at for f in follow_ups]
    assert all(
        m.context["follow_up_url"].endswith(link(f))
        for m, f in zip(messages.order_by("due_at"), follow_ups, strict=True)
    )


def test_a_runner_answers_on_the_link_and_both_charts_show_it(client, now, chaska):
    user = UserFactory()
    patient = PatientFactory(user=user)
    intake = runner_intake(location=chaska, patient=patient, pain_score=7)
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    now.shift(timedelta(weeks=2, hours=1))

    page = client.get(link(follow_up))
    assert page.status_code == 200
    assert "Are you running again?" in page.content.decode()
    done = client.post(
        link(follow_up),
        answers(pain_score="2", impression="much_better", runs_again="yes", running_share="50"),
    )
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()

    answer = FollowUpAnswer.objects.get(follow_up=follow_up)
    assert (answer.pain_score, answer.impression, answer.runs_again, answer.running_share) == (
        2,
        "much_better",
        True,
        50,
    )
    assert answer.sbst_risk == "low"
    assert answer.new_red_flags == []
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.ANSWERED
    assert follow_up.improved  # 7 -> 2
    assert follow_up.back_to_running
    assert AccessLog.objects.filter(object_type="follow_up", object_id=follow_up.public_id)

    # The patient's own page, linked from their account: the 2-week answer is charted.
    client.force_login(user)
    home = client.get(reverse("patients:dashboard")).content.decode()
    assert reverse("outcomes:progress", args=[intake.public_id]) in home
    mine = client.get(reverse("outcomes:progress", args=[intake.public_id])).content.decode()
    assert "2 weeks" in mine
    assert "2 of 10, much better" in mine
    assert "50%" in mine
    assert "Self-care pathway" in mine

    # The intake in the admin shows the same trajectory.
    staff = make_staff(roles=["Triage clinician"], locations=[chaska])
    admin_login(client, staff)
    admin_page = client.get(reverse("admin:triage_intake_change", args=[intake.pk]))
    text = admin_page.content.decode()
    assert 'id="recovery-heading"' in text
    assert "2 of 10, much better" in text


def test_another_patients_progress_page_is_not_found(client, now, chaska):
    owner = PatientFactory(user=UserFactory())
    intake = make_intake(location=chaska, patient=owner)
    other = UserFactory()
    PatientFactory(user=other)
    url = reverse("outcomes:progress", args=[intake.public_id])
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(other)
    assert client.get(url).status_code == 404


def test_new_saddle_numbness_shows_emergency_advice_and_alerts_staff(client, now, chaska):
    intake = make_intake(location=chaska)
    assert not StaffAlert.objects.filter(intake=intake).exists()
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_6)
    now.shift(timedelta(weeks=6))

    page = client.post(link(follow_up), answers(saddle_numbness="yes"))

    text = page.content.decode()
    assert "Go to an emergency department now" in text
    # What to tell the emergency department: the symptom reported in the follow-up.
    assert "Numbness around the saddle area (the genitals, buttocks or inner thighs)" in text
    assert "Our clinic team has been alerted" in text
    intake.refresh_from_db()
    assert intake.current_decision.rule == "R1"
    assert intake.current_decision.red_flags == ["cauda_equina"]
    alert = StaffAlert.objects.get(intake=intake)
    assert alert.urgency == "emergency"
    assert Notification.objects.filter(
        intake=intake, kind=NotificationKind.STAFF_ALERT, recipient=chaska.on_call_email
    ).exists()
    assert FollowUpAnswer.objects.get(follow_up=follow_up).new_red_flags == ["cauda_equina"]


def test_an_urgent_flag_in_a_follow_up_is_due_for_contact_from_the_follow_up(client, now, chaska):
    intake = make_intake(location=chaska)
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_6)
    now.shift(timedelta(weeks=6))
    client.post(link(follow_up), answers(fever="yes"))  # R10: urgent, with clinician review

    alert = StaffAlert.objects.get(intake=intake)
    assert alert.urgency == "urgent"
    # One working day from the answer, not from the intake six weeks ago: not overdue yet.
    assert alert.contact_by == alerts.contact_deadline(chaska, alert.decision.created_at)
    assert alert.contact_by > timezone.now()


def test_much_worse_offers_a_linked_new_check_with_the_answers_carried_over(client, now, chaska):
    intake = make_intake(location=chaska, pain_score=4, age=41)
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    now.shift(timedelta(weeks=2))
    thanks = client.post(
        link(follow_up), answers(pain_score="8", impression="much_worse", sbst_6="agree")
    )
    assert "Start a new back-pain check" in thanks.content.decode()

    start = client.post(link(follow_up, "outcomes:new_check"))
    assert start.status_code == 302
    about = client.get(start["Location"]).content.decode()
    assert 'value="Sam"' in about
    assert 'value="41"' in about
    pain = client.get(reverse("triage:step", args=["your-pain"])).content.decode()
    assert 'value="8"' in pain  # the follow-up's pain, not the intake's 4

    client.post(reverse("triage:review"))
    new = Intake.objects.exclude(pk=intake.pk).get()
    assert new.predecessor == intake
    assert new.answers["pain_score"] == 8
    assert new.answers["sbst_6"] is True
    assert new.answers["age"] == 41
    assert new.email == intake.email


def test_on_self_care_the_2_week_check_in_is_the_2_week_follow_ups_one_message(now, chaska):
    intake = make_intake(location=chaska)
    two_weeks = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    on_that_day = Notification.objects.filter(intake=intake, due_at=two_weeks.due_at)
    [check_in] = on_that_day
    assert check_in.kind == NotificationKind.SELF_CARE_CHECK_IN
    text = messages.render(check_in).text
    assert series.follow_up_url(two_weeks).split("?")[0] in text
    assert "/intake/advice/self-care/" in text
    later = Notification.objects.filter(intake=intake, kind=NotificationKind.FOLLOW_UP)
    assert sorted(m.due_at - intake.created_at for m in later) == [
        timedelta(weeks=6),
        timedelta(weeks=12),
    ]


def test_a_little_better_offers_no_new_check(client, now, chaska):
    follow_up = make_intake(location=chaska).follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    now.shift(timedelta(weeks=2))
    assert "new back-pain check" not in client.post(link(follow_up), answers()).content.decode()


def test_bad_links_and_bad_answers_never_fail(client, now, chaska):
    follow_up = make_intake(location=chaska).follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    assert client.get("/follow-up/not-a-token/").status_code == 404
    assert client.get(link(follow_up) + "x/").status_code == 404
    assert client.post(link(follow_up, "outcomes:new_check")).status_code == 404  # not answered
    assert client.get(link(follow_up, "outcomes:stop")).status_code == 405  # a click, not a visit
    empty = client.post(link(follow_up), {})
    assert "Please check your answers" in empty.content.decode()
    wrong = client.post(link(follow_up), answers(pain_score="11", impression="great"))
    assert wrong.status_code == 200
    assert "Please check your answers" in wrong.content.decode()
    assert not FollowUpAnswer.objects.exists()
    assert client.post(link(follow_up), answers()).status_code == 200
    again = client.post(link(follow_up), answers())
    assert again.status_code == 410
    assert "This check-in is closed" in again.content.decode()


def test_the_link_stops_working_once_the_account_is_closed(client, now, chaska):
    user = UserFactory()
    intake = make_intake(location=chaska, patient=PatientFactory(user=user))
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    assert client.get(link(follow_up)).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get(link(follow_up)).status_code == 404


def test_an_unanswered_follow_up_expires_after_4_weeks(client, now, chaska):
    follow_up = make_intake(location=chaska).follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    now.shift(timedelta(weeks=6, hours=1))
    assert client.get(link(follow_up)).status_code == 410
    series.follow_ups_advance()
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.EXPIRED


def test_stop_follow_ups_is_one_click_and_cancels_the_messages(client, now, chaska):
    intake = make_intake(location=chaska)
    follow_up = intake.follow_ups.get(kind=FollowUp.Kind.WEEKS_2)
    page = client.post(link(follow_up, "outcomes:stop"))
    assert page.status_code == 200
    assert "Check-ins stopped" in page.content.decode()
    assert set(intake.follow_ups.values_list("state", flat=True)) == {FollowUp.State.STOPPED}
    pending = Notification.objects.filter(
        intake=intake, kind=NotificationKind.FOLLOW_UP, status=NotificationStatus.PENDING
    )
    assert not pending.exists()
    assert client.get(link(follow_up)).status_code == 410


def test_a_discharge_is_followed_up_2_weeks_later(now, chaska):
    intake = make_intake(location=chaska, sbst_1=True, sbst_2=True, sbst_3=True, sbst_4=True)
    AppointmentFactory(intake=intake, patient=PatientFactory(), status="completed")
    staff = make_staff(roles=["Triage clinician"], locations=[chaska])
    triage_services.intake_set_status(
        intake=intake, actor=staff, status=Intake.Status.CLOSED, outcome="Discharged"
    )
    discharge = intake.follow_ups.get(kind=FollowUp.Kind.DISCHARGE)
    assert discharge.due_at == timezone.now() + timedelta(weeks=2)


def test_closing_without_a_completed_visit_plans_no_discharge_follow_up(now):
    intake = make_intake(location=LocationFactory())
    staff = make_staff(roles=["Triage clinician"], locations=[intake.preferred_location])
    triage_services.intake_set_status(intake=intake, actor=staff, status=Intake.Status.CLOSED)
    assert not intake.follow_ups.filter(kind=FollowUp.Kind.DISCHARGE).exists()
