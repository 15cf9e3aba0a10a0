"""Deadlines as calendar events (iCalendar, RFC 5545): a person's private feed, and the one
event an email with a deadline carries as an .ics attachment.

An event has the same UID in the feed and in every email about it ("review-12-r2@host" for
round 2 of study 12, "affirmation-7@host" for window 7), so a calendar that has both shows one
event, moved when the deadline moves. Times are written in UTC; calendar apps show them in
their own zone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Alarm, Calendar, Event

from models import (
    AffirmationWindow,
    CaseStudy,
    CochairAssignment,
    Conflict,
    Pillar,
    Round,
    StudyAuthor,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import StudyState, UserKind
from review.infra.i18n import N_

PRODID = "-//Local Progress//Dare to Reimagine//EN"
REVIEWING = (StudyState.submitted, StudyState.in_review)
# Past deadlines stay in the feed this long, so a calendar does not drop them at once.
KEPT_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Deadline:
    uid: str
    summary: str
    at: datetime
    path: str
    description: str = ""


def _host() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def review_uid(study_id: int, round_number: int) -> str:
    return f"review-{study_id}-r{round_number}@{_host()}"


def affirmation_uid(window_id: int) -> str:
    return f"affirmation-{window_id}@{_host()}"


def person_by_token(token: str) -> User | None:
    """Return the active person whose calendar secret this is, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        sa.select(User).where(User.calendar_token == token, User.is_active.is_(True))
    )


@dataclass(frozen=True)
class _Kind:
    """What one kind of deadline is called in the feed, and where its link goes. The texts are
    stored in English and translated as the feed is drawn, with the study's %(title)s and
    its round's %(number)s and %(pillar)s."""

    summary: str
    description: str
    path: str


REVIEW_OWED = _Kind(
    N_("Review due: %(title)s"),
    N_("Round %(number)s of co-chair review for %(pillar)s."),
    "/cochair/studies/{id}",
)
VOTE_OPEN = _Kind(
    N_("Affirmation vote closes: %(title)s"),
    N_("Network affirmation: your vote counts until this time."),
    "/affirmation/{id}",
)
OWN_REVIEW = _Kind(
    N_("Co-chairs' review due: %(title)s"),
    N_("Round %(number)s: the co-chairs' review of your study is due."),
    "/studies/{id}",
)
OWN_VOTE = _Kind(
    N_("Network affirmation closes: %(title)s"),
    N_("The network's affirmation vote on your study closes."),
    "/studies/{id}",
)


def deadlines_of(user: User, now: datetime | None = None) -> list[Deadline]:
    """Return the person's deadlines: reviews they owe (co-chair), votes they may cast
    (member), and their own studies' review and affirmation deadlines (author). A fixed
    number of statements, however many deadlines."""
    since = (now or utcnow()) - KEPT_AFTER
    authored = sa.select(StudyAuthor.study_id).where(StudyAuthor.user_id == user.id)
    wanted = [
        (OWN_REVIEW, _open_rounds(since).where(CaseStudy.id.in_(authored))),
        (OWN_VOTE, _open_windows(since).where(CaseStudy.id.in_(authored))),
    ]
    if user.kind == UserKind.member:
        pillars = sa.select(CochairAssignment.pillar_id).where(CochairAssignment.user_id == user.id)
        conflicted = sa.select(Conflict.study_id).where(Conflict.user_id == user.id)
        owed = _open_rounds(since).where(
            CaseStudy.pillar_id.in_(pillars),
            CaseStudy.id.not_in(authored),
            CaseStudy.id.not_in(conflicted),
        )
        votable = _open_windows(since).where(CaseStudy.id.not_in(authored))
        wanted += [(REVIEW_OWED, owed), (VOTE_OPEN, votable)]
    out = [_deadline(kind, *row) for kind, query in wanted for row in _rows(query)]
    return sorted(out, key=lambda d: (d.at, d.uid))


def _deadline(kind: _Kind, item: Round | AffirmationWindow, study_id: int, title: str, pillar: str):
    """Return the Deadline of an open round or affirmation window, in the page's language."""
    if isinstance(item, Round):
        uid, at, number = review_uid(study_id, item.number), item.due_at, item.number
    else:
        uid, at, number = affirmation_uid(item.id), item.closes_at, item.round_number
    words = {"title": title, "number": number, "pillar": pillar}
    return Deadline(
        uid,
        _(kind.summary, **words),
        at,
        kind.path.format(id=study_id),
        _(kind.description, **words),
    )


def _rows(query: sa.Select) -> list:
    return db.session.execute(query).all()


def _open_rounds(since: datetime) -> sa.Select:
    return (
        sa.select(Round, CaseStudy.id, CaseStudy.title, Pillar.name)
        .join(CaseStudy, CaseStudy.id == Round.study_id)
        .join(Pillar, Pillar.id == CaseStudy.pillar_id)
        .where(
            Round.decided_at.is_(None),
            Round.number == CaseStudy.current_round,
            CaseStudy.state.in_(REVIEWING),
            Round.due_at >= since,
        )
        .order_by(Round.due_at, Round.id)
    )


def _open_windows(since: datetime) -> sa.Select:
    return (
        sa.select(AffirmationWindow, CaseStudy.id, CaseStudy.title, Pillar.name)
        .join(CaseStudy, CaseStudy.id == AffirmationWindow.study_id)
        .join(Pillar, Pillar.id == CaseStudy.pillar_id)
        .where(
            AffirmationWindow.closed_at.is_(None),
            CaseStudy.state == StudyState.in_affirmation,
            AffirmationWindow.closes_at >= since,
        )
        .order_by(AffirmationWindow.closes_at, AffirmationWindow.id)
    )


def feed(user: User) -> bytes:
    """Return the person's calendar (text/calendar) of every deadline of theirs, in their
    language (a calendar app fetches it without the person's cookies)."""
    with force_locale(user.locale or "en"):
        cal = _calendar(_("Dare to Reimagine deadlines"))
        for deadline in deadlines_of(user):
            cal.add_component(_event(deadline))
    return cal.to_ical()


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def _event(deadline: Deadline) -> Event:
    link = current_app.config["PUBLIC_BASE_URL"] + deadline.path
    event = Event()
    event.add("uid", deadline.uid)
    event.add("dtstamp", utcnow())
    event.add("dtstart", deadline.at)
    # No DTEND: a deadline is a moment, and an event with DTSTART alone ends as it starts.
    event.add("summary", deadline.summary)
    event.add("description", f"{deadline.description}\n{link}".strip())
    event.add("url", link)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", deadline.summary)
    alarm.add("trigger", timedelta(days=-1))
    event.add_component(alarm)
    return event


# ---------------------------------------------------------------- one deadline, for an email

# The kinds of email whose deadline is still ahead, and what the event is called there.
EMAIL_DEADLINES = {
    "study_submitted": ("due_at", _l("Review due")),
    "review_due_soon": ("due_at", _l("Review due")),
    "study_returned_cochairs": ("due_at", _l("Review due")),
    "submission_received": ("due_at", _l("Co-chairs' review due")),
    "study_returned": ("due_at", _l("Co-chairs' review due")),
    "affirmation_opened": ("closes_at", _l("Affirmation vote closes")),
    "affirmation_closing": ("closes_at", _l("Affirmation vote closes")),
    "study_approved": ("closes_at", _l("Network affirmation closes")),
}


def email_event(kind: str, study_id: int | None, context: dict) -> bytes | None:
    """Return the .ics of the deadline an email of `kind` announces, or None if it has none;
    its words in the language being rendered (the email's, under force_locale)."""
    key, label = EMAIL_DEADLINES.get(kind, (None, None))
    raw = context.get(key) if key else None
    if not raw or study_id is None:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return None
    if key == "due_at":
        uid = review_uid(study_id, int(context.get("round") or 0))
    elif context.get("window_id"):
        uid = affirmation_uid(int(context["window_id"]))
    else:
        return None
    title = context.get("title", "")
    path = context.get("path") or f"/studies/{study_id}"
    cal = _calendar(_("Dare to Reimagine"))
    summary = _("%(label)s: %(title)s", label=label, title=title)
    cal.add_component(_event(Deadline(uid, summary, at, path)))
    return cal.to_ical()
