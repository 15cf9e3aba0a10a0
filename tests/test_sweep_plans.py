"""The sweep with nothing due is one statement of index probes that find nothing (issue 17):
its probe of every task's rows, as the sweep runs it, is planned on indexes, on both engines.

SQLite plans from the statistics ANALYZE leaves; the test writes those of the bench's world
at 10^5 studies (sqlite_stat1, as SQLite documents for steering its planner), under which the
review reminders used to walk the open rounds of every withdrawn study and the digest the
whole outbox. PostgreSQL is asked with sequential scans disabled, so a plan names an index
whenever one applies to the statement as written.
"""

import sqlalchemy as sa

from models import Round
from models.base import db
from models.clock import utcnow
from review import workflow
from tests.factories import complete_study
from workers import reminders
from workers.sweep import sweep

# The bench world's statistics at 10^5 studies (sqlite_stat1 after its ANALYZE).
BENCH_STATS = (
    ("case_study", "ix_case_study_created_by_id", "100000 32"),
    ("case_study", "ix_case_study_pillar_changed", "100000 20000 1 1"),
    ("case_study", "ix_case_study_pillar_id", "100000 20000"),
    ("case_study", "ix_case_study_pillar_state", "100000 20000 2326"),
    ("case_study", "ix_case_study_published_at", "100000 2"),
    ("case_study", "ix_case_study_state", "100000 11112"),
    ("case_study", "ix_case_study_state_changed", "100000 1 1"),
    ("case_study", "ix_case_study_under_review", "40 40"),
    ("case_study", "ix_library_published", "100000 11112 2 1"),
    ("case_study", "sqlite_autoindex_case_study_1", "100000 2"),
    ("notification", "ix_notification_broadcast_id", "186000 186000"),
    ("notification", "ix_notification_created_at", "186000 2"),
    ("notification", "ix_notification_kind", "186000 93000"),
    ("notification", "ix_notification_recipient_id", "186000 59"),
    ("notification", "ix_notification_status", "186000 186000"),
    ("notification", "ix_notification_status_created", "186000 186000 2"),
    ("notification", "ix_notification_study_id", "186000 2"),
    ("notification", "sqlite_autoindex_notification_1", "186000 1"),
    ("round", "ix_round_open_due", "4040 4040"),
    ("round", "ix_round_study_id", "93000 1"),
    ("round", "sqlite_autoindex_round_1", "93000 1 1"),
)


def _statements(app, run=sweep) -> list[tuple[str, object]]:
    """Return the statements `run()` executes, with their parameters."""
    seen = []

    def listen(conn, cursor, statement, params, *args):
        seen.append((statement, params))

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with app.app_context():
            run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    return seen


def _plans(app, statements) -> dict[str, str]:
    """Return {statement: its plan as text}, planned as the sweep ran it."""
    plans = {}
    conn = db.engine.raw_connection()
    try:
        cursor = conn.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("ANALYZE")
            for table, index, stat in BENCH_STATS:
                cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = ?", (index,))
                cursor.execute("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", (table, index, stat))
            conn.commit()
            cursor.execute("ANALYZE sqlite_schema")  # reload the statistics just written
            for statement, params in statements:
                rows = cursor.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
                plans[statement] = "\n".join(row[-1] for row in rows)
        else:
            cursor.execute("SET enable_seqscan = off")
            for statement, params in statements:
                cursor.execute("EXPLAIN " + statement, params)
                plans[statement] = "\n".join(row[0] for row in cursor.fetchall())
        conn.rollback()
    finally:
        conn.close()
    return plans


def test_the_sweep_with_nothing_due_is_one_statement_of_index_probes(app, make_user, pillar):
    author = make_user()
    withdrawn = complete_study(author, pillar)
    workflow.apply(withdrawn, "submit", author)
    workflow.apply(withdrawn, "withdraw", author)  # its round stays open, undecided
    waiting = complete_study(author, pillar)
    workflow.apply(waiting, "submit", author)
    db.session.commit()
    statements = _statements(app)
    assert len(statements) == 1, statements  # the probe: no task had anything to do
    [plan] = _plans(app, statements).values()
    if db.engine.dialect.name == "sqlite":
        # The reminders go from the few studies under review to their round, not from every
        # open round; the other tables are searched on an index, never scanned.
        assert "SCAN round" not in plan, plan
        assert "SEARCH case_study USING" in plan, plan
        scans = [line for line in plan.splitlines() if line.startswith("SCAN")]
        assert scans == ["SCAN CONSTANT ROW"], plan
    else:
        assert "ix_case_study_under_review" in plan, plan
        assert "ix_notification_digest_held" in plan, plan
        assert "Seq Scan" not in plan, plan


def test_the_review_reminders_start_from_the_studies_under_review(app, make_user, pillar):
    """When the probe finds a round due, the reminders' own query (ordered, so planned apart
    from the probe) still starts from the studies under review on SQLite."""
    author = make_user()
    withdrawn = complete_study(author, pillar)
    workflow.apply(withdrawn, "submit", author)
    workflow.apply(withdrawn, "withdraw", author)
    db.session.commit()
    statements = _statements(
        app, lambda: db.session.scalars(reminders.due_rounds(utcnow()).order_by(Round.id)).all()
    )
    [plan] = _plans(app, statements).values()
    if db.engine.dialect.name == "sqlite":
        # The outer loop is the studies under review (40 at 10^5), not the rounds by due date
        # (4,040: every withdrawn study's round is open and past due).
        assert plan.splitlines()[0].startswith("SEARCH case_study"), plan
    else:
        assert "ix_case_study_under_review" in plan, plan
