"""The foundation a newcomer relies on: pages, health, settings and the production shape."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_home_page_says_what_the_service_is_and_starts_the_intake(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Start the back-pain check" in html
    assert reverse("triage:start") in html
    assert 'href="#main"' in html  # skip link
    assert "call 911" in html.lower()


def test_pages_load_bootstrap_from_our_own_static_files_not_a_cdn(client):
    html = client.get("/").content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "/static/vendor/bootstrap/bootstrap.bundle.min.js" in html
    external = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:)?//', html)
    assert external == []


def test_footer_lists_the_locations(client):
    from tests.factories import LocationFactory

    LocationFactory(name="Sartell", address="1 Pinecone Rd, Sartell, MN 56377")
    html = client.get("/").content.decode()
    assert "Sartell" in html
    assert "Pinecone Rd" in html


def test_pages_forbid_inline_scripts_and_framing(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.redis
def test_healthz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@override_settings(REDIS_URL="redis://127.0.0.1:9/0")
def test_healthz_is_503_when_the_broker_does_not_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"


def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from django.db.utils import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def _variables_the_settings_read() -> set[str]:
    source = (ROOT / "clinic" / "settings.py").read_text()
    return set(re.findall(r"env(?:\(\))?\.\w+\(\s*\"([A-Z_]+)\"", source))


def test_every_variable_the_compose_file_sets_is_read_by_the_settings():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])
    assert compose["services"]["postgres"]["image"].startswith("postgres:15")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    assert "gunicorn" in " ".join(compose["services"]["web"]["command"].split())
    assert "migrate" in compose["services"]["web"]["command"]
    read = _variables_the_settings_read()
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        assert "healthcheck" in service, name
        unknown = set(service["environment"]) - read
        assert unknown == set(), f"{name} sets variables the settings never read: {unknown}"
    for name in ("postgres", "redis"):
        assert "healthcheck" in compose["services"][name]


def test_readme_documents_every_environment_variable():
    readme = (ROOT / "README.md").read_text()
    missing = {name for name in _variables_the_settings_read() if f"`{name}`" not in readme}
    assert missing == set()


def test_check_deploy_is_clean_with_production_settings():
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "SECURE_SSL_REDIRECT",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="clinic.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:////tmp/backstride-deploy-check.db"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_settings_refuse_to_start_without_a_secret_key_in_production():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
