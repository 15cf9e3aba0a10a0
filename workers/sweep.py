"""The periodic sweep: the safety net that catches whatever a lost job or a missed deadline left.

Every periodic task is listed here, in the order it runs (as Redash lists its periodic jobs),
so `import workers.sweep` alone knows them all. Each is an idempotent function of nothing that
flushes and returns a count; the sweep commits after each, so one failing task does not stop
the others. Safe to run at any time, from any process.
"""

import logging
from collections.abc import Callable

from models.base import db
from review.affirmation import jobs as affirmation
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
