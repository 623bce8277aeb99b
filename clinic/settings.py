"""Backstride settings, read from the environment and safe by default.

Every variable is listed with its meaning in README.md ("Configuration"). Nothing exists only in
production: without DATABASE_URL the app runs on SQLite under var/, without REDIS_URL Celery uses
kombu's filesystem transport under var/, so a first run needs nothing installed.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG is on.")
    SECRET_KEY = "insecure-development-key-only-for-debug-runs"  # noqa: S105  DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Follows PORT (scripts/run.sh, `PORT=8100 make run`) so email links reach the running server.
SITE_URL = env.str(
    "SITE_URL", default=f"http://127.0.0.1:{env.str('PORT', default='8000')}"
).rstrip("/")

INSTALLED_APPS = [
    # django.contrib.admin with the staff site that asks for an authenticator code.
    "staff.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # staff recovery codes (staff.site)
    "axes",
    "auditlog",
    "csp",
    "ninja",  # only for its static Swagger UI files: the API docs load nothing from a CDN
    "clinic",
    "patients",
    "triage",
    "outcomes",
    "staff",
    "fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions and views: a flood is answered cheaply.
    "clinic.middleware.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The patient's chosen language (the switch's cookie), else the browser's; staff pages
    # are put back to English by StaffEnglishMiddleware once the user is known.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinic.middleware.StaffEnglishMiddleware",
    "clinic.middleware.StaffIdleTimeoutMiddleware",
    "clinic.middleware.StaffSecondFactorMiddleware",
    # After the staff checks: staff never see it, and a half-signed-in one is signed out first.
    "clinic.middleware.PrivacyNoticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # auditlog's, with the client address behind the trusted proxies only (clinic.security).
    "clinic.middleware.AuditlogMiddleware",
    # Last, so a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic_locations",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two bookings of one slot serialize instead of
    # both reading "free" (PostgreSQL relies on row locks and an exclusion constraint instead).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "clinic.db.postgresql"  # small bulk inserts as VALUES
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "clinic.User"

# --- Redis, cache, Celery ----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "filesystem://"
    _celery_queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_queue_dir),
        "data_folder_out": str(_celery_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Exchange bindings; kombu's default is ./control in whatever directory the worker runs.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    # kombu does not create its folders, and the first message may come from any command
    # (seed_demo plans the demo's alerts before the worker starts).
    for _folder in ("data_folder_in", "processed_folder", "control_folder"):
        Path(CELERY_BROKER_TRANSPORT_OPTIONS[_folder]).mkdir(parents=True, exist_ok=True)

CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task may hang a worker: the soft limit raises inside the task (a send records it and
# retries later), the hard one kills the process (the row is requeued as stuck).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing gives up quickly when the broker is down: the outbox row stays for the next dispatch.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-notifications": {"task": "clinic.tasks.dispatch_due", "schedule": 60.0},
    "escalate-unacknowledged-alerts": {"task": "clinic.tasks.escalate_alerts", "schedule": 60.0},
    "pass-on-waitlist-holds": {"task": "clinic.tasks.pass_on_waitlist_holds", "schedule": 60.0},
    "advance-follow-ups": {"task": "outcomes.tasks.advance_follow_ups", "schedule": 3600.0},
}

# --- Auth and accounts -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "patients:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_ADAPTER = "patients.adapters.PatientAccountAdapter"
# The required "I accept the privacy notice" box on the sign-up form.
ACCOUNT_SIGNUP_FORM_CLASS = "patients.forms_privacy.SignupConsentForm"

# OWASP ASVS 2.2.1: lock out by username, and by username and address, 30 minutes cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
# Per account as well as per account and address: guesses spread over many addresses lock too.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_FORM_FIELD = "username"
# The staff admin posts `username`, allauth's sign-in `login`: both count for one person.
AXES_USERNAME_CALLABLE = "clinic.security.axes_username"
AXES_CLIENT_IP_CALLABLE = "clinic.security.client_ip"
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# allauth's own per-address limit stays; its per-account one is looser than axes's lock-out so
# a locked-out person keeps seeing axes's page (username and address, 30 minutes).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,20/30m/key"}
# Staff sign in to the admin with a password and a TOTP code (staff.site).
OTP_TOTP_ISSUER = "Backstride"

# OWASP ASVS 11.1.4: requests per client address and window, (count, seconds), enforced by
# clinic.middleware.RateLimitMiddleware on Django's cache; it lets requests through if the
# cache is down. The JSON API has its own per-caller limits (API_RATE_LIMIT_*).
RATE_LIMIT_ENABLED = True
RATE_LIMITS = {
    "sign-in": (30, 600),  # POSTs to the staff and patient sign-in, sign-up, password reset
    "intake": (120, 600),  # POSTs to the intake wizard: about 17 complete intakes
}

# HIPAA automatic logoff: idle sessions end after 24 h for patients; staff are cut to 30 minutes
# by clinic.middleware.StaffIdleTimeoutMiddleware.
SESSION_COOKIE_AGE = int(timedelta(hours=24).total_seconds())
SESSION_SAVE_EVERY_REQUEST = True
STAFF_IDLE_TIMEOUT = timedelta(minutes=env.int("STAFF_IDLE_MINUTES", default=30))
# How long a staff member's one-use authenticator set-up link works (staff.enrolment).
STAFF_ENROLMENT_LINK_HOURS = env.int("STAFF_ENROLMENT_LINK_HOURS", default=72)

# --- Security headers (check --deploy is clean with DEBUG off) ---------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# ASVS 14.4.3 / 50.2: scripts only from our own origin, never inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Bounded request bodies: a huge POST gets a 400, never a 500 or an out-of-memory worker.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Email and SMS -----------------------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Backstride <no-reply@backstride.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env.str("SMS_BACKEND", default="clinic.sms.FileSMSBackend")
SMS_FILE_PATH = str(VAR_DIR / "sms")
# Seconds a mail or SMS gateway may take to answer; EMAIL_URL cannot carry it, hence its own.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
SMS_TIMEOUT = env.int("SMS_TIMEOUT", default=10)
# clinic.sms.TwilioSMSBackend, and the signature check of Twilio's inbound webhook (STOP/START).
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env.str("TWILIO_FROM", default="")
# Raise it when the privacy notice (templates/patients/privacy_notice.html) changes: every
# patient is asked to accept the new one at their next visit.
PRIVACY_NOTICE_VERSION = "2026-12"
# Transient send failures are retried with capped backoff for this long, then marked failed.
NOTIFICATION_RETRY_HOURS = env.int("NOTIFICATION_RETRY_HOURS", default=24)
# An alert nobody acknowledged goes to the next contact and the managers after this, again and
# again (protocol section 6: an emergency is contacted within 1 hour).
ALERT_ESCALATION_MINUTES = env.int("ALERT_ESCALATION_MINUTES", default=15)
URGENT_ALERT_ESCALATION_MINUTES = env.int("URGENT_ALERT_ESCALATION_MINUTES", default=120)

# --- Scheduling knobs --------------------------------------------------------------------------
BOOKING_MIN_NOTICE = timedelta(hours=env.int("BOOKING_MIN_NOTICE_HOURS", default=2))
BOOKING_MAX_ADVANCE = timedelta(days=env.int("BOOKING_MAX_ADVANCE_DAYS", default=90))
BOOKING_CHANGE_CUTOFF = timedelta(hours=env.int("BOOKING_CHANGE_CUTOFF_HOURS", default=24))
# A freed time offered to a waitlisted patient is held for them this long, then passed on.
WAITLIST_HOLD_MINUTES = env.int("WAITLIST_HOLD_MINUTES", default=120)
REMINDER_OFFSETS = [
    timedelta(hours=h) for h in env.list("REMINDER_HOURS", cast=int, default=[48, 2])
]

# --- JSON API ----------------------------------------------------------------------------------
# Requests per minute per caller (user, or address when anonymous); 0 turns a limit off.
API_RATE_LIMIT_READ = env.int("API_RATE_LIMIT_READ", default=120)
API_RATE_LIMIT_WRITE = env.int("API_RATE_LIMIT_WRITE", default=20)
# Proxies in front of the app whose X-Forwarded-For is believed for anonymous rate limits.
NINJA_NUM_PROXIES = env.int("API_TRUSTED_PROXIES", default=0)

# --- FHIR interface ----------------------------------------------------------------------------
# Requests per minute per FHIR client unless the client has its own limit; 0 turns it off.
FHIR_RATE_LIMIT = env.int("FHIR_RATE_LIMIT", default=300)

# --- I18n, static ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Patients read English or Spanish (locale/es/LC_MESSAGES/django.po); staff pages stay English.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Chicago"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A signed manage link is a credential: its token never reaches the logs.
    "filters": {"redact_link_tokens": {"()": "clinic.security.RedactLinkTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_link_tokens"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
