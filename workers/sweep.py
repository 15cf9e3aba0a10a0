"""The periodic sweep: the safety net that catches whatever a lost job or a missed deadline left.

Every periodic task is listed here, in the order it runs (as Redash lists its periodic jobs),
so `import workers.sweep` alone knows them all. Each is an idempotent function of nothing that
flushes and returns a count; the sweep commits after each, so one failing task does not stop
the others. Safe to run at any time, from any process.

Most sweeps find nothing to do. Each task's PROBE selects the rows it would act on (the same
select the task reads, or a wider one); the sweep first asks all of them in one statement
(`SELECT EXISTS (…), EXISTS (…), …`, each an index probe) and runs only the tasks whose rows
exist, so a sweep with nothing due costs one statement, not one statement and one commit per
task. A task whose probe fails to run is run anyway.
"""

import logging
from collections.abc import Callable

import sqlalchemy as sa

from models.base import db
from models.clock import utcnow
from review import broadcasts
from review.affirmation import jobs as affirmation
from review.affirmation import queries as affirmation_queries
from workers import digest, fanout, mail, purge, reminders

log = logging.getLogger(__name__)

# Reminders and digests first: the rows they write are sent by their own jobs, and
# requeue_pending catches any of those a lost job left behind; resume_broadcasts hands every
# unfinished broadcast that no job holds to a new one. Then the affirmation deadlines
# a lost close job missed, and the 48-hour reminders of windows that came within 48 hours.
TASKS: tuple[Callable[[], object], ...] = (
    reminders.remind_reviews,
    digest.send_digests,
    fanout.resume_broadcasts,
    mail.requeue_pending,
    affirmation.close_due_windows,
    affirmation.remind_closing_windows,
    purge.expired_sessions,
    purge.expired_rescued_forms,
)

# What each task would act on: when none of it exists, the task has nothing to do.
PROBES: dict[Callable[[], object], Callable[[], sa.Select]] = {
    reminders.remind_reviews: lambda: reminders.due_rounds(utcnow()),
    digest.send_digests: digest.held_for,
    fanout.resume_broadcasts: broadcasts.stalled_ids,
    mail.requeue_pending: mail.any_pending,
    affirmation.close_due_windows: affirmation_queries.past_deadline,
    affirmation.remind_closing_windows: lambda: affirmation.closing_unreminded(utcnow()),
    purge.expired_sessions: purge.ended_sessions,
    purge.expired_rescued_forms: purge.unclaimed_forms,
}


def due_tasks() -> set[Callable[[], object]]:
    """Return the tasks that have something to do: one statement, then commit."""
    probed = [fn for fn in TASKS if fn in PROBES]
    try:
        row = db.session.execute(sa.select(*(sa.exists(PROBES[fn]()) for fn in probed))).one()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("sweep probe failed: running every task")
        return set(TASKS)
    return {fn for fn, due in zip(probed, row, strict=True) if due} | (set(TASKS) - set(probed))


def sweep() -> dict[str, object]:
    """Run every task that has something to do once; return what each reported (0 when
    it had nothing to do)."""
    due = due_tasks()
    report = {}
    for fn in TASKS:
        if fn not in due:
            report[fn.__name__] = 0
            continue
        try:
            report[fn.__name__] = fn()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("sweep task %s failed", fn.__name__)
            report[fn.__name__] = "failed"
    return report
