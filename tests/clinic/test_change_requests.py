"""A patient cannot move a staff-scheduled scan online, but can ask for a change: the request
lands on the staff queue and is cleared when staff reschedule, cancel or mark it handled."""

import datetime as dt

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from clinic import roles, scheduling
from clinic.models import AppointmentStatus, ChangeRequest, Discipline
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    ServiceFactory,
    admin_login,
    make_intake,
)
from triage import services as triage_services
from triage.models import Intake, Pathway, Urgency

pytestmark = pytest.mark.django_db

SUBMITTED = dt.datetime(2027, 2, 1, 15, 0, tzinfo=dt.UTC)
QUEUE = reverse("admin:triage_intake_changelist")


@pytest.fixture
def scan_visit(chaska, staff_at):
    with time_machine.travel(SUBMITTED, tick=False):
        patient = PatientFactory()
        intake = make_intake(location=chaska, patient=patient)
        triage_services.decision_override(
            intake=intake,
            actor=staff_at(chaska, roles.TRIAGE_CLINICIAN),
            pathway=Pathway.IMAGING,
            urgency=Urgency.SOON,
            reason="Persistent radicular pain: MRI first.",
        )
        scan = ServiceFactory(
            slug="mri-lumbar",
            name="MRI of the lower back",
            pathway=Pathway.IMAGING,
            discipline=Discipline.IMAGING,
            bookable_online=False,
        )
        appointment = AppointmentFactory(
            patient=patient,
            location=chaska,
            service=scan,
            intake=intake,
            start=SUBMITTED + dt.timedelta(days=7),
        )
        Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.SCHEDULED)
    return appointment


@pytest.fixture
def day_after():
    with time_machine.travel(SUBMITTED + dt.timedelta(days=1), tick=False):
        yield


def ask(client, appointment, reason="Travelling for a race that week"):
    return client.post(
        reverse("patients:appointment_change_request", args=[appointment.public_id]),
        {"reason": reason, "preferred_times": "Mornings the week after"},
        follow=True,
    )


def test_a_signed_in_patient_asks_for_a_change_and_is_told_what_happens_next(
    client, scan_visit, day_after
):
    client.force_login(scan_visit.patient.user)
    page = client.get(reverse("patients:appointment", args=[scan_visit.public_id]))
    assert "Ask for a change" in page.content.decode()

    response = ask(client, scan_visit)

    html = response.content.decode()
    assert "call you within 1 working day" in html
    assert scan_visit.location.phone in html
    assert "Your change request" in html  # the page now shows the request, not the form
    request = ChangeRequest.objects.get(appointment=scan_visit)
    assert request.requested_by == scan_visit.patient.user
    assert request.preferred_times == "Mornings the week after"
    assert LogEntry.objects.get_for_object(request).count() == 1  # audited


def test_another_patient_cannot_ask_for_a_change_to_someone_elses_visit(
    client, scan_visit, day_after
):
    client.force_login(PatientFactory().user)
    response = client.post(
        reverse("patients:appointment_change_request", args=[scan_visit.public_id]),
        {"reason": "Let me in"},
    )
    assert response.status_code == 404
    assert not ChangeRequest.objects.exists()


def test_a_request_without_a_reason_is_refused_with_a_clear_message(client, scan_visit, day_after):
    client.force_login(scan_visit.patient.user)
    response = client.post(
        reverse("patients:appointment_change_request", args=[scan_visit.public_id]),
        {"reason": ""},
    )
    assert response.status_code == 400
    assert "Tell us briefly why you need a change." in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_staff_see_the_request_on_the_queue_and_rescheduling_clears_it(
    client, scan_visit, chaska, staff_at, day_after
):
    client.force_login(scan_visit.patient.user)
    ask(client, scan_visit)
    scheduler = staff_at(chaska, roles.SCHEDULER)
    admin_login(client, scheduler)

    flagged = client.get(QUEUE, {"change_requested": "yes"}).content.decode()
    assert "Strider" in flagged
    intake_page = client.get(reverse("admin:triage_intake_change", args=[scan_visit.intake_id]))
    assert "Change requested by the patient" in intake_page.content.decode()
    assert "Travelling for a race that week" in intake_page.content.decode()

    scheduling.appointment_cancel(
        appointment=scan_visit, actor=scheduler, reason="Patient asked", by_patient=False
    )

    request = ChangeRequest.objects.get(appointment=scan_visit)
    assert (request.state, request.handled_by) == ("handled", scheduler)
    assert "Strider" not in client.get(QUEUE, {"change_requested": "yes"}).content.decode()


def test_staff_mark_a_request_handled(client, scan_visit, chaska, staff_at, day_after):
    client.force_login(scan_visit.patient.user)
    ask(client, scan_visit)
    request = ChangeRequest.objects.get()
    scheduler = staff_at(chaska, roles.SCHEDULER)
    admin_login(client, scheduler)
    url = reverse("admin:clinic_changerequest_change", args=[request.pk])

    response = client.post(url, {"resolution": "Called back: keeps the time"})

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.state, request.handled_by, request.resolution) == (
        "handled",
        scheduler,
        "Called back: keeps the time",
    )
    scan_visit.refresh_from_db()
    assert scan_visit.status == AppointmentStatus.BOOKED
    assert LogEntry.objects.get_for_object(request).filter(actor=scheduler).exists()


def test_staff_at_another_location_get_404_for_the_request(client, scan_visit, staff_at, day_after):
    client.force_login(scan_visit.patient.user)
    ask(client, scan_visit)
    request = ChangeRequest.objects.get()
    admin_login(client, staff_at(LocationFactory(slug="delano"), roles.SCHEDULER))

    url = reverse("admin:clinic_changerequest_change", args=[request.pk])
    response = client.post(url, {"resolution": "Not mine"})
    assert response.status_code in (302, 404)  # the admin's "does not exist" answer
    assert ChangeRequest.objects.get().state == "open"
    assert (
        "Strider"
        not in client.get(reverse("admin:clinic_changerequest_changelist")).content.decode()
    )
