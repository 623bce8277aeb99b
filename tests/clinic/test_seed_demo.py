"""`manage.py seed_demo`: the demo network, its logins, idempotence and the bulk data."""

import datetime as dt
import itertools
import re
from collections import defaultdict
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clinic import alerts, roles
from clinic.demo_data.rota import next_holidays
from clinic.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Holiday,
    Location,
    Notification,
    OnCallShift,
    Practitioner,
    Service,
    User,
    WorkingHours,
)
from outcomes import series
from outcomes.models import FollowUp
from patients.models import Patient
from tests.factories import make_intake
from triage import engine
from triage.models import URGENCY_RANK, Intake, TriageDecision

pytestmark = pytest.mark.django_db

CITIES = {
    "Maple Grove": ("maple-grove", "55369", "763"),
    "Coon Rapids": ("coon-rapids", "55433", "763"),
    "Chaska": ("chaska", "55318", "952"),
    "Shakopee": ("shakopee", "55379", "952"),
    "Sartell": ("sartell", "56377", "320"),
    "Delano": ("delano", "55328", "763"),
}
PASSWORD = "backstride-demo"
STAFF_LOGINS = {
    "triage@backstride.test": (roles.TRIAGE_CLINICIAN, set(CITIES)),
    "scheduler@backstride.test": (roles.SCHEDULER, {"Chaska"}),
    "manager@backstride.test": (roles.LOCATION_MANAGER, {"Delano"}),
}


def seed(*args, **options) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, **options)
    return out.getvalue()


def locations_by_discipline() -> dict[str, set[str]]:
    where = defaultdict(set)
    for hours in WorkingHours.objects.select_related("practitioner", "location"):
        where[hours.practitioner.discipline].add(hours.location.name)
    return where


def snapshot() -> dict:
    """Every row the seed writes, by value, so a second run can be compared with the first."""
    return {
        "locations": list(Location.objects.values()),
        "services": list(Service.objects.values()),
        "practitioners": list(Practitioner.objects.values()),
        "hours": list(WorkingHours.objects.values()),
        "users": list(User.objects.values("email", "is_staff", "is_superuser", "password")),
        "user_groups": list(User.groups.through.objects.values_list("user_id", "group_id")),
        "user_locations": list(
            User.locations.through.objects.values_list("user_id", "location_id")
        ),
        "patients": list(Patient.objects.values("user_id", "preferred_location_id")),
        "emails": list(EmailAddress.objects.values("email", "verified", "primary")),
        "intakes": list(Intake.objects.values("id", "current_decision_id")),
        "decisions": TriageDecision.objects.count(),
        "notifications": Notification.objects.count(),
        "sites": list(Site.objects.values()),
        "on_call": list(OnCallShift.objects.values()),
        "holidays": list(Holiday.objects.values()),
    }


# --- The demo network ---------------------------------------------------------------------------


def test_demo_network_is_the_six_minnesota_clinics_in_central_time():
    seed()

    locations = {location.name: location for location in Location.objects.all()}
    assert set(locations) == set(CITIES)
    for name, (slug, zip_code, area_code) in CITIES.items():
        location = locations[name]
        assert location.slug == slug
        assert location.time_zone == "America/Chicago"
        assert location.address.endswith(f"{name}, MN {zip_code}")
        assert re.fullmatch(rf"\({area_code}\) 555-01\d\d", location.phone)
        assert location.on_call_email == f"oncall.{slug}@backstride.test"


def test_physiotherapy_is_at_every_clinic_imaging_and_surgery_at_two_each():
    seed()

    where = locations_by_discipline()
    assert where["physiotherapy"] == set(CITIES)
    assert where["imaging"] == {"Maple Grove", "Shakopee"}
    assert where["spine_surgery"] == {"Coon Rapids", "Chaska"}
    for location in Location.objects.all():
        physios = location.practitioners.filter(discipline="physiotherapy")
        assert physios.count() == 2, location


def test_every_demo_service_has_spanish_words_and_an_older_demo_database_gets_them():
    seed()
    assert all(service.name_es and service.description_es for service in Service.objects.all())
    physio = Service.objects.get(slug="physio-assessment")
    assert physio.name_es == "Evaluación de fisioterapia"

    # A database seeded before the Spanish words existed; staff renamed one service since.
    Service.objects.update(name_es="", description_es="")
    Service.objects.filter(slug="mri-lumbar").update(name_es="Resonancia lumbar")
    seed()

    assert Service.objects.get(slug="physio-assessment").name_es == "Evaluación de fisioterapia"
    mri = Service.objects.get(slug="mri-lumbar")
    assert mri.name_es == "Resonancia lumbar"
    assert mri.description_es.startswith("Una resonancia magnética")


def test_a_surgeon_works_at_two_clinics_on_different_days():
    seed()

    surgeon = Practitioner.objects.get(display_name="Dr. Helena Castellano")
    days = defaultdict(set)
    for hours in surgeon.working_hours.select_related("location"):
        days[hours.location.name].add(hours.weekday)
    assert days == {"Coon Rapids": {0, 2}, "Chaska": {1, 3}}
    assert {location.name for location in surgeon.locations.all()} == {"Coon Rapids", "Chaska"}


def test_practitioners_work_two_blocks_a_weekday_and_some_physios_saturday_mornings():
    seed()

    for practitioner in Practitioner.objects.all():
        by_day = defaultdict(list)
        for hours in practitioner.working_hours.all():
            by_day[hours.weekday].append((f"{hours.start_time:%H:%M}", f"{hours.end_time:%H:%M}"))
        for weekday, blocks in by_day.items():
            expected = (
                [("08:00", "12:00")] if weekday == 5 else [("08:00", "12:00"), ("13:00", "17:00")]
            )
            assert sorted(blocks) == expected, (practitioner, weekday)
    saturday = WorkingHours.objects.filter(weekday=5)
    assert {hours.practitioner.discipline for hours in saturday} == {"physiotherapy"}
    assert saturday.values("location").distinct().count() == len(CITIES)


def test_there_is_one_service_per_pathway_and_only_physio_is_booked_online():
    seed()

    services = {service.pathway: service for service in Service.objects.all()}
    assert set(services) == set(engine.PATHWAYS)
    assert Service.objects.count() == 4
    physio = services["physio"]
    assert (physio.slug, physio.duration_minutes, physio.buffer_after_minutes) == (
        "physio-assessment",
        45,
        15,
    )
    assert services["imaging"].slug == "mri-lumbar"
    assert services["surgical_consult"].discipline == "spine_surgery"
    assert services["self_care"].duration_minutes == 15
    assert [s.slug for s in Service.objects.filter(bookable_online=True)] == ["physio-assessment"]
    assert all(service.description for service in services.values())


# --- Logins -------------------------------------------------------------------------------------


def test_each_staff_role_has_one_login_with_its_group_and_clinics():
    seed()

    for email, (group, cities) in STAFF_LOGINS.items():
        user = User.objects.get(email=email)
        assert user.is_staff
        assert not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert {location.name for location in user.locations.all()} == cities
        assert user.check_password(PASSWORD)
    admin = User.objects.get(email="admin@backstride.test")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(PASSWORD)


def test_the_demo_patient_prefers_shakopee_and_signs_in_on_the_patient_login_page(client):
    seed()

    patient = Patient.objects.get(user__email="patient@backstride.test")
    assert patient.preferred_location.name == "Shakopee"
    assert not patient.user.is_staff

    response = client.post(
        reverse("account_login"), {"login": "patient@backstride.test", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("patients:dashboard")
    assert client.session["_auth_user_id"] == str(patient.user_id)


def test_demo_intakes_fill_the_staff_queue_with_each_kind_of_case():
    seed()

    decisions = {
        intake.current_decision.pathway: intake
        for intake in Intake.objects.select_related("current_decision", "patient__user")
    }
    emergency = decisions["surgical_consult"]
    assert emergency.current_decision.urgency == "emergency"
    assert "cauda_equina" in emergency.current_decision.red_flags
    assert decisions["imaging"].current_decision.urgency == "urgent"
    physio = decisions["physio"]
    assert physio.current_decision.sbst_risk == "medium"
    assert physio.patient.user.email == "patient@backstride.test"
    assert decisions["self_care"].current_decision.urgency == "routine"
    # Through the real service: the emergency alerted the person on call there now (the demo
    # rota is in place before the demo intakes), not the clinic's fallback address.
    on_call = OnCallShift.objects.filter(
        location=emergency.preferred_location,
        starts_at__lte=timezone.now(),
        ends_at__gt=timezone.now(),
        order=1,
    ).get()
    alerts = Notification.objects.filter(intake=emergency, kind="staff_alert")
    assert {a.recipient for a in alerts} <= {on_call.email, str(on_call.phone)}
    assert on_call.email in {a.recipient for a in alerts}
    assert emergency.preferred_location.on_call_email not in {a.recipient for a in alerts}


def test_demo_intakes_are_not_added_to_a_queue_that_already_has_work():
    existing = make_intake()

    seed()

    assert list(Intake.objects.all()) == [existing]


def test_running_the_seed_again_changes_nothing():
    seed()
    first = snapshot()

    output = seed()

    assert snapshot() == first
    assert "(0 new)" in output
    assert not re.search(r"\([1-9][\d,]* new\)", output)


def test_a_clinic_added_by_hand_before_the_first_seed_is_not_duplicated():
    Location.objects.create(
        name="Shakopee",
        slug="shakopee-mn",
        address="1 Test Street, Shakopee, MN 55379",
        phone="(952) 555-0199",
        on_call_email="desk@shakopee.test",
    )

    seed()

    assert Location.objects.filter(name="Shakopee").count() == 1
    assert Location.objects.count() == len(CITIES)
    patient = Patient.objects.get(user__email="patient@backstride.test")
    assert patient.preferred_location.slug == "shakopee-mn"


def test_seeding_before_migrations_made_the_staff_groups_fails_cleanly_and_writes_nothing():
    Group.objects.filter(name=roles.SCHEDULER).delete()

    with pytest.raises(CommandError, match="migrate"):
        seed()

    assert not Location.objects.exists()
    assert not User.objects.exists()


def test_the_site_is_named_backstride_at_the_local_address():
    seed()

    site = Site.objects.get(pk=1)
    assert (site.domain, site.name) == ("127.0.0.1:8000", "Backstride")


# --- On call and holidays ----------------------------------------------------------------------

ON_CALL = {
    "Chaska": {"triage@backstride.test", "scheduler@backstride.test"},
    "Delano": {"triage@backstride.test", "manager@backstride.test"},
    "Maple Grove": {"triage@backstride.test", "admin@backstride.test"},
}


def on_call_over(location, start, *, days: int) -> list[list]:
    """Who is on call every six hours from `start` for `days` days, first contact first."""
    return [
        alerts.on_call(location, now=start + dt.timedelta(hours=hours))
        for hours in range(0, days * 24, 6)
    ]


def test_each_clinic_has_demo_staff_on_call_from_now_for_the_next_three_weeks():
    seed()
    now = timezone.now()

    for location in Location.objects.all():
        firsts = set()
        for shifts in on_call_over(location, now, days=21):
            assert [s.order for s in shifts] == [1, 2], location
            assert all(s.phone.startswith("+1") and "55501" in s.phone for s in shifts)
            assert all(s.person.email == s.email and s.person.is_staff for s in shifts)
            if location.name in ON_CALL:
                assert {s.email for s in shifts} == ON_CALL[location.name]
            firsts.add(shifts[0].email)
        assert len(firsts) == 2, "the two contacts take turns as first contact"


def test_an_emergency_after_the_seed_alerts_whoever_is_on_call_by_email_and_text():
    seed()
    chaska = Location.objects.get(slug="chaska")
    [first, _] = alerts.on_call(chaska)

    intake = make_intake(location=chaska, saddle_numbness=True)

    sent = Notification.objects.filter(intake=intake, kind="staff_alert")
    assert set(sent.values_list("recipient", flat=True)) == {first.email, first.phone}


@pytest.mark.parametrize(
    ("today", "holidays"),
    [
        ("2026-11-27", [("2026-12-25", "Christmas Day"), ("2027-01-01", "New Year's Day")]),
        ("2027-05-20", [("2027-05-31", "Memorial Day"), ("2027-07-04", "Independence Day")]),
        ("2027-08-10", [("2027-09-06", "Labor Day"), ("2027-11-25", "Thanksgiving Day")]),
    ],
)
def test_each_clinic_closes_for_the_next_two_holidays(today, holidays):
    with time_machine.travel(dt.datetime.fromisoformat(f"{today}T18:00:00+00:00"), tick=False):
        seed()

    for location in Location.objects.all():
        found = [(f"{h.date:%Y-%m-%d}", h.name) for h in location.holidays.order_by("date")]
        assert found == holidays, location


def test_a_later_run_extends_the_rota_and_keeps_what_it_made():
    monday_early = dt.datetime(2027, 1, 18, 13, 0, tzinfo=dt.UTC)  # Monday 07:00 in Minnesota
    with time_machine.travel(monday_early, tick=False):
        seed()  # before the 08:00 handover: last week's shift is the one running
        assert all(
            on_call_over(location, monday_early, days=21)[0] for location in Location.objects.all()
        )
    first = {shift.pk: shift.starts_at for shift in OnCallShift.objects.all()}

    later = monday_early + dt.timedelta(days=3)  # Thursday: one more week comes into range
    with time_machine.travel(later, tick=False):
        output = seed()

    assert re.search(r"On-call shifts\s+\d+\s+\(12 new\)", output)  # a week more at six clinics
    assert {
        pk: shift.starts_at for pk, shift in OnCallShift.objects.in_bulk(first).items()
    } == first
    for location in Location.objects.all():
        assert all(len(shifts) == 2 for shifts in on_call_over(location, later, days=21))
    assert next_holidays(dt.date(2027, 12, 26)) == [
        (dt.date(2028, 1, 1), "New Year's Day"),
        (dt.date(2028, 5, 29), "Memorial Day"),
    ]


# --- Output -------------------------------------------------------------------------------------


def test_logins_only_prints_every_role_and_reads_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        output = seed("--logins-only")

    for role in ("Patient", "Triage clinician", "Scheduler", "Location manager", "Administrator"):
        assert role in output
    for email in ("patient@backstride.test", *STAFF_LOGINS, "admin@backstride.test"):
        assert email in output
    assert PASSWORD in output
    assert "demo only" in output
    assert "/accounts/login/" in output
    assert "/admin/" in output
    assert "TOTP" in output
    assert "Locations" not in output  # no summary


def test_a_normal_run_prints_the_summary_then_the_logins():
    output = seed()

    assert output.index("Locations") < output.index("Demo logins") < output.index("TOTP")
    assert re.search(r"Locations\s+6\s+\(6 new\)", output)


def test_a_negative_bulk_count_is_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="at least 0"):
        seed("--patients=-5")


# --- Bulk data ----------------------------------------------------------------------------------

BULK = {"practitioners": 24, "patients": 40, "intakes": 300, "appointments": 900}


def bulk(**overrides) -> str:
    return seed(**{**BULK, "batch_size": 70, "seed": 11, **overrides})


def assert_no_overlaps():
    by_practitioner = defaultdict(list)
    for practitioner_id, start, blocked_until in Appointment.objects.values_list(
        "practitioner_id", "start", "blocked_until"
    ):
        by_practitioner[practitioner_id].append((start, blocked_until))
    for intervals in by_practitioner.values():
        intervals.sort()
        for (_, previous_end), (start, _) in itertools.pairwise(intervals):
            assert start >= previous_end


def test_bulk_flags_create_the_requested_counts():
    seed()
    patients, intakes = Patient.objects.count(), Intake.objects.count()

    output = bulk()

    assert Practitioner.objects.count() == BULK["practitioners"]
    assert Patient.objects.count() == patients + BULK["patients"]
    assert Intake.objects.count() == intakes + BULK["intakes"]
    assert Appointment.objects.count() == BULK["appointments"]
    assert re.search(r"appointments\s+900 added in\s+[\d.]+ s", output)
    assert "took" in output


def test_bulk_intakes_carry_the_protocols_decision_for_their_answers():
    seed()
    demo_intakes = list(Intake.objects.values_list("pk", flat=True))
    bulk(appointments=0)

    intakes = Intake.objects.exclude(pk__in=demo_intakes).select_related("current_decision")
    assert intakes.count() == BULK["intakes"]
    pathways, urgencies = set(), set()
    for intake in intakes:
        decision = intake.current_decision
        result = engine.assess(intake.answers)
        assert decision.intake_id == intake.pk
        assert (decision.pathway, decision.urgency, decision.rule) == (
            result.pathway,
            result.urgency,
            result.rule,
        )
        assert decision.red_flags == list(result.red_flags)
        assert intake.urgency_rank == URGENCY_RANK[decision.urgency]
        assert decision.created_at == intake.created_at <= timezone.now()
        pathways.add(decision.pathway)
        urgencies.add(decision.urgency)
    assert pathways == set(engine.PATHWAYS)
    assert urgencies == set(engine.URGENCIES)
    # History, not a single moment: the queue can be ordered and filtered by age.
    assert intakes.dates("created_at", "month").count() > 6


def test_bulk_intakes_have_a_realistic_follow_up_series():
    seed()
    demo_intakes = list(Intake.objects.values_list("pk", flat=True))
    bulk(appointments=0)
    now = timezone.now()
    follow_ups = FollowUp.objects.exclude(intake__in=demo_intakes)
    assert follow_ups.count() == 3 * BULK["intakes"]
    # Nothing answered, stopped or expired before it was due.
    assert not follow_ups.filter(due_at__gt=now).exclude(state=FollowUp.State.PLANNED).exists()
    due = follow_ups.filter(due_at__lte=now)
    answered = due.filter(state=FollowUp.State.ANSWERED)
    assert 0.3 < answered.count() / due.count() < 0.8
    assert not answered.filter(answered_at__gt=now).exists()
    for follow_up in answered.select_related("answer", "intake")[:50]:
        answer = follow_up.answer
        scored = engine.assess({**follow_up.intake.answers, **answer.sbst})
        assert (answer.sbst_total, answer.sbst_risk) == (scored.sbst_total, scored.sbst_risk)
        assert follow_up.improved == series.is_improved(
            baseline_pain=follow_up.baseline_pain,
            pain=answer.pain_score,
            impression=answer.impression,
        )
    # Most get better, not all.
    improved = answered.filter(improved=True).count() / answered.count()
    assert 0.4 < improved < 0.95


def test_bulk_appointments_never_overlap_and_fit_their_practitioners_hours():
    seed()
    bulk()

    assert_no_overlaps()
    hours = defaultdict(set)
    for block in WorkingHours.objects.all():
        hours[block.practitioner_id, block.location_id, block.weekday].add(
            (block.start_time, block.end_time)
        )
    now = timezone.now()
    for appointment in Appointment.objects.select_related("location", "service", "practitioner"):
        local_start = appointment.start.astimezone(appointment.location.zone)
        local_blocked = appointment.blocked_until.astimezone(appointment.location.zone)
        blocks = hours[appointment.practitioner_id, appointment.location_id, local_start.weekday()]
        assert any(
            start <= local_start.time() and local_blocked.time() <= end for start, end in blocks
        ), appointment
        assert appointment.service.discipline == appointment.practitioner.discipline
        if appointment.start < now:
            assert appointment.status != AppointmentStatus.BOOKED
        else:
            assert appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED)
    assert Appointment.objects.filter(start__gt=now, status="booked").exists()
    assert Appointment.objects.filter(status="completed").exists()
    # Each appointment's history starts with its booking.
    assert AppointmentEvent.objects.filter(kind="booked").count() == Appointment.objects.count()


def test_bulk_data_is_additive_with_new_emails_and_still_no_overlaps():
    seed()
    bulk()
    users = User.objects.count()

    bulk()

    assert User.objects.count() == users + BULK["patients"]
    assert Appointment.objects.count() == 2 * BULK["appointments"]
    assert Practitioner.objects.count() == BULK["practitioners"]  # a total, already reached
    assert_no_overlaps()


def test_bulk_patients_can_sign_in_and_plan_no_messages(client):
    seed()
    notifications = Notification.objects.count()

    bulk()

    assert Notification.objects.count() == notifications
    email = Patient.objects.filter(user__email__startswith="bulk-patient-11-").first().email
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("patients:dashboard")


@pytest.mark.postgres
def test_bulk_appointments_satisfy_the_postgres_exclusion_constraint():
    seed()
    bulk()
    bulk(seed=12)  # additive: the second run must fit around the first

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*)
              FROM clinic_appointment a
              JOIN clinic_appointment b ON a.practitioner_id = b.practitioner_id AND a.id < b.id
             WHERE tstzrange(a.start, a.blocked_until) && tstzrange(b.start, b.blocked_until)
            """
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conname = 'appointment_no_overlap'"
        )
        assert cursor.fetchone()[0] == 1
    assert Appointment.objects.count() == 2 * BULK["appointments"]
