"""What delivery writes per message, and what a crash or a refusal mid-batch leaves (issue 12).

Each message costs one statement on the outcome connection: the row is marked handed just
before its DATA, and the message before it marked sent in that same UPDATE; the last one is
marked sent on its own. The bodies kept for staff are written for the whole batch in one
executemany, before the first DATA. A kill, or a connection lost, leaves exactly one row handed
and not sent — the only one sent again and flagged "possibly sent twice".
"""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from models import Notification
from models.base import db
from models.clock import utcnow
from models.enums import NotificationCategory, NotificationStatus
from review import notify
from review.infra import queue
from tests.test_notifications import _members, _open_window, _opened
from workers import delivery, fanout, mail

# Statements on the outcome connection per batch besides one per message: PostgreSQL sets
# synchronous_commit off and resets it; both engines mark the last message sent on its own.
PER_BATCH = {"postgresql": 3, "sqlite": 1}


class Killed(BaseException):
    """Stands for SIGKILL: no `except Exception` of the job catches it, nothing is recorded."""


def _rows(people) -> list[int]:
    """Write one email to each person, left pending for the test to send; return the ids."""
    rows = notify.notify(
        "password_reset",
        people,
        subject="Reset",
        event_key="outcomes",
        category=NotificationCategory.account,
        context={"path": "/auth/reset/x", "name": "N"},
    )
    db.session.info.pop(queue._PENDING, None)  # the test sends them itself
    db.session.commit()
    return sorted(r.id for r in rows)


class Statements:
    """Count what reaches the database while sending: on the outcome connection (autocommit),
    and the session's writes of the bodies."""

    def __init__(self):
        self.outcome: list[str] = []
        self.bodies: list[bool] = []  # one entry per statement writing bodies: executemany?

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            self.outcome.append(statement)
        elif statement.startswith("UPDATE notification") and "body_text" in statement:
            self.bodies.append(executemany)


@pytest.fixture
def statements():
    counter = Statements()
    event.listen(sa.engine.Engine, "before_cursor_execute", counter)
    yield counter
    event.remove(sa.engine.Engine, "before_cursor_execute", counter)


def _state(ids: list[int]) -> dict[int, Notification]:
    db.session.expire_all()
    return {
        r.id: r for r in db.session.scalars(sa.select(Notification).where(Notification.id.in_(ids)))
    }


def _handed(ids: list[int]) -> list[int]:
    return sorted(i for i, r in _state(ids).items() if r.handed_at is not None)


def _restart(ids: list[int]) -> int:
    """What the sweep does once the dead job's lease ran out: hand the rows to a new job."""
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(ids))
        .values(lease_until=utcnow() - timedelta(seconds=1), next_attempt_at=None)
    )
    db.session.commit()
    return mail.send_batch(ids)


def _received(smtp) -> Counter:
    with smtp.lock:
        return Counter(m["Message-ID"] for m in smtp.messages)


@pytest.mark.parametrize("n", [1, 7])
def test_each_message_costs_one_outcome_statement(app, smtp, make_user, statements, n):
    ids = _rows([make_user() for _ in range(n)])
    assert mail.send_batch(ids) == n
    assert len(statements.outcome) == n + PER_BATCH[db.engine.dialect.name], statements.outcome
    # One statement for every body (an executemany, or a plain execute for a single row).
    assert statements.bodies == [n > 1]
    rows = _state(ids)
    assert {r.status for r in rows.values()} == {NotificationStatus.sent}
    assert all(r.handed_at is None and r.lease_until is None for r in rows.values())
    assert all(r.transport == "smtp" and r.sent_at and r.body_text for r in rows.values())
    assert sorted(_received(smtp)) == sorted(r.message_id for r in rows.values())


def test_a_fan_out_costs_one_statement_per_message_and_a_few_per_batch(
    app, smtp, make_user, statements, pillar
):
    author = make_user()
    _members(12)
    app.config["FANOUT_BATCH"] = 5
    voters, _partners = _opened(_open_window(author, pillar))
    assert fanout.run_broadcast(voters.id) == 12
    batches = 3  # 5 + 5 + 2
    assert len(statements.outcome) == 12 + batches * PER_BATCH[db.engine.dialect.name]
    assert statements.bodies == [True] * batches


def test_stored_mail_is_marked_sent_with_its_bodies_in_one_commit(
    app_factory, smtp, make_user, statements
):
    stored = app_factory(MAIL_TRANSPORT="store", MAIL_SERVER=None)
    with stored.app_context():
        ids = _rows([make_user() for _ in range(4)])
        statements.outcome.clear()
        assert mail.send_batch(ids) == 4
        assert statements.outcome == []  # nothing on the outcome connection
        assert statements.bodies == [True]
        rows = _state(ids)
        assert {(r.status, r.transport) for r in rows.values()} == {
            (NotificationStatus.sent, "store")
        }
        assert all(r.body_text and r.body_html and r.lease_until is None for r in rows.values())
    assert smtp.messages == []


@pytest.mark.parametrize("where", ["after the reply", "before DATA"])
def test_a_worker_dying_mid_batch_leaves_exactly_one_row_handed(
    app, smtp, make_user, monkeypatch, where
):
    """Killed right after the server took message 4 (it is not yet marked sent), or right
    after message 5 was marked handed (it never reached DATA): one row is caught either way,
    and it is the only one flagged when the batch is resumed.

    (Not named for the kill: `-k "fanout and (kill or redis or flush)"` runs the real drills
    of tests/test_fanout_drills.py alone.)"""
    ids = _rows([make_user() for _ in range(8)])
    victim = ids[4]
    real = delivery.Marks.hand

    def hand(self, nid):
        if nid == victim and where == "after the reply":
            raise Killed
        real(self, nid)
        if nid == victim:
            raise Killed

    monkeypatch.setattr(delivery.Marks, "hand", hand)
    with pytest.raises(Killed):
        mail.send_batch(ids)
    monkeypatch.undo()
    db.session.rollback()
    caught, recorded = (ids[3], 3) if where == "after the reply" else (ids[4], 4)
    assert _handed(ids) == [caught]
    rows = _state(ids)
    assert [rows[i].status for i in ids] == [NotificationStatus.sent] * recorded + [
        NotificationStatus.pending
    ] * (8 - recorded)
    assert len(smtp.messages) == 4

    assert _restart(ids) == 8 - recorded
    rows = _state(ids)
    assert {r.status for r in rows.values()} == {NotificationStatus.sent}
    assert [i for i in ids if rows[i].is_ambiguous] == [caught]
    got = _received(smtp)
    assert set(got) == {r.message_id for r in rows.values()}
    twice = {mid for mid, count in got.items() if count > 1}
    assert twice == ({rows[caught].message_id} if where == "after the reply" else set())


def test_a_connection_lost_during_data_leaves_exactly_one_row_handed(app, smtp, make_user):
    people = [make_user() for _ in range(6)]
    ids = _rows(people)
    smtp.drop_after_data_to = {people[2].email}  # taken, but the reply never comes
    assert mail.send_batch(ids) == 2
    assert _handed(ids) == [ids[2]]
    rows = _state(ids)
    assert [rows[i].status for i in ids[:2]] == [NotificationStatus.sent] * 2
    assert all(rows[i].status == NotificationStatus.pending for i in ids[2:])
    assert all(rows[i].next_attempt_at and rows[i].last_error for i in ids[2:])
    smtp.drop_after_data_to = set()

    assert _restart(ids) == 4
    rows = _state(ids)
    assert {r.status for r in rows.values()} == {NotificationStatus.sent}
    assert [i for i in ids if rows[i].is_ambiguous] == [ids[2]]
    got = _received(smtp)
    assert {mid for mid, count in got.items() if count > 1} == {rows[ids[2]].message_id}
    assert set(got) == {r.message_id for r in rows.values()}


@pytest.mark.parametrize(
    ("stage", "reply", "status"),
    [
        ("rcpt", "550 5.1.1 No such mailbox", NotificationStatus.failed),
        ("rcpt", "451 4.3.0 Try again later", NotificationStatus.pending),
        ("data", "554 5.7.1 Rejected", NotificationStatus.failed),
    ],
)
def test_a_recipient_refused_mid_batch_is_recorded_and_the_others_sent(
    app, smtp, make_user, statements, stage, reply, status
):
    people = [make_user() for _ in range(6)]
    ids = _rows(people)
    refused = people[3].email
    (smtp.refuse_rcpt_to if stage == "rcpt" else smtp.refuse_data_to)[refused] = reply
    assert mail.send_batch(ids) == 5
    rows = _state(ids)
    assert [rows[i].status for i in ids] == [NotificationStatus.sent] * 3 + [status] + [
        NotificationStatus.sent
    ] * 2
    bad = rows[ids[3]]
    assert reply[:3] in bad.last_error and bad.handed_at is None and bad.lease_until is None
    assert bad.sent_at is None and bad.attempts == 1
    assert (bad.next_attempt_at is not None) == (status == NotificationStatus.pending)
    assert all(r.handed_at is None for r in rows.values())
    assert not any(r.is_ambiguous for r in rows.values())
    assert {m["To"] for m in smtp.messages} == {p.email for p in people} - {refused}
    # One statement more for the refusal: the refused row's failure (refused at RCPT, it was
    # never marked handed, and the row before it is marked sent on its own instead).
    assert len(statements.outcome) == 6 + 1 + PER_BATCH[db.engine.dialect.name]
