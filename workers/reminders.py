"""Review reminders and escalation, run by the sweep; each checks again when it is sent.

A round of co-chair review is due `review_due_days` after it opened. Three days before, and
again once it is overdue, the co-chairs who have not reviewed it hear about it; at twice the
due days staff do. The round's *_reminded_at / escalated_at columns make each step happen once,
and the rows' dedupe keys make a re-run write nothing new.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import CaseStudy, CochairAssignment, Conflict, Review, Round, StudyAuthor, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review.notify import notify, subject_for
from workers.mail import relevance_check

DUE_SOON = timedelta(days=3)
OPEN_STATES = (StudyState.submitted, StudyState.in_review)


def due_rounds(now) -> sa.Select:
    """Select the current open rounds of the studies under review that may have a step due,
    the rounds alone: a study is loaded only for a round that has one.

    Every step comes due no earlier than three days before the due date (the escalation, at
    twice the due days, comes after it), so rounds due later are not read at all. The states
    are written into the SQL as literals, so that SQLite sees the partial index of the studies
    under review applies (ix_case_study_under_review) and starts from those few studies, not
    from the open rounds of every withdrawn or declined study.
    """
    under_review = sa.bindparam(
        "under_review", list(OPEN_STATES), expanding=True, literal_execute=True
    )
    return (
        sa.select(Round)
        .join(CaseStudy, CaseStudy.id == Round.study_id)
        .where(
            Round.decided_at.is_(None),
            Round.due_at <= now + DUE_SOON,
            CaseStudy.state.in_(under_review),
            CaseStudy.current_round == Round.number,
        )
    )


def waiting_reviewers(rnd: Round, study: CaseStudy) -> list[User]:
    """Return the pillar's active co-chairs who may review the round and have not yet."""
    reviewed = sa.select(Review.reviewer_id).where(Review.round_id == rnd.id)
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == study.id)
    conflicted = sa.select(Conflict.user_id).where(Conflict.study_id == study.id)
    return list(
        db.session.scalars(
            sa.select(User)
            .join(CochairAssignment, CochairAssignment.user_id == User.id)
            .where(
                CochairAssignment.pillar_id == study.pillar_id,
                User.is_active.is_(True),
                User.id.not_in(reviewed),
                User.id.not_in(authors),
                User.id.not_in(conflicted),
            )
            .order_by(User.id)
        )
    )


def _context(rnd: Round, study: CaseStudy, **extra) -> dict:
    return {
        "path": f"/cochair/studies/{study.id}",
        "round_id": rnd.id,
        "round": rnd.number,
        "title": study.title,
        "pillar": study.pillar.name,
        "due_at": rnd.due_at.isoformat(),
        "reviews": len(rnd.reviews),
        "quorum": study.pillar.review_quorum,
        **extra,
    }


def remind_reviews() -> int:
    """Send the due-soon, overdue and escalation emails that have come due; flush only."""
    now = utcnow()
    written = 0
    for rnd in db.session.scalars(due_rounds(now).order_by(Round.id)).all():
        overdue = rnd.overdue_reminded_at is None and now >= rnd.due_at
        due_soon = rnd.due_soon_reminded_at is None and now >= rnd.due_at - DUE_SOON
        stalled = rnd.escalated_at is None and now >= rnd.opened_at + 2 * (
            rnd.due_at - rnd.opened_at
        )
        if not (overdue or due_soon or stalled):
            continue
        study = db.session.get(CaseStudy, rnd.study_id)
        if overdue:
            written += len(
                notify(
                    "review_overdue",
                    waiting_reviewers(rnd, study),
                    subject=subject_for(
                        study, _l("Review overdue (round %(round)s)", round=rnd.number)
                    ),
                    event_key=str(rnd.id),
                    study=study,
                    context=_context(rnd, study),
                )
            )
            rnd.overdue_reminded_at = now
            rnd.due_soon_reminded_at = rnd.due_soon_reminded_at or now
        elif due_soon:
            written += len(
                notify(
                    "review_due_soon",
                    waiting_reviewers(rnd, study),
                    subject=subject_for(
                        study, _l("Review due in 3 days (round %(round)s)", round=rnd.number)
                    ),
                    event_key=str(rnd.id),
                    study=study,
                    context=_context(rnd, study),
                )
            )
            rnd.due_soon_reminded_at = now
        if stalled:
            staff = db.session.scalars(
                sa.select(User).where(User.kind == UserKind.staff, User.is_active.is_(True))
            ).all()
            waiting = waiting_reviewers(rnd, study)
            written += len(
                notify(
                    "review_escalation",
                    staff,
                    subject=subject_for(
                        study,
                        _l("Review stalled: round %(round)s is long overdue", round=rnd.number),
                    ),
                    event_key=str(rnd.id),
                    study=study,
                    context=_context(
                        rnd, study, path=f"/studies/{study.id}", waiting=[u.name for u in waiting]
                    ),
                )
            )
            rnd.escalated_at = now
    db.session.flush()
    return written


def _round_still_open(row) -> Round | None:
    rnd = db.session.get(Round, (row.context or {}).get("round_id"))
    if rnd is None or rnd.decided_at is not None:
        return None
    study = db.session.get(CaseStudy, rnd.study_id)
    if study is None or study.state not in OPEN_STATES or study.current_round != rnd.number:
        return None
    return rnd


@relevance_check("review_due_soon")
@relevance_check("review_overdue")
def _reviewer_still_awaited(row) -> bool:
    """The round is still open and this co-chair has still not reviewed it."""
    rnd = _round_still_open(row)
    if rnd is None:
        return False
    return (
        db.session.scalar(
            sa.select(sa.func.count(Review.id)).where(
                Review.round_id == rnd.id, Review.reviewer_id == row.recipient_id
            )
        )
        == 0
    )


@relevance_check("review_escalation")
def _round_still_stalled(row) -> bool:
    return _round_still_open(row) is not None
