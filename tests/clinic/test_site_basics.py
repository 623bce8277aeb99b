"""The favicon, and SITE_URL following PORT so `PORT=8100 make run` links to port 8100."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_favicon_answers_on_its_usual_path_and_every_page_links_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    assert 'rel="icon"' in client.get("/").content.decode()


def site_url(**env) -> str:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SITE_URL", "PORT", "DJANGO_SETTINGS_MODULE"}
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "clinic.settings", "DEBUG": "true", **env}
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_site_url_follows_port_unless_set():
    assert site_url(PORT="8100") == "http://127.0.0.1:8100"
    assert site_url() == "http://127.0.0.1:8000"
    assert site_url(PORT="8100", SITE_URL="https://book.example.org/") == "https://book.example.org"
