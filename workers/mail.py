"""Send outbox rows through SMTP with Flask-Mail, once each, with retries and leases.

A row is the truth. Sending takes a short lease on the row (a conditional UPDATE), renewed
while a batch is being sent, so two jobs never send the same row and a killed worker delays
its rows by seconds. Just before a message's DATA goes to the server the row is marked as
handed to SMTP; once the server took it, it is marked sent in the statement that marks the
next row handed (or on its own, after the last), and a refused row is marked failed right after
the reply (workers.delivery). Only a row found still handed over when it is leased again was
caught between the two: it is sent again and flagged ambiguous ("possibly sent twice"), so a
kill leaves at most one such row. The bodies kept for staff are written for the whole batch
before its first DATA.

Mail to one person leaves in the order it was written: a row waits while an older row to the
same address is still pending (e.g. retrying after a transient failure).
"""

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Message
from sqlalchemy.orm import selectinload

from models import Broadcast, Notification, User
from models.base import db
from models.clock import utcnow
from models.enums import NetworkPreference, NotificationCategory, NotificationStatus
from review import calendars
from review.infra.i18n import DEFAULT_LOCALE
from review.infra.queue import enqueue
from workers.delivery import ORDER_WAIT, deliver, sent_values

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# Reasons that may have gone by the time a row is sent (a reminder for a decided round).
STILL_RELEVANT: dict[str, object] = {}


def relevance_check(kind: str):
    """Register fn(notification) -> bool saying whether a row of `kind` is still worth sending."""

    def register(fn):
        STILL_RELEVANT[kind] = fn
        return fn

    return register


def send_notification(notification_id: int) -> None:
    """Send one row if it is still pending; do nothing if it was sent or another job holds it."""
    send_batch([notification_id])


def send_batch(
    notification_ids: list[int], keep_alive: Callable[[object], None] | None = None
) -> int:
    """Send the given rows over one SMTP connection, oldest first; return how many were sent.

    Rows already sent, held by another job or not yet due are left alone, so a job that
    runs twice sends nothing twice. `keep_alive(connection)` is called whenever the rows'
    lease is renewed (a broadcast renews its own lease there).
    """
    leased_at = time.monotonic()
    leased = _lease(notification_ids)
    if not leased:
        return 0
    rows = db.session.scalars(
        sa.select(Notification)
        .where(Notification.id.in_(leased))
        .order_by(Notification.id)
        .options(selectinload(Notification.recipient))  # whose zone each reads in
    ).all()
    unsubscribed = _unsubscribed(
        {r.recipient_id for r in rows if r.category == NotificationCategory.network}
    )
    waiting = _older_pending(rows)
    ready, rendered = [], {}
    for row in rows:
        if row.recipient_id in unsubscribed and row.category == NotificationCategory.network:
            _skip(row, "the person turned network email off before it was sent")
        elif not _still_relevant(row):
            _skip(row, "no longer relevant when sent")
        elif row.email in waiting:
            _wait(row, waiting[row.email])
        else:
            text, html = render_once(row, rendered)
            msg = None if _kept(row.email) else _message(row, text, html, rendered)
            ready.append((row, text, html, msg))
    # The bodies, kept for staff to read, are written for the whole batch in the commit below
    # (one executemany: set after the rendering, whose queries would flush them one by one),
    # before the first DATA, so that each message then costs one outcome statement alone
    # (workers.delivery). Stored mail is sent in that same commit.
    outgoing, stored = [], 0
    for row, text, html, msg in ready:
        row.body_text, row.body_html = text, html
        if msg is None:
            for name, value in sent_values("store").items():
                setattr(row, name, value)
            stored += 1
        else:
            outgoing.append((row.id, row.email, row.attempts, msg))
    db.session.commit()  # skipped, waiting and stored rows and every body, together
    if not outgoing:
        return stored
    sent, retry = deliver(outgoing, keep_alive, leased_at)
    _schedule_retry(retry)
    return stored + sent


def _kept(address: str) -> bool:
    """Whether mail to `address` stays on its row: all when stored, the demo domain always."""
    config, domain = current_app.config, address.rsplit("@", 1)[-1].strip().lower()
    return config["MAIL_TRANSPORT"] == "store" or domain in config["MAIL_WITHHELD_DOMAINS"]


def _lease(ids: list[int]) -> list[int]:
    """Take the lease on the pending, unleased, due rows among `ids`; commit; return their ids.

    A row still marked as handed to SMTP was caught between DATA and the reply: it becomes
    ambiguous here, in the same statement that hands it to the new job.
    """
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
        .values(
            lease_until=lease,
            attempts=Notification.attempts + 1,
            is_ambiguous=sa.or_(Notification.is_ambiguous, Notification.handed_at.is_not(None)),
            handed_at=None,
        )
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(taken)


def _unsubscribed(user_ids: set) -> set[int]:
    user_ids.discard(None)
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(User.id).where(
                User.id.in_(user_ids),
                sa.or_(User.network_preference == NetworkPreference.off, User.is_active.is_(False)),
            )
        )
    )


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


def render(row: Notification, context: dict | None = None) -> tuple[str, str]:
    """Return the row's text and HTML bodies, rendered from its kind's templates in the row's
    language (its recipient's)."""
    context = dict(row.context or {} if context is None else context)
    base = current_app.config["PUBLIC_BASE_URL"]
    context.setdefault("link", base + context["path"] if "path" in context else base + "/")
    context.update(notification=row, base_url=base, subject=row.subject)
    # Its moments read in the recipient's zone and language (the row's, chosen when queued).
    recipient = row.recipient
    locale = row.locale or getattr(recipient, "locale", None) or DEFAULT_LOCALE
    context.setdefault("reader_zone", getattr(recipient, "time_zone", None))
    context.setdefault("reader_locale", locale)
    with force_locale(locale):
        return (
            render_template(f"email/{row.kind}.txt", **context),
            render_template(f"email/{row.kind}.html", **context),
        )


# Stands for a person's own unsubscribe link while a batch's shared bodies are rendered.
_UNSUBSCRIBE = "https://unsubscribe.invalid/one-per-person"


# What a broadcast's rows hold for each person alone, left out of what is shared.
_PER_PERSON = ("unsubscribe_url", "headers")


def render_once(row: Notification, rendered: dict) -> tuple[str, str]:
    """Render the row, reusing a body already rendered in this batch for the same email.

    Rows of one batch that differ only by recipient (a broadcast's) share their bodies: the
    templates run once per language, time zone and event, and each person's unsubscribe link
    goes in.
    """
    context = dict(row.context or {})
    url = context.pop("unsubscribe_url", None)
    context.pop("headers", None)
    zone = getattr(row.recipient, "time_zone", None)
    key = (
        row.kind,
        row.locale,
        zone,
        row.subject,
        json.dumps(context, sort_keys=True, default=str),
    )
    if key not in rendered:
        if url is not None:
            context["unsubscribe_url"] = _UNSUBSCRIBE
        rendered[key] = render(row, context)
    text, html = rendered[key]
    if url is not None:
        text, html = text.replace(_UNSUBSCRIBE, url), html.replace(_UNSUBSCRIBE, url)
    return text, html


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


def _message(row: Notification, text: str, html: str, rendered: dict) -> Message:
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
    event = _event_once(row, rendered)
    if event is not None:
        msg.attach(
            "deadline.ics", "text/calendar; method=PUBLISH; charset=utf-8", event, "attachment"
        )
    return msg


def _event_once(row: Notification, rendered: dict) -> bytes | None:
    """The .ics of the row's deadline, built once per batch for each kind, study, language and
    context (a broadcast's rows share it), in the email's language."""
    context = {k: v for k, v in (row.context or {}).items() if k not in _PER_PERSON}
    key = (
        "ics",
        row.kind,
        row.locale,
        row.study_id,
        json.dumps(context, sort_keys=True, default=str),
    )
    if key not in rendered:
        with force_locale(row.locale or DEFAULT_LOCALE):
            rendered[key] = calendars.email_event(row.kind, row.study_id, row.context or {})
    return rendered[key]


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
    """Return pending, non-digest rows that are due and that no job holds.

    Rows of an unfinished broadcast are left to the broadcast's own job, which the sweep
    resumes (workers.fanout): queueing them here too would only add jobs that find nothing.
    """
    now = utcnow()
    unfinished = sa.select(Broadcast.id).where(Broadcast.finished_at.is_(None))
    return list(
        db.session.scalars(
            sa.select(Notification.id)
            .where(
                Notification.status == NotificationStatus.pending,
                Notification.is_digest.is_(False),
                sa.or_(Notification.lease_until.is_(None), Notification.lease_until < now),
                sa.or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
                sa.or_(
                    Notification.broadcast_id.is_(None),
                    Notification.broadcast_id.not_in(unfinished),
                ),
            )
            .order_by(Notification.id)
            .limit(limit)
        )
    )


def any_pending() -> sa.Select:
    """Select the pending rows, due or not: none, and requeue_pending() has nothing to do.

    The sweep's probe (workers.sweep): wider than pending_ids(), so that it is one probe of the
    status index whatever SQLite's planner makes of the other terms.
    """
    return sa.select(Notification.id).where(Notification.status == NotificationStatus.pending)


def requeue_pending() -> int:
    """Hand every due pending row that no job holds to a job again (see _lease for ambiguity)."""
    ids = pending_ids()
    if not ids:
        return 0
    for start in range(0, len(ids), BATCH_SIZE):
        enqueue("mail.send_batch", ids[start : start + BATCH_SIZE], queue="mail")
    db.session.commit()
    return len(ids)
