"""Django settings, all from environment variables (see .env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext

from homeward.conf import env_bool, env_int, env_list, env_path, env_str

# Lets generic Django classes (ModelAdmin[Model], QuerySet[Model]) be subscripted at run time.
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent

DATA_DIR = env_path("HOMEWARD_DATA_DIR", Path.cwd() / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = env_bool("HOMEWARD_DEBUG", False)
# The embedded default serves 127.0.0.1 only; a real deployment sets its own key and hosts.
SECRET_KEY = env_str("HOMEWARD_SECRET_KEY", "insecure-dev-key-change-me-for-any-real-deployment")
ALLOWED_HOSTS = env_list("HOMEWARD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("HOMEWARD_CSRF_TRUSTED_ORIGINS", [])

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "homeward.apps.accounts.middleware.PagesLoginRequiredMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "homeward.apps.accounts.context.actor",
            ],
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
WHITENOISE_USE_FINDERS = True

TASKS = {
    "default": {
        "BACKEND": env_str("HOMEWARD_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A running import, heat-map rebuild or plan beats a heartbeat every lease / 6 seconds; one silent for
# a whole lease has lost its worker and is failed as abandoned (so is a worker, for /healthz). Longer
# than any database outage a run should ride out and, on SQLite, than the longest write transaction.
HOMEWARD_RUN_LEASE_SECONDS = env_int("HOMEWARD_RUN_LEASE_SECONDS", 120)

# Hours from acceptance to factory arrival (the "30-hour home plan").
HOMEWARD_APPLICATION_DEADLINE_HOURS = env_int("HOMEWARD_APPLICATION_DEADLINE_HOURS", 30)
# Encrypts departments' permit signing keys at rest (default: derived from the secret key; rotate the
# permit keys before changing either).
HOMEWARD_PERMIT_KEY_SECRET = env_str("HOMEWARD_PERMIT_KEY_SECRET", "")

# The heat map: when the return window opened, the hotspot threshold (workers away per prefecture),
# the smallest cell shown to roles without personal-data rights, and the roster/carrier disagreement
# ratio that flags a county.
HEATMAP_WINDOW_START = env_str("HOMEWARD_HEATMAP_WINDOW_START", "2020-01-24")
HEATMAP_HOTSPOT_MIN_AWAY = env_int("HOMEWARD_HEATMAP_HOTSPOT_MIN_AWAY", 10_000)
HEATMAP_MIN_CELL = env_int("HOMEWARD_HEATMAP_MIN_CELL", 5)
HEATMAP_DISAGREEMENT_RATIO = env_str("HOMEWARD_HEATMAP_DISAGREEMENT_RATIO", "1.5")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("HOMEWARD_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("HOMEWARD_LOG_LEVEL", "INFO")},
    # fpdf2's font subsetting logs every glyph list at INFO through fontTools
    "loggers": {"fontTools": {"level": "WARNING"}},
}
