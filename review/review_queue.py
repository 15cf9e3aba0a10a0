"""The co-chair queue: waiting for me, waiting for others, recently decided.

Built from one query over the pillars' open studies and one over a page of the decided ones
(paged in SQL, newest first), each row carrying what the page shows (the current round, my
review, the authors' names and, for open ones, how many reviews count and how many co-chairs
are eligible) as joins and correlated subqueries, so the page costs the same few statements
whatever the queue's length and however many studies the pillar has published.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, load_only

from models import CaseStudy, CochairAssignment, Conflict, Pillar, Review, Round, StudyAuthor, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review import policy

# The queue lists the decided studies this many to a page, the most recently changed first.
DECIDED_SHOWN = 30
OPEN = (StudyState.submitted, StudyState.in_review)
# Pages past this one are empty at any size the network reaches; the bound keeps OFFSET an int.
LAST_PAGE = 100_000
# The columns of each row the queue reads (beside the keys).
STUDY_COLUMNS = ("title", "pillar_id", "state", "current_round", "state_changed_at", "version")
ROUND_COLUMNS = ("study_id", "number", "due_at", "decided_at", "tally")


@dataclass
class QueueEntry:
    study: CaseStudy
    round: Round | None
    mine: Review | None
    counted: int
    needed: int
    is_overdue: bool
    authors: str = ""


@dataclass
class Queue:
    waiting_for_me: list[QueueEntry] = field(default_factory=list)
    waiting_for_others: list[QueueEntry] = field(default_factory=list)
    decided: list[QueueEntry] = field(default_factory=list)
    decided_page: int = 1
    has_older: bool = False  # another page of decided studies follows this one


def _eligible(*columns) -> sa.Select:
    """Correlated to the outer study: its eligible co-chairs (reviews.eligible_reviewers).

    Correlated explicitly: nested in another subquery, auto-correlation would not reach the
    outer case_study, and each study would count the co-chairs of its whole pillar.
    """
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == CaseStudy.id)
    conflicted = sa.select(Conflict.user_id).where(Conflict.study_id == CaseStudy.id)
    return (
        sa.select(*columns)
        .select_from(User)
        .join(CochairAssignment, CochairAssignment.user_id == User.id)
        .where(
            CochairAssignment.pillar_id == CaseStudy.pillar_id,
            User.is_active.is_(True),
            User.kind == UserKind.member,
            User.id.not_in(authors.correlate(CaseStudy)),
            User.id.not_in(conflicted.correlate(CaseStudy)),
        )
        .correlate(CaseStudy)
    )


def _authors_names():
    """Correlated: the study's authors' names, comma-separated."""
    return (
        sa.select(sa.func.aggregate_strings(User.name, ", "))
        .join(StudyAuthor, StudyAuthor.user_id == User.id)
        .where(StudyAuthor.study_id == CaseStudy.id)
        .scalar_subquery()
    )


def _rows(user, mine, *columns) -> sa.Select:
    """The person's pillars' studies that have a round, with it and the person's review."""
    user_id = user.id if policy.signed_in(user) else 0
    query = (
        sa.select(CaseStudy, Round, mine, _authors_names(), *columns)
        .join(Pillar, Pillar.id == CaseStudy.pillar_id)
        .outerjoin(
            Round, sa.and_(Round.study_id == CaseStudy.id, Round.number == CaseStudy.current_round)
        )
        .outerjoin(mine, sa.and_(mine.round_id == Round.id, mine.reviewer_id == user_id))
        # Only what the page shows: a study's texts are most of its row.
        .options(
            contains_eager(CaseStudy.pillar),
            load_only(*(getattr(CaseStudy, c) for c in STUDY_COLUMNS)),
            load_only(*(getattr(Round, c) for c in ROUND_COLUMNS)),
            load_only(mine.recommendation),
        )
        .where(CaseStudy.current_round > 0)
    )
    if not policy.is_staff(user):
        query = query.where(CaseStudy.pillar_id.in_(policy.cochair_pillar_ids(user) or {0}))
    return query


def _open_rows(user, mine) -> sa.Select:
    """The open studies, each with its counted reviews, eligible co-chairs and the person's
    standing (author, conflicted), soonest due first (overdue ones are the soonest)."""
    counted = (
        sa.select(sa.func.count(Review.id))
        .where(
            Review.round_id == Round.id,
            sa.or_(
                Review.reviewer_id.in_(_eligible(User.id)),
                sa.func.length(Review.override_reason) > 0,
            ),
        )
        .correlate(Round)
        .scalar_subquery()
    )
    eligible_count = _eligible(sa.func.count(User.id)).scalar_subquery()
    user_id = user.id if policy.signed_in(user) else 0
    is_author = sa.exists().where(
        StudyAuthor.study_id == CaseStudy.id, StudyAuthor.user_id == user_id
    )
    is_conflicted = sa.exists().where(
        Conflict.study_id == CaseStudy.id, Conflict.user_id == user_id
    )
    return (
        _rows(user, mine, counted, eligible_count, is_author, is_conflicted)
        .where(CaseStudy.state.in_(OPEN))
        .order_by(Round.due_at, CaseStudy.id)
    )


def queue_for(user, decided_page: int = 1) -> Queue:
    """Return the person's review queue: waiting for me, waiting for others, decided.

    Co-chairs see their pillars; staff see every pillar. Overdue rounds come first. The
    decided (and published, declined, withdrawn) studies come a page of DECIDED_SHOWN at a
    time, most recently changed first: two statements whatever the size of the library.
    """
    mine = aliased(Review)
    now = utcnow()
    queue = Queue(decided_page=min(max(1, decided_page), LAST_PAGE))
    for row in db.session.execute(_open_rows(user, mine)).all():
        study, rnd, review, names, counted, eligible, is_author, is_conflicted = row
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
            queue.waiting_for_me.append(entry)
        else:
            queue.waiting_for_others.append(entry)
    # One row more than a page says whether there is an older page, without counting them all.
    decided = db.session.execute(
        _rows(user, mine)
        .where(CaseStudy.state.not_in(OPEN))
        .order_by(CaseStudy.state_changed_at.desc(), CaseStudy.id.desc())
        .offset((queue.decided_page - 1) * DECIDED_SHOWN)
        .limit(DECIDED_SHOWN + 1)
    ).all()
    queue.has_older = len(decided) > DECIDED_SHOWN
    for study, rnd, review, names in decided[:DECIDED_SHOWN]:
        tallied = sum((rnd.tally or {}).values()) if rnd is not None else 0
        queue.decided.append(QueueEntry(study, rnd, review, tallied, tallied, False, names or ""))
    return queue
