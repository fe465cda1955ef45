"""Settings shared by every environment. Secrets and hosts come from the environment in prod."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GOVDESK_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "captcha",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "huey.contrib.djhuey",
    "govdesk.common",
    "govdesk.org",
    "govdesk.audit",
    "govdesk.calendar",
    "govdesk.catalog",
    "govdesk.cases",
    "govdesk.workorders",
    "govdesk.dispatch",
    "govdesk.open311",
    "govdesk.stats",
    "govdesk.supervision",
    "govdesk.assessment",
    "govdesk.reports",
    "govdesk.web",
    "govdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese by default whatever the browser asks; the language switch (cookie) overrides it.
    "govdesk.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed its second factor (TOTP or a recovery code).
    "django_otp.middleware.OTPMiddleware",
    "govdesk.org.middleware.SessionAbsoluteTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "govdesk.common.middleware.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "govdesk.urls"
WSGI_APPLICATION = "govdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides (the admin's base template) win over the apps' own templates.
        "DIRS": [BASE_DIR / "govdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "govdesk.web.context_processors.navigation",
                "govdesk.calendar.context_processors.calendar_warnings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'govdesk.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE makes a write transaction take the
    # write lock up front instead of failing with "database is locked" when it upgrades mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters let psycopg prepare statements it sees repeatedly, so PostgreSQL stops re-planning the
    # same few queries of every request (measured in docs/benchmarks.md). Needs direct connections or session pooling.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# 等保2.0 8.1.4.1 and ASVS V2/V6: length 12 satisfies both; composition is checked by our own validator.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "govdesk.org.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "govdesk" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("GOVDESK_MEDIA_ROOT", VAR_DIR / "media"))
# Attachments are served only through permission-checked views, never from a public URL.
MEDIA_URL = "/media-not-public/"

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Sessions: 30 minutes idle (等保 / ASVS 3.3.2), 12 hours absolute (SessionAbsoluteTimeoutMiddleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)

# Login failures: lock the username for 30 minutes after 5 failures.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking the account itself (not the IP) is what 等保 8.1.4.1 b asks for; axes warns because rotating clients
# cannot bypass an account lock anyway.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "govdesk.org.views.lockout_response"

FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "govdesk.org.authentication.UnitTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "govdesk.common.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "govdesk.common.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GovDesk API",
    "DESCRIPTION": "12345 hotline work orders, units, categories and the working-day calendar.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page loads Swagger UI from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "govdesk_cache",
    }
}

CAPTCHA_IMAGE_SIZE = (120, 40)
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 5  # minutes

RATELIMIT_VIEW = "govdesk.web.views.ratelimited"

GOVDESK = {
    # Working periods of a working day, for limits in working hours (DOMAIN.md §2 defaults).
    "WORKING_HOURS": os.environ.get("GOVDESK_WORKING_HOURS", "09:00-12:00,13:30-17:30"),
    # Maximum attachment size and count per upload.
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_MAX_FILES": 5,
    # Public intake: requests per IP.
    "PUBLIC_SUBMIT_RATE": "5/h",
    "PUBLIC_TRACK_RATE": "30/h",
    # Smart dispatch: the category classifier's artifact (`manage.py dispatch_train` writes it).
    "DISPATCH_MODEL_PATH": os.environ.get(
        "GOVDESK_DISPATCH_MODEL_PATH", str(VAR_DIR / "models" / "dispatch-classifier.joblib")
    ),
    # Open311 GeoReport v2 (/open311/v2/). Jurisdictions: with several, every call must name one.
    "OPEN311_JURISDICTIONS": [j for j in os.environ.get("GOVDESK_OPEN311_JURISDICTIONS", "").split(",") if j],
    # Category paths (each covers its subtree) whose POSTs answer a token and register in the background; "*": all.
    "OPEN311_BATCH_SERVICES": [],
    # The request type of orders that come in through Open311 (a catalog.RequestType code).
    "OPEN311_REQUEST_TYPE": "help",
    # POSTs per API key, and requests of any kind per client address.
    "OPEN311_KEY_RATE": "600/h",
    "OPEN311_IP_RATE": "3000/h",
    # Discovery: bump the changeset when services or their questions change, so clients refresh their caches.
    "OPEN311_CHANGESET": "2026-11-01T00:00:00+08:00",
    "OPEN311_CONTACT": "",
    "OPEN311_KEY_SERVICE": "",
    # Order-list exports: up to EXPORT_INLINE_ROWS rows are built in the request; larger ones (up to the export's
    # 100,000-row cap) by the task worker, into EXPORT_DIR (not served directly), kept EXPORT_KEEP_DAYS.
    "EXPORT_INLINE_ROWS": int(os.environ.get("GOVDESK_EXPORT_INLINE_ROWS", "5000")),
    "EXPORT_DIR": os.environ.get("GOVDESK_EXPORT_DIR", str(VAR_DIR / "exports")),
    "EXPORT_KEEP_DAYS": 7,
    "OPEN311_ENDPOINT_TYPE": "production",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Background tasks and periodic jobs (huey): side effects after commit (smart dispatch, reply check) and the periodic
# sweeps run in the `run_huey` worker, not in the request. The default queue is a SQLite file beside the database
# (one host); GOVDESK_REDIS_URL (redis://host:6379/0) switches to Redis for deployments with several application
# servers, and then needs redis-py installed (`pip install redis`; not in requirements.txt). GOVDESK_TASKS_IMMEDIATE=1
# runs every task inline in the process that queues it (tiny deployments, debugging): no worker, no periodic jobs.
_REDIS_URL = os.environ.get("GOVDESK_REDIS_URL", "")
_DB = DATABASES["default"]
HUEY = {
    "huey_class": "huey.RedisHuey" if _REDIS_URL else "huey.SqliteHuey",
    # One queue per database: tasks carry row ids, so a worker must never take tasks queued for another database
    # (e.g. a benchmark's PostgreSQL next to `make run`'s SQLite, sharing var/tasks.sqlite3).
    "name": f"govdesk:{_DB.get('HOST') or 'local'}:{_DB.get('PORT') or ''}/{Path(str(_DB['NAME'])).name}",
    **({"url": _REDIS_URL} if _REDIS_URL else {"filename": str(VAR_DIR / "tasks.sqlite3")}),
    "immediate": os.environ.get("GOVDESK_TASKS_IMMEDIATE", "") == "1",
    # Threads: the tasks share one loaded model; two are enough to keep up with intake (docs/benchmarks.md).
    "consumer": {"workers": 2, "worker_type": "thread"},
}
