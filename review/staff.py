"""The staff console: administrative operations and the dashboard's figures.

Every change staff make to people, pillars and settings writes an AuditEvent whose `data`
holds the values before and after. Operations flush, never commit.

The dashboard runs a fixed number of SQL statements whatever the size of the data: each
figure is one grouped query, and each list is limited and loaded with what it shows.
"""

import csv
import io
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy.orm import joinedload

from models import (
    AccessRequest,
    AffirmationWindow,
    AuditEvent,
    CaseStudy,
    CochairAssignment,
    Conflict,
    Notification,
    Pillar,
    Review,
    Round,
    StudyAuthor,
    User,
    Vote,
)
from models.clock import UTCDateTime, utcnow
from models.enums import (
    AccessRequestStatus,
    NotificationCategory,
    NotificationStatus,
    StudyState,
    UserKind,
    VoteChoice,
)
from models.setting import DEFAULTS, get_setting, set_setting
from review import accounts, affirmation, notify
from review.extensions import db
from review.notify import subject_for
from review.sessions import end_all_sessions
from workers.queue import QUEUES, redis_connection, rq_queue

S = StudyState
OPEN_FOR_REVIEW = (S.submitted, S.in_review)
MEDIAN_WINDOW = timedelta(days=90)
CLOSING_SOON = timedelta(days=7)
WORKER_SEEN = timedelta(minutes=1)
LIST_LIMIT = 50

# Segment colours of the chart, one per state (SVG presentation attributes: CSP allows them).
STATE_COLOURS = {
    S.draft: "#b9b4a8",
    S.submitted: "#7aa6d6",
    S.in_review: "#2f6fb0",
    S.changes_requested: "#e0a526",
    S.in_affirmation: "#8a5cc2",
    S.affirmed: "#3f9e6e",
    S.published: "#1f6b45",
    S.declined: "#c2473a",
    S.withdrawn: "#6d6a63",
}


class StaffError(ValueError):
    """A refused staff operation; the message is shown to the person."""


# ---------------------------------------------------------------- the audit log


def record(
    staff: User | None,
    event: str,
    *,
    study: CaseStudy | None = None,
    comment: str = "",
    round_number: int | None = None,
    **data,
) -> AuditEvent:
    """Write one audit event of an administrative change; flush only."""
    row = AuditEvent(
        actor_id=staff.id if staff is not None else None,
        study_id=study.id if study is not None else None,
        event=event,
        comment=comment,
        round_number=round_number,
        data=data or None,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


# ---------------------------------------------------------------- people


def _person(user: User) -> dict:
    return {"user_id": user.id, "email": user.email}


def invite(staff: User, *, email: str, name: str, kind: UserKind) -> User:
    """Create the account and email the invitation; flush only."""
    try:
        user = accounts.invite(email=email, name=name, kind=kind, invited_by=staff)
    except accounts.AccountError as exc:
        raise StaffError(str(exc)) from exc
    record(staff, "user_invited", **_person(user), before=None,
           after={"kind": kind.value, "name": user.name})  # fmt: skip
    return user


def decide_access_request(staff: User, request_row: AccessRequest, approve: bool) -> User | None:
    """Approve (inviting the person) or reject a request for access; flush only."""
    try:
        user = accounts.decide_access_request(request_row, staff, approve)
    except accounts.AccountError as exc:
        raise StaffError(str(exc)) from exc
    record(staff, "access_request_approved" if approve else "access_request_rejected",
           request_id=request_row.id, email=request_row.email,
           user_id=user.id if user is not None else None,
           before={"status": "pending"}, after={"status": request_row.status.value})  # fmt: skip
    return user


def resend_invitation(staff: User, user: User) -> None:
    """Email the invitation link again to someone who has not set a password; flush only."""
    if user.has_password:
        raise StaffError(f"{user.name} has already accepted the invitation.")
    if not user.is_active:
        raise StaffError(f"{user.name} is deactivated: reactivate the account first.")
    before = user.invited_at.isoformat() if user.invited_at else None
    accounts.send_invitation(user, staff)
    record(staff, "invitation_resent", **_person(user), before={"invited_at": before},
           after={"invited_at": user.invited_at.isoformat()})  # fmt: skip


def change_kind(staff: User, user: User, kind: UserKind) -> None:
    """Make the person a member, partner or staff; flush only."""
    if user.kind == kind:
        return
    if user.id == staff.id:
        raise StaffError("Kind: you cannot change your own kind; ask another staff member.")
    if kind != UserKind.member and user.cochair_assignments:
        raise StaffError(
            "Kind: only members co-chair a pillar; remove their co-chair assignments first."
        )
    before = user.kind.value
    user.kind = kind
    db.session.flush()
    record(staff, "user_kind_changed", **_person(user), before={"kind": before},
           after={"kind": kind.value})  # fmt: skip


def add_cochair(staff: User, pillar: Pillar, user: User) -> None:
    """Assign an active member as a co-chair of the pillar; flush only."""
    if user.kind != UserKind.member or not user.is_active:
        raise StaffError("Co-chair: only an active member can co-chair a pillar.")
    before = sorted(u.id for u in pillar.cochairs)
    if user.id in before:
        raise StaffError(f"{user.name} already co-chairs {pillar.name}.")
    pillar.cochair_assignments.append(CochairAssignment(user_id=user.id, created_at=utcnow()))
    db.session.flush()
    db.session.expire(user, ["cochair_assignments"])
    record(staff, "cochair_added", **_person(user), pillar_id=pillar.id,
           before={"cochairs": before}, after={"cochairs": sorted(before + [user.id])})  # fmt: skip


def remove_cochair(staff: User, pillar: Pillar, user: User) -> None:
    """End a co-chair assignment; flush only. A pillar may be left with none (it is flagged)."""
    assignment = next((a for a in pillar.cochair_assignments if a.user_id == user.id), None)
    if assignment is None:
        raise StaffError(f"{user.name} does not co-chair {pillar.name}.")
    before = sorted(u.id for u in pillar.cochairs)
    pillar.cochair_assignments.remove(assignment)
    db.session.flush()
    db.session.expire(user, ["cochair_assignments"])
    record(staff, "cochair_removed", **_person(user), pillar_id=pillar.id,
           before={"cochairs": before},
           after={"cochairs": [i for i in before if i != user.id]})  # fmt: skip


def deactivate(staff: User, user: User) -> None:
    """Stop the person signing in and hearing from us; end their sessions; keep their studies."""
    if user.id == staff.id:
        raise StaffError("You cannot deactivate your own account.")
    if not user.is_active:
        raise StaffError(f"{user.name} is already deactivated.")
    user.is_active = False
    end_all_sessions(user)
    db.session.flush()
    record(staff, "user_deactivated", **_person(user), before={"is_active": True},
           after={"is_active": False})  # fmt: skip


def reactivate(staff: User, user: User) -> None:
    """Let a deactivated person sign in again; flush only."""
    if user.is_active:
        raise StaffError(f"{user.name} is already active.")
    user.is_active = True
    db.session.flush()
    record(staff, "user_reactivated", **_person(user), before={"is_active": False},
           after={"is_active": True})  # fmt: skip


def pillars_without_cochairs() -> list[Pillar]:
    """Return the pillars that have no active co-chair."""
    active = (
        sa.select(CochairAssignment.pillar_id)
        .join(User, User.id == CochairAssignment.user_id)
        .where(User.is_active.is_(True))
    )
    return list(db.session.scalars(
        sa.select(Pillar).where(Pillar.id.not_in(active)).order_by(Pillar.position)
    ))  # fmt: skip


def people_query(q: str = "", kind: str = "", status: str = "") -> sa.Select:
    """Return the people matching a search of name, email, office or jurisdiction."""
    stmt = sa.select(User).options(
        joinedload(User.cochair_assignments).joinedload(CochairAssignment.pillar)
    )
    if q:
        like = f"%{_escape_like(q.strip().lower())}%"
        stmt = stmt.where(sa.or_(*(
            sa.func.lower(col).like(like, escape="\\")
            for col in (User.name, User.email, User.office, User.jurisdiction,
                        User.organisation)
        )))  # fmt: skip
    if kind in UserKind.__members__:
        stmt = stmt.where(User.kind == UserKind(kind))
    if status == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    elif status == "invited":
        stmt = stmt.where(User.password_hash.is_(None), User.is_active.is_(True))
    return stmt.order_by(User.name, User.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---------------------------------------------------------------- pillars and settings

PILLAR_FIELDS = ("name", "description", "review_quorum", "review_due_days")


def update_pillar(staff: User, pillar: Pillar, **values) -> bool:
    """Change a pillar's name, description and review settings; flush only.

    Returns whether anything changed (nothing is recorded when nothing did).
    """
    before = {k: getattr(pillar, k) for k in PILLAR_FIELDS}
    after = {k: values.get(k, before[k]) for k in PILLAR_FIELDS}
    if after == before:
        return False
    for key, value in after.items():
        setattr(pillar, key, value)
    db.session.flush()
    changed = [k for k in PILLAR_FIELDS if before[k] != after[k]]
    record(staff, "pillar_updated", pillar_id=pillar.id,
           before={k: before[k] for k in changed},
           after={k: after[k] for k in changed})  # fmt: skip
    return True


def settings() -> dict:
    """Return the current value of every global setting."""
    return {key: get_setting(key) for key in DEFAULTS}


def update_settings(staff: User, **values) -> bool:
    """Store the global affirmation settings; flush only. Returns whether anything changed."""
    before = settings()
    changed = {k: v for k, v in values.items() if k in DEFAULTS and before[k] != v}
    if not changed:
        return False
    for key, value in changed.items():
        set_setting(key, value)
    record(staff, "settings_updated", before={k: before[k] for k in changed}, after=changed)
    return True


# ---------------------------------------------------------------- studies


def overdue_condition(now: datetime):
    """Return a WHERE clause true for studies whose current round is past its due date."""
    return sa.exists().where(
        Round.study_id == CaseStudy.id,
        Round.number == CaseStudy.current_round,
        Round.decided_at.is_(None),
        Round.due_at < now,
    ) & CaseStudy.state.in_(OPEN_FOR_REVIEW)


def studies_query(
    state: str = "",
    pillar_id: int | None = None,
    overdue: bool = False,
    q: str = "",
    now: datetime | None = None,
) -> sa.Select:
    """Return every study, in any state, filtered as the studies page asks."""
    stmt = sa.select(CaseStudy).options(
        joinedload(CaseStudy.pillar), joinedload(CaseStudy.created_by)
    )
    if state in StudyState.__members__:
        stmt = stmt.where(CaseStudy.state == StudyState(state))
    if pillar_id:
        stmt = stmt.where(CaseStudy.pillar_id == pillar_id)
    if overdue:
        stmt = stmt.where(overdue_condition(now or utcnow()))
    if q:
        like = f"%{_escape_like(q.strip().lower())}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(CaseStudy.title).like(like, escape="\\"),
                sa.func.lower(CaseStudy.place).like(like, escape="\\"),
            )
        )
    return stmt.order_by(CaseStudy.state_changed_at.desc(), CaseStudy.id.desc())


def remind_now(staff: User, rnd: Round) -> int:
    """Email the co-chairs who have not reviewed an open round, now; flush only.

    Returns how many were told. Each press is its own event, so it is never deduplicated
    against the sweep's automatic reminder.
    """
    study = db.session.get(CaseStudy, rnd.study_id)
    if (
        rnd.decided_at is not None
        or study.state not in OPEN_FOR_REVIEW
        or study.current_round != rnd.number
    ):
        raise StaffError("This round has been decided; there is no one left to remind.")
    people = waiting_cochairs([rnd.id]).get(rnd.id, [])
    if not people:
        raise StaffError("Every eligible co-chair has reviewed this round already.")
    now = utcnow()
    rows = notify.notify(
        "review_overdue" if rnd.due_at <= now else "review_due_soon",
        people,
        subject=subject_for(study, f"Reminder from staff: review round {rnd.number}"),
        event_key=f"{rnd.id}:staff:{now.timestamp():.3f}",
        category=NotificationCategory.action,
        study=study,
        context={
            "path": f"/cochair/studies/{study.id}", "round_id": rnd.id, "round": rnd.number,
            "title": study.title, "pillar": study.pillar.name, "due_at": rnd.due_at.isoformat(),
            "reviews": len(rnd.reviews), "quorum": study.pillar.review_quorum,
        },
    )  # fmt: skip
    record(staff, "reviewers_reminded", study=study, round_number=rnd.number,
           user_ids=[u.id for u in people])  # fmt: skip
    return len(rows)


def waiting_cochairs(round_ids: list[int]) -> dict[int, list[User]]:
    """Return, per open round, the eligible co-chairs who have not reviewed it: one statement."""
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == Round.study_id)
    conflicted = sa.select(Conflict.user_id).where(Conflict.study_id == Round.study_id)
    reviewed = sa.select(Review.reviewer_id).where(Review.round_id == Round.id)
    rows = db.session.execute(
        sa.select(Round.id, User)
        .join(CaseStudy, CaseStudy.id == Round.study_id)
        .join(CochairAssignment, CochairAssignment.pillar_id == CaseStudy.pillar_id)
        .join(User, User.id == CochairAssignment.user_id)
        .where(
            Round.id.in_(round_ids),
            User.is_active.is_(True),
            User.kind == UserKind.member,
            User.id.not_in(authors),
            User.id.not_in(conflicted),
            User.id.not_in(reviewed),
        )
        .order_by(Round.id, User.name, User.id)
    ).all()
    out: dict[int, list[User]] = defaultdict(list)
    for round_id, user in rows:
        out[round_id].append(user)
    return out


# ---------------------------------------------------------------- notifications


def notifications_query(
    person: str = "", study_id: int | None = None, kind: str = "", status: str = ""
) -> sa.Select:
    """Return the outbox rows matching the notifications page's search, newest first."""
    stmt = sa.select(Notification).options(joinedload(Notification.study))
    if person:
        like = f"%{_escape_like(person.strip().lower())}%"
        names = sa.select(User.id).where(sa.func.lower(User.name).like(like, escape="\\"))
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Notification.email).like(like, escape="\\"),
                Notification.recipient_id.in_(names),
            )
        )
    if study_id:
        stmt = stmt.where(Notification.study_id == study_id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    if status in NotificationStatus.__members__:
        stmt = stmt.where(Notification.status == NotificationStatus(status))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def notification_kinds() -> list[str]:
    return list(db.session.scalars(
        sa.select(Notification.kind).distinct().order_by(Notification.kind)
    ))  # fmt: skip


def resend_notification(staff: User, row: Notification) -> None:
    """Put a failed email back in the outbox; flush only."""
    if row.status != NotificationStatus.failed:
        raise StaffError("Only an email that failed can be resent from here.")
    record(staff, "notification_resent", notification_id=row.id, email=row.email,
           before={"status": row.status.value, "last_error": row.last_error},
           after={"status": NotificationStatus.pending.value})  # fmt: skip
    notify.resend(row)


# ---------------------------------------------------------------- the audit log, read


def audit_query(
    study_id: int | None = None,
    person_id: int | None = None,
    event: str = "",
    date_from=None,
    date_to=None,
) -> sa.Select:
    """Return audit events matching the filters, newest first.

    A person matches as the one who acted or as the one an administrative change was about.
    """
    stmt = sa.select(AuditEvent).options(joinedload(AuditEvent.actor))
    if study_id:
        stmt = stmt.where(AuditEvent.study_id == study_id)
    if person_id:
        stmt = stmt.where(
            sa.or_(
                AuditEvent.actor_id == person_id,
                AuditEvent.data["user_id"].as_integer() == person_id,
            )
        )
    if event:
        stmt = stmt.where(AuditEvent.event == event)
    if date_from:
        stmt = stmt.where(AuditEvent.created_at >= _day_start(date_from))
    if date_to:
        stmt = stmt.where(AuditEvent.created_at < _day_start(date_to) + timedelta(days=1))
    return stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def _day_start(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def audit_events() -> list[str]:
    return list(db.session.scalars(
        sa.select(AuditEvent.event).distinct().order_by(AuditEvent.event)
    ))  # fmt: skip


AUDIT_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_email",
    "study_id",
    "event",
    "from_state",
    "to_state",
    "round_number",
    "comment",
    "override_reason",
    "data",
)


def csv_cell(value) -> str:
    """Return a cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def audit_csv(events) -> str:
    """Return the audit events as CSV text, every cell safe from formula injection."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for ev in events:
        writer.writerow([csv_cell(v) for v in (
            ev.id, ev.created_at.isoformat(), ev.actor_id,
            ev.actor.email if ev.actor is not None else "", ev.study_id, ev.event,
            ev.from_state, ev.to_state, ev.round_number, ev.comment, ev.override_reason,
            json.dumps(ev.data, sort_keys=True) if ev.data is not None else "",
        )])  # fmt: skip
    return out.getvalue()


# ---------------------------------------------------------------- the dashboard


@dataclass
class Segment:
    state: StudyState
    count: int
    x: float
    width: float
    fill: str


@dataclass
class Bar:
    pillar: Pillar
    total: int
    y: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    max_total: int


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
    """Return {(pillar id, state): number of studies}: one grouped statement."""
    rows = db.session.execute(
        sa.select(CaseStudy.pillar_id, CaseStudy.state, sa.func.count(CaseStudy.id)).group_by(
            CaseStudy.pillar_id, CaseStudy.state
        )
    ).all()
    return {(pid, StudyState(state)): n for pid, state, n in rows}


def chart(
    pillars: list[Pillar],
    counts: dict,
    width: int = 720,
    label_width: int = 280,
    bar_height: int = 26,
) -> Chart:
    """Lay out one stacked bar per pillar, a segment per state, for a server-rendered SVG."""
    totals = {p.id: sum(n for (pid, _), n in counts.items() if pid == p.id) for p in pillars}
    max_total = max(totals.values(), default=0) or 1
    span = width - label_width - 50  # room on the right for the total
    bars = []
    for i, pillar in enumerate(pillars):
        bar = Bar(pillar=pillar, total=totals[pillar.id], y=i * (bar_height + 10))
        x = float(label_width)
        for state in StudyState:
            n = counts.get((pillar.id, state), 0)
            if n:
                w = span * n / max_total
                bar.segments.append(
                    Segment(state, n, round(x, 2), round(w, 2), STATE_COLOURS[state])
                )
                x += w
        bars.append(bar)
    height = len(pillars) * (bar_height + 10)
    return Chart(bars, width, height, label_width, bar_height, max_total)


def median_days_in_state(now: datetime, window: timedelta = MEDIAN_WINDOW) -> dict:
    """Return {state: (median days, stays)} over stays that ended within the window.

    A stay runs from the transition into a state (or the study's creation, for the first
    draft) to the transition out of it, both read from the audit log: one statement.
    """
    ev = AuditEvent
    entered = sa.func.lag(ev.created_at, type_=UTCDateTime()).over(
        partition_by=ev.study_id, order_by=(ev.created_at, ev.id)
    )
    moves = (
        sa.select(ev.study_id.label("study_id"), ev.from_state.label("state"),
                  ev.created_at.label("left_at"), entered.label("entered_at"))
        .where(ev.study_id.is_not(None), ev.from_state.is_not(None), ev.to_state.is_not(None),
               ev.from_state != ev.to_state)
        .subquery()
    )  # fmt: skip
    rows = db.session.execute(
        sa.select(moves.c.state, moves.c.left_at, moves.c.entered_at, CaseStudy.created_at)
        .join(CaseStudy, CaseStudy.id == moves.c.study_id)
        .where(moves.c.left_at >= now - window)
    ).all()
    stays: dict[StudyState, list[float]] = defaultdict(list)
    for state, left_at, entered_at, created_at in rows:
        start = entered_at or created_at
        if state in StudyState.__members__:
            stays[StudyState(state)].append((left_at - start).total_seconds() / 86400)
    return {s: (round(statistics.median(v), 1), len(v)) for s, v in stays.items()}


def overdue_reviews(now: datetime, limit: int = LIST_LIMIT) -> tuple[int, list[OverdueRound]]:
    """Return how many open rounds are past due, and the most overdue with their co-chairs."""
    where = (
        Round.decided_at.is_(None),
        Round.due_at < now,
        CaseStudy.current_round == Round.number,
        CaseStudy.state.in_(OPEN_FOR_REVIEW),
    )
    total = db.session.scalar(
        sa.select(sa.func.count(Round.id)).join(CaseStudy, CaseStudy.id == Round.study_id)
        .where(*where)
    )  # fmt: skip
    rows = db.session.execute(
        sa.select(Round.id, Round.number, Round.due_at, CaseStudy.id, CaseStudy.title,
                  Pillar.name, CaseStudy.state)
        .join(CaseStudy, CaseStudy.id == Round.study_id)
        .join(Pillar, Pillar.id == CaseStudy.pillar_id)
        .where(*where)
        .order_by(Round.due_at, Round.id)
        .limit(limit)
    ).all()  # fmt: skip
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
        .where(AffirmationWindow.closed_at.is_(None), AffirmationWindow.closes_at <= now + within,
               CaseStudy.state == S.in_affirmation)
        .order_by(AffirmationWindow.closes_at, AffirmationWindow.id)
        .limit(limit)
    ).all()  # fmt: skip
    ids = [w.id for w, _, _ in rows]
    tallies: dict[int, dict] = defaultdict(dict)
    for window_id, choice, n in db.session.execute(
        sa.select(Vote.window_id, Vote.choice, sa.func.count(Vote.id))
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


def notification_summary() -> dict[NotificationStatus, tuple[int, datetime | None]]:
    """Return {status: (rows, oldest created_at)}: one grouped statement."""
    rows = db.session.execute(
        sa.select(Notification.status, sa.func.count(Notification.id),
                  sa.func.min(Notification.created_at))
        .group_by(Notification.status)
    ).all()  # fmt: skip
    out = {s: (0, None) for s in NotificationStatus}
    for status, n, oldest in rows:
        if isinstance(oldest, str):  # SQLite returns min() of a timestamp as text
            oldest = datetime.fromisoformat(oldest).replace(tzinfo=UTC)
        out[NotificationStatus(status)] = (n, oldest)
    return out


def failed_notifications(limit: int = 20) -> list[Notification]:
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.status == NotificationStatus.failed)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))  # fmt: skip


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
        notifications=notification_summary(),
        failed=failed_notifications(),
        queue=queue_health(now),
        uncovered=pillars_without_cochairs(),
        pending_requests=db.session.scalar(
            sa.select(sa.func.count(AccessRequest.id)).where(
                AccessRequest.status == AccessRequestStatus.pending)
        ),
    )  # fmt: skip


# ---------------------------------------------------------------- affirmation windows


def extend_affirmation(
    staff: User, window: AffirmationWindow, closes_at: datetime, reason: str
) -> None:
    """Move an open affirmation window's deadline later, with a reason; flush only."""
    try:
        affirmation.extend(window, staff, closes_at, reason)
    except affirmation.AffirmationError as exc:
        raise StaffError(exc.message) from exc
