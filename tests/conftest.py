"""Shared fixtures. PostgreSQL and Redis are the real ones `make test` starts.

Tests that need a service are marked; without the service they are skipped with a reason that
says how to get it, except under CI=true, where a missing service is a failure.
"""

import os

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(what: str, how: str):
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL", "run the suite with `make test`, which starts a throwaway server")
    if request.node.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        _missing("Redis", "run the suite with `make test`, which starts a throwaway server")


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
