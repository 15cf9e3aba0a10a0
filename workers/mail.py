"""Send outbox rows through SMTP with Flask-Mail, once each, with retries and leases.

A row is the truth. Sending takes a lease on the row (a conditional UPDATE), so two jobs
never send the same row; a worker killed mid-send leaves the lease to expire, and the sweep
hands the row to a new job, marked ambiguous (SMTP may have accepted it before the kill).
Each row is marked sent in its own commit right after SMTP accepted it, so a kill leaves at
most one row that may go out twice.

Mail to one person leaves in the order it was written: a row waits while an older row to the
same address is still pending (e.g. retrying after a transient failure).
"""

import logging
import smtplib
import time
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_mail import Connection, Message

from models import Notification, User
from models.base import db
from models.clock import utcnow
from models.enums import NetworkPreference, NotificationCategory, NotificationStatus
from review.infra.queue import enqueue

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# Reasons that may have gone by the time a row is sent (a reminder for a decided round).
STILL_RELEVANT: dict[str, object] = {}
# How long a row waits behind an older row to the same address before it is tried again.
ORDER_WAIT = timedelta(seconds=1)


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
    """Send the given rows over one SMTP connection, oldest first; return how many were sent.

    Rows already sent, held by another job or not yet due are left alone, so a job that
    runs twice sends nothing twice.
    """
    leased = _lease(notification_ids)
    if not leased:
        return 0
    rows = db.session.scalars(
        sa.select(Notification).where(Notification.id.in_(leased)).order_by(Notification.id)
    ).all()
    unsubscribed = _unsubscribed(
        {r.recipient_id for r in rows if r.category == NotificationCategory.network}
    )
    waiting = _older_pending(rows)
    outgoing = []
    for row in rows:
        if row.recipient_id in unsubscribed and row.category == NotificationCategory.network:
            _skip(row, "the person turned network email off before it was sent")
        elif not _still_relevant(row):
            _skip(row, "no longer relevant when sent")
        elif row.email in waiting:
            _wait(row, waiting[row.email])
        else:
            text, html = render(row)
            bodies = {"body_text": text, "body_html": html}
            outgoing.append((row.id, row.email, row.attempts, _message(row, text, html), bodies))
    db.session.commit()
    kept = [item for item in outgoing if _kept(item[1])]
    with _outcomes() as out:
        for nid, _email, _attempts, _msg, bodies in kept:
            _record(out, nid, {**_sent("store"), **bodies})
    outgoing = [item for item in outgoing if not _kept(item[1])]
    return len(kept) + (_deliver(outgoing) if outgoing else 0)


def _kept(address: str) -> bool:
    """Whether mail to `address` stays on its row: all when stored, the demo domain always."""
    config, domain = current_app.config, address.rsplit("@", 1)[-1].strip().lower()
    return config["MAIL_TRANSPORT"] == "store" or domain in config["MAIL_WITHHELD_DOMAINS"]


def _lease(ids: list[int]) -> list[int]:
    """Take the lease on the pending, unleased, due rows among `ids`; commit; return their ids."""
    if not ids:
        return []
    now = utcnow()
    lease = now + timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    taken = db.session.scalars(
        sa.update(Notification)
        .where(
            Notification.id.in_(list(ids)),
            Notification.status == NotificationStatus.pending,
            Notification.is_digest.is_(False),
            sa.or_(Notification.lease_until.is_(None), Notification.lease_until < now),
            sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        )
        .values(lease_until=lease, attempts=Notification.attempts + 1)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(taken)


def _unsubscribed(user_ids: set) -> set[int]:
    user_ids.discard(None)
    if not user_ids:
        return set()
    return set(db.session.scalars(
        sa.select(User.id).where(User.id.in_(user_ids),
                                 sa.or_(User.network_preference == NetworkPreference.off,
                                        User.is_active.is_(False)))
    ))  # fmt: skip


def _older_pending(rows: list[Notification]) -> dict[str, object]:
    """Return {address: when its oldest waiting row is due} for older rows outside this batch."""
    first = {}
    for row in rows:
        first.setdefault(row.email, row.id)
    older = db.session.execute(
        sa.select(Notification.email, Notification.id, Notification.next_attempt_at).where(
            Notification.email.in_(list(first)),
            Notification.id < max(first.values()),
            Notification.status == NotificationStatus.pending,
            Notification.is_digest.is_(False),
        )
    ).all()
    waiting = {}
    for email, nid, due in older:
        if nid < first[email]:
            waiting[email] = max(waiting.get(email) or utcnow(), due or utcnow())
    return waiting


def _still_relevant(row: Notification) -> bool:
    check = STILL_RELEVANT.get(row.kind)
    return True if check is None else bool(check(row))


def _skip(row: Notification, why: str) -> None:
    row.status = NotificationStatus.skipped
    row.lease_until = None
    row.last_error = why


def _wait(row: Notification, until) -> None:
    """Give the row back without counting an attempt, to go after the older one."""
    row.lease_until = None
    row.attempts = row.attempts - 1
    row.next_attempt_at = until + ORDER_WAIT
    enqueue("mail.send_notification", row.id, queue="mail", at=row.next_attempt_at)


def render(row: Notification) -> tuple[str, str]:
    """Return the row's text and HTML bodies, rendered from its kind's templates."""
    context = dict(row.context or {})
    base = current_app.config["PUBLIC_BASE_URL"]
    context.setdefault("link", base + context["path"] if "path" in context else base + "/")
    context.update(notification=row, base_url=base, subject=row.subject)
    return (
        render_template(f"email/{row.kind}.txt", **context),
        render_template(f"email/{row.kind}.html", **context),
    )


class _OneLine:
    """A header the generator writes unfolded, so a client reads the URL whole.

    Python folds a long header value onto a continuation line; an unsubscribe URL
    (RFC 8058) is safer kept on the header's own line, well within the 998-octet limit.
    The email package uses a value with a `name` and a `fold()` as it is.
    """

    def __init__(self, name: str, value: str):
        self.name = name
        self.value = value.replace("\r", "").replace("\n", "")

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self.value}{policy.linesep}"

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None, **_) -> str:
        return self.value

    def __str__(self) -> str:
        return self.value


def _message(row: Notification, text: str, html: str) -> Message:
    headers = (row.context or {}).get("headers") or {}
    msg = Message(
        subject=row.subject,
        recipients=[row.email],
        body=text,
        html=html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={name: _OneLine(name, value) for name, value in headers.items()},
    )
    msg.msgId = row.message_id
    return msg


def _deliver(outgoing: list[tuple[int, str, int, Message, dict]]) -> int:
    """Send over one connection, committing each row's outcome as soon as it is known.

    Outcomes are written through a connection of their own, outside the ORM session, so a
    commit per message costs one UPDATE and not a walk over every object the session holds.
    """
    sent = 0
    retry: list[tuple[int, object]] = []
    blocked: dict[str, object] = {}
    remaining = list(outgoing)
    lease_seconds = current_app.config["MAIL_LEASE_SECONDS"]
    renewed = time.monotonic()
    with _outcomes() as out:
        try:
            with TimedConnection(current_app.extensions["mail"]) as conn:
                while remaining:
                    if time.monotonic() - renewed > lease_seconds / 3:
                        _renew_lease(out, [item[0] for item in remaining], lease_seconds)
                        renewed = time.monotonic()
                    nid, email, attempts, msg, bodies = remaining[0]
                    if email in blocked:
                        _record(out, nid, _waiting(blocked[email]))
                        retry.append((nid, blocked[email]))
                    else:
                        try:
                            conn.send(msg)
                        except (
                            smtplib.SMTPRecipientsRefused,
                            smtplib.SMTPResponseException,
                        ) as exc:
                            values, due = _failure(attempts, exc, _is_permanent(exc))
                            _record(out, nid, {**values, **bodies})
                            if due is not None:
                                retry.append((nid, due))
                                blocked[email] = due
                        else:
                            _record(out, nid, {**_sent("smtp"), **bodies})
                            sent += 1
                    remaining.pop(0)
        except (OSError, smtplib.SMTPException) as exc:
            for nid, _email, attempts, _msg, bodies in remaining:
                values, due = _failure(attempts, exc, permanent=False)
                _record(out, nid, {**values, **bodies})
                if due is not None:
                    retry.append((nid, due))
    _schedule_retry(retry)
    return sent


@contextmanager
def _outcomes():
    """Yield an autocommit connection for recording outcomes: one statement, one commit.

    On PostgreSQL its commits do not wait for the WAL flush: they only record that SMTP
    accepted a message, and losing one in a database crash costs at most a duplicate email,
    the same as a worker crash, while saving a disk flush per message.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as out:
        postgres = out.dialect.name == "postgresql"
        if postgres:
            out.execute(sa.text("SET synchronous_commit TO OFF"))
        try:
            yield out
        finally:
            if postgres and not out.closed and not out.invalidated:
                out.execute(sa.text("RESET synchronous_commit"))


def _record(out, nid: int, values: dict) -> None:
    out.execute(sa.update(Notification).where(Notification.id == nid).values(**values))


def _renew_lease(out, ids: list[int], seconds: float) -> None:
    """Keep the lease of a long batch's unsent rows, so the sweep does not hand them on."""
    out.execute(
        sa.update(Notification)
        .where(Notification.id.in_(ids), Notification.status == NotificationStatus.pending)
        .values(lease_until=utcnow() + timedelta(seconds=seconds))
    )


def _is_permanent(exc: Exception) -> bool:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        code = min(codes) if codes else None
    return code is not None and 500 <= code < 600


def _sent(transport: str) -> dict:
    return {
        "status": NotificationStatus.sent,
        "sent_at": utcnow(),
        "transport": transport,
        "lease_until": None,
        "last_error": None,
    }


def _waiting(until) -> dict:
    """Give the row back without counting an attempt, to go after an older one."""
    return {
        "lease_until": None,
        "attempts": Notification.attempts - 1,
        "next_attempt_at": until + ORDER_WAIT,
    }


def _failure(attempts: int, exc: Exception, permanent: bool) -> tuple[dict, object]:
    """Return the values of a failed attempt and when the row is due again (None: failed).

    Permanent failures fail now; transient ones retry with exponential backoff until
    MAIL_MAX_ATTEMPTS.
    """
    values = {"last_error": f"{type(exc).__name__}: {exc}"[:2000], "lease_until": None}
    due = None
    if permanent or attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        values["status"] = NotificationStatus.failed
    else:
        delay = current_app.config["MAIL_RETRY_BASE_SECONDS"] * (2 ** max(attempts - 1, 0))
        due = values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
    return values, due


def _schedule_retry(retry: list[tuple[int, object]]) -> None:
    """Enqueue one job for the rows to retry, due when the last of them is due."""
    if not retry:
        return
    ids = sorted(nid for nid, _ in retry)
    at = max(due for _, due in retry)
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue("mail.send_batch", ids[start : start + BATCH_SIZE], queue="mail", at=at)
    db.session.commit()  # enqueue dispatches after a commit


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
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue("mail.send_batch", ids[start : start + BATCH_SIZE], queue="mail")
    db.session.commit()
    return len(ids)
