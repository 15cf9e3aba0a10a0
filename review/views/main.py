"""The home page and the health check."""

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user
from redis.exceptions import RedisError

from models.base import db
from models.pillar import pillars_in_order
from review import commitments, library
from review.infra import i18n
from review.infra.queue import QUEUES, redis_connection, rq_queue
from review.views.auth import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    return render_template(
        "main/home.html",
        pillars=pillars_in_order(),
        committed=commitments.total(),
        recent=library.recent(6),
    )


@bp.get("/case-studies/<slug>")
def old_site(slug: str):
    """Send the former public site's addresses to the library, permanently."""
    return redirect(url_for("library.study", slug=slug), 301)


@bp.get("/healthz")
def healthz():
    """Report the database, Redis and queue depth as JSON; 503 when the database is down."""
    status = {"database": "ok", "redis": "embedded", "queue_depth": 0}
    code = 200
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        status["database"] = f"error: {type(exc).__name__}"
        code = 503
    if redis_connection() is not None:
        try:
            redis_connection().ping()
            status["redis"] = "ok"
            status["queue_depth"] = sum(rq_queue(q).count for q in QUEUES)
        except RedisError as exc:
            status["redis"] = f"error: {type(exc).__name__}"
            status["queue_depth"] = None
    status["jobs"] = current_app.config["JOB_RUNNER"]
    return jsonify(status), code


@bp.post("/language")
def language():
    """Set the language (the footer's switch) and go back to the same page, on this site only.

    A signed-in person's preference changes too; a visitor keeps the choice in a cookie.
    """
    code = i18n.supported(request.form.get("locale")) or i18n.DEFAULT_LOCALE
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    refresh()  # the language chosen is the one of whatever this request still says
    response = redirect(safe_next(request.form.get("next")), 303)
    response.set_cookie(i18n.COOKIE, code, max_age=i18n.COOKIE_AGE, samesite="Lax", httponly=True)
    return response
