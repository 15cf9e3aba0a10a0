"""What the pages read about a study's path: its history and whose turn it is, since when."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from models import AffirmationWindow, AuditEvent, CaseStudy
from models.base import db
from review import reviews
from review.workflow.context import OPEN_FOR_REVIEW, S
from review.workflow.table import HISTORY_LABELS


def describe(ev: AuditEvent) -> str:
    """Say in one line what an audit event records, for people."""
    who = ev.actor.name if ev.actor is not None else _("The system")
    what = str(HISTORY_LABELS.get(ev.event, ev.event.replace("_", " ").capitalize())).lower()
    text = _("%(who)s: %(what)s", who=who, what=what)
    if ev.to_state and ev.to_state != ev.from_state:
        text += " " + _("(now %(state)s)", state=S(ev.to_state).label.lower())
    return text


# ---------------------------------------------------------------- reading: history, turn


def history(study: CaseStudy) -> list[AuditEvent]:
    """Return the study's audit events, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.study_id == study.id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


@dataclass
class Turn:
    whose: str
    since: object
    until: object | None = None


def whose_turn(study: CaseStudy) -> Turn:
    """Say whose turn it is and since when (and until when, where there is a deadline)."""
    since = study.state_changed_at
    state = study.state
    if state == S.draft:
        return Turn(_("The authors’: the study is being written"), since)
    if state in OPEN_FOR_REVIEW:
        rnd = reviews.current_round(study)
        waiting = [
            u.name for u in reviews.eligible_reviewers(study) if reviews.review_of(rnd, u) is None
        ]
        who = ", ".join(waiting) if waiting else _("staff (no co-chair can review it)")
        since = rnd.opened_at if rnd is not None else since
        return Turn(
            _("The co-chairs’ (round %(round)s): %(who)s", round=study.current_round, who=who),
            since,
            rnd.due_at if rnd is not None else None,
        )
    if state == S.changes_requested:
        return Turn(_("The authors’: revise the study and respond to the feedback"), since)
    if state == S.in_affirmation:
        window = db.session.scalar(
            sa.select(AffirmationWindow)
            .where(AffirmationWindow.study_id == study.id, AffirmationWindow.closed_at.is_(None))
            .order_by(AffirmationWindow.id.desc())
            .limit(1)
        )
        return Turn(
            _("The network’s: members are affirming it"),
            since,
            window.closes_at if window is not None else None,
        )
    if state == S.affirmed:
        return Turn(_("Staff’s: it is ready to publish"), since)
    return Turn(_("No one’s: it is %(state)s", state=state.label.lower()), since)
