"""The date-override and waitlist pages of the admin: scoped to the staff member's locations."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import TestCase
from django.urls import reverse

from clinic import roles
from clinic.models import DateOverride, WaitlistOffer
from clinic.scheduling import appointment_book, appointment_cancel, waitlist_join
from patients.models import AccessLog
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

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=CHICAGO)  # Monday
TUESDAY = dt.date(2026, 3, 3)
PHYSIO_ANSWERS = {f"sbst_{n}": True for n in range(1, 5)}


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(NOW)


@pytest.fixture
def chaska():
    return LocationFactory(name="Chaska", slug="chaska")


@pytest.fixture
def delano():
    return LocationFactory(name="Delano", slug="delano")


@pytest.fixture
def manager(chaska):
    return make_staff(roles=[roles.LOCATION_MANAGER], locations=[chaska])


def add_override(client, **form):
    return client.post(reverse("admin:clinic_dateoverride_add"), form)


def test_a_manager_records_overrides_for_their_practitioners_only(client, manager, chaska, delano):
    ours = PractitionerFactory(locations=[chaska], display_name="Robin Physio")
    theirs = PractitionerFactory(locations=[delano])
    DateOverride.objects.create(practitioner=theirs, date=TUESDAY, kind="closed")
    admin_login(client, manager)

    listing = client.get(reverse("admin:clinic_dateoverride_changelist"))
    assert list(listing.context["cl"].result_list) == []
    form = {"date": "2026-03-03", "kind": "instead", "start_time": "09:00", "end_time": "12:00"}
    refused = add_override(client, practitioner=theirs.pk, location=chaska.pk, **form)
    assert "Select a valid choice" in refused.content.decode()
    elsewhere = add_override(client, practitioner=ours.pk, location=delano.pk, **form)
    assert "Select a valid choice" in elsewhere.content.decode()

    added = add_override(client, practitioner=ours.pk, location=chaska.pk, **form)
    assert added.status_code == 302
    clash = add_override(
        client, practitioner=ours.pk, location=chaska.pk, **{**form, "kind": "extra"}
    )
    assert clash.status_code == 200
    assert "Robin Physio already works 09:00-12:00 at Chaska on Tuesday 3 March 2026" in (
        clash.content.decode()
    )
    assert DateOverride.objects.filter(practitioner=ours).count() == 1


def test_a_practitioner_shared_with_another_site_gets_only_extra_hours_from_one_manager(
    client, manager, chaska, delano
):
    shared = PractitionerFactory(locations=[chaska, delano], display_name="Sam Shared")
    admin_login(client, manager)

    closed = add_override(client, practitioner=shared.pk, date="2026-03-03", kind="closed")
    assert closed.status_code == 200
    assert "Sam Shared also works at clinics outside yours" in closed.content.decode()
    extra = add_override(
        client,
        practitioner=shared.pk,
        date="2026-03-03",
        kind="extra",
        location=chaska.pk,
        start_time="14:00",
        end_time="16:00",
    )
    assert extra.status_code == 302


def test_new_hours_saved_in_the_admin_are_offered_to_the_waitlist(client, manager, chaska):
    practitioner = PractitionerFactory(locations=[chaska])
    patient = PatientFactory()
    intake = make_intake(location=chaska, patient=patient, **PHYSIO_ANSWERS)
    entry = waitlist_join(
        patient=patient, intake=intake, service=ServiceFactory(), locations=[chaska]
    )
    admin_login(client, manager)

    with TestCase.captureOnCommitCallbacks(execute=True):
        add_override(
            client,
            practitioner=practitioner.pk,
            date="2026-03-03",
            kind="extra",
            location=chaska.pk,
            start_time="14:00",
            end_time="15:00",
        )

    offer = WaitlistOffer.objects.get()
    assert offer.entry == entry
    assert offer.start == dt.datetime(2026, 3, 3, 14, tzinfo=CHICAGO)


def test_the_waitlist_page_shows_each_locations_entries_with_their_offers(client, chaska, delano):
    scheduler = make_staff(roles=[roles.SCHEDULER], locations=[chaska])
    practitioner = PractitionerFactory(locations=[chaska])
    WorkingHoursFactory(
        practitioner=practitioner,
        location=chaska,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(10),
    )
    entries = {}
    for place, last_name in ((chaska, "Waitingchaska"), (delano, "Waitingdelano")):
        patient = PatientFactory(last_name=last_name)
        intake = make_intake(location=place, patient=patient, **PHYSIO_ANSWERS)
        entries[place.slug] = waitlist_join(
            patient=patient, intake=intake, service=ServiceFactory(), locations=[place]
        )
    owner = PatientFactory()
    appointment = appointment_book(
        patient=owner,
        intake=make_intake(location=chaska, patient=owner, **PHYSIO_ANSWERS),
        service=ServiceFactory(),
        location=chaska,
        practitioner=practitioner,
        start=dt.datetime(2026, 3, 3, 9, tzinfo=CHICAGO),
        booked_by=owner.user,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        appointment_cancel(appointment=appointment, actor=owner.user, by_patient=True)
    admin_login(client, scheduler)

    listing = client.get(reverse("admin:clinic_waitlistentry_changelist"))

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [entries["chaska"]]
    page = listing.content.decode()
    assert "Waitingchaska" in page
    assert "Waitingdelano" not in page
    assert "Tue 03 Mar 2026 09:00 CST at Chaska: Held until 10:00 CST" in page
    assert AccessLog.objects.filter(
        actor=scheduler, object_type="waitlist entry list", patient=entries["chaska"].patient
    ).exists()
    other = client.get(reverse("admin:clinic_waitlistentry_change", args=[entries["delano"].pk]))
    assert other.status_code == 302  # another location's entry "does not exist" here
    mine = client.get(reverse("admin:clinic_waitlistentry_change", args=[entries["chaska"].pk]))
    assert mine.status_code == 200
    assert "Held for the patient" in mine.content.decode()


def test_new_weekly_hours_saved_in_the_admin_are_offered_to_the_waitlist(client, manager, chaska):
    practitioner = PractitionerFactory(locations=[chaska])
    patient = PatientFactory()
    intake = make_intake(location=chaska, patient=patient, **PHYSIO_ANSWERS)
    entry = waitlist_join(
        patient=patient, intake=intake, service=ServiceFactory(), locations=[chaska]
    )
    admin_login(client, manager)

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("admin:clinic_workinghours_add"),
            {
                "practitioner": practitioner.pk,
                "location": chaska.pk,
                "weekday": 2,  # Wednesdays
                "start_time": "13:00",
                "end_time": "15:00",
            },
        )

    offer = WaitlistOffer.objects.get()
    assert offer.entry == entry
    assert offer.start == dt.datetime(2026, 3, 4, 13, tzinfo=CHICAGO)  # the first one
