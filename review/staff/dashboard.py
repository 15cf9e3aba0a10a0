"""The staff dashboard's figures.

The dashboard runs a fixed number of SQL statements whatever the size of the data: each
figure is one grouped query, and each list is limited and loaded with what it shows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from redis.exceptions import RedisError
from rq import Worker

from models import (
    AccessRequest,
    AffirmationWindow,
    CaseStudy,
    Notification,
    Pillar,
    Round,
    StudyCount,
    User,
    Vote,
)
from models.base import db
from models.clock import utcnow
from models.enums import (
    AccessRequestStatus,
    NotificationStatus,
    StudyState,
    VoteChoice,
)
from review import affirmation
from review.infra.queue import QUEUES, redis_connection, rq_queue
from review.staff.chart import Chart, chart
from review.staff.queries import pillars_without_cochairs, waiting_cochairs
from review.workflow import stays

S = StudyState
OPEN_FOR_REVIEW = (S.submitted, S.in_review)
MEDIAN_WINDOW = timedelta(days=90)
CLOSING_SOON = timedelta(days=7)
WORKER_SEEN = timedelta(minutes=1)
LIST_LIMIT = 50
# The dashboard counts the rows sent (and skipped) in the last day, not since the beginning.
RECENTLY_SENT = timedelta(days=1)
OPEN_NOTIFICATIONS = (NotificationStatus.pending, NotificationStatus.failed)
FINISHED_NOTIFICATIONS = (NotificationStatus.sent, NotificationStatus.skipped)

# ---------------------------------------------------------------- the dashboard


@dataclass
class OverdueRound:
    round_id: int
    round_number: int
    due_at: datetime
    study_id: int
    title: str
    pillar: str
    state: StudyState
    cochairs: list[User]

    @property
    def days_overdue(self) -> int:
        return (utcnow() - self.due_at).days


@dataclass
class ClosingWindow:
    window: AffirmationWindow
    study_id: int
    title: str
    affirm: int
    object: int
    # Whether these votes would affirm the study if the window closed now.
    passing: bool


def study_counts() -> dict[tuple[int, StudyState], int]:
    """Return {(pillar id, state): number of studies}: one statement over the counts the
    database keeps (study_count, a row per pillar and state), not a count of every study."""
    rows = db.session.execute(
        sa.select(StudyCount.pillar_id, StudyCount.state, StudyCount.n).where(StudyCount.n > 0)
    ).all()
    return {(pid, StudyState(state)): n for pid, state, n in rows}


def median_days_in_state(now: datetime, window: timedelta = MEDIAN_WINDOW) -> dict:
    """Return {state: (median days, stays)} over the stays that ended within the window.

    Read from the stays the workflow counts at every move (review/workflow/stays.py), from
    the UTC day `window` before `now`: one statement over a few hundred rows.
    """
    return stays.medians((now - window).date())


def overdue_reviews(now: datetime, limit: int = LIST_LIMIT) -> tuple[int, list[OverdueRound]]:
    """Return how many open rounds are past due, and the most overdue with their co-chairs."""
    where = (
        Round.decided_at.is_(None),
        Round.due_at < now,
        CaseStudy.current_round == Round.number,
        CaseStudy.state.in_(OPEN_FOR_REVIEW),
    )
    total = db.session.scalar(
        sa.select(sa.func.count(Round.id))
        .join(CaseStudy, CaseStudy.id == Round.study_id)
        .where(*where)
    )
    rows = db.session.execute(
        sa.select(
            Round.id,
            Round.number,
            Round.due_at,
            CaseStudy.id,
            CaseStudy.title,
            Pillar.name,
            CaseStudy.state,
        )
        .join(CaseStudy, CaseStudy.id == Round.study_id)
        .join(Pillar, Pillar.id == CaseStudy.pillar_id)
        .where(*where)
        .order_by(Round.due_at, Round.id)
        .limit(limit)
    ).all()
    people = waiting_cochairs([r[0] for r in rows])
    return total, [
        OverdueRound(rid, number, due, sid, title, pillar, StudyState(state), people.get(rid, []))
        for rid, number, due, sid, title, pillar, state in rows
    ]


def closing_affirmations(
    now: datetime, within: timedelta = CLOSING_SOON, limit: int = LIST_LIMIT
) -> list[ClosingWindow]:
    """Return open affirmation windows closing within `within`, soonest first, with tallies."""
    rows = db.session.execute(
        sa.select(AffirmationWindow, CaseStudy.id, CaseStudy.title)
        .join(CaseStudy, CaseStudy.id == AffirmationWindow.study_id)
        .where(
            AffirmationWindow.closed_at.is_(None),
            AffirmationWindow.closes_at <= now + within,
            CaseStudy.state == S.in_affirmation,
        )
        .order_by(AffirmationWindow.closes_at, AffirmationWindow.id)
        .limit(limit)
    ).all()
    ids = [w.id for w, _, _ in rows]
    tallies: dict[int, dict] = defaultdict(dict)
    for window_id, choice, n in db.session.execute(
        sa.select(Vote.window_id, Vote.choice, sa.func.count())
        .where(Vote.window_id.in_(ids))
        .group_by(Vote.window_id, Vote.choice)
    ):
        tallies[window_id][VoteChoice(choice)] = n
    min_votes, threshold = affirmation.rule()
    out = []
    for w, sid, title in rows:
        counts = affirmation.Tally(
            tallies[w.id].get(VoteChoice.affirm, 0), tallies[w.id].get(VoteChoice.object, 0)
        )
        out.append(
            ClosingWindow(
                w,
                sid,
                title,
                counts.affirm,
                counts.object,
                affirmation.affirmed_by(counts, min_votes, threshold),
            )
        )
    return out


def notification_summary(
    since: datetime | None = None,
) -> dict[NotificationStatus, tuple[int, datetime | None]]:
    """Return {status: (rows, oldest created_at)}: one statement.

    With `since`, the finished rows (sent, skipped) are only those written since then, so the
    statement reads the (status, created_at) index over the open rows and a recent range
    alone, not the whole history of the outbox (the dashboard); without, every row.
    """
    columns = (
        Notification.status,
        sa.func.count(),  # the (status, created_at) index
        sa.func.min(Notification.created_at),
    )
    if since is None:
        stmt = sa.select(*columns).group_by(Notification.status)
    else:
        stmt = sa.union_all(
            sa.select(*columns)
            .where(Notification.status.in_(OPEN_NOTIFICATIONS))
            .group_by(Notification.status),
            sa.select(*columns)
            .where(
                Notification.status.in_(FINISHED_NOTIFICATIONS),
                Notification.created_at >= since,
            )
            .group_by(Notification.status),
        )
    out = {s: (0, None) for s in NotificationStatus}
    for status, n, oldest in db.session.execute(stmt).all():
        if isinstance(oldest, str):  # SQLite returns min() of a timestamp as text
            oldest = datetime.fromisoformat(oldest).replace(tzinfo=UTC)
        out[NotificationStatus(status)] = (n, oldest)
    return out


def failed_notifications(limit: int = 20) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.status == NotificationStatus.failed)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


@dataclass
class QueueHealth:
    mode: str  # "embedded" or "rq"
    reachable: bool | None = None
    error: str = ""
    depths: dict[str, int] = field(default_factory=dict)
    workers: int = 0
    workers_total: int = 0


def queue_health(now: datetime) -> QueueHealth:
    """Ask Redis whether it answers, how deep each queue is and which workers beat lately."""
    connection = redis_connection()
    if connection is None:
        return QueueHealth(mode="embedded")
    health = QueueHealth(mode="rq")
    try:
        connection.ping()
        health.reachable = True
        health.depths = {name: rq_queue(name).count for name in QUEUES}
        workers = Worker.all(connection=connection)
        health.workers_total = len(workers)
        health.workers = sum(1 for w in workers if _beat_since(w, now - WORKER_SEEN))
    except RedisError as exc:
        health.reachable = False
        health.error = type(exc).__name__
    return health


def _beat_since(worker: Worker, since: datetime) -> bool:
    beat = worker.last_heartbeat
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=UTC)
    return beat >= since


@dataclass
class Dashboard:
    now: datetime
    pillars: list[Pillar]
    counts: dict
    chart: Chart
    state_totals: dict
    medians: dict
    overdue_total: int
    overdue: list[OverdueRound]
    closing: list[ClosingWindow]
    notifications: dict
    failed: list[Notification]
    queue: QueueHealth
    uncovered: list[Pillar]
    pending_requests: int


def dashboard(now: datetime | None = None) -> Dashboard:
    """Gather every figure of the dashboard in a fixed number of statements."""
    now = now or utcnow()
    pillars = list(db.session.scalars(sa.select(Pillar).order_by(Pillar.position)))
    counts = study_counts()
    state_totals: dict[StudyState, int] = defaultdict(int)
    for (_, state), n in counts.items():
        state_totals[state] += n
    overdue_total, overdue = overdue_reviews(now)
    return Dashboard(
        now=now,
        pillars=pillars,
        counts=counts,
        chart=chart(pillars, counts),
        state_totals=dict(state_totals),
        medians=median_days_in_state(now),
        overdue_total=overdue_total,
        overdue=overdue,
        closing=closing_affirmations(now),
        notifications=notification_summary(since=now - RECENTLY_SENT),
        failed=failed_notifications(),
        queue=queue_health(now),
        uncovered=pillars_without_cochairs(),
        pending_requests=db.session.scalar(
            sa.select(sa.func.count(AccessRequest.id)).where(
                AccessRequest.status == AccessRequestStatus.pending
            )
        ),
    )
