"""SMTP delivery of leased outbox rows: one connection, each outcome committed as it is known.

Just before a message's DATA the row is marked as handed to SMTP (`handed_at`); right after
the server's reply it is marked sent or failed and the mark cleared. A row still marked when it
is leased again (workers.mail) was caught in between, and only such a row is ambiguous.
"""

import smtplib
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

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
    outgoing: list[tuple[int, str, int, Message, dict]], keep_alive=None, leased_at=None
) -> tuple[int, list[tuple[int, object]]]:
    """Send over one connection, committing each row's outcome as soon as it is known.

    Outcomes are written through a connection of their own, outside the ORM session, so a
    commit per message costs one UPDATE and not a walk over every object the session holds.
    """
    sent = 0
    retry: list[tuple[int, object]] = []
    blocked: dict[str, object] = {}
    remaining = list(outgoing)
    lease_seconds = current_app.config["MAIL_LEASE_SECONDS"]
    renewed = leased_at or time.monotonic()
    with outcomes() as out:
        try:
            with TimedConnection(current_app.extensions["mail"]) as conn:
                while remaining:
                    if time.monotonic() - renewed > lease_seconds / 3:
                        _renew_lease(out, [item[0] for item in remaining], lease_seconds)
                        if keep_alive is not None:
                            keep_alive(out)
                        renewed = time.monotonic()
                    nid, email, attempts, msg, bodies = remaining[0]
                    conn.host.before_data = _marker(out, nid)
                    if email in blocked:
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
                            values, due = _failure(attempts, exc, _is_permanent(exc))
                            record(out, nid, {**values, **bodies, "handed_at": None})
                            if due is not None:
                                retry.append((nid, due))
                                blocked[email] = due
                        else:
                            record(out, nid, {**sent_values("smtp"), **bodies})
                            sent += 1
                    remaining.pop(0)
        except (OSError, smtplib.SMTPException) as exc:
            for nid, _email, attempts, _msg, bodies in remaining:
                values, due = _failure(attempts, exc, permanent=False)
                record(out, nid, {**values, **bodies})
                if due is not None:
                    retry.append((nid, due))
    return sent, retry


def _marker(out, nid: int) -> Callable[[], None]:
    def mark() -> None:
        out.execute(
            sa.update(Notification).where(Notification.id == nid).values(handed_at=utcnow())
        )

    return mark


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
