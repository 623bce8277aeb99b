"""A web worker is ready for its first request once it has loaded the application."""

import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import sys, clinic.wsgi; "
    "print(all(m in sys.modules for m in ('clinic.urls', 'clinic.api.v1', 'patients.api')))"
)


def test_loading_the_wsgi_application_imports_the_urls_and_the_api_before_any_request():
    # A fresh interpreter, as a gunicorn worker starts: nothing has been requested yet.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "True"
