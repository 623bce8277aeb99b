"""A booking costs at most 20 queries, however it arrives, and stays fully audited: its messages
are planned in one statement and their audit entries are written in one statement too. Each way
in is pinned at what it costs today, so a change that adds a query says so here.

These tests run outside a test transaction (`transaction=True`), as a request does in
production: inside one, every atomic block would add a SAVEPOINT and a RELEASE to the count.
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from clinic.models import Appointment, Notification, NotificationKind
from clinic.scheduling import appointment_book, slot_key
from patients import tokens
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)
from triage.models import Intake

pytestmark = pytest.mark.django_db(transaction=True)

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = dt.datetime(2026, 2, 23, 8, 0, tzinfo=CHICAGO)
# Wednesday 10:00: the confirmation and both reminders (48 h and 2 h before) are planned.
WEDNESDAY_10 = dt.datetime(2026, 2, 25, 10, 0, tzinfo=CHICAGO)
PHYSIO = {f"sbst_{n}": True for n in range(1, 5)}  # medium STarT Back risk: physiotherapy
# Today's counts: the service itself, the API (the token, the intake and its access log, the
# service with the location first), the page (the session, the user and the patient record first).
SERVICE_QUERIES, API_QUERIES, PAGE_QUERIES = 9, 14, 17
# Every page saves the rolling session (SESSION_SAVE_EVERY_REQUEST): BEGIN, UPDATE, COMMIT.
SESSION_SAVE = 3


@pytest.fixture(autouse=True)
def clock(freeze):
    return freeze(MONDAY)


@pytest.fixture(autouse=True)
def _content_types_cached():
    # A running process has them cached after its first audit entry; the flush between these
    # tests empties that cache.
    ContentType.objects.get_for_models(Appointment, Notification, Intake)


@pytest.fixture
def clinic():
    location = LocationFactory(slug="shakopee")
    practitioner = PractitionerFactory(locations=[location])
    for weekday in range(5):
        WorkingHoursFactory(
            practitioner=practitioner,
            location=location,
            weekday=weekday,
            start_time=dt.time(9),
            end_time=dt.time(13),
        )
    return location, practitioner, ServiceFactory()


@pytest.fixture
def patient_intake(clinic):
    patient = PatientFactory()
    return patient, make_intake(location=clinic[0], patient=patient, **PHYSIO)


def logged(instance, action) -> LogEntry:
    """The latest entry of `action` about `instance`."""
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=str(instance.pk),
        action=action,
    ).latest("pk")


def assert_booked_and_audited(patient, intake, *, remote_addr=None):
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.start == WEDNESDAY_10
    planned = Notification.objects.filter(appointment=appointment).order_by("due_at")
    assert [(n.kind, n.due_at) for n in planned] == [
        (NotificationKind.BOOKING_CONFIRMATION, MONDAY),
        (NotificationKind.REMINDER, WEDNESDAY_10 - dt.timedelta(hours=48)),
        (NotificationKind.REMINDER, WEDNESDAY_10 - dt.timedelta(hours=2)),
    ]
    # Each row is in the change history as a save would record it: who, from where, what.
    for row in [appointment, *planned]:
        entry = logged(row, LogEntry.Action.CREATE)
        assert entry.actor == patient.user
        assert entry.object_repr == str(row)
        assert entry.remote_addr == remote_addr
    for notification in planned:
        changes = logged(notification, LogEntry.Action.CREATE).changes_dict
        assert changes["key"] == ["None", notification.key]
        assert changes["recipient"] == ["None", patient.email]
    intake.refresh_from_db()
    assert intake.status == Intake.Status.SCHEDULED
    change = logged(intake, LogEntry.Action.UPDATE)
    assert change.changes_dict["status"] == ["new", "scheduled"]
    assert change.actor == patient.user


def test_a_booking_through_the_service(clinic, patient_intake, django_assert_max_num_queries):
    location, practitioner, service = clinic
    patient, intake = patient_intake

    with set_actor(patient.user), django_assert_max_num_queries(SERVICE_QUERIES):
        appointment_book(
            patient=patient,
            service=service,
            location=location,
            practitioner=practitioner,
            start=WEDNESDAY_10,
            intake=intake,
            booked_by=patient.user,
        )

    assert_booked_and_audited(patient, intake)


def test_a_booking_through_the_api(clinic, patient_intake, django_assert_max_num_queries):
    location, practitioner, service = clinic
    patient, intake = patient_intake
    _, token = tokens.token_create(user=patient.user, name="phone")
    body = {
        "service": service.slug,
        "location": location.slug,
        "practitioner": practitioner.pk,
        "start": WEDNESDAY_10.isoformat(),
        "intake": str(intake.public_id),
    }

    with django_assert_max_num_queries(API_QUERIES):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            "/api/v1/appointments", data=json.dumps(body), content_type="application/json"
        )

    assert response.status_code == 201, response.content
    assert_booked_and_audited(patient, intake, remote_addr="127.0.0.1")


def test_a_booking_through_the_patient_page(
    client, clinic, patient_intake, django_assert_max_num_queries
):
    location, practitioner, _ = clinic
    patient, intake = patient_intake
    client.force_login(patient.user)
    slot = Appointment(practitioner=practitioner, location=location, start=WEDNESDAY_10)

    with django_assert_max_num_queries(PAGE_QUERIES + SESSION_SAVE):
        response = client.post(
            reverse("patients:book_confirm", args=[intake.public_id]), {"slot": slot_key(slot)}
        )

    assert response.status_code == 302
    assert_booked_and_audited(patient, intake, remote_addr="127.0.0.1")
