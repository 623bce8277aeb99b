"""Run the whole suite as if today were another day: `pytest --clock-ahead=DAYS`.

A test that passes today and fails in a month depends on the calendar, not on the code. Moving
the session's clock ahead (time-machine, ticking) before any test runs shows such tests now
rather than when the date comes. Tests that travel to a chosen instant still do: their travel
nests inside this one. `CLOCK_AHEAD_DAYS` in the environment does the same as the option, and
the Celery workers the suite starts inherit it (see `start_from_environment`), so a worker and
the tests agree on what "now" is.
"""

import datetime as dt
import os

import time_machine

ENVIRONMENT_VARIABLE = "CLOCK_AHEAD_DAYS"

_traveller = None


def start(days: int) -> dt.datetime:
    """Move this process's clock `days` ahead of the real one; it keeps ticking from there."""
    global _traveller
    if _traveller is not None:
        _traveller.stop()
    destination = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    _traveller = time_machine.travel(destination, tick=True)
    _traveller.start()
    return destination


def start_from_environment() -> None:
    """For subprocesses the suite starts (Celery workers): the same shift as the tests."""
    days = int(os.environ.get(ENVIRONMENT_VARIABLE) or 0)
    if days:
        start(days)


def pytest_addoption(parser):
    parser.addoption(
        "--clock-ahead",
        type=int,
        default=int(os.environ.get(ENVIRONMENT_VARIABLE) or 0),
        metavar="DAYS",
        help=f"run every test with the clock moved DAYS ahead (also ${ENVIRONMENT_VARIABLE})",
    )


def pytest_configure(config):
    days = config.getoption("clock_ahead")
    if days:
        config._clock_ahead_to = start(days)
        os.environ[ENVIRONMENT_VARIABLE] = str(days)


def pytest_report_header(config):
    destination = getattr(config, "_clock_ahead_to", None)
    if destination is not None:
        days = config.getoption("clock_ahead")
        return f"clock: moved {days} days ahead, to {destination:%Y-%m-%d %H:%M} UTC"
    return None
