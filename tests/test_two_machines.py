"""Two web machines behind one proxy: two gunicorn instances (gunicorn.conf.py, different ports
and working folders), one PostgreSQL, one Redis, one `flask worker` and one `flask sweep`, in
production mode, each started with the ExecStart command of its systemd unit in deploy/systemd/.

One test, one set-up: what is uploaded through A downloads through B; a session from A works
on B; failed sign-ins for one account count across both machines and lock only that account;
one client address locked out does not lock out the 50 people behind other addresses.
"""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import Attachment, User
from models.base import db
from models.clock import utcnow
from models.enums import UserKind
from models.pillar import seed_pillars
from review.app import create_app
from tests.conftest import _PASSWORD_HASH, PASSWORD, ROOT, _empty_tables, free_port, wait_until
from tests.factories import complete_study
from tests.test_production import PRODUCTION

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.4\n" + os.urandom(300_000) + b"\n%%EOF\n"


class Machine:
    """Talks to one web machine as a browser behind a one-hop proxy would (cookies by hand:
    they are Secure, and the proxy's TLS is not there)."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"

    def request(self, path, cookies, data=None, files=None, client="192.0.2.1", timeout=30):
        # As the browser and the proxy send them (CSRF checks the Referer over https).
        headers = {
            "X-Forwarded-For": client,
            "X-Forwarded-Proto": "https",
            "Referer": self.base.replace("http:", "https:") + path,
        }
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if files:
            body, ctype = _multipart(data or {}, files)
            headers["Content-Type"] = ctype
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(req, timeout=timeout)
        except urllib.error.HTTPError as exc:
            response = exc
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                cookies[name] = morsel.value
        return response.status, response.read(), response.headers

    def csrf(self, path, cookies, client="192.0.2.1") -> str:
        status, page, _ = self.request(path, cookies, client=client)
        assert status == 200, (path, status)
        return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()

    def sign_in(self, email, password=PASSWORD, client="192.0.2.1", cookies=None):
        cookies = {} if cookies is None else cookies
        token = self.csrf("/auth/login", cookies, client)
        data = {"csrf_token": token, "email": email, "password": password}
        status, _, _ = self.request("/auth/login", cookies, data=data, client=client)
        return status, cookies


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----reimagine-test-boundary"
    chunks = []
    for name, value in fields.items():
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, content, ctype) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
        )
        chunks.append(head.encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def unit_command(name: str, replace: dict | None = None) -> list[str]:
    """Return the ExecStart command of deploy/systemd/reimagine-NAME.service, run from this
    virtualenv instead of /srv/reimagine/.venv, with `replace` applied to its arguments."""
    unit = (ROOT / "deploy" / "systemd" / f"reimagine-{name}.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    args = shlex.split(line.removeprefix("ExecStart="))
    assert args[0].startswith("/srv/reimagine/.venv/bin/"), args
    args[0] = str(Path(sys.executable).parent / Path(args[0]).name)
    return [(replace or {}).get(arg, arg) for arg in args]


def _start(args: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,  # noqa: SIM115
    )


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # gunicorn: quick shutdown; rq: warm
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def network(postgresql_url, redis_url, smtp, tmp_path):
    """Return (A, B, worker log, app) with the database emptied and people to sign in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "S3_"))}
    env.update(PRODUCTION)
    env.update(
        {
            "DATABASE_URL": postgresql_url,
            "REDIS_URL": redis_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "PUBLIC_BASE_URL": "https://reimagine.test",
            "PROXY_HOPS": "1",
            "LOGIN_ADDRESS_RATE_LIMIT": "5 per minute",
            "FLASK_APP": "wsgi.py",
            "PYTHONPATH": str(ROOT),
            "MAIL_RETRY_BASE_SECONDS": "0.2",
        }
    )
    app = create_app({**_settings(env), "MAIL_WITHHELD_DOMAINS": ()})
    with app.app_context():
        _empty_tables()
        seed_pillars()
        db.session.commit()
    processes, machines = [], []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        port = free_port()
        machine_env = {**env, "INSTANCE_PATH": str(folder / "instance")}
        web = unit_command("web", {"0.0.0.0:8000": f"127.0.0.1:{port}"})
        web[-1:-1] = ["--workers", "2", "--chdir", str(folder)]
        processes.append(_start(web, machine_env, ROOT, tmp_path / f"{name}.log"))
        machines.append(Machine(port))
    worker_log = tmp_path / "worker.log"
    for unit, log in (("worker", worker_log), ("sweep", tmp_path / "sweep.log")):
        processes.append(
            _start(unit_command(unit), {**env, "INSTANCE_PATH": str(tmp_path)}, ROOT, log)
        )
    try:
        for machine in machines:
            wait_until(lambda m=machine: _up(m), timeout=120)  # a busy machine
        with app.app_context():
            yield (*machines, worker_log, app)
    finally:
        _stop(processes)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _settings(env: dict) -> dict:
    import config

    return config.settings(environ=env)


def _up(machine: Machine) -> bool:
    try:
        return machine.request("/healthz", {}, timeout=2)[0] == 200
    except OSError:
        return False


def _people(count: int, prefix: str) -> list[User]:
    users = [
        User(
            email=f"{prefix}{i}@example.net",
            name=f"{prefix.title()} {i}",
            kind=UserKind.member,
            password_hash=_PASSWORD_HASH,
            created_at=utcnow(),
        )
        for i in range(count)
    ]
    db.session.add_all(users)
    db.session.commit()
    return users


def test_two_web_machines_share_files_sessions_and_sign_in_limits(network, smtp):
    a, b, worker_log, _app = network
    author, locked, other = _people(3, "person")
    study = complete_study(author)

    # A session opened on A works on B.
    status, cookies = a.sign_in(author.email)
    assert status == 302
    assert b.request("/account/", cookies)[0] == 200
    assert b.request("/account/", {})[0] == 302  # and B does not just let anyone in

    # Uploaded through A, downloaded through B: the same bytes.
    token = a.csrf(f"/studies/{study.id}/edit", cookies)
    status, _, _ = a.request(
        f"/studies/{study.id}/attachments",
        cookies,
        data={"csrf_token": token},
        files={"file": ("plan.pdf", PDF, "application/pdf")},
    )
    assert status == 302
    attachment = wait_until(
        lambda: db.session.scalar(sa.select(Attachment).where(Attachment.study_id == study.id))
    )
    status, body, headers = b.request(f"/studies/{study.id}/attachments/{attachment.id}", cookies)
    assert status == 200 and body == PDF
    assert "plan.pdf" in headers["Content-Disposition"]

    # Ten failed sign-ins for one account, alternating machines and addresses, lock it...
    for i in range(10):
        machine = (a, b)[i % 2]
        status, _ = machine.sign_in(locked.email, "wrong password", client=f"198.51.100.{i}")
        assert status == 200
    assert a.sign_in(locked.email, client="198.51.100.77")[0] == 429
    assert b.sign_in(locked.email, client="198.51.100.78")[0] == 429
    # ...and no other account.
    assert b.sign_in(other.email, client="198.51.100.79")[0] == 302

    # One address that tried too often (5 a minute here) is stopped, on both machines...
    for i in range(5):
        (a, b)[i % 2].sign_in(f"nobody{i}@example.net", "wrong", client="203.0.113.66")
    assert a.sign_in(other.email, client="203.0.113.66")[0] == 429
    assert b.sign_in(other.email, client="203.0.113.66")[0] == 429
    # ...while 50 people behind 50 other addresses all get in.
    for i, person in enumerate(_people(50, "member")):
        status, _ = (a, b)[i % 2].sign_in(person.email, client=f"192.0.2.{100 + i}")
        assert status == 302, (person.email, status)

    # The worker sends the mail a request on B wrote, and logs with that request's id.
    cookies = {}
    token = b.csrf("/auth/reset", cookies, client="192.0.2.50")
    status, _, headers = b.request(
        "/auth/reset",
        cookies,
        data={"csrf_token": token, "email": other.email},
        client="192.0.2.50",
    )
    assert status == 302
    request_id = headers["X-Request-ID"]
    message = wait_until(lambda: smtp.to(other.email), timeout=30)[0]
    assert "https://reimagine.test/auth/reset/" in message.get_body(("plain",)).get_content()
    lines = [
        json.loads(line) for line in worker_log.read_text().splitlines() if line.startswith("{")
    ]
    assert any(line.get("request_id") == request_id for line in lines), lines[-5:]
    sweep_log = worker_log.with_name("sweep.log")
    wait_until(lambda: "expired_sessions=" in sweep_log.read_text(), timeout=60)


def test_procfile_runs_what_the_units_run():
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert (
        shlex.split(procfile["web"].replace("${PORT:-8000}", "8000"))[1:]
        == (unit_command("web")[1:])
    )
    assert procfile["worker"].split()[-1] == "worker" and "sweep --every 60" in procfile["sweep"]
