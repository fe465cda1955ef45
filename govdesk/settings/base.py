"""Settings shared by every environment. Secrets and hosts come from the environment in prod."""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GOVDESK_VAR_DIR", BASE_DIR / "var"))
# The task queue's SQLite file lives here and is opened at start-up: a fresh checkout has no var/ yet.
with contextlib.suppress(OSError):
    VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Personal data at rest (govdesk/common/crypto.py, docs/deployment.md): the AES-256-GCM field keys ("id:base64,…", the
# first encrypts, all decrypt) and the HMAC key of the blind indexes. Required in prod; generated once under VAR_DIR
# in dev; fixed in test.
GOVDESK_FIELD_KEYS = os.environ.get("GOVDESK_FIELD_KEYS", "")
GOVDESK_BLIND_INDEX_KEY = os.environ.get("GOVDESK_BLIND_INDEX_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    # First, so that its createsuperuser and changepassword replace Django's (accounts only through org.services).
    "govdesk.org",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
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
    "govdesk.audit",
    "govdesk.security",
    "govdesk.calendar",
    "govdesk.catalog",
    "govdesk.ledgers",
    "govdesk.matters",
    "govdesk.cases",
    "govdesk.workorders",
    "govdesk.applications",
    "govdesk.reporting",
    "govdesk.packages",
    "govdesk.permits",
    "govdesk.projects",
    "govdesk.dispatch",
    "govdesk.open311",
    "govdesk.knowledge",
    "govdesk.stats",
    "govdesk.supervision",
    "govdesk.evaluations",
    "govdesk.assessment",
    "govdesk.reports",
    "govdesk.ops",
    "govdesk.review",
    "govdesk.web",
    "govdesk.demo",
]

MIDDLEWARE = [
    "govdesk.common.middleware.ProxyClientAddressMiddleware",
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
    # A session of a role that needs two-factor login is unusable until it passed it (等保2.0 8.1.4.1 d).
    "govdesk.security.middleware.TwoFactorRequiredMiddleware",
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
    # A kept connection is checked (SELECT 1) before a request reuses it: after a database restart or failover the
    # first request of each worker opens a new connection instead of failing with a 500 (docs/reliability.md).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

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

# Login failures (等保 8.1.4.1 b, govdesk/org/lockout.py): 5 failures for one username from one address lock that
# username from that address for 30 minutes, so a stranger cannot lock an account out everywhere; the address throttle
# (GOVDESK["LOGIN_ADDRESS_*"]) stops one address trying many usernames. The security administrator can unlock.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "govdesk.org.lockout.GovDeskAxesHandler"
# The client's address: REMOTE_ADDR, or behind the TLS proxy the X-Forwarded-For it writes (GOVDESK_BEHIND_PROXY).
AXES_CLIENT_IP_CALLABLE = "govdesk.org.lockout.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "govdesk.org.views.lockout_response"

FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "govdesk.security.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "govdesk.common.api.Pagination",
    # DRF's own parsers, except that JSON has a depth limit (a 400, not a RecursionError's 500).
    "DEFAULT_PARSER_CLASSES": [
        "govdesk.common.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
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
    # Two different "status" choice sets (a 督办's and an escalation's): named here, not by a hash suffix that would
    # change whenever a label does.
    "ENUM_NAME_OVERRIDES": {
        "SupervisionCaseStatusEnum": "govdesk.supervision.models.CASE_STATUS_CHOICES",
        "EscalationStatusEnum": "govdesk.supervision.models.EscalationStatus",
        # The work order's channels keep the name they had before other case types brought channels of their own.
        "ChannelEnum": "govdesk.workorders.models.Channel",
        "ApplicationChannelEnum": "govdesk.applications.models.Channel",
        "ApplicationNoticeKindEnum": "govdesk.applications.models.NoticeKind",
        "SuspensionKindEnum": "govdesk.cases.models.SuspensionKind",
        "EvaluationChannelEnum": "govdesk.evaluations.models.EvaluationChannel",
        "EvaluationVerificationEnum": "govdesk.evaluations.models.Verification",
        "RectificationStatusEnum": "govdesk.evaluations.models.STATUS_CHOICES",
    },
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
    # The public permit verification page (GET): a business checks a stack of permits; enumeration is stopped.
    "PERMIT_VERIFY_RATE": "120/h",
    # The hall's ticket kiosk: one address serves every visitor, so far more than the public pages' rate.
    "QUEUE_TICKET_RATE": os.environ.get("GOVDESK_QUEUE_TICKET_RATE", "300/h"),
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
    # An export with full phone numbers (permission reports.export_unmasked, a reason) holds at most this many rows:
    # above it the export is refused (400), never cut short.
    "UNMASK_EXPORT_MAX_ROWS": int(os.environ.get("GOVDESK_UNMASK_EXPORT_MAX_ROWS", "500")),
    "OPEN311_ENDPOINT_TYPE": "production",
    # Audit retention (govdesk/audit/archive.py): events stay in the database this many days (at least 180, 网络安全法
    # §21), then `audit_archive` (nightly task) moves them as verified segments to AUDIT_ARCHIVE_DIR, outside the web
    # root; `audit_verify` checks segments and table as one chain. Back the folder up with the database.
    "AUDIT_ONLINE_DAYS": int(os.environ.get("GOVDESK_AUDIT_ONLINE_DAYS", "180")),
    "AUDIT_ARCHIVE_DIR": os.environ.get("GOVDESK_AUDIT_ARCHIVE_DIR", str(VAR_DIR / "audit-archive")),
    # Where `backup`/`restore` find pg_dump and pg_restore of the server's major version (empty: the newest under
    # /usr/lib/postgresql, else the PATH).
    "PG_BIN_DIR": os.environ.get("GOVDESK_PG_BIN_DIR", ""),
    # API tokens (POST /api/v1/auth/token/): the same idle and absolute lifetimes as a browser session.
    "API_TOKEN_IDLE_MINUTES": int(os.environ.get("GOVDESK_API_TOKEN_IDLE_MINUTES", "30")),
    "API_TOKEN_MAX_HOURS": int(os.environ.get("GOVDESK_API_TOKEN_MAX_HOURS", "12")),
    # Roles that must log in with a second factor (TOTP). The three administrator roles always must, whatever this
    # says (等保2.0 8.1.4.1 d); the variable adds business roles.
    # Failed logins from one address, across usernames, after which every login from it is refused (429) until the
    # window has passed: password spraying (govdesk/org/lockout.py).
    "LOGIN_ADDRESS_FAILURE_LIMIT": int(os.environ.get("GOVDESK_LOGIN_ADDRESS_FAILURE_LIMIT", "30")),
    "LOGIN_ADDRESS_WINDOW_MINUTES": int(os.environ.get("GOVDESK_LOGIN_ADDRESS_WINDOW_MINUTES", "15")),
    # 1 behind the TLS proxy of docs/deployment.md (it overwrites X-Forwarded-For with the client's address): the
    # login lockout counts that address instead of the proxy's 127.0.0.1. Never 1 where clients reach gunicorn directly.
    "BEHIND_PROXY": os.environ.get("GOVDESK_BEHIND_PROXY", "") == "1",
    # 好差评: a bad rating's rectification (整改) is due this many working days after the rating.
    "RECTIFICATION_LIMIT_WORKING_DAYS": int(os.environ.get("GOVDESK_RECTIFICATION_LIMIT_WORKING_DAYS", "5")),
    # Construction projects: the 6-digit administrative division code in the national 项目代码
    # (YYYY-<district>-<industry>-<type>-<sequence>), and the working days a unit has to verify a permit approved on
    # the applicant's commitment (告知承诺).
    "PROJECT_DISTRICT_CODE": os.environ.get("GOVDESK_PROJECT_DISTRICT_CODE", "141102"),
    "PROJECT_COMMITMENT_VERIFY_DAYS": int(os.environ.get("GOVDESK_PROJECT_COMMITMENT_VERIFY_DAYS", "20")),
    # Idempotency-Key answers (govdesk/common/idempotency.py) are kept this many hours for retries, then purged.
    "IDEMPOTENCY_KEY_TTL_HOURS": int(os.environ.get("GOVDESK_IDEMPOTENCY_KEY_TTL_HOURS", "24")),
    "TWO_FACTOR_ROLES": [
        r.strip() for r in os.environ.get("GOVDESK_2FA_ROLES", "sysadmin,secadmin,auditor").split(",") if r.strip()
    ],
}

# The issuer an authenticator app shows next to the account name.
OTP_TOTP_ISSUER = "GovDesk"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # WeasyPrint logs seven INFO lines per PDF (notices, the monthly report): noise in production logs.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
    },
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
