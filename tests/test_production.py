"""Production configuration: every bad or missing setting refused by name, all at once;
every value parsed with a clear message; demo data refused; the embedded default's links."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest

import config
from tests.conftest import ROOT

# A production environment that starts (the database and Redis are given by each test).
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "DATABASE_URL": "postgresql://db.internal/review",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "MAIL_SERVER": "smtp.internal",
    "PUBLIC_BASE_URL": "https://review.localprogress.example",
}


def check(**changes) -> list[str]:
    """Return the problems of PRODUCTION with `changes` (None removes a variable)."""
    env = {**PRODUCTION, **changes}
    env = {k: v for k, v in env.items() if v is not None}
    try:
        config.settings(environ=env)
    except config.ConfigError as exc:
        return exc.problems
    return []


def test_the_production_environment_above_starts():
    assert check() == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///review.db"}, "DATABASE_URL"),
        ({"REDIS_URL": None}, "REDIS_URL"),
        ({"MAIL_SERVER": None}, "MAIL_SERVER"),
        ({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "http://review.localprogress.example"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "review.localprogress.example"}, "PUBLIC_BASE_URL"),
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": config.DEVELOPMENT_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 31}, "SECRET_KEY"),
        ({"ATTACHMENT_STORE": "folder"}, "ATTACHMENT_STORE"),
        ({"ATTACHMENT_STORE": "s3"}, "S3_BUCKET"),
        ({"SWEEP_INTERVAL": "abc"}, "SWEEP_INTERVAL='abc': must be a number"),
        ({"MAIL_USE_TLS": "ture"}, "MAIL_USE_TLS='ture': must be true or false"),
        ({"MAIL_PORT": "70000"}, "MAIL_PORT='70000': must be from 1 to 65535"),
        ({"MAIL_TIMEOUT": "0"}, "MAIL_TIMEOUT='0': must be above 0"),
        ({"PROXY_HOPS": "-1"}, "PROXY_HOPS='-1': must be from 0 to 5"),
        ({"LOGIN_RATE_LIMIT": "lots"}, "LOGIN_RATE_LIMIT='lots': must be a rate"),
        ({"AFFIRMATION_WINDOW": "15"}, "AFFIRMATION_WINDOW='15': must be a duration"),
        ({"AFFIRMATION_THRESHOLD": "1.5"}, "AFFIRMATION_THRESHOLD='1.5'"),
        ({"AFFIRMATION_DAYS": "nan"}, "AFFIRMATION_DAYS='nan'"),
        ({"SESSION_IDLE_TIMEOUT": "0d"}, "SESSION_IDLE_TIMEOUT='0d': must be longer than zero"),
        ({"ATTACHMENT_STORE": "disk"}, "ATTACHMENT_STORE='disk': must be one of"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml'"),
    ],
)
def test_each_bad_or_missing_setting_is_refused_by_name(changes, named):
    found = check(**changes)
    assert len(found) == 1 and named in found[0], found


def test_every_problem_is_named_at_once_and_secrets_are_not_echoed():
    found = check(
        DATABASE_URL="sqlite:///x.db",
        REDIS_URL=None,
        MAIL_SERVER=None,
        PUBLIC_BASE_URL="http://x.example",
        SECRET_KEY="short",
        SWEEP_INTERVAL="abc",
    )
    names = [p.split(":")[0].split("=")[0] for p in found]
    assert sorted(names) == sorted(
        [
            "DATABASE_URL",
            "REDIS_URL",
            "MAIL_SERVER",
            "PUBLIC_BASE_URL",
            "SECRET_KEY",
            "SWEEP_INTERVAL",
        ]
    )
    assert "short" not in " ".join(found)


def test_values_are_parsed_into_their_types():
    settings, found = config.load(
        {
            "APP_ENV": "development",
            "MAIL_USE_TLS": "Yes",
            "SWEEP_INTERVAL": "15",
            "AFFIRMATION_WINDOW": "15m",
            "AFFIRMATION_DAYS": "0.01",
            "PROXY_HOPS": "1",
            "MAIL_WITHHELD_DOMAINS": "example.org, @Example.NET",
        }
    )
    assert not found
    assert settings["MAIL_USE_TLS"] is True and settings["SWEEP_INTERVAL"] == 15
    assert settings["AFFIRMATION_WINDOW"] == timedelta(minutes=15)
    assert settings["AFFIRMATION_DAYS"] == 0.01 and settings["PROXY_HOPS"] == 1
    assert settings["MAIL_WITHHELD_DOMAINS"] == ("example.org", "example.net")


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in config.ENVIRONMENT}
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "FLASK_APP": "wsgi.py", **env},
        timeout=60,
    )


def test_a_misconfigured_production_start_says_what_to_fix(tmp_path):
    result = _run(
        ["routes"],
        {
            "APP_ENV": "production",
            "SECRET_KEY": "x",
            "MAIL_USE_TLS": "ture",
            "INSTANCE_PATH": str(tmp_path),
        },
    )
    assert result.returncode != 0
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "MAIL_SERVER",
        "PUBLIC_BASE_URL",
        "SECRET_KEY",
        "MAIL_USE_TLS",
    ):
        assert name in result.stderr, result.stderr


def test_seed_demo_is_refused_in_production(postgresql_url, redis_url, tmp_path):
    env = {
        **PRODUCTION,
        "DATABASE_URL": postgresql_url,
        "REDIS_URL": redis_url,
        "INSTANCE_PATH": str(tmp_path),
    }
    result = _run(["seed-demo"], env)
    assert result.returncode != 0
    assert "refuses to run with APP_ENV=production" in result.stderr
    assert "Demo data" not in result.stdout


def test_links_follow_the_served_host_and_port_in_the_embedded_default(app_factory):
    app = app_factory(PUBLIC_BASE_URL=None)
    assert app.config["PUBLIC_BASE_URL_FOLLOWS_REQUESTS"]
    app.test_client().get("/", base_url="http://127.0.0.1:8123")
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:8123"
    fixed = app_factory(PUBLIC_BASE_URL="https://review.example")
    fixed.test_client().get("/", base_url="http://127.0.0.1:8123")
    assert fixed.config["PUBLIC_BASE_URL"] == "https://review.example"
