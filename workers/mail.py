"""Send outbox rows through SMTP with Flask-Mail, once each, with retries and leases.

A row is the truth. Sending takes a lease on the row (a conditional UPDATE), so two jobs
never send the same row; a worker killed mid-send leaves the lease to expire, and the sweep
hands the row to a new job, marked ambiguous (SMTP may have accepted it before the kill).
"""

import logging
import smtplib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mail import Connection, Message

from models import Notification
from models.clock import utcnow
from models.enums import NotificationStatus
from review.extensions import db
from workers.queue import enqueue

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# Reasons that may have gone by the time a row is sent (a reminder for a decided round).
STILL_RELEVANT: dict[str, object] = {}


class TimedConnection(Connection):
    """Flask-Mail's connection with a timeout, so a silent server cannot hang a worker."""

    def configure_host(self) -> smtplib.SMTP:
        cls = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = cls(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def relevance_check(kind: str):
    """Register fn(notification) -> bool saying whether a row of `kind` is still worth sending."""

    def register(fn):
        STILL_RELEVANT[kind] = fn
        return fn

    return register


def send_notification(notification_id: int) -> None:
    """Send one row if it is still pending; do nothing if it was sent or another job holds it."""
    send_batch([notification_id])


def send_batch(notification_ids: list[int]) -> int:
    """Send the given rows over one SMTP connection; return how many were sent."""
    leased = _lease(notification_ids)
    if not leased:
        return 0
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.id.in_(leased)).order_by(Notification.id)
    ).all()
    messages = []
    for row in rows:
        if not _still_relevant(row):
            row.status = NotificationStatus.skipped
            row.lease_until = None
            row.last_error = "no longer relevant when sent"
            continue
        _render(row)
        messages.append((row, _message(row)))
    db.session.commit()
    if not messages:
        return 0
    if current_app.config["MAIL_TRANSPORT"] == "store":
        for row, _ in messages:
            _mark_sent(row, "store")
        db.session.commit()
        return len(messages)
    return _deliver(messages)


def _lease(ids: list[int]) -> list[int]:
    """Take the lease on the pending, unleased rows among `ids`; commit; return their ids."""
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    taken = []
    for nid in ids:
        result = db.session.execute(
            sa.update(Notification)
            .where(
                Notification.id == nid,
                Notification.status == NotificationStatus.pending,
                Notification.is_digest.is_(False),
                sa.or_(Notification.lease_until.is_(None), Notification.lease_until < now),
                sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            )
            .values(lease_until=lease, attempts=Notification.attempts + 1)
        )
        if result.rowcount:
            taken.append(nid)
    db.session.commit()
    return taken


def _still_relevant(row: Notification) -> bool:
    check = STILL_RELEVANT.get(row.kind)
    return True if check is None else bool(check(row))


def _render(row: Notification) -> None:
    context = dict(row.context or {})
    base = current_app.config["PUBLIC_BASE_URL"]
    context.setdefault("link", base + context["path"] if "path" in context else base + "/")
    context.update(notification=row, base_url=base, subject=row.subject)
    row.body_text = render_template(f"email/{row.kind}.txt", **context)
    row.body_html = render_template(f"email/{row.kind}.html", **context)


def _message(row: Notification) -> Message:
    msg = Message(
        subject=row.subject,
        recipients=[row.email],
        body=row.body_text,
        html=row.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=(row.context or {}).get("headers") or {},
    )
    msg.msgId = row.message_id
    return msg


def _deliver(messages: list[tuple[Notification, Message]]) -> int:
    sent = 0
    try:
        with TimedConnection(current_app.extensions["mail"]) as conn:
            for row, msg in messages:
                try:
                    conn.send(msg)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                    if not _is_permanent(exc):
                        raise
                    _failed(row, exc, permanent=True)
                else:
                    _mark_sent(row, "smtp")
                    sent += 1
                db.session.commit()
    except (OSError, smtplib.SMTPException) as exc:
        for row, _ in messages:
            if row.status == NotificationStatus.pending:
                _failed(row, exc, permanent=False)
        db.session.commit()
    return sent


def _is_permanent(exc: Exception) -> bool:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        code = min(codes) if codes else None
    return code is not None and 500 <= code < 600


def _mark_sent(row: Notification, transport: str) -> None:
    row.status = NotificationStatus.sent
    row.sent_at = utcnow()
    row.transport = transport
    row.lease_until = None
    row.last_error = None


def _failed(row: Notification, exc: Exception, permanent: bool) -> None:
    """Record a failed attempt: permanent ones fail now, transient ones retry with backoff."""
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    row.lease_until = None
    if permanent or row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        row.status = NotificationStatus.failed
        return
    delay = current_app.config["MAIL_RETRY_BASE_SECONDS"] * (2 ** (row.attempts - 1))
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    enqueue(send_notification, row.id, queue="mail", at=row.next_attempt_at)


def pending_ids(limit: int = 1000) -> list[int]:
    """Return pending, non-digest rows that are due and that no job holds."""
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(Notification.id)
            .where(
                Notification.status == NotificationStatus.pending,
                Notification.is_digest.is_(False),
                sa.or_(Notification.lease_until.is_(None), Notification.lease_until < now),
                sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def requeue_pending() -> int:
    """Hand every due pending row to a job again; rows whose lease expired become ambiguous."""
    ids = pending_ids()
    if not ids:
        return 0
    now = utcnow()
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(ids), Notification.lease_until.is_not(None),
               Notification.lease_until < now)
        .values(is_ambiguous=True, lease_until=None)
    )
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue(send_batch, ids[start:start + BATCH_SIZE], queue="mail")
    db.session.commit()
    return len(ids)

