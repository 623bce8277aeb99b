"""What the demo network looks like: six Minnesota clinics, their services, staff and logins.

Every person, address, phone number and mailbox here is fictional. Phone numbers use the 555-01xx
block reserved for fiction, with each city's real area code; addresses are made up for streets of
the right city and ZIP code.
"""

from dataclasses import dataclass
from datetime import time

from clinic import roles
from clinic.models import Discipline

TIME_ZONE = "America/Chicago"
# Demo only: every demo login shares this password, printed by `seed_demo`; it is not a secret.
DEMO_PASSWORD = "backstride-demo"  # noqa: S105


@dataclass(frozen=True)
class LocationSpec:
    slug: str
    name: str
    street: str
    zip_code: str
    area_code: str
    line: str  # the last four digits, inside the 555-01xx fictional block

    @property
    def address(self) -> str:
        return f"{self.street}, {self.name}, MN {self.zip_code}"

    @property
    def phone(self) -> str:
        return f"({self.area_code}) 555-{self.line}"

    @property
    def on_call_email(self) -> str:
        return f"oncall.{self.slug}@backstride.test"


LOCATIONS: tuple[LocationSpec, ...] = (
    LocationSpec(
        "maple-grove", "Maple Grove", "7850 Main Street North, Suite 210", "55369", "763", "0110"
    ),
    LocationSpec(
        "coon-rapids", "Coon Rapids", "3150 Northdale Boulevard NW", "55433", "763", "0120"
    ),
    LocationSpec("chaska", "Chaska", "1120 Engler Boulevard, Suite 100", "55318", "952", "0130"),
    LocationSpec("shakopee", "Shakopee", "1480 Vierling Drive East", "55379", "952", "0140"),
    LocationSpec("sartell", "Sartell", "215 Pinecone Road South", "56377", "320", "0150"),
    LocationSpec("delano", "Delano", "430 Bridge Avenue East", "55328", "763", "0160"),
)

# One service per pathway (protocol section 7 decides who books which).
SERVICES: tuple[dict, ...] = (
    {
        "slug": "physio-assessment",
        "name": "Physiotherapy assessment",
        "pathway": "physio",
        "discipline": Discipline.PHYSIOTHERAPY,
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "bookable_online": True,
        "description": "A first assessment with a physiotherapist: history, movement tests and "
        "a plan to get you running again.",
        "name_es": "Evaluación de fisioterapia",
        "description_es": "Una primera evaluación con un fisioterapeuta: sus antecedentes, "
        "pruebas de movimiento y un plan para que vuelva a correr.",
    },
    {
        "slug": "mri-lumbar",
        "name": "Lumbar spine MRI",
        "pathway": "imaging",
        "discipline": Discipline.IMAGING,
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "bookable_online": False,
        "description": "An MRI scan of the lower back. Our staff schedule it and tell you how "
        "to prepare.",
        "name_es": "Resonancia magnética de la columna lumbar",
        "description_es": "Una resonancia magnética (MRI) de la parte baja de la espalda. "
        "Nuestro personal la programa y le explica cómo prepararse.",
    },
    {
        "slug": "spine-surgery-consult",
        "name": "Spine surgeon consultation",
        "pathway": "surgical_consult",
        "discipline": Discipline.SPINE_SURGERY,
        "duration_minutes": 30,
        "buffer_after_minutes": 10,
        "bookable_online": False,
        "description": "A consultation with a spine surgeon about injections or surgery. Our "
        "staff schedule it after reviewing your answers.",
        "name_es": "Consulta con un cirujano de columna",
        "description_es": "Una consulta con un cirujano de columna sobre inyecciones o cirugía. "
        "Nuestro personal la programa después de revisar sus respuestas.",
    },
    {
        "slug": "self-care-check-in",
        "name": "Self-care check-in call",
        "pathway": "self_care",
        "discipline": Discipline.PHYSIOTHERAPY,
        "duration_minutes": 15,
        "buffer_after_minutes": 0,
        "bookable_online": False,
        "description": "A short phone call with a physiotherapist to see how your self-care "
        "plan is going.",
        "name_es": "Llamada de seguimiento del autocuidado",
        "description_es": "Una llamada corta con un fisioterapeuta para ver cómo va su plan de "
        "autocuidado.",
    },
)

MON, TUE, WED, THU, FRI, SAT = range(6)
WEEKDAYS = (MON, TUE, WED, THU, FRI)
# A clinic day: two blocks around a lunch hour, in the location's local time.
DAY_BLOCKS = ((time(8), time(12)), (time(13), time(17)))
SATURDAY_MORNING = ((time(8), time(12)),)


@dataclass(frozen=True)
class PractitionerSpec:
    display_name: str
    discipline: str
    # location slug -> the weekdays worked there (each day with DAY_BLOCKS)
    days: dict[str, tuple[int, ...]]
    saturday_at: str | None = None  # a location slug where this practitioner works Saturdays

    def blocks(self):
        """(location slug, weekday, start, end) for every block of the week."""
        for slug, weekdays in self.days.items():
            for weekday in weekdays:
                for start, end in DAY_BLOCKS:
                    yield slug, weekday, start, end
        if self.saturday_at:
            for start, end in SATURDAY_MORNING:
                yield self.saturday_at, SAT, start, end


def _physio(name: str, slug: str, *, saturday: bool = False) -> PractitionerSpec:
    return PractitionerSpec(
        name, Discipline.PHYSIOTHERAPY, {slug: WEEKDAYS}, saturday_at=slug if saturday else None
    )


def _imaging(name: str, slug: str) -> PractitionerSpec:
    return PractitionerSpec(name, Discipline.IMAGING, {slug: WEEKDAYS})


def _surgeon(name: str, days: dict[str, tuple[int, ...]]) -> PractitionerSpec:
    return PractitionerSpec(name, Discipline.SPINE_SURGERY, days)


PRACTITIONERS: tuple[PractitionerSpec, ...] = (
    # Physiotherapy at every location, two each; one of the two also works Saturday mornings.
    _physio("Ingrid Halvorsen, DPT", "maple-grove", saturday=True),
    _physio("Marcus Oyelaran, PT", "maple-grove"),
    _physio("Tessa Lindqvist, DPT", "coon-rapids", saturday=True),
    _physio("Rafael Moreno, PT", "coon-rapids"),
    _physio("Hannah Brekke, DPT", "chaska"),
    _physio("Devon Achterberg, PT", "chaska", saturday=True),
    _physio("Priya Raman, DPT", "shakopee", saturday=True),
    _physio("Owen Gustafsson, PT", "shakopee"),
    _physio("Leah Thorsgaard, DPT", "sartell", saturday=True),
    _physio("Caleb Nguyen, PT", "sartell"),
    _physio("Mira Kowalczyk, DPT", "delano"),
    _physio("Jonas Ekdahl, PT", "delano", saturday=True),
    # Imaging at two locations.
    _imaging("Nadia Ferreira, MRI technologist", "maple-grove"),
    _imaging("Tobias Lund, MRI technologist", "shakopee"),
    # Spine surgery at two locations; Dr. Castellano splits the week between them.
    _surgeon("Dr. Helena Castellano", {"coon-rapids": (MON, WED), "chaska": (TUE, THU)}),
    _surgeon("Dr. Samuel Whitfield", {"coon-rapids": (TUE, THU, FRI)}),
)

PATIENT_LOGIN = "/accounts/login/"
STAFF_LOGIN = "/admin/"


@dataclass(frozen=True)
class LoginSpec:
    role: str
    email: str
    first_name: str
    last_name: str
    group: str | None = None  # a staff role from clinic.roles
    locations: tuple[str, ...] = ()  # location slugs; empty for patients and the superuser
    superuser: bool = False

    @property
    def is_staff(self) -> bool:
        return self.group is not None or self.superuser

    @property
    def sign_in_at(self) -> str:
        return STAFF_LOGIN if self.is_staff else PATIENT_LOGIN


ALL_LOCATIONS = tuple(spec.slug for spec in LOCATIONS)

LOGINS: tuple[LoginSpec, ...] = (
    LoginSpec("Patient", "patient@backstride.test", "Jamie", "Lindgren"),
    LoginSpec(
        "Triage clinician",
        "triage@backstride.test",
        "Ruth",
        "Amundsen",
        group=roles.TRIAGE_CLINICIAN,
        locations=ALL_LOCATIONS,
    ),
    LoginSpec(
        "Scheduler",
        "scheduler@backstride.test",
        "Luis",
        "Ortega",
        group=roles.SCHEDULER,
        locations=("chaska",),
    ),
    LoginSpec(
        "Location manager",
        "manager@backstride.test",
        "Karin",
        "Solberg",
        group=roles.LOCATION_MANAGER,
        locations=("delano",),
    ),
    LoginSpec("Administrator", "admin@backstride.test", "Avery", "Holm", superuser=True),
)
DEMO_PATIENT_LOCATION = "shakopee"

# Name pools for generated people (bulk patients and extra practitioners); all fictional.
FIRST_NAMES = (
    "Aiden", "Amara", "Anders", "Beatrix", "Bodhi", "Camila", "Dara", "Elias", "Freya", "Gideon",
    "Hazel", "Idris", "Jana", "Kai", "Linnea", "Mateo", "Nora", "Oskar", "Pia", "Quinn",
    "Rosa", "Soren", "Talia", "Uma", "Viggo", "Wren", "Yusuf", "Zara", "Ezra", "Maja",
)  # fmt: skip
LAST_NAMES = (
    "Aalto", "Bergstrom", "Carvalho", "Dahlberg", "Eriksen", "Falk", "Grant", "Holmberg",
    "Ibsen", "Janssen", "Kaur", "Lindahl", "Mbeki", "Nystrom", "Okonkwo", "Petrov", "Quist",
    "Rasmussen", "Sandoval", "Takahashi", "Ulvang", "Vance", "Westby", "Yilmaz", "Zimmer",
)  # fmt: skip
