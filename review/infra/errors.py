"""Error pages in the site's layout (JSON under /api), the 503 for a database that is down,
and the CSRF handler that keeps what was typed."""

import contextlib
import logging

from flask import Flask, flash, g, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from models.base import db
from review.infra.extensions import login_manager
from review.infra.rescue import keep_posted_form

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 410, 413, 429, 500, 503}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(OperationalError, database_down)
    app.register_error_handler(DataError, unstorable_value)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def render_error(code: int, description: str = ""):
    """Render the error page; if the database fails while it is drawn, the 503 page instead.

    The layout names who is signed in, which loads them from the database: with the database
    down, any error (an unknown URL, an expired form) would otherwise end as a bare 500.
    """
    try:
        return _render_error(code, description)
    except OperationalError as exc:
        return database_down(exc)


def _render_error(code: int, description: str):
    description = str(description)  # a lazily translated one, in the language of the page
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": code, "message": description}), code
    template = f"errors/{code}.html" if code in PAGES else "errors/generic.html"
    return render_template(template, code=code, description=description), code


def http_error(exc: HTTPException):
    return render_error(exc.code or 500, exc.description or "")


def csrf_error(exc: CSRFError):
    """An expired or missing token: keep the text and bring the person back to the form."""
    try:
        path = keep_posted_form()
    except OperationalError as exc:  # the copy cannot be kept: say so, not "expired"
        return database_down(exc)
    except Exception:  # the body itself may be unreadable; nothing was typed we can keep
        db.session.rollback()
        path = None
    if path is not None:
        flash(
            _(
                "Your form was open a long time, so for your security we could not save it yet. "
                "Everything you typed is below: please check it and save again."
            ),
            "warning",
        )
        return redirect(path)
    # Lazy: translated while the page is drawn, where a database that is down is handled.
    return render_error(400, _l("This form expired. Please reload the page and try again."))


def database_down(exc: OperationalError):
    log.error("database unavailable: %s", exc)
    with contextlib.suppress(OperationalError):
        db.session.rollback()
    # The layout asks who is signed in; with the database gone, render as for a visitor.
    g._login_user = login_manager.anonymous_user()
    return _render_error(
        503,
        _(
            "The site cannot reach its database just now. Nothing you sent was half-saved: "
            "please try again in a few minutes."
        ),
    )


def unstorable_value(exc: DataError):
    """A value the database refused (a number out of range, say): a 400, and nothing saved."""
    log.warning("value refused by the database on %s: %s", request.path, exc.orig)
    db.session.rollback()
    return render_error(
        400,
        _(
            "One of the values you sent could not be saved (it is too long or out of range). "
            "Nothing was saved: please go back and check it."
        ),
    )


def unexpected_error(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    try:
        db.session.rollback()
    except OperationalError as down:
        return database_down(down)
    return render_error(500, InternalServerError.description)
