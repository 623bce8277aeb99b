"""Rules R9-R11 set `clinician_review`: nobody books such a case, staff included, until a
clinician has reviewed it; agreeing is one action, disagreeing an override with a reason."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse

from clinic import notifications, roles, scheduling
from clinic.errors import NotAllowed
from clinic.models import Discipline, Notification, NotificationKind
from tests.factories import (
    LocationFactory,
    PatientFactory,
    ServiceFactory,
    admin_login,
    make_intake,
)
from triage import services
from triage.models import Pathway, Urgency

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:triage_intake_changelist")


@pytest.fixture
def scan():
    return ServiceFactory(
        slug="mri-lumbar",
        name="MRI of the lower back",
        pathway=Pathway.IMAGING,
        discipline=Discipline.IMAGING,
        bookable_online=False,
    )


@pytest.fixture
def weight_loss_intake(chaska):
    """R9: unexplained weight loss, imaging, urgent, for a clinician to review first."""
    return make_intake(location=chaska, patient=PatientFactory(), weight_loss=True)


def agree(client, intake):
    return client.post(
        QUEUE,
        {"action": "agree_after_review", ACTION_CHECKBOX_NAME: [intake.pk]},
        follow=True,
    )


def test_an_r9_case_cannot_be_booked_by_staff_until_a_clinician_has_reviewed_it(
    weight_loss_intake, scan
):
    decision = weight_loss_intake.current_decision
    assert (decision.pathway, decision.urgency, decision.clinician_review) == (
        Pathway.IMAGING,
        Urgency.URGENT,
        True,
    )
    with pytest.raises(NotAllowed, match="A clinician must review this case"):
        scheduling.check_booking_allowed(
            patient=weight_loss_intake.patient,
            intake=weight_loss_intake,
            service=scan,
            online=False,
        )


def test_after_agree_the_case_can_be_booked_and_the_engines_decision_is_kept(
    weight_loss_intake, scan, chaska, staff_at
):
    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    engine_decision = weight_loss_intake.current_decision

    reviewed = services.decision_review_agree(intake=weight_loss_intake, actor=clinician)

    assert (reviewed.pathway, reviewed.urgency) == (
        engine_decision.pathway,
        engine_decision.urgency,
    )
    assert reviewed.clinician_review is False
    assert reviewed.decided_by == clinician
    assert weight_loss_intake.decisions.count() == 2  # append-only: the engine's decision stays
    weight_loss_intake.refresh_from_db()
    scheduling.check_booking_allowed(
        patient=weight_loss_intake.patient, intake=weight_loss_intake, service=scan, online=False
    )


def test_an_r11_patient_can_book_physio_online_only_after_the_review(chaska, staff_at):
    ServiceFactory()  # the physiotherapy assessment, bookable online
    intake = make_intake(location=chaska, patient=PatientFactory(), leg_weakness="stable")
    assert intake.current_decision.pathway == Pathway.PHYSIO
    assert scheduling.online_service_for(intake) is None

    services.decision_review_agree(intake=intake, actor=staff_at(chaska, roles.TRIAGE_CLINICIAN))

    intake.refresh_from_db()
    assert scheduling.online_service_for(intake) is not None


def test_agreeing_twice_is_refused_in_words(weight_loss_intake, chaska, staff_at):
    clinician = staff_at(chaska, roles.TRIAGE_CLINICIAN)
    services.decision_review_agree(intake=weight_loss_intake, actor=clinician)
    with pytest.raises(NotAllowed, match="does not need a clinician's review"):
        services.decision_review_agree(intake=weight_loss_intake, actor=clinician)


def test_a_clinician_agrees_from_the_queue_in_one_action(
    client, weight_loss_intake, chaska, staff_at
):
    admin_login(client, staff_at(chaska, roles.TRIAGE_CLINICIAN))
    queue = client.get(QUEUE).content.decode()
    assert queue.count("Needs review") == 1

    response = agree(client, weight_loss_intake)

    assert "1 intake(s) reviewed" in response.content.decode()
    weight_loss_intake.refresh_from_db()
    assert weight_loss_intake.current_decision.clinician_review is False
    assert "Needs review" not in client.get(QUEUE).content.decode()


def test_a_case_that_needs_no_review_shows_no_mark(client, chaska, staff_at):
    make_intake(location=chaska)  # self-care, routine
    admin_login(client, staff_at(chaska, roles.TRIAGE_CLINICIAN))
    page = client.get(QUEUE).content.decode()
    assert "Needs review" not in page
    assert "icon-no" not in page


def test_a_scheduler_cannot_agree_in_a_clinicians_place(
    client, weight_loss_intake, chaska, staff_at
):
    admin_login(client, staff_at(chaska, roles.SCHEDULER))
    agree(client, weight_loss_intake)
    weight_loss_intake.refresh_from_db()
    assert weight_loss_intake.current_decision.clinician_review is True


def test_staff_at_another_location_cannot_reach_the_case(client, weight_loss_intake, staff_at):
    delano = LocationFactory(name="Delano", slug="delano")
    admin_login(client, staff_at(delano, roles.TRIAGE_CLINICIAN))
    agree(client, weight_loss_intake)
    weight_loss_intake.refresh_from_db()
    assert weight_loss_intake.current_decision.clinician_review is True
    listing = client.get(QUEUE)
    assert weight_loss_intake not in listing.context["cl"].result_list


def sent_review_outcome(intake):
    outcome = Notification.objects.get(intake=intake, kind=NotificationKind.REVIEW_OUTCOME)
    assert outcome.recipient == intake.email
    for notification_id in notifications.claim_due():
        notifications.send(notification_id)
    [message] = [m for m in mail.outbox if "A clinician has looked" in m.subject]
    return message.body


def test_the_r11_patient_is_told_after_the_review_that_they_may_now_book(chaska, staff_at):
    ServiceFactory()
    intake = make_intake(location=chaska, patient=PatientFactory(), leg_weakness="stable")
    services.decision_review_agree(intake=intake, actor=staff_at(chaska, roles.TRIAGE_CLINICIAN))
    body = sent_review_outcome(intake)
    assert "You can now book a physical therapy (PT) assessment online" in body
    assert f"/intake/result/{intake.public_id}/" in body
    assert "911" in body


def test_an_overridden_r9_patient_is_told_what_happens_next(weight_loss_intake, chaska, staff_at):
    services.decision_override(
        intake=weight_loss_intake,
        actor=staff_at(chaska, roles.TRIAGE_CLINICIAN),
        pathway=Pathway.SURGICAL_CONSULT,
        urgency=Urgency.SOON,
        reason="Known history: the spine surgeon should see this first.",
    )
    body = sent_review_outcome(weight_loss_intake)
    assert "a visit with a spine specialist" in body
