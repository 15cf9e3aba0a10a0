"""The stays in each state: counted by apply() at every move, read by the staff dashboard.

A stay runs from a study's entry into a state (the move into it, or the study's creation for
its first draft) to the move out of it. Each ended stay adds one to its row of `stay_count`
(state, the UTC day it ended, its length in tenths of a day: the precision the dashboard
shows), in the transaction of the move, with one upsert. The median of the last 90 days is
then read from a few hundred rows instead of ranking every stay of the audit log.

`recount()` computes the same histogram from the audit log (migration 0013 filled the table
so; the bench's bulk-written world and the tests that write audit events by hand rebuild it
with `rebuild()`).
"""

from collections import Counter
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models import AuditEvent, CaseStudy, StayCount
from models.base import db
from models.enums import StudyState

TENTH = timedelta(days=1) / 10


def bucket(entered_at: datetime, left_at: datetime) -> tuple[date, int]:
    """Return the stay's (UTC day it ended, length in tenths of a day, rounded)."""
    return left_at.date(), max(0, round((left_at - entered_at) / TENTH))


def record(state: StudyState, entered_at: datetime, left_at: datetime) -> None:
    """Count one stay in `state` that just ended: one statement, in the caller's transaction."""
    left_on, tenths = bucket(entered_at, left_at)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = StayCount.__table__
    stmt = insert(table).values(left_on=left_on, state=state, tenths=tenths, stays=1)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["left_on", "state", "tenths"],
            set_={"stays": table.c.stays + 1},
        )
    )


def recount() -> Counter:
    """Return {(day, state, tenths): stays} computed from the audit log's moves."""
    ev = AuditEvent
    rows = db.session.execute(
        sa.select(ev.study_id, ev.from_state, ev.created_at, CaseStudy.created_at)
        .join(CaseStudy, CaseStudy.id == ev.study_id)
        .where(
            ev.from_state.is_not(None),
            ev.to_state.is_not(None),
            ev.from_state != ev.to_state,
        )
        .order_by(ev.study_id, ev.created_at, ev.id)
    )
    counts: Counter = Counter()
    study, entered = None, None
    for study_id, state, left_at, created_at in rows:
        if study_id != study:
            study, entered = study_id, created_at
        left_on, tenths = bucket(entered, left_at)
        counts[(left_on, StudyState(state), tenths)] += 1
        entered = left_at
    return counts


def rebuild() -> None:
    """Replace the histogram with the audit log's recount; flush only."""
    db.session.execute(sa.delete(StayCount))
    rows = [
        {"left_on": day, "state": state, "tenths": tenths, "stays": n}
        for (day, state, tenths), n in recount().items()
    ]
    if rows:
        db.session.execute(sa.insert(StayCount), rows)


def counted() -> Counter:
    """Return the histogram as stored, in recount()'s shape."""
    return Counter(
        {
            (day, StudyState(state), tenths): n
            for day, state, tenths, n in db.session.execute(
                sa.select(StayCount.left_on, StayCount.state, StayCount.tenths, StayCount.stays)
            )
        }
    )


def medians(since: date) -> dict[StudyState, tuple[float, int]]:
    """Return {state: (median days, stays)} over the stays that ended on or after `since`.

    One statement, a row per (state, length) however many stays: the median of an even count
    is the mean of the two middle lengths, as before.
    """
    rows = db.session.execute(
        sa.select(StayCount.state, StayCount.tenths, sa.func.sum(StayCount.stays))
        .where(StayCount.left_on >= since)
        .group_by(StayCount.state, StayCount.tenths)
        .order_by(StayCount.state, StayCount.tenths)
    ).all()
    per_state: dict[StudyState, list[tuple[int, int]]] = {}
    for state, tenths, n in rows:
        per_state.setdefault(state, []).append((tenths, int(n)))
    out = {}
    for state, lengths in per_state.items():
        total = sum(n for _, n in lengths)
        middle = [_nth(lengths, (total - 1) // 2), _nth(lengths, total // 2)]
        out[StudyState(state)] = (round(sum(middle) / 20, 1), total)
    return out


def _nth(lengths: list[tuple[int, int]], k: int) -> int:
    """Return the k-th smallest length (from 0) of the sorted (length, how many) pairs."""
    for tenths, n in lengths:
        if k < n:
            return tenths
        k -= n
    raise IndexError(k)
