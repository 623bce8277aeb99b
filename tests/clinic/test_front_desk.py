"""The front desk in the admin: staff book, move and cancel a visit for a patient of their
location through the patients' own services; each message carries the same calendar event; time
off over booked visits lists them with a move or a cancel each."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.core import mail
from django.urls import reverse

from clinic import notifications, roles, scheduling
from clinic.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    DateOverride,
    NotificationKind,
    TimeOff,
)
from patients.models import AccessLog
from tests.clinic.test_calendar import parse, start_in_utc
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    admin_login,
    make_intake,
    make_staff,
)
from triage.models import Intake

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
# Monday 8 March 2027, 08:00 CST; the clocks spring forward on Sunday 14 March.
NOW = dt.datetime(2027, 3, 8, 8, 0, tzinfo=CHICAGO)
TUESDAY = dt.date(2027, 3, 9)  # CST, UTC-6
NEXT_TUESDAY = dt.date(2027, 3, 16)  # CDT, UTC-5
PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}  # medium STarT Back risk: physio, routine


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


@pytest.fixture
def chaska():
    return LocationFactory(name="Chaska", slug="chaska", phone="(952) 555-0111")


@pytest.fixture
def delano():
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def service():
    return ServiceFactory()  # physio assessment, 45 min + 15 buffer


def works_tuesdays(location, name):
    practitioner = PractitionerFactory(locations=[location], display_name=name)
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(13),
    )
    return practitioner


@pytest.fixture
def robin(chaska):
    return works_tuesdays(chaska, "Robin Physio")


@pytest.fixture
def scheduler(chaska):
    return make_staff(roles=[roles.SCHEDULER], locations=[chaska])


@pytest.fixture
def patient(chaska):
    patient = PatientFactory(first_name="Quinn", last_name="Harrier")
    make_intake(location=chaska, patient=patient, **PHYSIO)
    return patient


def url(name, *args):
    return reverse(f"admin:clinic_appointment_{name}", args=args)


def slot(practitioner, location, start) -> str:
    return scheduling.slot_key(scheduling.SlotKey(practitioner.pk, location.pk, start))


def book_for(client, patient, practitioner, location, start, service):
    return client.post(
        f"{url('book')}?patient={patient.public_id}",
        {
            "service": service.slug,
            "location": location.slug,
            "date_from": start.astimezone(location.zone).date().isoformat(),
            "days": 7,
            "slot": slot(practitioner, location, start),
        },
    )


def send_due() -> list:
    """Send what is due now, as the worker would, and return the messages that went out."""
    sent_before = len(mail.outbox)
    notifications.send_many(notifications.claim_due())
    return mail.outbox[sent_before:]


def calendar_of(message):
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("appointment.ics", "text/calendar")
    return content.encode() if isinstance(content, str) else content


# --- Book, move, cancel ---------------------------------------------------------------------------


def test_a_scheduler_books_moves_and_cancels_and_the_patient_gets_each_with_the_same_event(
    client, scheduler, chaska, robin, patient, service
):
    admin_login(client, scheduler)

    found = client.get(url("book"), {"q": "harrier"})
    assert found.status_code == 200
    assert f"?patient={patient.public_id}" in found.content.decode()
    listed = AccessLog.objects.get(actor=scheduler, object_type="patient list")
    assert (listed.patient_id, listed.via) == (patient.pk, f"{url('book')}?q=harrier")
    page = client.get(url("book"), {"patient": patient.public_id})
    assert page.status_code == 200
    assert "09:00\N{EN DASH}09:45 with Robin Physio" in page.content.decode()

    booked = book_for(client, patient, robin, chaska, at(TUESDAY, 9), service)
    assert booked.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    assert (appointment.start, appointment.booked_by) == (at(TUESDAY, 9), scheduler)
    assert appointment.intake.status == Intake.Status.SCHEDULED
    [confirmation] = send_due()
    assert confirmation.to == [patient.user.email]
    booked_ics = calendar_of(confirmation)
    first = parse(booked_ics)
    assert (first.method.value, first.vevent.sequence.value) == ("REQUEST", "0")
    assert first.vevent.dtstart.value.hour == 9
    assert start_in_utc(booked_ics) == at(TUESDAY, 9)

    # Across the change to daylight time: still 09:00 on the clinic's clock.
    moved = client.post(
        url("move", appointment.public_id), {"slot": slot(robin, chaska, at(NEXT_TUESDAY, 9))}
    )
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == at(NEXT_TUESDAY, 9)
    [notice] = send_due()
    assert "moved" in notice.subject
    moved_ics = calendar_of(notice)
    second = parse(moved_ics)
    assert second.vevent.uid.value == first.vevent.uid.value
    assert (second.method.value, second.vevent.sequence.value) == ("REQUEST", "1")
    assert second.vevent.dtstart.value.hour == 9
    assert start_in_utc(moved_ics) == at(NEXT_TUESDAY, 9)
    assert start_in_utc(moved_ics) - start_in_utc(booked_ics) == dt.timedelta(days=7, hours=-1)

    cancelled = client.post(
        url("cancel", appointment.public_id), {"reason": "Patient phoned: away that week"}
    )
    assert cancelled.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    event = appointment.events.get(kind=AppointmentEvent.Kind.CANCELLED)
    assert (event.actor, event.note) == (scheduler, "Patient phoned: away that week")
    [cancellation] = send_due()
    third = parse(calendar_of(cancellation))
    assert third.vevent.uid.value == first.vevent.uid.value
    assert third.method.value == "CANCEL"
    assert third.vevent.status.value == "CANCELLED"
    assert int(third.vevent.sequence.value) == 2
    # The clinic cancelled, so the message offers the nearest free times.
    assert "These times are free now" in cancellation.body
    assert "Tuesday, March 16, 9:00 AM CDT with Robin Physio" in cancellation.body
    assert "away that week" not in cancellation.body  # the reason is staff's note

    changes = LogEntry.objects.get_for_object(appointment)
    assert changes.count() >= 3  # booked, moved, cancelled: each in the change history
    assert set(changes.values_list("actor", flat=True)) == {scheduler.pk}


def test_another_locations_patient_and_visit_are_not_found(
    client, scheduler, chaska, delano, robin, service
):
    elsewhere = PatientFactory(last_name="Farfield")
    make_intake(location=delano, patient=elsewhere, **PHYSIO)
    theirs = AppointmentFactory(
        location=delano, patient=elsewhere, practitioner=works_tuesdays(delano, "Dale Physio")
    )
    admin_login(client, scheduler)

    assert "Farfield" not in client.get(url("book"), {"q": "farfield"}).content.decode()
    assert client.get(url("book"), {"patient": elsewhere.public_id}).status_code == 404
    assert client.get(url("book"), {"patient": "not-a-uuid"}).status_code == 404
    assert book_for(client, elsewhere, robin, chaska, at(TUESDAY, 9), service).status_code == 404
    for page in ("move", "cancel"):
        assert client.get(url(page, theirs.public_id)).status_code == 404
    assert client.post(url("cancel", theirs.public_id), {"reason": "x"}).status_code == 404
    assert client.post(url("move", theirs.public_id), {"slot": "1.1.x"}).status_code == 404

    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED
    assert not Appointment.objects.filter(patient=elsewhere).exclude(pk=theirs.pk).exists()


def test_only_staff_with_a_scheduling_role_reach_the_front_desk(client, chaska, patient):
    visit = AppointmentFactory(location=chaska, patient=patient)
    clinician = make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[chaska])
    admin_login(client, clinician)
    assert client.get(url("book")).status_code == 403
    assert client.post(url("cancel", visit.public_id), {"reason": "x"}).status_code == 403

    admin_login(client, make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska]))
    assert client.get(url("book"), {"patient": patient.public_id}).status_code == 200
    assert client.get(url("cancel", visit.public_id)).status_code == 200


def test_staff_book_inside_the_notice_and_move_after_the_cutoff_but_never_over_a_visit(
    client, clock, scheduler, chaska, robin, patient, service
):
    clock.move_to(at(TUESDAY, 8, 30))  # 09:00 is inside the patients' two-hour notice
    other = PatientFactory(first_name="Oak")
    make_intake(location=chaska, patient=other, **PHYSIO)
    admin_login(client, scheduler)

    assert book_for(client, patient, robin, chaska, at(TUESDAY, 9), service).status_code == 302
    appointment = Appointment.objects.get(patient=patient)

    taken = book_for(client, other, robin, chaska, at(TUESDAY, 9), service)
    assert taken.status_code == 409
    page = taken.content.decode()
    assert "just been taken" in page
    assert "Nearest free times" in page
    assert "10:00\N{EN DASH}10:45 with Robin Physio" in page
    assert not Appointment.objects.filter(patient=other).exists()

    # Inside the 24-hour cutoff that stops the patient: staff still move it.
    moved = client.post(
        url("move", appointment.public_id), {"slot": slot(robin, chaska, at(TUESDAY, 11))}
    )
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == at(TUESDAY, 11)


def test_a_cancellation_needs_a_reason_and_a_forged_time_is_a_clear_400(
    client, scheduler, chaska, robin, patient
):
    visit = AppointmentFactory(location=chaska, patient=patient, practitioner=robin)
    booked_for = visit.start
    admin_login(client, scheduler)

    refused = client.post(url("cancel", visit.public_id), {"reason": "  "})
    assert refused.status_code == 400
    assert "Give a reason" in refused.content.decode()
    forged = client.post(url("move", visit.public_id), {"slot": "x@y"})
    assert forged.status_code == 400
    assert "Choose one of the free times shown" in forged.content.decode()
    visit.refresh_from_db()
    assert (visit.status, visit.start) == (AppointmentStatus.BOOKED, booked_for)


def test_a_patients_own_cancellation_offers_no_times(chaska, robin, patient, service):
    appointment = scheduling.appointment_book(
        patient=patient,
        service=service,
        location=chaska,
        practitioner=robin,
        start=at(NEXT_TUESDAY, 9),
        intake=patient.intakes.get(),
        booked_by=patient.user,
    )
    send_due()
    scheduling.appointment_cancel(appointment=appointment, actor=patient.user, by_patient=True)
    [cancellation] = send_due()
    assert parse(calendar_of(cancellation)).method.value == "CANCEL"
    assert "These times are free now" not in cancellation.body


# --- Time off over booked visits ------------------------------------------------------------------


def test_time_off_over_booked_visits_lists_them_and_one_click_moves_one(
    client, chaska, robin, patient, service
):
    sam = works_tuesdays(chaska, "Sam Physio")
    visit = scheduling.appointment_book(
        patient=patient,
        service=service,
        location=chaska,
        practitioner=robin,
        start=at(TUESDAY, 10),
        intake=patient.intakes.get(),
        booked_by=patient.user,
    )
    send_due()
    manager = make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska])
    admin_login(client, manager)

    saved = client.post(
        reverse("admin:clinic_timeoff_add"),
        {
            "practitioner": robin.pk,
            "start_0": TUESDAY.isoformat(),
            "start_1": "00:00:00",
            "end_0": TUESDAY.isoformat(),
            "end_1": "23:59:00",
            "reason": "Off sick",
        },
    )
    time_off = TimeOff.objects.get(practitioner=robin)
    clashes = reverse("admin:clinic_timeoff_clashes", args=[time_off.pk])
    assert saved.status_code == 302
    assert saved.url == clashes

    page = client.get(clashes).content.decode()
    assert "Tue 09 Mar 2027, 10:00 CST" in page
    assert "Harrier" in page
    # Robin is off: the nearest free times are Sam's, the nearest first in time order.
    buttons = re.findall(r"Move to ([^<]+)</button>", page)
    assert buttons[0] == "Tue 09 Mar, 09:00\N{EN DASH}09:45 with Sam Physio"
    assert all("Robin" not in button for button in buttons)
    assert AccessLog.objects.filter(object_id=str(visit.public_id), actor=manager).exists()

    moved = client.post(
        url("move", visit.public_id),
        {"slot": slot(sam, chaska, at(TUESDAY, 10)), "next": clashes},
    )
    assert moved.status_code == 302
    assert moved.url == clashes
    visit.refresh_from_db()
    assert (visit.practitioner, visit.start) == (sam, at(TUESDAY, 10))
    assert "No booked visit clashes" in client.get(clashes).content.decode()

    [notice] = send_due()
    assert notice.to == [patient.user.email]
    assert "with Sam Physio" in notice.body
    assert int(parse(calendar_of(notice)).vevent.sequence.value) == 1
    assert visit.notifications.filter(kind=NotificationKind.RESCHEDULE).count() == 1


@pytest.mark.parametrize(
    ("kind", "hours", "listed"),
    [
        ("closed", ("", ""), True),
        ("instead", ("13:00", "17:00"), True),  # afternoon only: the 10:00 visit is outside
        ("instead", ("09:00", "12:00"), False),  # the morning still covers it
        ("extra", ("18:00", "20:00"), False),  # the usual week stands
    ],
)
def test_a_changed_day_over_booked_visits_lists_those_it_leaves_without_their_practitioner(
    client, chaska, robin, patient, service, kind, hours, listed
):
    visit = scheduling.appointment_book(
        patient=patient,
        service=service,
        location=chaska,
        practitioner=robin,
        start=at(TUESDAY, 10),
        intake=patient.intakes.get(),
        booked_by=patient.user,
    )
    manager = make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska])
    admin_login(client, manager)

    saved = client.post(
        reverse("admin:clinic_dateoverride_add"),
        {
            "practitioner": robin.pk,
            "date": TUESDAY.isoformat(),
            "kind": kind,
            "location": "" if kind == "closed" else chaska.pk,
            "start_time": hours[0],
            "end_time": hours[1],
            "note": "Covering a course",
        },
    )
    assert saved.status_code == 302
    override = DateOverride.objects.get(practitioner=robin)
    clashes = reverse("admin:clinic_dateoverride_clashes", args=[override.pk])
    assert (saved.url == clashes) is listed
    page = client.get(clashes).content.decode()
    assert ("Tue 09 Mar 2027, 10:00 CST" in page) is listed
    assert (f"/admin/clinic/appointment/{visit.pk}/change/" in page) is listed


def test_time_off_of_another_location_has_no_clash_page_for_me(client, scheduler, delano):
    dale = works_tuesdays(delano, "Dale Physio")
    time_off = TimeOff.objects.create(practitioner=dale, start=at(TUESDAY, 0), end=at(TUESDAY, 23))
    admin_login(client, scheduler)
    response = client.get(reverse("admin:clinic_timeoff_clashes", args=[time_off.pk]))
    assert response.status_code == 404


def test_bad_input_is_a_clear_400_never_a_500(client, scheduler, chaska, robin, patient):
    visit = AppointmentFactory(location=chaska, patient=patient, practitioner=robin)
    admin_login(client, scheduler)
    book = url("book")

    assert client.get(book, {"q": ""}).status_code == 400
    searched = client.get(book, {"patient": patient.public_id, "service": "nope", "days": "x"})
    assert searched.status_code == 400
    assert "Select a valid choice" in searched.content.decode()
    posted = client.post(f"{book}?patient={patient.public_id}", {"slot": "1.2.3"})
    assert posted.status_code == 400
    assert "Nothing was booked" in posted.content.decode()
    assert client.get(url("move", visit.public_id), {"date_from": "31/02"}).status_code == 400
    far = client.get(url("move", visit.public_id), {"date_from": "9999-12-30", "days": 7})
    assert far.status_code == 200
    assert "No free times in these days" in far.content.decode()
    assert not Appointment.objects.exclude(pk=visit.pk).exists()


def test_time_off_added_on_the_practitioners_page_points_to_the_clashing_visits(
    client, chaska, robin, patient
):
    AppointmentFactory(location=chaska, patient=patient, practitioner=robin, start=at(TUESDAY, 10))
    admin_login(client, make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska]))
    change = reverse("admin:clinic_practitioner_change", args=[robin.pk])
    data = {
        "is_active": "on",
        "working_hours-TOTAL_FORMS": "1",
        "working_hours-INITIAL_FORMS": "1",
        "working_hours-0-id": robin.working_hours.get().pk,
        "working_hours-0-practitioner": robin.pk,
        "working_hours-0-location": chaska.pk,
        "working_hours-0-weekday": 1,
        "working_hours-0-start_time": "09:00",
        "working_hours-0-end_time": "13:00",
        "time_off-TOTAL_FORMS": "1",
        "time_off-INITIAL_FORMS": "0",
        "time_off-0-practitioner": robin.pk,
        "time_off-0-start_0": TUESDAY.isoformat(),
        "time_off-0-start_1": "09:30",
        "time_off-0-end_0": TUESDAY.isoformat(),
        "time_off-0-end_1": "12:00",
        "time_off-0-reason": "Course",
    }
    saved = client.post(change, data, follow=True)

    time_off = TimeOff.objects.get(practitioner=robin)
    clashes = reverse("admin:clinic_timeoff_clashes", args=[time_off.pk])
    assert f'<a href="{clashes}">move or cancel them</a>' in saved.content.decode()


def test_a_second_visit_for_a_booked_patient_is_a_follow_up_outside_the_intake(
    client, scheduler, chaska, robin, patient, service
):
    admin_login(client, scheduler)
    assert book_for(client, patient, robin, chaska, at(TUESDAY, 9), service).status_code == 302
    assert book_for(client, patient, robin, chaska, at(NEXT_TUESDAY, 9), service).status_code == 302

    first, follow_up = Appointment.objects.filter(patient=patient).order_by("start")
    assert first.intake == patient.intakes.get()
    assert follow_up.intake is None
    assert follow_up.start == at(NEXT_TUESDAY, 9)


def test_a_visits_page_offers_move_and_cancel_only_to_those_who_may(
    client, scheduler, chaska, robin, patient
):
    visit = AppointmentFactory(location=chaska, patient=patient, practitioner=robin)
    done = AppointmentFactory(
        location=chaska, patient=patient, practitioner=robin, status=AppointmentStatus.COMPLETED
    )
    move, cancel = url("move", visit.public_id), url("cancel", visit.public_id)

    admin_login(client, scheduler)
    page = client.get(url("change", visit.pk)).content.decode()
    assert f'href="{move}"' in page
    assert f'href="{cancel}"' in page
    assert url("move", done.public_id) not in client.get(url("change", done.pk)).content.decode()

    admin_login(client, make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[chaska]))
    page = client.get(url("change", visit.pk)).content.decode()
    assert move not in page
    assert cancel not in page
