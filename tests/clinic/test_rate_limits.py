"""Per-address request limits on sign-in and the intake, and what happens when Redis is down."""

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 15, 0, 5, tzinfo=dt.UTC)
LIMITS = {"sign-in": (2, 600), "intake": (3, 600)}
STEP = reverse("triage:step", args=["about-you"])


@pytest.fixture(autouse=True)
def limits_on():
    with override_settings(RATE_LIMIT_ENABLED=True, RATE_LIMITS=LIMITS):
        yield


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_intake_posts_beyond_the_limit_get_a_429_that_says_when_to_retry(client, clock):
    allowed = [client.post(STEP, {"age": "40"}).status_code for _ in range(3)]
    refused = client.post(STEP, {"age": "40"})

    assert 429 not in allowed
    assert refused.status_code == 429
    assert "Too many requests from your connection" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= 600
    assert client.get(STEP).status_code != 429  # reading the form is not limited


def test_the_limit_is_per_address_and_per_window(client, clock):
    for _ in range(4):
        client.post(STEP, {"age": "40"})

    assert Client(REMOTE_ADDR="203.0.113.7").post(STEP, {"age": "40"}).status_code != 429
    clock.shift(dt.timedelta(minutes=10))
    assert client.post(STEP, {"age": "40"}).status_code != 429


def test_sign_in_posts_are_limited_too(client, clock):
    data = {"login": "nobody@example.test", "password": "not-the-password"}
    statuses = [client.post(reverse("account_login"), data).status_code for _ in range(3)]

    assert statuses[-1] == 429
    assert 429 not in statuses[:-1]


@override_settings(
    # Nothing listens on port 1: the cache is down.
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
)
def test_requests_pass_when_the_cache_is_down(client, clock):
    statuses = [client.post(STEP, {"age": "40"}).status_code for _ in range(5)]

    assert 429 not in statuses
    assert all(status < 500 for status in statuses)
