"""Fan-out benchmark: "affirmation opened" to 5,000 members vs a plain Flask-Mail loop.

Both sides send the same 5,000 messages (same templates, same context, one per member) into
one local aiosmtpd server that counts what it accepts:

- fan-out: the real job (workers.fanout.run_broadcast of the broadcasts a window's opening
  writes), as one worker runs it: outbox rows written in batches (INSERT … ON CONFLICT DO
  NOTHING) with the broadcast's progress in the same commit, each batch leased, rendered, its
  bodies written in one executemany, then sent over one SMTP connection at one outcome
  statement per message (each row marked as handed to SMTP before its DATA in the UPDATE that
  marks the row before it sent; the last marked sent on its own);
- baseline: a plain loop that renders the same templates for each member, builds the
  Flask-Mail Message with the same deadline attachment (.ics, built once) and sends it over
  one connection, writing nothing.

The ratio fan-out / baseline is measured in the same run (best of `--repeat` runs each, the
runs interleaved). Target: ≤ 1.3×.

Then the kill drill (tests/test_fanout_drills.py) runs on each engine and reports its figures:
recipients, kills, delivered, duplicates, flagged ambiguous, and the seconds to complete after
the last kill (`--no-kill-drill` skips it).
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("APP_ENV", "test")

import sqlalchemy as sa  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

MEMBERS = 5000


class CountingHandler:
    """Accept every message and append its Message-ID to a file, parsing no more than that."""

    def __init__(self, path: str):
        self.out = open(path, "ab", buffering=0)  # noqa: SIM115 - lives as long as the server

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content
        start = content.find(b"Message-ID:")
        end = content.find(b"\n", start)
        self.out.write(content[start:end].strip() + b"\n")
        return "250 Message accepted"


class SMTPServer:
    """The local aiosmtpd server, in a process of its own so it takes no time from the sender."""

    def __init__(self):
        self.port = _free_port()
        self.path = tempfile.mktemp(prefix="rr-bench-smtp-")
        open(self.path, "wb").close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.fanout", "--serve-smtp", str(self.port), self.path],
            cwd=Path(__file__).resolve().parent.parent,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the SMTP server did not start")

    def ids(self) -> list[bytes]:
        with open(self.path, "rb") as f:
            return f.read().splitlines()

    def reset(self) -> None:
        open(self.path, "wb").close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        os.unlink(self.path)


def _serve_smtp(port: int, path: str) -> None:
    controller = Controller(CountingHandler(path), hostname="127.0.0.1", port=port)
    controller.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(engine: str) -> tuple[str, object]:
    """Return (url, cleanup) for a fresh database of the given engine."""
    if engine == "postgresql":
        import psycopg

        admin = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        name = f"rr_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return admin.rsplit("/", 1)[0] + f"/{name}", drop
    path = tempfile.mkdtemp(prefix="rr-bench-")
    return f"sqlite:///{path}/bench.db", lambda: None


def _setup(members: int):
    """Create the pillars, an author, `members` members and an open affirmation window."""
    from models import AffirmationWindow, User
    from models.base import db
    from models.clock import utcnow
    from models.enums import NetworkPreference, StudyState, UserKind
    from models.pillar import seed_pillars
    from tests.factories import complete_study

    seed_pillars()
    now = utcnow()
    author = User(
        email="author@bench.example", name="Ann Author", kind=UserKind.member, created_at=now
    )
    db.session.add(author)
    db.session.flush()
    db.session.execute(
        sa.insert(User),
        [
            dict(
                email=f"member{i}@bench.example",
                name=f"Member {i}",
                kind=UserKind.member,
                is_active=True,
                created_at=now,
                network_preference=NetworkPreference.immediate,
            )
            for i in range(members)
        ],
    )
    db.session.commit()
    study = complete_study(author, state=StudyState.in_affirmation, current_round=1)
    window = AffirmationWindow(
        study_id=study.id, round_number=1, opened_at=now, closes_at=now + timedelta(days=14)
    )
    db.session.add(window)
    db.session.commit()
    return window.id


def _baseline(window_id: int) -> int:
    """Render, build and send the same messages in a plain loop over one connection."""
    from flask import current_app, render_template
    from flask_mail import Message

    from models import AffirmationWindow, CaseStudy, User
    from models.base import db
    from models.enums import UserKind
    from review import calendars
    from review.infra.extensions import mail
    from review.notify import network_context, subject_for

    window = db.session.get(AffirmationWindow, window_id)
    study = db.session.get(CaseStudy, window.study_id)
    base = current_app.config["PUBLIC_BASE_URL"]
    people = db.session.execute(
        sa.select(User.id, User.email)
        .where(User.kind == UserKind.member, User.id.not_in(list(study.author_ids)))
        .order_by(User.id)
    ).all()
    subject = subject_for(study, "Open for network affirmation")
    common = {
        "path": f"/affirmation/{study.id}",
        "title": study.title,
        "summary": study.summary,
        "pillar": study.pillar.name,
        "place": f"{study.place}, {study.state_code}",
        "closes_at": window.closes_at.isoformat(),
        "window_id": window.id,
        "can_vote": True,
    }
    # The same deadline attachment the fan-out's emails carry, built once as a plain loop would.
    event = calendars.email_event("affirmation_opened", study.id, common)
    sent = 0
    with mail.connect() as conn:
        for user_id, email in people:
            context = network_context(user_id, common)
            context.update(link=base + context["path"], base_url=base, subject=subject)
            msg = Message(
                subject=subject,
                recipients=[email],
                sender=current_app.config["MAIL_DEFAULT_SENDER"],
                body=render_template("email/affirmation_opened.txt", **context),
                html=render_template("email/affirmation_opened.html", **context),
                extra_headers=context["headers"],
            )
            msg.attach(
                "deadline.ics", "text/calendar; method=PUBLISH; charset=utf-8", event, "attachment"
            )
            conn.send(msg)
            sent += 1
    return sent


def _fanout(window_id: int) -> int:
    """Owe the opening to the network and run the broadcasts' job, as the worker would."""
    from models import AffirmationWindow, CaseStudy
    from models.base import db
    from review import broadcasts
    from review.infra.queue import _PENDING
    from workers.fanout import run_broadcast

    window = db.session.get(AffirmationWindow, window_id)
    rows = broadcasts.affirmation_opened(window, db.session.get(CaseStudy, window.study_id))
    db.session.info.pop(_PENDING, None)  # run here, timed, not as an after-commit job
    db.session.commit()
    return sum(run_broadcast(row.id) for row in rows)


def _reset_outbox() -> None:
    from models import Broadcast, Notification
    from models.base import db

    db.session.execute(sa.delete(Notification))
    db.session.execute(sa.delete(Broadcast))
    db.session.commit()


def run(engine: str = "postgresql", members: int = MEMBERS, repeat: int = 3) -> dict:
    """Run both sides `repeat` times, interleaved; return the figures."""
    from flask_migrate import upgrade

    from models import Notification
    from models.base import db
    from models.enums import NotificationStatus
    from review.app import create_app

    handler = SMTPServer()
    port = handler.port
    url, cleanup = _database(engine)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "JOB_RUNNER": "inline",
            "REDIS_URL": None,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_TRANSPORT": "smtp",
            "MAIL_SUPPRESS_SEND": False,
            "PUBLIC_BASE_URL": "https://reimagine.example",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    times = {"fanout": [], "baseline": []}
    try:
        with app.app_context():
            upgrade()
            window_id = _setup(members)
            for _ in range(repeat):
                for side, fn in (("baseline", _baseline), ("fanout", _fanout)):
                    _reset_outbox()
                    handler.reset()
                    db.session.expire_all()
                    start = time.perf_counter()
                    sent = fn(window_id)
                    times[side].append(time.perf_counter() - start)
                    ids = handler.ids()
                    assert sent == members and len(ids) == members, (side, sent, len(ids))
                    if side == "fanout":
                        assert len(set(ids)) == members
                        sent_rows = db.session.scalar(
                            sa.select(sa.func.count(Notification.id)).where(
                                Notification.status == NotificationStatus.sent
                            )
                        )
                        assert sent_rows == members, sent_rows
            db.session.remove()
            db.engine.dispose()
    finally:
        handler.stop()
        cleanup()
    best = {side: min(v) for side, v in times.items()}
    return {
        "engine": engine,
        "members": members,
        "baseline_s": round(best["baseline"], 3),
        "fanout_s": round(best["fanout"], 3),
        "ratio": round(best["fanout"] / best["baseline"], 3),
        "baseline_median_s": round(statistics.median(times["baseline"]), 3),
        "fanout_median_s": round(statistics.median(times["fanout"]), 3),
        "target": "≤ 1.3",
    }


# ---------------------------------------------------------------- the request that opens one


class RedisServer:
    """A redis-server of the benchmark's own, so the request enqueues as in production."""

    def __init__(self):
        import shutil

        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="rr-bench-redis-")
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
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _jobs(conn) -> list[str]:
    """Return the function names of every job waiting or scheduled in Redis."""
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from review.infra.queue import QUEUES

    names = []
    for name in QUEUES:
        queue = Queue(name, connection=conn)
        ids = queue.job_ids + ScheduledJobRegistry(queue=queue).get_job_ids()
        names += [queue.fetch_job(i).func_name.rsplit(".", 1)[-1] for i in ids]
    return sorted(names)


def run_request(engine: str = "postgresql", members: int = MEMBERS, repeat: int = 15) -> dict:
    """Time the co-chair review that opens an affirmation against one that requests changes.

    Both are the same POST (the review that completes the round's quorum); one decision opens
    the affirmation (window, fan-out job, deadline job, mail to the authors), the other is a
    plain state change (mail to the authors). `members` members exist, to show that the
    request does not grow with the network: the fan-out is one job, run later.
    """
    from flask_migrate import upgrade

    from models import User
    from models.base import db
    from models.clock import utcnow
    from models.enums import NetworkPreference, UserKind
    from models.pillar import seed_pillars
    from review import workflow
    from review.app import create_app
    from review.infra.queue import redis_connection
    from tests.factories import complete_study

    redis_server = RedisServer()
    url, cleanup = _database(engine)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "JOB_RUNNER": "rq",
            "REDIS_URL": redis_server.url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": 1,
            "MAIL_TRANSPORT": "smtp",
            "PUBLIC_BASE_URL": "https://reimagine.example",
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
        }
    )
    password = "bench password 123"
    times = {"opens_affirmation": [], "plain_state_change": []}
    jobs = {}
    try:
        with app.app_context():
            from review.infra.passwords import hash_password

            upgrade()
            pillar = seed_pillars()[0]
            now = utcnow()
            db.session.execute(
                sa.insert(User),
                [
                    dict(
                        email=f"member{i}@bench.example",
                        name=f"Member {i}",
                        kind=UserKind.member,
                        is_active=True,
                        created_at=now,
                        network_preference=NetworkPreference.immediate,
                    )
                    for i in range(members)
                ],
            )
            hashed = hash_password(password)
            author = User(
                email="author@bench.example",
                name="Ann Author",
                created_at=now,
                password_hash=hashed,
            )
            chairs = [
                User(
                    email=f"chair{i}@bench.example",
                    name=f"Chair {i}",
                    created_at=now,
                    password_hash=hashed,
                )
                for i in range(2)
            ]
            db.session.add_all([author, *chairs])
            db.session.flush()
            from models import CochairAssignment

            for chair in chairs:
                db.session.add(CochairAssignment(pillar_id=pillar.id, user_id=chair.id))
            db.session.commit()
            client = app.test_client()
            response = client.post(
                "/auth/login", data={"email": chairs[1].email, "password": password}
            )
            assert response.status_code == 302, "the co-chair could not sign in"
            conn = redis_connection()
            for n in range(repeat):
                for side, decision in (
                    ("plain_state_change", "request_changes"),
                    ("opens_affirmation", "approve"),
                ):
                    study = complete_study(author, pillar=pillar, title=f"Study {side} {n}")
                    workflow.apply(study, "submit", author)
                    workflow.apply(
                        study, "review", chairs[0], recommendation=decision, overall="Looks right."
                    )
                    db.session.commit()
                    conn.flushall()
                    data = {
                        "version": str(study.version),
                        "recommendation": decision,
                        "overall": "Agreed.",
                        "items-0-section": "outcomes",
                        "items-0-level": "required",
                        "items-0-body": "Add the numbers." if decision != "approve" else "",
                    }
                    start = time.perf_counter()
                    response = client.post(f"/cochair/studies/{study.id}", data=data)
                    times[side].append(time.perf_counter() - start)
                    assert response.status_code == 302, (side, response.status_code)
                    jobs[side] = _jobs(conn)
            db.session.remove()
            db.engine.dispose()
    finally:
        redis_server.stop()
        cleanup()
    best = {side: statistics.median(v) for side, v in times.items()}
    fanout_jobs = jobs["opens_affirmation"].count("run_broadcast")
    return {
        "engine": engine,
        "members": members,
        "plain_state_change_ms": round(best["plain_state_change"] * 1000, 1),
        "opens_affirmation_ms": round(best["opens_affirmation"] * 1000, 1),
        "ratio": round(best["opens_affirmation"] / best["plain_state_change"], 3),
        "fanout_jobs_enqueued": fanout_jobs,
        "jobs_opens_affirmation": jobs["opens_affirmation"],
        "jobs_plain_state_change": jobs["plain_state_change"],
        "target": "≤ 1.5, one fan-out job",
    }


def run_kill_drill(engines: list[str]) -> list[dict]:
    """Run the kill drill (tests/test_fanout_drills.py) on each engine; return its figures.

    The drill is the test itself, with its real worker, sweep, Redis and SMTP server: it
    appends one JSON line of figures per engine to FANOUT_DRILL_REPORT.
    """
    report = tempfile.mktemp(prefix="rr-kill-drill-", suffix=".jsonl")
    root = Path(__file__).resolve().parent.parent
    expression = "fanout and kill" + ("" if len(engines) == 2 else f" and {engines[0]}")
    env = {**os.environ, "FANOUT_DRILL_REPORT": report}
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-q",
            "-k",
            expression,
            "tests/test_fanout_drills.py",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    figures = []
    if os.path.exists(report):
        with open(report) as f:
            figures = [json.loads(line) for line in f if line.strip()]
        os.unlink(report)
    for item in figures:
        item["drill_passed"] = done.returncode == 0
        item["drill_wall_s"] = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        print(done.stdout[-3000:], file=sys.stderr)
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench fanout", description=__doc__)
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-kill-drill", action="store_true", help="skip the kill drill")
    parser.add_argument("--serve-smtp", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_smtp:
        _serve_smtp(int(args.serve_smtp[0]), args.serve_smtp[1])
        return {}
    engines = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
    results = {}
    for engine in engines:
        figures = run_request(engine, args.members)
        results[f"request-{engine}"] = figures
        print(
            f"affirmation request [{engine}] {figures['members']} members: opens an "
            f"affirmation {figures['opens_affirmation_ms']} ms, plain state change "
            f"{figures['plain_state_change_ms']} ms, ratio {figures['ratio']}× (target ≤ 1.5×); "
            f"fan-out jobs enqueued: {figures['fanout_jobs_enqueued']} (all jobs: "
            f"{', '.join(figures['jobs_opens_affirmation'])}; plain: "
            f"{', '.join(figures['jobs_plain_state_change'])})",
            flush=True,
        )
    for engine in engines:
        results[engine] = figures = run(engine, args.members, args.repeat)
        print(
            f"fanout [{engine}] {figures['members']} members: fan-out {figures['fanout_s']}s, "
            f"plain Flask-Mail loop {figures['baseline_s']}s, ratio {figures['ratio']}× "
            f"(target ≤ 1.3×; medians {figures['fanout_median_s']}s / "
            f"{figures['baseline_median_s']}s)",
            flush=True,
        )
    if not args.no_kill_drill:
        results["kill-drill"] = run_kill_drill(engines)
        for f in results["kill-drill"]:
            print(
                f"kill drill [{f['engine']}]: {f['recipients']} recipients, {f['kills']} kills "
                f"(SIGKILL of the worker), delivered {f['delivered']}, duplicates "
                f"{f['duplicates']}, flagged ambiguous {f['ambiguous']}, complete "
                f"{f['seconds_after_last_kill']}s after the last kill"
                f"{'' if f['drill_passed'] else ' — THE DRILL FAILED'}",
                flush=True,
            )
    return results


if __name__ == "__main__":
    main()
