"""The Spanish journey in Chromium, with axe-core on every page visited, as for English: a
browser that asks for Spanish gets the intake, the result, signing in and booking in Spanish,
and switching language in the middle of the intake keeps the answers given so far.

The live server runs in a thread of this process, so the clock is not frozen: dates are chosen
relative to now.
"""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from clinic.models import Appointment
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import MEDIUM_RISK, fill_step, intake_answers, seed_demo_network
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Long-run-on-Sunday-2026"
SPANISH_DATE = re.compile(
    r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo), \d{1,2} de [a-z]+"
)


@pytest.fixture
def spanish_page(browser, live_server):
    """A phone whose browser asks for Spanish first (Accept-Language: es-US)."""
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, locale="es-US")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def chicago_today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("America/Chicago")).date()


def test_a_spanish_speaking_patient_takes_the_check_and_books_in_spanish(
    spanish_page, assert_accessible
):
    page = spanish_page
    shakopee = seed_demo_network()["shakopee"]
    user = UserFactory(email="ana.lopez@example.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True)
    patient = PatientFactory(user=user, first_name="Ana", preferred_location=shakopee)
    answers = intake_answers(location=shakopee, email=user.email, first_name="Ana", **MEDIUM_RISK)

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "¿Le duele la espalda al correr? Encuentre la atención adecuada, rápido."
    )
    assert_accessible(page)
    page.get_by_role("link", name="Empezar la evaluación del dolor de espalda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revise su dolor de espalda")
    assert_accessible(page)
    page.get_by_role("link", name="Empezar la evaluación", exact=True).click()

    for number in range(1, 6):
        expect(page.get_by_text(f"Paso {number} de 5", exact=True)).to_be_visible()
        assert_accessible(page)
        if number == 3:
            # The switch, mid-way: the page comes back in English with the answers kept.
            page.get_by_label("Idioma").select_option("en")
            page.get_by_role("button", name="Cambiar idioma").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Warning signs")
            page.get_by_role("link", name="Back", exact=True).click()
            expect(page.get_by_label("How many weeks has this episode")).to_have_value("3")
            page.get_by_label("Language").select_option("es")
            page.get_by_role("button", name="Change language").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Su dolor")
            page.get_by_role("button", name="Continuar").click()
            expect(page.get_by_text("Paso 3 de 5", exact=True)).to_be_visible()
        fill_step(page, answers)
        page.get_by_role("button", name="Continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revise sus respuestas")
    assert_accessible(page)
    page.get_by_role("button", name="Enviar mis respuestas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Su resultado: Fisioterapia")
    expect(page.get_by_text("Sus respuestas muestran un riesgo medio")).to_be_visible()
    expect(page.get_by_text(SPANISH_DATE).first).to_be_visible()
    assert_accessible(page)

    # Signing in keeps the result, then booking, all in Spanish.
    page.get_by_role("link", name="Iniciar sesión").last.click()
    assert_accessible(page)
    page.get_by_label("Correo electrónico").fill(user.email)
    page.get_by_label(re.compile(r"^Contraseña:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Su resultado: Fisioterapia")
    page.get_by_role("link", name="Reservar una evaluación de fisioterapia").click()
    expect(page.get_by_role("heading", level=2, name="Horarios libres")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Desde").fill((chicago_today() + dt.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Mostrar horarios").click()
    expect(page.get_by_text(SPANISH_DATE).first).to_be_visible()
    page.locator(".slot-picker label").first.click()
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirme su cita")
    # The demo catalogue's Spanish name of the service.
    expect(page.get_by_text("Evaluación de fisioterapia (45 minutos)")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirmar la reserva").click()
    expect(page.get_by_role("status")).to_contain_text("Su cita está reservada")
    assert_accessible(page)
    assert Appointment.objects.filter(patient=patient).exists()
    patient.refresh_from_db()
    assert patient.preferred_language == "es"

    page.get_by_role("button", name="Mostrar el menú").click()
    page.get_by_role("link", name="Mis citas").click()
    expect(page.get_by_role("heading", level=2, name="Próximas citas")).to_be_visible()
    assert_accessible(page)
