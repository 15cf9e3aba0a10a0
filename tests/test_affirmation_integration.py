"""Network affirmation on the real parts: the rq scheduler and `flask worker` close a window at
its deadline; `flask sweep` closes one whose scheduled job was lost; and a browser walks
approve → members vote → the window closes → affirmed."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from models import AffirmationWindow, AuditEvent, CaseStudy, CochairAssignment, Pillar, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from models.setting import set_setting
from review import affirmation, workflow
from review.affirmation import jobs as affirmation_jobs
from review.infra.queue import enqueue, rq_queue
from tests.conftest import _PASSWORD_HASH, wait_until
from tests.factories import complete_study
from workers.sweep import sweep

S = StudyState


@pytest.fixture
def live(make_user, pillar, rq_app, worker, smtp):
    """The app with jobs on the real queue, its context on top of the inline app's."""
    assert current_app.config["JOB_RUNNER"] == "rq"
    return rq_app


def approved(make_user, pillar):
    """Return (study, window, voters): a study the co-chair approved, three members."""
    author, cochair = make_user("member"), make_user("member", cochair_of=pillar)
    voters = [make_user("member") for _ in range(3)]
    set_setting("affirmation_min_votes", 2)
    db.session.commit()
    study = complete_study(author, pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    workflow.apply(study, "review", cochair, recommendation="approve", overall="Good.")
    db.session.commit()
    assert study.state == S.in_affirmation
    return study, affirmation.latest_window(study), voters


def _closed(window_id: int):
    db.session.expire_all()
    window = db.session.get(AffirmationWindow, window_id)
    return window if window.closed_at is not None else None


def test_window_closes_at_its_deadline_through_scheduler_and_worker(live, make_user, pillar, smtp):
    study, window, voters = approved(make_user, pillar)
    for voter in voters[:2]:
        affirmation.cast_vote(window, voter, "affirm")
    # A short window: the deadline two seconds from now, scheduled as the workflow does.
    window.closes_at = utcnow() + timedelta(seconds=2)
    enqueue("affirmation.close_window", window.id, at=window.closes_at)
    db.session.commit()
    deadline = window.closes_at
    closed = wait_until(lambda: _closed(window.id), timeout=30)
    assert closed.closed_at >= deadline
    assert (closed.result, closed.affirm_count, closed.object_count) == ("affirmed", 2, 0)
    assert db.session.get(CaseStudy, study.id).state == S.affirmed
    author = study.authors[0].user
    wait_until(lambda: any("Affirmed" in m["Subject"] for m in smtp.to(author.email)), 30)
    # The announcement went out through the worker too: the voters were told.
    assert smtp.to(voters[2].email)


def test_sweep_closes_a_window_whose_job_was_lost(live, make_user, pillar):
    study, window, voters = approved(make_user, pillar)
    affirmation.cast_vote(window, voters[0], "object", "The timeline stops in 2022.")
    window.closes_at = utcnow() + timedelta(minutes=5)
    enqueue("affirmation.close_window", window.id, at=window.closes_at)
    db.session.commit()
    registry = ScheduledJobRegistry(queue=rq_queue("default"))
    for job_id in registry.get_job_ids():  # the scheduled closes are lost with Redis's data
        job = Job.fetch(job_id, connection=rq_queue("default").connection)
        if job.func_name.endswith("close_window"):
            job.delete()
    assert not [j for j in registry.get_job_ids()]
    window.closes_at = utcnow() - timedelta(seconds=1)  # the deadline passes unattended
    db.session.commit()
    assert _closed(window.id) is None
    result = live.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0 and "close_due_windows=1" in result.output, result.output
    closed = _closed(window.id)
    assert (closed.result, closed.object_count) == ("returned", 1)
    assert db.session.get(CaseStudy, study.id).state == S.in_review
    # Closing twice does nothing the second time: the sweep again, and a late job.
    again = live.test_cli_runner().invoke(args=["sweep"])
    assert "close_due_windows=0" in again.output
    assert affirmation_jobs.close_window(window.id) is False
    assert sweep()["close_due_windows"] == 0
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.event == "close_affirmation")
    ).all()
    assert len(events) == 1 and events[0].data["object_count"] == 1


@pytest.fixture
def pillar_of_live(live_app):
    """The first pillar, in the live server's database."""
    return db.session.scalar(sa.select(Pillar).order_by(Pillar.position))


def _person(email: str, kind=UserKind.member, **fields) -> User:
    user = User(
        email=email,
        name=email.split("@")[0].title(),
        kind=kind,
        password_hash=_PASSWORD_HASH,
        created_at=utcnow(),
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user


def test_browser_approve_vote_close_affirmed(live_server, page, browser_login, pillar_of_live):
    set_setting("affirmation_min_votes", 2)
    author = _person("author@example.org")
    cochair = _person("chair@example.org")
    db.session.add(CochairAssignment(pillar_id=pillar_of_live.id, user_id=cochair.id))
    db.session.commit()
    voters = [_person(f"voter{i}@example.org") for i in range(2)]
    study = complete_study(author, pillar_of_live)
    workflow.apply(study, "submit", author)
    db.session.commit()

    browser_login(cochair.email)
    page.goto(f"{live_server.url}/cochair/studies/{study.id}")
    page.check("input[name=recommendation][value=approve]")
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).state == S.in_affirmation

    for voter in voters:
        page.context.clear_cookies()
        browser_login(voter.email)
        page.goto(f"{live_server.url}/affirmation/")
        page.click(f"text={study.title}")
        page.check("input[name=choice][value=affirm]")
        page.click("#vote button[type=submit]")
        page.wait_for_selector("text=Your vote is recorded")
        assert page.locator(".tally").count() == 0  # members see only their own vote

    window = affirmation.latest_window(db.session.get(CaseStudy, study.id))
    window.closes_at = utcnow() - timedelta(seconds=1)  # the deadline passes
    db.session.commit()
    assert sweep()["close_due_windows"] == 1

    page.context.clear_cookies()
    browser_login(author.email)
    page.goto(f"{live_server.url}/affirmation/{study.id}")
    assert "the network affirmed this study" in page.text_content("#status")
    assert "2 affirm" in page.text_content("#tally").replace("\n", " ")
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).state == S.affirmed
