"""The mail pipeline end to end: outbox row → RQ job on a real Redis → the real `flask worker`
→ a real SMTP server; and every way it can fail: SMTP down, Redis down, a job run twice,
permanent and transient refusals."""

import os
import signal

import sqlalchemy as sa

from models import Notification
from models.base import db
from models.enums import NotificationStatus
from review.infra.queue import rq_queue
from tests.conftest import PASSWORD, parts, wait_until_quiet
from tests.conftest import wait_until as _wait_until
from workers.delivery import outcomes
from workers.mail import send_notification
from workers.sweep import sweep

# The worker is a separate process that starts cold; on a busy two-core machine, give it time.
PATIENCE = 150.0  # a deadline, not a time asserted: a calm machine takes seconds


def wait_until(predicate):
    return _wait_until(predicate, timeout=PATIENCE)


def row_state() -> tuple:
    """Return (status, attempts, last_error) of the only outbox row, read fresh."""
    db.session.rollback()
    return db.session.execute(
        sa.select(Notification.status, Notification.attempts, Notification.last_error)
    ).one()


def settle(smtp, count: int) -> None:
    """Wait until the queues have nothing left to do, then check no stray duplicate came."""
    wait_until_quiet()
    assert len(smtp.messages) == count


def rq_sweep(app) -> dict:
    """Run the sweep as `flask sweep` would, with the app that queues to Redis."""
    with app.app_context():
        return sweep()


def ask_for_reset(app, user) -> None:
    response = app.test_client().post("/auth/reset", data={"email": user.email})
    assert response.status_code == 302


def test_reset_email_arrives_with_both_parts_and_a_working_link(make_user, rq_app, worker, smtp):
    user = make_user(name="Keisha Johnson")
    ask_for_reset(rq_app, user)
    message = smtp.wait_for(1, PATIENCE)[0]
    assert message["To"] == user.email
    assert "Reset your Dare to Reimagine password" in message["Subject"]
    text, html = parts(message)
    assert "Keisha Johnson" in text and "Keisha Johnson" in html
    link = next(w for w in text.split() if "/auth/reset/" in w)
    assert link.startswith("http://reimagine.test/auth/reset/")
    assert f'href="{link}"' in html
    wait_until(lambda: row_state()[0] == NotificationStatus.sent)
    row = db.session.scalar(sa.select(Notification))
    assert row.message_id == message["Message-ID"] and row.transport == "smtp"

    client = rq_app.test_client()
    path = link.removeprefix("http://reimagine.test")
    assert client.get(path).status_code == 200
    new = "a fresh passphrase"
    assert client.post(path, data={"password": new, "confirm": new}).status_code == 302
    response = client.post("/auth/login", data={"email": user.email, "password": new})
    assert response.status_code == 302
    settle(smtp, 1)


def test_smtp_down_then_up_is_delivered_once(make_user, rq_app, worker, smtp):
    user = make_user()
    smtp.stop()
    try:
        ask_for_reset(rq_app, user)
        wait_until(lambda: row_state()[1] >= 1 and row_state()[2])  # tried, failed, kept
        assert row_state()[0] == NotificationStatus.pending
    finally:
        smtp.start()
    rq_sweep(rq_app)  # hands the row to a job at once, if the retry is not already on its way
    smtp.wait_for(1, PATIENCE)
    wait_until(lambda: row_state()[0] == NotificationStatus.sent)
    rq_sweep(rq_app)
    settle(smtp, 1)


def test_the_same_job_run_twice_sends_one_email(make_user, rq_app, smtp, request):
    user = make_user()
    ask_for_reset(rq_app, user)  # no worker yet: the job waits in Redis
    row_id = db.session.scalar(sa.select(Notification.id))
    with rq_app.app_context():
        rq_queue("mail").enqueue(send_notification, row_id)
        assert rq_queue("mail").count == 2
    request.getfixturevalue("worker")
    smtp.wait_for(1, PATIENCE)
    with rq_app.app_context():
        wait_until(lambda: rq_queue("mail").count == 0)
        send_notification(row_id)  # and a third time, in this process
    settle(smtp, 1)
    assert row_state()[0] == NotificationStatus.sent


def test_redis_down_at_commit_is_delivered_after_the_sweep(
    make_user, rq_app, smtp, redis_server, request
):
    user = make_user()
    redis_server.stop()
    try:
        ask_for_reset(rq_app, user)  # the page works; the job could not be queued
        assert row_state()[0] == NotificationStatus.pending
    finally:
        redis_server.start()
    request.getfixturevalue("worker")
    settle(smtp, 0)  # nothing was queued, so nothing goes until the sweep
    report = rq_sweep(rq_app)
    assert report["requeue_pending"] == 1
    smtp.wait_for(1, PATIENCE)
    wait_until(lambda: row_state()[0] == NotificationStatus.sent)
    assert rq_sweep(rq_app)["requeue_pending"] == 0
    settle(smtp, 1)


def test_permanent_refusal_marks_the_row_failed_without_retrying(make_user, rq_app, worker, smtp):
    user = make_user()
    smtp.refuse_data = "550 5.1.1 No such mailbox"
    ask_for_reset(rq_app, user)
    wait_until(lambda: row_state()[0] == NotificationStatus.failed)
    status, attempts, error = row_state()
    assert attempts == 1 and "550" in error
    smtp.refuse_data = None
    assert rq_sweep(rq_app)["requeue_pending"] == 0
    wait_until_quiet()
    assert row_state()[1] == 1 and smtp.messages == []


def test_transient_refusal_is_retried_then_sent(make_user, rq_app, worker, smtp):
    user = make_user()
    smtp.refuse_data = "451 4.3.0 Try again later"
    ask_for_reset(rq_app, user)
    wait_until(lambda: row_state()[1] >= 2)  # retried with backoff by the worker's scheduler
    assert row_state()[0] == NotificationStatus.pending and "451" in row_state()[2]
    smtp.refuse_data = None
    smtp.wait_for(1, PATIENCE)
    wait_until(lambda: row_state()[0] == NotificationStatus.sent)
    settle(smtp, 1)


def test_embedded_default_stores_mail_for_staff(app_factory, app, make_user, smtp):
    stored = app_factory(MAIL_TRANSPORT="store", MAIL_SERVER=None)
    user = make_user()
    ask_for_reset(stored, user)
    row = db.session.scalar(sa.select(Notification))
    assert row.status == NotificationStatus.sent and row.transport == "store"
    assert "/auth/reset/" in row.body_text and "/auth/reset/" in row.body_html
    assert smtp.messages == []
    assert PASSWORD not in row.body_text


def test_sigterm_stops_an_idle_worker_and_its_scheduler(rq_app, worker):
    """systemd and the tests stop a worker with SIGTERM: it leaves at once, with no process
    of its group left behind to take jobs (rq 3 marks an idle worker's stop nowhere, and the
    worker used to start over as if Redis had gone away)."""
    group = worker.process.pid
    # Registered is not yet listening: rq installs its signal handlers after registering, and
    # cleans its registries first thing in its loop, once they are in place.
    wait_until(lambda: "cleaning registries for queue: default" in worker.output())
    worker.process.terminate()
    # 0 after a warm shutdown; -SIGTERM if the signal came before rq installed its handlers
    # (nothing was in hand). Either way it is gone within seconds and does not start over.
    assert worker.process.wait(10) in (0, -signal.SIGTERM)
    assert "waiting for it to come back" not in worker.output()

    def group_gone() -> bool:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        return False

    wait_until(group_gone)
    with rq_app.app_context():
        assert rq_queue("mail").connection.smembers("rq:workers") == set()


def test_recording_outcomes_gives_its_connection_back_as_durable_as_it_took_it(app):
    """outcomes() stops its commits waiting for the disk, and undoes that before the
    connection goes back to the pool, so no other commit of the app is relaxed by it.

    SQLite connections all run synchronous NORMAL (models.base): there is nothing to undo."""
    show, durable, relaxed = {
        "postgresql": ("SHOW synchronous_commit", "on", "off"),
        "sqlite": ("PRAGMA synchronous", 1, 1),  # NORMAL
    }[db.engine.dialect.name]
    db.session.remove()
    db.engine.dispose()  # one pooled connection from here on: the one outcomes() used
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql(show).scalar() == durable
        pooled = conn.connection.dbapi_connection
    with outcomes() as out:
        assert out.connection.dbapi_connection is pooled
        assert out.exec_driver_sql(show).scalar() == relaxed
    with db.engine.connect() as conn:
        assert conn.connection.dbapi_connection is pooled
        assert conn.exec_driver_sql(show).scalar() == durable
