"""Seed the benchmark data through `manage.py seed_demo`, in two stages.

    python -m bench seed first   demo network, practitioners, patients, and the queue up to
                                 Scale.first_intakes intakes (the admin's first query count)
    python -m bench seed rest    the queue up to Scale.intakes, and the appointments

Counts are totals to reach, so a stage run twice adds nothing the second time. The tables are
ANALYZEd afterwards, as autovacuum would do on a live database, so the planner (and the admin's
row estimate) sees the real sizes.
"""

import io
import time

from django.core.management import call_command
from django.db import connection

from bench import lib
from clinic.models import Appointment, Practitioner
from patients.models import Patient
from triage.models import Intake

SEEDS = {"first": 7, "rest": 8}  # fixed: the same data on every run


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else ""
    if stage not in SEEDS:
        raise SystemExit("usage: python -m bench seed {first,rest}")
    scale = lib.scale()
    # The demo network first: the counts below build on it.
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    if stage == "first":
        counts = {
            "practitioners": scale.practitioners,
            "patients": max(scale.patients - Patient.objects.count(), 0),
            "intakes": max(scale.first_intakes - Intake.objects.count(), 0),
        }
    else:
        counts = {
            "intakes": max(scale.intakes - Intake.objects.count(), 0),
            "appointments": max(scale.appointments - Appointment.objects.count(), 0),
        }
    started = time.perf_counter()
    if any(counts.values()):
        lib.say(f"  seed_demo {' '.join(f'--{k} {v}' for k, v in counts.items())}")
        output = io.StringIO()
        call_command("seed_demo", seed=SEEDS[stage], verbosity=0, stdout=output, **counts)
        # Only the bulk timings: the logins table is for people trying the demo.
        lines = output.getvalue().splitlines()
        bulk = [n for n, line in enumerate(lines) if line.startswith(("Bulk data", "  Bulk"))]
        if bulk:
            lib.say("\n".join(lines[bulk[0] : bulk[-1] + 1]))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lib.say(
        f"  {Practitioner.objects.count():,} practitioners, {Patient.objects.count():,} "
        f"patients, {Intake.objects.count():,} intakes, {Appointment.objects.count():,} "
        f"appointments ({time.perf_counter() - started:.0f} s)"
    )
    return 0
