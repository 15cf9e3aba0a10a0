"""Network affirmation (SPEC §4): votes, feedback comments, the tally, the rule, and closing or
extending a window. Operations flush, never commit; the request, job or sweep commits.

A window is locked by a conditional UPDATE of its own row before anything that must not race
its close (a vote, the close itself, an extension). PostgreSQL then holds the row lock until
commit and re-checks the condition after a concurrent close commits; SQLite takes its single
write lock on that first write. So a vote racing the close is either in the count or refused
with a message, never silently lost and never counted after the close.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from models import AffirmationWindow, AuditEvent, CaseStudy, Comment, StudyAuthor, User, Vote
from models.clock import utcnow
from models.enums import FeedbackLevel, Section, StudyState, UserKind, VoteChoice
from models.review import FeedbackItem
from models.setting import get_setting
from review import policy, reviews, workflow
from review.extensions import db
from review.markdown import render

REASON_MAX = 5_000
COMMENT_MAX = 10_000
# Members who have not voted hear from us this long before the deadline.
REMINDER_BEFORE = timedelta(hours=48)


class AffirmationError(Exception):
    """The vote, comment or extension was refused; nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Tally:
    affirm: int
    object: int

    @property
    def total(self) -> int:
        return self.affirm + self.object


# ---------------------------------------------------------------- finding windows and people


def latest_window(study: CaseStudy) -> AffirmationWindow | None:
    """Return the study's most recent window (open or closed), or None."""
    return db.session.scalar(
        sa.select(AffirmationWindow)
        .where(AffirmationWindow.study_id == study.id)
        .order_by(AffirmationWindow.id.desc())
        .limit(1)
    )


def is_open(window: AffirmationWindow, now: datetime | None = None) -> bool:
    return window.closed_at is None and (now or utcnow()) < window.closes_at


def eligible_voters(study_id: int, *columns) -> sa.Select:
    """Select the eligible voters (or the given columns of them): active members, co-chairs
    included, who are not authors of the study. The SQL twin of policy.may_vote."""
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == study_id)
    return sa.select(*(columns or (User,))).where(
        User.is_active.is_(True), User.kind == UserKind.member, User.id.not_in(authors)
    )


def eligible_count(window: AffirmationWindow) -> int:
    """Count the window's eligible voters today (one statement)."""
    return db.session.scalar(eligible_voters(window.study_id, sa.func.count(User.id)))


def open_windows_for(user) -> list[tuple[AffirmationWindow, CaseStudy, Vote | None]]:
    """Return the open windows with their study and the person's own vote, soonest first."""
    return db.session.execute(
        sa.select(AffirmationWindow, CaseStudy, Vote)
        .join(CaseStudy, CaseStudy.id == AffirmationWindow.study_id)
        .outerjoin(Vote, sa.and_(Vote.window_id == AffirmationWindow.id, Vote.user_id == user.id))
        .where(
            AffirmationWindow.closed_at.is_(None),
            AffirmationWindow.closes_at > utcnow(),
            CaseStudy.state == StudyState.in_affirmation,
        )
        .order_by(AffirmationWindow.closes_at, AffirmationWindow.id)
    ).all()


def vote_of(window: AffirmationWindow, user) -> Vote | None:
    if not policy.signed_in(user):
        return None
    return db.session.scalar(
        sa.select(Vote).where(Vote.window_id == window.id, Vote.user_id == user.id)
    )


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
    return f"Voting closed on {when:%-d %b %Y, %H:%M} UTC: your vote was not recorded."


def cast_vote(window: AffirmationWindow, user, choice: str | VoteChoice, reason: str = "") -> Vote:
    """Record or change the person's vote; flush only. Raise AffirmationError when refused.

    An objection needs a reason. Refused once the deadline passed or the window closed; the
    check is made under the window's lock, so a close racing this vote counts it or refuses it.
    """
    study = _study_of(window)
    if not policy.may_vote(user, study):
        if policy.is_author(user, study):
            raise AffirmationError("Authors cannot vote on their own study.")
        raise AffirmationError("Only members of the network (not partners or staff) can vote.")
    try:
        choice = VoteChoice(choice)
    except ValueError:
        raise AffirmationError("Vote: choose affirm or object.") from None
    reason = (reason or "").strip()
    if choice == VoteChoice.object and not reason:
        raise AffirmationError("Reason: say why you object; the co-chairs and authors read it.")
    if len(reason) > REASON_MAX:
        raise AffirmationError(f"Reason: keep it under {REASON_MAX:,} characters.")
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


# ---------------------------------------------------------------- comments


def comments_of(window: AffirmationWindow) -> list[tuple[Comment, list[Comment]]]:
    """Return the window's top-level comments, oldest first, each with its replies."""
    rows = db.session.scalars(
        sa.select(Comment)
        .where(Comment.window_id == window.id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    replies: dict[int, list[Comment]] = {}
    for c in rows:
        if c.parent_id is not None:
            replies.setdefault(c.parent_id, []).append(c)
    return [(c, replies.get(c.id, [])) for c in rows if c.parent_id is None]


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
            raise AffirmationError("Authors and co-chairs reply to the network's comments.")
        raise AffirmationError("Only members and partners can comment.")
    if parent is not None:
        if parent.window_id != window.id:
            raise AffirmationError("That comment is not part of this affirmation.")
        if not policy.may_reply(user, study):
            raise AffirmationError("You cannot reply to comments on this study.")
        if parent.parent_id is not None:
            parent = db.session.get(Comment, parent.parent_id)
    body = (body or "").strip()
    if not body:
        raise AffirmationError("Comment: write something first.")
    if len(body) > COMMENT_MAX:
        raise AffirmationError(f"Comment: keep it under {COMMENT_MAX:,} characters.")
    if not is_open(window):
        raise AffirmationError("This affirmation has closed: comments are no longer taken.")
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


# ---------------------------------------------------------------- the count and the rule


def tally(window: AffirmationWindow) -> Tally:
    """Count the window's votes in SQL (one statement); a changed vote counts once."""
    counts = dict(
        db.session.execute(
            sa.select(Vote.choice, sa.func.count(Vote.id))
            .where(Vote.window_id == window.id)
            .group_by(Vote.choice)
        ).all()
    )
    return Tally(counts.get(VoteChoice.affirm, 0), counts.get(VoteChoice.object, 0))


def _fraction(value) -> Fraction:
    """Read a threshold exactly: "2/3", "0.67", or a float such as 2/3 (as 2/3, not its binary)."""
    if isinstance(value, str):
        return Fraction(value.strip())
    return Fraction(value).limit_denominator(10**6)


def rule() -> tuple[int, Fraction]:
    """Return the current (minimum affirm votes, threshold) from the staff settings."""
    return int(get_setting("affirmation_min_votes")), _fraction(
        get_setting("affirmation_threshold")
    )


def affirmed_by(counts: Tally, min_votes: int, threshold: Fraction) -> bool:
    """Affirmed when affirm ≥ min_votes and affirm / (affirm + object) ≥ threshold."""
    if counts.total == 0 or counts.affirm < min_votes:
        return False
    return Fraction(counts.affirm, counts.total) >= threshold


def decide(window: AffirmationWindow) -> bool:
    """Apply the rule with the current settings to the window's votes."""
    return affirmed_by(tally(window), *rule())


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


def due_windows(now: datetime | None = None) -> list[int]:
    """Return the ids of the open windows whose deadline has passed."""
    return list(
        db.session.scalars(
            sa.select(AffirmationWindow.id)
            .where(
                AffirmationWindow.closed_at.is_(None),
                AffirmationWindow.closes_at <= (now or utcnow()),
            )
            .order_by(AffirmationWindow.closes_at)
        )
    )


# ---------------------------------------------------------------- extending


def extend(window: AffirmationWindow, staff, new_closes_at: datetime, reason: str) -> AuditEvent:
    """Move the deadline later (staff, with a reason), recorded in the history; flush only.

    The close job of the old deadline finds the window not yet due and schedules itself for
    the new one (the sweep closes it too). The 48-hour reminder goes again if still ahead.
    """
    if not policy.may_extend_affirmation(staff):
        raise AffirmationError("Only staff can extend an affirmation.")
    reason = (reason or "").strip()
    if not reason:
        raise AffirmationError("Reason: say why the deadline moves (it is recorded).")
    if len(reason) > REASON_MAX:
        raise AffirmationError(f"Reason: keep it under {REASON_MAX:,} characters.")
    if new_closes_at.tzinfo is None:
        raise AffirmationError("New deadline: give a time zone (UTC).")
    if not _lock(window, open_until=utcnow()):
        raise AffirmationError("This affirmation has closed: its deadline cannot change.")
    old = window.closes_at
    if new_closes_at <= old:
        raise AffirmationError(
            "New deadline: it must be later than the current one; a deadline is never shortened."
        )
    window.closes_at = new_closes_at
    if new_closes_at - REMINDER_BEFORE > utcnow():
        window.reminder_sent_at = None
    study = _study_of(window)
    audit = AuditEvent(
        actor_id=staff.id,
        study_id=study.id,
        event="affirmation_extended",
        from_state=study.state.value,
        to_state=study.state.value,
        round_number=window.round_number,
        comment=f"Deadline moved from {old:%-d %b %Y, %H:%M} to "
        f"{new_closes_at.astimezone(old.tzinfo):%-d %b %Y, %H:%M} UTC.",
        override_reason=reason,
        data={"window_id": window.id, "from": old.isoformat(), "to": new_closes_at.isoformat()},
        created_at=utcnow(),
    )
    db.session.add(audit)
    db.session.flush()
    return audit
