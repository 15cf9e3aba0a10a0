"""Error pages in the site's layout (JSON under /api), the 503 for a database that is down,
and the CSRF handler that keeps what was typed."""

import logging

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from review.extensions import db
from review.rescue import keep_posted_form

log = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 410, 413, 429, 500, 503}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(OperationalError, database_down)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def render_error(code: int, description: str = ""):
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
    except Exception:  # the body itself may be unreadable; nothing was typed we can keep
        db.session.rollback()
        path = None
    if path is not None:
        flash(
            "Your form was open a long time, so for your security we could not save it yet. "
            "Everything you typed is below: please check it and save again.",
            "warning",
        )
        return redirect(path)
    return render_error(400, "This form expired. Please reload the page and try again.")


def database_down(exc: OperationalError):
    log.error("database unavailable: %s", exc)
    db.session.rollback()
    return render_error(503, ServiceUnavailable.description)


def unexpected_error(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()
    return render_error(500, InternalServerError.description)
