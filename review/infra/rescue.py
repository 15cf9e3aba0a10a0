"""Keep what a person typed when their session or CSRF token expired, and give it back."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import request, session
from werkzeug.datastructures import MultiDict

from models import RescuedForm
from models.base import db
from models.clock import utcnow

SESSION_KEY = "rescued_forms"
# Never stored: the token is stale by definition, and passwords must not sit in a table.
NOT_KEPT = {"csrf_token", "confirm"}


def form_path() -> str:
    """Return the path of the page the form was on: the referrer when it is ours."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return referrer.path
    return request.path


def keep_posted_form() -> str | None:
    """Store the posted fields for the next visit of the form's page; commit; return the path."""
    fields = [
        [k, v]
        for k, v in request.form.items(multi=True)
        if k not in NOT_KEPT and "password" not in k
    ]
    if not any(v.strip() for _, v in fields):
        return None
    path = form_path()
    row = RescuedForm(path=path, fields=fields, created_at=utcnow())
    db.session.add(row)
    db.session.commit()
    kept = dict(session.get(SESSION_KEY, {}))
    kept[path] = row.token
    session[SESSION_KEY] = kept
    return path


def take_rescued_form(path: str | None = None) -> MultiDict | None:
    """Return, once, the fields kept for this page in this browser; flush, never commit."""
    path = path or request.path
    kept = dict(session.get(SESSION_KEY, {}))
    token = kept.pop(path, None)
    if token is None:
        return None
    session[SESSION_KEY] = kept
    row = db.session.get(RescuedForm, token)
    if row is None:
        return None
    db.session.execute(sa.delete(RescuedForm).where(RescuedForm.token == token))
    return MultiDict([tuple(pair) for pair in row.fields])


def kept_since_before(before):
    """Return the condition true of a rescued form kept since before `before`."""
    return RescuedForm.created_at < before


def purge_expired(before) -> int:
    """Delete rescued forms kept since before `before` (never claimed); flush only."""
    return db.session.execute(sa.delete(RescuedForm).where(kept_since_before(before))).rowcount
