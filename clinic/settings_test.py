"""Settings for the test suite: production settings with only speed knobs turned.

The suite runs against the PostgreSQL and Redis that `make test` starts (DATABASE_URL, REDIS_URL).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")

from clinic.settings import *  # noqa: F403

# The test client and live server speak plain HTTP on localhost.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Static files straight from the source folders: no collectstatic before a test run.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Speed: a fast hasher, and mail kept in memory (django.core.mail.outbox) for assertions.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "clinic.sms.LocmemSMSBackend"

# A Celery worker started by a test runs in another process: it writes mail to files the test
# reads (optionally slowly, so a test can kill it in the middle of a batch).
if os.environ.get("TEST_EMAIL_DIR"):
    EMAIL_BACKEND = "tests.support.mail.SlowFileEmailBackend"
    EMAIL_FILE_PATH = os.environ["TEST_EMAIL_DIR"]

# The suite sends hundreds of requests from one address; tests/clinic/test_rate_limits.py turns
# the per-address limits back on to test them.
RATE_LIMIT_ENABLED = False
