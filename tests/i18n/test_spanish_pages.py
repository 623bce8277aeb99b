"""With the browser asking for Spanish, the whole patient journey is in Spanish, the switch
changes language without losing the intake's answers, the choice is kept for the messages we
send, and staff pages stay English."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from clinic import messages
from clinic.models import Appointment, Notification, NotificationKind
from patients.models import Patient
from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
    make_intake,
    make_staff,
)
from tests.i18n.catalog import entries
from tests.triage.test_intake_form import SLUGS, answer_steps, step_url, submit_intake
from triage.models import Intake

pytestmark = pytest.mark.django_db

# Monday 23 November 2026, 8:00 in Minnesota (CST, UTC-6).
NOW = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
PHYSIO = {"sbst_1": True, "sbst_2": True, "sbst_3": True, "sbst_4": True}

# Every English sentence of the catalog (longer than a few words, with no placeholder or markup,
# and that Spanish does not write the same): none may be left on a page shown in Spanish.
ENGLISH_SENTENCES = sorted(
    {
        entry.msgid
        for entry in entries()
        if entry.context is None
        and entry.msgid != entry.msgstr
        and len(entry.msgid.split()) >= 4
        and not re.search(r"[%<{]", entry.msgid)
    }
)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def spanish():
    return Client(headers={"accept-language": "es"})


@pytest.fixture
def clinic():
    location = LocationFactory(name="Shakopee", slug="shakopee")
    practitioner = PractitionerFactory(display_name="Robin Physio", locations=[location])
    for weekday in range(6):
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday)
    ServiceFactory()
    return location


def visible_text(response) -> str:
    assert response.status_code == 200
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def assert_spanish(response, *expected: str) -> str:
    text = visible_text(response)
    assert '<html lang="es">' in response.content.decode()
    for words in expected:
        assert words in text
    assert [sentence for sentence in ENGLISH_SENTENCES if sentence in text] == []
    return text


def test_the_check_against_english_would_notice_an_english_page(client, clinic):
    english = visible_text(client.get(reverse("patients:home")))
    assert [s for s in ENGLISH_SENTENCES if s in english]


def test_the_home_page_and_the_intake_steps_are_in_spanish(spanish, clinic):
    assert_spanish(
        spanish.get(reverse("patients:home")),
        "¿Le duele la espalda al correr?",
        "Cuándo llamar al 911",
        "adormecimiento alrededor de los genitales",
    )
    assert_spanish(spanish.get(reverse("triage:start")), "Revise su dolor de espalda")
    headings = [
        "Sobre usted y cómo corre",
        "Su dolor",
        "Señales de alarma",
        "Cómo le afecta",
        "Atención hasta ahora",
    ]
    for number, heading in enumerate(headings):
        answer_steps(spanish, clinic, upto=number)
        text = assert_spanish(spanish.get(step_url(SLUGS[number])), heading, "Continuar")
        assert f"Paso {number + 1} de 5" in text
    answer_steps(spanish, clinic)
    assert_spanish(
        spanish.get(reverse("triage:review")), "Revise sus respuestas", "En desacuerdo", "No"
    )


def test_a_field_error_is_in_spanish(spanish, clinic):
    response = spanish.post(step_url("about-you"), {"first_name": "", "age": "abc"})
    text = visible_text(response)
    assert "Escriba su nombre." in text
    assert "Escriba un número entero del 0 al" in text
    assert "Enter your first name." not in text


def test_the_result_is_in_spanish_with_the_reasons_translated_at_display(spanish, clinic):
    intake = submit_intake(spanish, clinic, **PHYSIO)
    assert intake.language == "es"
    assert_spanish(
        spanish.get(reverse("triage:result", args=[intake.public_id])),
        "Su resultado: Fisioterapia",
        "Sus respuestas muestran un riesgo medio de que el dolor dure.",
        "lunes, 23 de noviembre de 2026",
    )


def test_the_emergency_result_is_in_spanish(spanish, clinic):
    intake = submit_intake(spanish, clinic, saddle_numbness=True)
    assert_spanish(
        spanish.get(reverse("triage:result", args=[intake.public_id])),
        "Vaya ahora a una sala de emergencias",
        "síndrome de cauda equina",
    )


def test_booking_and_the_account_pages_are_in_spanish(spanish, clinic):
    patient = PatientFactory(first_name="Riley")
    spanish.force_login(patient.user)
    intake = make_intake(location=clinic, patient=patient, **PHYSIO)

    book = spanish.get(reverse("patients:book", args=[intake.public_id]))
    assert_spanish(book, "Horarios libres", "lunes, 23 de noviembre")
    assert 'value="Mostrar horarios"' in book.content.decode()
    key = re.findall(r'name="slot" id="[^"]+" value="([^"]+)"', book.content.decode())[0]
    confirm_url = reverse("patients:book_confirm", args=[intake.public_id])
    assert_spanish(
        spanish.get(confirm_url, {"slot": key}),
        "Confirme su cita",
        "lunes, 23 de noviembre de 2026, 10:00 CST",
    )
    response = spanish.post(confirm_url, {"slot": key}, follow=True)
    assert_spanish(response, "Su cita está reservada.", "Reservada")
    assert_spanish(
        spanish.get(reverse("patients:dashboard")), "Hola, Riley", "Próximas citas", "Fisioterapia"
    )


def test_the_confirmation_email_is_in_the_patients_language_whatever_is_active(clinic):
    patient = PatientFactory(first_name="Riley", preferred_language="es")
    client = Client(headers={"accept-language": "es"})
    client.force_login(patient.user)
    intake = make_intake(location=clinic, patient=patient, **PHYSIO)
    book = client.get(reverse("patients:book", args=[intake.public_id])).content.decode()
    key = re.findall(r'name="slot" id="[^"]+" value="([^"]+)"', book)[0]
    client.post(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})
    confirmation = Notification.objects.get(
        appointment__patient=patient, kind=NotificationKind.BOOKING_CONFIRMATION
    )

    with translation.override("en"):  # e.g. the worker, which has no request
        message = messages.render(confirmation)
    assert message.subject.startswith("Su cita está reservada: lunes, 23 de noviembre de 2026")
    assert "Hola, Riley:" in message.text
    assert "lunes, 23 de noviembre de 2026, 10:00 CST" in message.text
    assert "llame al 911" in message.text
    assert '<html lang="es">' in message.html
    assert [s for s in ENGLISH_SENTENCES if s in message.text] == []

    patient.preferred_language = "en"
    patient.save()
    with translation.override("es"):
        message = messages.render(Notification.objects.get(pk=confirmation.pk))
    assert message.subject.startswith("Your appointment is booked: Monday, November 23, 2026")
    assert "Monday, November 23, 2026, 10:00 AM CST" in message.text


def test_switching_language_mid_intake_keeps_the_answers(client, clinic):
    answer_steps(client, clinic, upto=2)
    pain = step_url("warning-signs")
    english = visible_text(client.get(pain))
    assert "Warning signs" in english

    response = client.post(reverse("set_language"), {"language": "es", "next": pain})
    assert response.status_code == 302
    assert response["Location"] == pain
    assert_spanish(client.get(pain), "Señales de alarma")
    about_you = client.get(step_url("about-you")).content.decode()
    assert 'value="Sam"' in about_you  # the first step's answers are still there
    assert 'value="sam@example.test"' in about_you
    answer_steps(client, clinic, upto=0)
    # Back to English, and the review still has every answer.
    client.post(reverse("set_language"), {"language": "en", "next": pain})
    answer_steps(client, clinic, upto=len(SLUGS))
    assert "Check your answers" in visible_text(client.get(reverse("triage:review")))


def test_every_patient_page_has_the_language_switch(spanish, clinic):
    page = spanish.get(reverse("triage:start")).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert '<label for="language-switch"' in page
    assert 'value="en" lang="en">English</option>' in page
    assert 'value="es" lang="es" selected>Español</option>' in page


def test_a_signed_in_patients_choice_is_kept_for_their_messages(client, clinic):
    patient = PatientFactory()
    client.force_login(patient.user)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    assert Patient.objects.get(pk=patient.pk).preferred_language == "es"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert Patient.objects.get(pk=patient.pk).preferred_language == "es"


def test_an_intake_sent_by_a_signed_in_patient_sets_their_language(spanish, clinic):
    patient = PatientFactory()
    spanish.force_login(patient.user)
    submit_intake(spanish, clinic)
    assert Patient.objects.get(pk=patient.pk).preferred_language == "es"
    assert Intake.objects.get(patient=patient).language == "es"


def test_staff_pages_stay_english(clinic):
    staff = make_staff(locations=[clinic], is_superuser=True)
    client = Client(headers={"accept-language": "es"})
    client.force_login(staff)
    page = client.get(reverse("admin:index")).content.decode()
    assert '<html lang="en"' in page
    # Django's own admin words have Spanish translations: they must not be used here.
    assert "Log out" in page
    assert "Cerrar sesión" not in page


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Tuesday, December 1, 2026, 9:00 AM CST|Tuesday, December 1, 2026|9:00 AM"),
        ("es", "martes, 1 de diciembre de 2026, 9:00 CST|martes, 1 de diciembre de 2026|9:00"),
    ],
)
def test_one_date_style_per_language_in_the_clinics_zone(language, expected):
    moment = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # 9:00 in Minnesota
    template = Template(
        "{% load tz patient_dates %}{% timezone 'America/Chicago' %}"
        "{{ when|when }}|{{ when|day }}|{{ when|clock }}{% endtimezone %}"
    )
    with translation.override(language):
        assert template.render(Context({"when": moment})) == expected


def test_the_appointment_page_shows_the_spanish_date(spanish, clinic):
    patient = PatientFactory()
    spanish.force_login(patient.user)
    intake = make_intake(location=clinic, patient=patient, **PHYSIO)
    book = spanish.get(reverse("patients:book", args=[intake.public_id])).content.decode()
    key = re.findall(r'name="slot" id="[^"]+" value="([^"]+)"', book)[0]
    spanish.post(reverse("patients:book_confirm", args=[intake.public_id]), {"slot": key})
    appointment = Appointment.objects.get(patient=patient)
    assert_spanish(
        spanish.get(reverse("patients:appointment", args=[appointment.public_id])),
        "Cuándo lunes, 23 de noviembre de 2026, 10:00 CST a",
        "Agregar a mi calendario (.ics)",
    )


def test_the_details_page_is_in_spanish(spanish, clinic):
    patient = PatientFactory()
    spanish.force_login(patient.user)
    text = assert_spanish(
        spanish.get(reverse("patients:profile")),
        "Sus datos",
        "Fecha de nacimiento",
        "Cómo prefiere que le escribamos",
        "Mensaje de texto (SMS)",
    )
    assert "Contact preference" not in text
