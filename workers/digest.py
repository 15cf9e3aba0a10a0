"""The daily digest: one email a day to each person who chose it, listing their held rows.

Network rows for people on the daily digest are written with is_digest=True and wait. Once a
day (UTC) the sweep gathers each person's waiting rows into one `digest` row, which is sent
like any other, and marks the rows it gathered as skipped with a note naming the digest, so no
row is ever sent twice. Nobody gets a digest with nothing in it.
"""

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext

from models import Notification, User
from models.base import db
from models.clock import utcnow
from models.enums import NetworkPreference, NotificationCategory, NotificationStatus
from review.infra.i18n import locale_of
from review.notify import row_values, send_after_commit
from workers import mail


def _held(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(
                Notification.recipient_id == user_id,
                Notification.status == NotificationStatus.pending,
                Notification.is_digest.is_(True),
            )
            .order_by(Notification.id)
        )
    )


def _close(rows: list[Notification], note: str) -> None:
    for row in rows:
        row.status = NotificationStatus.skipped
        row.last_error = note


def held_for() -> sa.Select:
    """Select the recipients of rows held for a digest (with repeats)."""
    return sa.select(Notification.recipient_id).where(
        # `= true`, not IS: the partial index of held rows (ix_notification_digest_held) applies.
        Notification.status == NotificationStatus.pending,
        Notification.is_digest == sa.true(),
    )


def send_digests() -> int:
    """Write today's digest for everyone who has held rows and no digest yet today; flush only."""
    now = utcnow()
    today = now.date()
    user_ids = db.session.scalars(held_for().distinct()).all()
    written = 0
    if not user_ids:
        return written  # nothing held: no one to load
    for user in db.session.scalars(sa.select(User).where(User.id.in_(user_ids))):
        held = _held(user.id)
        if not user.is_active or user.network_preference == NetworkPreference.off:
            _close(held, "not sent: the person turned network email off")
            continue
        if user.network_preference == NetworkPreference.immediate:
            _release(held)  # they switched back to immediate: each goes out now
            continue
        if user.last_digest_at and user.last_digest_at.date() == today:
            continue
        gone = [r for r in held if not mail.STILL_RELEVANT.get(r.kind, lambda _: True)(r)]
        _close(gone, "no longer relevant when the digest was made")
        items = [r for r in held if r not in gone]
        user.last_digest_at = now
        if not items:
            continue
        written += 1
        locale = locale_of(user)
        with force_locale(locale):
            subject = ngettext(
                "Your daily digest from Dare to Reimagine: %(num)s update",
                "Your daily digest from Dare to Reimagine: %(num)s updates",
                len(items),
            )
        digest = Notification(
            **row_values(
                "digest",
                f"digest:{user.id}:{today.isoformat()}",
                user.id,
                user.email,
                NotificationCategory.network,
                None,
                {
                    "name": user.name,
                    "date": today.isoformat(),
                    "path": "/account/notifications",
                    "items": [_item(r) for r in items],
                },
                subject,
                False,
                locale,
            )
        )
        db.session.add(digest)
        db.session.flush()
        _close(items, f"sent in the daily digest (notification {digest.id})")
        send_after_commit([digest.id])
    db.session.flush()
    return written


def _release(rows: list[Notification]) -> None:
    for row in rows:
        row.is_digest = False
    send_after_commit([row.id for row in rows])


def _item(row: Notification) -> dict:
    context = row.context or {}
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "subject": row.subject or "",
        "summary": context.get("summary", ""),
        "link": base + context.get("path", "/"),
        "at": row.created_at.isoformat(),
    }
