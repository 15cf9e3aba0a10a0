"""Sign-in sessions kept server-side: the cookie names a Login row, and sign-out deletes it."""

import sqlalchemy as sa
from flask import Flask, flash, has_request_context, redirect, request, url_for
from flask_login import current_user, login_user, logout_user

from models import Login, User
from models.base import db
from models.clock import utcnow
from review.infra.extensions import login_manager
from review.infra.rescue import keep_posted_form


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)


def load_user(token: str) -> User | None:
    """Return the active person of a live sign-in session, or None."""
    if not token:
        return None
    row = db.session.execute(
        sa.select(Login, User).join(User, User.id == Login.user_id).where(Login.token == token)
    ).first()
    if row is None or not row.User.is_active:
        return None
    row.User.current_login = row.Login
    return row.User


def sign_in(user: User, remember: bool = False) -> None:
    """Open a server-side session for the person and set the cookies; flush, never commit."""
    login = Login(user_id=user.id, created_at=utcnow(), last_seen_at=utcnow())
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
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
