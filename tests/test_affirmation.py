"""Network affirmation: who may vote, comment and see what; the rule at its boundaries; closing
once; extending; the 48-hour reminder; a vote racing the close; counting in SQL."""

import threading
from datetime import timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from models import AffirmationWindow, AuditEvent, Comment, FeedbackItem, Notification, User, Vote
from models.base import db
from models.clock import utcnow
from models.enums import NetworkPreference, NotificationStatus, StudyState, UserKind, VoteChoice
from models.setting import set_setting
from review import affirmation, notify, policy, reviews, workflow
from review.affirmation import jobs as affirmation_jobs
from tests.conftest import PASSWORD, wait_until
from tests.factories import complete_study
from workers import mail
from workers.sweep import sweep

S = StudyState


@pytest.fixture
def people(make_user, pillar):
    from models import Pillar

    other_pillar = db.session.scalar(sa.select(Pillar).where(Pillar.id != pillar.id).limit(1))
    return {
        "author": make_user("member"),
        "coauthor": make_user("partner"),
        "member": make_user("member"),
        "partner": make_user("partner"),
        "cochair": make_user("member", cochair_of=pillar),
        "other_cochair": make_user("member", cochair_of=other_pillar),
        "staff": make_user("staff"),
        "inactive": make_user("member", is_active=False),
        "visitor": AnonymousUserMixin(),
    }


def open_affirmation(people, pillar):
    """Bring a study to in_affirmation through the workflow; return it with its window."""
    study = complete_study(people["author"], pillar, coauthors=[people["coauthor"]])
    workflow.apply(study, "submit", people["author"])
    db.session.commit()
    workflow.apply(study, "review", people["cochair"], recommendation="approve", overall="Good.")
    db.session.commit()
    assert study.state == S.in_affirmation
    window = affirmation.latest_window(study)
    assert window is not None and window.closed_at is None
    return study, window


def rule(min_votes=10, threshold=2 / 3):
    set_setting("affirmation_min_votes", min_votes)
    set_setting("affirmation_threshold", threshold)
    db.session.commit()


def client_of(app, user):
    """Return a test client signed in as `user`, from an address of its own (sign-in is rate
    limited per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.5.{user.id // 250}.{user.id % 250 + 1}"
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, f"sign-in failed for {user.email}"
    return client


def members(make_user, n):
    return [make_user("member") for _ in range(n)]


# ---------------------------------------------------------------- eligibility

# role: (may vote, may comment, may reply, sees the open page, sees live totals)
ELIGIBILITY = {
    "author": (False, False, True, True, False),
    "coauthor": (False, False, True, True, False),
    "member": (True, True, True, True, False),
    "partner": (False, True, True, True, False),
    "cochair": (True, True, True, True, True),
    "other_cochair": (True, True, True, True, False),
    "staff": (False, False, False, True, True),
    "inactive": (False, False, False, False, False),
    "visitor": (False, False, False, False, False),
}


def test_eligibility_of_every_kind_of_person(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    for role, (vote, comment, reply, see, tally) in ELIGIBILITY.items():
        user = people[role]
        assert policy.may_vote(user, study) is vote, role
        assert policy.may_comment(user, study) is comment, role
        assert policy.may_reply(user, study) is reply, role
        if role != "inactive":  # inactive people cannot sign in at all
            assert policy.may_see_affirmation(user, study, window) is see, role
            assert policy.may_see_tally(user, study, window) is tally, role
        if vote:
            affirmation.cast_vote(window, user, "affirm")
        elif role != "visitor":
            with pytest.raises(affirmation.AffirmationError):
                affirmation.cast_vote(window, user, "affirm")
        if comment:
            affirmation.post_comment(window, user, f"A comment from {role}.")
        elif role not in ("visitor",):
            with pytest.raises(affirmation.AffirmationError):
                affirmation.post_comment(window, user, "Top-level comment.")
    db.session.commit()
    assert affirmation.tally(window) == affirmation.Tally(3, 0)
    first = affirmation.comments_of(window)[0][0]
    for role in ("author", "coauthor", "cochair"):
        affirmation.post_comment(window, people[role], f"Reply from {role}.", parent=first)
    with pytest.raises(affirmation.AffirmationError):
        affirmation.post_comment(window, people["staff"], "Staff reply.", parent=first)
    db.session.commit()
    assert len(affirmation.comments_of(window)[0][1]) == 3


def test_pages_answer_by_role_while_open_and_after_close(app, client, people, pillar):
    study, window = open_affirmation(people, pillar)
    path = f"/affirmation/{study.id}"
    assert client.get(path).status_code == 302  # a visitor is sent to sign in
    assert "/auth/login" in client.get(path).headers["Location"]
    clients = {
        r: client_of(app, people[r])
        for r in ("author", "coauthor", "member", "partner", "cochair", "other_cochair", "staff")
    }
    for role, c in clients.items():
        page = c.get(path)
        assert page.status_code == 200, role
        assert (b'id="tally"' in page.data) is ELIGIBILITY[role][4], role
        assert (b"/vote" in page.data) is ELIGIBILITY[role][0], role
        assert study.title.encode() in c.get("/affirmation/").data
    assert client.get("/affirmation/999999").status_code == 302
    assert clients["member"].get("/affirmation/999999").status_code == 404
    # The partner's vote is refused with a reason; their comment is taken.
    refused = clients["partner"].post(f"{path}/vote", data={"choice": "affirm"})
    assert refused.status_code == 403 and b"partners" in refused.data
    assert clients["partner"].post(f"{path}/comments", data={"body": "Useful."}).status_code == 302
    refused = clients["author"].post(f"{path}/comments", data={"body": "Top-level."})
    assert refused.status_code == 403

    rule(min_votes=1)
    affirmation.close(window)
    db.session.commit()
    for role, status in (
        ("member", 404),
        ("partner", 404),
        ("author", 200),
        ("cochair", 200),
        ("staff", 200),
    ):
        page = clients[role].get(path)
        assert page.status_code == status, role
        if role == "author":
            assert b'id="tally"' in page.data  # the authors see the totals once it closed


def test_vote_form_errors_name_the_field_and_keep_the_text(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    client = client_of(app, people["member"])
    page = client.post(f"/affirmation/{study.id}/vote", data={"choice": "object", "reason": "  "})
    assert page.status_code == 422
    assert b"Reason: say why you object." in page.data
    page = client.post(f"/affirmation/{study.id}/vote", data={"choice": "maybe"})
    assert page.status_code == 422 and b"Your vote:" in page.data
    ok = client.post(
        f"/affirmation/{study.id}/vote",
        data={"choice": "object", "reason": "No numbers in outcomes."},
    )
    assert ok.status_code == 302
    mine = affirmation.vote_of(window, people["member"])
    assert mine.choice == VoteChoice.object and mine.reason == "No numbers in outcomes."
    # Changed until the deadline; still one row.
    client.post(f"/affirmation/{study.id}/vote", data={"choice": "affirm", "reason": ""})
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 1
    assert affirmation.vote_of(window, people["member"]).choice == VoteChoice.affirm
    empty = client.post(f"/affirmation/{study.id}/comments", data={"body": ""})
    assert empty.status_code == 422 and b"Comment: write something first." in empty.data


def test_objection_needs_a_reason_and_votes_stop_at_the_deadline(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    with pytest.raises(affirmation.AffirmationError, match="Reason"):
        affirmation.cast_vote(window, people["member"], "object", "   ")
    with pytest.raises(affirmation.AffirmationError, match="affirm or object"):
        affirmation.cast_vote(window, people["member"], "abstain")
    affirmation.cast_vote(window, people["member"], "object", "Too thin.")
    db.session.commit()
    window.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(affirmation.AffirmationError, match="not recorded"):
        affirmation.cast_vote(window, people["cochair"], "affirm")
    db.session.rollback()
    with pytest.raises(affirmation.AffirmationError, match="closed"):
        affirmation.post_comment(window, people["partner"], "Late.")
    db.session.rollback()
    assert affirmation.tally(window) == affirmation.Tally(0, 1)


def test_unique_vote_per_member_per_window(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    db.session.add(
        Vote(window_id=window.id, user_id=people["member"].id, choice=VoteChoice.affirm, reason="")
    )
    db.session.commit()
    db.session.add(
        Vote(window_id=window.id, user_id=people["member"].id, choice=VoteChoice.affirm, reason="")
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


# ---------------------------------------------------------------- the rule

F = Fraction(2, 3)


@pytest.mark.parametrize(
    ("affirm", "object_", "expected"),
    [
        (10, 0, True),  # exactly the minimum
        (9, 0, False),  # just below the minimum
        (10, 5, True),  # exactly the threshold: 10/15 = 2/3
        (10, 6, False),  # just below the threshold: 10/16
        (20, 10, True),  # 2/3 again, larger
        (19, 10, False),  # 19/29 < 2/3
        (0, 0, False),
    ],
)
def test_rule_at_the_boundaries(affirm, object_, expected):
    counts = affirmation.Tally(affirm, object_)
    assert affirmation.affirmed_by(counts, 10, affirmation._fraction(2 / 3)) is expected
    assert affirmation.affirmed_by(counts, 10, F) is expected


def test_threshold_read_exactly():
    assert affirmation._fraction(2 / 3) == F
    assert affirmation._fraction("2/3") == F
    assert affirmation._fraction(0.75) == Fraction(3, 4)
    assert affirmation._fraction("0.6667") == Fraction(6667, 10000)


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        (["affirm"] * 3, "affirmed"),  # exactly the minimum (3)
        (["affirm"] * 2, "returned"),  # one below the minimum
        (["affirm"] * 4 + ["object"] * 2, "affirmed"),  # exactly 2/3
        (["affirm"] * 3 + ["object"] * 2, "returned"),  # 3/5 < 2/3
    ],
)
def test_close_applies_the_rule_from_the_settings(app, people, pillar, make_user, votes, expected):
    rule(min_votes=3, threshold=2 / 3)
    study, window = open_affirmation(people, pillar)
    for user, choice in zip(members(make_user, len(votes)), votes, strict=True):
        affirmation.cast_vote(window, user, choice, "Not yet." if choice == "object" else "")
    db.session.commit()
    assert affirmation.close(window) is True
    db.session.commit()
    assert window.result == expected
    assert study.state == (S.affirmed if expected == "affirmed" else S.in_review)
    assert (window.affirm_count, window.object_count) == (
        votes.count("affirm"),
        votes.count("object"),
    )


def test_a_changed_vote_counts_once(app, people, pillar, make_user):
    rule(min_votes=2, threshold=2 / 3)
    study, window = open_affirmation(people, pillar)
    a, b = members(make_user, 2)
    affirmation.cast_vote(window, a, "object", "Unclear.")
    affirmation.cast_vote(window, b, "affirm")
    db.session.commit()
    assert affirmation.tally(window) == affirmation.Tally(1, 1)
    assert affirmation.decide(window) is False
    affirmation.cast_vote(window, a, "affirm")
    db.session.commit()
    assert affirmation.tally(window) == affirmation.Tally(2, 0)
    assert affirmation.decide(window) is True
    affirmation.close(window)
    db.session.commit()
    assert study.state == S.affirmed and (window.affirm_count, window.object_count) == (2, 0)


# ---------------------------------------------------------------- closing


def test_closing_twice_does_nothing_the_second_time(app, people, pillar, smtp):
    rule(min_votes=1)
    study, window = open_affirmation(people, pillar)
    affirmation.cast_vote(window, people["member"], "affirm")
    db.session.commit()
    assert affirmation.close(window) is True
    db.session.commit()
    sent = len(smtp.messages)
    assert affirmation.close(window) is False
    db.session.commit()
    assert affirmation_jobs.close_window(window.id) is False
    assert sweep()["close_due_windows"] == 0
    closes = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.event == "close_affirmation")
    ).all()
    assert len(closes) == 1
    assert closes[0].data["affirm_count"] == 1 and closes[0].data["affirmed"] is True
    assert "Tally: 1 affirm, 0 object" in closes[0].comment
    assert study.state == S.affirmed and len(smtp.messages) == sent


def test_returned_study_carries_objections_and_comments(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    affirmation.cast_vote(window, people["member"], "object", "The outcomes have no numbers.")
    affirmation.post_comment(window, people["partner"], "Name the union that led it.")
    first = affirmation.comments_of(window)[0][0]
    affirmation.post_comment(window, people["author"], "It was SEIU 500.", parent=first)
    db.session.commit()
    affirmation.close(window)
    db.session.commit()
    assert study.state == S.in_review and study.current_round == 2
    rnd = reviews.current_round(study)
    items = db.session.scalars(
        sa.select(FeedbackItem).where(FeedbackItem.round_id == rnd.id).order_by(FeedbackItem.id)
    ).all()
    bodies = [it.body for it in items]
    assert bodies[0] == "The outcomes have no numbers."
    assert "Name the union that led it." in bodies[1]
    assert not any("SEIU" in b for b in bodies)  # the authors' replies are not feedback
    assert window.result == "returned" and window.object_count == 1


def test_sweep_closes_a_window_whose_deadline_passed(app, people, pillar):
    rule(min_votes=1)
    study, window = open_affirmation(people, pillar)
    affirmation.cast_vote(window, people["member"], "affirm")
    db.session.commit()
    assert sweep()["close_due_windows"] == 0  # not due yet
    window.closes_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sweep()["close_due_windows"] == 1
    db.session.expire_all()
    assert study.state == S.affirmed
    assert sweep()["close_due_windows"] == 0


def test_close_job_waits_for_an_extended_deadline(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    window.closes_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    assert affirmation_jobs.close_window(window.id) is False
    assert window.closed_at is None


# ---------------------------------------------------------------- extending


def test_staff_extend_later_only_with_a_reason_recorded(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    old = window.closes_at
    later = old + timedelta(days=3)
    with pytest.raises(affirmation.AffirmationError, match="Only staff"):
        affirmation.extend(window, people["cochair"], later, "More time.")
    with pytest.raises(affirmation.AffirmationError, match="Reason"):
        affirmation.extend(window, people["staff"], later, " ")
    with pytest.raises(affirmation.AffirmationError, match="never shortened"):
        affirmation.extend(window, people["staff"], old - timedelta(hours=1), "Shorter.")
    db.session.rollback()
    window.reminder_sent_at = utcnow()
    db.session.commit()
    affirmation.extend(window, people["staff"], later, "Summer recess.")
    db.session.commit()
    assert window.closes_at == later and window.reminder_sent_at is None
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.event == "affirmation_extended")
    )
    assert event.actor_id == people["staff"].id and event.override_reason == "Summer recess."
    assert event.data["to"] == later.isoformat()

    forbidden = client_of(app, people["cochair"]).post(
        f"/affirmation/{study.id}/extend", data={"closes_at": "2099-01-01T12:00", "reason": "x"}
    )
    assert forbidden.status_code == 403
    client = client_of(app, people["staff"])
    earlier = client.post(
        f"/affirmation/{study.id}/extend", data={"closes_at": "2001-01-01T12:00", "reason": "Oops"}
    )
    assert earlier.status_code == 409 and b"never shortened" in earlier.data
    missing = client.post(f"/affirmation/{study.id}/extend", data={"closes_at": "soon"})
    assert missing.status_code == 422 and b"Reason:" in missing.data
    ok = client.post(
        f"/affirmation/{study.id}/extend",
        data={"closes_at": "2099-01-01T12:00", "reason": "Holidays"},
    )
    assert ok.status_code == 302
    db.session.expire_all()
    assert window.closes_at.year == 2099


# ---------------------------------------------------------------- the 48-hour reminder


def test_reminder_goes_to_members_who_have_not_voted(app, people, pillar, make_user, smtp):
    study, window = open_affirmation(people, pillar)
    quiet = make_user("member")
    affirmation.cast_vote(window, people["member"], "affirm")
    window.closes_at = utcnow() + timedelta(hours=47)
    db.session.commit()
    smtp.clear()
    assert sweep()["remind_closing_windows"] == 1
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "affirmation_closing")
    ).all()
    told = {r.recipient_id for r in rows}
    # Eligible non-voters only: not the voter, the authors, partners or staff.
    assert quiet.id in told and people["cochair"].id in told
    assert told.isdisjoint(
        {people[r].id for r in ("member", "author", "coauthor", "partner", "staff", "inactive")}
    )
    assert smtp.to(quiet.email) and "48 hours" in smtp.to(quiet.email)[0]["Subject"]
    assert sweep()["remind_closing_windows"] == 0  # once per deadline


def test_reminder_not_sent_if_the_member_voted_meanwhile(app, people, pillar, make_user):
    study, window = open_affirmation(people, pillar)
    late, closed = make_user("member"), make_user("member")
    ids = notify.write_batch(
        "affirmation_closing",
        [(u.id, u.email, NetworkPreference.immediate) for u in (late, closed)],
        subject="Closing",
        event_key=f"{window.id}:x",
        context={
            "window_id": window.id,
            "title": study.title,
            "pillar": "P",
            "closes_at": window.closes_at.isoformat(),
            "path": "/",
        },
    )
    affirmation.cast_vote(window, late, "affirm")
    db.session.commit()
    assert mail.send_batch(ids[:1]) == 0
    assert db.session.get(Notification, ids[0]).status == NotificationStatus.skipped
    rule(min_votes=1)
    affirmation.close(window)
    db.session.commit()
    assert mail.send_batch(ids[1:]) == 0  # the window closed
    assert db.session.get(Notification, ids[1]).status == NotificationStatus.skipped


# ---------------------------------------------------------------- a vote racing the close


def _in_thread(app, fn):
    """Run fn() in its own app context (its own session and connection); return the thread."""
    out = {}

    def run():
        with app.app_context():
            try:
                out["value"] = fn()
                db.session.commit()
            except Exception as exc:  # reported to the test, which asserts on it
                db.session.rollback()
                out["error"] = exc
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _waits_for_the_lock(thread) -> bool:
    """Say whether the thread is blocked on the lock this test's transaction holds.

    PostgreSQL shows the waiter in pg_stat_activity, so the test waits until it is there;
    SQLite's busy handler waits inside the call and shows nothing, so there the thread gets half
    a second.
    """
    if db.engine.dialect.name == "postgresql":
        waiting = sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        wait_until(lambda: db.session.execute(waiting).scalar())
    else:
        thread.join(0.5)
    return thread.is_alive()


def test_vote_holding_the_lock_is_counted_by_the_close(app, people, pillar):
    rule(min_votes=1)
    study, window = open_affirmation(people, pillar)
    window_id = window.id
    affirmation.cast_vote(window, people["member"], "affirm")  # flushed, lock held
    thread, out = _in_thread(
        app, lambda: affirmation.close(db.session.get(AffirmationWindow, window_id))
    )
    assert _waits_for_the_lock(thread)  # the close waits for the vote's transaction
    db.session.commit()
    thread.join(30)
    assert out == {"value": True}
    db.session.expire_all()
    window = db.session.get(AffirmationWindow, window_id)
    assert window.affirm_count == 1 and window.result == "affirmed"


def test_vote_arriving_during_the_close_is_refused_not_lost(app, people, pillar):
    rule(min_votes=1)
    study, window = open_affirmation(people, pillar)
    window_id, member_id = window.id, people["member"].id
    affirmation.close(window)  # flushed, lock held, not committed
    thread, out = _in_thread(
        app,
        lambda: affirmation.cast_vote(
            db.session.get(AffirmationWindow, window_id), db.session.get(User, member_id), "affirm"
        ),
    )
    assert _waits_for_the_lock(thread)  # the vote waits for the close
    db.session.commit()
    thread.join(30)
    assert isinstance(out.get("error"), affirmation.AffirmationError)
    assert "not recorded" in out["error"].message
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 0
    assert db.session.get(AffirmationWindow, window_id).affirm_count == 0


def test_racing_votes_and_close_agree_with_the_recorded_tally(app, people, pillar, make_user):
    rule(min_votes=1)
    study, window = open_affirmation(people, pillar)
    voters = [u.id for u in members(make_user, 6)]
    window_id = window.id
    start = threading.Barrier(len(voters) + 1)

    def voter(uid):
        def run():
            start.wait()
            return affirmation.cast_vote(
                db.session.get(AffirmationWindow, window_id), db.session.get(User, uid), "affirm"
            ).id

        return run

    def closer():
        start.wait()
        return affirmation.close(db.session.get(AffirmationWindow, window_id))

    threads = [_in_thread(app, voter(uid)) for uid in voters] + [_in_thread(app, closer)]
    for thread, _ in threads:
        thread.join(60)
    outcomes = [out for _, out in threads[:-1]]
    assert threads[-1][1] == {"value": True}
    for out in outcomes:  # each vote was either recorded or refused with the message
        assert "value" in out or isinstance(out["error"], affirmation.AffirmationError), out
    db.session.expire_all()
    window = db.session.get(AffirmationWindow, window_id)
    recorded = db.session.scalar(sa.select(sa.func.count(Vote.id)))
    accepted = sum("value" in out for out in outcomes)
    assert recorded == accepted == window.affirm_count


# ---------------------------------------------------------------- counting in SQL


def _statements(app, client, path) -> int:
    engine = db.engine
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement.split("\n")[0][:90])

    db.session.remove()  # a fresh session, as each real request has: nothing cached
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return seen


def test_page_statements_do_not_grow_with_votes(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    client = client_of(app, people["cochair"])
    affirmation.cast_vote(window, people["member"], "affirm")
    db.session.commit()
    path, window_id = f"/affirmation/{study.id}", window.id
    _statements(app, client, path)  # the first visit may write the session's bookkeeping
    few = _statements(app, client, path)
    now = utcnow()
    db.session.execute(
        sa.insert(User),
        [
            dict(
                email=f"voter{i}@example.org",
                name=f"Voter {i}",
                kind=UserKind.member,
                is_active=True,
                created_at=now,
            )
            for i in range(3000)
        ],
    )
    ids = db.session.scalars(sa.select(User.id).where(User.email.like("voter%"))).all()
    db.session.execute(
        sa.insert(Vote),
        [
            dict(
                window_id=window_id,
                user_id=uid,
                choice=VoteChoice.object if i % 4 == 0 else VoteChoice.affirm,
                reason="No." if i % 4 == 0 else "",
                created_at=now,
                updated_at=now,
            )
            for i, uid in enumerate(ids)
        ],
    )
    db.session.commit()
    many = _statements(app, client, path)
    assert len(many) == len(few), (few, many)
    page = client.get(path)
    assert (
        b"<strong>2251</strong> affirm" in page.data and b"<strong>750</strong> object" in page.data
    )


def test_comments_listed_with_replies(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    top = affirmation.post_comment(window, people["member"], "**Great** work.")
    reply = affirmation.post_comment(window, people["cochair"], "Agreed.", parent=top)
    affirmation.post_comment(window, people["author"], "Thanks!", parent=reply)  # flattened
    db.session.commit()
    [(c, replies)] = affirmation.comments_of(window)
    assert c.id == top.id and "<strong>Great</strong>" in c.body_html
    assert [r.body_md for r in replies] == ["Agreed.", "Thanks!"]
    assert all(r.parent_id == top.id for r in replies)
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 3


def test_reply_errors_stay_by_the_reply_and_foreign_parents_are_unknown(app, people, pillar):
    study, window = open_affirmation(people, pillar)
    top = affirmation.post_comment(window, people["partner"], "Who funded the lawyers?")
    db.session.commit()
    client = client_of(app, people["author"])
    path = f"/affirmation/{study.id}/comments"
    empty = client.post(path, data={"parent_id": str(top.id), "body": " "})
    assert empty.status_code == 422 and b"Your reply: write something first." in empty.data
    assert client.post(path, data={"parent_id": "999999", "body": "Hi"}).status_code == 404
    ok = client.post(path, data={"parent_id": str(top.id), "body": "The county did."})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"#c{top.id + 1}")
    staff = client_of(app, people["staff"])
    assert staff.post(path, data={"parent_id": str(top.id), "body": "x"}).status_code == 403
