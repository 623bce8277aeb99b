"""A patient books, sees, moves and cancels a physiotherapy assessment through the pages."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from clinic import links, scheduling
from clinic.models import Appointment, Notification, NotificationKind, TimeOff, WaitlistEntry
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)

pytestmark = pytest.mark.django_db

# Monday 23 November 2026, 8:00 in Minnesota (CST, UTC-6).
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
PHYSIO = {"sbst_1": True, "sbst_2": True, "sbst_3": True, "sbst_4": True}  # medium SBST risk


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def clinic():
    location = LocationFactory(name="Shakopee", slug="shakopee")
    practitioner = PractitionerFactory(display_name="Robin Physio", locations=[location])
    for weekday in range(6):
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    ServiceFactory()  # physiotherapy assessment, 45 min + 15 min buffer, bookable online
    return location, practitioner


@pytest.fixture
def patient(client):
    patient = PatientFactory(first_name="Riley")
    client.force_login(patient.user)
    return patient


def physio_intake(location, patient):
    return make_intake(location=location, patient=patient, **PHYSIO)


def first_offered_slot(client, intake, day=None):
    query = {"location": intake.preferred_location.slug, "date": day} if day else {}
    response = client.get(reverse("patients:book", args=[intake.public_id]), query)
    keys = re.findall(r'name="slot" id="[^"]+" value="([^"]+)"', response.content.decode())
    assert keys, "no time offered"
    return response, keys[0]


def test_a_patient_books_an_assessment_and_sees_it_in_local_time(client, clinic, patient):
    location, _ = clinic
    intake = physio_intake(location, patient)

    page, key = first_offered_slot(client, intake)
    assert "CST" in page.content.decode()  # the zone is shown with the times
    confirm_url = reverse("patients:book_confirm", args=[intake.public_id])
    assert client.get(confirm_url, {"slot": key}).status_code == 200
    response = client.post(confirm_url, {"slot": key})

    appointment = Appointment.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:appointment", args=[appointment.public_id])
    # 10:00 local is the first slot at least two hours after 8:00; stored in UTC.
    assert appointment.start == dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
    detail = client.get(response["Location"]).content.decode()
    assert "Monday, November 23, 2026, 10:00 AM CST" in detail
    assert Notification.objects.filter(
        appointment=appointment, kind=NotificationKind.BOOKING_CONFIRMATION
    ).exists()


def test_the_calendar_file_has_the_clinics_local_time(client, clinic, patient):
    location, _ = clinic
    intake = physio_intake(location, patient)
    _, key = first_offered_slot(client, intake)
    client.post(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})
    appointment = Appointment.objects.get(patient=patient)

    response = client.get(reverse("patients:appointment_ics", args=[appointment.public_id]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    assert "DTSTART;TZID=America/Chicago:20261123T100000" in body
    assert "Shakopee" in body


def test_a_slot_taken_between_choosing_and_confirming_offers_three_alternatives(
    client, clinic, patient
):
    location, practitioner = clinic
    intake = physio_intake(location, patient)
    _, key = first_offered_slot(client, intake)
    rival = PatientFactory()
    rival_intake = physio_intake(location, rival)
    slot = scheduling.available_slots(
        service=ServiceFactory(), locations=[location], date_from=NOW.date(), date_to=NOW.date()
    )[0]
    assert scheduling.slot_key(slot) == key
    scheduling.appointment_book(
        patient=rival,
        service=ServiceFactory(),
        location=location,
        practitioner=practitioner,
        start=slot.start,
        intake=rival_intake,
        booked_by=rival.user,
    )

    response = client.post(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})

    assert response.status_code == 409
    html = response.content.decode()
    assert "someone booked that time a moment ago" in html
    assert html.count("?slot=") == 3
    assert not Appointment.objects.filter(patient=patient).exists()


def test_an_imaging_care_plan_is_not_booked_online(client, clinic, patient):
    location, _ = clinic
    intake = make_intake(location=location, patient=patient, cancer_history=True)  # R6 imaging
    response = client.get(reverse("patients:book", args=[intake.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("triage:result", args=[intake.public_id])


def test_a_tampered_slot_value_gets_a_message_not_an_error(client, clinic, patient):
    location, _ = clinic
    intake = physio_intake(location, patient)
    url = reverse("patients:book_confirm", args=[intake.public_id])
    for value in ["", "x", "1.2.3", "99999.1.20261123T160000Z", "1.1.29991399T999999Z"]:
        response = client.post(url, {"slot": value})
        assert response.status_code in (302, 404), value
    assert not Appointment.objects.exists()


def test_signing_in_is_required_to_book(client, clinic):
    location, _ = clinic
    intake = make_intake(location=location, **PHYSIO)
    response = client.get(reverse("patients:book", args=[intake.public_id]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def book_first_slot(client, location, patient, day=None):
    intake = physio_intake(location, patient)
    _, key = first_offered_slot(client, intake, day)
    client.post(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})
    return Appointment.objects.get(patient=patient, intake=intake)


def book_three_days_ahead(client, location, patient):
    """More than a day away, so the patient may still change it online."""
    return book_first_slot(client, location, patient, day="2026-11-26")


def test_a_patient_cancels_from_my_appointments(client, clinic, patient):
    location, _ = clinic
    appointment = book_three_days_ahead(client, location, patient)
    dashboard = client.get(reverse("patients:dashboard")).content.decode()
    assert reverse("patients:appointment", args=[appointment.public_id]) in dashboard

    response = client.post(
        reverse("patients:appointment_cancel", args=[appointment.public_id]), {"reason": "Better"}
    )

    appointment.refresh_from_db()
    assert response.status_code == 302
    assert appointment.status == Appointment.Status.CANCELLED
    assert Notification.objects.filter(
        appointment=appointment, kind=NotificationKind.CANCELLATION
    ).exists()
    dashboard = client.get(reverse("patients:dashboard")).content.decode()
    assert "No upcoming appointments" in dashboard


def test_within_a_day_of_the_visit_the_patient_is_told_to_call(client, clinic, patient):
    location, _ = clinic
    appointment = book_first_slot(client, location, patient)  # today, in a few hours
    page = client.get(reverse("patients:appointment", args=[appointment.public_id]))
    assert "can no longer be changed online" in page.content.decode()
    client.post(reverse("patients:appointment_cancel", args=[appointment.public_id]))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_the_signed_link_in_an_email_cancels_without_signing_in(client, clinic, patient):
    location, _ = clinic
    appointment = book_three_days_ahead(client, location, patient)
    client.logout()
    url = reverse("patients:appointment_manage_link", args=[links.manage_token(appointment)])

    assert client.get(url).status_code == 200
    client.post(url, {"action": "cancel"})

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED


def test_an_altered_or_expired_link_is_refused(client, clinic, patient):
    location, _ = clinic
    appointment = book_first_slot(client, location, patient)
    token = links.manage_token(appointment)
    client.logout()
    altered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    assert (
        client.get(reverse("patients:appointment_manage_link", args=[altered])).status_code == 404
    )
    with time_machine.travel(NOW + links.MAX_AGE + dt.timedelta(days=1)):
        url = reverse("patients:appointment_manage_link", args=[token])
        assert client.get(url).status_code == 404


def test_rescheduling_moves_the_same_appointment_and_keeps_history(client, clinic, patient):
    location, _ = clinic
    appointment = book_three_days_ahead(client, location, patient)
    old_start = appointment.start
    url = reverse("patients:appointment_reschedule", args=[appointment.public_id])
    page = client.get(url, {"location": "shakopee", "date": "2026-11-25"}).content.decode()
    keys = re.findall(r'name="slot" id="[^"]+" value="([^"]+)"', page)

    client.post(url, {"slot": keys[0]})

    moved = Appointment.objects.get(public_id=appointment.public_id)
    assert moved.start != old_start
    assert moved.start.astimezone(location.zone).date() == dt.date(2026, 11, 25)
    assert moved.events.filter(kind="rescheduled", previous_start=old_start).exists()


def test_a_patient_joins_the_waiting_list(client, clinic, patient):
    location, _ = clinic
    intake = physio_intake(location, patient)
    response = client.post(
        reverse("patients:waitlist_join", args=[intake.public_id]), {"locations": ["shakopee"]}
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    assert list(entry.locations.values_list("slug", flat=True)) == ["shakopee"]


def test_the_page_says_when_nothing_fits_the_target_window(client, patient):
    location = LocationFactory(slug="delano")
    practitioner = PractitionerFactory(locations=[location])
    ServiceFactory()
    for weekday in range(5):
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    # Away for 50 days: beyond the 42-day target of a routine physiotherapy plan.
    TimeOff.objects.create(
        practitioner=practitioner, start=NOW, end=NOW + dt.timedelta(days=50), reason="Leave"
    )
    intake = physio_intake(location, patient)
    page = client.get(reverse("patients:book", args=[intake.public_id])).content.decode()
    assert "No time at this clinic falls within our target" in page


def test_a_freed_time_held_for_the_waiting_list_is_booked_from_the_offer_link(
    client, clinic, patient
):
    location, _ = clinic
    appointment = book_three_days_ahead(client, location, patient)
    waiting = PatientFactory()
    waiting_intake = physio_intake(location, waiting)
    scheduling.waitlist_join(
        patient=waiting, intake=waiting_intake, service=ServiceFactory(), locations=[location]
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        scheduling.appointment_cancel(appointment=appointment, actor=patient.user, by_patient=True)
    offer = Notification.objects.get(kind=NotificationKind.WAITLIST_HOLD)
    path = offer.context["accept_url"].removeprefix(settings.SITE_URL)

    client.force_login(waiting.user)
    response = client.post(path)

    booked = Appointment.objects.get(patient=waiting)
    assert response.status_code == 302
    assert booked.start == appointment.start
    assert WaitlistEntry.objects.get(patient=waiting).fulfilled_at is not None


def test_each_time_shows_who_it_is_with_so_same_times_look_different(client, clinic, patient):
    location, _ = clinic
    second = PractitionerFactory(display_name="Ada Lee", locations=[location])
    for weekday in range(6):
        WorkingHoursFactory(practitioner=second, location=location, weekday=weekday)
    intake = physio_intake(location, patient)

    page = client.get(reverse("patients:book", args=[intake.public_id])).content.decode()
    first_day = page.split("<fieldset", 2)[1]
    labels = [
        " ".join(re.sub(r"<[^>]+>", " ", label).split())
        for label in re.findall(r"<label[^>]*>(.*?)</label>", first_day, re.S)
    ]
    # Visible text, not a screen-reader-only hint: sighted patients read it too.
    assert "visually-hidden" not in first_day
    assert "10:00 AM with Ada Lee" in labels
    assert "10:00 AM with Robin Physio" in labels
    assert len(labels) == len(set(labels))
