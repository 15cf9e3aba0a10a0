"""SMTP delivery of leased outbox rows: one connection, one outcome statement per message.

Just before a message's DATA the row is marked as handed to SMTP (`handed_at`). A message the
server took is marked sent, and its mark cleared, in the statement that marks the next row
handed: one autocommit UPDATE of both rows, so each message costs one statement. The last row
of a batch, and a row before a refusal, a wait, a failure or a lease renewal, is marked sent
on its own. A failed row is marked failed (or due again) right after the reply, its mark
cleared. A row still marked when it is leased again (workers.mail) was caught between its DATA
and the statement that records it, and only such a row is ambiguous: a kill leaves at most one.
"""

import smtplib
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

import sqlalchemy as sa
from flask import current_app
from flask_mail import Connection, Message

from models import Notification
from models.base import db
from models.clock import utcnow
from models.enums import NotificationStatus

# How long a row waits behind an older row to the same address before it is tried again.
ORDER_WAIT = timedelta(seconds=1)


class _MarksBeforeData:
    """An SMTP client that calls `before_data()` right before it sends DATA.

    MAIL FROM and RCPT TO come first: a refused recipient never reaches the mark.
    """

    before_data: Callable[[], None] | None = None

    def data(self, msg):
        if self.before_data is not None:
            self.before_data()
        return super().data(msg)


class _SMTP(_MarksBeforeData, smtplib.SMTP):
    """Plain SMTP (upgraded by STARTTLS when configured) that marks the row before DATA."""


class _SMTPS(_MarksBeforeData, smtplib.SMTP_SSL):
    """SMTP over TLS from the first byte (port 465) that marks the row before DATA."""


class TimedConnection(Connection):
    """Flask-Mail's connection with a timeout, so a silent server cannot hang a worker."""

    def configure_host(self) -> smtplib.SMTP:
        cls = _SMTPS if self.mail.use_ssl else _SMTP
        host = cls(self.mail.server, self.mail.port, timeout=current_app.config["MAIL_TIMEOUT"])
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


def deliver(
    outgoing: list[tuple[int, str, int, Message]], keep_alive=None, leased_at=None
) -> tuple[int, list[tuple[int, object]]]:
    """Send (id, address, attempts, message) over one connection; return (sent, retries).

    Outcomes are written through a connection of their own, outside the ORM session, so a
    message costs one UPDATE and not a walk over every object the session holds. The rows'
    bodies are the caller's to write, before the first DATA (workers.mail.send_batch).
    """
    sent = 0
    retry: list[tuple[int, object]] = []
    blocked: dict[str, object] = {}
    remaining = list(outgoing)
    lease_seconds = current_app.config["MAIL_LEASE_SECONDS"]
    renewed = leased_at or time.monotonic()
    with outcomes() as out:
        marks = Marks(out)
        try:
            with TimedConnection(current_app.extensions["mail"]) as conn:
                while remaining:
                    if time.monotonic() - renewed > lease_seconds / 3:
                        marks.flush()
                        _renew_lease(out, [item[0] for item in remaining], lease_seconds)
                        if keep_alive is not None:
                            keep_alive(out)
                        renewed = time.monotonic()
                    nid, email, attempts, msg = remaining[0]
                    conn.host.before_data = partial(marks.hand, nid)
                    if email in blocked:
                        marks.flush()
                        record(out, nid, _waiting(blocked[email]))
                        retry.append((nid, blocked[email]))
                    else:
                        try:
                            conn.send(msg)
                        except (
                            smtplib.SMTPRecipientsRefused,
                            smtplib.SMTPResponseException,
                        ) as exc:
                            # The server answered: it did not take the message.
                            marks.flush()
                            values, due = _failure(attempts, exc, _is_permanent(exc))
                            record(out, nid, {**values, "handed_at": None})
                            if due is not None:
                                retry.append((nid, due))
                                blocked[email] = due
                        else:
                            marks.taken(nid)
                            sent += 1
                    remaining.pop(0)
                marks.flush()
        except (OSError, smtplib.SMTPException) as exc:
            # A row whose DATA was under way keeps its mark: the server may have taken it.
            marks.flush()
            for nid, _email, attempts, _msg in remaining:
                values, due = _failure(attempts, exc, permanent=False)
                record(out, nid, values)
                if due is not None:
                    retry.append((nid, due))
    return sent, retry


class Marks:
    """The handed and sent marks of one connection's messages, one statement per message.

    `hand(id)` runs just before a message's DATA: it marks the row handed and, in the same
    statement, the message SMTP took before it (`taken`) sent. `flush()` marks that one sent
    on its own, when no DATA follows at once. A folded `sent_at` is the next DATA's time, a
    few milliseconds after the server's reply.
    """

    def __init__(self, out):
        self.out = out
        self.unrecorded: int | None = None  # taken by the server, not yet marked sent

    def hand(self, nid: int) -> None:
        if self.unrecorded is None:
            self.out.execute(_HANDED, {"next": nid, "now": utcnow()})
        else:
            self.out.execute(
                _SENT_AND_HANDED, {"prev": self.unrecorded, "next": nid, "now": utcnow()}
            )
        self.unrecorded = None

    def taken(self, nid: int) -> None:
        self.unrecorded = nid

    def flush(self) -> None:
        if self.unrecorded is not None:
            record(self.out, self.unrecorded, sent_values("smtp"))
            self.unrecorded = None


def _sent_and_handed() -> sa.Update:
    """One UPDATE of two rows: :prev sent (its mark cleared), :next marked handed at :now."""
    now = sa.bindparam("now", type_=Notification.handed_at.type)
    is_sent = Notification.id == sa.bindparam("prev")
    columns = {}
    for name, value in sent_values("smtp").items():
        column = getattr(Notification, name)
        if name == "sent_at":
            new = now
        else:
            new = sa.null() if value is None else sa.literal(value, column.type)
        columns[name] = sa.case((is_sent, new), else_=column)
    columns["handed_at"] = sa.case((Notification.id == sa.bindparam("next"), now), else_=sa.null())
    return (
        sa.update(Notification)
        .where(Notification.id.in_([sa.bindparam("prev"), sa.bindparam("next")]))
        .values(**columns)
    )


@contextmanager
def outcomes():
    """Yield an autocommit connection for recording outcomes: one statement, one commit.

    Its commits do not wait for the disk flush (PostgreSQL: synchronous_commit off; SQLite
    connections all run synchronous NORMAL, models.base): they only record that SMTP
    took a message, and losing the last of them in a machine crash costs at most a duplicate
    email, the same as a worker crash, while saving a disk flush per message.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as out:
        relaxed, restore = _RELAXED.get(out.dialect.name, (None, None))
        if relaxed:
            out.execute(sa.text(relaxed))
        try:
            yield out
        finally:
            if restore and not out.closed and not out.invalidated:
                out.execute(sa.text(restore))


# Per engine: the statement that stops a commit waiting for the disk, and the one that undoes it
# (the connection goes back to the pool).
_RELAXED = {
    "postgresql": ("SET synchronous_commit TO OFF", "RESET synchronous_commit"),
}


def record(out, nid: int, values: dict) -> None:
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


def sent_values(transport: str) -> dict:
    """The values of a row once sent (or stored): its handed mark and lease cleared."""
    return {
        "status": NotificationStatus.sent,
        "sent_at": utcnow(),
        "transport": transport,
        "lease_until": None,
        "handed_at": None,
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


# Built once (after sent_values): building a statement per message costs more than running it.
_SENT_AND_HANDED = _sent_and_handed()
_HANDED = (
    sa.update(Notification)
    .where(Notification.id == sa.bindparam("next"))
    .values(handed_at=sa.bindparam("now", type_=Notification.handed_at.type))
)
