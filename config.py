"""Configuration classes; the only module that reads os.environ."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment; each value may come from the environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'review.db'}"
    )
    # A database that does not answer is reported (503) within seconds, not minutes.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # "rq": jobs go to Redis for `flask worker`; "inline": run in process right after commit.
    JOB_RUNNER = "rq" if REDIS_URL else "inline"
    # A timer thread in the server process runs the sweep when there is no separate worker.
    SWEEP_INTERVAL = float(os.environ.get("SWEEP_INTERVAL", "60"))
    RUN_TIMER = not REDIS_URL

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Dare to Reimagine <reimagine@localprogress.example>"
    )
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_SUPPRESS_SEND = False  # "store" is how the embedded default keeps mail instead
    # "smtp" sends; "store" keeps the rendered email on its row for staff to read.
    MAIL_TRANSPORT = "smtp" if MAIL_SERVER else "store"
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "6"))
    MAIL_RETRY_BASE_SECONDS = float(os.environ.get("MAIL_RETRY_BASE_SECONDS", "30"))
    # Short, and renewed every third of it while a batch is sent: a killed worker's rows (and
    # broadcast) go to another job within seconds.
    MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS", "30"))
    # People written (and then sent) per batch of a broadcast, each batch one commit.
    FANOUT_BATCH = int(os.environ.get("FANOUT_BATCH", "500"))

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # ten attachments arrive one at a time
    MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

    WTF_CSRF_TIME_LIMIT = 12 * 3600  # long enough to write a case study in one sitting
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    # Empty: derived by create_app from REDIS_URL (Redis when set, else memory), so that an
    # app built with another REDIS_URL counts sign-ins in that Redis.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or None
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must not stop people signing in: count in memory until it is back.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")

    PASSWORD_RESET_MAX_AGE = 3600
    INVITATION_MAX_AGE = 14 * 24 * 3600
    EMAIL_CHANGE_MAX_AGE = 24 * 3600

    AFFIRMATION_DAYS = int(os.environ.get("AFFIRMATION_DAYS", "14"))
    AFFIRMATION_MIN_VOTES = int(os.environ.get("AFFIRMATION_MIN_VOTES", "10"))
    AFFIRMATION_THRESHOLD = float(os.environ.get("AFFIRMATION_THRESHOLD", str(2 / 3)))

    IS_PRODUCTION = False


class DevelopmentConfig(Config):
    """The embedded default: SQLite under instance/, jobs inline, email stored."""


class TestConfig(Config):
    """Used by the test suite; fixtures override the database, Redis and SMTP addresses."""

    TESTING = True
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = True
    SWEEP_INTERVAL = 0
    RUN_TIMER = False
    SECRET_KEY = "test-secret"
    MAIL_RETRY_BASE_SECONDS = float(os.environ.get("MAIL_RETRY_BASE_SECONDS", "0.2"))


class ProductionConfig(Config):
    """PostgreSQL, Redis and SMTP from the environment; secure cookies; a real secret."""

    IS_PRODUCTION = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    RUN_TIMER = False

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the settings production cannot guess."""
        secret = os.environ.get("SECRET_KEY", "").strip()
        if not secret:
            raise RuntimeError("SECRET_KEY must be set in production")
        # Read now, not at import: the class attribute may predate the environment.
        cls.SECRET_KEY = secret


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


def config_class() -> type[Config]:
    """Return the configuration class named by APP_ENV (development by default)."""
    name = os.environ.get("APP_ENV", "development").strip().lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
