"""Shared fixtures. PostgreSQL and Redis are the real ones `make test` starts.

Tests that need a service are marked; without the service they are skipped with a reason that
says how to get it, except under CI=true, where a missing service is a failure.
"""

import os

import pytest
import time_machine
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


@pytest.fixture(autouse=True)
def _staff_force_login_includes_the_second_factor(monkeypatch):
    """`client.force_login(staff)` skips the password; it skips the authenticator code too.

    The staff admin lets nobody in without both factors (staff.site); tests that are not
    about signing in log staff in with force_login as before. tests/clinic/test_staff_2fa.py
    signs in through the real forms.
    """
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if user.is_staff:
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def freeze():
    """Stop the clock at a chosen instant for the rest of the test: `freeze(when)` returns the
    traveller, whose `move_to` and `shift` step the clock on. Travels nest inside the session's
    own shift (tests/support/clock.py), so a frozen test means the same on any date."""
    travellers = []

    def at(when):
        traveller = time_machine.travel(when, tick=False)
        travellers.append(traveller)
        return traveller.start()

    yield at
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def chaska(db):
    """One clinic in Minnesota (America/Chicago), as in the demo data."""
    from tests.factories import LocationFactory

    return LocationFactory(name="Chaska", slug="chaska")


@pytest.fixture
def staff_at(db):
    """`staff_at(location, *roles)`: a staff member with those roles (clinic.roles) there."""
    from tests.factories import make_staff

    def make(location, *role_names):
        return make_staff(roles=role_names, locations=[location])

    return make
