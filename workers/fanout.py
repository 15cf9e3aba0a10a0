"""Fan-out: one job writes a network email for every person of an audience, batch by batch.

Each batch is one INSERT … ON CONFLICT DO NOTHING (the dedupe key is per event, person and
kind, so a re-run after a crash writes only what is missing), one commit, and one SMTP
connection for the batch's rows (workers.mail.send_batch). Rows a crash leaves unsent are
picked up by the sweep like any other.
"""

import sqlalchemy as sa

from models import AffirmationWindow, CaseStudy, StudyAuthor, User
from models.base import db
from models.enums import NotificationCategory, UserKind
from review.notify import subject_for, write_batch
from workers import mail

FANOUT_BATCH = 500


def deliver_to(
    kind: str,
    audience: sa.Select,
    *,
    subject: str,
    event_key: str,
    category: NotificationCategory = NotificationCategory.network,
    study_id: int | None = None,
    context: dict | None = None,
    batch_size: int | None = None,
) -> int:
    """Write and send `kind` to everyone `audience` selects; commit per batch; return sent.

    `audience` selects (User.id, User.email, User.network_preference); it is walked in
    id order, `batch_size` people at a time.
    """
    batch_size = batch_size or FANOUT_BATCH
    after = 0
    sent = 0
    while True:
        people = db.session.execute(
            audience.where(User.id > after).order_by(User.id).limit(batch_size)
        ).all()
        if not people:
            return sent
        after = people[-1][0]
        ids = write_batch(kind, [tuple(p) for p in people], subject=subject,
                          event_key=event_key, category=category, study_id=study_id,
                          context=context)  # fmt: skip
        db.session.commit()
        sent += mail.send_batch(ids)


def people(*kinds: UserKind, excluding_authors_of: int | None = None) -> sa.Select:
    """Select (id, email, network_preference) of the active people of the given kinds."""
    query = sa.select(User.id, User.email, User.network_preference).where(
        User.is_active.is_(True), User.kind.in_(kinds)
    )
    if excluding_authors_of is not None:
        authors = sa.select(StudyAuthor.user_id).where(StudyAuthor.study_id == excluding_authors_of)
        query = query.where(User.id.not_in(authors))
    return query


def announce_affirmation(window_id: int) -> int:
    """Tell eligible members (to vote) and partners (for feedback) that a window opened.

    Idempotent: a second run sends only what the first did not.
    """
    window = db.session.get(AffirmationWindow, window_id)
    if window is None or window.closed_at is not None:
        return 0
    study = db.session.get(CaseStudy, window.study_id)
    context = {
        "path": f"/affirmation/{study.id}",
        "title": study.title,
        "summary": study.summary,
        "pillar": study.pillar.name,
        "place": ", ".join(p for p in (study.place, study.state_code) if p),
        "closes_at": window.closes_at.isoformat(),
        "window_id": window.id,
    }
    sent = 0
    for kind, can_vote in ((UserKind.member, True), (UserKind.partner, False)):
        sent += deliver_to(
            "affirmation_opened",
            people(kind, excluding_authors_of=study.id),
            subject=subject_for(study, "Open for network affirmation"),
            event_key=f"{window.id}",
            study_id=study.id,
            context={**context, "can_vote": can_vote},
        )
    return sent


@mail.relevance_check("affirmation_opened")
def _window_still_open(row) -> bool:
    window = db.session.get(AffirmationWindow, (row.context or {}).get("window_id"))
    return window is not None and window.closed_at is None
