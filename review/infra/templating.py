"""What every template may use, registered once for the whole app (never per blueprint):
the policy, the enums, file sizes and filters for dates."""

from datetime import UTC, datetime

from flask import Flask, current_app

from models import enums
from models.clock import utcnow
from review import attachments, broadcasts, drafts, library, policy, staff, workflow
from review.errors import STALE_MESSAGE
from review.infra import sessions


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        policy=policy,
        enums=enums,
        US_STATES=enums.US_STATES,
        StudyState=enums.StudyState,
        STALE_MESSAGE=STALE_MESSAGE,
        nav_links=nav_links,
        workflow_panel=workflow.panel,
        history_label=workflow.HISTORY_LABELS.get,
        describe=workflow.describe,
        next_step=drafts.next_step,
        public_url=library.public_url,
        staff_colours=staff.STATE_COLOURS,
        human_size=attachments.human_size,
        session_handle=sessions.handle,
        is_stalled=broadcasts.is_stalled,
        required_sections=[(s.value, s.label) for s in drafts.REQUIRED_SECTIONS],
    )
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["number"] = lambda n: f"{n:,}" if isinstance(n, int) else ""


def format_date(value: datetime | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC") if value else ""


def when(value: datetime | str | None) -> str:
    """Format a datetime, or its ISO string as stored in a notification's context."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value)


def ago(value: datetime | None) -> str:
    """Say how long ago, in words a busy person reads at a glance."""
    if value is None:
        return ""
    seconds = int((utcnow() - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def nav_links(user) -> list[tuple[str, str]]:
    """Return the (endpoint, label) pairs of the main navigation for this person's roles."""
    links = [("library.index", "Library"), ("commitments.index", "Committed officials")]
    if policy.may_write_studies(user):
        links.append(("studies.index", "My studies"))
    if policy.is_member(user) or policy.is_partner(user):
        links.append(("affirmation.index", "Affirmation"))
    if policy.is_cochair(user):
        links.append(("cochair.index", "Co-chair review"))
    if policy.is_staff(user):
        links.append(("staff.index", "Staff"))
    if policy.signed_in(user):
        links.append(("account.index", "Account"))
    return [(e, label) for e, label in links if e in current_app.view_functions]
