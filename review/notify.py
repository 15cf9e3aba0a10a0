"""Which event tells whom: builds outbox rows in the caller's transaction; never touches SMTP.

Every email is a Notification row written with the event that causes it. After commit a
job sends it (workers.mail); the sweep finds any row that no job holds.
"""

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app

from models import CaseStudy, Notification, User
from models.clock import utcnow
from models.enums import NetworkPreference, NotificationCategory
from review.extensions import db
from workers import mail as mail_jobs
from workers.queue import enqueue


def message_id() -> str:
    """Return a Message-ID fixed for a row, so a resend after a crash is recognisable."""
    domain = current_app.config["PUBLIC_BASE_URL"].split("://", 1)[-1].split("/")[0]
    return f"<{uuid.uuid4().hex}@{domain.split(':')[0] or 'reimagine.local'}>"


def subject_for(study: CaseStudy | None, text: str) -> str:
    """Return a subject naming the study's title and state when there is a study."""
    if study is None:
        return text
    return f"{text}: “{study.title}” ({study.state.label})"


def notify(
    kind: str,
    recipients: Iterable[User],
    *,
    subject: str,
    event_key: str,
    category: NotificationCategory = NotificationCategory.action,
    study: CaseStudy | None = None,
    context: dict | None = None,
) -> list[Notification]:
    """Write one outbox row per recipient and send each after commit; flush, never commit.

    `event_key` names the event (e.g. "submitted:12:r1"); with the person and the kind it
    makes the row's unique key, so calling twice for one event writes nothing new.
    Inactive people get nothing; `network` mail follows each person's preference.
    """
    people = {u.id: u for u in recipients if u is not None and u.is_active}
    if not people:
        return []
    keys = {uid: f"{kind}:{event_key}:{uid}" for uid in people}
    existing = set(
        db.session.scalars(
            sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys.values()))
        )
    )
    rows = []
    for uid, person in people.items():
        if keys[uid] in existing:
            continue
        is_digest = False
        if category == NotificationCategory.network:
            if person.network_preference == NetworkPreference.off:
                continue
            is_digest = person.network_preference == NetworkPreference.daily
        row = Notification(
            dedupe_key=keys[uid],
            recipient_id=uid,
            email=person.email,
            kind=kind,
            category=category,
            study_id=study.id if study is not None else None,
            context=dict(context or {}),
            subject=subject,
            is_digest=is_digest,
            message_id=message_id(),
            created_at=utcnow(),
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    for row in rows:
        if not row.is_digest:
            enqueue(mail_jobs.send_notification, row.id, queue="mail")
    return rows


def notify_address(kind: str, email: str, *, subject: str, event_key: str,
                   context: dict | None = None) -> Notification:
    """Write an account email to an address that has no active account yet (invitation,
    email change); flush, never commit."""
    key = f"{kind}:{event_key}"
    row = db.session.scalar(sa.select(Notification).where(Notification.dedupe_key == key))
    if row is not None:
        return row
    row = Notification(
        dedupe_key=key,
        email=email,
        kind=kind,
        category=NotificationCategory.account,
        context=dict(context or {}),
        subject=subject,
        message_id=message_id(),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    enqueue(mail_jobs.send_notification, row.id, queue="mail")
    return row
