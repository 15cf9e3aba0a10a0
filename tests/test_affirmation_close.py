"""Closing a vote before its deadline: staff with a reason (or an operator's command) get the
deadline's own close — the same tally, state and emails — recorded as an override; refused
without a reason and to anyone but staff. AFFIRMATION_WINDOW sets a vote's length in minutes."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import AuditEvent, Notification
from models.base import db
from models.clock import utcnow
from models.enums import StudyState
from review import affirmation
from review.affirmation import jobs as affirmation_jobs
from tests.test_affirmation import client_of, members, open_affirmation, rule

S = StudyState


@pytest.fixture
def people(make_user, pillar):
    return {
        "author": make_user("member"),
        "coauthor": make_user("partner"),
        "cochair": make_user("member", cochair_of=pillar),
        "staff": make_user("staff"),
    }


def _mail_of(study) -> list[tuple[str, str]]:
    rows = db.session.scalars(sa.select(Notification).where(Notification.study_id == study.id))
    return sorted((row.kind, row.email) for row in rows)


def _vote(window, voters) -> None:
    for voter in voters:
        affirmation.cast_vote(window, voter, "affirm")
    db.session.commit()


def test_staff_close_is_the_deadlines_close_recorded_as_an_override(app, people, pillar, make_user):
    rule(min_votes=3)
    voters = members(make_user, 3)
    early, early_window = open_affirmation(people, pillar)
    _vote(early_window, voters)
    before = _mail_of(early)

    staff = client_of(app, people["staff"])
    assert staff.post(f"/affirmation/{early.id}/close", data={"reason": " "}).status_code == 422
    forbidden = client_of(app, people["cochair"]).post(
        f"/affirmation/{early.id}/close", data={"reason": "Rehearsal"}
    )
    assert forbidden.status_code == 403
    db.session.expire_all()
    assert early_window.closed_at is None
    response = staff.post(f"/affirmation/{early.id}/close", data={"reason": "Staging rehearsal"})
    assert response.status_code == 302
    db.session.expire_all()

    # The same vote closed at its deadline, for comparison.
    timed, timed_window = open_affirmation(people, pillar)
    _vote(timed_window, voters)
    timed_before = _mail_of(timed)
    timed_window.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert affirmation_jobs.close_window(timed_window.id) is True
    db.session.expire_all()

    for study, window in ((early, early_window), (timed, timed_window)):
        assert study.state == S.affirmed and window.result == "affirmed"
        assert (window.affirm_count, window.object_count) == (3, 0)
    sent_early = [m for m in _mail_of(early) if m not in before]
    sent_timed = [m for m in _mail_of(timed) if m not in timed_before]
    assert sent_early == sent_timed and sent_early  # the same emails to the same people
    override = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.event == "affirmation_closed_early")
    )
    assert override.actor_id == people["staff"].id
    assert override.override_reason == "Staging rehearsal"
    assert (override.data["affirm"], override.data["object"]) == (3, 0)
    assert "3 affirm and 0 object" in override.comment
    closes = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.event == "close_affirmation")
    ).all()
    assert len(closes) == 2 and all(c.actor_id is None for c in closes)
    # Closed once: a second try is refused, and the deadline's job does nothing.
    again = staff.post(f"/affirmation/{early.id}/close", data={"reason": "Again"})
    assert again.status_code in (302, 409)
    assert affirmation_jobs.close_window(early_window.id) is False


def test_operators_close_a_vote_from_the_command_line(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["affirmation", "close", str(study.id)])
    assert refused.exit_code != 0 and "--reason" in refused.output
    result = runner.invoke(args=["affirmation", "close", str(study.id), "--reason", "Rehearsal"])
    assert result.exit_code == 0, result.output
    assert "Closed: returned (0 affirm, 0 object)" in result.output
    db.session.expire_all()
    assert study.state == S.in_review
    again = runner.invoke(args=["affirmation", "close", str(study.id), "--reason", "Again"])
    assert again.exit_code != 0 and "already closed" in again.output
    missing = runner.invoke(args=["affirmation", "close", "999999", "--reason", "x"])
    assert missing.exit_code != 0 and "no network vote" in missing.output


def test_a_vote_lasts_affirmation_window_when_it_is_set(app_factory, make_user, pillar):
    app = app_factory(AFFIRMATION_WINDOW=timedelta(minutes=15))
    with app.app_context():
        group = {
            "author": make_user("member"),
            "coauthor": make_user("partner"),
            "cochair": make_user("member", cochair_of=pillar),
        }
        _study, window = open_affirmation(group, pillar)
        assert window.closes_at - window.opened_at == timedelta(minutes=15)
