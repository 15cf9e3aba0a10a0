"""What every template may use, registered once for the whole app (never per blueprint):
the policy, the enums, file sizes and filters for dates (in the reader's zone and language:
review.infra.local_time)."""

from datetime import datetime

from flask import Flask, current_app
from flask_babel import gettext as _
from jinja2 import pass_context

from models import enums
from review import attachments, broadcasts, drafts, library, policy, staff, workflow
from review.errors import STALE_MESSAGE
from review.infra import local_time, sessions
from review.infra.script_texts import script_texts


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
        script_texts=script_texts,
        required_sections=[(s.value, s.lazy_label) for s in drafts.REQUIRED_SECTIONS],
    )
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["isodate"] = lambda d: d.isoformat() if d else ""
    # A notification stores its moments as ISO strings: the same filter reads them.
    app.jinja_env.filters["when"] = format_datetime
    app.jinja_env.filters["number"] = lambda n: f"{n:,}" if isinstance(n, int) else ""


@pass_context
def format_date(context, value: datetime | str | None) -> str:
    """A date alone, in the reader's zone and language ("16 December 2026")."""
    zone_name, locale = local_time.reader(context)
    return local_time.show(value, zone_name, locale, date_only=True)


@pass_context
def format_datetime(context, value: datetime | str | None) -> str:
    """A moment in the reader's zone and language ("16 Dec 2026, 8:04 AM EST")."""
    zone_name, locale = local_time.reader(context)
    return local_time.show(value, zone_name, locale)


@pass_context
def ago(context, value: datetime | str | None) -> str:
    """How far from now, in the reader's language ("in 14 days", "3 hours ago")."""
    return local_time.relative(value, local_time.reader(context)[1])


def nav_links(user) -> list[tuple[str, str]]:
    """Return the (endpoint, label) pairs of the main navigation for this person's roles."""
    links = [("library.index", _("Library")), ("commitments.index", _("Committed officials"))]
    if policy.may_write_studies(user):
        links.append(("studies.index", _("My studies")))
    if policy.is_member(user) or policy.is_partner(user):
        links.append(("affirmation.index", _("Affirmation")))
    if policy.is_cochair(user):
        links.append(("cochair.index", _("Co-chair review")))
    if policy.is_staff(user):
        links.append(("staff.index", _("Staff")))
    if policy.signed_in(user):
        links.append(("account.index", _("Account")))
    return [(e, label) for e, label in links if e in current_app.view_functions]
