"""The periodic sweep: the safety net that catches whatever a lost job or a missed deadline left.

Each feature registers its own idempotent task; the sweep runs them all and commits after each,
so one failing task does not stop the others. Safe to run at any time, from any process.
"""

import logging
from collections.abc import Callable

from review.extensions import db
from workers import digest, fanout, mail, reminders

log = logging.getLogger(__name__)

# Reminders and digests first: the rows they write are sent by their own jobs, and
# requeue_pending catches any of those a lost job left behind.
TASKS: list[Callable[[], object]] = [
    reminders.remind_reviews,
    digest.send_digests,
    mail.requeue_pending,
]
# Imported for its relevance checks (registered on import).
_FANOUT = fanout


def task(fn: Callable[[], object]) -> Callable[[], object]:
    """Register fn as a sweep task (a function of nothing that flushes and returns a count)."""
    TASKS.append(fn)
    return fn


def sweep() -> dict[str, object]:
    """Run every task once; return what each reported."""
    report = {}
    for fn in TASKS:
        try:
            report[fn.__name__] = fn()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("sweep task %s failed", fn.__name__)
            report[fn.__name__] = "failed"
    return report
