"""Network affirmation, read: a study's window, who may vote, votes, comments, the tally and the
rule that decides it, and the windows whose deadline has passed."""

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from models import AffirmationWindow, CaseStudy, Comment, StudyAuthor, User, Vote
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind, VoteChoice
from models.setting import get_settings, setting_or_default, stored_setting
from review import policy


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


def latest_window_and_vote(study: CaseStudy, user) -> tuple[AffirmationWindow | None, Vote | None]:
    """Return the study's most recent window and the person's vote in it, in one statement."""
    user_id = user.id if policy.signed_in(user) else None
    row = db.session.execute(
        sa.select(AffirmationWindow, Vote)
        .outerjoin(Vote, sa.and_(Vote.window_id == AffirmationWindow.id, Vote.user_id == user_id))
        .where(AffirmationWindow.study_id == study.id)
        .order_by(AffirmationWindow.id.desc())
        .limit(1)
    ).first()
    return (row.AffirmationWindow, row.Vote) if row is not None else (None, None)


def is_open(window: AffirmationWindow, now: datetime | None = None) -> bool:
    return window.closed_at is None and (now or utcnow()) < window.closes_at


def eligible_voters(study_id: int, *columns) -> sa.Select:
    """Select the eligible voters (or the given columns of them): active members, co-chairs
    included, who are not authors of the study. The SQL twin of policy.may_vote."""
    authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == study_id)
    return sa.select(*(columns or (User,))).where(
        # "= true", not "IS true": SQLite uses the (kind, is_active, id) index only for "=".
        User.is_active == sa.true(),
        User.kind == UserKind.member,
        User.id.not_in(authors),
    )


def eligible_count(window: AffirmationWindow) -> int:
    """Count the window's eligible voters today (one statement)."""
    # count(*): the (kind, is_active, id) index of users alone answers it.
    return db.session.scalar(eligible_voters(window.study_id, sa.func.count()))


def open_windows_for(user) -> list[tuple[AffirmationWindow, CaseStudy, Vote | None]]:
    """Return the open windows with their study and the person's own vote, soonest first."""
    return db.session.execute(
        sa.select(AffirmationWindow, CaseStudy, Vote)
        .join(CaseStudy, CaseStudy.id == AffirmationWindow.study_id)
        .outerjoin(Vote, sa.and_(Vote.window_id == AffirmationWindow.id, Vote.user_id == user.id))
        .join(CaseStudy.pillar)
        # The page shows the pillar and asks, per row, whether the person is an author.
        .options(contains_eager(CaseStudy.pillar), selectinload(CaseStudy.authors))
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


# ---------------------------------------------------------------- the count and the rule


def tally(window: AffirmationWindow) -> Tally:
    """Count the window's votes in SQL (one statement); a changed vote counts once."""
    counts = dict(
        db.session.execute(
            # count(*), not count(id): the (window_id, choice) index alone answers it.
            sa.select(Vote.choice, sa.func.count())
            .where(Vote.window_id == window.id)
            .group_by(Vote.choice)
        ).all()
    )
    return Tally(counts.get(VoteChoice.affirm, 0), counts.get(VoteChoice.object, 0))


@dataclass(frozen=True)
class Counts:
    """What the page's status says of a window: its tally, the eligible voters (None when
    not asked) and the rule in force."""

    tally: Tally
    eligible: int | None
    min_votes: int
    threshold: Fraction


def counts(window: AffirmationWindow, eligible: bool) -> Counts:
    """Return the window's tally, its eligible count when `eligible`, and the rule, in one
    statement (each count answered by an index alone, as in `tally` and `eligible_count`)."""

    def votes(choice: VoteChoice) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.count())
            .where(Vote.window_id == window.id, Vote.choice == choice)
            .scalar_subquery()
        )

    keys = ("affirmation_min_votes", "affirmation_threshold")
    row = db.session.execute(
        sa.select(
            votes(VoteChoice.affirm),
            votes(VoteChoice.object),
            eligible_voters(window.study_id, sa.func.count()).scalar_subquery()
            if eligible
            else sa.null(),
            *(stored_setting(key) for key in keys),
        )
    ).one()
    min_votes, threshold = (setting_or_default(k, v) for k, v in zip(keys, row[3:], strict=True))
    return Counts(Tally(row[0], row[1]), row[2], int(min_votes), _fraction(threshold))


def _fraction(value) -> Fraction:
    """Read a threshold exactly: "2/3", "0.67", or a float such as 2/3 (as 2/3, not its binary)."""
    if isinstance(value, str):
        return Fraction(value.strip())
    return Fraction(value).limit_denominator(10**6)


def rule() -> tuple[int, Fraction]:
    """Return the current (minimum affirm votes, threshold) from the staff settings."""
    values = get_settings("affirmation_min_votes", "affirmation_threshold")
    return int(values["affirmation_min_votes"]), _fraction(values["affirmation_threshold"])


def affirmed_by(counts: Tally, min_votes: int, threshold: Fraction) -> bool:
    """Affirmed when affirm ≥ min_votes and affirm / (affirm + object) ≥ threshold."""
    if counts.total == 0 or counts.affirm < min_votes:
        return False
    return Fraction(counts.affirm, counts.total) >= threshold


def decide(window: AffirmationWindow) -> bool:
    """Apply the rule with the current settings to the window's votes."""
    return affirmed_by(tally(window), *rule())


def past_deadline(now: datetime | None = None) -> sa.Select:
    """Select the ids of the open windows whose deadline has passed."""
    return sa.select(AffirmationWindow.id).where(
        AffirmationWindow.closed_at.is_(None),
        AffirmationWindow.closes_at <= (now or utcnow()),
    )


def due_windows(now: datetime | None = None) -> list[int]:
    """Return the ids of the open windows whose deadline has passed, soonest first."""
    return list(db.session.scalars(past_deadline(now).order_by(AffirmationWindow.closes_at)))
