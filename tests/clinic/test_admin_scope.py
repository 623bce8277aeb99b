"""Who sees and changes what in the clinic admin: location scope, roles, day sheet, outbox, logs."""

import datetime as dt

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from clinic import notifications, roles
from clinic.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Notification,
    NotificationKind,
    NotificationStatus,
    TimeOff,
    WorkingHours,
)
from patients.models import AccessLog
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    StaffFactory,
    WorkingHoursFactory,
    admin_login,
    make_intake,
    make_staff,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def chaska():
    return LocationFactory(name="Chaska", slug="chaska", time_zone="America/Chicago")


@pytest.fixture
def delano():
    return LocationFactory(name="Delano", slug="delano", time_zone="America/Chicago")


@pytest.fixture
def scheduler(chaska):
    return make_staff(roles=[roles.SCHEDULER], locations=[chaska])


@pytest.fixture
def manager(chaska):
    return make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska])


@pytest.fixture
def superuser():
    return StaffFactory(is_superuser=True)


def appointment_at(location, start, *, last_name="Patient", **fields):
    patient = PatientFactory(last_name=last_name)
    practitioner = PractitionerFactory(locations=[location])
    return AppointmentFactory(
        location=location, patient=patient, practitioner=practitioner, start=start, **fields
    )


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


# --- Allow/deny matrix: one shared setup, every role ----------------------------------------------

PAGES = {
    "queue": "triage_intake_changelist",
    "appointments": "clinic_appointment_changelist",
    "notifications": "clinic_notification_changelist",
    "working_hours": "clinic_workinghours_changelist",
    "time_off": "clinic_timeoff_changelist",
    "patients": "patients_patient_changelist",
    "services": "clinic_service_changelist",
    "access_log": "patients_accesslog_changelist",
    "staff_accounts": "clinic_user_changelist",
    "change_history": "auditlog_logentry_changelist",
    "day_sheet": "clinic_appointment_day_sheet",
    "front_desk": "clinic_appointment_book",
}
ALLOWED = {
    roles.TRIAGE_CLINICIAN: {"queue", "appointments", "patients", "day_sheet"},
    roles.SCHEDULER: {
        "queue",
        "appointments",
        "notifications",
        "working_hours",
        "time_off",
        "patients",
        "services",
        "day_sheet",
        "front_desk",
    },
    roles.LOCATION_MANAGER: {
        "appointments",
        "working_hours",
        "time_off",
        "services",
        "day_sheet",
        "front_desk",
    },
    "superuser": set(PAGES),
}


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_reaches_only_its_pages(client, chaska, role):
    if role == "superuser":
        user = StaffFactory(is_superuser=True)
    else:
        user = make_staff(roles=[role], locations=[chaska])
    admin_login(client, user)

    reached = {
        page for page, name in PAGES.items() if client.get(admin_url(name)).status_code == 200
    }

    assert reached == ALLOWED[role]
    assert client.get(reverse("admin_dashboard")).status_code == 200


def test_a_patient_account_cannot_open_the_admin(client):
    patient = PatientFactory()
    client.force_login(patient.user)
    response = client.get(admin_url("triage_intake_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url
    assert client.get(reverse("admin_dashboard")).status_code == 302


# --- Appointments ---------------------------------------------------------------------------------


def test_scheduler_at_chaska_can_neither_list_nor_open_a_delano_appointment(
    client, scheduler, chaska, delano
):
    ours = appointment_at(chaska, NOW + dt.timedelta(days=1), last_name="Chaskaperson")
    theirs = appointment_at(delano, NOW + dt.timedelta(days=1), last_name="Delanoperson")
    admin_login(client, scheduler)

    listing = client.get(admin_url("clinic_appointment_changelist"))
    assert [a.pk for a in listing.context["cl"].result_list] == [ours.pk]
    assert "Delanoperson" not in listing.content.decode()

    opened = client.get(admin_url("clinic_appointment_change", theirs.pk))
    assert opened.status_code == 302
    assert opened.url == reverse("admin:index")
    assert "Delanoperson" not in client.get(opened.url).content.decode()
    assert client.get(admin_url("clinic_appointment_change", ours.pk)).status_code == 200
    logged = AccessLog.objects.filter(object_type="appointment", actor=scheduler)
    assert list(logged.values_list("object_id", flat=True)) == [str(ours.public_id)]


def test_appointment_list_shows_local_times(client, scheduler, chaska):
    appointment_at(chaska, dt.datetime(2026, 3, 11, 15, 0, tzinfo=dt.UTC))  # CDT, UTC-5
    admin_login(client, scheduler)
    page = client.get(admin_url("clinic_appointment_changelist")).content.decode()
    assert "Wed 11 Mar 2026, 10:00 CDT" in page


def mark(client, action, appointments):
    return client.post(
        admin_url("clinic_appointment_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [a.pk for a in appointments]},
        follow=True,
    )


def test_status_actions_follow_the_state_machine_and_keep_history(client, scheduler, chaska):
    attended = appointment_at(chaska, NOW - dt.timedelta(hours=3))
    missed = appointment_at(chaska, NOW - dt.timedelta(hours=2))
    cancelled = appointment_at(
        chaska, NOW - dt.timedelta(hours=1), status=AppointmentStatus.CANCELLED
    )
    admin_login(client, scheduler)

    mark(client, "mark_completed", [attended])
    refused = mark(client, "mark_no_show", [missed, cancelled])

    attended.refresh_from_db()
    missed.refresh_from_db()
    cancelled.refresh_from_db()
    assert attended.status == AppointmentStatus.COMPLETED
    assert missed.status == AppointmentStatus.NO_SHOW
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert "cannot become did not attend" in refused.content.decode()
    event = AppointmentEvent.objects.get(appointment=missed)
    assert (event.kind, event.actor) == (AppointmentStatus.NO_SHOW, scheduler)


def test_an_appointment_that_has_not_started_cannot_be_marked(client, scheduler, chaska):
    upcoming = appointment_at(chaska, NOW + dt.timedelta(days=1))
    admin_login(client, scheduler)
    response = mark(client, "mark_no_show", [upcoming])
    upcoming.refresh_from_db()
    assert upcoming.status == AppointmentStatus.BOOKED
    assert "only once it has started" in response.content.decode()


def test_appointments_are_not_added_deleted_or_edited_in_the_admin(client, superuser, chaska):
    appointment = appointment_at(chaska, NOW + dt.timedelta(days=1))
    admin_login(client, superuser)
    assert client.get(admin_url("clinic_appointment_add")).status_code == 403
    assert client.get(admin_url("clinic_appointment_delete", appointment.pk)).status_code == 403
    page = client.get(admin_url("clinic_appointment_change", appointment.pk)).content.decode()
    assert 'name="start"' not in page
    assert 'name="_save"' not in page


# --- Day sheet ------------------------------------------------------------------------------------


def test_day_sheet_shows_the_locations_day_in_local_time_by_practitioner(client, scheduler, chaska):
    morning = appointment_at(chaska, dt.datetime(2026, 3, 11, 15, 0, tzinfo=dt.UTC), last_name="Am")
    # 23:30 local on the 11th is 04:30 UTC on the 12th: still on the 11th's sheet.
    late = appointment_at(chaska, dt.datetime(2026, 3, 12, 4, 30, tzinfo=dt.UTC), last_name="Pm")
    next_day = appointment_at(
        chaska, dt.datetime(2026, 3, 12, 15, 0, tzinfo=dt.UTC), last_name="Nx"
    )
    admin_login(client, scheduler)

    response = client.get(
        admin_url("clinic_appointment_day_sheet"), {"location": "chaska", "date": "2026-03-11"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "10:00\N{EN DASH}10:45" in page
    assert "23:30\N{EN DASH}00:15" in page
    assert morning.practitioner.display_name in page
    assert late.practitioner.display_name in page
    assert next_day.practitioner.display_name not in page
    assert "America/Chicago" in page
    assert AccessLog.objects.filter(object_type="day_sheet", actor=scheduler).exists()


def test_day_sheet_uses_the_locations_own_time_zone(client, chaska):
    denver = LocationFactory(name="Golden", slug="golden", time_zone="America/Denver")
    appointment_at(denver, dt.datetime(2026, 3, 11, 15, 0, tzinfo=dt.UTC))  # MDT, UTC-6
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[denver]))
    page = client.get(
        admin_url("clinic_appointment_day_sheet"), {"location": "golden", "date": "2026-03-11"}
    ).content.decode()
    assert "09:00\N{EN DASH}09:45" in page
    assert "America/Denver" in page


def test_day_sheet_offers_only_the_staff_members_locations(client, scheduler, chaska, delano):
    appointment_at(delano, dt.datetime(2026, 3, 11, 15, 0, tzinfo=dt.UTC), last_name="Delanoone")
    admin_login(client, scheduler)

    default = client.get(admin_url("clinic_appointment_day_sheet"))
    assert default.status_code == 200
    assert 'value="chaska"' in default.content.decode()
    assert 'value="delano"' not in default.content.decode()

    refused = client.get(
        admin_url("clinic_appointment_day_sheet"), {"location": "delano", "date": "2026-03-11"}
    )
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    assert "Delanoone" not in refused.content.decode()


def test_day_sheet_with_a_bad_date_is_a_clear_400(client, scheduler, chaska):
    admin_login(client, scheduler)
    response = client.get(
        admin_url("clinic_appointment_day_sheet"), {"location": "chaska", "date": "31/02/2026"}
    )
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


# --- Organisation: managers edit hours and time off at their own locations only -------------------


def test_location_manager_edits_hours_at_their_location_only(client, manager, chaska, delano):
    practitioner = PractitionerFactory(locations=[chaska, delano])
    ours = WorkingHoursFactory(practitioner=practitioner, location=chaska)
    theirs = WorkingHoursFactory(practitioner=practitioner, location=delano, weekday=1)
    admin_login(client, manager)

    listing = client.get(admin_url("clinic_workinghours_changelist"))
    assert [h.pk for h in listing.context["cl"].result_list] == [ours.pk]
    assert client.get(admin_url("clinic_workinghours_change", theirs.pk)).status_code == 302

    form = {
        "practitioner": practitioner.pk,
        "weekday": 2,
        "start_time": "08:00",
        "end_time": "12:00",
    }
    refused = client.post(admin_url("clinic_workinghours_add"), {**form, "location": delano.pk})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    added = client.post(admin_url("clinic_workinghours_add"), {**form, "location": chaska.pk})
    assert added.status_code == 302
    assert WorkingHours.objects.filter(location=chaska, weekday=2).exists()


def test_working_hours_need_the_practitioner_to_work_at_the_location(client, superuser, chaska):
    elsewhere = PractitionerFactory(locations=[LocationFactory()])
    admin_login(client, superuser)
    response = client.post(
        admin_url("clinic_workinghours_add"),
        {
            "practitioner": elsewhere.pk,
            "location": chaska.pk,
            "weekday": 0,
            "start_time": "09:00",
            "end_time": "17:00",
        },
    )
    assert response.status_code == 200
    assert "does not work at Chaska" in response.content.decode()


def test_location_manager_sees_time_off_of_their_practitioners_only(
    client, manager, chaska, delano
):
    ours = TimeOff.objects.create(
        practitioner=PractitionerFactory(locations=[chaska]),
        start=NOW,
        end=NOW + dt.timedelta(days=2),
    )
    theirs = TimeOff.objects.create(
        practitioner=PractitionerFactory(locations=[delano]),
        start=NOW,
        end=NOW + dt.timedelta(days=2),
    )
    admin_login(client, manager)
    listing = client.get(admin_url("clinic_timeoff_changelist"))
    assert [t.pk for t in listing.context["cl"].result_list] == [ours.pk]
    assert client.get(admin_url("clinic_timeoff_change", theirs.pk)).status_code == 302
    assert client.get(admin_url("clinic_timeoff_change", ours.pk)).status_code == 200


def test_location_manager_cannot_move_a_practitioner_between_locations(client, manager, chaska):
    practitioner = PractitionerFactory(locations=[chaska])
    admin_login(client, manager)
    page = client.get(admin_url("clinic_practitioner_change", practitioner.pk)).content.decode()
    assert 'name="locations"' not in page
    assert 'name="is_active"' in page


def test_services_and_locations_are_edited_by_superusers_only(client, manager, superuser, chaska):
    admin_login(client, manager)
    assert client.get(admin_url("clinic_location_change", chaska.pk)).status_code == 200
    assert (
        'name="name"'
        not in client.get(admin_url("clinic_location_change", chaska.pk)).content.decode()
    )
    assert client.get(admin_url("clinic_service_add")).status_code == 403
    admin_login(client, superuser)
    assert (
        'name="name"' in client.get(admin_url("clinic_location_change", chaska.pk)).content.decode()
    )


# --- Patients -------------------------------------------------------------------------------------


def test_patient_list_is_scoped_and_opening_one_is_logged(client, scheduler, chaska, delano):
    ours = appointment_at(chaska, NOW + dt.timedelta(days=1), last_name="Chaskaperson").patient
    theirs = appointment_at(delano, NOW + dt.timedelta(days=1), last_name="Delanoperson").patient
    admin_login(client, scheduler)

    listing = client.get(admin_url("patients_patient_changelist"))
    assert [p.pk for p in listing.context["cl"].result_list] == [ours.pk]
    assert client.get(admin_url("patients_patient_change", theirs.pk)).status_code == 302
    assert client.get(admin_url("patients_patient_change", ours.pk)).status_code == 200
    assert AccessLog.objects.filter(object_type="patient", patient=ours, actor=scheduler).exists()


# --- Logs: nobody edits them ----------------------------------------------------------------------


def test_access_log_is_view_only_even_for_superusers(client, superuser, scheduler, chaska):
    admin_login(client, scheduler)
    patient = appointment_at(chaska, NOW + dt.timedelta(days=1)).patient
    client.get(admin_url("patients_patient_change", patient.pk))
    entry = AccessLog.objects.get()

    assert client.get(admin_url("patients_accesslog_changelist")).status_code == 403
    admin_login(client, superuser)
    assert client.get(admin_url("patients_accesslog_changelist")).status_code == 200
    assert client.get(admin_url("patients_accesslog_add")).status_code == 403
    assert client.get(admin_url("patients_accesslog_delete", entry.pk)).status_code == 403
    page = client.get(admin_url("patients_accesslog_change", entry.pk)).content.decode()
    assert 'name="_save"' not in page
    posted = client.post(admin_url("patients_accesslog_change", entry.pk), {"object_id": "x"})
    assert posted.status_code == 403
    entry.refresh_from_db()
    assert entry.object_id != "x"


def test_change_history_is_hidden_from_staff_and_read_only_for_superusers(
    client, superuser, scheduler, chaska
):
    make_intake(location=chaska)
    entry = LogEntry.objects.first()
    admin_login(client, scheduler)
    assert client.get(admin_url("auditlog_logentry_changelist")).status_code == 403
    assert "auditlog" not in client.get(reverse("admin:index")).content.decode()
    admin_login(client, superuser)
    assert client.get(admin_url("auditlog_logentry_changelist")).status_code == 200
    assert client.get(admin_url("auditlog_logentry_delete", entry.pk)).status_code == 403


def test_staff_accounts_are_managed_by_superusers_with_email_login(
    client, superuser, scheduler, chaska
):
    admin_login(client, scheduler)
    assert client.get(admin_url("clinic_user_changelist")).status_code == 403
    admin_login(client, superuser)
    response = client.post(
        admin_url("clinic_user_add"),
        {
            "email": "New.Clinician@Backstride.test",
            "usable_password": "true",
            "password1": "a-long-staff-password",
            "password2": "a-long-staff-password",
        },
    )
    assert response.status_code == 302
    created = type(superuser).objects.get(email="new.clinician@backstride.test")
    page = client.get(admin_url("clinic_user_change", created.pk)).content.decode()
    assert 'name="locations"' in page
    assert 'name="groups"' in page


# --- The outbox -----------------------------------------------------------------------------------


def failed_notification(appointment, key):
    notification = notifications.plan(
        key=key,
        kind=NotificationKind.REMINDER,
        recipient=appointment.patient.email,
        template="notifications/reminder",
        due_at=NOW - dt.timedelta(hours=1),
        appointment=appointment,
    )
    Notification.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.FAILED, attempts=5, last_error="SMTP 421"
    )
    return notification


def test_scheduler_resends_a_failed_message_of_their_location(client, scheduler, chaska, delano):
    ours = failed_notification(appointment_at(chaska, NOW + dt.timedelta(days=2)), "test:ours")
    theirs = failed_notification(appointment_at(delano, NOW + dt.timedelta(days=2)), "test:theirs")
    admin_login(client, scheduler)

    listing = client.get(admin_url("clinic_notification_changelist"))
    assert [n.pk for n in listing.context["cl"].result_list] == [ours.pk]

    client.post(
        admin_url("clinic_notification_changelist"),
        {"action": "resend", ACTION_CHECKBOX_NAME: [ours.pk, theirs.pk]},
    )

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.status == NotificationStatus.PENDING
    assert ours.attempts == 0
    assert ours.due_at <= timezone.now()
    assert ours.pk in notifications.claim_due()
    assert theirs.status == NotificationStatus.FAILED


def test_notification_log_is_read_only(client, superuser, chaska):
    notification = failed_notification(appointment_at(chaska, NOW + dt.timedelta(days=2)), "t:1")
    admin_login(client, superuser)
    page = client.get(admin_url("clinic_notification_change", notification.pk)).content.decode()
    assert "SMTP 421" in page
    assert 'name="recipient"' not in page
    assert client.get(admin_url("clinic_notification_add")).status_code == 403
    assert Appointment.objects.count() == 1


# Time off blocks a practitioner at every site (issue 19) -----------------------------------


def _time_off_form(practitioner):
    return {
        "practitioner": practitioner.pk,
        "start_0": "2026-03-20",
        "start_1": "08:00",
        "end_0": "2026-03-21",
        "end_1": "08:00",
        "reason": "away",
    }


def test_location_manager_cannot_block_a_shared_practitioner_everywhere(
    client, manager, chaska, delano
):
    shared = PractitionerFactory(locations=[chaska, delano])
    admin_login(client, manager)
    response = client.post(admin_url("clinic_timeoff_add"), _time_off_form(shared))
    assert response.status_code == 200  # the form refuses the choice
    assert not TimeOff.objects.exists()

    existing = TimeOff.objects.create(
        practitioner=shared, start=NOW, end=NOW + dt.timedelta(days=1)
    )
    assert client.get(admin_url("clinic_timeoff_change", existing.pk)).status_code == 200
    response = client.post(admin_url("clinic_timeoff_change", existing.pk), _time_off_form(shared))
    assert response.status_code == 403
    assert (
        client.post(admin_url("clinic_timeoff_delete", existing.pk), {"post": "yes"}).status_code
        == 403
    )
    assert TimeOff.objects.filter(pk=existing.pk, reason="").exists()

    page = client.get(admin_url("clinic_practitioner_change", shared.pk))
    inline = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is TimeOff)
    assert not inline.has_add_permission
    assert not inline.has_change_permission


def test_location_manager_records_time_off_for_a_practitioner_only_at_their_site(
    client, manager, chaska
):
    ours = PractitionerFactory(locations=[chaska])
    admin_login(client, manager)
    response = client.post(admin_url("clinic_timeoff_add"), _time_off_form(ours))
    assert response.status_code == 302
    assert TimeOff.objects.filter(practitioner=ours).exists()
