"""The staff triage queue in the admin: order, scope, overrides, actions and query cost."""

import datetime as dt
import re

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic import roles
from clinic.models import StaffAlert
from patients.selectors import scope_intakes
from tests.factories import LocationFactory, StaffFactory, admin_login, make_intake, make_staff
from triage.models import Intake, TriageDecision

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:triage_intake_changelist")
ALL = {"view": "all"}  # the queue shows open work by default: no closed or self-care intakes
START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

# Answer overrides that give each urgency (protocol section 4).
EMERGENCY = {"saddle_numbness": True}  # R1
URGENT = {"cancer_history": True}  # R6
SOON = {"load_increase": True, "hop_pain": True}  # R14
ROUTINE = {}  # SBST low risk


@pytest.fixture
def chaska():
    return LocationFactory(name="Chaska", slug="chaska")


@pytest.fixture
def delano():
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def clinician(chaska):
    return make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[chaska], first_name="Casey")


@pytest.fixture
def scheduler(chaska):
    return make_staff(roles=[roles.SCHEDULER], locations=[chaska])


def intake_for(first_name, *, location, **answers) -> Intake:
    intake = make_intake(location=location, **answers)
    Intake.objects.filter(pk=intake.pk).update(first_name=first_name)
    intake.refresh_from_db()
    return intake


def change_url(intake):
    return reverse("admin:triage_intake_change", args=[intake.pk])


def override_url(intake):
    return reverse("admin:triage_intake_override", args=[intake.pk])


def listed(response) -> list[int]:
    return [intake.pk for intake in response.context["cl"].result_list]


# --- Order ----------------------------------------------------------------------------------------


def test_queue_shows_emergencies_first_then_by_urgency_oldest_first(client, clinician, chaska):
    with time_machine.travel(START, tick=False) as clock:
        old_routine = intake_for("OldRoutine", location=chaska, **ROUTINE)
        clock.shift(dt.timedelta(hours=1))
        old_urgent = intake_for("OldUrgent", location=chaska, **URGENT)
        clock.shift(dt.timedelta(hours=1))
        soon = intake_for("Soon", location=chaska, **SOON)
        clock.shift(dt.timedelta(hours=1))
        new_urgent = intake_for("NewUrgent", location=chaska, **URGENT)
        clock.shift(dt.timedelta(hours=1))
        emergency = intake_for("Emergency", location=chaska, **EMERGENCY)
        admin_login(client, clinician)
        response = client.get(QUEUE, ALL)  # the routine case is self-care: not open work

    assert response.status_code == 200
    assert listed(response) == [
        emergency.pk,
        old_urgent.pk,
        new_urgent.pk,
        soon.pk,
        old_routine.pk,
    ]


def test_queue_row_shows_age_red_flags_and_urgency_in_words(client, clinician, chaska):
    make_intake(location=chaska, age=71, **EMERGENCY)
    admin_login(client, clinician)
    page = client.get(QUEUE).content.decode()
    assert "Sam Strider" in page
    assert ">71<" in page
    assert 'title="Possible cauda equina syndrome"' in page
    assert "Emergency" in page


def test_an_intake_past_its_target_is_marked_overdue_in_words(client, clinician, chaska):
    with time_machine.travel(START, tick=False) as clock:
        late = intake_for("Late", location=chaska, **URGENT)
        clock.shift(dt.timedelta(days=13))
        on_time = intake_for("OnTime", location=chaska, **URGENT)
        clock.shift(dt.timedelta(days=2))  # the first is now 15 days old: target 14 days
        admin_login(client, clinician)
        page = client.get(QUEUE).content.decode()
        overdue_only = client.get(QUEUE, {"overdue": "yes"})

    assert page.count('class="bs-overdue"') == 1
    assert "<strong>overdue</strong> 15 d</span>" in page
    assert "target 14 d" in page
    assert listed(overdue_only) == [late.pk]
    assert on_time.pk not in listed(overdue_only)


def test_a_contacted_emergency_is_no_longer_overdue(client, clinician, chaska):
    with time_machine.travel(START, tick=False) as clock:
        emergency = intake_for("Emergency", location=chaska, **EMERGENCY)
        Intake.objects.filter(pk=emergency.pk).update(status=Intake.Status.CONTACTED)
        clock.shift(dt.timedelta(hours=3))
        admin_login(client, clinician)
        response = client.get(QUEUE, {"overdue": "yes"})
    assert listed(response) == []


# --- Filters and search ---------------------------------------------------------------------------


def test_red_flag_filter_matches_the_exact_flag(client, clinician, chaska):
    infection = intake_for("Infection", location=chaska, fever=True, immunosuppressed=True)
    risk_only = intake_for("RiskOnly", location=chaska, immunosuppressed=True)
    plain = intake_for("Plain", location=chaska)
    admin_login(client, clinician)

    assert listed(client.get(QUEUE, {"red_flag": "infection"})) == [infection.pk]
    assert set(listed(client.get(QUEUE, {"red_flag": "infection_risk"}))) == {
        infection.pk,
        risk_only.pk,
    }
    assert listed(client.get(QUEUE, {"red_flag": "none", **ALL})) == [plain.pk]


def test_assigned_to_me_filter_and_urgency_filter(client, clinician, chaska):
    mine = intake_for("Mine", location=chaska, **URGENT)
    other = intake_for("Other", location=chaska, **URGENT)
    routine = intake_for("Routine", location=chaska)
    Intake.objects.filter(pk=mine.pk).update(assigned_to=clinician)
    admin_login(client, clinician)

    assert listed(client.get(QUEUE, {"assigned": "me"})) == [mine.pk]
    assert listed(client.get(QUEUE, {"urgency": "urgent"})) == [mine.pk, other.pk]
    assert listed(client.get(QUEUE, {"urgency": "routine", **ALL})) == [routine.pk]


def test_location_filter_offers_only_the_staff_members_locations(client, clinician, chaska, delano):
    admin_login(client, clinician)
    response = client.get(QUEUE)
    page = response.content.decode()
    assert "?location=" in page
    assert f"location={chaska.pk}" in page
    assert f"location={delano.pk}" not in page


def test_search_by_name_email_and_full_reference(client, clinician, chaska):
    found = intake_for("Findme", location=chaska)
    other = intake_for("Other", location=chaska)
    admin_login(client, clinician)

    assert listed(client.get(QUEUE, {"q": "findme"})) == [found.pk]
    assert listed(client.get(QUEUE, {"q": str(found.public_id)})) == [found.pk]
    assert set(listed(client.get(QUEUE, {"q": "sam@example.test"}))) == {found.pk, other.pk}


# --- Scope ----------------------------------------------------------------------------------------


def test_scheduler_at_chaska_can_neither_list_nor_open_a_delano_intake(
    client, scheduler, chaska, delano
):
    ours = intake_for("Chaskapatient", location=chaska)
    theirs = intake_for("Delanopatient", location=delano, **EMERGENCY)
    admin_login(client, scheduler)

    page = client.get(QUEUE, ALL)
    assert listed(page) == [ours.pk]
    assert "Delanopatient" not in page.content.decode()

    opened = client.get(change_url(theirs))
    assert opened.status_code == 302
    assert opened.url == reverse("admin:index")
    assert "Delanopatient" not in client.get(opened.url).content.decode()
    assert client.get(override_url(theirs)).status_code == 302


def test_triage_clinician_at_chaska_sees_a_delano_emergency(client, clinician, delano):
    emergency = intake_for("Delanoemergency", location=delano, **EMERGENCY)
    routine = intake_for("Delanoroutine", location=delano)
    admin_login(client, clinician)

    assert listed(client.get(QUEUE)) == [emergency.pk]
    page = client.get(change_url(emergency))
    assert page.status_code == 200
    assert "Delanoemergency" in page.content.decode()
    assert client.get(change_url(routine)).status_code == 302


def test_opening_an_intake_is_recorded_in_the_access_log(client, clinician, chaska):
    from patients.models import AccessLog

    intake = make_intake(location=chaska)
    admin_login(client, clinician)
    client.get(change_url(intake))
    entry = AccessLog.objects.get(object_type="intake")
    assert entry.actor == clinician
    assert entry.object_id == str(intake.public_id)


# --- The change page ------------------------------------------------------------------------------


def test_change_page_shows_answers_decisions_contact_and_runner_context(client, clinician, chaska):
    intake = make_intake(location=chaska, age=44, **URGENT)
    Intake.objects.filter(pk=intake.pk).update(weekly_distance_km=55, phone="952-555-0199")
    admin_login(client, clinician)
    page = client.get(change_url(intake)).content.decode()

    assert "Age in years" in page
    assert "I have had cancer at some time" in page
    assert "Decisions (newest first)" in page
    assert "Protocol engine" in page
    assert "952-555-0199" in page
    assert "55" in page
    assert reverse("admin:triage_intake_override", args=[intake.pk]) in page
    # Only the handling fields are editable.
    assert 'name="status"' in page
    assert 'name="assigned_to"' in page
    assert 'name="first_name"' not in page
    assert 'name="answers"' not in page


def test_staff_change_status_and_assignee_on_the_change_page(client, clinician, chaska):
    intake = make_intake(location=chaska)
    admin_login(client, clinician)
    response = client.post(
        change_url(intake),
        {
            "status": Intake.Status.CONTACTED,
            "assigned_to": clinician.pk,
            "outcome": "Phoned, booking next week",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "1",
            "decisions-MIN_NUM_FORMS": "0",
            "decisions-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    intake.refresh_from_db()
    assert intake.status == Intake.Status.CONTACTED
    assert intake.assigned_to == clinician
    assert intake.outcome == "Phoned, booking next week"


def test_intakes_cannot_be_added_or_deleted_in_the_admin(client, chaska):
    superuser = StaffFactory(is_superuser=True)
    intake = make_intake(location=chaska)
    admin_login(client, superuser)
    assert client.get(reverse("admin:triage_intake_add")).status_code == 403
    assert client.get(reverse("admin:triage_intake_delete", args=[intake.pk])).status_code == 403


# --- Override -------------------------------------------------------------------------------------


def test_override_keeps_the_engines_decision_and_audits_the_clinicians(client, clinician, chaska):
    intake = make_intake(location=chaska)
    engine_decision = intake.current_decision
    admin_login(client, clinician)

    response = client.post(
        override_url(intake),
        {"pathway": "imaging", "urgency": "urgent", "reason": "Night pain on examination"},
    )

    assert response.status_code == 302
    intake.refresh_from_db()
    decisions = list(intake.decisions.order_by("created_at", "id"))
    assert decisions[0].pk == engine_decision.pk
    assert len(decisions) == 2
    new = decisions[1]
    assert intake.current_decision == new
    assert (new.pathway, new.urgency) == ("imaging", "urgent")
    assert new.decided_by == clinician
    assert new.override_reason == "Night pain on examination"
    assert TriageDecision.objects.get(pk=engine_decision.pk).decided_by is None
    entry = LogEntry.objects.get_for_object(new).get(action=LogEntry.Action.CREATE)
    assert entry.actor == clinician


def test_override_without_a_reason_is_refused_with_a_message(client, clinician, chaska):
    intake = make_intake(location=chaska)
    admin_login(client, clinician)

    response = client.post(
        override_url(intake), {"pathway": "imaging", "urgency": "urgent", "reason": "   "}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The decision was not changed" in page
    assert "Give a reason" in page
    assert intake.decisions.count() == 1


def test_a_scheduler_may_not_override_a_decision(client, scheduler, chaska):
    intake = make_intake(location=chaska)
    admin_login(client, scheduler)
    response = client.post(
        override_url(intake), {"pathway": "imaging", "urgency": "urgent", "reason": "No"}
    )
    assert response.status_code == 403
    assert intake.decisions.count() == 1
    assert reverse("admin:triage_intake_override", args=[intake.pk]) not in (
        client.get(QUEUE).content.decode()
    )


# --- Actions --------------------------------------------------------------------------------------


def run_action(client, action, intakes, **extra):
    return client.post(
        QUEUE, {"action": action, ACTION_CHECKBOX_NAME: [i.pk for i in intakes], **extra}
    )


def test_assign_to_me_and_mark_contacted_actions(client, clinician, chaska):
    first, second = make_intake(location=chaska), make_intake(location=chaska)
    admin_login(client, clinician)

    assert run_action(client, "assign_to_me", [first, second]).status_code == 302
    assert run_action(client, "mark_contacted", [first]).status_code == 302

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assigned_to == clinician
    assert second.assigned_to == clinician
    assert first.status == Intake.Status.CONTACTED
    assert second.status == Intake.Status.NEW


def test_close_action_asks_for_the_outcome_then_closes(client, clinician, chaska):
    intake = make_intake(location=chaska)
    admin_login(client, clinician)

    asked = run_action(client, "close_with_outcome", [intake])
    assert asked.status_code == 200
    assert "Close these intakes" in asked.content.decode()
    refused = run_action(client, "close_with_outcome", [intake], apply="yes", outcome="")
    assert "Write the outcome before closing" in refused.content.decode()
    intake.refresh_from_db()
    assert intake.status == Intake.Status.NEW

    done = run_action(client, "close_with_outcome", [intake], apply="yes", outcome="Seen at the ED")
    assert done.status_code == 302
    intake.refresh_from_db()
    assert intake.status == Intake.Status.CLOSED
    assert intake.outcome == "Seen at the ED"


# --- Query cost -----------------------------------------------------------------------------------

# Session (read and save), user, authenticator device, permissions (user, groups), roles,
# locations (scope, filter), the capped count, the page in two reads (the intakes whose alerts
# put them first, then the rest in the index's order), footer locations, one access-log insert
# for the rows shown: none per row.
QUEUE_QUERIES = 16


@pytest.mark.parametrize("rows", [10, 300])
def test_queue_runs_a_constant_number_of_queries(
    client, clinician, chaska, delano, rows, django_assert_num_queries
):
    for n in range(rows):
        answers = EMERGENCY if n % 7 == 0 else URGENT if n % 5 == 0 else {}
        make_intake(location=chaska if n % 3 else delano, **answers)
    # A few unacknowledged emergencies and urgent cases overdue for contact, shown and put first
    # by annotations and one read of their own, not by a query per row.
    emergencies = StaffAlert.objects.filter(urgency="emergency").order_by("pk")
    StaffAlert.objects.filter(pk__in=emergencies.values("pk")[3:]).update(status="acknowledged")
    urgents = StaffAlert.objects.filter(urgency="urgent", location=chaska).order_by("pk")
    StaffAlert.objects.filter(pk__in=urgents.values("pk")[:3]).update(
        contact_by=timezone.now() - dt.timedelta(hours=1)
    )
    admin_login(client, clinician)

    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE, ALL)

    assert response.status_code == 200
    visible = scope_intakes(clinician).count()
    assert visible < rows  # Delano's non-emergencies are out of scope
    assert len(response.context["cl"].result_list) == min(visible, 50)
    assert "Not acknowledged" in response.content.decode()
    assert "Contact overdue" in response.content.decode()


def test_unfiltered_queue_never_counts_the_whole_intake_table(client, chaska):
    superuser = StaffFactory(is_superuser=True)
    for _ in range(5):
        make_intake(location=chaska)
    admin_login(client, superuser)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(QUEUE, ALL)

    assert response.status_code == 200
    assert re.search(r"\b5\s+intakes", response.content.decode())
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the paginator should still count (with a limit)"
    for sql in counts:
        if "triage_intake" in sql:
            unbounded = "WHERE" not in sql.upper() and "LIMIT" not in sql.upper()
            assert not unbounded, f"full-table count: {sql}"


def test_a_large_result_is_shown_as_more_than_the_cap(client, chaska, monkeypatch):
    from staff.scope import EstimatedCountPaginator

    monkeypatch.setattr(EstimatedCountPaginator, "cap", 3)
    superuser = StaffFactory(is_superuser=True)
    for _ in range(5):
        make_intake(location=chaska)
    admin_login(client, superuser)
    page = client.get(QUEUE, ALL).content.decode()
    assert re.search(r"More than 3\s+intakes", page)


@pytest.mark.postgres
def test_on_postgresql_the_unfiltered_count_is_the_planners_estimate(client, chaska, monkeypatch):
    from staff.scope import EstimatedCountPaginator

    monkeypatch.setattr(EstimatedCountPaginator, "cap", 3)
    superuser = StaffFactory(is_superuser=True)
    admin_login(client, superuser)
    for _ in range(2):
        make_intake(location=chaska)
    client.get(QUEUE, ALL)  # warm-up: the first request fills per-process caches
    with CaptureQueriesContext(connection) as below_cap:
        page = client.get(QUEUE, ALL).content.decode()
    assert re.search(r"\b2\s+intakes", page)

    for _ in range(4):
        make_intake(location=chaska)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE triage_intake")
    with CaptureQueriesContext(connection) as above_cap:
        page = client.get(QUEUE, ALL).content.decode()

    assert re.search(r"About 6\s+intakes", page)
    assert len(above_cap) == len(below_cap), "the query count grew with the table"
    counts = [q["sql"] for q in above_cap.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts)


# --- Scheduling from the queue --------------------------------------------------------------------

MONDAY = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)  # 09:00 in Chaska (CDT)
TUESDAY_9AM = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def imaging(chaska):
    """An MRI service and a radiographer at Chaska on Tuesday mornings, 09:00-12:00."""
    from clinic.models import Discipline
    from tests.factories import PractitionerFactory, ServiceFactory, WorkingHoursFactory

    service = ServiceFactory(
        slug="mri-lumbar",
        name="MRI lumbar spine",
        pathway="imaging",
        discipline=Discipline.IMAGING,
        duration_minutes=30,
        buffer_after_minutes=0,
        bookable_online=False,
    )
    radiographer = PractitionerFactory(
        display_name="Riley Radiographer", discipline=Discipline.IMAGING, locations=[chaska]
    )
    WorkingHoursFactory(
        practitioner=radiographer,
        location=chaska,
        weekday=1,
        start_time=dt.time(9, 0),
        end_time=dt.time(12, 0),
    )
    return service, radiographer


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


def patient_intake(location, **answers):
    from tests.factories import PatientFactory

    return make_intake(location=location, patient=PatientFactory(), **answers)


def schedule_url(intake):
    return reverse("admin:triage_intake_schedule", args=[intake.pk])


def slot(practitioner, start):
    """The key the page posts for this time, at the practitioner's (one) location."""
    from clinic.scheduling import SlotKey, slot_key

    return slot_key(SlotKey(practitioner.pk, practitioner.locations.get().pk, start))


def test_scheduler_books_an_imaging_scan_from_the_queue(client, scheduler, chaska, imaging, monday):
    from clinic.models import Appointment

    service, radiographer = imaging
    intake = patient_intake(chaska, **URGENT)  # R6: imaging, urgent, staff schedule it
    admin_login(client, scheduler)

    assert schedule_url(intake) in client.get(QUEUE).content.decode()
    page = client.get(schedule_url(intake))
    assert page.status_code == 200
    assert "09:00\N{EN DASH}09:30 with Riley Radiographer" in page.content.decode()
    assert "Tuesday 10 March 2026" in page.content.decode()

    booked = client.post(
        schedule_url(intake),
        {"service": service.slug, "location": "chaska", "slot": slot(radiographer, TUESDAY_9AM)},
    )

    assert booked.status_code == 302
    assert booked.url == change_url(intake)
    appointment = Appointment.objects.get(intake=intake)
    assert appointment.start == TUESDAY_9AM
    assert appointment.booked_by == scheduler
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SCHEDULED


def test_a_time_taken_meanwhile_is_refused_with_the_nearest_alternatives(
    client, scheduler, chaska, imaging, monday
):
    from clinic import scheduling
    from clinic.models import Appointment

    service, radiographer = imaging
    first, second = patient_intake(chaska, **URGENT), patient_intake(chaska, **URGENT)
    scheduling.appointment_book(
        patient=first.patient,
        service=service,
        location=chaska,
        practitioner=radiographer,
        start=TUESDAY_9AM,
        intake=first,
        booked_by=scheduler,
        online=False,
    )
    admin_login(client, scheduler)

    response = client.post(
        schedule_url(second),
        {"service": service.slug, "location": "chaska", "slot": slot(radiographer, TUESDAY_9AM)},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "just been taken" in page
    assert "Nearest free times" in page
    assert "09:30\N{EN DASH}10:00 with Riley Radiographer" in page
    assert not Appointment.objects.filter(intake=second).exists()


def test_a_forged_slot_is_a_clear_400(client, scheduler, chaska, imaging, monday):
    service, _ = imaging
    intake = patient_intake(chaska, **URGENT)
    admin_login(client, scheduler)
    response = client.post(
        schedule_url(intake), {"service": service.slug, "location": "chaska", "slot": "x@y"}
    )
    assert response.status_code == 400
    assert "Choose one of the free times shown" in response.content.decode()


def test_an_emergency_is_not_scheduled_until_a_clinician_changes_its_urgency(
    client, scheduler, chaska, imaging, monday
):
    from clinic.models import Appointment

    service, radiographer = imaging
    intake = patient_intake(chaska, trauma="major")  # R5: imaging, emergency
    admin_login(client, scheduler)

    assert schedule_url(intake) not in client.get(QUEUE).content.decode()
    assert "must review it" in client.get(schedule_url(intake)).content.decode()
    refused = client.post(
        schedule_url(intake),
        {"service": service.slug, "location": "chaska", "slot": slot(radiographer, TUESDAY_9AM)},
    )
    assert refused.status_code == 409
    assert not Appointment.objects.exists()


def test_only_schedulers_in_scope_may_schedule(client, clinician, chaska, delano, imaging, monday):
    intake = patient_intake(chaska, **URGENT)
    admin_login(client, clinician)
    assert client.get(schedule_url(intake)).status_code == 403
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[delano]))
    assert client.get(schedule_url(intake)).status_code == 302
