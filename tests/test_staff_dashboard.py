"""The staff dashboard: every figure against a data set built by hand, and a constant number of
SQL statements whatever the number of studies."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import (
    AffirmationWindow,
    AuditEvent,
    CaseStudy,
    CochairAssignment,
    Conflict,
    Notification,
    Pillar,
    Review,
    Round,
    StudyAuthor,
    Vote,
    moving_state,
)
from models.base import db
from models.clock import utcnow
from models.enums import (
    NotificationCategory,
    NotificationStatus,
    Recommendation,
    StudyState,
    UserKind,
    VoteChoice,
)
from review import staff
from review.workflow import stays
from tests.conftest import PASSWORD, wait_until

S = StudyState
DAY = timedelta(days=1)


def _study(author, pillar, state, created_at, **fields) -> CaseStudy:
    with moving_state("tests"):
        study = CaseStudy(
            title=fields.pop("title", f"{state.value} study"),
            pillar_id=pillar.id,
            state=state,
            created_by_id=author.id,
            created_at=created_at,
            state_changed_at=created_at,
            **fields,
        )
    study.authors.append(StudyAuthor(user_id=author.id, position=0, is_submitter=True))
    db.session.add(study)
    db.session.flush()
    return study


def _move(study, at, from_state, to_state, event="transition"):
    db.session.add(
        AuditEvent(
            study_id=study.id,
            event=event,
            from_state=from_state.value,
            to_state=to_state.value,
            created_at=at,
        )
    )


def _round(study, number, opened_at, due_at, decided=False):
    rnd = Round(study_id=study.id, number=number, opened_at=opened_at, due_at=due_at)
    if decided:
        rnd.decided_at = due_at
        rnd.decision = Recommendation.request_changes
    db.session.add(rnd)
    db.session.flush()
    return rnd


def _notification(n, status, created_at):
    db.session.add(
        Notification(
            dedupe_key=f"test:{n}",
            email=f"n{n}@example.org",
            kind="password_reset",
            category=NotificationCategory.account,
            status=status,
            created_at=created_at,
            message_id=f"<{n}@test>",
            subject=f"Subject {n}",
            sent_at=created_at if status == NotificationStatus.sent else None,
            last_error="550 no such user" if status == NotificationStatus.failed else None,
        )
    )


@pytest.fixture
def hand_built(app, make_user):
    """The data set whose every figure is worked out by hand in the tests below."""
    now = utcnow()
    p1, p2 = db.session.scalars(sa.select(Pillar).order_by(Pillar.position).limit(2)).all()
    author = make_user()
    waiting = make_user(name="Xavier Waiting", cochair_of=p1)
    reviewed = make_user(name="Yolanda Reviewed", cochair_of=p1)
    conflicted = make_user(name="Walter Conflicted", cochair_of=p1)
    gone = make_user(name="Victor Gone", cochair_of=p1, is_active=False)
    co_author = make_user(name="Zoe Author", cochair_of=p1)
    # The other pillars get a co-chair so that only p2 is flagged as uncovered.
    for p in db.session.scalars(sa.select(Pillar).where(Pillar.id.not_in([p1.id, p2.id]))):
        make_user(cochair_of=p)

    # p1: A submitted (resubmitted), C in review (overdue), two drafts.
    a = _study(author, p1, S.submitted, now - 33 * DAY, current_round=2)
    _move(a, now - 20 * DAY, S.draft, S.submitted)  # draft 13 days
    _move(a, now - 15 * DAY, S.submitted, S.in_review)  # submitted 5
    _move(a, now - 10 * DAY, S.in_review, S.changes_requested)  # in review 5
    _move(a, now - 4 * DAY, S.changes_requested, S.submitted)  # changes requested 6
    _round(a, 1, now - 20 * DAY, now - 6 * DAY, decided=True)  # past due but decided
    _round(a, 2, now - 4 * DAY, now + 10 * DAY)  # open, not yet due

    c = _study(author, p1, S.in_review, now - 200 * DAY, title="Overdue in p1", current_round=1)
    c.authors.append(StudyAuthor(user_id=co_author.id, position=1))
    _move(c, now - 150 * DAY, S.draft, S.submitted)  # older than 90 days: not counted
    _move(c, now - 100 * DAY, S.submitted, S.in_review)  # older than 90 days: not counted
    rc = _round(c, 1, now - 100 * DAY, now - 86 * DAY)
    db.session.add(
        Review(round_id=rc.id, reviewer_id=reviewed.id, recommendation=Recommendation.approve)
    )
    db.session.add(Conflict(study_id=c.id, user_id=conflicted.id, reason="My town"))
    _study(author, p1, S.draft, now - 2 * DAY)
    _study(author, p1, S.draft, now - DAY)

    # p2: B declined, D submitted (overdue, no co-chair), E and F in affirmation, G published.
    b = _study(author, p2, S.declined, now - 50 * DAY, current_round=1)
    _move(b, now - 40 * DAY, S.draft, S.submitted)  # draft 10
    _move(b, now - 38 * DAY, S.submitted, S.in_review)  # submitted 2
    _move(b, now - 37 * DAY, S.in_review, S.in_review, event="review")  # not a move
    _move(b, now - 30 * DAY, S.in_review, S.declined)  # in review 8
    d = _study(author, p2, S.submitted, now - 20 * DAY, title="Overdue in p2", current_round=1)
    _move(d, now - 19 * DAY, S.draft, S.submitted)  # draft 1
    _round(d, 1, now - 19 * DAY, now - 5 * DAY)
    e = _study(author, p2, S.in_affirmation, now - 40 * DAY, title="Closing soon", current_round=1)
    f = _study(author, p2, S.in_affirmation, now - 40 * DAY, title="Closing later", current_round=1)
    _study(author, p2, S.published, now - 60 * DAY, published_at=now - DAY, slug="g-published")
    we = AffirmationWindow(
        study_id=e.id, round_number=1, opened_at=now - 12 * DAY, closes_at=now + 2 * DAY
    )
    wf = AffirmationWindow(
        study_id=f.id, round_number=1, opened_at=now - DAY, closes_at=now + 20 * DAY
    )
    db.session.add_all([we, wf])
    db.session.flush()
    voters = [make_user() for _ in range(4)]
    for i, voter in enumerate(voters):
        choice = VoteChoice.object if i == 3 else VoteChoice.affirm
        db.session.add(
            Vote(
                window_id=we.id,
                user_id=voter.id,
                choice=choice,
                reason="Not yet" if choice == VoteChoice.object else "",
            )
        )

    _notification(1, NotificationStatus.pending, now - timedelta(hours=3))
    _notification(2, NotificationStatus.pending, now - timedelta(hours=1))
    _notification(3, NotificationStatus.failed, now - timedelta(hours=2))
    _notification(4, NotificationStatus.sent, now - timedelta(minutes=1))
    _notification(5, NotificationStatus.sent, now - 2 * DAY)  # not in the last day's count
    stays.rebuild()  # the stays the workflow would have counted at the moves written above
    db.session.commit()
    return {
        "now": now,
        "p1": p1,
        "p2": p2,
        "a": a,
        "c": c,
        "d": d,
        "e": e,
        "f": f,
        "waiting": waiting,
        "we": we,
        "gone": gone,
    }


def test_counts_per_pillar_and_state(hand_built):
    h = hand_built
    board = staff.dashboard(h["now"])
    p1, p2 = h["p1"].id, h["p2"].id
    assert board.counts == {
        (p1, S.submitted): 1,
        (p1, S.in_review): 1,
        (p1, S.draft): 2,
        (p2, S.declined): 1,
        (p2, S.submitted): 1,
        (p2, S.in_affirmation): 2,
        (p2, S.published): 1,
    }
    assert board.state_totals[S.submitted] == 2
    bars = {bar.pillar.id: bar for bar in board.chart.bars}
    assert bars[p1].total == 4 and bars[p2].total == 5
    assert [s.state for s in bars[p1].segments] == [S.draft, S.submitted, S.in_review]
    # The longest bar fills the span; the other is scaled to it.
    span = board.chart.width - board.chart.label_width - 50
    assert sum(s.width for s in bars[p2].segments) == pytest.approx(span, abs=0.05)
    assert sum(s.width for s in bars[p1].segments) == pytest.approx(span * 4 / 5, abs=0.05)


def test_median_days_in_each_state(hand_built):
    medians = staff.dashboard(hand_built["now"]).medians
    assert medians == {
        S.draft: (10.0, 3),  # 13, 10 and 1 days
        S.submitted: (3.5, 2),  # 5 and 2
        S.in_review: (6.5, 2),  # 5 and 8; the review event inside the stay is not a move
        S.changes_requested: (6.0, 1),
    }


def test_overdue_reviews_name_the_cochairs_concerned(hand_built):
    h = hand_built
    board = staff.dashboard(h["now"])
    assert board.overdue_total == 2
    first, second = board.overdue
    assert (first.study_id, first.round_number) == (h["c"].id, 1)
    # Reviewed, conflicted, author and deactivated co-chairs are not waited for.
    assert [u.name for u in first.cochairs] == ["Xavier Waiting"]
    assert second.study_id == h["d"].id and second.cochairs == []
    assert first.days_overdue == 86


def test_closing_affirmations_notifications_and_flags(hand_built):
    h = hand_built
    board = staff.dashboard(h["now"])
    [closing] = board.closing
    assert (closing.study_id, closing.affirm, closing.object) == (h["e"].id, 3, 1)
    assert closing.passing is False  # 3 affirm votes is under the default minimum of 10
    pending, oldest = board.notifications[NotificationStatus.pending]
    assert pending == 2
    assert oldest == pytest.approx(h["now"] - timedelta(hours=3), abs=timedelta(seconds=1))
    assert board.notifications[NotificationStatus.failed][0] == 1
    # Sent: the rows of the last 24 hours, so the outbox's history is not counted each time.
    assert board.notifications[NotificationStatus.sent][0] == 1
    assert [n.email for n in board.failed] == ["n3@example.org"]
    assert [p.id for p in board.uncovered] == [h["p2"].id]
    assert board.queue.mode == "embedded"


def test_dashboard_page_shows_the_same_numbers(hand_built, make_user, login_as, client):
    h = hand_built
    login_as(make_user(UserKind.staff))
    html = client.get("/staff/").get_data(as_text=True)
    assert "<svg" in html and "style=" not in html.split("<main", 1)[1]
    assert 'data-state-total="submitted">2<' in html
    assert 'data-state="draft"><th scope="row">Draft</th><td class="median">10.0<' in html
    assert "Xavier Waiting" in html and "Remind now" in html
    assert 'id="pending-count"><a href="/staff/notifications?status=pending">2<' in html
    assert f'data-window="{h["we"].id}"' in html and f'data-window="{h["f"].id}"' not in html


def test_remind_now_emails_the_waiting_cochairs(hand_built, make_user, login_as, client, smtp):
    h = hand_built
    login_as(make_user(UserKind.staff))
    rnd = db.session.scalar(sa.select(Round).where(Round.study_id == h["c"].id))
    response = client.post(f"/staff/rounds/{rnd.id}/remind", data={"next": "/staff/"})
    assert response.status_code == 302
    [message] = smtp.wait_for(1)
    assert h["waiting"].email in message["To"]
    assert "Overdue in p1" in message["Subject"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.event == "reviewers_reminded"))
    assert event.study_id == h["c"].id and event.data["user_ids"] == [h["waiting"].id]
    # Pressed again: a new reminder, not swallowed as a duplicate.
    client.post(f"/staff/rounds/{rnd.id}/remind")
    smtp.wait_for(2)


# ---------------------------------------------------------------- constant statements


def _bulk(pillars, author_id: int, start: int, count: int) -> None:
    """Insert `count` studies in every state, each with a round, an audit move and an email."""
    now = utcnow()
    states = list(StudyState)
    rows = []
    for i in range(start, start + count):
        state = states[i % len(states)]
        rows.append(
            dict(
                title=f"Bulk {i}",
                pillar_id=pillars[i % len(pillars)].id,
                state=state,
                created_by_id=author_id,
                created_at=now - 30 * DAY,
                state_changed_at=now - DAY,
                updated_at=now,
                version=1,
                current_round=1,
                published_at=now if state == S.published else None,
                slug=f"bulk-{i}" if state == S.published else None,
            )
        )
    db.session.execute(sa.insert(CaseStudy), rows)
    ids = db.session.scalars(
        sa.select(CaseStudy.id).where(CaseStudy.title.in_([r["title"] for r in rows]))
    ).all()
    db.session.execute(
        sa.insert(Round),
        [
            dict(study_id=sid, number=1, opened_at=now - 20 * DAY, due_at=now - 6 * DAY)
            for sid in ids
        ],
    )
    db.session.execute(
        sa.insert(AuditEvent),
        [
            dict(
                study_id=sid,
                event="submit",
                from_state="draft",
                to_state="submitted",
                created_at=now - 20 * DAY,
                comment="",
            )
            for sid in ids
        ],
    )
    db.session.execute(
        sa.insert(AffirmationWindow),
        [
            dict(study_id=sid, round_number=1, opened_at=now - DAY, closes_at=now + DAY)
            for sid in ids[::9]
        ],
    )
    db.session.execute(
        sa.insert(Notification),
        [
            dict(
                dedupe_key=f"bulk:{sid}",
                email=f"b{sid}@example.org",
                kind="password_reset",
                category=NotificationCategory.account,
                message_id=f"<b{sid}@t>",
                context={},
                status=NotificationStatus.failed if sid % 2 else NotificationStatus.pending,
                created_at=now,
                attempts=1,
                is_digest=False,
                is_ambiguous=False,
            )
            for sid in ids
        ],
    )
    db.session.commit()


def _statements(client) -> int:
    count = {"n": 0}

    def counter(*args):
        count["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = client.get("/staff/")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    return count["n"]


def test_dashboard_statements_do_not_grow_with_the_data(app, make_user, login_as, client):
    pillars = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    author = make_user()
    for p in pillars:
        for _ in range(3):
            make_user(cochair_of=p)
    login_as(make_user(UserKind.staff))
    _bulk(pillars, author.id, 0, 10)
    at_ten = _statements(client)
    _bulk(pillars, author.id, 10, 9_990)
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 10_000
    at_ten_thousand = _statements(client)
    assert at_ten == at_ten_thousand, (at_ten, at_ten_thousand)
    assert at_ten <= 20, at_ten
    assert db.session.scalar(sa.select(sa.func.count(CochairAssignment.id))) == 15


# ---------------------------------------------------------------- queue health, for real


def test_queue_health_on_the_real_redis_and_worker(make_user, rq_app, worker, redis_server):
    boss = make_user(UserKind.staff)
    client = rq_app.test_client()
    client.post("/auth/login", data={"email": boss.email, "password": PASSWORD})
    # The worker registers and beats.
    wait_until(lambda: staff.queue_health(utcnow()).workers == 1, timeout=20)
    health = staff.queue_health(utcnow())
    assert health.reachable and set(health.depths) == {"mail", "default"}
    html = client.get("/staff/").get_data(as_text=True)
    assert 'id="redis-status" class="ok">reachable' in html
    assert 'id="workers" class="ok">1' in html
    # Redis down: the dashboard still answers and says so.
    redis_server.stop()
    try:
        response = client.get("/staff/")
        assert response.status_code == 200
        assert "unreachable" in response.get_data(as_text=True)
    finally:
        redis_server.start()
