"""A refusal from the booking rules reaches the patient in the language of their page or API
call, and a service is named in the patient's language wherever they read it (blank Spanish
falls back to the English)."""

import datetime as dt
import re

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import translation

from clinic import messages, scheduling
from clinic.models import Appointment, AppointmentStatus, Notification, NotificationKind
from patients import tokens
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
)
from tests.i18n.test_spanish_pages import assert_spanish, visible_text

pytestmark = pytest.mark.django_db

# Monday 23 November 2026, 8:00 in Minnesota (CST, UTC-6).
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
PHYSIO = {"sbst_1": True, "sbst_2": True, "sbst_3": True, "sbst_4": True}
SPANISH_NAME = "Evaluación de fisioterapia"


@pytest.fixture(autouse=True)
def frozen(freeze):
    return freeze(NOW)


@pytest.fixture
def location():
    location = LocationFactory(name="Shakopee", slug="shakopee", phone="(952) 555-0140")
    practitioner = PractitionerFactory(display_name="Robin Physio", locations=[location])
    for weekday in range(6):
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    return location


@pytest.fixture
def physio():
    return ServiceFactory(
        name_es=SPANISH_NAME,
        description="A first assessment with a physiotherapist.",
        description_es="Una primera evaluación con un fisioterapeuta.",
    )


def browser(language: str, patient) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(patient.user)
    return client


def first_slot(client, intake, day=None) -> str:
    search = {"location": "shakopee", "date": day.isoformat()} if day else {}
    page = client.get(reverse("patients:book", args=[intake.public_id]), search)
    return re.findall(r'name="slot" id="[^"]+" value="([^"]+)"', page.content.decode())[0]


def book_first_slot(client, intake, day=None) -> Appointment:
    key = first_slot(client, intake, day)
    client.post(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})
    return Appointment.objects.get(intake=intake)


def soon_appointment(patient, location, service) -> Appointment:
    """A booked visit three hours from now: inside the 24-hour change cut-off."""
    return AppointmentFactory(
        patient=patient,
        location=location,
        service=service,
        practitioner=location.practitioners.get(),
        start=NOW + dt.timedelta(hours=3),
    )


# --- Refusals on the patient pages ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("es", "Ese horario no está disponible para reservar. Por favor elija uno de los horarios"),
        ("en", "That time is not offered for booking. Please pick one of the times shown."),
    ],
)
def test_a_time_that_is_not_offered_is_refused_in_the_pages_language(
    location, physio, language, refusal
):
    patient = PatientFactory()
    client = browser(language, patient)
    intake = make_intake(location=location, patient=patient, **PHYSIO)
    offered = scheduling.parse_slot_key(first_slot(client, intake))
    # Seven minutes past a free time: nobody's booking, but not a time we offer either.
    off_grid = scheduling.slot_key(offered._replace(start=offered.start + dt.timedelta(minutes=7)))

    response = client.post(
        reverse("patients:book_confirm", args=[intake.public_id]), {"slot": off_grid}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("patients:book", args=[intake.public_id])
    assert refusal in visible_text(response)
    assert not Appointment.objects.filter(intake=intake).exists()


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        (
            "es",
            "Las citas se pueden cambiar en línea hasta 24 horas antes de que empiecen. "
            "Por favor llame a Shakopee al (952) 555-0140.",
        ),
        (
            "en",
            "Appointments can be changed online until 24 hours before they start. "
            "Please call Shakopee on (952) 555-0140.",
        ),
    ],
)
def test_a_cancel_past_the_change_cutoff_is_refused_in_the_pages_language(
    location, physio, language, refusal
):
    patient = PatientFactory()
    appointment = soon_appointment(patient, location, physio)

    response = browser(language, patient).post(
        reverse("patients:appointment_cancel", args=[appointment.public_id]), follow=True
    )

    assert refusal in visible_text(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_a_spanish_patient_joining_the_waitlist_for_a_booked_service_reads_why_not_in_spanish(
    location, physio
):
    patient = PatientFactory()
    client = browser("es", patient)
    intake = make_intake(location=location, patient=patient, **PHYSIO)
    book_first_slot(client, intake)

    response = client.post(
        reverse("patients:waitlist_join", args=[intake.public_id]),
        {"locations": [location.slug]},
        follow=True,
    )

    # The refusal names the service in Spanish too, and no English sentence is left.
    assert_spanish(response, "Ya tiene una cita de Evaluación de fisioterapia.")
    assert not patient.waitlist_entries.exists()


def test_an_english_patient_joining_the_waitlist_for_a_booked_service_reads_it_in_english(
    location, physio
):
    patient = PatientFactory()
    client = browser("en", patient)
    intake = make_intake(location=location, patient=patient, **PHYSIO)
    book_first_slot(client, intake)

    response = client.post(
        reverse("patients:waitlist_join", args=[intake.public_id]),
        {"locations": [location.slug]},
        follow=True,
    )

    text = visible_text(response)
    assert "You already have an appointment for Physiotherapy assessment." in text
    assert SPANISH_NAME not in text


def test_cancelling_a_cancelled_visit_again_says_so_in_spanish(location, physio):
    patient = PatientFactory()
    appointment = AppointmentFactory(
        patient=patient,
        location=location,
        service=physio,
        practitioner=location.practitioners.get(),
        status=AppointmentStatus.CANCELLED,
    )

    response = browser("es", patient).post(
        reverse("patients:appointment_cancel", args=[appointment.public_id]), follow=True
    )

    assert_spanish(response, "Una cita con estado «cancelada» no puede pasar a «cancelada».")


# --- Refusals through the patient API ------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("es", "Una cita con estado «cancelada» no puede pasar a «cancelada»."),
        ("en", "An appointment that is cancelled cannot become cancelled."),
    ],
)
def test_the_api_refuses_a_second_cancel_in_the_callers_language(
    location, physio, language, refusal
):
    patient = PatientFactory()
    appointment = AppointmentFactory(
        patient=patient,
        location=location,
        service=physio,
        practitioner=location.practitioners.get(),
        status=AppointmentStatus.CANCELLED,
    )
    token = tokens.token_create(user=patient.user, name="phone app")[1]
    api = Client(headers={"authorization": f"Bearer {token}", "accept-language": language})

    response = api.post(
        f"/api/v1/appointments/{appointment.public_id}/cancel", {}, "application/json"
    )

    assert response.status_code == 409
    assert response.json()["detail"] == refusal


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("es", "Las citas se pueden cambiar en línea hasta 24 horas antes de que empiecen."),
        ("en", "Appointments can be changed online until 24 hours before they start."),
    ],
)
def test_the_api_refuses_a_late_cancel_in_the_callers_language(location, physio, language, refusal):
    patient = PatientFactory()
    appointment = soon_appointment(patient, location, physio)
    token = tokens.token_create(user=patient.user, name="phone app")[1]
    api = Client(headers={"authorization": f"Bearer {token}", "accept-language": language})

    response = api.post(
        f"/api/v1/appointments/{appointment.public_id}/cancel", {}, "application/json"
    )

    assert response.status_code == 403
    assert response.json()["detail"].startswith(refusal)


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("es", "Su plan es de autocuidado, así que no necesita una cita."),
        ("en", "Your plan is self-care, so no appointment is needed."),
    ],
)
def test_the_api_says_in_the_callers_language_why_a_plan_has_no_times(
    location, physio, language, refusal
):
    patient = PatientFactory()
    intake = make_intake(location=location, patient=patient)  # no risk factors: self-care
    token = tokens.token_create(user=patient.user, name="phone app")[1]
    api = Client(headers={"authorization": f"Bearer {token}", "accept-language": language})

    response = api.get(f"/api/v1/intakes/{intake.public_id}/slots")

    assert response.status_code == 403
    assert response.json()["detail"].startswith(refusal)


# --- Service names ----------------------------------------------------------------------------
def test_the_spanish_booking_pages_name_the_service_in_spanish(location, physio):
    patient = PatientFactory()
    client = browser("es", patient)
    intake = make_intake(location=location, patient=patient, **PHYSIO)

    book = client.get(reverse("patients:book", args=[intake.public_id]))
    assert_spanish(
        book,
        "Reservar: evaluación de fisioterapia",
        "Una primera evaluación con un fisioterapeuta.",
    )
    assert "A first assessment" not in visible_text(book)
    key = first_slot(client, intake)
    confirm = client.get(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})
    assert_spanish(confirm, "Evaluación de fisioterapia (45 minutos)")
    assert "Physiotherapy assessment" not in visible_text(confirm)

    appointment = book_first_slot(client, intake)
    for page in ("patients:dashboard", "patients:appointment"):
        args = [appointment.public_id] if page == "patients:appointment" else []
        assert SPANISH_NAME in visible_text(client.get(reverse(page, args=args)))


def test_an_english_page_keeps_the_english_name(location, physio):
    patient = PatientFactory()
    client = browser("en", patient)
    intake = make_intake(location=location, patient=patient, **PHYSIO)

    text = visible_text(client.get(reverse("patients:book", args=[intake.public_id])))
    assert "Book a physiotherapy assessment" in text
    assert "A first assessment with a physiotherapist." in text
    assert "fisioterapia" not in text


def test_a_service_without_a_spanish_name_shows_the_english_one_on_spanish_pages(location):
    ServiceFactory(name_es="", description="A first assessment.", description_es="")
    patient = PatientFactory()
    client = browser("es", patient)
    intake = make_intake(location=location, patient=patient, **PHYSIO)

    book = client.get(reverse("patients:book", args=[intake.public_id]))
    assert_spanish(book, "Reservar: physiotherapy assessment", "A first assessment.")
    confirm = client.get(
        reverse("patients:book_confirm", args=[intake.public_id]),
        {"slot": first_slot(client, intake)},
    )
    assert_spanish(confirm, "Physiotherapy assessment (45 minutos)")


def test_the_confirmation_names_the_service_in_the_patients_language(location, physio):
    patient = PatientFactory(first_name="Riley", preferred_language="es")
    appointment = book_first_slot(
        browser("es", patient), make_intake(location=location, patient=patient, **PHYSIO)
    )
    confirmation = Notification.objects.get(
        appointment=appointment, kind=NotificationKind.BOOKING_CONFIRMATION
    )

    with translation.override("en"):  # the worker, which has no request
        message = messages.render(confirmation)
    assert "Evaluación de fisioterapia con Robin Physio" in message.text
    assert "Evaluación de fisioterapia con Robin Physio" in message.html
    calendar_file = message.attachments[0][1].decode()
    assert "SUMMARY:Evaluación de fisioterapia en Backstride Shakopee" in calendar_file

    patient.preferred_language = "en"
    patient.save()
    with translation.override("es"):
        message = messages.render(Notification.objects.get(pk=confirmation.pk))
    assert "Physiotherapy assessment with Robin Physio" in message.text
    assert SPANISH_NAME not in message.text


def test_a_held_waitlist_time_names_the_service_in_the_waiting_patients_language(location, physio):
    waiting = PatientFactory(preferred_language="es")
    intake = make_intake(location=location, patient=waiting, **PHYSIO)
    scheduling.waitlist_join(patient=waiting, intake=intake, service=physio, locations=[location])
    other = PatientFactory()
    wednesday = dt.date(2026, 11, 25)
    appointment = book_first_slot(
        browser("en", other), make_intake(location=location, patient=other, **PHYSIO), wednesday
    )

    # The visit is cancelled by an English reader: the hold is still written in Spanish.
    with translation.override("en"), TestCase.captureOnCommitCallbacks(execute=True):
        scheduling.appointment_cancel(appointment=appointment, actor=other.user, by_patient=True)

    hold = Notification.objects.get(kind=NotificationKind.WAITLIST_HOLD)
    with translation.override("en"):
        message = messages.render(hold)
    assert message.subject == f"Le guardamos un horario de {SPANISH_NAME}"
    assert f"Se liberó un horario que usted esperaba: {SPANISH_NAME} el miércoles" in message.text
