"""The intake status state machine: one table on the model, used by the service, the admin and
booking alike. A closed intake is never reopened; nothing goes back to new."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from clinic import roles
from clinic.errors import NotAllowed
from clinic.models import Appointment, Discipline, InvalidTransition
from clinic.scheduling import appointment_book
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    admin_login,
    make_intake,
    make_staff,
)
from triage import services
from triage.models import Intake

S = Intake.Status
QUEUE = reverse("admin:triage_intake_changelist")

ALLOWED = {
    (S.NEW, S.CONTACTED),
    (S.NEW, S.SCHEDULED),
    (S.NEW, S.CLOSED),
    (S.CONTACTED, S.SCHEDULED),
    (S.CONTACTED, S.CLOSED),
    (S.SCHEDULED, S.CONTACTED),  # the appointment was cancelled or missed
    (S.SCHEDULED, S.CLOSED),
    # Staying put is a no-op: editing the outcome, rebooking a scheduled intake.
    (S.NEW, S.NEW),
    (S.CONTACTED, S.CONTACTED),
    (S.SCHEDULED, S.SCHEDULED),
    (S.CLOSED, S.CLOSED),
}
ALL_MOVES = [(old, new) for old in S for new in S]


# --- The table (no database) ---------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), ALL_MOVES)
def test_the_transition_table(old, new):
    intake = Intake(status=old)
    if (old, new) in ALLOWED:
        intake.check_transition(new)
    else:
        with pytest.raises(InvalidTransition):
            intake.check_transition(new)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (S.CLOSED, S.NEW, "A closed intake cannot go back to new."),
        (S.SCHEDULED, S.NEW, "A scheduled intake cannot go back to new."),
        (S.CONTACTED, S.NEW, "A contacted intake cannot go back to new."),
        (S.CLOSED, S.CONTACTED, "A closed intake cannot be reopened as contacted."),
        (S.CLOSED, S.SCHEDULED, "A closed intake cannot be reopened as scheduled."),
    ],
)
def test_a_refused_move_says_why_in_words_for_staff(old, new, message):
    with pytest.raises(InvalidTransition) as refused:
        Intake(status=old).check_transition(new)
    assert str(refused.value) == message


def test_an_unknown_status_is_refused():
    with pytest.raises(InvalidTransition, match="not an intake status"):
        Intake(status=S.NEW).check_transition("reopened")


# --- The service ---------------------------------------------------------------------------------


@pytest.fixture
def chaska(db):
    return LocationFactory(name="Chaska", slug="chaska")


@pytest.fixture
def clinician(chaska):
    return make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[chaska])


def intake_in(status, *, location, outcome="Seen at the ED") -> Intake:
    intake = make_intake(location=location)
    if status != S.NEW:
        Intake.objects.filter(pk=intake.pk).update(status=status, outcome=outcome)
        intake.refresh_from_db()
    return intake


@pytest.mark.parametrize(
    ("old", "message"),
    [
        (S.CLOSED, "A closed intake cannot go back to new."),
        (S.SCHEDULED, "A scheduled intake cannot go back to new."),
    ],
)
def test_intake_set_status_refuses_going_back_to_new(chaska, clinician, old, message):
    intake = intake_in(old, location=chaska)

    with pytest.raises(InvalidTransition) as refused:
        services.intake_set_status(intake=intake, actor=clinician, status=S.NEW)

    assert str(refused.value) == message
    intake.refresh_from_db()
    assert intake.status == old


def test_intake_set_status_decides_on_the_stored_status_not_a_stale_copy(chaska, clinician):
    intake = make_intake(location=chaska)
    Intake.objects.filter(pk=intake.pk).update(status=S.CLOSED)  # closed by a colleague meanwhile
    assert intake.status == S.NEW

    with pytest.raises(InvalidTransition, match="A closed intake cannot be reopened as contacted"):
        services.intake_set_status(intake=intake, actor=clinician, status=S.CONTACTED)

    assert Intake.objects.get(pk=intake.pk).status == S.CLOSED


def test_intake_set_status_moves_along_the_table(chaska, clinician):
    intake = make_intake(location=chaska)
    for status in (S.CONTACTED, S.SCHEDULED, S.CONTACTED, S.CLOSED):
        intake = services.intake_set_status(intake=intake, actor=clinician, status=status)
        assert Intake.objects.get(pk=intake.pk).status == status


def test_a_closed_intakes_outcome_can_still_be_corrected(chaska, clinician):
    intake = intake_in(S.CLOSED, location=chaska, outcome="Seen at the ED")

    services.intake_set_status(
        intake=intake, actor=clinician, status=S.CLOSED, outcome="Seen at the ED, then GP"
    )

    intake.refresh_from_db()
    assert (intake.status, intake.outcome) == (S.CLOSED, "Seen at the ED, then GP")


# --- The admin -----------------------------------------------------------------------------------

INLINE_MANAGEMENT = {
    "decisions-TOTAL_FORMS": "0",
    "decisions-INITIAL_FORMS": "1",
    "decisions-MIN_NUM_FORMS": "0",
    "decisions-MAX_NUM_FORMS": "1000",
}


def post_change(client, intake, **data):
    fields = {"status": intake.status, "assigned_to": "", "outcome": intake.outcome, **data}
    return client.post(
        reverse("admin:triage_intake_change", args=[intake.pk]), {**fields, **INLINE_MANAGEMENT}
    )


def test_the_change_page_refuses_reopening_a_closed_intake_and_says_why(client, chaska, clinician):
    intake = intake_in(S.CLOSED, location=chaska)
    admin_login(client, clinician)

    response = post_change(client, intake, status=S.NEW)

    assert response.status_code == 200  # the form again, with the error; not a 500
    assert "A closed intake cannot go back to new." in response.content.decode()
    assert response.context["adminform"].form.errors["status"] == [
        "A closed intake cannot go back to new."
    ]
    intake.refresh_from_db()
    assert intake.status == S.CLOSED
    assert intake.outcome == "Seen at the ED"


def test_the_change_page_still_saves_an_allowed_move(client, chaska, clinician):
    intake = intake_in(S.SCHEDULED, location=chaska)
    admin_login(client, clinician)

    response = post_change(client, intake, status=S.CONTACTED, outcome="Appointment missed")

    assert response.status_code == 302
    intake.refresh_from_db()
    assert (intake.status, intake.outcome) == (S.CONTACTED, "Appointment missed")


def run_action(client, action, intakes, **extra):
    return client.post(
        QUEUE,
        {"action": action, ACTION_CHECKBOX_NAME: [i.pk for i in intakes], **extra},
        follow=True,
    )


def shown(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_mark_contacted_reports_how_many_were_refused_and_why(client, chaska, clinician):
    new = intake_in(S.NEW, location=chaska)
    closed = [intake_in(S.CLOSED, location=chaska) for _ in range(2)]
    admin_login(client, clinician)

    response = run_action(client, "mark_contacted", [new, *closed])

    assert response.status_code == 200
    messages = shown(response)
    assert ("success", "1 intake(s) marked contacted.") in messages
    assert (
        "error",
        "2 intake(s) could not be marked contacted: "
        "A closed intake cannot be reopened as contacted.",
    ) in messages
    assert Intake.objects.get(pk=new.pk).status == S.CONTACTED
    assert {i.status for i in Intake.objects.filter(pk__in=[c.pk for c in closed])} == {S.CLOSED}


def test_close_action_keeps_an_already_closed_intakes_outcome(client, chaska, clinician):
    open_one = intake_in(S.CONTACTED, location=chaska, outcome="")
    closed = intake_in(S.CLOSED, location=chaska, outcome="Seen at the ED")
    admin_login(client, clinician)

    response = run_action(
        client, "close_with_outcome", [open_one, closed], apply="yes", outcome="Self-care advice"
    )

    assert ("success", "1 intake(s) closed.") in shown(response)
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert (open_one.status, open_one.outcome) == (S.CLOSED, "Self-care advice")
    assert (closed.status, closed.outcome) == (S.CLOSED, "Seen at the ED")


# --- Booking -------------------------------------------------------------------------------------

CHICAGO = ZoneInfo("America/Chicago")
MONDAY_8AM = dt.datetime(2026, 2, 23, 8, 0, tzinfo=CHICAGO)
TUESDAY_10AM = dt.datetime(2026, 2, 24, 10, 0, tzinfo=CHICAGO)
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}  # medium SBST risk: physio, routine


@pytest.fixture
def bookable(chaska):
    practitioner = PractitionerFactory(locations=[chaska], discipline=Discipline.PHYSIOTHERAPY)
    WorkingHoursFactory(
        practitioner=practitioner,
        location=chaska,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    patient = PatientFactory()
    with time_machine.travel(MONDAY_8AM, tick=False):
        intake = make_intake(location=chaska, patient=patient, **PHYSIO_ANSWERS)
        yield patient, intake, practitioner, ServiceFactory()


def book(chaska, patient, intake, practitioner, service):
    return appointment_book(
        patient=patient,
        intake=intake,
        start=TUESDAY_10AM,
        service=service,
        location=chaska,
        practitioner=practitioner,
        booked_by=patient.user,
        online=True,
    )


@pytest.mark.parametrize("old", [S.NEW, S.CONTACTED])
def test_booking_marks_the_intake_scheduled(chaska, bookable, old):
    patient, intake, practitioner, service = bookable
    Intake.objects.filter(pk=intake.pk).update(status=old)

    appointment = book(chaska, patient, intake, practitioner, service)

    assert appointment.intake_id == intake.pk
    intake.refresh_from_db()
    assert intake.status == S.SCHEDULED


def test_booking_does_not_reopen_a_closed_intake(chaska, bookable):
    patient, intake, practitioner, service = bookable
    Intake.objects.filter(pk=intake.pk).update(status=S.CLOSED)

    with pytest.raises(NotAllowed, match="This questionnaire is closed"):
        book(chaska, patient, intake, practitioner, service)

    assert not Appointment.objects.filter(intake=intake).exists()  # rolled back with the refusal
    intake.refresh_from_db()
    assert intake.status == S.CLOSED
