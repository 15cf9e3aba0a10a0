"""Command-line tools: flask seed-demo, worker, sweep, users create / invite."""

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import time

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import StopRequested

from models import Attachment, CaseStudy, User
from models.base import db
from models.enums import UserKind
from review import accounts, affirmation, demo, library, workflow
from review.infra import logs, storage
from review.infra.queue import QUEUES, redis_connection
from review.staff import imports
from workers.sweep import sweep as run_sweep

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h

users = AppGroup("users", help="Create and invite people.")
attachments_cli = AppGroup("attachments", help="The attachment store.")
affirmation_cli = AppGroup("affirmation", help="Network votes.")
workflow_cli = AppGroup("workflow", help="The review workflow's state machine.")
studies_cli = AppGroup("studies", help="Case studies: import those published elsewhere.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(sweep)
    app.cli.add_command(users)
    app.cli.add_command(workflow_cli)
    app.cli.add_command(attachments_cli)
    app.cli.add_command(affirmation_cli)
    app.cli.add_command(studies_cli)


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo data (idempotent) and print the demo sign-ins; never in production."""
    if current_app.config["IS_PRODUCTION"]:
        raise click.ClickException(
            "seed-demo refuses to run with APP_ENV=production: the demo accounts' password "
            "is published in the README."
        )
    created = demo.seed()
    db.session.commit()
    click.echo(f"Demo data {'loaded' if created else 'already present'}.")
    click.echo(demo.SIGN_INS)


class AppWorker(SimpleWorker):
    """An RQ worker that runs each job in a fresh application context (and so a fresh session)."""

    stopping = False  # a SIGTERM or SIGINT came; rq records it only when a job is running

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)

    def perform_job(self, job, *args, **kwargs):
        token = logs.request_id.set((job.meta or {}).get("request_id"))
        try:
            with self.app.app_context():
                log.info("job %s started", job.func_name)
                return super().perform_job(job, *args, **kwargs)
        finally:
            logs.request_id.reset(token)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker, with the scheduler, for the mail and default queues."""
    conn = redis_connection()
    if conn is None:
        raise click.ClickException("REDIS_URL is not set; the embedded default needs no worker.")
    _fork_without_database(db.engine)
    while True:
        w = AppWorker(list(QUEUES), connection=conn)
        w.app = current_app._get_current_object()
        with contextlib.suppress(RedisError):
            w.work(burst=burst, with_scheduler=True)
        if burst or w.stopping:
            return
        # rq quits when Redis goes away: wait for it to come back, then work again (a signal
        # meanwhile ends the wait: rq's handlers stay installed and raise StopRequested).
        click.echo("Redis is unreachable; waiting for it to come back.", err=True)
        try:
            while not _reachable(conn):
                time.sleep(0.5)
        except StopRequested:
            return


def _reachable(conn) -> bool:
    try:
        return bool(conn.ping())
    except RedisError:
        return False


def _fork_without_database(engine) -> None:
    """Let rq fork its scheduler without the worker's database connections, and tie it to us.

    rq forks the scheduler between jobs. A child that inherited the worker's connections would
    keep them open after a SIGKILL of the worker, and PostgreSQL would then hold the killed
    job's transaction (and its row locks) open for as long as the child lives: the next job
    would wait on them forever. The pool is emptied before each fork; the child asks the
    kernel to end it when the worker dies.
    """
    os.register_at_fork(before=engine.dispose, after_in_child=_die_with_parent)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@click.command("sweep")
@click.option("--every", type=float, default=0, help="Repeat every N seconds (0: run once).")
def sweep(every: float) -> None:
    """Re-enqueue pending mail, close passed deadlines, send reminders and digests."""
    while True:
        report = run_sweep()
        click.echo(" ".join(f"{k}={v}" for k, v in report.items()))
        if not every:
            return
        time.sleep(every)


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([k.value for k in UserKind]), default="member")
@click.password_option()
def users_create(email: str, name: str, kind: str, password: str) -> None:
    """Create an account with a password."""
    try:
        user = accounts.create_user(email=email, name=name, kind=UserKind(kind), password=password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} ({user.kind.label}).")


@users.command("invite")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([k.value for k in UserKind]), default="member")
def users_invite(email: str, name: str, kind: str) -> None:
    """Invite someone by email; they set their own password from the link."""
    staff = db.session.scalar(sa.select(User).where(User.kind == UserKind.staff).limit(1))
    try:
        user = accounts.invite(email=email, name=name, kind=UserKind(kind), invited_by=staff)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Invited {user.email}.")


@workflow_cli.command("diagram")
def workflow_diagram() -> None:
    """Print the workflow's transition table as a Mermaid state diagram."""
    click.echo(workflow.mermaid())


@attachments_cli.command("import")
@click.argument("folder", required=False)
def attachments_import(folder: str | None) -> None:
    """Copy the files under FOLDER (default UPLOAD_FOLDER) into the configured store."""
    store = storage.current()
    copied, present = storage.copy_folder(folder or current_app.config["UPLOAD_FOLDER"], store)
    db.session.commit()
    click.echo(f"Copied {copied} files into the {store.name} store ({present} already there).")


@attachments_cli.command("check")
def attachments_check() -> None:
    """List attachments whose bytes the configured store lacks; exit 1 if there are any."""
    store = storage.current()
    keys = db.session.scalars(sa.select(Attachment.storage_key)).all()
    missing = [key for key in keys if not store.has(key)]
    for key in missing:
        click.echo(f"missing: {key}")
    click.echo(f"{len(keys) - len(missing)} of {len(keys)} files are in the {store.name} store.")
    if missing:
        raise SystemExit(1)


@affirmation_cli.command("close")
@click.argument("study_id", type=int)
@click.option("--reason", required=True, help="Why it closes before its deadline (recorded).")
def affirmation_close_command(study_id: int, reason: str) -> None:
    """Close the study's open vote now, counted and sent on as at its deadline."""
    study = db.session.get(CaseStudy, study_id)
    window = affirmation.latest_window(study) if study is not None else None
    if window is None:
        raise click.ClickException(f"Study {study_id} has no network vote.")
    try:
        affirmation.close_early(window, None, reason)
    except affirmation.AffirmationError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        f"Closed: {window.result} ({window.affirm_count} affirm, {window.object_count} object)."
    )


@studies_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "actor_email", required=True, help="The staff member importing (recorded).")
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option("--invite", is_flag=True, help="Email an invitation to each new author.")
def studies_import(file: str, actor_email: str, dry_run: bool, invite: bool) -> None:
    """Import published studies from a JSON or CSV file (the staff export's shape), or a .zip
    holding one and the files its rows attach."""
    actor = accounts.find_user(actor_email)
    if actor is None or actor.kind != UserKind.staff:
        raise click.ClickException(f"{actor_email} is not a staff account.")
    try:
        with open(file, "rb") as handle:
            rows, bundle = imports.read_upload(file, handle.read())
    except imports.ImportFileError as exc:
        raise click.ClickException(str(exc)) from None
    report = imports.import_studies(
        rows,
        actor,
        source=os.path.basename(file),
        dry_run=dry_run,
        invite=invite,
        bundle=bundle,
    )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in imports.report_lines(report):
        click.echo(line)
    if report.count("error"):
        sys.exit(1)


@studies_cli.command("reindex")
def studies_reindex() -> None:
    """Rebuild the search index and the "did you mean" words of every published study."""
    count = library.reindex_all()
    db.session.commit()
    click.echo(f"Reindexed {count} published studies.")
