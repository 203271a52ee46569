"""Caseloop settings: one file, every knob read from the environment (see docs/configuration.md)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CASELOOP_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "insecure-dev-key-change-me-" + "x" * 30)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the Swagger UI of /api/docs from the package instead of a CDN
    "caseloop.core",
    "caseloop.accounts",
    "caseloop.customers",
    "caseloop.products",
    "caseloop.cases",
    "caseloop.notify",
    "caseloop.triage",
    "caseloop.intake",
    "caseloop.api",
    "caseloop.portal",
    "caseloop.console",
    "caseloop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "caseloop.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "caseloop.core.context_processors.organisation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite (embedded, WAL) unless DATABASE_URL names another database; nothing else changes.
_DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'caseloop.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _DEFAULT_SQLITE),
                                              conn_max_age=env_int("CASELOOP_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the busy
        # timeout instead of failing with "database is locked" when a reader upgrades.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a file (not shared-cache memory) so that threads really contend for the lock;
    # one per test run, so that two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-caseloop-{os.getpid()}.sqlite3")}
else:
    # Case lists are short OLTP queries; on small machines PostgreSQL's parallel plans for them
    # are slower than serial ones (bench/case_list.py: search + filters p95 169 → 89 ms).
    DATABASES["default"].setdefault("OPTIONS", {})
    # plan_cache_mode: prepared statements (below) are still planned with each call's own values;
    # a generic plan cannot use a partial index (the unique external IDs) and guesses selectivity.
    DATABASES["default"]["OPTIONS"].setdefault("options", env_str(
        "CASELOOP_PG_OPTIONS", "-c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_custom_plan"))
    # Parameters bound by the server (no quoting in Python) and statements prepared after their
    # second use (parsed once per connection, not once per case). Turn off behind a pooler in
    # transaction mode (PgBouncer < 1.21), which cannot keep prepared statements.
    if env_bool("CASELOOP_PG_SERVER_SIDE_BINDING", True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=2)
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"]["NAME"] = env_str("TEST_DATABASE_NAME", "test_caseloop")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:case_list"
LOGOUT_REDIRECT_URL = "console:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "caseloop" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("CASELOOP_TIME_ZONE", "Asia/Shanghai")

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns on every request while the folder is missing (before the first collectstatic);
# on a read-only image collectstatic created it at build time.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("CASELOOP_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024

# --- Cache (rate limits, idempotency locks): Redis when REDIS_URL is set, else per-process memory.
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "caseloop.core.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "caseloop"}
    )
}

# --- Outgoing e-mail (acknowledgements, updates); the outbox retries when the server is down.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "service@caseloop.example.cn")

# --- Background work ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": env_str("CASELOOP_TASK_BACKEND", "django_tasks_db.DatabaseBackend")}}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("CASELOOP_SESSION_SECONDS", 8 * 3600)
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("CASELOOP_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"jieba": {"level": "WARNING"}},
}

# --- Caseloop -------------------------------------------------------------------------------
CASELOOP: dict[str, Any] = {
    "ORGANISATION_NAME": env_str("CASELOOP_ORGANISATION_NAME", "Caseloop 示例公司"),
    # R2.1: CF + YYYYMMDD + 4-digit daily sequence; the prefix is per organisation.
    "CASE_NUMBER_PREFIX": env_str("CASELOOP_CASE_NUMBER_PREFIX", "CF"),
    # R1.3: manual entry is due within 30 minutes of the customer's contact.
    "MANUAL_ENTRY_LIMIT_MINUTES": env_int("CASELOOP_MANUAL_ENTRY_LIMIT_MINUTES", 30),
    "SYSTEM_ENTRY_LIMIT_MINUTES": env_int("CASELOOP_SYSTEM_ENTRY_LIMIT_MINUTES", 5),
    "ATTACHMENT_MAX_BYTES": env_int("CASELOOP_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024),
    "ATTACHMENTS_PER_CASE": env_int("CASELOOP_ATTACHMENTS_PER_CASE", 20),
    "CASE_LIST_PAGE_SIZE": env_int("CASELOOP_CASE_LIST_PAGE_SIZE", 25),
    # Public address of this installation, used in links sent to customers (tracking page).
    "SITE_URL": env_str("CASELOOP_SITE_URL", "http://127.0.0.1:8000"),
    # R1.5: the same customer, the same problem within this window → linked, not handled twice.
    "INTAKE_LINK_WINDOW_HOURS": env_int("CASELOOP_INTAKE_LINK_WINDOW_HOURS", 72),
    "INTAKE_LINK_SIMILARITY": float(env_str("CASELOOP_INTAKE_LINK_SIMILARITY", "0.5")),
    "SMTP_TIMEOUT_SECONDS": env_int("CASELOOP_SMTP_TIMEOUT_SECONDS", 10),
    # Reverse proxies in front of the web processes; the client address is read from X-Forwarded-For.
    "PROXY_COUNT": env_int("CASELOOP_PROXY_COUNT", 0),
    # Periodic work enqueued by `caseloop scheduler`: name → (task, every N seconds).
    "PERIODIC_JOBS": {
        "drain_outbox": ("caseloop.notify.tasks.drain_outbox", 30),
        "process_waiting_inbound": ("caseloop.intake.tasks.process_waiting_inbound", 60),
        "poll_mailboxes": ("caseloop.intake.tasks.poll_mailboxes", 60),
        "prune_idempotency_records": ("caseloop.api.tasks.prune_idempotency_records", 3600),
        "triage_untriaged": ("caseloop.triage.tasks.triage_untriaged", 300),
        "sweep_orphaned_attachments": ("caseloop.cases.tasks.sweep_orphaned_attachments", 3600),
    },
}
