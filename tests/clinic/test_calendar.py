"""Calendar files follow RFC 5545, read back by parsers that are not the one that wrote them
(vobject for the file, dateutil's tzical for its VTIMEZONE): every TZID has its VTIMEZONE, the
time is the clinic's on either side of a DST change, and a move or a cancellation updates the
same event instead of adding one."""

import datetime as dt
import io
import re

import pytest
import time_machine
import vobject
from dateutil import tz

from clinic import calendar
from clinic.models import AppointmentEvent, AppointmentStatus
from tests.factories import AppointmentFactory, LocationFactory

pytestmark = pytest.mark.django_db


def parse(ics: bytes):
    return vobject.readOne(ics.decode())


def tzids_used(ics: bytes) -> set[str]:
    return set(re.findall(r";TZID=([^:;]+)", ics.decode()))


def start_in_utc(ics: bytes) -> dt.datetime:
    """DTSTART resolved with nothing but the file's own VTIMEZONE, as a calendar app must."""
    text = ics.decode()
    zone_text = text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE") + 13]
    zone = tz.tzical(io.StringIO(zone_text)).get()
    local = parse(ics).vevent.dtstart.value.replace(tzinfo=None)
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def appointment_at(start: dt.datetime, **fields):
    appointment = AppointmentFactory(start=start, location=LocationFactory(), **fields)
    AppointmentEvent.objects.create(appointment=appointment, kind=AppointmentEvent.Kind.BOOKED)
    return appointment


@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2027, 1, 12, 15, 0, tzinfo=dt.UTC),  # 09:00 CST
        dt.datetime(2027, 3, 15, 14, 0, tzinfo=dt.UTC),  # 09:00 CDT, the day after spring forward
        dt.datetime(2027, 11, 8, 15, 0, tzinfo=dt.UTC),  # 09:00 CST, the day after fall back
    ],
)
def test_another_parser_reads_the_clinics_local_time_from_the_files_own_time_zone(start):
    appointment = appointment_at(start)
    ics = calendar.ics_for(appointment)

    assert tzids_used(ics) == {"America/Chicago"}
    assert parse(ics).vevent.dtstart.value.hour == 9
    assert start_in_utc(ics) == start


def test_every_tzid_in_the_file_has_a_vtimezone():
    ics = calendar.ics_for(appointment_at(dt.datetime(2027, 6, 1, 14, 0, tzinfo=dt.UTC)))
    defined = {component.tzid.value for component in parse(ics).vtimezone_list}
    assert tzids_used(ics)
    assert tzids_used(ics) <= defined


def test_a_booked_appointment_is_a_request_to_the_patient_with_sequence_zero():
    appointment = appointment_at(dt.datetime(2027, 6, 1, 14, 0, tzinfo=dt.UTC))
    parsed = parse(calendar.ics_for(appointment))
    assert parsed.method.value == "REQUEST"
    assert parsed.vevent.sequence.value == "0"
    assert parsed.vevent.status.value == "CONFIRMED"
    assert parsed.vevent.attendee.value == f"mailto:{appointment.patient.user.email}"
    assert parsed.vevent.organizer.value.startswith("mailto:")


def test_a_move_keeps_the_uid_and_raises_the_sequence_so_the_phone_replaces_the_old_time():
    appointment = appointment_at(dt.datetime(2027, 6, 1, 14, 0, tzinfo=dt.UTC))
    before = parse(calendar.ics_for(appointment)).vevent
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        previous_start=appointment.start,
    )
    appointment.start += dt.timedelta(days=1)
    appointment.end += dt.timedelta(days=1)

    moved = calendar.ics_for(appointment)
    after = parse(moved).vevent
    assert after.uid.value == before.uid.value
    assert int(after.sequence.value) == int(before.sequence.value) + 1
    assert start_in_utc(moved) == appointment.start


def test_a_cancellation_is_a_cancel_of_the_same_event_with_a_higher_sequence():
    appointment = appointment_at(dt.datetime(2027, 6, 1, 14, 0, tzinfo=dt.UTC))
    booked = parse(calendar.ics_for(appointment)).vevent
    AppointmentEvent.objects.create(appointment=appointment, kind=AppointmentEvent.Kind.CANCELLED)
    appointment.status = AppointmentStatus.CANCELLED

    parsed = parse(calendar.ics_for(appointment))
    assert parsed.method.value == "CANCEL"
    assert parsed.vevent.status.value == "CANCELLED"
    assert parsed.vevent.uid.value == booked.uid.value
    assert int(parsed.vevent.sequence.value) > int(booked.sequence.value)


def test_the_stamp_is_the_time_the_file_was_made():
    appointment = appointment_at(dt.datetime(2027, 6, 1, 14, 0, tzinfo=dt.UTC))
    made = dt.datetime(2027, 5, 20, 12, 30, tzinfo=dt.UTC)
    with time_machine.travel(made, tick=False):
        parsed = parse(calendar.ics_for(appointment))
    assert parsed.vevent.dtstamp.value == made
