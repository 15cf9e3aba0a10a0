"""Co-chair review: who may review a round, the reviews and their feedback items, the tally,
conflicts, and the authors' responses to the feedback.

These functions read and write review rows only; review/workflow.py calls them as the effects
of its transitions (review, override, declare_conflict, decide) so that every change of state
stays in one place. Each flushes, never commits.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from models import (
    CaseStudy,
    CochairAssignment,
    Conflict,
    FeedbackItem,
    Review,
    Round,
    StudyAuthor,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import FeedbackLevel, Recommendation, Section, StudyState, UserKind
from review import policy
from review.errors import OperationError

OVERALL_MAX = 20_000
ITEM_MAX = 5_000
RESPONSE_MAX = 5_000
ITEMS_MAX = 50


class ReviewError(OperationError):
    """What was sent cannot be recorded; the message says why, naming the field."""


@dataclass
class ItemInput:
    """One feedback item as typed: the section it is about, required or a suggestion, the text."""

    section: Section
    level: FeedbackLevel
    body: str


# ---------------------------------------------------------------- rounds and eligibility


def current_round(study: CaseStudy) -> Round | None:
    """Return the study's round n (the one its current_round names), or None before submission."""
    if not study.current_round:
        return None
    return db.session.scalar(
        sa.select(Round)
        .where(Round.study_id == study.id, Round.number == study.current_round)
        .options(selectinload(Round.reviews).selectinload(Review.items))
    )


def rounds_of(study: CaseStudy) -> list[Round]:
    """Return every round of the study, oldest first, with reviews and items loaded."""
    return list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.study_id == study.id)
            .order_by(Round.number)
            .options(selectinload(Round.reviews).selectinload(Review.items))
        )
    )


def conflicted_ids(study: CaseStudy) -> set[int]:
    return set(db.session.scalars(sa.select(Conflict.user_id).where(Conflict.study_id == study.id)))


def eligible_reviewers(study: CaseStudy) -> list[User]:
    """Return the pillar's active co-chairs who are not authors and declared no conflict."""
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == study.id)
    conflicted = sa.select(Conflict.user_id).where(Conflict.study_id == study.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .join(CochairAssignment, CochairAssignment.user_id == User.id)
            .where(
                CochairAssignment.pillar_id == study.pillar_id,
                User.is_active.is_(True),
                User.kind == UserKind.member,
                User.id.not_in(authors),
                User.id.not_in(conflicted),
            )
            .order_by(User.name, User.id)
        )
    )


def quorum(study: CaseStudy, eligible: int | None = None) -> int:
    """Return the reviews a round needs: the pillar's quorum capped by the eligible co-chairs."""
    if eligible is None:
        eligible = len(eligible_reviewers(study))
    return max(1, min(study.pillar.review_quorum, eligible))


def counted_reviews(study: CaseStudy, rnd: Round) -> list[Review]:
    """Return the round's reviews that count: by eligible co-chairs, or staff acting for them."""
    eligible = {u.id for u in eligible_reviewers(study)}
    rows = db.session.scalars(
        sa.select(Review).where(Review.round_id == rnd.id).order_by(Review.id)
    ).all()
    return [r for r in rows if r.reviewer_id in eligible or r.override_reason]


def tally(reviews: Iterable[Review]) -> dict[str, int]:
    counts = Counter(r.recommendation.value for r in reviews)
    return {rec.value: counts.get(rec.value, 0) for rec in Recommendation}


def outcome(counts: dict[str, int]) -> Recommendation:
    """Return the majority recommendation; a tie for the most votes means request changes."""
    top = max(counts.values())
    leaders = [k for k, v in counts.items() if v == top]
    if len(leaders) != 1:
        return Recommendation.request_changes
    return Recommendation(leaders[0])


def decision_due(study: CaseStudy) -> bool:
    """Whether the current round holds enough counted reviews and is not yet decided."""
    rnd = current_round(study)
    if rnd is None or rnd.decided_at is not None or study.state != StudyState.in_review:
        return False
    return len(counted_reviews(study, rnd)) >= quorum(study)


def review_of(rnd: Round | None, user) -> Review | None:
    if rnd is None or not policy.signed_in(user):
        return None
    return next((r for r in rnd.reviews if r.reviewer_id == user.id), None)


# ---------------------------------------------------------------- checking and writing reviews


def clean_review(recommendation, comment: str, items: Iterable) -> tuple:
    """Return (Recommendation, comment, [ItemInput]) or raise ReviewError naming the field."""
    try:
        rec = Recommendation(recommendation)
    except ValueError:
        raise ReviewError(
            _("Recommendation: choose approve, request changes or decline."), field="recommendation"
        ) from None
    comment = (comment or "").strip()
    if len(comment) > OVERALL_MAX:
        raise ReviewError(
            _(
                "Overall comment: keep it under %(overall_max)s characters.",
                overall_max=OVERALL_MAX,
            ),
            field="overall",
        )
    cleaned = []
    for n, item in enumerate(items or [], start=1):
        if isinstance(item, dict):
            item = ItemInput(item.get("section"), item.get("level"), item.get("body"))
        body = (item.body or "").strip()
        if not body:
            continue
        try:
            section = Section(item.section)
        except ValueError:
            raise ReviewError(_("Feedback item %(n)s, section: choose a section.", n=n)) from None
        try:
            level = FeedbackLevel(item.level or FeedbackLevel.required)
        except ValueError:
            raise ReviewError(
                _("Feedback item %(n)s: choose required or suggestion.", n=n)
            ) from None
        if len(body) > ITEM_MAX:
            raise ReviewError(
                _(
                    "Feedback item %(n)s: keep it under %(item_max)s characters.",
                    n=n,
                    item_max=ITEM_MAX,
                )
            )
        cleaned.append(ItemInput(section, level, body))
    if len(cleaned) > ITEMS_MAX:
        raise ReviewError(
            _("Feedback items: at most %(items_max)s.", items_max=ITEMS_MAX), field="items"
        )
    if rec == Recommendation.decline and not comment:
        raise ReviewError(_("Overall comment: say why you recommend declining."), field="overall")
    if rec == Recommendation.request_changes and not cleaned and not comment:
        raise ReviewError(_("Feedback items: say what should change."), field="items")
    return rec, comment, cleaned


def save_review(
    rnd: Round,
    reviewer,
    recommendation: Recommendation,
    comment: str,
    items: list[ItemInput],
    override_reason: str | None = None,
) -> Review:
    """Record or replace the reviewer's review of the round, with its items; flush only."""
    review = review_of(rnd, reviewer)
    now = utcnow()
    if review is None:
        review = Review(round=rnd, reviewer_id=reviewer.id, created_at=now)
        db.session.add(review)
    review.recommendation = recommendation
    review.comment = comment
    review.override_reason = override_reason
    review.updated_at = now
    review.items = [
        FeedbackItem(
            round_id=rnd.id,
            position=i,
            section=it.section,
            level=it.level,
            body=it.body,
            source="review",
        )
        for i, it in enumerate(items)
    ]
    db.session.flush()
    return review


def record_decision(rnd: Round, decision: Recommendation, counts: dict[str, int]) -> None:
    """Close the round with its decision and tally; flush only."""
    rnd.decision = decision
    rnd.tally = counts
    rnd.decided_at = utcnow()
    db.session.flush()


def add_conflict(study: CaseStudy, user, reason: str) -> Conflict:
    conflict = Conflict(study_id=study.id, user_id=user.id, reason=reason, created_at=utcnow())
    db.session.add(conflict)
    db.session.flush()
    return conflict


def open_round(study: CaseStudy, number: int, revision_id: int | None) -> Round:
    """Open round `number` with its due date from the pillar's settings; flush only."""
    now = utcnow()
    rnd = Round(
        study_id=study.id,
        number=number,
        revision_id=revision_id,
        opened_at=now,
        due_at=now + timedelta(days=study.pillar.review_due_days),
    )
    db.session.add(rnd)
    db.session.flush()
    return rnd


def add_objections(rnd: Round, objections: Iterable[str]) -> list[FeedbackItem]:
    """Carry the network's objections into round `rnd` as feedback items; flush only."""
    items = [
        FeedbackItem(
            round_id=rnd.id,
            position=i,
            section=Section.overview,
            level=FeedbackLevel.required,
            body=text,
            source="affirmation",
        )
        for i, text in enumerate(t.strip() for t in objections if t and t.strip())
    ]
    db.session.add_all(items)
    db.session.flush()
    return items


# ---------------------------------------------------------------- feedback and responses


def feedback_items(rnd: Round | None) -> list[FeedbackItem]:
    """Return every feedback item of the round (reviews' and the network's), in section order."""
    if rnd is None:
        return []
    order = {s: i for i, s in enumerate(Section)}
    items = db.session.scalars(
        sa.select(FeedbackItem)
        .where(FeedbackItem.round_id == rnd.id)
        .options(selectinload(FeedbackItem.review).selectinload(Review.reviewer))
        .order_by(FeedbackItem.review_id, FeedbackItem.position, FeedbackItem.id)
    ).all()
    return sorted(items, key=lambda it: order.get(it.section, 99))


def by_section(items: Iterable[FeedbackItem]) -> list[tuple[Section, list[FeedbackItem]]]:
    groups: dict[Section, list[FeedbackItem]] = {}
    for item in items:
        groups.setdefault(item.section, []).append(item)
    return list(groups.items())


def item_name(item: FeedbackItem) -> str:
    """Name an item so an author can find it: its section and the start of its text."""
    text = item.body if len(item.body) <= 60 else item.body[:57].rstrip() + "…"
    return f"{item.section.label}: “{text}”"


def unanswered(rnd: Round | None) -> list[FeedbackItem]:
    return [it for it in feedback_items(rnd) if not (it.response or "").strip()]


def save_responses(study: CaseStudy, actor, responses: dict[int, str]) -> int:
    """Write the authors' responses to the current round's items; flush only; return how many.

    Raise ReviewError when the study is not waiting for changes, the person is not an author,
    or a response is too long. Blank responses clear the item's response.
    """
    if not policy.is_author(actor, study):
        raise ReviewError(_("Only the authors can respond to the feedback."))
    if study.state != StudyState.changes_requested:
        raise ReviewError(
            _(
                "This study is %(state)s: responses are written while changes are requested.",
                state=study.state.label.lower(),
            )
        )
    items = {it.id: it for it in feedback_items(current_round(study))}
    now = utcnow()
    changed = 0
    for item_id, text in responses.items():
        item = items.get(item_id)
        if item is None:
            continue
        text = (text or "").strip()
        if len(text) > RESPONSE_MAX:
            raise ReviewError(
                _(
                    "Response to %(item)s: keep it under %(response_max)s characters.",
                    item=item_name(item),
                    response_max=RESPONSE_MAX,
                )
            )
        if (item.response or "") == text:
            continue
        item.response = text or None
        item.responded_at = now if text else None
        item.responded_by_id = actor.id if text else None
        changed += 1
    db.session.flush()
    return changed
