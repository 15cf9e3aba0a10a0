"""Broadcasts: an email owed to a whole audience, written as one row with the event that owes it.

A transition that tells the network (a window opened, its closing reminder, a study newly
published) writes one Broadcast row in its own transaction: the kind, the audience as a
declared name with parameters, the event key, and the progress the job will move. It never
calls a job: the row is the truth, the queue only wakes the job up (workers.fanout), and the
sweep resumes any broadcast that is unfinished and that no job holds.

An audience is a name the job declares (workers.fanout.AUDIENCES) with the parameters it
needs, never a list of people: the row stays small whatever the size of the network.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from models import AffirmationWindow, Broadcast, CaseStudy
from models.base import db
from models.clock import utcnow
from models.enums import NotificationCategory
from review.notify import in_each_locale, subject_for

# The context key of a broadcast's subject in each language (the fan-out gives each row its own).
SUBJECTS = "subjects"

# Session.info key: ids of broadcasts whose job is to be woken once the transaction commits.
WAKE = "wake_broadcasts"


def start(
    kind: str,
    audience_name: str,
    *,
    params: dict,
    event_key: str,
    subject,
    context: dict,
    study: CaseStudy | None = None,
    category: NotificationCategory = NotificationCategory.network,
) -> Broadcast:
    """Write the broadcast row in the caller's transaction; flush, never commit.

    Idempotent: the same kind, audience and event owe one broadcast, however often called.
    `subject` is marked for translation: it is written once in each language.
    """
    key = f"{kind}:{audience_name}:{event_key}"
    existing = db.session.scalar(sa.select(Broadcast).where(Broadcast.dedupe_key == key))
    if existing is not None:
        return existing
    subjects = in_each_locale(subject)
    row = Broadcast(
        dedupe_key=key,
        kind=kind,
        audience=audience_name,
        params=params,
        event_key=event_key,
        category=category,
        study_id=study.id if study is not None else None,
        subject=subjects["en"],
        context={**context, SUBJECTS: subjects},
    )
    db.session.add(row)
    db.session.flush()
    return row


def resume(row: Broadcast) -> None:
    """Give a stalled broadcast to a new job once the transaction commits; flush only.

    The lease is dropped: a job that still holds it would be one that died. Its rows keep
    their own leases, so nothing is sent twice even if it did not.
    """
    row.lease_until = None
    db.session.info.setdefault(WAKE, set()).add(row.id)


def listing(only_stalled: bool = False) -> sa.Select:
    """The staff page's broadcasts, newest first, with their study; only stalled ones if asked."""
    query = sa.select(Broadcast).options(joinedload(Broadcast.study))
    if only_stalled:
        query = query.where(Broadcast.id.in_(stalled_ids()))
    return query.order_by(Broadcast.id.desc())


def stalled_ids() -> sa.Select:
    """Select the ids of the broadcasts that are unfinished and that no job holds."""
    return sa.select(Broadcast.id).where(
        Broadcast.finished_at.is_(None),
        sa.or_(Broadcast.lease_until.is_(None), Broadcast.lease_until < utcnow()),
    )


def is_stalled(row: Broadcast, now=None) -> bool:
    """Unfinished, and no job holds it."""
    now = now or utcnow()
    return row.finished_at is None and (row.lease_until is None or row.lease_until < now)


# ---------------------------------------------------------------- the events that broadcast


def _window_context(window: AffirmationWindow, study: CaseStudy) -> dict:
    return {
        "path": f"/affirmation/{study.id}",
        "title": study.title,
        "summary": study.summary,
        "pillar": study.pillar.name,
        "place": ", ".join(p for p in (study.place, study.state_code) if p),
        "closes_at": window.closes_at.isoformat(),
        "window_id": window.id,
    }


def affirmation_opened(window: AffirmationWindow, study: CaseStudy) -> list[Broadcast]:
    """Owe every eligible member (to vote) and every partner (for feedback) the opening."""
    context = _window_context(window, study)
    subject = subject_for(study, _l("Open for network affirmation"))
    params = {"window_id": window.id, "study_id": study.id}
    return [
        start(
            "affirmation_opened",
            name,
            params=params,
            event_key=str(window.id),
            subject=subject,
            context={**context, "can_vote": can_vote},
            study=study,
        )
        for name, can_vote in (("window_voters", True), ("window_partners", False))
    ]


def affirmation_closing(window: AffirmationWindow, study: CaseStudy) -> Broadcast:
    """Owe the members who have not voted the 48-hour reminder of the window's deadline."""
    context = _window_context(window, study)
    context.pop("summary")
    return start(
        "affirmation_closing",
        "window_non_voters",
        params={"window_id": window.id, "study_id": study.id},
        # The deadline is part of the key: an extension earns a fresh reminder.
        event_key=f"{window.id}:{window.closes_at.isoformat()}",
        subject=subject_for(study, _l("Affirmation closes in 48 hours")),
        context=context,
        study=study,
    )


def newly_published(study: CaseStudy) -> Broadcast:
    """Owe the people who follow the study's pillar the news that it was published."""
    return start(
        "newly_published",
        "pillar_followers",
        params={"pillar_id": study.pillar_id, "study_id": study.id},
        event_key=f"{study.id}:{study.first_published_at or study.published_at}",
        subject=subject_for(study, _l("Newly published in %(pillar)s", pillar=study.pillar.name)),
        context={
            "path": f"/library/{study.slug}",
            "title": study.title,
            "pillar": study.pillar.name,
            "summary": study.summary,
            "place": ", ".join(p for p in (study.place, study.state_code) if p),
        },
        study=study,
    )
