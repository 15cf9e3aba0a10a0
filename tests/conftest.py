"""Shared fixtures: the app on SQLite and PostgreSQL, a real Redis, a real SMTP server,
a real rq worker process, and a real browser.

Every test that takes `app` runs twice, once per database engine. Each test session makes
its own databases and its own redis-server, so parallel runs never share state.
"""

import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

os.environ["APP_ENV"] = "test"

import psycopg  # noqa: E402
import pytest
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from rq import Worker
from rq.registry import StartedJobRegistry

from models import Notification, User
from models.base import db
from models.clock import utcnow
from models.enums import NotificationStatus, UserKind
from models.pillar import seed_pillars
from review.app import create_app
from review.infra.passwords import hash_password
from review.infra.queue import QUEUES, rq_queue

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until predicate() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def queue_is_quiet() -> bool:
    """No job waiting or running on any queue of the app in context, and no notification row a
    job holds (pending, under a lease). A retry scheduled for later finds its row already
    decided when it runs, so it is not waited for."""
    for name in QUEUES:
        queue = rq_queue(name)
        if queue.count or StartedJobRegistry(queue=queue).count:
            return False
    db.session.rollback()  # a fresh snapshot of the rows
    open_rows = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.status == NotificationStatus.pending, Notification.lease_until.is_not(None)
        )
    )
    return open_rows == 0


def wait_until_quiet(timeout: float = 20.0) -> None:
    """Wait until the queues have nothing left to do, seen twice in a row: then an absence
    (no duplicate email, no retry) can be asserted, instead of after a fixed sleep."""
    streak = {"n": 0}

    def twice() -> bool:
        streak["n"] = streak["n"] + 1 if queue_is_quiet() else 0
        return streak["n"] >= 2

    wait_until(twice, timeout=timeout, interval=0.1)


# ---------------------------------------------------------------- the run itself


def pytest_sessionfinish(session, exitstatus):
    """Fail loudly when nothing ran (never pytest's exit code 5), and in CI when anything was
    skipped: PostgreSQL, Redis, SMTP and the browser must all be there."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nNo tests ran: check the path or -k expression.", file=sys.stderr)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI_NO_SKIPS") and reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nTests were skipped in CI, where every service must be present.", file=sys.stderr)


# ---------------------------------------------------------------- databases


def _migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JOB_RUNNER": "inline"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    _migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url():
    name = f"rr_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrate(url)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    """The database of one test: each test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """An empty database of this test's own, for migrating up and down (the session's are
    shared and stay at the head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'round-trip.db'}"
        return
    name = f"rr_mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Tables the migrations keep outside the models that no foreign key cascades into: emptied by
# name (library_search and library_search_term go with their studies).
UNMODELLED = ("library_search_word",)


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for name in UNMODELLED:
            conn.exec_driver_sql(f'DELETE FROM "{name}"')
        if conn.dialect.name == "postgresql":
            # TRUNCATE costs about the same for an empty table as for a full one (half a
            # second for all of them), DELETE of a test's few rows next to nothing: delete
            # from the tables that hold rows (found in one probe), children first, truncate
            # the append-only audit log (its trigger refuses DELETE), and start again every
            # sequence that has been used.
            probe = " UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT FROM \"{t.name}\")"
                for t in db.metadata.sorted_tables
            )
            full = set(conn.exec_driver_sql(probe).scalars())
            for table in reversed(db.metadata.sorted_tables):
                if table.name == "audit_event" and table.name in full:
                    conn.exec_driver_sql('TRUNCATE "audit_event"')
                elif table.name in full:
                    conn.execute(table.delete())
            conn.exec_driver_sql(
                "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1,"
                " false) FROM pg_sequences WHERE last_value IS NOT NULL"
            )
        else:
            # The audit log's append-only triggers refuse DELETE: set them aside meanwhile.
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name = 'audit_event'"
            ).all()
            for name, _sql in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)


# ---------------------------------------------------------------- redis


class RedisServer:
    """A redis-server of this test session's own, which a drill may stop and start."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _ping(client))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushall()


def _ping(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    if redis_server.process is None:
        redis_server.start()
    redis_server.flush()
    return redis_server.url


# ---------------------------------------------------------------- smtp


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.sink.refuse_rcpt or self.sink.refuse_rcpt_to.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        to = envelope.rcpt_tos[0] if envelope.rcpt_tos else None
        refusal = self.sink.refuse_data or self.sink.refuse_data_to.get(to)
        if refusal:
            return refusal
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)
        if to in self.sink.drop_after_data_to:
            server.transport.close()  # taken, but the client never hears so
        return "250 Message accepted"


class SMTPSink:
    """A real SMTP server (aiosmtpd) that parses what it receives.

    Set `refuse_data` or `refuse_rcpt` to an SMTP reply ("451 try later", "550 no such user")
    to make it fail; `refuse_data_to` and `refuse_rcpt_to` ({address: reply}) fail one
    recipient alone; an address in `drop_after_data_to` has its message taken and the
    connection dropped before the reply. `stop()` and `start()` take it down and bring it back
    on the same port.
    """

    def __init__(self):
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.refuse_data = None
        self.refuse_rcpt = None
        self.refuse_data_to: dict[str, str] = {}
        self.refuse_rcpt_to: dict[str, str] = {}
        self.drop_after_data_to: set[str] = set()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.refuse_data = self.refuse_rcpt = None
        self.refuse_data_to, self.refuse_rcpt_to = {}, {}
        self.drop_after_data_to = set()

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address.lower() in m["To"].lower()]

    def wait_for(self, count: int, timeout: float = 15.0) -> list:
        wait_until(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)


@pytest.fixture(scope="session")
def smtp_server():
    sink = SMTPSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_server):
    if smtp_server.controller is None:
        smtp_server.start()
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


def parts(message) -> tuple[str, str]:
    """Return the plain-text and HTML bodies of a parsed email."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


# ---------------------------------------------------------------- the app


def app_config(db_url: str, smtp_port: int, **overrides) -> dict:
    config = {
        "SQLALCHEMY_DATABASE_URI": db_url,
        "JOB_RUNNER": "inline",
        "REDIS_URL": None,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        "PUBLIC_BASE_URL": "http://reimagine.test",
        # Unset: derived from REDIS_URL, as in production (memory here, Redis in rq_app).
        "RATELIMIT_STORAGE_URI": None,
        "UPLOAD_FOLDER": str(ROOT / "instance" / "test-uploads" / uuid.uuid4().hex),
        # The factories' addresses are on the demo domain; these tests want them delivered.
        "MAIL_WITHHELD_DOMAINS": (),
    }
    config.update(overrides)
    return config


def _forget_cached_user() -> None:
    from flask import g

    g.pop("_login_user", None)


@pytest.fixture
def app_factory(db_url, smtp):
    """Return make(**config) that builds an app on this test's database; tables are emptied
    and the pillars seeded before the test."""
    made = []

    def make(**overrides):
        app = create_app(app_config(db_url, smtp.port, **overrides))
        # Tests keep one app context pushed, which requests reuse, and flask_login caches the
        # signed-in person on `g` there: forget it so that each request (and each test
        # client) is signed in as its own cookie says.
        app.before_request(_forget_cached_user)
        made.append(app)
        return app

    first = make()
    with first.app_context():
        _empty_tables()
        seed_pillars()
        db.session.commit()
    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(app.config["UPLOAD_FOLDER"], ignore_errors=True)


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Return make(kind="member", **fields) -> User, committed, with password PASSWORD."""
    return user_maker()


def user_maker():
    """Return make(kind="member", cochair_of=None, **fields) for the app context in use."""
    counter = {"n": 0}

    def make(kind: str | UserKind = UserKind.member, cochair_of=None, **fields) -> User:
        from models import CochairAssignment

        counter["n"] += 1
        n = counter["n"]
        kind = UserKind(kind)
        fields.setdefault("email", f"{kind.value}{n}-{uuid.uuid4().hex[:6]}@example.org")
        fields.setdefault("name", f"Test {kind.value.title()} {n}")
        fields.setdefault("password_hash", _PASSWORD_HASH)
        user = User(kind=kind, created_at=utcnow(), **fields)
        db.session.add(user)
        db.session.flush()
        for pillar in (
            [cochair_of]
            if cochair_of is not None and not isinstance(cochair_of, list | tuple)
            else cochair_of or []
        ):
            db.session.add(
                CochairAssignment(pillar_id=getattr(pillar, "id", pillar), user_id=user.id)
            )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client):
    """Return login(user_or_email) that signs the test client in through the real form."""

    def login(user, password: str = PASSWORD):
        address = user if isinstance(user, str) else user.email
        response = client.post("/auth/login", data={"email": address, "password": password})
        assert response.status_code == 302, f"sign-in failed for {address}"
        return client

    return login


@pytest.fixture
def pillar(app):
    from models import Pillar

    return db.session.scalar(sa.select(Pillar).order_by(Pillar.position))


# ---------------------------------------------------------------- the real worker


class WorkerProcess:
    """`flask worker` in a subprocess, on the test's database, Redis and SMTP server."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.process = None
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed by stop()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def start(self, timeout: float = 60.0) -> None:
        """Start the worker and return once it has registered with Redis, ready for jobs."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its scheduler too, so stop() leaves nothing behind
        )
        conn = redis.Redis.from_url(self.env["REDIS_URL"])

        def ready() -> bool:
            if self.process.poll() is not None:
                self.log.flush()
                raise AssertionError(f"flask worker exited early:\n{self.output()}")
            return any(w.pid == self.process.pid for w in Worker.all(connection=conn))

        wait_until(ready, timeout, interval=0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; a worker still alive after 10 s is killed with
        every process of its group, so that no straggler takes the next test's jobs."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.flush()


@pytest.fixture
def rq_app(app_factory, redis_url, smtp):
    """The app with jobs going to the real Redis, for integration tests with `worker`."""
    app = app_factory(JOB_RUNNER="rq", REDIS_URL=redis_url)
    with app.app_context():
        yield app
        db.session.rollback()


@pytest.fixture
def worker(rq_app, smtp, tmp_path):
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": "test",
            "FLASK_APP": "wsgi.py",
            "DATABASE_URL": rq_app.config["SQLALCHEMY_DATABASE_URI"].replace(
                "postgresql+psycopg://", "postgresql://"
            ),
            "REDIS_URL": rq_app.config["REDIS_URL"],
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "PUBLIC_BASE_URL": rq_app.config["PUBLIC_BASE_URL"],
            "MAIL_RETRY_BASE_SECONDS": "0.2",
            "UPLOAD_FOLDER": rq_app.config["UPLOAD_FOLDER"],
            "MAIL_WITHHELD_DOMAINS": "withheld.invalid",
        }
    )
    process = WorkerProcess(env, tmp_path / "worker.log")
    process.start()
    yield process
    process.stop()


# ---------------------------------------------------------------- the browser


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def live_app(sqlite_url, smtp):
    """The app on SQLite with CSRF on, as in production, served by a live_server."""
    app = create_app(app_config(sqlite_url, smtp.port, WTF_CSRF_ENABLED=True))
    with app.app_context():
        _empty_tables()
        seed_pillars()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = LiveServer(live_app)
    live_app.config["PUBLIC_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium must be installed (see .ci/run)"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def browser_login(page, live_server):
    """Return login(email, password) that signs the browser in through the real form."""

    def login(address: str, password: str = PASSWORD):
        page.goto(live_server.url + "/auth/login")
        page.fill("#email", address)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    return login
