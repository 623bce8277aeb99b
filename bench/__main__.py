"""`python -m bench <step> [args]`: set up Django with the bench settings, then run one step.

Steps: seed, triage_engine, availability, admin_queue, fhir_search, outcomes_dashboard,
booking_storm, notification_dispatch, intake_http, report. bench/run.sh runs them in order.
"""

import gc
import importlib
import os
import sys

STEPS = (
    "seed",
    "triage_engine",
    "availability",
    "admin_queue",
    "fhir_search",
    "outcomes_dashboard",
    "booking_storm",
    "notification_dispatch",
    "intake_http",
    "report",
)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in STEPS:
        print(f"usage: python -m bench {{{','.join(STEPS)}}} [args]", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    from bench import lib

    lib.handle_signals()
    django.setup()
    step = importlib.import_module(f"bench.{sys.argv[1]}")
    # In-process measurements run as a web worker does once clinic/wsgi.py has loaded the app.
    gc.collect()
    gc.freeze()
    return step.main(sys.argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main())
