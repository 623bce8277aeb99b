"""Bulk data at clinic-network scale for benchmarks: patients, intakes with the protocol's
decisions, practitioners with hours, and a year or so of appointments.

Fast by construction: rows go in with `bulk_create` in batches, one password hash serves every
patient, the decisions (and the re-scored follow-up answers) come from the pure engine
(`triage.engine.assess`) and the intakes point at them with one UPDATE per batch. Deterministic
for a given seed and starting database. Additive: a second run adds more rows with new emails
and never overlaps existing appointments.

Bulk rows bypass the services on purpose: no notifications are planned (a year of reminders and
staff alerts would all be due at once) and no audit entries are written.
"""

import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from time import perf_counter

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import reset_queries, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from clinic.demo_data import catalogue
from clinic.demo_data.bulk_appointments import add_appointments
from clinic.demo_data.bulk_follow_ups import add_follow_ups
from clinic.models import (
    Appointment,
    AppointmentEvent,
    Discipline,
    Location,
    Practitioner,
    User,
    WorkingHours,
)
from outcomes.models import FollowUp, FollowUpAnswer
from patients.models import ContactPreference, Patient
from triage import engine
from triage.models import URGENCY_RANK, Intake, Surface, TriageDecision

DEFAULT_BATCH_SIZE = 5000
HISTORY = timedelta(days=365)  # intakes are spread over the past year

Progress = Callable[[str], None]


@dataclass
class BulkStep:
    what: str
    count: int
    seconds: float


@dataclass
class BulkReport:
    steps: list[BulkStep] = field(default_factory=list)
    appointments_from: date | None = None
    appointments_to: date | None = None

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def bulk_seed(
    *,
    patients: int = 0,
    intakes: int = 0,
    appointments: int = 0,
    practitioners: int = 0,
    seed: int = 2026,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> BulkReport:
    """Add bulk rows on top of the demo network (`demo_seed` must have run).

    `practitioners` is a total to reach; the other counts are rows to add. Each batch is its own
    transaction, so an interrupted run leaves whole batches: every intake has its decision.
    Appointments never overlap (buffers included) any appointment or time off of the same
    practitioner, so the PostgreSQL exclusion constraint holds. Returns counts and timings.
    """
    # Seeded, not secure: reproducible benchmark data is the point.
    rng = random.Random(seed)  # noqa: S311
    say = progress or (lambda message: None)
    now = timezone.now()
    report = BulkReport()
    locations = list(Location.objects.order_by("pk"))
    with _historic_timestamps():
        if practitioners:
            _timed(report, "practitioners", _practitioners_reach, practitioners, locations)
        if patients:
            args = (patients, rng, seed, now, locations, batch_size, say)
            _timed(report, "patients", _add_patients, *args)
        if intakes:
            args = (intakes, rng, seed, now, locations, batch_size, say)
            _timed(report, "intakes", _add_intakes, *args)
        if appointments:
            args = (appointments, rng, now, batch_size, say)
            span = _timed(report, "appointments", add_appointments, *args)
            report.appointments_from, report.appointments_to = span
    return report


def _timed(report: BulkReport, what: str, step, *args):
    started = perf_counter()
    count, *extra = step(*args)
    report.steps.append(BulkStep(what, count, perf_counter() - started))
    return extra[0] if extra else None


@contextmanager
def _historic_timestamps():
    """Let bulk rows keep the creation times we give them.

    `auto_now_add` would stamp a year of history with the same second, which makes the staff
    queue's age ordering and "last 7 days" filters meaningless. Switched off for this process
    only while the bulk rows are inserted, and always restored.
    """
    stamped = [
        model._meta.get_field("created_at")
        for model in (
            Patient,
            Intake,
            TriageDecision,
            Appointment,
            AppointmentEvent,
            FollowUp,
            FollowUpAnswer,
        )
    ]
    saved = [f.auto_now_add for f in stamped]
    for f in stamped:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(stamped, saved, strict=True):
            f.auto_now_add = value


def _batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


# --- Practitioners ------------------------------------------------------------------------------

# Seven physiotherapists, two imaging staff and a surgeon in every ten.
DISCIPLINE_CYCLE = (
    (Discipline.PHYSIOTHERAPY,) * 3 + (Discipline.IMAGING,) + (Discipline.PHYSIOTHERAPY,) * 2
    + (Discipline.SPINE_SURGERY,) + (Discipline.PHYSIOTHERAPY,) * 2 + (Discipline.IMAGING,)
)  # fmt: skip
# Imaging and surgery stay where the demo network has them (catalogue.PRACTITIONERS).
HOME_LOCATIONS = {
    Discipline.IMAGING: ("maple-grove", "shakopee"),
    Discipline.SPINE_SURGERY: ("coon-rapids", "chaska"),
}
TITLES = {
    Discipline.PHYSIOTHERAPY: "{}, PT",
    Discipline.IMAGING: "{}, MRI technologist",
    Discipline.SPINE_SURGERY: "Dr. {}",
}


@transaction.atomic
def _practitioners_reach(target: int, locations: list[Location]) -> tuple[int]:
    existing = Practitioner.objects.count()
    by_slug = {location.slug: location for location in locations}
    made = []
    for n in range(existing, target):
        discipline = DISCIPLINE_CYCLE[n % len(DISCIPLINE_CYCLE)]
        homes = HOME_LOCATIONS.get(discipline)
        location = by_slug[homes[n % len(homes)]] if homes else locations[n % len(locations)]
        name = TITLES[discipline].format(_generated_name(n))
        practitioner = Practitioner(display_name=name, discipline=discipline)
        made.append((practitioner, location, n % 2 == 0))
    Practitioner.objects.bulk_create([practitioner for practitioner, _, _ in made])
    Practitioner.locations.through.objects.bulk_create(
        Practitioner.locations.through(practitioner_id=p.pk, location_id=location.pk)
        for p, location, _ in made
    )
    hours = []
    for practitioner, location, saturdays in made:
        days = [(day, catalogue.DAY_BLOCKS) for day in catalogue.WEEKDAYS]
        if saturdays and practitioner.discipline == Discipline.PHYSIOTHERAPY:
            days.append((catalogue.SAT, catalogue.SATURDAY_MORNING))
        hours += [
            WorkingHours(
                practitioner=practitioner,
                location=location,
                weekday=day,
                start_time=start,
                end_time=end,
            )
            for day, day_blocks in days
            for start, end in day_blocks
        ]
    WorkingHours.objects.bulk_create(hours)
    return (len(made),)


def _generated_name(n: int) -> str:
    firsts, lasts = catalogue.FIRST_NAMES, catalogue.LAST_NAMES
    return f"{firsts[n % len(firsts)]} {lasts[(n // len(firsts) + n) % len(lasts)]}"


# --- Patients -----------------------------------------------------------------------------------


def _add_patients(count, rng, seed, now, locations, batch_size, say) -> tuple[int]:
    prefix = f"bulk-patient-{seed}-"
    taken = User.objects.filter(email__startswith=prefix).values_list("email", flat=True)
    numbers = (email[len(prefix) :].split("@")[0] for email in taken)
    # Numbered on from the last run with this seed, so every run adds new people.
    first_n = 1 + max((int(number) for number in numbers if number.isdigit()), default=0)
    # One hash for everyone: hashing 20,000 passwords would take longer than all the rest.
    password = make_password(catalogue.DEMO_PASSWORD)
    for batch in _batches(count, batch_size):
        users, patients = [], []
        for n in batch:
            first = rng.choice(catalogue.FIRST_NAMES)
            last = rng.choice(catalogue.LAST_NAMES)
            joined = now - timedelta(seconds=rng.randrange(int(HISTORY.total_seconds())))
            user = User(
                email=f"{prefix}{first_n + n}@example.test",
                password=password,
                first_name=first,
                last_name=last,
                date_joined=joined,
            )
            users.append(user)
            location = rng.choice(locations)
            sms = rng.random() < 0.3
            patients.append(
                Patient(
                    user=user,
                    first_name=first,
                    last_name=last,
                    date_of_birth=date(
                        rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    phone=f"+1{_area_code(location)}55501{rng.randrange(100):02d}",
                    contact_preference=ContactPreference.SMS if sms else ContactPreference.EMAIL,
                    # Demo patients who chose texts agreed to them when they joined.
                    sms_opt_in_at=joined if sms else None,
                    privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
                    privacy_notice_accepted_at=joined,
                    preferred_location=location,
                    created_at=joined,
                )
            )
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=batch_size)
            EmailAddress.objects.bulk_create(
                (EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users),
                batch_size=batch_size,
            )
            Patient.objects.bulk_create(patients, batch_size=batch_size)
        reset_queries()  # with DEBUG on, every batch's SQL would be kept in memory
        say(f"  patients {batch.stop:,}/{count:,}")
    return (count,)


def _area_code(location: Location) -> str:
    digits = re.sub(r"\D", "", location.phone)
    return digits[:3] if len(digits) == 10 else "952"


# --- Intakes and decisions ----------------------------------------------------------------------

# How often each yes-answer (or non-default choice) comes up: red flags are rare, as in clinics.
YES_RATE = {
    "first_episode": 0.4, "leg_pain_below_knee": 0.25, "both_legs": 0.03, "leg_numbness": 0.15,
    "saddle_numbness": 0.005, "bladder_bowel_change": 0.005, "fever": 0.02, "cancer_history": 0.03,
    "weight_loss": 0.02, "immunosuppressed": 0.015, "iv_drug_use": 0.005, "night_pain": 0.1,
    "osteoporosis": 0.04, "steroids": 0.02, "open_to_procedure": 0.4, "load_increase": 0.3,
    "hop_pain": 0.15, **{f"sbst_{n}": 0.3 for n in range(1, 9)},
}  # fmt: skip
CHOICE_WEIGHTS = {
    "leg_weakness": {"none": 95, "stable": 4, "progressive": 1},
    "trauma": {"none": 86, "minor": 13, "major": 1},
    "sbst_9": {"not_at_all": 10, "slightly": 30, "moderately": 35, "very_much": 18, "extremely": 7},
}
DECISION_FIELDS = tuple(f.name for f in fields(engine.TriageResult))


def random_answers(rng: random.Random) -> dict:
    """A complete, valid answer set with roughly a clinic's mix of pathways and urgencies."""
    answers = {name: rng.random() < rate for name, rate in YES_RATE.items()}
    for name, weights in CHOICE_WEIGHTS.items():
        answers[name] = rng.choices(tuple(weights), weights=tuple(weights.values()))[0]
    answers["age"] = int(rng.triangular(16, 90, 38))
    answers["pain_duration_weeks"] = int(rng.expovariate(1 / 6)) % 521
    answers["pain_score"] = rng.randint(1, 10)
    answers["conservative_care_weeks"] = 0 if rng.random() < 0.5 else rng.randint(1, 16)
    return answers


def _add_intakes(count, rng, seed, now, locations, batch_size, say) -> tuple[int]:
    owners = list(
        Patient.objects.order_by("pk").values_list(
            "pk", "first_name", "last_name", "user__email", "preferred_location_id"
        )
    )
    location_ids = [location.pk for location in locations]
    surfaces = Surface.values
    history = int(HISTORY.total_seconds())
    for batch in _batches(count, batch_size):
        intakes, results = [], []
        for n in batch:
            answers = random_answers(rng)
            result = engine.assess(answers)
            created = now - timedelta(seconds=rng.randrange(history))
            if owners and rng.random() < 0.9:
                patient_id, first, last, email, location_id = rng.choice(owners)
            else:
                patient_id, location_id = None, None
                first = rng.choice(catalogue.FIRST_NAMES)
                last = rng.choice(catalogue.LAST_NAMES)
                email = f"bulk-intake-{seed}-{n}@example.test"
            intakes.append(
                Intake(
                    answers=answers,
                    first_name=first or "Alex",
                    last_name=last or "Runner",
                    email=email,
                    patient_id=patient_id,
                    preferred_location_id=location_id or rng.choice(location_ids),
                    weekly_distance_km=rng.randint(5, 100),
                    years_running=rng.randint(0, 30),
                    usual_surface=rng.choice(surfaces),
                    shoe_age_months=rng.randint(0, 24),
                    recent_race=rng.random() < 0.2,
                    status=_intake_status(rng, now - created),
                    urgency_rank=URGENCY_RANK[result.urgency],
                    created_at=created,
                )
            )
            results.append(result)
        with transaction.atomic():
            Intake.objects.bulk_create(intakes, batch_size=batch_size)
            TriageDecision.objects.bulk_create(
                (
                    TriageDecision(intake=intake, created_at=intake.created_at, **_decided(result))
                    for intake, result in zip(intakes, results, strict=True)
                ),
                batch_size=batch_size,
            )
            # One set-based UPDATE: each new intake points at its (only) decision. A key range,
            # not a list of 5,000 keys: rows of other writers already have their decision.
            keys = (min(i.pk for i in intakes), max(i.pk for i in intakes))
            Intake.objects.filter(pk__range=keys, current_decision__isnull=True).update(
                current_decision=Subquery(
                    # No ORDER BY: the planner would walk the primary key instead of the
                    # intake index; a new intake has exactly one decision anyway.
                    TriageDecision.objects.filter(intake=OuterRef("pk")).order_by().values("pk")[:1]
                )
            )
            add_follow_ups(intakes, results, rng, now)
        reset_queries()
        say(f"  intakes {batch.stop:,}/{count:,}")
    return (count,)


def _decided(result: engine.TriageResult) -> dict:
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name in DECISION_FIELDS
        for value in (getattr(result, name),)
    }


def _intake_status(rng: random.Random, age: timedelta) -> str:
    # Old intakes have been dealt with; the last fortnight's still fill the queue.
    if age > timedelta(days=42):
        return Intake.Status.CLOSED if rng.random() < 0.7 else Intake.Status.SCHEDULED
    if age > timedelta(days=14):
        return rng.choices(Intake.Status.values, weights=(10, 20, 50, 20))[0]
    return rng.choices(Intake.Status.values, weights=(70, 20, 8, 2))[0]
