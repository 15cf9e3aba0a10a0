"""Sign-in sessions kept server-side: the cookie names a Login row, and sign-out deletes it.

A session unused for SESSION_IDLE_TIMEOUT, or older than SESSION_MAX_AGE, no longer signs
anyone in (the session cookie and the remember cookie alike: both name the same row); the
sweep deletes such rows.
"""

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, flash, has_request_context, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import joinedload

from models import Login, User
from models.base import db
from models.clock import utcnow
from review.infra import i18n
from review.infra.extensions import login_manager
from review.infra.i18n import N_
from review.infra.rescue import keep_posted_form


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please sign in to continue.")
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)


def load_user(token: str) -> User | None:
    """Return the active person of a live sign-in session, or None."""
    if not token:
        return None
    # With the person's co-chair assignments: the navigation of every page asks for them.
    row = (
        db.session.execute(
            sa.select(Login, User)
            .join(User, User.id == Login.user_id)
            .where(Login.token == token)
            .options(joinedload(User.cochair_assignments))
        )
        .unique()
        .first()
    )
    if row is None or not row.User.is_active or is_expired(row.Login):
        return None
    _touch(row.Login)
    row.User.current_login = row.Login
    return row.User


# last_seen_at is written at most this often, so reading pages costs no write each.
TOUCH_EVERY = timedelta(minutes=5)


def expiry_cutoffs() -> tuple[object, object]:
    """Return (last seen before, created before): a session past either has ended."""
    now = utcnow()
    config = current_app.config
    return now - config["SESSION_IDLE_TIMEOUT"], now - config["SESSION_MAX_AGE"]


def is_expired(login: Login) -> bool:
    idle, oldest = expiry_cutoffs()
    return login.last_seen_at < idle or login.created_at < oldest


def _touch(login: Login) -> None:
    now = utcnow()
    if now - login.last_seen_at < TOUCH_EVERY:
        return
    # On a connection of its own: the request's session commits only what the view decides.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Login).where(Login.token == login.token).values(last_seen_at=now))
    login.last_seen_at = now


def handle(login: Login) -> str:
    """Return a name for a session that can be shown and posted without revealing its token."""
    return hashlib.sha256(login.token.encode()).hexdigest()[:16]


def sessions_of(user: User) -> list[Login]:
    """Return the person's live sessions, the most recently used first."""
    idle, oldest = expiry_cutoffs()
    return list(
        db.session.scalars(
            sa.select(Login)
            .where(Login.user_id == user.id, Login.last_seen_at >= idle, Login.created_at >= oldest)
            .order_by(Login.last_seen_at.desc())
        )
    )


def end_session(user: User, name: str) -> bool:
    """End the person's session called `name` (see handle); flush only. False if none."""
    for login in sessions_of(user):
        if handle(login) == name:
            db.session.execute(sa.delete(Login).where(Login.token == login.token))
            return True
    return False


def ended():
    """Return the condition true of a session that has ended (idle or old past its limit)."""
    idle, oldest = expiry_cutoffs()
    return sa.or_(Login.last_seen_at < idle, Login.created_at < oldest)


def purge_expired() -> int:
    """Delete the sessions that have ended; flush only; return how many."""
    return db.session.execute(sa.delete(Login).where(ended())).rowcount


def sign_in(user: User, remember: bool = False) -> None:
    """Open a server-side session for the person and set the cookies; flush, never commit."""
    agent = request.headers.get("User-Agent", "")[:200] if has_request_context() else ""
    login = Login(user_id=user.id, created_at=utcnow(), last_seen_at=utcnow(), user_agent=agent)
    if has_request_context():
        i18n.remember_first_locale(user)
    db.session.add(login)
    db.session.flush()
    user.current_login = login
    login_user(user, remember=remember)


def sign_out(user: User) -> None:
    """End this browser's session server-side, so a copied cookie stops working."""
    if user.current_login is not None:
        db.session.execute(sa.delete(Login).where(Login.token == user.current_login.token))
    logout_user()


def current_token(user: User) -> str | None:
    """Return the sign-in session of this request if it belongs to `user`, else None."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    if current_user.id != user.id or current_user.current_login is None:
        return None
    return current_user.current_login.token


def end_all_sessions(user: User, keep: str | None = None) -> None:
    """End every session of the person but `keep` (deactivation, password change); flush only."""
    query = sa.delete(Login).where(Login.user_id == user.id)
    if keep is not None:
        query = query.where(Login.token != keep)
    db.session.execute(query)


def _unauthorized():
    # A POST from someone whose session ended keeps what they typed.
    if request.method == "POST":
        keep_posted_form()
    flash(gettext(login_manager.login_message), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
