"""Jobs of network affirmation: close a window at its deadline, owe the members who have not
voted a reminder 48 hours before it; and the sweep's safety net for both. (The announcement of
an opened window and the reminder are broadcasts, sent by workers.fanout; the audiences of a
window are declared here, where eligibility lives.)

Every job is a function of a window id that reloads the window and does nothing when there is
nothing left to do, so a job that runs twice, late, or after an extension is harmless.
"""

import logging
import time
from datetime import timedelta

import sqlalchemy as sa

from models import AffirmationWindow, CaseStudy, User, Vote
from models.base import db
from models.clock import utcnow
from review import broadcasts
from review.affirmation import operations, queries
from review.infra.queue import enqueue
from workers import fanout, mail

log = logging.getLogger(__name__)

# rq's scheduler keeps whole seconds and polls about once a second: a close job may wake up
# this much before the deadline, and then waits for it rather than leaving it to the sweep.
EARLY_WAKE = timedelta(seconds=3)


def close_window(window_id: int) -> bool:
    """Close the window if its deadline has passed and it is still open; idempotent.

    A job that wakes long before the deadline (the deadline was extended) schedules itself
    again for the new deadline instead.
    """
    window = db.session.get(AffirmationWindow, window_id)
    if window is None or window.closed_at is not None:
        return False
    early = window.closes_at - utcnow()
    if early > EARLY_WAKE:
        enqueue("affirmation.close_window", window.id, at=window.closes_at)
        db.session.commit()
        return False
    if early > timedelta(0):
        time.sleep(early.total_seconds())
    closed = operations.close(window)
    db.session.commit()
    return closed


@fanout.audience("window_voters")
def _window_voters(params: dict) -> sa.Select:
    """The eligible voters of the window's study."""
    return queries.eligible_voters(
        params["study_id"], User.id, User.email, User.network_preference, User.locale
    )


@fanout.audience("window_non_voters")
def _window_non_voters(params: dict) -> sa.Select:
    """The eligible voters who have not voted (yet: each row checks again when sent)."""
    voted = sa.select(Vote.user_id).where(Vote.window_id == params["window_id"])
    return _window_voters(params).where(User.id.not_in(voted))


@mail.relevance_check("affirmation_closing")
def _still_waiting_for_vote(row) -> bool:
    """The window is still open and this member has still not voted."""
    window = db.session.get(AffirmationWindow, (row.context or {}).get("window_id"))
    if window is None or not queries.is_open(window):
        return False
    return queries.vote_of(window, db.session.get(User, row.recipient_id)) is None


def close_due_windows() -> int:
    """Close every open window whose deadline passed (the safety net for a lost close job)."""
    closed = 0
    for window_id in queries.due_windows():
        try:
            closed += operations.close(db.session.get(AffirmationWindow, window_id))
            db.session.commit()
        except Exception:  # one stuck study must not keep the others open
            db.session.rollback()
            log.exception("closing affirmation window %s failed", window_id)
    return closed


def closing_unreminded(now) -> sa.Select:
    """Select the open windows within 48 hours of their deadline not yet reminded of."""
    return sa.select(AffirmationWindow).where(
        AffirmationWindow.closed_at.is_(None),
        AffirmationWindow.reminder_sent_at.is_(None),
        AffirmationWindow.closes_at > now,
        AffirmationWindow.closes_at <= now + operations.REMINDER_BEFORE,
    )


def remind_closing_windows() -> int:
    """Owe the 48-hour reminder of every open window that has come within 48 hours; flush.

    The broadcast row is written in the same transaction that marks the window reminded, so
    the reminder is durable from here on (workers.fanout sends it, the sweep resumes it).
    """
    now = utcnow()
    windows = db.session.scalars(closing_unreminded(now)).all()
    for window in windows:
        window.reminder_sent_at = now
        broadcasts.affirmation_closing(window, db.session.get(CaseStudy, window.study_id))
    db.session.flush()
    return len(windows)
