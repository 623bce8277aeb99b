"""`manage.py seed_demo`: the demo clinic network and its logins, plus bulk data on request.

    manage.py seed_demo                     demo network (idempotent), then the logins table
    manage.py seed_demo --logins-only       just the logins table (no database access)
    manage.py seed_demo --enrolment-links   the logins table and a fresh authenticator set-up
                                            link for each demo staff account not yet set up
    manage.py seed_demo --practitioners 60 --patients 20000 --intakes 100000 \\
        --appointments 200000 --seed 7     demo network plus additive bulk data for benchmarks
"""

from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic.demo_data import DemoDataError, bulk_seed, demo_seed, logins_table
from clinic.demo_data.bulk import DEFAULT_BATCH_SIZE
from clinic.demo_data.catalogue import LOGINS
from clinic.models import User
from staff import enrolment


def _at_least(low: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < low:
            raise ArgumentTypeError(f"expected a whole number of at least {low}, got {value!r}")
        return number

    return parse


_count, _positive = _at_least(0), _at_least(1)


class Command(BaseCommand):
    help = (
        "Create the demo clinic network (six Minnesota locations, services, practitioners, one "
        "login per role, a few intakes) and print the demo logins. Safe to run again. The bulk "
        "options add benchmark-scale data on top."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--logins-only", action="store_true", help="Only print the demo logins table."
        )
        parser.add_argument(
            "--enrolment-links",
            action="store_true",
            help="Print the logins table and issue a set-up link for each demo staff account "
            "without an authenticator app (earlier links for them stop working).",
        )
        bulk = parser.add_argument_group("bulk data for benchmarks (additive)")
        bulk.add_argument("--patients", type=_count, default=0, help="Patients to add.")
        bulk.add_argument("--intakes", type=_count, default=0, help="Intakes to add.")
        bulk.add_argument(
            "--appointments",
            type=_count,
            default=0,
            help="Appointments to add, spread over the practitioners' hours (past and ahead).",
        )
        bulk.add_argument(
            "--practitioners",
            type=_count,
            default=0,
            help="Total practitioners to reach (with working hours), e.g. 60.",
        )
        bulk.add_argument(
            "--seed", type=int, default=2026, help="Random seed for repeatable bulk data."
        )
        bulk.add_argument(
            "--batch-size", type=_positive, default=DEFAULT_BATCH_SIZE, help="Rows per insert."
        )

    def handle(self, *args, **options) -> None:
        if options["logins_only"] or options["enrolment_links"]:
            self.stdout.write(logins_table())
            if options["enrolment_links"]:
                self._enrolment_links()
            return
        try:
            report = demo_seed()
        except DemoDataError as error:
            raise CommandError(str(error)) from error
        self._summary(report)
        self._rota_summary(report.rota)
        bulk = {k: options[k] for k in ("patients", "intakes", "appointments", "practitioners")}
        if any(bulk.values()):
            self.stdout.write(f"\nBulk data (seed {options['seed']}):")
            result = bulk_seed(
                **bulk,
                seed=options["seed"],
                batch_size=options["batch_size"],
                progress=self.stdout.write if options["verbosity"] >= 1 else None,
            )
            self._bulk_summary(result, bulk)
        self.stdout.write("")
        self.stdout.write(logins_table())

    def _enrolment_links(self) -> None:
        """Staff set up their authenticator app only through a link an administrator issues:
        for the demo, this command is that administrator."""
        lines = []
        for spec in LOGINS:
            user = User.objects.filter(email=spec.email, is_active=True).first()
            if not spec.is_staff or user is None:
                continue
            if enrolment.has_authenticator_app(user):
                lines.append(f"  {spec.email}: already set up")
                continue
            _link, token = enrolment.link_issue(user=user)
            lines.append(f"  {spec.email}: {enrolment.link_url(token)}")
        if lines:
            self.stdout.write(
                "\n  Authenticator set-up links (one use each; open, give the password):"
            )
            self.stdout.write("\n".join(lines))

    def _summary(self, report) -> None:
        self.stdout.write(self.style.SUCCESS("Demo clinic network ready (fictional data)."))
        for label, tally in (
            ("Locations", report.locations),
            ("Services", report.services),
            ("Demo practitioners", report.practitioners),
            ("  their hour blocks", report.working_hours),
            ("Demo logins", report.logins),
            ("Intakes", report.intakes),
        ):
            self.stdout.write(f"  {label:<20} {tally.total:>6,}  ({tally.created:,} new)")
        self.stdout.write(f"  {'Site domain':<20} {report.site_domain}")

    def _rota_summary(self, rota) -> None:
        """The on-call rota and holidays, so alerts reach a demo login (clinic.demo_data.rota)."""
        for label, total, created in (
            ("On-call shifts", rota.shifts_total, rota.shifts_created),
            ("Holidays", rota.holidays_total, rota.holidays_created),
        ):
            self.stdout.write(f"  {label:<20} {total:>6,}  ({created:,} new)")
        self.stdout.write(f"  {'On call':<20} {', '.join(sorted(rota.people))}")

    def _bulk_summary(self, result, requested: dict) -> None:
        for step in result.steps:
            rate = step.count / step.seconds if step.seconds else 0
            line = f"  {step.what:<20} {step.count:>9,} added in {step.seconds:6.1f} s"
            self.stdout.write(f"{line}  ({rate:,.0f}/s)")
            if step.what == "appointments" and step.count < requested["appointments"]:
                self.stdout.write(
                    self.style.WARNING(
                        f"  Only {step.count:,} of {requested['appointments']:,} appointments fit: "
                        "add practitioners (--practitioners) or patients first."
                    )
                )
        if result.appointments_from:
            self.stdout.write(
                f"  Appointments span {result.appointments_from} to {result.appointments_to}"
            )
        self.stdout.write(f"  Bulk data took {result.seconds:.1f} s in all.")
