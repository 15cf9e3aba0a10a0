"""The staff console's reads: the lists the views page through (people, studies, notifications,
the audit log), and what the study, person, people and pillars pages show beside them, each a
fixed number of statements whatever the size of the data. review/views/staff.py loads nothing
itself but the row a URL names."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, load_only, selectinload

from models import (
    AccessRequest,
    AffirmationWindow,
    AuditEvent,
    CaseStudy,
    CochairAssignment,
    Conflict,
    Login,
    Notification,
    Pillar,
    Review,
    Round,
    StudyAuthor,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import (
    AccessRequestStatus,
    NotificationStatus,
    StudyState,
    UserKind,
)
from models.setting import DEFAULTS, get_settings
from review.workflow.context import OPEN_FOR_REVIEW


def pillars() -> list[Pillar]:
    """Return every pillar in the agenda's order, with its co-chairs: two statements."""
    return list(
        db.session.scalars(
            sa.select(Pillar)
            .order_by(Pillar.position)
            .options(selectinload(Pillar.cochair_assignments).joinedload(CochairAssignment.user))
        )
    )


def pillars_without_cochairs() -> list[Pillar]:
    """Return the pillars that have no active co-chair."""
    active = (
        sa.select(CochairAssignment.pillar_id)
        .join(User, User.id == CochairAssignment.user_id)
        .where(User.is_active.is_(True))
    )
    return list(
        db.session.scalars(
            sa.select(Pillar).where(Pillar.id.not_in(active)).order_by(Pillar.position)
        )
    )


def people_query(q: str = "", kind: str = "", status: str = "") -> sa.Select:
    """Return the people matching a search of name, email, office or jurisdiction."""
    stmt = sa.select(User).options(
        joinedload(User.cochair_assignments).joinedload(CochairAssignment.pillar)
    )
    if q:
        like = f"%{_escape_like(q.strip().lower())}%"
        stmt = stmt.where(
            sa.or_(
                *(
                    sa.func.lower(col).like(like, escape="\\")
                    for col in (
                        User.name,
                        User.email,
                        User.office,
                        User.jurisdiction,
                        User.organisation,
                    )
                )
            )
        )
    if kind in UserKind.__members__:
        stmt = stmt.where(User.kind == UserKind(kind))
    if status == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    elif status == "invited":
        stmt = stmt.where(User.password_hash.is_(None), User.is_active.is_(True))
    return stmt.order_by(User.name, User.id)


def pending_access_requests() -> list[AccessRequest]:
    """Return the access requests staff have not decided, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AccessRequest)
            .where(AccessRequest.status == AccessRequestStatus.pending)
            .order_by(AccessRequest.created_at)
        )
    )


def authored_by(user: User) -> list[CaseStudy]:
    """Return the studies the person authors, most recently changed first."""
    return list(
        db.session.scalars(
            sa.select(CaseStudy)
            .where(
                CaseStudy.id.in_(
                    sa.select(StudyAuthor.study_id).where(StudyAuthor.user_id == user.id)
                )
            )
            .order_by(CaseStudy.updated_at.desc())
        )
    )


def session_count(user: User) -> int:
    """Return how many sign-in sessions the person has open."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Login).where(Login.user_id == user.id)
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def settings() -> dict:
    """Return the current value of every global setting."""
    return get_settings(*DEFAULTS)


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
    """Return every study, in any state, filtered as the studies page asks.

    Only the columns the page shows are loaded (not the texts): touching another attribute
    of a row costs a statement.
    """
    stmt = sa.select(CaseStudy).options(
        load_only(
            CaseStudy.title,
            CaseStudy.pillar_id,
            CaseStudy.state,
            CaseStudy.state_changed_at,
            CaseStudy.created_by_id,
        ),
        joinedload(CaseStudy.pillar).load_only(Pillar.name),
        joinedload(CaseStudy.created_by).load_only(User.name),
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


def open_window(study: CaseStudy) -> AffirmationWindow | None:
    """Return the study's open affirmation window, if it has one."""
    return db.session.scalar(
        sa.select(AffirmationWindow)
        .where(AffirmationWindow.study_id == study.id, AffirmationWindow.closed_at.is_(None))
        .order_by(AffirmationWindow.id.desc())
        .limit(1)
    )


def past_draft_counts(pillar_rows: list[Pillar]) -> dict[int, int]:
    """Return {pillar id: studies past draft}: one grouped statement."""
    counts = dict(
        db.session.execute(
            sa.select(CaseStudy.pillar_id, sa.func.count())
            .where(CaseStudy.state != StudyState.draft)
            .group_by(CaseStudy.pillar_id)
        ).all()
    )
    return {p.id: counts.get(p.id, 0) for p in pillar_rows}


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
    return list(
        db.session.scalars(sa.select(Notification.kind).distinct().order_by(Notification.kind))
    )


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
    return list(
        db.session.scalars(sa.select(AuditEvent.event).distinct().order_by(AuditEvent.event))
    )
