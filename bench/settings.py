"""Settings for the benchmarks: the production settings with only what a localhost run needs.

Used by the bench scripts, the gunicorn workers and the Celery worker they start
(DJANGO_SETTINGS_MODULE=bench.settings); DATABASE_URL and REDIS_URL come from
scripts/with-services.sh. Everything not changed here is what production runs.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-any-deployment")

from clinic.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# Plain HTTP on 127.0.0.1: no redirect to HTTPS, cookies without the Secure flag.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

# Static files from the source folders, so no collectstatic is needed before a run; the pages
# measured render the same tags either way.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# A benchmark client sends far more than a person would: the request limits are off.
API_RATE_LIMIT_READ = 0
API_RATE_LIMIT_WRITE = 0
RATE_LIMIT_ENABLED = False
FHIR_RATE_LIMIT = 0

# One line per sent email (its X-Backstride-Notification header), so the notification benchmark
# can count duplicates and losses; text messages go to files in the run's scratch folder.
_scratch = os.environ.get("BENCH_WORK") or str(VAR_DIR / "bench")  # noqa: F405
EMAIL_BACKEND = "bench.mail.NotificationLogBackend"
BENCH_MAIL_LOG = os.environ.get("BENCH_MAIL_LOG") or os.path.join(_scratch, "mail.log")
SMS_FILE_PATH = os.path.join(_scratch, "sms")

# The request log of a 100-client storm and the sign-in notes of the sessions the bench makes
# are noise; errors still reach the logs.
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # noqa: F405
