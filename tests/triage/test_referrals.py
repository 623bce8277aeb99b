"""Referrals for imaging and surgical consults: made by the triage services, moved along one
transition table, every move recorded (who, when, why), followed through booking, cancellation,
a missed visit and attendance; the summary page and PDF; the queue's filters."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from clinic import roles, scheduling
from clinic.errors import NotAllowed
from clinic.models import AppointmentStatus, Discipline, InvalidTransition
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    admin_login,
    make_intake,
)
from triage import engine, services
from triage.models import Pathway, Referral, Urgency

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2027, 2, 22, 8, 0, tzinfo=CHICAGO)  # Monday 08:00 CST
TUESDAY = dt.date(2027, 2, 23)
State = Referral.State
R12 = {
    "leg_pain_below_knee": True,
    "pain_duration_weeks": 12,
    "conservative_care_weeks": 6,
    "open_to_procedure": True,
}


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


@pytest.fixture
def scan(chaska):
    service = ServiceFactory(
        slug="mri-lumbar",
        name="MRI of the lower back",
        pathway=Pathway.IMAGING,
        discipline=Discipline.IMAGING,
        bookable_online=False,
    )
    practitioner = PractitionerFactory(locations=[chaska], discipline=Discipline.IMAGING)
    WorkingHoursFactory(
        practitioner=practitioner,
        location=chaska,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    return service, practitioner


def book_scan(intake, scan, chaska, scheduler):
    service, practitioner = scan
    return scheduling.appointment_book(
        patient=intake.patient,
        service=service,
        location=chaska,
        practitioner=practitioner,
        start=dt.datetime.combine(TUESDAY, dt.time(10), CHICAGO),
        intake=intake,
        booked_by=scheduler,
        online=False,
    )


def the_referral(intake) -> Referral:
    return Referral.objects.get(intake=intake)


# --- made by the triage services ---------------------------------------------------------------


def test_an_r9_scan_starts_awaiting_review_with_its_section_6_target(chaska):
    intake = make_intake(location=chaska, weight_loss=True)
    referral = the_referral(intake)
    assert (referral.pathway, referral.urgency, referral.state) == (
        Pathway.IMAGING,
        Urgency.URGENT,
        State.AWAITING_REVIEW,
    )
    assert referral.target_date == intake.created_at + engine.STAFF_TARGET["urgent"]
    assert referral.target_date == NOW + dt.timedelta(days=14)
    assert referral.owner == "Triage clinician"
    event = referral.events.get()
    assert (event.from_state, event.to_state, event.actor, event.reason) == (
        "",
        State.AWAITING_REVIEW,
        None,
        "R9",
    )


def test_a_surgical_consult_without_review_is_ready_to_schedule(chaska):
    intake = make_intake(location=chaska, **R12)
    referral = the_referral(intake)
    assert (referral.pathway, referral.state) == (Pathway.SURGICAL_CONSULT, State.READY_TO_SCHEDULE)
    # 42 days of elapsed time (exact across the DST change in March), not of wall clock.
    assert referral.target_date == NOW.astimezone(dt.UTC) + dt.timedelta(days=42)


def test_self_care_and_physio_make_no_referral(chaska):
    make_intake(location=chaska)
    make_intake(location=chaska, leg_weakness="stable")  # R11: physio
    assert not Referral.objects.exists()


def test_agreeing_after_review_makes_it_ready_and_records_who_and_why(chaska, staff_at):
    intake = make_intake(location=chaska, weight_loss=True)
    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    services.decision_review_agree(intake=intake, actor=clinician)
    referral = the_referral(intake)
    assert referral.state == State.READY_TO_SCHEDULE
    event = referral.events.last()
    assert (event.from_state, event.to_state, event.actor) == (
        State.AWAITING_REVIEW,
        State.READY_TO_SCHEDULE,
        clinician,
    )
    assert event.reason == services.REVIEW_AGREED
    assert event.created_at == NOW


def test_an_override_updates_the_one_open_referral(chaska, staff_at):
    intake = make_intake(location=chaska, weight_loss=True)
    services.decision_override(
        intake=intake,
        actor=staff_at(chaska, roles.TRIAGE_CLINICIAN),
        pathway=Pathway.SURGICAL_CONSULT,
        urgency=Urgency.SOON,
        reason="Spine surgeon first; imaging to be ordered there.",
    )
    referral = the_referral(intake)  # still one
    assert (referral.pathway, referral.urgency, referral.state) == (
        Pathway.SURGICAL_CONSULT,
        Urgency.SOON,
        State.READY_TO_SCHEDULE,
    )
    assert referral.target_date == intake.created_at + dt.timedelta(days=28)


def test_redirecting_to_physio_returns_the_referral_with_the_clinicians_advice(chaska, staff_at):
    intake = make_intake(location=chaska, weight_loss=True)
    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    services.decision_override(
        intake=intake,
        actor=clinician,
        pathway=Pathway.PHYSIO,
        urgency=Urgency.SOON,
        reason="Weight loss explained by training; physio first.",
    )
    referral = the_referral(intake)
    assert referral.state == State.RETURNED
    assert referral.reason == "Weight loss explained by training; physio first."
    assert referral.events.last().actor == clinician
    # A later imaging decision opens a new referral; the returned one stays as it was.
    services.decision_override(
        intake=intake,
        actor=clinician,
        pathway=Pathway.IMAGING,
        urgency=Urgency.URGENT,
        reason="Not better after physio.",
    )
    assert list(
        Referral.objects.filter(intake=intake).order_by("id").values_list("state", flat=True)
    ) == [State.RETURNED, State.READY_TO_SCHEDULE]


# --- the state machine and its service ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (State.AWAITING_REVIEW, State.SCHEDULED),
        (State.READY_TO_SCHEDULE, State.ATTENDED),
        (State.ATTENDED, State.READY_TO_SCHEDULE),
        (State.CLOSED, State.READY_TO_SCHEDULE),
        (State.RETURNED, State.READY_TO_SCHEDULE),
        (State.DECLINED, State.SCHEDULED),
    ],
)
def test_moves_outside_the_table_are_refused(chaska, staff_at, start, target):
    referral = the_referral(make_intake(location=chaska, **R12))
    Referral.objects.filter(pk=referral.pk).update(state=start)
    with pytest.raises(InvalidTransition, match="cannot become"):
        services.referral_move(
            referral=referral, actor=staff_at(chaska, roles.SCHEDULER), state=target, reason="x"
        )
    referral.refresh_from_db()
    assert referral.state == start


def test_declining_needs_a_reason_and_keeps_it(chaska, staff_at):
    referral = the_referral(make_intake(location=chaska, **R12))
    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    with pytest.raises(NotAllowed, match="Say why"):
        services.referral_move(referral=referral, actor=clinician, state=State.DECLINED)
    moved = services.referral_move(
        referral=referral, actor=clinician, state=State.DECLINED, reason="Patient declined surgery."
    )
    assert (moved.state, moved.reason) == (State.DECLINED, "Patient declined surgery.")
    assert not moved.is_open


# --- followed through booking -----------------------------------------------------------------


@pytest.fixture
def booked(chaska, staff_at, scan):
    intake = make_intake(location=chaska, patient=PatientFactory(), weight_loss=True)
    services.decision_review_agree(intake=intake, actor=staff_at(chaska, roles.TRIAGE_CLINICIAN))
    scheduler = staff_at(chaska, roles.SCHEDULER)
    appointment = book_scan(intake, scan, chaska, scheduler)
    return appointment, scheduler


def test_booking_the_scan_schedules_the_referral(booked):
    appointment, scheduler = booked
    referral = the_referral(appointment.intake)
    assert referral.state == State.SCHEDULED
    assert referral.events.last().actor == scheduler


def test_a_cancelled_scan_puts_the_referral_back_flagged_with_its_original_target(
    booked, freeze, scan, chaska
):
    appointment, scheduler = booked
    target = the_referral(appointment.intake).target_date
    freeze(NOW + dt.timedelta(hours=3))
    scheduling.appointment_cancel(
        appointment=appointment, actor=scheduler, reason="Scanner down.", by_patient=False
    )
    referral = the_referral(appointment.intake)
    assert (referral.state, referral.needs_attention) == (State.READY_TO_SCHEDULE, True)
    assert referral.target_date == target == NOW + dt.timedelta(days=14)
    event = referral.events.last()
    assert (event.actor, event.reason) == (scheduler, "Cancelled. Scanner down.")
    # Booked again: scheduled, no longer flagged.
    book_scan(appointment.intake, scan, chaska, scheduler)
    referral.refresh_from_db()
    assert (referral.state, referral.needs_attention) == (State.SCHEDULED, False)


def test_a_missed_scan_puts_the_referral_back_too(booked, freeze):
    appointment, scheduler = booked
    freeze(appointment.start + dt.timedelta(hours=1))
    scheduling.appointment_set_status(
        appointment=appointment, actor=scheduler, status=AppointmentStatus.NO_SHOW
    )
    referral = the_referral(appointment.intake)
    assert (referral.state, referral.needs_attention) == (State.READY_TO_SCHEDULE, True)
    assert referral.events.last().reason == "Did not attend."


def test_a_completed_scan_marks_the_referral_attended_then_staff_close_it(booked, freeze):
    appointment, scheduler = booked
    freeze(appointment.start + dt.timedelta(hours=1))
    scheduling.appointment_set_status(
        appointment=appointment, actor=scheduler, status=AppointmentStatus.COMPLETED
    )
    referral = the_referral(appointment.intake)
    assert referral.state == State.ATTENDED
    closed = services.referral_move(referral=referral, actor=scheduler, state=State.CLOSED)
    assert closed.state == State.CLOSED
    assert [e.to_state for e in closed.events.all()] == [
        State.AWAITING_REVIEW,
        State.READY_TO_SCHEDULE,
        State.SCHEDULED,
        State.ATTENDED,
        State.CLOSED,
    ]


# --- the summary page and PDF -----------------------------------------------------------------


def referral_url(intake, pdf=False):
    name = "admin:triage_intake_referral_pdf" if pdf else "admin:triage_intake_referral"
    return reverse(name, args=[intake.pk])


def test_the_summary_says_who_why_how_urgent_by_when_and_the_local_time(client, booked, chaska):
    appointment, scheduler = booked
    admin_login(client, scheduler)
    page = client.get(referral_url(appointment.intake))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Imaging referral" in html
    assert "Sam Strider" in html
    assert "R9" in html
    assert engine.RED_FLAG_LABELS["weight_loss"] in html
    assert "Unexplained weight loss" in html  # the rule's reason
    assert "Urgent" in html
    assert "Monday 08 March 2027" in html  # 14 days from the submission, in Chicago
    # 10:00 in Chicago (16:00 UTC): the location's zone, not the server's.
    assert "Tuesday 23 February 2027, 10:00 CST (America/Chicago)" in html
    assert (
        "Clinician review: agreed with the protocol" in html
    )  # the clinician's review, in the history too


@pytest.mark.parametrize(
    ("answers", "title"),
    [({"weight_loss": True}, "Imaging referral"), (R12, "Surgical consult referral")],
)
def test_the_pdf_renders_for_each_pathway(client, chaska, staff_at, answers, title):
    intake = make_intake(location=chaska, **answers)
    admin_login(client, staff_at(chaska, roles.SCHEDULER))
    assert title in client.get(referral_url(intake)).content.decode()
    pdf = client.get(referral_url(intake, pdf=True))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert len(pdf.content) > 1000


def test_someone_at_another_location_gets_404_for_the_summary_and_pdf(client, chaska, staff_at):
    intake = make_intake(location=chaska, **R12)
    delano = LocationFactory(name="Delano", slug="delano")
    admin_login(client, staff_at(delano, roles.SCHEDULER))
    assert client.get(referral_url(intake)).status_code == 404
    assert client.get(referral_url(intake, pdf=True)).status_code == 404


def test_an_intake_without_a_referral_has_no_summary(client, chaska, staff_at):
    intake = make_intake(location=chaska)  # self-care
    admin_login(client, staff_at(chaska, roles.SCHEDULER))
    assert client.get(referral_url(intake)).status_code == 404


# --- the queue: open work by default, filters, the referral column ----------------------------

QUEUE = reverse("admin:triage_intake_changelist")


def listed(response) -> set[int]:
    return {intake.pk for intake in response.context["cl"].result_list}


@pytest.fixture
def queue_cases(chaska, staff_at):
    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    cases = {
        "self_care": make_intake(location=chaska),
        "review": make_intake(location=chaska, weight_loss=True),
        "ready": make_intake(location=chaska, **R12),
        "closed": make_intake(location=chaska, **R12),
    }
    services.intake_set_status(
        intake=cases["closed"], actor=clinician, status="closed", outcome="Seen elsewhere."
    )
    return clinician, cases


def test_the_queue_is_titled_and_shows_open_work_by_default(client, queue_cases):
    clinician, cases = queue_cases
    admin_login(client, clinician)
    page = client.get(QUEUE)
    html = page.content.decode()
    assert "<h1>Triage queue</h1>" in html
    assert "Select intake to change" not in html
    assert listed(page) == {cases["review"].pk, cases["ready"].pk}
    assert listed(client.get(QUEUE, {"view": "all"})) == {c.pk for c in cases.values()}
    # A status filter or a search says otherwise: closed intakes can still be found.
    assert listed(client.get(QUEUE, {"status__exact": "closed"})) == {cases["closed"].pk}
    assert cases["self_care"].pk in listed(client.get(QUEUE, {"q": "Strider"}))


def test_needs_review_and_ready_to_schedule_filters(client, queue_cases):
    clinician, cases = queue_cases
    admin_login(client, clinician)
    assert listed(client.get(QUEUE, {"view": "needs_review"})) == {cases["review"].pk}
    assert listed(client.get(QUEUE, {"view": "ready"})) == {cases["ready"].pk}
    services.decision_review_agree(intake=cases["review"], actor=clinician)
    assert listed(client.get(QUEUE, {"view": "needs_review"})) == set()
    assert listed(client.get(QUEUE, {"view": "ready"})) == {cases["ready"].pk, cases["review"].pk}


def test_a_cancelled_scan_is_flagged_on_the_queue_and_counts_as_overdue_after_its_target(
    client, booked, freeze, chaska
):
    appointment, scheduler = booked
    freeze(NOW + dt.timedelta(hours=3))
    scheduling.appointment_cancel(appointment=appointment, actor=scheduler, by_patient=False)
    admin_login(client, scheduler)
    page = client.get(QUEUE, {"view": "ready"})
    assert listed(page) == {appointment.intake_id}
    assert "Cancelled or missed" in page.content.decode()
    assert listed(client.get(QUEUE, {"overdue": "yes"})) == set()
    freeze(NOW + dt.timedelta(days=15))  # past the urgent target, counted from submission
    admin_login(client, scheduler)
    assert listed(client.get(QUEUE, {"overdue": "yes"})) == {appointment.intake_id}


def test_closing_the_intake_ends_its_referral_with_the_outcome(chaska, staff_at):
    intake = make_intake(location=chaska, **R12)
    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    services.intake_set_status(
        intake=intake, actor=clinician, status="closed", outcome="Patient moved away."
    )
    referral = the_referral(intake)
    assert (referral.state, referral.reason) == (State.DECLINED, "Patient moved away.")
    assert referral.events.last().actor == clinician


def test_staff_close_an_attended_referral_from_the_queue_and_others_are_refused(
    client, booked, freeze, chaska
):
    appointment, scheduler = booked
    not_yet = make_intake(location=chaska, **R12)
    freeze(appointment.start + dt.timedelta(hours=1))
    scheduling.appointment_set_status(
        appointment=appointment, actor=scheduler, status=AppointmentStatus.COMPLETED
    )
    admin_login(client, scheduler)
    response = client.post(
        QUEUE,
        {
            "action": "close_attended_referral",
            ACTION_CHECKBOX_NAME: [appointment.intake_id, not_yet.pk],
        },
        follow=True,
    )
    html = response.content.decode()
    assert "1 referral(s) closed." in html
    assert "cannot become closed" in html
    assert the_referral(appointment.intake).state == State.CLOSED
    assert the_referral(not_yet).state == State.READY_TO_SCHEDULE
