"""A staff-scheduled scan or consult (protocol section 7) is changed by staff only, and one that
is cancelled or missed goes back on the queue, waiting against its original target."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from clinic import roles, scheduling
from clinic.errors import NotAllowed
from clinic.models import AppointmentStatus, Discipline
from patients import booking
from staff.queue_filters import is_still_waiting
from tests.factories import AppointmentFactory, PatientFactory, ServiceFactory, make_intake
from triage import services as triage_services
from triage.models import Intake, Pathway, Urgency

pytestmark = pytest.mark.django_db

SUBMITTED = dt.datetime(2027, 2, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def scan_visit(chaska, staff_at):
    """An imaging referral a scheduler booked for next week."""
    with time_machine.travel(SUBMITTED, tick=False):
        patient = PatientFactory()
        intake = make_intake(location=chaska, patient=patient)
        clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
        triage_services.decision_override(
            intake=intake,
            actor=clinician,
            pathway=Pathway.IMAGING,
            urgency=Urgency.SOON,
            reason="Persistent radicular pain: MRI before the spine consult.",
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


def test_the_patient_cannot_move_or_cancel_a_staff_scheduled_scan_online(scan_visit):
    with time_machine.travel(SUBMITTED + dt.timedelta(days=1), tick=False):
        assert booking.patient_may_change(scan_visit) is False
        with pytest.raises(NotAllowed, match="scheduled by our staff"):
            scheduling.appointment_cancel(
                appointment=scan_visit, actor=scan_visit.patient.user, by_patient=True
            )
        with pytest.raises(NotAllowed, match="scheduled by our staff"):
            scheduling.appointment_reschedule(
                appointment=scan_visit,
                actor=scan_visit.patient.user,
                start=scan_visit.start + dt.timedelta(days=1),
                by_patient=True,
            )
    scan_visit.refresh_from_db()
    assert scan_visit.status == AppointmentStatus.BOOKED


def test_the_appointment_page_offers_no_online_change_for_a_scan(client, scan_visit):
    with time_machine.travel(SUBMITTED + dt.timedelta(days=1), tick=False):
        client.force_login(scan_visit.patient.user)
        page = client.get(reverse("patients:appointment", args=[scan_visit.public_id]))
    assert page.status_code == 200
    assert page.context["can_change"] is False


def test_a_cancelled_scan_puts_the_referral_back_on_the_queue_with_its_original_target(
    scan_visit, chaska, staff_at
):
    scheduler = staff_at(chaska, roles.SCHEDULER)
    with time_machine.travel(SUBMITTED + dt.timedelta(days=2), tick=False):
        scheduling.appointment_cancel(
            appointment=scan_visit, actor=scheduler, reason="Scanner out of order", by_patient=False
        )
    intake = Intake.objects.get(pk=scan_visit.intake_id)
    assert intake.status == Intake.Status.CONTACTED
    assert is_still_waiting(intake)
    assert intake.created_at == SUBMITTED  # the target still counts from the submission


def test_a_missed_scan_goes_back_on_the_queue_too(scan_visit, chaska, staff_at):
    scheduler = staff_at(chaska, roles.SCHEDULER)
    with time_machine.travel(scan_visit.start + dt.timedelta(hours=1), tick=False):
        scheduling.appointment_set_status(
            appointment=scan_visit, actor=scheduler, status=AppointmentStatus.NO_SHOW
        )
    assert Intake.objects.get(pk=scan_visit.intake_id).status == Intake.Status.CONTACTED


def test_a_cancelled_physio_visit_leaves_the_intake_to_the_patient(chaska, staff_at):
    """Physiotherapy is the patient's to book again online; it does not join the staff queue."""
    with time_machine.travel(SUBMITTED, tick=False):
        visit = AppointmentFactory(location=chaska, start=SUBMITTED + dt.timedelta(days=7))
        intake = make_intake(location=chaska, patient=visit.patient)
        visit.intake = intake
        visit.save()
        Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.SCHEDULED)
        scheduling.appointment_cancel(
            appointment=visit, actor=staff_at(chaska, roles.SCHEDULER), by_patient=False
        )
    assert Intake.objects.get(pk=intake.pk).status == Intake.Status.SCHEDULED
