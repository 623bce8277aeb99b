"""Free times: working hours in local time, buffers, bookings, time off, notice and horizon."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic.models import AppointmentStatus, DateOverride, Discipline, TimeOff
from clinic.scheduling import (
    available_slots,
    nearest_alternatives,
    offers_for_intake,
    target_window_end,
    window_end_for,
)
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=CHICAGO)  # Monday 08:00 CST (14:00 UTC)
MONDAY = dt.date(2026, 3, 2)
TUESDAY = dt.date(2026, 3, 3)
WEDNESDAY = dt.date(2026, 3, 4)


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


def local_times(slots) -> list[str]:
    return [f"{s.local_start:%a %H:%M}" for s in slots]


def physio_at(location, *, weekday=1, start=(9, 0), end=(12, 0), **kwargs):
    practitioner = PractitionerFactory(locations=[location], **kwargs)
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=weekday,
        start_time=dt.time(*start),
        end_time=dt.time(*end),
    )
    return practitioner


def tuesday_slots(service, **kwargs):
    return available_slots(service=service, date_from=TUESDAY, date_to=TUESDAY, **kwargs)


def test_slots_start_at_opening_and_step_by_duration_plus_buffer():
    location = LocationFactory()
    practitioner = physio_at(location, display_name="Robin Physio")
    service = ServiceFactory()  # 45 min + 15 min buffer

    slots = tuesday_slots(service, locations=[location])

    assert local_times(slots) == ["Tue 09:00", "Tue 10:00", "Tue 11:00"]
    first = slots[0]
    assert first.start == dt.datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # 09:00 CST
    assert first.start.utcoffset() == dt.timedelta(0)
    assert first.end - first.start == dt.timedelta(minutes=45)
    assert first.practitioner_id == practitioner.pk
    assert first.practitioner_name == "Robin Physio"
    assert (first.location_id, first.location_slug, first.location_name) == (
        location.pk,
        location.slug,
        location.name,
    )
    assert first.service_slug == service.slug
    assert first.local_start.tzinfo == CHICAGO


def test_a_slot_whose_buffer_would_run_past_closing_is_not_offered():
    location = LocationFactory()
    physio_at(location, start=(9, 0), end=(11, 50))

    slots = tuesday_slots(ServiceFactory(), locations=[location])

    # 10:00-10:45 plus its 15-minute buffer ends 11:00; 11:00 would need until 12:00.
    assert local_times(slots) == ["Tue 09:00", "Tue 10:00"]


def test_a_bookings_buffer_blocks_the_practitioner_as_much_as_the_booking():
    location = LocationFactory()
    practitioner = physio_at(location, start=(9, 0), end=(13, 0))
    service = ServiceFactory()
    short = ServiceFactory(
        slug="review", name="Review", duration_minutes=20, buffer_after_minutes=10
    )
    AppointmentFactory(
        practitioner=practitioner,
        location=location,
        service=short,
        start=at(TUESDAY, 9, 40),  # 09:40-10:00, then its buffer until 10:10
    )

    slots = tuesday_slots(service, locations=[location])

    # 10:00 would overlap only the buffer: still not offered.
    assert local_times(slots) == ["Tue 11:00", "Tue 12:00"]


def test_the_slot_right_after_a_booking_and_its_buffer_is_offered():
    location = LocationFactory()
    practitioner = physio_at(location, start=(9, 0), end=(12, 0))
    service = ServiceFactory()
    AppointmentFactory(
        practitioner=practitioner, location=location, service=service, start=at(TUESDAY, 9)
    )

    assert local_times(tuesday_slots(service, locations=[location])) == ["Tue 10:00", "Tue 11:00"]


def test_cancelled_appointments_free_their_time():
    location = LocationFactory()
    practitioner = physio_at(location)
    service = ServiceFactory()
    AppointmentFactory(
        practitioner=practitioner,
        location=location,
        service=service,
        start=at(TUESDAY, 9),
        status=AppointmentStatus.CANCELLED,
    )

    assert local_times(tuesday_slots(service, locations=[location]))[0] == "Tue 09:00"


def test_a_booking_at_another_location_blocks_the_practitioner_here_too():
    here, there = LocationFactory(), LocationFactory()
    practitioner = physio_at(here)
    service = ServiceFactory()
    AppointmentFactory(
        practitioner=practitioner, location=there, service=service, start=at(TUESDAY, 10)
    )

    assert local_times(tuesday_slots(service, locations=[here])) == ["Tue 09:00", "Tue 11:00"]


def test_time_off_removes_the_slots_it_touches():
    location = LocationFactory()
    practitioner = physio_at(location, start=(9, 0), end=(13, 0))
    TimeOff.objects.create(
        practitioner=practitioner, start=at(TUESDAY, 10, 30), end=at(TUESDAY, 11, 5)
    )

    slots = tuesday_slots(ServiceFactory(), locations=[location])

    assert local_times(slots) == ["Tue 09:00", "Tue 12:00"]


def test_time_off_ending_a_second_into_a_slot_still_removes_it():
    location = LocationFactory()
    practitioner = physio_at(location, start=(9, 0), end=(13, 0))
    TimeOff.objects.create(
        practitioner=practitioner,
        start=at(TUESDAY, 8, 0),
        end=at(TUESDAY, 12, 0) + dt.timedelta(seconds=1),
    )

    slots = tuesday_slots(ServiceFactory(), locations=[location])

    assert local_times(slots) == []


def test_time_off_for_whole_days_removes_those_days():
    location = LocationFactory()
    practitioner = physio_at(location)
    TimeOff.objects.create(practitioner=practitioner, start=at(TUESDAY, 0), end=at(TUESDAY, 23, 59))

    assert tuesday_slots(ServiceFactory(), locations=[location]) == []


def test_nothing_is_offered_sooner_than_the_minimum_notice(clock):
    location = LocationFactory()
    physio_at(location, weekday=0, start=(9, 0), end=(12, 0))  # Monday, today
    clock.move_to(at(MONDAY, 8, 0))

    slots = available_slots(service=ServiceFactory(), date_from=MONDAY, date_to=MONDAY)

    # Two hours' notice: 09:00 is too soon, 10:00 is exactly two hours away and is offered.
    assert local_times(slots) == ["Mon 10:00", "Mon 11:00"]


def test_nothing_is_offered_beyond_the_booking_horizon():
    location = LocationFactory()
    physio_at(location)  # every Tuesday

    slots = available_slots(
        service=ServiceFactory(),
        date_from=MONDAY,
        date_to=MONDAY + dt.timedelta(days=200),
    )

    horizon = NOW + dt.timedelta(days=90)
    assert slots
    assert max(s.start for s in slots) <= horizon
    assert max(s.start for s in slots) > horizon - dt.timedelta(days=7)  # the last Tuesday is in


def test_practitioners_of_another_discipline_or_inactive_ones_are_not_offered():
    location = LocationFactory()
    physio = physio_at(location)
    physio_at(location, discipline=Discipline.IMAGING)
    physio_at(location, is_active=False)

    slots = tuesday_slots(ServiceFactory(), locations=[location])

    assert {s.practitioner_id for s in slots} == {physio.pk}


def test_several_blocks_in_one_day_each_get_their_own_grid():
    location = LocationFactory()
    practitioner = physio_at(location, start=(9, 0), end=(11, 0))
    WorkingHoursFactory(
        practitioner=practitioner,
        location=location,
        weekday=1,
        start_time=dt.time(13, 30),
        end_time=dt.time(15, 30),
    )

    slots = tuesday_slots(ServiceFactory(), locations=[location])

    assert local_times(slots) == ["Tue 09:00", "Tue 10:00", "Tue 13:30", "Tue 14:30"]


def test_a_practitioner_working_at_two_locations_is_offered_at_each_on_its_own_days():
    north, south = LocationFactory(name="North"), LocationFactory(name="South")
    practitioner = PractitionerFactory(locations=[north, south])
    WorkingHoursFactory(
        practitioner=practitioner,
        location=north,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(10),
    )
    WorkingHoursFactory(
        practitioner=practitioner,
        location=south,
        weekday=2,
        start_time=dt.time(14),
        end_time=dt.time(15),
    )
    service = ServiceFactory()

    both = available_slots(service=service, date_from=TUESDAY, date_to=WEDNESDAY)
    north_only = available_slots(
        service=service, locations=[north], date_from=TUESDAY, date_to=WEDNESDAY
    )

    assert [(f"{s.local_start:%a %H:%M}", s.location_name) for s in both] == [
        ("Tue 09:00", "North"),
        ("Wed 14:00", "South"),
    ]
    assert [s.location_name for s in north_only] == ["North"]


def test_one_practitioner_can_be_asked_for():
    location = LocationFactory()
    wanted = physio_at(location)
    physio_at(location)

    slots = tuesday_slots(ServiceFactory(), practitioner=wanted)

    assert {s.practitioner_id for s in slots} == {wanted.pk}
    assert len(slots) == 3


def test_slots_are_in_time_order_across_practitioners():
    location = LocationFactory()
    physio_at(location, start=(10, 0), end=(12, 0), display_name="Bea")
    physio_at(location, start=(9, 30), end=(11, 30), display_name="Ash")

    slots = tuesday_slots(ServiceFactory(), locations=[location])

    assert [(f"{s.local_start:%H:%M}", s.practitioner_name) for s in slots] == [
        ("09:30", "Ash"),
        ("10:00", "Bea"),
        ("10:30", "Ash"),
        ("11:00", "Bea"),
    ]


def test_window_end_drops_later_slots():
    location = LocationFactory()
    physio_at(location)

    slots = tuesday_slots(ServiceFactory(), window_end=at(TUESDAY, 10))

    assert local_times(slots) == ["Tue 09:00", "Tue 10:00"]


@pytest.mark.parametrize("practitioners", [1, 30])
def test_availability_takes_one_query_whatever_the_number_of_practitioners(
    practitioners, django_assert_num_queries
):
    locations = [LocationFactory(), LocationFactory()]
    service = ServiceFactory()
    for n in range(practitioners):
        location = locations[n % 2]
        practitioner = physio_at(location, weekday=n % 5)
        AppointmentFactory(
            practitioner=practitioner, location=location, service=service, start=at(TUESDAY, 9)
        )
        TimeOff.objects.create(
            practitioner=practitioner, start=at(WEDNESDAY, 0), end=at(WEDNESDAY, 12)
        )
        # A one-off day at the other site and a closed day, every practitioner.
        DateOverride.objects.create(
            practitioner=practitioner,
            date=MONDAY + dt.timedelta(days=7 + n % 5),
            kind=DateOverride.Kind.INSTEAD,
            location=locations[(n + 1) % 2],
            start_time=dt.time(13),
            end_time=dt.time(15),
        )
        DateOverride.objects.create(
            practitioner=practitioner,
            date=MONDAY + dt.timedelta(days=14 + n % 5),
            kind=DateOverride.Kind.CLOSED,
        )

    with django_assert_num_queries(1):
        slots = available_slots(
            service=service,
            locations=locations,
            date_from=MONDAY,
            date_to=MONDAY + dt.timedelta(days=60),
        )

    assert len({s.practitioner_id for s in slots}) == practitioners


def test_one_practitioners_free_times_are_their_share_of_everyones_in_one_query():
    """A booking re-checks its time for one practitioner: the hours and the busy times come in
    one query, and the answer is the same as when everyone's times are read."""
    location = LocationFactory()
    service = ServiceFactory()
    robin = physio_at(location, start=(9, 0), end=(13, 0), display_name="Robin Physio")
    sam = physio_at(location, start=(9, 0), end=(13, 0), display_name="Sam Physio")
    AppointmentFactory(practitioner=robin, location=location, service=service, start=at(TUESDAY, 9))
    AppointmentFactory(practitioner=sam, location=location, service=service, start=at(TUESDAY, 11))
    TimeOff.objects.create(practitioner=robin, start=at(TUESDAY, 12), end=at(TUESDAY, 12, 30))
    DateOverride.objects.create(
        practitioner=sam,
        date=WEDNESDAY,
        kind=DateOverride.Kind.EXTRA,
        location=location,
        start_time=dt.time(14),
        end_time=dt.time(16),
    )
    everyone = available_slots(
        service=service, locations=[location], date_from=TUESDAY, date_to=WEDNESDAY
    )

    for practitioner in (robin, sam):
        with CaptureQueriesContext(connection) as queries:
            theirs = available_slots(
                service=service,
                locations=[location],
                date_from=TUESDAY,
                date_to=WEDNESDAY,
                practitioner=practitioner,
            )
        assert theirs == [slot for slot in everyone if slot.practitioner_id == practitioner.pk]
        assert len(queries) == 1
    assert local_times(s for s in everyone if s.practitioner_id == robin.pk) == [
        "Tue 10:00",
        "Tue 11:00",
    ]
    assert local_times(s for s in everyone if s.practitioner_id == sam.pk) == [
        "Tue 09:00",
        "Tue 10:00",
        "Tue 12:00",
        "Wed 14:00",
        "Wed 15:00",
    ]


def test_the_query_count_does_not_grow_with_days_or_locations():
    service = ServiceFactory()
    counts = []
    for days, locations in ((1, 1), (89, 6)):
        places = [LocationFactory() for _ in range(locations)]
        for place in places:
            physio_at(place, weekday=1)
        with CaptureQueriesContext(connection) as queries:
            available_slots(
                service=service,
                locations=places,
                date_from=TUESDAY,
                date_to=TUESDAY + dt.timedelta(days=days),
            )
        counts.append(len(queries))
    assert counts == [1, 1]


# --- Target windows (protocol section 6) ------------------------------------------------------
@pytest.mark.parametrize(
    ("answers", "urgency", "days"),
    [
        ({"leg_weakness": "stable"}, "urgent", 14),
        ({f"sbst_{n}": True for n in range(5, 9)}, "soon", 28),
        ({f"sbst_{n}": True for n in range(1, 5)}, "routine", 42),
    ],
)
def test_the_target_window_is_the_staff_target_for_the_urgency(answers, urgency, days):
    intake = make_intake(**answers)

    assert intake.current_decision.urgency == urgency
    assert window_end_for(intake) == intake.created_at + dt.timedelta(days=days)
    assert target_window_end(submitted_at=NOW, urgency=urgency) == NOW + dt.timedelta(days=days)


def test_offers_mark_the_times_inside_the_target_window():
    location = LocationFactory()
    physio_at(location)
    intake = make_intake(location=location, sbst_5=True, sbst_6=True, sbst_7=True, sbst_8=True)
    assert intake.current_decision.urgency == "soon"  # seen within 28 days: by 30 March

    offers = offers_for_intake(
        intake=intake, service=ServiceFactory(), location=location, first_day=MONDAY, days=35
    )

    assert offers.fits_window is True
    assert offers.window_end == NOW.astimezone(UTC) + dt.timedelta(days=28)  # 09:00 CDT
    assert list(offers.days) == [TUESDAY + dt.timedelta(weeks=n) for n in range(5)]
    inside = [offer.slot.start for offer in offers.slots if offer.within_window]
    assert len(inside) == 4 * 3  # four Tuesdays inside, three slots each; the fifth is after
    assert min(inside) >= NOW + dt.timedelta(hours=2)
    assert max(inside) <= offers.window_end
    fifth = offers.days[TUESDAY + dt.timedelta(weeks=4)]
    assert not any(offer.within_window for offer in fifth)


def test_when_nothing_fits_the_window_the_later_times_are_marked_outside_it():
    location = LocationFactory()
    practitioner = physio_at(location)
    TimeOff.objects.create(practitioner=practitioner, start=NOW, end=NOW + dt.timedelta(days=50))
    intake = make_intake(location=location, sbst_1=True, sbst_2=True, sbst_3=True, sbst_4=True)
    service = ServiceFactory()  # routine: seen within 42 days

    this_week = offers_for_intake(
        intake=intake, service=service, location=location, first_day=MONDAY, days=7
    )
    later = offers_for_intake(
        intake=intake,
        service=service,
        location=location,
        first_day=MONDAY + dt.timedelta(days=52),
        days=7,
    )

    assert (this_week.fits_window, this_week.days) == (False, {})
    assert later.fits_window is False
    assert later.slots
    assert not any(offer.within_window for offer in later.slots)
    assert min(offer.slot.start for offer in later.slots) > window_end_for(intake)


def test_the_nearest_alternatives_come_from_the_days_around_the_time_in_two_queries():
    location = LocationFactory()
    practitioner = PractitionerFactory(locations=[location])
    for weekday in range(5):
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=dt.time(9),
            end_time=dt.time(12),
        )
    service = ServiceFactory()

    with CaptureQueriesContext(connection) as queries:
        slots = nearest_alternatives(service=service, location=location, start=at(WEDNESDAY, 10))

    assert local_times(slots) == ["Wed 10:00", "Wed 09:00", "Wed 11:00"]
    assert len(queries) == 1  # the narrow range held them: the fortnight is not read


def test_the_nearest_alternatives_reach_past_the_first_days_when_those_are_full():
    location = LocationFactory()
    practitioner = physio_at(location, weekday=1)  # Tuesdays 09:00-12:00 only
    service = ServiceFactory()
    AppointmentFactory(
        practitioner=practitioner,
        location=location,
        service=service,
        start=at(TUESDAY, 9),
        status=AppointmentStatus.BOOKED,
    )

    slots = nearest_alternatives(service=service, location=location, start=at(TUESDAY, 9))

    # Two left that Tuesday; the third is a week later, beyond the first, narrow range.
    assert [f"{s.local_start:%a %d %H:%M}" for s in slots] == [
        "Tue 03 10:00",
        "Tue 03 11:00",
        "Tue 10 09:00",
    ]
