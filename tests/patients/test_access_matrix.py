"""Who may read what: every role against every kind of patient record, from one shared setup.

The selectors (patients.selectors) are the only way pages read patient data: each cell of the
matrix is either the record or a 404 (never a 403, so a guessed id confirms nothing). The second
half walks every patient-facing URL that takes an id, so a new page is covered the day it lands.
"""

import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import Http404
from django.test import RequestFactory
from django.urls import URLPattern, get_resolver, reverse
from django.urls.converters import IntConverter, StringConverter, UUIDConverter

from clinic import roles
from clinic.models import User
from patients import selectors
from patients.models import AccessLog
from tests.factories import (
    AppointmentFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    make_intake,
    make_staff,
)

pytestmark = pytest.mark.django_db

EMERGENCY = {"saddle_numbness": True}  # protocol rule R1


@dataclass
class World:
    x: object
    y: object
    patient_a: object
    patient_b: object
    intake: object
    decision: object
    appointment: object
    emergency: object
    users: dict


@pytest.fixture
def world() -> World:
    x = LocationFactory(name="Shakopee", slug="shakopee")
    y = LocationFactory(name="Delano", slug="delano")
    patient_a = PatientFactory(first_name="Avery", preferred_location=x)
    patient_b = PatientFactory(first_name="Blake")
    intake = make_intake(location=x, patient=patient_a)
    emergency = make_intake(location=y, patient=patient_a, **EMERGENCY)
    appointment = AppointmentFactory(patient=patient_a, location=x, intake=intake)
    users = {
        "anonymous": AnonymousUser(),
        "patient A": patient_a.user,
        "patient B": patient_b.user,
        "triage clinician X": make_staff(roles=[roles.TRIAGE_CLINICIAN], locations=[x]),
        "scheduler X": make_staff(roles=[roles.SCHEDULER], locations=[x]),
        "scheduler Y": make_staff(roles=[roles.SCHEDULER], locations=[y]),
        "location manager X": make_staff(roles=[roles.LOCATION_MANAGER], locations=[x]),
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }
    return World(
        x, y, patient_a, patient_b, intake, intake.current_decision, appointment, emergency, users
    )


def request_as(user):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return request


# --- The matrix --------------------------------------------------------------------------------
# Columns: the routine intake at X, its decision, the appointment at X, patient A, and patient A's
# emergency intake at Y. Scheduler Y sees patient A (and the emergency) because that emergency
# intake is at Y; every triage clinician sees every emergency (protocol section 6).
OBJECTS = ("intake", "decision", "appointment", "patient", "emergency intake at Y")
MATRIX = {
    "anonymous": (404, 404, 404, 404, 404),
    "patient A": (200, 200, 200, 200, 200),
    "patient B": (404, 404, 404, 404, 404),
    "triage clinician X": (200, 200, 200, 200, 200),
    "scheduler X": (200, 200, 200, 200, 404),
    "scheduler Y": (404, 404, 404, 200, 200),
    "location manager X": (200, 200, 200, 200, 404),
    "superuser": (200, 200, 200, 200, 200),
}


def read(world: World, kind: str, request):
    """What the selector hands back for one cell (raises Http404 when refused)."""
    access = selectors.Access.of(request)
    if kind == "intake":
        return selectors.access_intake(access, public_id=world.intake.public_id)
    if kind == "decision":
        intake = selectors.access_intake(access, public_id=world.intake.public_id)
        return selectors.access_decisions(access, intake=intake).get(pk=world.decision.pk)
    if kind == "appointment":
        return selectors.access_appointment(access, public_id=world.appointment.public_id)
    if kind == "patient":
        return selectors.access_patient(access, public_id=world.patient_a.public_id)
    return selectors.access_intake(access, public_id=world.emergency.public_id)


def in_scope(world: World, kind: str, user) -> bool:
    """The same question asked of the scope_* querysets (used by lists and the admin)."""
    if kind == "decision":
        kind = "intake"
    queryset, obj = {
        "intake": (selectors.scope_intakes, world.intake),
        "appointment": (selectors.scope_appointments, world.appointment),
        "patient": (selectors.scope_patients, world.patient_a),
        "emergency intake at Y": (selectors.scope_intakes, world.emergency),
    }[kind]
    return queryset(user).filter(pk=obj.pk).exists()


def outcome(world, kind, user) -> int:
    try:
        read(world, kind, request_as(user))
    except Http404:
        return 404
    return 200


def test_every_role_against_every_record(world):
    seen = {
        role: tuple(outcome(world, kind, user) for kind in OBJECTS)
        for role, user in world.users.items()
    }

    assert seen == MATRIX


def test_the_scope_querysets_agree_with_the_matrix(world):
    seen = {
        role: tuple(200 if in_scope(world, kind, user) else 404 for kind in OBJECTS)
        for role, user in world.users.items()
    }

    assert seen == MATRIX


def test_every_allowed_read_is_in_the_access_log_and_no_refused_one(world):
    for role, user in world.users.items():
        for kind, expected in zip(OBJECTS, MATRIX[role], strict=True):
            before = AccessLog.objects.count()
            outcome(world, kind, user)
            logged = AccessLog.objects.count() - before
            assert (logged > 0) == (expected == 200), (role, kind)
            if logged and user.is_authenticated:
                assert AccessLog.objects.order_by("-pk").first().actor == user


@pytest.mark.parametrize("related", [(), ("patient",)], ids=["account only", "with its record"])
def test_a_patients_scope_is_the_same_however_the_account_was_loaded(world, related):
    """An API token loads the account with its patient record, a session without: the scope
    reads by the record's id in the first case and through the account in the second."""
    loaded = User.objects.select_related(*related)
    patient_a = loaded.get(pk=world.patient_a.user.pk)
    without_record = loaded.get(pk=UserFactory().pk)

    assert set(selectors.scope_intakes(patient_a)) == {world.intake, world.emergency}
    assert list(selectors.scope_appointments(patient_a)) == [world.appointment]
    assert not selectors.scope_intakes(without_record).exists()
    assert not selectors.scope_appointments(without_record).exists()


def test_an_inactive_staff_member_sees_nothing(world):
    clinician = world.users["triage clinician X"]
    clinician.is_active = False
    clinician.save()

    assert {outcome(world, kind, clinician) for kind in OBJECTS} == {404}


def test_a_browser_sees_its_own_anonymous_intake_until_it_is_attached(world):
    anonymous = make_intake(location=world.x)
    request = request_as(AnonymousUser())
    request.session[selectors.SESSION_INTAKES_KEY] = [
        str(anonymous.public_id),
        str(world.intake.public_id),  # someone else's, already attached: never visible
        "not-a-uuid",
    ]

    access = selectors.Access.of(request)
    assert selectors.access_intake(access, public_id=anonymous.public_id) == anonymous
    with pytest.raises(Http404):
        selectors.access_intake(access, public_id=world.intake.public_id)


def test_a_task_or_command_reads_through_the_same_scope_without_a_request(world):
    """No request needed: the actor decides the scope and the access log names the reader."""
    outsider = selectors.Access(actor=world.users["scheduler Y"], via="command: reminders")
    with pytest.raises(Http404):
        selectors.access_intake(outsider, public_id=world.intake.public_id)

    own = selectors.Access(actor=world.patient_a.user, via="task: follow-up")
    assert selectors.access_intake(own, public_id=world.intake.public_id) == world.intake
    entry = AccessLog.objects.get(object_id=str(world.intake.public_id), via="task: follow-up")
    assert entry.actor == world.patient_a.user


# --- Every URL that takes an id: patient B with patient A's ids gets a 404 --------------------
ID_CONVERTERS = (UUIDConverter, StringConverter, IntConverter)


def id_routes() -> list[tuple[str, tuple[str, ...], tuple[type, ...]]]:
    """(name, parameter names, converters) of every patients: and triage: URL taking an id."""
    routes = []
    for namespace in ("patients", "triage"):
        _prefix, resolver = get_resolver().namespace_dict[namespace]
        for pattern in resolver.url_patterns:
            assert isinstance(pattern, URLPattern), "nested includes: extend this walk"
            converters = getattr(pattern.pattern, "converters", {})
            # Exact types: a slug (a SlugConverter is a StringConverter) names a step, not a record.
            if any(type(c) in ID_CONVERTERS for c in converters.values()):
                routes.append(
                    (
                        f"{namespace}:{pattern.name}",
                        tuple(converters),
                        tuple(type(c) for c in converters.values()),
                    )
                )
    return routes


def ids_of_patient_a(world: World) -> dict[type, list]:
    uuids = [
        world.intake.public_id,
        world.emergency.public_id,
        world.appointment.public_id,
        world.patient_a.public_id,
    ]
    ints = [world.patient_a.pk, world.intake.pk, world.emergency.pk, world.appointment.pk]
    try:
        from patients import tokens
    except ImportError:
        pass
    else:
        record, _secret = tokens.token_create(user=world.patient_a.user, name="A's token")
        ints.append(record.pk)
    return {
        UUIDConverter: uuids,
        StringConverter: [str(value) for value in uuids],
        IntConverter: ints,
    }


def urls_with(world, name, params, converter_types) -> list[str]:
    values = ids_of_patient_a(world)
    urls = []
    for index in range(max(len(values.get(c, ["x"])) for c in converter_types)):
        kwargs = {}
        for param, converter in zip(params, converter_types, strict=True):
            choices = values.get(converter, ["x"])  # a slug next to an id: any value
            kwargs[param] = choices[index % len(choices)]
        urls.append(reverse(name, kwargs=kwargs))
    return urls


def test_the_walk_finds_the_pages_that_take_an_id():
    names = {name for name, _params, _types in id_routes()}

    assert {"patients:appointment", "patients:book", "triage:result"} <= names


@pytest.mark.parametrize(
    ("name", "params", "converter_types"),
    [pytest.param(*route, id=route[0]) for route in id_routes()],
)
def test_patient_b_gets_a_404_for_every_page_with_patient_as_ids(
    client, world, name, params, converter_types
):
    client.force_login(world.patient_b.user)
    made_up = reverse(
        name,
        kwargs={
            param: 987654321 if converter is IntConverter else uuid.uuid4()
            for param, converter in zip(params, converter_types, strict=True)
        },
    )
    for url in urls_with(world, name, params, converter_types):
        posted = client.post(url, {"slot": "1.1.20261124T160000Z", "reason": "x"})
        assert posted.status_code == 404, (url, "POST", posted.status_code)
        got = client.get(url)
        if got.status_code == 405:
            # A POST-only page refuses GET for any id, so the answer says nothing about A's.
            assert client.get(made_up).status_code == 405
        else:
            assert got.status_code == 404, (url, "GET", got.status_code)
