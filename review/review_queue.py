"""The co-chair queue: waiting for me, waiting for others, recently decided.

Built from one query over the pillars' open studies and one over the recently decided, each
row carrying what the page shows (the current round, my review, how many reviews count, how
many co-chairs are eligible, the authors' names) as joins and correlated subqueries, so the
page costs the same few statements whatever the queue's length.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from models import CaseStudy, CochairAssignment, Conflict, Pillar, Review, Round, StudyAuthor, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review import policy

# The queue lists this many of the most recently decided studies.
DECIDED_SHOWN = 30
OPEN = (StudyState.submitted, StudyState.in_review)


@dataclass
class QueueEntry:
    study: CaseStudy
    round: Round | None
    mine: Review | None
    counted: int
    needed: int
    is_overdue: bool
    authors: str = ""


def _eligible_ids():
    """Correlated: the ids of the study's eligible co-chairs (reviews.eligible_reviewers)."""
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == CaseStudy.id)
    conflicted = sa.select(Conflict.user_id).where(Conflict.study_id == CaseStudy.id)
    return (
        sa.select(User.id)
        .join(CochairAssignment, CochairAssignment.user_id == User.id)
        .where(
            CochairAssignment.pillar_id == CaseStudy.pillar_id,
            User.is_active.is_(True),
            User.kind == UserKind.member,
            User.id.not_in(authors),
            User.id.not_in(conflicted),
        )
    )


def _query(user, mine):
    eligible = _eligible_ids()
    counted = (
        sa.select(sa.func.count(Review.id))
        .where(
            Review.round_id == Round.id,
            sa.or_(Review.reviewer_id.in_(eligible), sa.func.length(Review.override_reason) > 0),
        )
        .scalar_subquery()
    )
    eligible_count = sa.select(sa.func.count()).select_from(eligible.subquery()).scalar_subquery()
    names = (
        sa.select(sa.func.aggregate_strings(User.name, ", "))
        .join(StudyAuthor, StudyAuthor.user_id == User.id)
        .where(StudyAuthor.study_id == CaseStudy.id)
        .scalar_subquery()
    )
    user_id = user.id if policy.signed_in(user) else 0
    is_author = sa.exists().where(StudyAuthor.study_id == CaseStudy.id,
                                  StudyAuthor.user_id == user_id)  # fmt: skip
    is_conflicted = sa.exists().where(
        Conflict.study_id == CaseStudy.id, Conflict.user_id == user_id
    )
    query = (
        sa.select(CaseStudy, Round, mine, counted, eligible_count, names, is_author, is_conflicted)
        .join(Pillar, Pillar.id == CaseStudy.pillar_id)
        .outerjoin(Round, sa.and_(Round.study_id == CaseStudy.id,
                                  Round.number == CaseStudy.current_round))
        .outerjoin(mine, sa.and_(mine.round_id == Round.id, mine.reviewer_id == user_id))
        .options(contains_eager(CaseStudy.pillar))
        .where(CaseStudy.current_round > 0)
    )  # fmt: skip
    if not policy.is_staff(user):
        query = query.where(CaseStudy.pillar_id.in_(policy.cochair_pillar_ids(user) or {0}))
    return query


def queue_for(user) -> dict[str, list[QueueEntry]]:
    """Return the person's review queue: waiting for me, waiting for others, decided.

    Co-chairs see their pillars; staff see every pillar. Overdue rounds come first.
    """
    mine = aliased(Review)
    query = _query(user, mine)
    now = utcnow()
    out: dict[str, list[QueueEntry]] = {
        "waiting_for_me": [],
        "waiting_for_others": [],
        "decided": [],
    }
    open_rows = db.session.execute(query.where(CaseStudy.state.in_(OPEN))).all()
    for study, rnd, review, counted, eligible, names, is_author, is_conflicted in open_rows:
        entry = QueueEntry(
            study=study,
            round=rnd,
            mine=review,
            counted=counted or 0 if rnd is not None else 0,
            needed=max(1, min(study.pillar.review_quorum, eligible)),
            is_overdue=bool(rnd is not None and rnd.due_at < now),
            authors=names or "",
        )
        may_review = (
            policy.is_member(user)
            and study.pillar_id in policy.cochair_pillar_ids(user)
            and not is_author
            and not is_conflicted
        )
        if review is None and (may_review or (policy.is_staff(user) and not eligible)):
            out["waiting_for_me"].append(entry)
        else:
            out["waiting_for_others"].append(entry)
    for key in ("waiting_for_me", "waiting_for_others"):
        out[key].sort(key=lambda e: (not e.is_overdue, e.round.due_at if e.round else now))
    decided = db.session.execute(
        query.where(CaseStudy.state.not_in(OPEN))
        .order_by(CaseStudy.state_changed_at.desc(), CaseStudy.id.desc())
        .limit(DECIDED_SHOWN)
    ).all()
    for study, rnd, review, _counted, _eligible, names, _author, _conflicted in decided:
        tallied = sum((rnd.tally or {}).values()) if rnd is not None else 0
        out["decided"].append(QueueEntry(study, rnd, review, tallied, tallied, False, names or ""))
    return out
