"""Staff schedule a scan for a patient who has no account: the record is made from the
intake's contact details, the confirmation carries a signed link, and signing up with the same
email claims the record only once that email is verified."""

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from clinic import notifications, roles
from clinic.models import (
    Appointment,
    ChangeRequest,
    Discipline,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from clinic.scheduling import SlotKey, slot_key
from patients.models import ContactPreference, Patient
from tests.factories import (
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    admin_login,
    make_staff,
)
from tests.patients.test_accounts import deliver_account_mail, link_in, sign_in, sign_up
from tests.triage.strategies import baseline_answers
from triage import services as triage_services
from triage.models import Intake

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)  # 09:00 in Chaska (CDT)
TUESDAY_9AM = dt.datetime(2026, 3, 10, 14, 0, tzinfo=dt.UTC)
EMAIL = "quinn.trail@example.test"


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture
def mri(chaska):
    service = ServiceFactory(
        slug="mri-lumbar",
        name="MRI lumbar spine",
        pathway="imaging",
        discipline=Discipline.IMAGING,
        duration_minutes=30,
        buffer_after_minutes=0,
        bookable_online=False,
    )
    radiographer = PractitionerFactory(
        display_name="Riley Radiographer", discipline=Discipline.IMAGING, locations=[chaska]
    )
    WorkingHoursFactory(
        practitioner=radiographer,
        location=chaska,
        weekday=1,
        start_time=dt.time(9, 0),
        end_time=dt.time(12, 0),
    )
    return service, radiographer


def anonymous_scan_intake(chaska, *, phone="(952) 448-3021") -> Intake:
    """An urgent imaging intake (R6) from the back-pain check, which needs no account."""
    return triage_services.intake_submit(
        answers=baseline_answers(cancer_history=True),
        contact={"first_name": "Quinn", "last_name": "Trail", "email": EMAIL, "phone": phone},
        runner_context={},
        preferred_location=chaska,
    )


def book(client, intake, mri, **extra):
    service, radiographer = mri
    key = slot_key(SlotKey(radiographer.pk, radiographer.locations.get().pk, TUESDAY_9AM))
    return client.post(
        reverse("admin:triage_intake_schedule", args=[intake.pk]),
        {"service": service.slug, "location": "chaska", "slot": key, **extra},
    )


def send_due() -> list:
    before = len(mail.outbox)
    for notification_id in notifications.claim_due():
        assert notifications.send(notification_id) == NotificationStatus.SENT
    return mail.outbox[before:]


@pytest.fixture
def scheduled_scan(client, chaska, mri, monday):
    intake = anonymous_scan_intake(chaska)
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[chaska]))
    page = client.get(reverse("admin:triage_intake_schedule", args=[intake.pk]))
    assert "None yet" in page.content.decode()  # says what will happen, instead of refusing
    response = book(client, intake, mri)
    assert response.status_code == 302
    client.logout()
    return Appointment.objects.get(intake=intake)


def test_a_patient_without_an_account_gets_a_scheduled_scan_and_its_confirmation(
    scheduled_scan, monday
):
    patient = scheduled_scan.patient
    assert patient.user is None
    assert (patient.first_name, patient.last_name, patient.email) == ("Quinn", "Trail", EMAIL)
    assert str(patient.phone) == "+19524483021"
    assert Intake.objects.get(pk=scheduled_scan.intake_id).patient == patient

    [message] = [m for m in send_due() if m.to == [EMAIL]]
    assert message.subject.startswith("Your appointment is booked")
    assert "Tuesday, March 10, 2026, 9:00 AM CDT" in message.body  # Chaska's time, not UTC
    assert "MRI lumbar spine with Riley Radiographer" in message.body
    assert "ask us for a change" in message.body
    assert "/me/appointments/manage/" in message.body


def test_the_link_in_the_confirmation_shows_the_visit_and_takes_a_change_request(
    client, scheduled_scan, monday
):
    [message] = [m for m in send_due() if m.to == [EMAIL]]
    link = link_in(message, "/me/appointments/manage/")

    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tuesday, March 10, 2026, 9:00 AM CDT" in html
    assert "Ask for a change" in html
    assert "Move to another time" not in html  # staff-scheduled: not changed online

    asked = client.post(
        link,
        {"action": "change_request", "reason": "I am away that week", "preferred_times": "Fri"},
        follow=True,
    )
    assert asked.status_code == 200
    assert "call you within 1 working day" in asked.content.decode()
    assert "(952) 555-0100" in asked.content.decode()  # the clinic's phone number
    request = ChangeRequest.objects.get(appointment=scheduled_scan)
    assert (request.state, request.requested_by, request.via) == ("open", None, "signed link")
    scheduled_scan.refresh_from_db()
    assert scheduled_scan.status == "booked"  # asking changes nothing yet


def test_text_messages_only_with_a_phone_and_the_patients_consent(client, chaska, mri, monday):
    intake = anonymous_scan_intake(chaska)
    scheduler = make_staff(roles=[roles.SCHEDULER], locations=[chaska])
    admin_login(client, scheduler)
    assert book(client, intake, mri, sms_consent="on").status_code == 302

    patient = Patient.objects.get(contact_email=EMAIL)
    assert patient.contact_preference == ContactPreference.SMS
    # The tick is the patient's recorded opt-in, by the staff member who heard it.
    assert patient.sms_opt_in_at is not None
    [record] = patient.consents.all()
    assert (record.kind, record.granted, record.source, record.recorded_by, record.phone) == (
        "sms",
        True,
        "staff",
        scheduler,
        "+19524483021",
    )
    confirmations = Notification.objects.filter(
        kind=NotificationKind.BOOKING_CONFIRMATION, appointment__patient=patient
    )
    assert sorted(confirmations.values_list("channel", "recipient")) == [
        (NotificationChannel.EMAIL, EMAIL),
        (NotificationChannel.SMS, "+19524483021"),
    ]


def test_no_text_message_without_consent(client, chaska, mri, monday):
    intake = anonymous_scan_intake(chaska)
    admin_login(client, make_staff(roles=[roles.SCHEDULER], locations=[chaska]))
    assert book(client, intake, mri).status_code == 302
    channels = Notification.objects.filter(kind=NotificationKind.BOOKING_CONFIRMATION).values_list(
        "channel", flat=True
    )
    assert list(channels) == [NotificationChannel.EMAIL]


def test_signing_up_claims_the_record_only_after_the_email_is_verified(
    client, scheduled_scan, monday
):
    send_due()  # the confirmation
    sign_up(client, email=EMAIL)
    user = EmailAddress.objects.get(email=EMAIL).user

    # Not verified yet: signed in some other way, the account sees nothing of the record.
    client.force_login(user)
    dashboard = client.get(reverse("patients:dashboard")).content.decode()
    assert "No upcoming appointments." in dashboard
    assert "MRI lumbar spine" not in dashboard
    own = reverse("patients:appointment", args=[scheduled_scan.public_id])
    assert client.get(own).status_code == 404
    assert Patient.objects.get(pk=scheduled_scan.patient_id).user is None
    client.logout()

    [verification] = [m for m in deliver_account_mail() if m.to == [EMAIL]]
    assert client.post(link_in(verification, "/accounts/confirm-email/")).status_code == 302
    sign_in(client, email=EMAIL)

    dashboard = client.get(reverse("patients:dashboard")).content.decode()
    assert "MRI lumbar spine with Riley Radiographer" in dashboard
    assert client.get(own).status_code == 200
    # The account already had a (empty) record from its first page: the visit moved into it.
    assert Appointment.objects.get(pk=scheduled_scan.pk).patient.user == user
    assert Intake.objects.get(pk=scheduled_scan.intake_id).patient.user == user


def test_a_first_sign_in_after_verifying_takes_over_the_record_itself(
    client, scheduled_scan, monday
):
    send_due()
    sign_up(client, email=EMAIL)
    [verification] = [m for m in deliver_account_mail() if m.to == [EMAIL]]
    client.post(link_in(verification, "/accounts/confirm-email/"))
    sign_in(client, email=EMAIL)

    user = EmailAddress.objects.get(email=EMAIL).user
    assert Patient.objects.get(pk=scheduled_scan.patient_id).user == user
    assert Patient.objects.filter(user=user).count() == 1


def test_staff_at_another_location_cannot_open_the_schedule_page(client, chaska, mri, monday):
    from tests.factories import LocationFactory

    intake = anonymous_scan_intake(chaska)
    elsewhere = make_staff(roles=[roles.SCHEDULER], locations=[LocationFactory(slug="delano")])
    admin_login(client, elsewhere)
    assert book(client, intake, mri).status_code in (302, 404)
    assert not Appointment.objects.exists()
    assert not Patient.objects.filter(contact_email=EMAIL).exists()


def test_staff_moving_the_visit_answers_the_patients_change_request(
    client, scheduled_scan, chaska, monday
):
    from clinic import scheduling

    [message] = [m for m in send_due() if m.to == [EMAIL]]
    link = link_in(message, "/me/appointments/manage/")
    client.post(link, {"action": "change_request", "reason": "Later that morning, please"})
    scheduler = make_staff(roles=[roles.SCHEDULER], locations=[chaska])

    scheduling.appointment_reschedule(
        appointment=scheduled_scan,
        actor=scheduler,
        start=TUESDAY_9AM + dt.timedelta(hours=1),
        by_patient=False,
    )

    request = ChangeRequest.objects.get(appointment=scheduled_scan)
    assert (request.state, request.handled_by) == ("handled", scheduler)
    assert client.get(link).status_code == 404  # the old link named the old time
    notice = [m for m in send_due() if m.to == [EMAIL]]
    assert any("10:00 AM CDT" in m.body for m in notice)
