"""The fan-out job: walk a broadcast's audience batch by batch, writing and sending each batch.

A Broadcast row (review.broadcasts) is written by the transition that owes it. Once that
commits, the row wakes this job (an after-flush listener enqueues it: the transition never
names a job). The job takes the broadcast's short lease, then per batch: one INSERT … ON
CONFLICT DO NOTHING of the batch's rows and the progress (last person id, rows written) in
the same commit, then the batch's rows over one SMTP connection (workers.mail.send_batch),
renewing the lease as it goes. A job killed anywhere leaves a broadcast whose lease runs out
within seconds; the sweep (resume_broadcasts) hands every unfinished, unleased broadcast to a
new job, which first sends the rows the dead one left and then walks on from its progress.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from models import (
    AffirmationWindow,
    Broadcast,
    Notification,
    StudyAuthor,
    User,
    pillar_follows,
)
from models.base import db
from models.clock import utcnow
from models.enums import NotificationStatus, UserKind
from review import broadcasts
from review.infra.queue import enqueue
from review.notify import write_batch
from workers import mail

# ---------------------------------------------------------------- audiences

# Declared by name: here, and by the job module that owns a rule of eligibility
# (workers.affirmation: the voters of a window).
AUDIENCES: dict[str, object] = {}


def audience(name: str):
    """Declare fn(params) -> select of (User.id, .email, .network_preference, .locale)."""

    def register(fn):
        AUDIENCES[name] = fn
        return fn

    return register


def _not_authors(query: sa.Select, study_id: int) -> sa.Select:
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == study_id)
    return query.where(User.id.not_in(authors))


@audience("window_partners")
def _window_partners(params: dict) -> sa.Select:
    """Active partners, who may comment on a study in affirmation (they do not vote)."""
    query = sa.select(User.id, User.email, User.network_preference, User.locale).where(
        User.is_active.is_(True), User.kind == UserKind.partner
    )
    return _not_authors(query, params["study_id"])


@audience("pillar_followers")
def _pillar_followers(params: dict) -> sa.Select:
    """Active people who follow the pillar, except the study's authors (told as authors)."""
    followers = sa.select(pillar_follows.c.user_id).where(
        pillar_follows.c.pillar_id == params["pillar_id"]
    )
    query = sa.select(User.id, User.email, User.network_preference, User.locale).where(
        User.is_active.is_(True), User.id.in_(followers)
    )
    return _not_authors(query, params["study_id"])


# ---------------------------------------------------------------- the job


def run_broadcast(broadcast_id: int) -> int:
    """Write and send what the broadcast still owes; return how many emails this run sent.

    Does nothing when the broadcast is finished or another job holds it, so a job that runs
    twice, late, or beside a resumed one sends nothing twice.
    """
    if not _take(broadcast_id):
        return 0
    db.session.expire_all()
    row = db.session.get(Broadcast, broadcast_id)
    keep_alive = _keep_alive(broadcast_id)
    batch_size = int(current_app.config["FANOUT_BATCH"])
    try:
        sent = 0
        for ids in _left_unsent(broadcast_id, batch_size):
            sent += mail.send_batch(ids, keep_alive)
        select = AUDIENCES[row.audience](row.params or {})
        while row.written_at is None:
            people = db.session.execute(
                select.where(User.id > row.last_person_id).order_by(User.id).limit(batch_size)
            ).all()
            ids = []
            if people:
                context = dict(row.context or {})
                ids = write_batch(
                    row.kind,
                    [tuple(p) for p in people],
                    # One subject per language, written once when the broadcast was owed.
                    subject=context.pop(broadcasts.SUBJECTS, None) or row.subject,
                    event_key=row.event_key,
                    category=row.category,
                    study_id=row.study_id,
                    context=context,
                    broadcast_id=row.id,
                )
                row.last_person_id = people[-1][0]
                row.rows_written = _count(broadcast_id)
            else:
                row.written_at = utcnow()
            row.lease_until = _lease_end()
            db.session.commit()  # the batch's rows and the progress together
            if ids:
                sent += mail.send_batch(ids, keep_alive)
                row.rows_sent = _count(broadcast_id, NotificationStatus.sent)
                db.session.commit()
        _finish(row)
        return sent
    except Exception as exc:
        db.session.rollback()
        _give_back(broadcast_id, f"{type(exc).__name__}: {exc}"[:2000])
        raise


def _lease_end():
    return utcnow() + timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])


def _take(broadcast_id: int) -> bool:
    """Take the lease of an unfinished broadcast no job holds; commit."""
    now = utcnow()
    taken = db.session.execute(
        sa.update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.finished_at.is_(None),
            sa.or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < now),
        )
        .values(
            lease_until=_lease_end(),
            runs=Broadcast.runs + 1,
            started_at=sa.func.coalesce(Broadcast.started_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


def _keep_alive(broadcast_id: int):
    def renew(out) -> None:
        out.execute(
            sa.update(Broadcast)
            .where(Broadcast.id == broadcast_id)
            .values(lease_until=_lease_end())
        )

    return renew


def _unsent(broadcast_id: int):
    """Rows of the broadcast that wait for a first attempt (not retries, not digest rows)."""
    return sa.select(Notification.id).where(
        Notification.broadcast_id == broadcast_id,
        Notification.status == NotificationStatus.pending,
        Notification.is_digest.is_(False),
        Notification.next_attempt_at.is_(None),
    )


def _left_unsent(broadcast_id: int, batch_size: int):
    """Yield, batch by batch, the rows a dead run left pending, and retries that are due.

    While the broadcast is unfinished its rows are its own (mail.requeue_pending leaves them).
    """
    due = sa.select(Notification.id).where(
        Notification.broadcast_id == broadcast_id,
        Notification.status == NotificationStatus.pending,
        Notification.is_digest.is_(False),
        sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= utcnow()),
    )
    ids = list(db.session.scalars(due.order_by(Notification.id)))
    for start in range(0, len(ids), batch_size):
        yield ids[start : start + batch_size]


def _count(broadcast_id: int, status: NotificationStatus | None = None) -> int:
    query = sa.select(sa.func.count(Notification.id)).where(
        Notification.broadcast_id == broadcast_id
    )
    if status is not None:
        query = query.where(Notification.status == status)
    return db.session.scalar(query)


def _finish(row: Broadcast) -> None:
    """Mark the broadcast finished once no row of it waits; else give it back to the sweep."""
    row.rows_sent = _count(row.id, NotificationStatus.sent)
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(_unsent(row.id).subquery()))
    if not waiting:
        row.finished_at = utcnow()
    row.lease_until = None
    row.last_error = None
    db.session.commit()


def _give_back(broadcast_id: int, error: str) -> None:
    db.session.execute(
        sa.update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(lease_until=None, last_error=error)
    )
    db.session.commit()


# ---------------------------------------------------------------- waking up and resuming


@event.listens_for(Session, "after_flush")
def _wake_new(session: Session, _flush_context) -> None:
    """Enqueue the job of every broadcast this flush wrote, to run once the commit is done."""
    for obj in session.new:
        if isinstance(obj, Broadcast):
            enqueue("fanout.run_broadcast", obj.id, queue="mail")


@event.listens_for(Session, "before_commit")
def _wake_resumed(session: Session) -> None:
    """Enqueue the job of every broadcast staff resumed in this transaction."""
    for broadcast_id in sorted(session.info.pop(broadcasts.WAKE, ())):
        enqueue("fanout.run_broadcast", broadcast_id, queue="mail")


@event.listens_for(Session, "after_rollback")
def _forget_resumed(session: Session) -> None:
    session.info.pop(broadcasts.WAKE, None)


def resume_broadcasts() -> int:
    """Hand every unfinished broadcast that no job holds to a job; flush only."""
    ids = list(db.session.scalars(broadcasts.stalled_ids().order_by(Broadcast.id)))
    for broadcast_id in ids:
        enqueue("fanout.run_broadcast", broadcast_id, queue="mail")
    return len(ids)


@mail.relevance_check("affirmation_opened")
def _window_still_open(row) -> bool:
    window = db.session.get(AffirmationWindow, (row.context or {}).get("window_id"))
    return window is not None and window.closed_at is None
