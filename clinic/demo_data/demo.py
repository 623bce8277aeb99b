"""The demo network: locations, services, practitioners with hours, one login per role, and a
few intakes so the staff queue is not empty. Idempotent: a second run finds everything in place.
"""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sites.models import Site
from django.db import transaction
from django.db.models import Q

from clinic.demo_data import catalogue
from clinic.demo_data.rota import RotaReport, demo_rota
from clinic.models import Location, Practitioner, Service, User, WorkingHours
from patients.models import Patient
from triage import engine
from triage import services as triage_services
from triage.models import Intake

DEFAULT_SITE_DOMAIN = "127.0.0.1:8000"


class DemoDataError(Exception):
    """The database is not ready for demo data (e.g. migrations have not run)."""


@dataclass
class Tally:
    """How many rows of one kind exist after the seed, and how many it created."""

    total: int = 0
    created: int = 0

    def add(self, created: bool) -> None:
        self.total += 1
        self.created += int(created)


@dataclass
class DemoReport:
    locations: Tally = field(default_factory=Tally)
    services: Tally = field(default_factory=Tally)
    practitioners: Tally = field(default_factory=Tally)
    working_hours: Tally = field(default_factory=Tally)
    logins: Tally = field(default_factory=Tally)
    intakes: Tally = field(default_factory=Tally)
    rota: RotaReport = field(default_factory=RotaReport)
    site_domain: str = ""


@transaction.atomic
def demo_seed() -> DemoReport:
    """Create whatever part of the demo network is missing; never duplicates, never deletes.

    Existing rows are found by natural key (location and service slug, practitioner name, login
    email) and left as they are, except that demo logins get their role's group, locations and
    the demo password back, so the printed logins always work. Demo intakes are submitted through
    `triage.services.intake_submit` only into an empty queue. Raises DemoDataError when the staff
    groups of migration clinic 0004 are missing.
    """
    report = DemoReport()
    locations = _seed_locations(report.locations)
    _seed_services(report.services)
    _seed_practitioners(locations, report)
    patient = _seed_logins(locations, report.logins)
    # Before the intakes: the demo emergency alerts whoever is on call, as a real one would.
    report.rota = demo_rota()
    _seed_intakes(locations, patient, report.intakes)
    report.site_domain = _seed_site()
    return report


def _seed_locations(tally: Tally) -> dict[str, Location]:
    locations = {}
    for spec in catalogue.LOCATIONS:
        # By slug or by name: a clinic added by hand before the first seed is the same clinic.
        location = Location.objects.filter(Q(slug=spec.slug) | Q(name=spec.name)).first()
        created = location is None
        if created:
            location = Location.objects.create(
                slug=spec.slug,
                name=spec.name,
                address=spec.address,
                phone=spec.phone,
                time_zone=catalogue.TIME_ZONE,
                on_call_email=spec.on_call_email,
            )
        tally.add(created)
        locations[spec.slug] = location
    return locations


SPANISH_FIELDS = ("name_es", "description_es")


def _seed_services(tally: Tally) -> None:
    for spec in catalogue.SERVICES:
        defaults = {k: v for k, v in spec.items() if k != "slug"}
        service, created = Service.objects.get_or_create(slug=spec["slug"], defaults=defaults)
        tally.add(created)
        # A demo database seeded before the services had Spanish words gets them; words staff
        # wrote since are kept.
        missing = {field: spec[field] for field in SPANISH_FIELDS if not getattr(service, field)}
        if not created and missing:
            Service.objects.filter(pk=service.pk).update(**missing)


def _seed_practitioners(locations: dict[str, Location], report: DemoReport) -> None:
    for spec in catalogue.PRACTITIONERS:
        practitioner, created = Practitioner.objects.get_or_create(
            display_name=spec.display_name, defaults={"discipline": spec.discipline}
        )
        report.practitioners.add(created)
        practitioner.locations.add(*(locations[slug] for slug in spec.days))
        for slug, weekday, start, end in spec.blocks():
            _, created = WorkingHours.objects.get_or_create(
                practitioner=practitioner,
                location=locations[slug],
                weekday=weekday,
                start_time=start,
                end_time=end,
            )
            report.working_hours.add(created)


def _seed_logins(locations: dict[str, Location], tally: Tally) -> Patient:
    patient = None
    for spec in catalogue.LOGINS:
        user = User.objects.filter(email__iexact=spec.email).first()
        created = user is None
        if created:
            user = User.objects.create_user(
                spec.email,
                catalogue.DEMO_PASSWORD,
                first_name=spec.first_name,
                last_name=spec.last_name,
            )
        elif not user.check_password(catalogue.DEMO_PASSWORD):
            user.set_password(catalogue.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if (user.is_staff, user.is_superuser) != (spec.is_staff, spec.superuser):
            user.is_staff, user.is_superuser = spec.is_staff, spec.superuser
            user.save(update_fields=["is_staff", "is_superuser"])
        if spec.group:
            user.groups.add(_group(spec.group))
        if spec.is_staff:
            user.locations.set([locations[slug] for slug in spec.locations])
        _verify_email(user)
        if not spec.is_staff:
            patient = _patient_for(user, spec, locations[catalogue.DEMO_PATIENT_LOCATION])
        tally.add(created)
    return patient


def _group(name: str) -> Group:
    try:
        return Group.objects.get(name=name)
    except Group.DoesNotExist:
        raise DemoDataError(
            f"The staff group {name!r} is missing: run `manage.py migrate` first."
        ) from None


def _verify_email(user: User) -> None:
    # ACCOUNT_EMAIL_VERIFICATION is mandatory: without a verified address the login is refused.
    address, _ = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])


def _patient_for(user: User, spec: catalogue.LoginSpec, location: Location) -> Patient:
    patient, _ = Patient.objects.get_or_create(
        user=user,
        defaults={
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "date_of_birth": date(1988, 4, 12),
            "phone": "+19525550142",
            "preferred_location": location,
            "privacy_notice_version": settings.PRIVACY_NOTICE_VERSION,
        },
    )
    return patient


def _answers(**overrides) -> dict:
    """A complete, calm answer set (self-care, routine, no flags) with `overrides` applied."""
    unknown = set(overrides) - set(engine.FIELDS)
    if unknown:
        raise ValueError(f"not protocol answers: {sorted(unknown)}")
    calm = {name: _lowest(spec) for name, spec in engine.FIELDS.items()}
    calm.update(age=38, pain_duration_weeks=2, pain_score=4, sbst_9="slightly")
    return {**calm, **overrides}


def _lowest(spec: engine.Field):
    # No to every question, the first (mildest) choice, the smallest number.
    if spec.kind == "bool":
        return False
    return spec.min if spec.kind == "int" else spec.choices[0]


# (location slug, contact, answers, runner context); the demo patient's intake is added below.
DEMO_INTAKES = (
    (
        "maple-grove",
        {"first_name": "Chris", "last_name": "Halloran", "email": "chris.halloran@example.test"},
        _answers(age=44, pain_score=8, saddle_numbness=True, leg_pain_below_knee=True),
        {"weekly_distance_km": 55, "years_running": 12, "usual_surface": "road"},
    ),
    (
        "chaska",
        {"first_name": "Margit", "last_name": "Sundby", "email": "margit.sundby@example.test"},
        _answers(age=67, pain_score=7, trauma="minor", first_episode=True),
        {"weekly_distance_km": 20, "years_running": 30, "usual_surface": "trail"},
    ),
    (
        "delano",
        {"first_name": "Theo", "last_name": "Marsh", "email": "theo.marsh@example.test"},
        _answers(age=29, pain_score=3, pain_duration_weeks=1),
        {"weekly_distance_km": 35, "years_running": 4, "usual_surface": "mixed"},
    ),
)
# Medium STarT Back risk (total 4, psychosocial 0): physiotherapy, routine (protocol section 3).
DEMO_PATIENT_ANSWERS = _answers(
    age=37, pain_score=5, pain_duration_weeks=5, sbst_1=True, sbst_2=True, sbst_3=True, sbst_4=True
)


def _seed_intakes(locations: dict[str, Location], patient: Patient, tally: Tally) -> None:
    tally.total = Intake.objects.count()
    if tally.total:
        return  # the queue already has work in it: demo intakes would only add noise
    submissions = [
        (locations[slug], contact, answers, context, None)
        for slug, contact, answers, context in DEMO_INTAKES
    ]
    own = {"first_name": patient.first_name, "last_name": patient.last_name, "email": patient.email}
    context = {"weekly_distance_km": 48, "years_running": 6, "recent_race": True}
    submissions.insert(2, (patient.preferred_location, own, DEMO_PATIENT_ANSWERS, context, patient))
    for location, contact, answers, runner_context, owner in submissions:
        triage_services.intake_submit(
            answers=answers,
            contact=contact,
            runner_context=runner_context,
            preferred_location=location,
            patient=owner,
        )
        tally.add(True)


def _seed_site() -> str:
    # allauth builds the links in account emails from this Site.
    domain = urlsplit(settings.SITE_URL).netloc or DEFAULT_SITE_DOMAIN
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": "Backstride"}
    )
    return domain


def logins_table() -> str:
    """The demo logins as a plain-text table (no database access, so it is safe to print while
    the server runs)."""
    header = ("Role", "Email", "Password", "Sign in at")
    rows = [
        (spec.role, spec.email, catalogue.DEMO_PASSWORD, spec.sign_in_at)
        for spec in catalogue.LOGINS
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  Demo logins (demo only: the password is not a secret)", ""]
    for row in (header, *rows):
        lines.append(
            "  "
            + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    lines += [
        "",
        "  Staff sign in with a TOTP second factor (an authenticator app), set up through a",
        "  one-use link: `manage.py seed_demo --enrolment-links` prints one per demo staff login.",
    ]
    return "\n".join(lines)
