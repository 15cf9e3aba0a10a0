"""Network affirmation (SPEC §4): votes, feedback comments, the tally, the rule, and closing or
extending a window. Operations flush, never commit; the request, job or sweep commits.

A window is locked by a conditional UPDATE of its own row before anything that must not race
its close (a vote, the close itself, an extension). PostgreSQL then holds the row lock until
commit and re-checks the condition after a concurrent close commits; SQLite takes its single
write lock on that first write. So a vote racing the close is either in the count or refused
with a message, never silently lost and never counted after the close.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from models import AffirmationWindow, AuditEvent, CaseStudy, Comment, Vote
from models.base import db
from models.clock import utcnow
from models.enums import FeedbackLevel, Section, StudyState, VoteChoice
from models.review import FeedbackItem
from review import policy, reviews, workflow
from review.affirmation.queries import affirmed_by, comments_of, is_open, rule, tally, vote_of
from review.audit import record
from review.errors import OperationError
from review.infra.markdown import render

REASON_MAX = 5_000
COMMENT_MAX = 10_000
# Members who have not voted hear from us this long before the deadline.
REMINDER_BEFORE = timedelta(hours=48)


class AffirmationError(OperationError):
    """The vote, comment or extension was refused; nothing was written."""


# ---------------------------------------------------------------- locking


def _lock(window: AffirmationWindow, *, open_until: datetime | None = None) -> bool:
    """Lock the window's row if it is still open (and, given a time, not yet due); reload it.

    Returns False, with nothing locked on PostgreSQL, when it was closed (or is due).
    """
    table = AffirmationWindow.__table__
    condition = [table.c.id == window.id, table.c.closed_at.is_(None)]
    if open_until is not None:
        condition.append(table.c.closes_at > open_until)
    # A no-op write: it takes the row lock (PostgreSQL) or the write lock (SQLite) and, on
    # PostgreSQL, re-evaluates the condition once a concurrent close has committed.
    result = db.session.execute(
        sa.update(table)
        .where(*condition)
        .values(reminder_sent_at=table.c.reminder_sent_at)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.select(AffirmationWindow)
        .where(AffirmationWindow.id == window.id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return result.rowcount == 1


# ---------------------------------------------------------------- voting


def _study_of(window: AffirmationWindow) -> CaseStudy:
    return db.session.get(CaseStudy, window.study_id)


def _closed_message(window: AffirmationWindow) -> str:
    when = window.closed_at or window.closes_at
    return _(
        "Voting closed on %(when)s UTC: your vote was not recorded.",
        when=when.strftime("%-d %b %Y, %H:%M"),
    )


def cast_vote(window: AffirmationWindow, user, choice: str | VoteChoice, reason: str = "") -> Vote:
    """Record or change the person's vote; flush only. Raise AffirmationError when refused.

    An objection needs a reason. Refused once the deadline passed or the window closed; the
    check is made under the window's lock, so a close racing this vote counts it or refuses it.
    """
    study = _study_of(window)
    if not policy.may_vote(user, study):
        if policy.is_author(user, study):
            raise AffirmationError(_("Authors cannot vote on their own study."))
        raise AffirmationError(_("Only members of the network (not partners or staff) can vote."))
    try:
        choice = VoteChoice(choice)
    except ValueError:
        raise AffirmationError(_("Vote: choose affirm or object."), field="choice") from None
    reason = (reason or "").strip()
    if choice == VoteChoice.object and not reason:
        raise AffirmationError(
            _("Reason: say why you object; the co-chairs and authors read it."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise AffirmationError(
            _("Reason: keep it under %(max)s characters.", max=format(REASON_MAX, ",")),
            field="reason",
        )
    if not _lock(window, open_until=utcnow()):
        raise AffirmationError(_closed_message(window))
    vote = vote_of(window, user)
    if vote is None:
        vote = Vote(window_id=window.id, user_id=user.id, choice=choice, reason=reason)
        db.session.add(vote)
    else:
        vote.choice = choice
        vote.reason = reason
        vote.updated_at = utcnow()
    db.session.flush()
    return vote


def post_comment(
    window: AffirmationWindow, user, body: str, parent: Comment | None = None
) -> Comment:
    """Post a feedback comment, or a reply to one; flush only. Raise AffirmationError.

    Members and partners who are not authors comment; the authors and the pillar's co-chairs
    may also reply. Replies hang off the top-level comment, one level deep.
    """
    study = _study_of(window)
    if parent is None and not policy.may_comment(user, study):
        if policy.may_reply(user, study):
            raise AffirmationError(_("Authors and co-chairs reply to the network's comments."))
        raise AffirmationError(_("Only members and partners can comment."))
    if parent is not None:
        if parent.window_id != window.id:
            raise AffirmationError(_("That comment is not part of this affirmation."))
        if not policy.may_reply(user, study):
            raise AffirmationError(_("You cannot reply to comments on this study."))
        if parent.parent_id is not None:
            parent = db.session.get(Comment, parent.parent_id)
    body = (body or "").strip()
    if not body:
        raise AffirmationError(_("Comment: write something first."), field="body")
    if len(body) > COMMENT_MAX:
        raise AffirmationError(
            _("Comment: keep it under %(max)s characters.", max=format(COMMENT_MAX, ",")),
            field="body",
        )
    if not is_open(window):
        raise AffirmationError(_("This affirmation has closed: comments are no longer taken."))
    comment = Comment(
        window_id=window.id,
        author_id=user.id,
        parent_id=parent.id if parent is not None else None,
        body_md=body,
        body_html=render(body),
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    return comment


# ---------------------------------------------------------------- closing


def _objections(window: AffirmationWindow) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Vote.reason)
            .where(Vote.window_id == window.id, Vote.choice == VoteChoice.object)
            .order_by(Vote.id)
        )
    )


def _carry_comments(window: AffirmationWindow, study: CaseStudy) -> int:
    """Add the network's comments (not the authors' replies) to the new round as suggestions."""
    rnd = reviews.current_round(study)
    authors = study.author_ids
    comments = [
        c for c, _ in comments_of(window) if c.author_id not in authors and c.body_md.strip()
    ]
    start = len(reviews.feedback_items(rnd))
    db.session.add_all(
        FeedbackItem(
            round_id=rnd.id,
            position=start + i,
            section=Section.overview,
            level=FeedbackLevel.suggestion,
            body=f"Network comment from {c.author.name}: {c.body_md.strip()}",
            source="affirmation",
        )
        for i, c in enumerate(comments)
    )
    db.session.flush()
    return len(comments)


def close(window: AffirmationWindow, now: datetime | None = None) -> bool:
    """Close the window now: count, decide, record the tally, move the study; flush only.

    Idempotent: returns False, doing nothing, when the window was already closed.
    """
    now = now or utcnow()
    if not _lock(window):
        return False
    study = db.session.get(CaseStudy, window.study_id, populate_existing=True)
    counts = tally(window)
    min_votes, threshold = rule()
    affirmed = affirmed_by(counts, min_votes, threshold)
    window.closed_at = now
    window.affirm_count = counts.affirm
    window.object_count = counts.object
    if study is None or study.state != StudyState.in_affirmation:
        # The study left affirmation another way (withdrawn): the vote has nothing to decide.
        window.result = "void"
        db.session.flush()
        return True
    window.result = "affirmed" if affirmed else "returned"
    db.session.flush()
    workflow.apply(
        study,
        "close_affirmation",
        None,
        comment=(
            f"Tally: {counts.affirm} affirm, {counts.object} object "
            f"(needed {min_votes} affirm votes and {float(threshold):.0%} of the votes)."
        ),
        affirmed=affirmed,
        affirm_count=counts.affirm,
        object_count=counts.object,
        objections=_objections(window),
    )
    if not affirmed:
        _carry_comments(window, study)
    return True


# ---------------------------------------------------------------- extending


def extend(window: AffirmationWindow, staff, new_closes_at: datetime, reason: str) -> AuditEvent:
    """Move the deadline later (staff, with a reason), recorded in the history; flush only.

    The close job of the old deadline finds the window not yet due and schedules itself for
    the new one (the sweep closes it too). The 48-hour reminder goes again if still ahead.
    """
    if not policy.may_extend_affirmation(staff):
        raise AffirmationError(_("Only staff can extend an affirmation."))
    reason = (reason or "").strip()
    if not reason:
        raise AffirmationError(
            _("Reason: say why the deadline moves (it is recorded)."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise AffirmationError(
            _("Reason: keep it under %(max)s characters.", max=format(REASON_MAX, ",")),
            field="reason",
        )
    if new_closes_at.tzinfo is None:
        raise AffirmationError(_("New deadline: give a time zone (UTC)."), field="closes_at")
    if not _lock(window, open_until=utcnow()):
        raise AffirmationError(_("This affirmation has closed: its deadline cannot change."))
    old = window.closes_at
    if new_closes_at <= old:
        raise AffirmationError(
            _("New deadline: it must be later than the current one; a deadline is never shortened.")
        )
    window.closes_at = new_closes_at
    if new_closes_at - REMINDER_BEFORE > utcnow():
        window.reminder_sent_at = None
    study = _study_of(window)
    return record(
        staff,
        "affirmation_extended",
        study=study,
        from_state=study.state,
        to_state=study.state,
        round_number=window.round_number,
        comment=f"Deadline moved from {old:%-d %b %Y, %H:%M} to "
        f"{new_closes_at.astimezone(old.tzinfo):%-d %b %Y, %H:%M} UTC.",
        override_reason=reason,
        data={"window_id": window.id, "from": old.isoformat(), "to": new_closes_at.isoformat()},
    )
