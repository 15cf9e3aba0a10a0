"""Configuration classes and the one reader of os.environ.

Each class holds defaults. `load()` reads the environment, parses every setting it knows into
its type, and, together with `problems()`, lets create_app refuse to start with one message
that names every bad or missing value at once.
"""

import os
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH") or BASE_DIR / "instance")
# Published in this file, so never a secret: production refuses it.
DEVELOPMENT_SECRET = "dev-only-not-secret"
# The demo data's domain (RFC 2606): mail to it is kept, never handed to SMTP.
DEMO_EMAIL_DOMAIN = "example.org"


class ConfigError(RuntimeError):
    """The settings cannot start the application; `problems` names each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Reimagine Review cannot start; fix these settings:\n{lines}")


class Config:
    """Settings shared by every environment; `ENVIRONMENT` below says which the environment sets."""

    SECRET_KEY = DEVELOPMENT_SECRET
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'review.db'}"
    # A database that does not answer is reported (503) within seconds, not minutes.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    REDIS_URL = None
    # "rq": jobs go to Redis for `flask worker`; "inline": run in process right after commit.
    # None: derived from REDIS_URL by load().
    JOB_RUNNER = None
    # A timer thread in the server process runs the sweep when there is no separate worker.
    SWEEP_INTERVAL = 60
    RUN_TIMER = None  # None: derived (on when there is no Redis)

    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_DEFAULT_SENDER = "Dare to Reimagine <reimagine@localprogress.example>"
    MAIL_TIMEOUT = 10.0
    MAIL_SUPPRESS_SEND = False  # "store" is how the embedded default keeps mail instead
    # "smtp" sends; "store" keeps the rendered email on its row for staff to read.
    MAIL_TRANSPORT = None  # None: derived (smtp when MAIL_SERVER is set)
    MAIL_MAX_ATTEMPTS = 6
    MAIL_RETRY_BASE_SECONDS = 30.0
    # Short, and renewed every third of it while a batch is sent: a killed worker's rows (and
    # broadcast) go to another job within seconds.
    MAIL_LEASE_SECONDS = 30.0
    # People written (and then sent) per batch of a broadcast, each batch one commit.
    FANOUT_BATCH = 500
    # Mail to these domains is rendered and kept on its row, never handed to SMTP.
    MAIL_WITHHELD_DOMAINS: tuple[str, ...] = (DEMO_EMAIL_DOMAIN,)

    # None in the embedded default: links follow the host and port actually served.
    PUBLIC_BASE_URL = None
    # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (1 behind one).
    PROXY_HOPS = 0

    UPLOAD_FOLDER = str(INSTANCE_DIR / "uploads")
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # ten attachments arrive one at a time
    MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
    # "database" (every machine shares it), "s3" (when S3_BUCKET is set), or "folder"
    # (UPLOAD_FOLDER on this machine only). None: derived.
    ATTACHMENT_STORE = None
    S3_BUCKET = None
    S3_PREFIX = "attachments/"
    S3_ENDPOINT_URL = None
    S3_REGION = None
    S3_ACCESS_KEY_ID = None
    S3_SECRET_ACCESS_KEY = None

    WTF_CSRF_TIME_LIMIT = 12 * 3600  # long enough to write a case study in one sitting
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    # A sign-in unused this long ends; none lives longer than SESSION_MAX_AGE.
    SESSION_IDLE_TIMEOUT = timedelta(days=14)
    SESSION_MAX_AGE = timedelta(days=90)
    REMEMBER_COOKIE_DURATION = timedelta(days=90)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    # Empty: derived by create_app from REDIS_URL (Redis when set, else memory), so that an
    # app built with another REDIS_URL counts sign-ins in that Redis.
    RATELIMIT_STORAGE_URI = None
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must not stop people signing in: count in memory until it is back.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Failed sign-ins per account, and attempts per client address (an office shares one).
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    LOGIN_ADDRESS_RATE_LIMIT = "30 per minute;300 per hour"

    PASSWORD_RESET_MAX_AGE = 3600
    INVITATION_MAX_AGE = 14 * 24 * 3600
    EMAIL_CHANGE_MAX_AGE = 24 * 3600

    AFFIRMATION_DAYS = 14
    # Set (e.g. "15m" on staging), it replaces the staff setting of days for new windows.
    AFFIRMATION_WINDOW = None
    AFFIRMATION_MIN_VOTES = 10
    AFFIRMATION_THRESHOLD = 2 / 3

    LOG_FORMAT = "text"
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
    MAIL_RETRY_BASE_SECONDS = 0.2


class ProductionConfig(Config):
    """PostgreSQL, Redis and SMTP from the environment; secure cookies; a real secret."""

    IS_PRODUCTION = True
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    RUN_TIMER = False
    LOG_FORMAT = "json"


CONFIGS = {"development": DevelopmentConfig, "test": TestConfig, "production": ProductionConfig}


# ---------------------------------------------------------------- parsing one value


def _text(raw: str) -> str:
    return raw


def _integer(minimum: int = 0, maximum: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
            raise ValueError(f"must be {bound}")
        return value

    return parse


def _number(minimum: float = 0.0, maximum: float | None = None, above: bool = False):
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        if (value <= minimum if above else value < minimum) or (
            maximum is not None and value > maximum
        ):
            low = f"above {minimum:g}" if above else f"at least {minimum:g}"
            high = f" and at most {maximum:g}" if maximum is not None else ""
            raise ValueError(f"must be {low}{high}")
        return value

    return parse


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _boolean(raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("must be true or false (or 1/0, yes/no, on/off)")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")


def duration(raw: str) -> timedelta:
    """Parse "90s", "15m", "12h" or "14d" into a timedelta above zero."""
    match = _DURATION.match(raw.strip().lower())
    if not match:
        raise ValueError('must be a duration such as "90s", "15m", "12h" or "14d"')
    value = timedelta(seconds=float(match[1]) * _UNITS[match[2]])
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


def _rate(raw: str) -> str:
    from limits import parse_many

    try:
        if not parse_many(raw):
            raise ValueError
    except ValueError:
        raise ValueError('must be a rate such as "10 per minute;50 per hour"') from None
    return raw


def _url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// address, such as https://review.example")
    return raw.rstrip("/")


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return raw.lower()

    return parse


def _domains(raw: str) -> tuple[str, ...]:
    return tuple(d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip())


# Each environment variable: the setting it fills and how its text is read.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "SECRET_KEY": ("SECRET_KEY", _text),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", _text),
    "REDIS_URL": ("REDIS_URL", _text),
    "SWEEP_INTERVAL": ("SWEEP_INTERVAL", _number(0)),
    "MAIL_SERVER": ("MAIL_SERVER", _text),
    "MAIL_PORT": ("MAIL_PORT", _integer(1, 65535)),
    "MAIL_USERNAME": ("MAIL_USERNAME", _text),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", _text),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", _boolean),
    "MAIL_USE_SSL": ("MAIL_USE_SSL", _boolean),
    "MAIL_DEFAULT_SENDER": ("MAIL_DEFAULT_SENDER", _text),
    "MAIL_TIMEOUT": ("MAIL_TIMEOUT", _number(0, above=True)),
    "MAIL_MAX_ATTEMPTS": ("MAIL_MAX_ATTEMPTS", _integer(1)),
    "MAIL_RETRY_BASE_SECONDS": ("MAIL_RETRY_BASE_SECONDS", _number(0)),
    "MAIL_LEASE_SECONDS": ("MAIL_LEASE_SECONDS", _number(0, above=True)),
    "FANOUT_BATCH": ("FANOUT_BATCH", _integer(1)),
    "MAIL_WITHHELD_DOMAINS": ("MAIL_WITHHELD_DOMAINS", _domains),
    "PUBLIC_BASE_URL": ("PUBLIC_BASE_URL", _url),
    "PROXY_HOPS": ("PROXY_HOPS", _integer(0, 5)),
    "UPLOAD_FOLDER": ("UPLOAD_FOLDER", _text),
    "ATTACHMENT_STORE": ("ATTACHMENT_STORE", _choice("database", "s3", "folder")),
    "S3_BUCKET": ("S3_BUCKET", _text),
    "S3_PREFIX": ("S3_PREFIX", _text),
    "S3_ENDPOINT_URL": ("S3_ENDPOINT_URL", _url),
    "S3_REGION": ("S3_REGION", _text),
    "S3_ACCESS_KEY_ID": ("S3_ACCESS_KEY_ID", _text),
    "S3_SECRET_ACCESS_KEY": ("S3_SECRET_ACCESS_KEY", _text),
    "SESSION_IDLE_TIMEOUT": ("SESSION_IDLE_TIMEOUT", duration),
    "SESSION_MAX_AGE": ("SESSION_MAX_AGE", duration),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", _text),
    "LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", _rate),
    "LOGIN_ADDRESS_RATE_LIMIT": ("LOGIN_ADDRESS_RATE_LIMIT", _rate),
    "AFFIRMATION_DAYS": ("AFFIRMATION_DAYS", _number(0, above=True)),
    "AFFIRMATION_WINDOW": ("AFFIRMATION_WINDOW", duration),
    "AFFIRMATION_MIN_VOTES": ("AFFIRMATION_MIN_VOTES", _integer(1)),
    "AFFIRMATION_THRESHOLD": ("AFFIRMATION_THRESHOLD", _number(0, 1, above=True)),
    "LOG_FORMAT": ("LOG_FORMAT", _choice("text", "json")),
}


# ---------------------------------------------------------------- the whole configuration


def config_class(environ: Mapping[str, str] | None = None) -> type[Config]:
    """Return the configuration class named by APP_ENV (development by default)."""
    env = os.environ if environ is None else environ
    name = env.get("APP_ENV", "development").strip().lower()
    if name not in CONFIGS:
        raise ConfigError([f"APP_ENV={name!r}: must be one of {', '.join(CONFIGS)}"])
    return CONFIGS[name]


def load(environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Return the settings of APP_ENV's class with the environment's values parsed in, and
    the problems found parsing them (empty when every value was understood)."""
    env = os.environ if environ is None else environ
    cls = config_class(env)
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    found = []
    for var, (key, parse) in ENVIRONMENT.items():
        raw = env.get(var)
        if raw is None or not raw.strip():
            continue
        try:
            settings[key] = parse(raw.strip())
        except ValueError as exc:
            shown = "…" if "SECRET" in var or "PASSWORD" in var else repr(raw)
            found.append(f"{var}={shown}: {exc}")
    return settings, found


def derive(settings: dict[str, Any]) -> None:
    """Fill the settings left None that follow from others (after any overrides)."""
    if settings.get("JOB_RUNNER") is None:
        settings["JOB_RUNNER"] = "rq" if settings.get("REDIS_URL") else "inline"
    if settings.get("RUN_TIMER") is None:
        settings["RUN_TIMER"] = not settings.get("REDIS_URL")
    if settings.get("MAIL_TRANSPORT") is None:
        settings["MAIL_TRANSPORT"] = "smtp" if settings.get("MAIL_SERVER") else "store"
    if settings.get("ATTACHMENT_STORE") is None:
        settings["ATTACHMENT_STORE"] = "s3" if settings.get("S3_BUCKET") else "database"
    # The remember cookie never outlives the session row it names.
    settings["REMEMBER_COOKIE_DURATION"] = settings["SESSION_MAX_AGE"]
    if not settings.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = settings.get("REDIS_URL") or "memory://"
    # No fixed address: links follow the request's host until one is served (see review).
    settings["PUBLIC_BASE_URL_FOLLOWS_REQUESTS"] = not settings.get("PUBLIC_BASE_URL")
    if not settings.get("PUBLIC_BASE_URL"):
        settings["PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"


def problems(settings: dict[str, Any]) -> list[str]:
    """Return what stops these (derived) settings from running; production is strict."""
    found = []
    if settings.get("ATTACHMENT_STORE") == "s3" and not settings.get("S3_BUCKET"):
        found.append("S3_BUCKET: must be set when ATTACHMENT_STORE is s3")
    if not settings.get("IS_PRODUCTION"):
        return found
    uri = settings.get("SQLALCHEMY_DATABASE_URI") or ""
    if not uri.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        shown = uri.split(":", 1)[0] + ":…" if uri else "missing"
        found.append(f"DATABASE_URL: must be a PostgreSQL address (postgresql://…), not {shown}")
    if not settings.get("REDIS_URL"):
        found.append("REDIS_URL: must be set (the queue, the worker and the sign-in limit)")
    if not settings.get("MAIL_SERVER"):
        found.append("MAIL_SERVER: must be set, or no email leaves")
    if settings.get("PUBLIC_BASE_URL_FOLLOWS_REQUESTS"):
        found.append("PUBLIC_BASE_URL: must be set to the https:// address people use")
    elif not settings["PUBLIC_BASE_URL"].startswith("https://"):
        found.append("PUBLIC_BASE_URL: must start with https:// (cookies are Secure)")
    secret = settings.get("SECRET_KEY") or ""
    if not secret:
        found.append("SECRET_KEY: must be set (32 bytes or more of random text)")
    elif secret == DEVELOPMENT_SECRET:
        found.append("SECRET_KEY: is the development value published in the code")
    elif len(secret.encode()) < 32:
        found.append(f"SECRET_KEY: must be 32 bytes or more, not {len(secret.encode())}")
    if settings.get("ATTACHMENT_STORE") == "folder":
        found.append("ATTACHMENT_STORE: folder keeps files on one machine; use database or s3")
    return found


def settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the whole configuration (the environment's, then `overrides`), or raise
    ConfigError naming every problem, each setting once."""
    values, found = load(environ)
    values.update(overrides or {})
    derive(values)
    named = {p.split("=", 1)[0] for p in found}
    found += [p for p in problems(values) if p.split(":", 1)[0] not in named]
    if found:
        raise ConfigError(found)
    return values
