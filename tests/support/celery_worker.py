"""Start and stop a real Celery worker process against the suite's Redis and test database."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_env(*, email_dir: Path, email_delay: float = 0.0) -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings_test",
        # The worker must use the database the test runner created, not the configured one.
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/"
            f"{connection.settings_dict['NAME']}"
        ),
        TEST_EMAIL_DIR=str(email_dir),
        TEST_EMAIL_DELAY=str(email_delay),
        PYTHONPATH=str(ROOT),
    )
    return env


class Worker:
    def __init__(self, *, email_dir: Path, email_delay: float = 0.0, concurrency: int = 2):
        self.env = worker_env(email_dir=email_dir, email_delay=email_delay)
        self.concurrency = concurrency
        self.process = None
        self.log = email_dir.parent / f"worker-{time.monotonic_ns()}.log"

    def start(self) -> "Worker":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                # The suite's clock shift (tests.support.clock), then Celery's own command line.
                "from tests.support import clock; clock.start_from_environment(); "
                "from celery.__main__ import main; main()",
                "-A",
                "clinic",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                f"--hostname=test-{time.monotonic_ns()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.log, "wb"),  # noqa: SIM115  closed with the process
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill reaches the children
        )
        deadline = time.monotonic() + 90  # a loaded 2-core machine starts slowly
        while time.monotonic() < deadline:
            if b"ready." in self.log.read_bytes():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"Celery worker exited:\n{self.log.read_text()}")
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, as a crash or OOM would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
