"""Which event tells whom: builds outbox rows in the caller's transaction; never touches SMTP.

Every email is a Notification row written with the event that causes it. After commit a
job sends it (workers.mail); the sweep finds any row that no job holds. A row's dedupe_key
(kind, event, person) is unique, so writing the rows of an event twice creates nothing new.
"""

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import CaseStudy, Notification, User
from models.base import db
from models.clock import utcnow
from models.enums import NetworkPreference, NotificationCategory, NotificationStatus
from review.infra.i18n import DEFAULT_LOCALE, LOCALES, locale_of, supported
from review.infra.queue import enqueue


def message_id() -> str:
    """Return a Message-ID fixed for a row, so a resend after a crash is recognisable."""
    domain = current_app.config["PUBLIC_BASE_URL"].split("://", 1)[-1].split("/")[0]
    return f"<{uuid.uuid4().hex}@{domain.split(':')[0] or 'reimagine.local'}>"


def subject_for(study: CaseStudy | None, text) -> LazyString:
    """Return a subject naming the study's title and state when there is a study.

    `text` is marked for translation (lazy_gettext); the subject is put in each recipient's
    language when the rows are written (in_each_locale).
    """
    if study is None:
        return LazyString(str, text)
    title, state = study.title, study.state
    return LazyString(
        lambda: _("%(text)s: “%(title)s” (%(state)s)", text=text, title=title, state=state.label)
    )


def in_locale(text, locale: str) -> str:
    """Return a lazily translated text (or a plain one, as it is) in this language."""
    with force_locale(locale):
        return str(text)


def in_each_locale(text) -> dict[str, str]:
    """Return the text in every language the product speaks, once each (a broadcast's subject)."""
    return {code: in_locale(text, code) for code in LOCALES}


# ---------------------------------------------------------------- unsubscribing


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe-network")


def unsubscribe_token(user_id: int) -> str:
    """Return the signed token of a person's one-click unsubscribe link (it does not expire)."""
    return _unsubscribe_serializer().dumps(user_id)


def read_unsubscribe_token(token: str) -> User | None:
    """Return the person a valid unsubscribe token names, or None."""
    try:
        user_id = _unsubscribe_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(user_id, int):
        return None
    return db.session.get(User, user_id)


def unsubscribe_url(user_id: int) -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    return f"{base}/account/unsubscribe/{unsubscribe_token(user_id)}"


def network_context(user_id: int, context: dict) -> dict:
    """Add the one-click unsubscribe link and its RFC 8058 headers to a network row's context."""
    url = unsubscribe_url(user_id)
    return {
        **context,
        "unsubscribe_url": url,
        "headers": {
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }


# ---------------------------------------------------------------- writing rows

_BATCH = "outbox_batch"


def send_after_commit(ids: list[int]) -> None:
    """Send these new rows once the transaction commits, with all the others it wrote.

    A transaction enqueues one job for all the rows it writes (a submission telling three
    co-chairs and two authors is one job and one SMTP connection, not five).
    """
    if not ids:
        return
    info = db.session().info
    batch = info.get(_BATCH)
    if batch is None:
        # The job's argument is this list: rows written later in the transaction join it.
        batch = info[_BATCH] = []
        enqueue("mail.send_batch", batch, queue="mail")
    batch.extend(ids)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _new_batch(session: Session) -> None:
    session.info.pop(_BATCH, None)


def row_values(
    kind, key, user_id, email, category, study_id, context, subject, is_digest, locale="en"
) -> dict:
    """Return the column values of a new pending row; network rows get the unsubscribe link."""
    if category == NotificationCategory.network and user_id is not None:
        context = network_context(user_id, context)
    return dict(
        dedupe_key=key,
        recipient_id=user_id,
        email=email,
        kind=kind,
        category=category,
        study_id=study_id,
        context=context,
        subject=subject,
        locale=locale,
        status=NotificationStatus.pending,
        is_digest=is_digest,
        attempts=0,
        is_ambiguous=False,
        message_id=message_id(),
        created_at=utcnow(),
    )


def _wants(category: NotificationCategory, preference: NetworkPreference) -> tuple[bool, bool]:
    """Return (send at all, hold for the digest) for a person's network preference."""
    if category != NotificationCategory.network:
        return True, False
    if preference == NetworkPreference.off:
        return False, False
    return True, preference == NetworkPreference.daily


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
    Inactive people get nothing; `network` mail follows each person's preference. Each row is
    in its recipient's language: the subject is put in each language once.
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
    rows, subjects = [], {}
    for uid, person in people.items():
        if keys[uid] in existing:
            continue
        locale = locale_of(person)
        if locale not in subjects:
            subjects[locale] = in_locale(subject, locale)
        wanted, is_digest = _wants(category, person.network_preference)
        if not wanted:
            continue
        row = Notification(
            **row_values(
                kind,
                keys[uid],
                uid,
                person.email,
                category,
                study.id if study is not None else None,
                dict(context or {}),
                subjects[locale],
                is_digest,
                locale,
            )
        )
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    send_after_commit([row.id for row in rows if not row.is_digest])
    return rows


def notify_address(
    kind: str,
    email: str,
    *,
    subject: str,
    event_key: str,
    context: dict | None = None,
    locale: str = "en",
) -> Notification:
    """Write an account email to an address that has no active account yet (invitation,
    email change), in `locale`; flush, never commit."""
    key = f"{kind}:{event_key}"
    row = db.session.scalar(sa.select(Notification).where(Notification.dedupe_key == key))
    if row is not None:
        return row
    row = Notification(
        **row_values(
            kind,
            key,
            None,
            email,
            NotificationCategory.account,
            None,
            dict(context or {}),
            in_locale(subject, locale),
            False,
            locale,
        )
    )
    db.session.add(row)
    db.session.flush()
    send_after_commit([row.id])
    return row


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    """INSERT rows, skipping any whose dedupe_key exists: one statement, both engines."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Notification.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])
    db.session.execute(stmt, rows)


def write_batch(
    kind: str,
    people: list[tuple],
    *,
    subject: str | dict[str, str],
    event_key: str,
    category: NotificationCategory = NotificationCategory.network,
    study_id: int | None = None,
    context: dict | None = None,
    per_person: dict[int, dict] | None = None,
    broadcast_id: int | None = None,
) -> list[int]:
    """Write the rows of one batch of (id, email, preference[, locale]) in one INSERT; flush only.

    `subject` is one text, or one per language (in_each_locale); each row is in its person's.

    Rows that exist already (a re-run) are left alone. Returns the ids of this batch's rows
    that are pending and due now (not held for a digest), in order, for send_batch.
    """
    rows = []
    for user_id, email, preference, *rest in people:
        wanted, is_digest = _wants(category, preference)
        if not wanted:
            continue
        locale = supported(rest[0] if rest else None) or DEFAULT_LOCALE
        text = (
            (subject.get(locale) or subject[DEFAULT_LOCALE])
            if isinstance(subject, dict)
            else subject
        )
        ctx = {**(context or {}), **((per_person or {}).get(user_id) or {})}
        key = f"{kind}:{event_key}:{user_id}"
        values = row_values(
            kind, key, user_id, email, category, study_id, ctx, text, is_digest, locale
        )
        rows.append({**values, "broadcast_id": broadcast_id})
    if not rows:
        return []
    _insert_ignoring_duplicates(rows)
    return list(
        db.session.scalars(
            sa.select(Notification.id)
            .where(
                Notification.dedupe_key.in_([r["dedupe_key"] for r in rows]),
                Notification.status == NotificationStatus.pending,
                Notification.is_digest.is_(False),
            )
            .order_by(Notification.id)
        )
    )


def resend(notification: Notification) -> Notification:
    """Put a failed (or sent) row back in the outbox to be sent again; flush, never commit.

    The Message-ID stays: it is the same email, and a client that got it already knows it.
    """
    notification.status = NotificationStatus.pending
    notification.sent_at = None
    notification.attempts = 0
    notification.next_attempt_at = None
    notification.lease_until = None
    notification.last_error = None
    notification.is_digest = False
    db.session.flush()
    send_after_commit([notification.id])
    return notification
