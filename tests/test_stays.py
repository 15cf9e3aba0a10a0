"""The stays in each state that the workflow counts at every move (review/workflow/stays.py):
what it maintains equals a recount of the audit log, on both engines, and the dashboard reads
its medians from that count alone."""

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from models.base import db
from models.clock import utcnow
from models.enums import StudyState
from review import staff, workflow
from review.workflow import stays
from tests.factories import complete_study

S = StudyState
DAY = timedelta(days=1)


def test_the_stays_counted_at_each_move_equal_a_recount_of_the_audit_log(app, make_user, pillar):
    author = make_user()
    chairs = [make_user(cochair_of=pillar) for _ in range(2)]
    now = utcnow()
    studies = []
    for days in (3, 7, 7, 12.2):
        began = now - days * DAY
        studies.append(complete_study(author, pillar, created_at=began, state_changed_at=began))
    for study in studies:
        workflow.apply(study, "submit", author)
        db.session.commit()
    approved, returned, withdrawn, waiting = studies
    for chair in chairs:
        workflow.apply(approved, "review", chair, recommendation="approve", overall="Good.")
        workflow.apply(returned, "review", chair, recommendation="request_changes", overall="More.")
        db.session.commit()
    workflow.apply(withdrawn, "withdraw", author)
    db.session.commit()

    assert approved.state == S.in_affirmation and returned.state == S.changes_requested
    counted = stays.counted()
    assert counted == stays.recount()
    today = now.date()
    by_state = Counter()
    for (day, state, tenths), n in counted.items():
        assert day >= today - DAY  # a stay ends the day of its move
        by_state[state, tenths] += n
    # Each draft lasted its days, in tenths; the stays since are a moment long.
    # Each draft lasted its days, in tenths; every stay since lasted a moment.
    assert by_state == {
        (S.draft, 30): 1,
        (S.draft, 70): 2,
        (S.draft, 122): 1,
        (S.submitted, 0): 3,  # approved and returned at their first review; one withdrawn
        (S.in_review, 0): 2,  # the second review decided them
    }
    assert staff.dashboard().medians[S.draft] == (7.0, 4)


def test_the_dashboard_reads_the_counted_stays_not_the_audit_log(app, make_user, pillar):
    author = make_user()
    began = utcnow() - 5 * DAY
    study = complete_study(author, pillar, created_at=began, state_changed_at=began)
    workflow.apply(study, "submit", author)
    db.session.commit()
    seen: list[str] = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        board = staff.dashboard()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    assert board.medians == {S.draft: (5.0, 1)}
    assert not any("audit_event" in s for s in seen), [s for s in seen if "audit_event" in s]
    assert sum("stay_count" in s for s in seen) == 1
