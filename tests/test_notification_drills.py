"""Drills on the real worker, Redis and SMTP server: kills, outages, reasons that go away.

Each drill breaks something real (SIGKILL the `flask worker`, stop redis-server, stop the
SMTP server) and then checks the promise of SPEC §5: nothing is lost, nothing is sent twice
except a row marked ambiguous (at most one per kill), mail to a person arrives in order.
"""

import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import Notification, Round
from models.base import db
from models.enums import NotificationStatus, StudyState
from review import notify, workflow
from review.infra.queue import rq_queue
from tests.conftest import wait_until, wait_until_quiet
from tests.factories import complete_study
from workers.sweep import sweep


@pytest.fixture
def live(make_user, pillar, rq_app, worker, smtp):
    """The app with jobs on the real queue, its context on top of the inline app's (which
    make_user and pillar push), so that everything the drill commits goes to Redis."""
    from flask import current_app

    assert current_app.config["JOB_RUNNER"] == "rq"
    return rq_app


def _status_counts() -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(sa.select(Notification.status)))


def _sweep_until_all_sent(smtp, total: int, timeout: float = 120) -> None:
    """Sweep whenever the worker has gone quiet, until every row is sent."""
    deadline = time.monotonic() + timeout
    seen = -1
    while time.monotonic() < deadline:
        if _status_counts()[NotificationStatus.sent] == total:
            return
        count = len(smtp.messages)
        if count == seen and rq_queue("mail").count == 0:
            sweep()
        seen = count
        time.sleep(1.0)
    raise AssertionError(f"not all sent: {_status_counts()}")


def test_redis_down_during_transitions_then_back(
    live, rq_app, worker, redis_server, smtp, make_user, pillar
):
    author = make_user()
    chairs = [make_user(cochair_of=pillar) for _ in range(2)]
    studies = [complete_study(author, pillar=pillar, title=f"Study {i}") for i in range(3)]
    redis_server.stop()
    try:
        for study in studies:
            # each submission tells the two co-chairs and confirms to the author
            workflow.apply(study, "submit", author)
            db.session.commit()
            assert study.state == StudyState.submitted
        assert rq_app.test_client().get("/healthz").status_code == 200
        assert _status_counts() == Counter({NotificationStatus.pending: 9})
    finally:
        redis_server.start()
    if worker.process.poll() is not None:  # the worker may have died with Redis
        worker.start()
    sweep()
    _sweep_until_all_sent(smtp, 9, timeout=120)
    ids = Counter(m["Message-ID"] for m in smtp.messages)
    assert len(ids) == 9 and set(ids.values()) == {1}
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        [c.email for c in chairs] * 3 + [author.email] * 3
    )


def test_smtp_down_then_back_delivers_once_in_order(live, worker, smtp, make_user):
    first, second = make_user(), make_user()
    smtp.stop()
    try:
        for n in range(5):
            notify.notify(
                "password_reset",
                [first, second],
                subject=f"Event {n}",
                event_key=f"ev{n}",
                context={"path": "/x", "name": "x"},
            )
            db.session.commit()
        # the oldest row to each person has failed at least once; the others wait behind it
        wait_until(
            lambda: (
                db.session.scalar(
                    sa.select(sa.func.count(Notification.id)).where(
                        Notification.attempts >= 1, Notification.last_error.is_not(None)
                    )
                )
                >= 2
            ),
            timeout=20,
        )
        assert _status_counts() == Counter({NotificationStatus.pending: 10})
    finally:
        smtp.start()
    _sweep_until_all_sent(smtp, 10, timeout=120)
    for person in (first, second):
        subjects = [m["Subject"] for m in smtp.to(person.email)]
        assert subjects == [f"Event {n}" for n in range(5)]


def test_withdrawn_before_the_reminder_goes_sends_nothing_stale(
    live, worker, smtp, make_user, pillar
):
    author = make_user()
    chairs = [make_user(cochair_of=pillar) for _ in range(2)]
    study = complete_study(author, pillar=pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    _sweep_until_all_sent(smtp, 3, timeout=30)  # the submission emails
    smtp.clear()
    # the round is now due in two days
    rnd = db.session.scalar(sa.select(Round).where(Round.study_id == study.id))
    rnd.opened_at -= timedelta(days=12)
    rnd.due_at -= timedelta(days=12)
    db.session.commit()
    smtp.stop()
    try:
        sweep()  # the reminders are written and their first attempt fails
        reminders = sa.select(Notification).where(Notification.kind == "review_due_soon")
        # every reminder's first attempt has failed (not merely started)
        wait_until(
            lambda: all(
                r.last_error
                for r in db.session.scalars(reminders.execution_options(populate_existing=True))
            ),
            timeout=20,
        )
        workflow.apply(study, "withdraw", author)
        db.session.commit()
        # A send already past its check when the study is withdrawn could still go out: let
        # any retry in flight fail before the server comes back.
        wait_until_quiet(timeout=30)
    finally:
        smtp.start()
    # the retries come from the worker's scheduler, and the periodic sweep is the safety net
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and {
        r.status for r in db.session.scalars(reminders.execution_options(populate_existing=True))
    } != {NotificationStatus.skipped}:
        sweep()
        time.sleep(0.5)
    rows = db.session.scalars(reminders.execution_options(populate_existing=True)).all()
    assert sorted(r.recipient_id for r in rows) == sorted(c.id for c in chairs)
    assert {r.status for r in rows} == {NotificationStatus.skipped}
    _sweep_until_all_sent(smtp, 5, timeout=30)  # 3 submission emails, 2 withdrawal emails
    wait_until_quiet()
    assert not [m for m in smtp.messages if "due in 3 days" in m["Subject"]]
    assert sorted(m["To"] for m in smtp.messages) == sorted(c.email for c in chairs)
