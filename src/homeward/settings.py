"""Django settings, all from environment variables (see .env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.csp import CSP

from homeward.conf import (
    DEV_PERMIT_KEY_SECRET,
    DEV_SECRET_KEY,
    PERMIT_KEY_SECRET_MIN_LENGTH,
    SECRET_KEY_MIN_LENGTH,
    SettingsError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_str,
    require_secret,
)

# Lets generic Django classes (ModelAdmin[Model], QuerySet[Model]) be subscripted at run time.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent

DATA_DIR = env_path("HOMEWARD_DATA_DIR", Path.cwd() / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)
# development (the default: embedded defaults, plain-text logs) or production (refuses to start
# without its own secrets and hosts; HTTPS-only cookies, HSTS, JSON logs). See docs/deploy.md.
HOMEWARD_ENV = env_choice("HOMEWARD_ENV", "development", ("development", "production"))
PRODUCTION = HOMEWARD_ENV == "production"
DEBUG = env_bool("HOMEWARD_DEBUG", False)
SECRET_KEY = env_str("HOMEWARD_SECRET_KEY", DEV_SECRET_KEY)
# Encrypts departments' permit signing keys at rest: a secret of its own, never derived from
# SECRET_KEY, so that the database plus the web secret cannot forge permits. Change it with
# `homeward permit rotate-keys --old-secret-file`.
HOMEWARD_PERMIT_KEY_SECRET = env_str("HOMEWARD_PERMIT_KEY_SECRET", DEV_PERMIT_KEY_SECRET)
# Development serves 127.0.0.1 only; production has no default.
ALLOWED_HOSTS = env_list(
    "HOMEWARD_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("HOMEWARD_CSRF_TRUSTED_ORIGINS", [])
if PRODUCTION:
    require_secret(
        "HOMEWARD_SECRET_KEY",
        SECRET_KEY,
        development_default=DEV_SECRET_KEY,
        min_length=SECRET_KEY_MIN_LENGTH,
    )
    require_secret(
        "HOMEWARD_PERMIT_KEY_SECRET",
        HOMEWARD_PERMIT_KEY_SECRET,
        development_default=DEV_PERMIT_KEY_SECRET,
        min_length=PERMIT_KEY_SECRET_MIN_LENGTH,
    )
    if HOMEWARD_PERMIT_KEY_SECRET == SECRET_KEY:
        raise SettingsError("HOMEWARD_ENV=production: HOMEWARD_PERMIT_KEY_SECRET must differ from SECRET_KEY")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise SettingsError("HOMEWARD_ENV=production: set HOMEWARD_ALLOWED_HOSTS to the site's host names")
    if DEBUG:
        raise SettingsError("HOMEWARD_ENV=production: HOMEWARD_DEBUG must be off")

# The site's public address (scheme and host, no path): a permit's QR code links to its verification
# page there, so that any phone camera at a checkpoint opens it. Production defaults to https on the
# first of HOMEWARD_ALLOWED_HOSTS; development to the local server.
HOMEWARD_PUBLIC_URL = env_str(
    "HOMEWARD_PUBLIC_URL",
    f"https://{ALLOWED_HOSTS[0].lstrip('.')}" if PRODUCTION else "http://127.0.0.1:8000",
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "homeward.apps.accounts",
    "homeward.apps.audit",
    "homeward.apps.registry",
    "homeward.apps.applications",
    "homeward.apps.heatmap",
    "homeward.apps.planning",
    "homeward.apps.trips",
    "homeward.apps.letters",
    "homeward.apps.teams",
    "homeward.apps.ops",
]

MIDDLEWARE = [
    "homeward.apps.ops.middleware.RequestLogMiddleware",
    # Outermost, so that it sees the error page of anything below it (see homeward.middleware).
    "homeward.middleware.ApiErrorsAsJsonMiddleware",
    "homeward.middleware.RefuseNulInQueryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "homeward.apps.ops.middleware.PermissionsPolicyMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "homeward.apps.ops.middleware.IdleSessionMiddleware",
    "homeward.apps.accounts.middleware.PagesLoginRequiredMiddleware",
    "homeward.apps.accounts.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "homeward.urls"
WSGI_APPLICATION = "homeward.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "homeward.apps.accounts.context.actor",
            ],
            # ``in_language``: a bilingual message's half in the reader's language (homeward.i18n).
            "builtins": ["homeward.i18n"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'homeward.sqlite3'}"),
        conn_max_age=env_int("HOMEWARD_DB_CONN_MAX_AGE", 0),
    )
}
# Seconds a statement waits for a lock before failing (then a request answers 503, a run retries).
DB_LOCK_TIMEOUT = env_int("HOMEWARD_DB_LOCK_TIMEOUT", 30)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the task worker writes; the busy timeout waits out locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": DB_LOCK_TIMEOUT,
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Without these a locked table or a silent server would hold a request (or the worker) for ever.
    DATABASES["default"]["OPTIONS"] = {
        "connect_timeout": 10,
        "options": f"-c lock_timeout={DB_LOCK_TIMEOUT * 1000}",
    }
    # Parameters bound by the server, and a statement a connection has run this many times kept
    # prepared on it, so PostgreSQL stops parsing and planning the hot path's fixed statements each
    # time (measured under ``homeward bench scan``: its CPU per scan 1.8 -> 1.0 ms; docs/benchmarks.md).
    # Django turns prepared statements off unless asked (they do not survive a transaction-mode
    # pooler such as PgBouncer's): 0 turns them off here too.
    DB_PREPARE_THRESHOLD = env_int("HOMEWARD_DB_PREPARE_THRESHOLD", 5)
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        DB_PREPARE_THRESHOLD if DB_PREPARE_THRESHOLD > 0 else None
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Counts on the Chinese pages are grouped by thousands (homeward/formats/zh_Hans).
FORMAT_MODULE_PATH = ["homeward.formats"]
TIME_ZONE = env_str("HOMEWARD_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# ECharts comes from the npm registry (package.json pins it); `make install` copies its built file here.
VENDOR_STATIC_DIR = env_path("HOMEWARD_VENDOR_STATIC", DATA_DIR / "vendor")
VENDOR_STATIC_DIR.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static", ("vendor", VENDOR_STATIC_DIR)]
MEDIA_ROOT = env_path("HOMEWARD_MEDIA_ROOT", DATA_DIR / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# Uploaded files stop being stored past the largest upload limit (the refusal still names the size).
FILE_UPLOAD_HANDLERS = [
    "homeward.apps.registry.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Upload limits, checked before a file is parsed (homeward.core.ingest.limits). IMPORT: roster,
# police and carrier imports, run by the task worker; SYNC: files answered within the request
# (an application's worker list, planning resources). Rows are data rows below the header.
UPLOAD_IMPORT_MAX_BYTES = env_int("HOMEWARD_UPLOAD_IMPORT_MAX_BYTES", 256 * 1024 * 1024)
UPLOAD_IMPORT_MAX_UNPACKED_BYTES = env_int("HOMEWARD_UPLOAD_IMPORT_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
UPLOAD_IMPORT_MAX_ROWS = env_int("HOMEWARD_UPLOAD_IMPORT_MAX_ROWS", 1_000_000)
UPLOAD_IMPORT_MAX_CELLS = env_int("HOMEWARD_UPLOAD_IMPORT_MAX_CELLS", 20_000_000)
UPLOAD_SYNC_MAX_BYTES = env_int("HOMEWARD_UPLOAD_SYNC_MAX_BYTES", 5 * 1024 * 1024)
UPLOAD_SYNC_MAX_UNPACKED_BYTES = env_int("HOMEWARD_UPLOAD_SYNC_MAX_UNPACKED_BYTES", 20 * 1024 * 1024)
UPLOAD_SYNC_MAX_ROWS = env_int("HOMEWARD_UPLOAD_SYNC_MAX_ROWS", 20_000)
UPLOAD_SYNC_MAX_CELLS = env_int("HOMEWARD_UPLOAD_SYNC_MAX_CELLS", 400_000)
# Both: how far one part of an .xlsx may expand (uncompressed ÷ compressed, parts over 1 MB), and
# how many parts it may have.
UPLOAD_MAX_RATIO = env_int("HOMEWARD_UPLOAD_MAX_RATIO", 100)
UPLOAD_MAX_PARTS = env_int("HOMEWARD_UPLOAD_MAX_PARTS", 1_000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Static files straight from the source folders in development (tests, `homeward manage runserver`).
# Production and `homeward serve`'s web server serve what collectstatic gathered: WhiteNoise records a
# file's size once, so a source file edited (or upgraded) under a running server was served cut to
# its old length.
WHITENOISE_USE_FINDERS = env_bool("HOMEWARD_STATIC_FINDERS", not PRODUCTION)

TASKS = {
    "default": {
        "BACKEND": env_str("HOMEWARD_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A running import, heat-map rebuild or plan beats a heartbeat every lease / 6 seconds; one silent for
# a whole lease has lost its worker and is failed as abandoned (so is a worker, for /healthz). Longer
# than any database outage a run should ride out and, on SQLite, than the longest write transaction.
HOMEWARD_RUN_LEASE_SECONDS = env_int("HOMEWARD_RUN_LEASE_SECONDS", 120)

# Letters home (apps.letters): where the file and print channels write, each channel's rate limit
# (letters a minute, 0 = none), and the SMS / WeChat gateways, which refuse to send until configured.
HOMEWARD_LETTERS_DIR = env_path("HOMEWARD_LETTERS_DIR", DATA_DIR / "letters")
HOMEWARD_LETTERS_FILE_PER_MINUTE = env_int("HOMEWARD_LETTERS_FILE_PER_MINUTE", 0)
HOMEWARD_LETTERS_PRINT_PER_MINUTE = env_int("HOMEWARD_LETTERS_PRINT_PER_MINUTE", 0)
HOMEWARD_SMS_GATEWAY_URL = env_str("HOMEWARD_SMS_GATEWAY_URL", "")
HOMEWARD_SMS_GATEWAY_KEY = env_str("HOMEWARD_SMS_GATEWAY_KEY", "")
HOMEWARD_SMS_PER_MINUTE = env_int("HOMEWARD_SMS_PER_MINUTE", 600)
# The SMS gateway sends the workers' keyword replies to /api/v1/letters/sms-inbound with this secret in
# the X-Homeward-Sms-Secret header; unset, the endpoint refuses every call.
HOMEWARD_SMS_INBOUND_SECRET = env_str("HOMEWARD_SMS_INBOUND_SECRET", "")
HOMEWARD_WECHAT_TEMPLATE_URL = env_str("HOMEWARD_WECHAT_TEMPLATE_URL", "")
HOMEWARD_WECHAT_TEMPLATE_KEY = env_str("HOMEWARD_WECHAT_TEMPLATE_KEY", "")
HOMEWARD_WECHAT_PER_MINUTE = env_int("HOMEWARD_WECHAT_PER_MINUTE", 600)

# Hours from acceptance to factory arrival (the "30-hour home plan").
HOMEWARD_APPLICATION_DEADLINE_HOURS = env_int("HOMEWARD_APPLICATION_DEADLINE_HOURS", 30)
# Hours a draft application holds its workers unless submitted; then it expires.
HOMEWARD_DRAFT_TTL_HOURS = env_int("HOMEWARD_DRAFT_TTL_HOURS", 72)

# The heat map: when the return window opened, the hotspot threshold (workers away per prefecture),
# the smallest count shown to roles without personal-data rights (their counts are rounded to its
# multiples: core.fusion.disclosure), and the roster/carrier disagreement ratio that flags a county.
HEATMAP_WINDOW_START = env_str("HOMEWARD_HEATMAP_WINDOW_START", "2020-01-24")
HEATMAP_HOTSPOT_MIN_AWAY = env_int("HOMEWARD_HEATMAP_HOTSPOT_MIN_AWAY", 10_000)
HEATMAP_MIN_CELL = env_int("HOMEWARD_HEATMAP_MIN_CELL", 5)
HEATMAP_DISAGREEMENT_RATIO = env_str("HOMEWARD_HEATMAP_DISAGREEMENT_RATIO", "1.5")

# Mutual recognition of origin-side health status (返岗互认, core.recognition): the provinces whose
# health codes are accepted (2-digit codes; empty: every province, the national health-code mutual
# recognition), whether a negative test is required and how recent it must be, and where these
# values come from (shown on the service team's page). At boarding, the rule is enforced for the
# passengers from provinces with an active service team ("teams": the team at the origin records
# and verifies the statuses), for every passenger ("all"), or not at all ("off").
RECOGNITION_PROVINCES = env_list("HOMEWARD_RECOGNITION_PROVINCES", [])
RECOGNITION_REQUIRE_TEST = env_bool("HOMEWARD_RECOGNITION_REQUIRE_TEST", True)
RECOGNITION_TEST_HOURS = env_int("HOMEWARD_RECOGNITION_TEST_HOURS", 168)
RECOGNITION_SOURCE = env_str(
    "HOMEWARD_RECOGNITION_SOURCE",
    "健康码：全国一体化政务服务平台防疫健康信息码互认（2020年2月）；核酸7天为默认值，按本市通知配置 "
    "(health codes: the national platform's epidemic health code, mutually recognised since February "
    "2020; a test within 7 days is a default, set by the city's notice)",
)
RECOGNITION_AT_BOARDING = env_choice("HOMEWARD_RECOGNITION_AT_BOARDING", "teams", ("teams", "all", "off"))

# Every list endpoint of the API pages (homeward.pagination): at most this many rows per request.
NINJA_PAGINATION_CLASS = "homeward.pagination.CappedLimitOffsetPagination"
NINJA_PAGINATION_MAX_LIMIT = env_int("HOMEWARD_API_MAX_LIMIT", 500)

# Security headers and cookies (SecurityMiddleware, ContentSecurityPolicyMiddleware and
# homeward.apps.ops.middleware). Production defaults to HTTPS-only; behind a reverse proxy that
# terminates TLS set HOMEWARD_TRUSTED_PROXIES (docs/deploy.md).
# Django's database sessions, read with one compiled statement per request (accounts/sessions.py)
SESSION_ENGINE = "homeward.apps.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("HOMEWARD_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Number of reverse proxies in front of the app that append to X-Forwarded-For and set
# X-Forwarded-Proto (0: clients connect directly; the client address is REMOTE_ADDR).
HOMEWARD_TRUSTED_PROXIES = env_int("HOMEWARD_TRUSTED_PROXIES", 0)
if HOMEWARD_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("HOMEWARD_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("HOMEWARD_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HOMEWARD_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("HOMEWARD_HSTS_PRELOAD", PRODUCTION)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages load only their own scripts (inline ones carry the request's nonce), ECharts from the vendor
# static files, and talk only to this site. Styles allow inline attributes: the plan board positions
# its timeline bars with them and htmx adds its indicator style.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Features no page uses are switched off for every page (homeward.apps.ops.middleware).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)

# Sessions end after HOMEWARD_SESSION_HOURS, or after HOMEWARD_SESSION_IDLE_MINUTES without a request
# that a person made (background polling does not count; homeward.apps.ops.middleware).
SESSION_COOKIE_AGE = env_int("HOMEWARD_SESSION_HOURS", 12) * 3600
HOMEWARD_SESSION_IDLE_MINUTES = env_int("HOMEWARD_SESSION_IDLE_MINUTES", 30)

# Login rate limit (homeward.apps.ops.login): failed sign-ins counted over the lockout window, per
# user name and per client address; at the limit further attempts are refused until the window passes.
HOMEWARD_LOGIN_FAILURES_PER_USER = env_int("HOMEWARD_LOGIN_FAILURES_PER_USER", 5)
HOMEWARD_LOGIN_FAILURES_PER_IP = env_int("HOMEWARD_LOGIN_FAILURES_PER_IP", 30)
HOMEWARD_LOGIN_LOCKOUT_MINUTES = env_int("HOMEWARD_LOGIN_LOCKOUT_MINUTES", 15)
AUTHENTICATION_BACKENDS = [
    "homeward.apps.ops.login.RateLimitBackend",
    # ModelBackend, reading the user's profile with the user (one query per request, not two)
    "homeward.apps.accounts.backends.ProfileModelBackend",
]

# Logs: one JSON object per line in production (with the request id), plain text in development.
# ID numbers and mobile numbers are masked in every log line (homeward.apps.ops.logs).
HOMEWARD_LOG_FORMAT = env_choice("HOMEWARD_LOG_FORMAT", "json" if PRODUCTION else "text", ("json", "text"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "homeward.apps.ops.logs.RequestIdFilter"},
    },
    "formatters": {
        "json": {"()": "homeward.apps.ops.logs.JsonFormatter"},
        "text": {
            "()": "homeward.apps.ops.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "homeward.apps.ops.logs.StderrHandler",
            "formatter": HOMEWARD_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("HOMEWARD_LOG_LEVEL", "INFO")},
    "loggers": {
        # fpdf2's font subsetting logs every glyph list at INFO through fontTools
        "fontTools": {"level": "WARNING"},
        # homeward.request logs one line per request instead (no query strings: they can hold names).
        "django.server": {"level": "WARNING"},
    },
}
