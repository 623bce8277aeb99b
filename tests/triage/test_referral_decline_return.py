"""Staff decline a referral, or return it with advice (physiotherapy or self-care), with a
reason: through the referral's table, recorded with who and why, and the patient is told and
can act on it."""

import pytest
from django.core import mail
from django.urls import reverse

from clinic import notifications, roles, scheduling
from clinic.models import Notification, NotificationKind, NotificationStatus
from tests.factories import (
    LocationFactory,
    PatientFactory,
    ServiceFactory,
    admin_login,
    make_intake,
)
from triage.models import Intake, Pathway, Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan_referral(chaska):
    """R6: cancer history, imaging, urgent; ready to schedule."""
    intake = make_intake(location=chaska, patient=PatientFactory(), cancer_history=True)
    assert intake.referrals.get().state == Referral.State.READY_TO_SCHEDULE
    return intake


@pytest.fixture
def clinician(chaska, staff_at, client):
    user = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    admin_login(client, user)
    return user


def decline_url(intake):
    return reverse("admin:triage_intake_referral_decline", args=[intake.pk])


def return_url(intake):
    return reverse("admin:triage_intake_referral_return", args=[intake.pk])


def sent_to_patient(kind) -> str:
    [notification] = Notification.objects.filter(kind=kind)
    notifications.claim_due()
    assert notifications.send(notification.pk) == NotificationStatus.SENT
    return mail.outbox[-1].body


def test_declining_needs_a_reason(client, clinician, scan_referral):
    response = client.post(decline_url(scan_referral), {"reason": "  "})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()
    assert scan_referral.referrals.get().state == Referral.State.READY_TO_SCHEDULE


def test_a_declined_referral_is_recorded_and_the_patient_told_why(client, clinician, scan_referral):
    change_page = client.get(reverse("admin:triage_intake_change", args=[scan_referral.pk]))
    assert decline_url(scan_referral) in change_page.content.decode()

    response = client.post(decline_url(scan_referral), {"reason": "Scanned last month elsewhere."})

    assert response.status_code == 302
    referral = scan_referral.referrals.get()
    assert referral.state == Referral.State.DECLINED
    event = referral.events.last()
    assert (event.to_state, event.actor, event.reason) == (
        Referral.State.DECLINED,
        clinician,
        "Scanned last month elsewhere.",
    )
    scan_referral.refresh_from_db()
    assert scan_referral.status == Intake.Status.CLOSED
    body = sent_to_patient(NotificationKind.REFERRAL_DECLINED)
    assert "Scanned last month elsewhere." in body
    assert "(952) 555-0100" in body  # the clinic's phone


def test_returned_to_physio_the_patient_is_told_and_can_book_physio_online(
    client, clinician, scan_referral
):
    ServiceFactory()  # the physiotherapy assessment, bookable online
    assert scheduling.online_service_for(scan_referral) is None

    response = client.post(
        return_url(scan_referral),
        {"pathway": Pathway.PHYSIO, "reason": "Known, stable history: start with PT."},
    )

    assert response.status_code == 302
    referral = scan_referral.referrals.get()
    assert (referral.state, referral.reason) == (
        Referral.State.RETURNED,
        "Known, stable history: start with PT.",
    )
    assert referral.events.last().actor == clinician
    scan_referral.refresh_from_db()
    assert scan_referral.current_decision.pathway == Pathway.PHYSIO
    assert scheduling.online_service_for(scan_referral) is not None
    body = sent_to_patient(NotificationKind.REFERRAL_RETURNED)
    assert "book a PT assessment online" in body
    assert f"/intake/result/{scan_referral.public_id}/" in body


def test_returned_to_self_care_the_patient_gets_the_advice_link(client, clinician, scan_referral):
    client.post(
        return_url(scan_referral),
        {"pathway": Pathway.SELF_CARE, "reason": "Settling well: self-care first."},
    )
    assert scan_referral.referrals.get().state == Referral.State.RETURNED
    body = sent_to_patient(NotificationKind.REFERRAL_RETURNED)
    assert "/intake/advice/self-care/" in body
    assert "Settling well: self-care first." in body
    assert Notification.objects.filter(
        kind=NotificationKind.SELF_CARE_CHECK_IN, intake=scan_referral
    ).exists()


def test_returning_needs_a_reason_and_a_physio_or_self_care_pathway(
    client, clinician, scan_referral
):
    assert client.post(return_url(scan_referral), {"pathway": "physio"}).status_code == 400
    assert (
        client.post(return_url(scan_referral), {"pathway": "imaging", "reason": "x"}).status_code
        == 400
    )
    assert scan_referral.referrals.get().state == Referral.State.READY_TO_SCHEDULE


def test_someone_at_another_location_gets_404(client, scan_referral, staff_at):
    admin_login(client, staff_at(LocationFactory(slug="delano"), roles.TRIAGE_CLINICIAN))
    assert client.get(decline_url(scan_referral)).status_code == 404
    assert client.post(decline_url(scan_referral), {"reason": "No"}).status_code == 404
    assert (
        client.post(return_url(scan_referral), {"pathway": "physio", "reason": "No"}).status_code
        == 404
    )
    assert scan_referral.referrals.get().state == Referral.State.READY_TO_SCHEDULE


def test_a_scheduler_without_clinical_rights_may_not_decline(
    client, scan_referral, chaska, staff_at
):
    admin_login(client, staff_at(chaska, roles.SCHEDULER))
    assert client.post(decline_url(scan_referral), {"reason": "No"}).status_code == 403
    assert scan_referral.referrals.get().state == Referral.State.READY_TO_SCHEDULE


def test_a_referral_with_a_booked_visit_is_not_declined_until_the_visit_is_cancelled(
    client, clinician, scan_referral, chaska
):
    from clinic.models import Discipline
    from tests.factories import AppointmentFactory

    scan = ServiceFactory(
        slug="mri-lumbar", pathway="imaging", discipline=Discipline.IMAGING, bookable_online=False
    )
    AppointmentFactory(
        patient=scan_referral.patient, location=chaska, service=scan, intake=scan_referral
    )

    response = client.post(decline_url(scan_referral), {"reason": "Not needed after all."})

    assert response.status_code == 400
    assert "cancel it first" in response.content.decode()
    assert scan_referral.referrals.get().state == Referral.State.READY_TO_SCHEDULE
    assert not Notification.objects.filter(kind=NotificationKind.REFERRAL_DECLINED).exists()
