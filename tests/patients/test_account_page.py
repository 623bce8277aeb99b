"""The account page: each back-pain check with its status and next step, once."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic import scheduling
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    ServiceFactory,
    make_intake,
)
from tests.triage.test_engine import sciatica

pytestmark = pytest.mark.django_db

PHYSIO = {"sbst_1": True, "sbst_2": True, "sbst_3": True, "sbst_4": True}


def checks_on_the_page(client) -> list[str]:
    page = client.get(reverse("patients:dashboard")).content.decode()
    cards = re.findall(r'<div class="card mb-2 account-check">(.*?)</div></div>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", card).split()) for card in cards], page


def test_each_check_shows_its_status_and_next_step(client):
    location = LocationFactory()
    ServiceFactory()  # physiotherapy, booked online
    patient = PatientFactory()
    client.force_login(patient.user)

    def days_ago(n, **answers):
        with time_machine.travel(timezone.now() - dt.timedelta(days=n)):
            return make_intake(location=location, patient=patient, **answers)

    to_book = days_ago(3, **PHYSIO)
    review = days_ago(3, weight_loss=True)  # R9
    for_the_team = days_ago(3, **sciatica())
    scheduled = days_ago(2, **PHYSIO)
    visit = AppointmentFactory(
        patient=patient,
        intake=scheduled,
        location=location,
        start=timezone.now() + dt.timedelta(days=4),
    )
    waitlisted = days_ago(1, **PHYSIO)
    scheduling.waitlist_join(
        patient=patient, intake=waitlisted, service=ServiceFactory(), locations=[location]
    )

    cards, page = checks_on_the_page(client)
    assert len(cards) == 5, cards
    assert any("Ready to book" in c and "Book:" in c for c in cards)
    assert f'href="{reverse("patients:book", args=[to_book.public_id])}"' in page
    assert any("Under review" in c and "A clinician is looking at your answers" in c for c in cards)
    assert any("Waiting for our team" in c for c in cards)
    assert any("Scheduled" in c and "Your visit is on" in c for c in cards)
    assert f'href="{reverse("patients:appointment", args=[visit.public_id])}"' in page
    assert any("On the waiting list" in c and f"at {location.name}" in c for c in cards), cards
    assert review.current_decision.clinician_review
    assert not for_the_team.current_decision.clinician_review


def test_the_same_check_sent_twice_is_shown_once(client):
    location = LocationFactory()
    ServiceFactory()
    patient = PatientFactory()
    client.force_login(patient.user)
    make_intake(location=location, patient=patient, **PHYSIO)
    make_intake(location=location, patient=patient, **PHYSIO)

    cards, _ = checks_on_the_page(client)
    assert len(cards) == 1
    assert "Ready to book" in cards[0]


def test_another_patients_checks_are_not_on_my_page(client):
    location = LocationFactory()
    ServiceFactory()
    other = PatientFactory()
    make_intake(location=location, patient=other, **PHYSIO)
    me = PatientFactory()
    client.force_login(me.user)
    cards, page = checks_on_the_page(client)
    assert cards == []
    assert "Start the back-pain check" in page
