"""The waitlist: a freed time is held for the patient waiting longest, then passed on in turn."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import TestCase
from django.urls import reverse

from clinic import messages, tasks
from clinic.models import (
    Appointment,
    DateOverride,
    Notification,
    NotificationKind,
    WaitlistEntry,
    WaitlistOffer,
)
from clinic.scheduling import (
    NotAllowed,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    available_slots,
    offer_accept,
    time_freed,
    waitlist_join,
)
from clinic.scheduling.waitlist import hours_added
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    StaffFactory,
    WorkingHoursFactory,
    make_intake,
)

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 2, 23, 8, 0, tzinfo=CHICAGO)  # Monday 08:00 CST
TUESDAY = dt.date(2026, 3, 3)
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}
HOLD = dt.timedelta(minutes=120)
State = WaitlistOffer.State


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


def committed():
    """Freed times are offered once the change that freed them commits. The test's transaction
    never commits: run those callbacks when the change is done, as a commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def at(hour: int, day=TUESDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), CHICAGO)


@pytest.fixture
def location():
    return LocationFactory(name="Shakopee")


@pytest.fixture
def practitioner(location):
    practitioner = PractitionerFactory(locations=[location], display_name="Robin Physio")
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(11),
    )
    return practitioner


def waiting_patient(location, *locations, wait_until=None):
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)
    entry = waitlist_join(
        patient=patient,
        intake=intake,
        service=ServiceFactory(),
        locations=locations or [location],
        wait_until=wait_until,
    )
    return patient, intake, entry


def book(patient, intake, location, practitioner, start):
    return appointment_book(
        patient=patient,
        intake=intake,
        service=ServiceFactory(),
        location=location,
        practitioner=practitioner,
        start=start,
        booked_by=patient.user,
    )


def booked_appointment(location, practitioner, start):
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)
    return book(patient, intake, location, practitioner, start)


def cancel(appointment):
    with committed():
        appointment_cancel(appointment=appointment, actor=appointment.patient.user, by_patient=True)


def offer_messages():
    return Notification.objects.filter(kind=NotificationKind.WAITLIST_HOLD).order_by("id")


def accept_path(notification) -> str:
    url = re.search(r"https?://\S+/waitlist/offers/\S+/", messages.render(notification).text)
    return url.group(0).split("testserver", 1)[-1].split("8000", 1)[-1]


def free_times(location):
    slots = available_slots(
        service=ServiceFactory(), locations=[location], date_from=TUESDAY, date_to=TUESDAY
    )
    return [f"{slot.local_start:%H:%M}" for slot in slots]


def test_joining_twice_keeps_one_open_entry_with_the_latest_locations(location):
    other = LocationFactory()
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient, **PHYSIO_ANSWERS)

    first = waitlist_join(
        patient=patient, intake=intake, service=ServiceFactory(), locations=[location]
    )
    again = waitlist_join(
        patient=patient, intake=intake, service=ServiceFactory(), locations=[location, other]
    )

    assert first.pk == again.pk
    assert WaitlistEntry.objects.count() == 1
    assert set(again.locations.all()) == {location, other}
    # By default a patient waits as far ahead as anyone can book.
    assert again.wait_until == NOW.astimezone(dt.UTC) + dt.timedelta(days=90)


def test_only_patients_who_could_book_online_may_wait(location):
    patient = PatientFactory()
    self_care = make_intake(location=location, patient=patient)
    emergency = make_intake(location=location, patient=patient, bladder_bowel_change=True)

    for intake in (self_care, emergency):
        with pytest.raises(NotAllowed):
            waitlist_join(
                patient=patient, intake=intake, service=ServiceFactory(), locations=[location]
            )
    with pytest.raises(NotAllowed, match="at least one clinic"):
        waitlist_join(
            patient=patient,
            intake=make_intake(location=location, patient=patient, **PHYSIO_ANSWERS),
            service=ServiceFactory(),
            locations=[],
        )
    assert not WaitlistEntry.objects.exists()


def test_a_cancelled_time_is_held_for_the_patient_waiting_longest(location, practitioner, clock):
    appointment = booked_appointment(location, practitioner, at(10))
    first, _, first_entry = waiting_patient(location)
    clock.shift(dt.timedelta(minutes=5))
    second, second_intake, _ = waiting_patient(location)

    cancel(appointment)

    offer = WaitlistOffer.objects.get()
    assert (offer.entry, offer.state, offer.start) == (first_entry, State.HELD, appointment.start)
    assert offer.expires_at == NOW + dt.timedelta(minutes=5) + HOLD
    message = offer_messages().get()
    assert message.recipient == first.email
    assert message.appointment is None  # the cancelled appointment is someone else's
    text = messages.render(message)
    assert "Tuesday, March 3, 10:00 AM CST at Shakopee with Robin Physio" in text.text
    assert "until 10:05 AM CST" in text.text
    assert "Physiotherapy assessment" in text.subject
    assert appointment.patient.last_name not in text.text
    # While held, nobody else is offered or can book the time.
    assert free_times(location) == ["09:00"]
    with pytest.raises(NotAllowed, match="not offered"):
        book(second, second_intake, location, practitioner, at(10))


def test_a_cancelled_time_passes_to_the_next_patient_when_the_hold_runs_out(
    location, practitioner, clock, client
):
    appointment = booked_appointment(location, practitioner, at(10))
    first, _, first_entry = waiting_patient(location)
    clock.shift(dt.timedelta(minutes=5))
    second, second_intake, second_entry = waiting_patient(location)
    cancel(appointment)
    first_message = offer_messages().get()

    # The first patient lets the hold run out; beat's next run passes the time on.
    clock.shift(HOLD - dt.timedelta(minutes=1))
    assert tasks.pass_on_waitlist_holds() == 0
    clock.shift(dt.timedelta(minutes=2))
    assert tasks.pass_on_waitlist_holds() == 1

    first_offer, second_offer = WaitlistOffer.objects.order_by("id")
    assert (first_offer.entry, first_offer.state) == (first_entry, State.EXPIRED)
    assert (second_offer.entry, second_offer.state) == (second_entry, State.HELD)
    second_message = offer_messages().last()
    assert second_message.recipient == second.email

    # The first patient's link now says the offer has ended; the second's books the time.
    client.force_login(first.user)
    late = client.post(accept_path(first_message))
    assert late.status_code == 409
    assert "this offer has ended" in late.content.decode()

    client.force_login(second.user)
    page = client.get(accept_path(second_message))
    assert page.status_code == 200
    assert "Book this time" in page.content.decode()
    assert not Appointment.objects.filter(patient=second).exists()  # a GET books nothing
    booked = client.post(accept_path(second_message))
    appointment = Appointment.objects.get(patient=second, status="booked")
    assert booked.url == reverse("patients:appointment", args=[appointment.public_id])
    assert appointment.start == at(10)
    assert appointment.intake == second_intake
    second_offer.refresh_from_db()
    second_entry.refresh_from_db()
    assert (second_offer.state, second_offer.appointment) == (State.ACCEPTED, appointment)
    assert second_entry.fulfilled_at is not None
    first_entry.refresh_from_db()
    assert first_entry.fulfilled_at is None  # still waiting for another time
    assert Notification.objects.filter(
        appointment=appointment, kind=NotificationKind.BOOKING_CONFIRMATION
    ).exists()


def test_another_patient_cannot_open_or_take_an_offer(location, practitioner, client):
    appointment = booked_appointment(location, practitioner, at(10))
    waiting_patient(location)
    cancel(appointment)
    path = accept_path(offer_messages().get())
    stranger = PatientFactory()

    client.force_login(stranger.user)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert client.get(path[:-3] + "xx/").status_code == 404  # a forged link
    assert not Appointment.objects.filter(status="booked").exists()
    with pytest.raises(NotAllowed, match="another account"):
        offer_accept(offer=WaitlistOffer.objects.get(), user=stranger.user)


def test_a_moved_appointment_frees_its_old_time_for_the_waitlist(location, practitioner):
    appointment = booked_appointment(location, practitioner, at(10))
    _, _, entry = waiting_patient(location)

    with committed():
        appointment_reschedule(
            appointment=appointment, actor=StaffFactory(), start=at(9), by_patient=False
        )

    offer = WaitlistOffer.objects.get()
    assert (offer.entry, offer.start) == (entry, at(10))


def test_new_hours_are_offered_in_turn_one_time_each(location, practitioner):
    entries = [waiting_patient(location)[2] for _ in range(3)]
    extra = DateOverride.objects.create(
        practitioner=practitioner,
        date=TUESDAY,
        kind=DateOverride.Kind.EXTRA,
        location=location,
        start_time=dt.time(14),
        end_time=dt.time(16),
    )

    with committed():
        hours_added(override=extra)

    held = WaitlistOffer.objects.order_by("start")
    assert [(offer.entry, offer.start) for offer in held] == [
        (entries[0], at(14)),
        (entries[1], at(15)),
    ]
    assert offer_messages().count() == 2


def test_an_entry_stops_at_its_own_end_and_its_hold_never_outlasts_it(
    location, practitioner, clock
):
    appointment = booked_appointment(location, practitioner, at(10))
    _, _, ended = waiting_patient(location, wait_until=NOW + dt.timedelta(minutes=30))
    _, _, short = waiting_patient(location, wait_until=NOW + dt.timedelta(minutes=150))
    clock.shift(dt.timedelta(hours=1))

    cancel(appointment)

    offer = WaitlistOffer.objects.get()
    assert offer.entry == short
    # Held from 09:00 for two hours would be 11:00: it stops when the patient stops waiting.
    assert offer.expires_at == NOW + dt.timedelta(minutes=150)
    assert not ended.offers.exists()


def test_a_freed_time_too_close_to_offer_is_not_offered(location, practitioner, clock):
    appointment = booked_appointment(location, practitioner, at(10))
    waiting_patient(location)
    clock.move_to(at(10) - dt.timedelta(hours=1))  # inside the two-hour minimum notice

    with committed():
        appointment_cancel(appointment=appointment, actor=StaffFactory(), by_patient=False)

    assert not WaitlistOffer.objects.exists()
    assert not offer_messages().exists()


def test_nobody_waiting_for_that_location_gets_no_offer(location, practitioner):
    appointment = booked_appointment(location, practitioner, at(10))
    waiting_patient(location, LocationFactory())  # waits elsewhere only

    cancel(appointment)

    assert not WaitlistOffer.objects.exists()


def test_a_holder_who_books_another_time_releases_the_hold_to_the_next(
    location, practitioner, clock
):
    appointment = booked_appointment(location, practitioner, at(10))
    holder, holder_intake, _ = waiting_patient(location)
    clock.shift(dt.timedelta(minutes=1))
    _, _, next_entry = waiting_patient(location)
    cancel(appointment)

    book(holder, holder_intake, location, practitioner, at(9))
    assert tasks.pass_on_waitlist_holds() == 1

    released, passed = WaitlistOffer.objects.order_by("id")
    assert released.state == State.RELEASED
    assert (passed.entry, passed.state, passed.start) == (next_entry, State.HELD, at(10))


def test_time_freed_waits_for_the_commit(
    location, practitioner, django_capture_on_commit_callbacks
):
    waiting_patient(location)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        time_freed(practitioner=practitioner, location=location, start=at(9), end=at(11))
    assert not WaitlistOffer.objects.exists()  # nothing offered for a change not committed
    for callback in callbacks:
        callback()
    assert WaitlistOffer.objects.count() == 1
