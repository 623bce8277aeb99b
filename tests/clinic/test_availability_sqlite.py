"""The free-time queries (clinic.scheduling.availability), the booking's read of the
practitioner (clinic.scheduling.booking) and the API token's read (patients.tokens, through
clinic.db.rows) are written in SQL for both backends: the suite's database is PostgreSQL, so
their tests run again here on a fresh SQLite file, the embedded default of `make run`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "tests/clinic/test_availability.py",
    "tests/clinic/test_date_overrides.py",
    "tests/clinic/test_booking.py",
    "tests/clinic/test_waitlist.py",
    "tests/clinic/test_db_rows.py",
    "tests/clinic/test_api.py",
]


def test_free_times_and_bookings_are_the_same_on_sqlite(tmp_path):
    # The environment carries this run's clock (CLOCK_AHEAD_DAYS) to the inner run.
    # Without CI the PostgreSQL-only tests (its constraints) skip instead of failing.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CI")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *MODULES]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
