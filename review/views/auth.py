"""Sign in and out, password reset, invitations and requests for access."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.auth import (
    AccessRequestForm,
    InvitationAcceptForm,
    LoginForm,
    PasswordResetRequestForm,
    PasswordSetForm,
)
from models import AccessRequest
from models.base import db
from models.clock import utcnow
from models.enums import UserKind
from review import accounts
from review.accounts import local
from review.infra.extensions import limiter
from review.infra.passwords import verify_password
from review.infra.rescue import take_rescued_form
from review.infra.sessions import sign_in, sign_out

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _form_with_rescued(form_class):
    """Build the form; on GET, filled with what was typed before a CSRF token expired."""
    rescued = take_rescued_form() if request.method == "GET" else None
    if rescued is None:
        return form_class()
    db.session.commit()  # the rescued copy is handed back once
    return form_class(formdata=rescued)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _account_key() -> str:
    """The account a sign-in is for: its limit holds whichever address or machine tries."""
    return "account:" + accounts.normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    # A sign-in that lets the person in (302) costs nothing; wrong passwords count.
    return response.status_code != 302


def safe_next(target: str | None) -> str:
    """Return a local path to go to after signing in; never another site."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed)
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = _form_with_rescued(LoginForm)
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data)
        # Verify even when there is no such account, so timing does not tell.
        ok = verify_password(user.password_hash if user else None, form.password.data)
        if ok and user.is_active:
            sign_in(user, remember=form.remember.data)
            local.adopt_browser_zone(user, form.time_zone.data)
            welcome = _("Welcome, %(name)s.", name=user.name)  # read before the commit expires it
            db.session.commit()
            flash(welcome, "success")
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("The email or the password is not right."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    sign_out(current_user)
    db.session.commit()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_request():
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            _("If that address has an account, a link to reset the password is on its way."), "info"
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        user, _c = accounts.read_token("reset", token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.reset_request"))
    form = PasswordSetForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Your password is changed. Please sign in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    try:
        user, _c = accounts.read_token("invite", token, current_app.config["INVITATION_MAX_AGE"])
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.login"))
    if user.has_password:
        flash(_("This invitation has already been accepted. Please sign in."), "info")
        return redirect(url_for("auth.login"))
    form = InvitationAcceptForm(name=user.name)
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            user.name = form.name.data.strip()
            local.adopt_browser_zone(user, form.time_zone.data)
            sign_in(user)
            db.session.commit()
            flash(_("Welcome to Dare to Reimagine, %(name)s.", name=user.name), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/invite.html", form=form, user=user)


@bp.route("/request-access", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def request_access():
    form = _form_with_rescued(AccessRequestForm)
    if form.validate_on_submit():
        db.session.add(
            AccessRequest(
                email=accounts.normalise_email(form.email.data),
                name=form.name.data.strip(),
                kind=UserKind(form.kind.data),
                office=form.office.data or "",
                jurisdiction=form.jurisdiction.data or "",
                us_state=form.us_state.data or "",
                message=form.message.data or "",
                created_at=utcnow(),
            )
        )
        db.session.commit()
        flash(
            _("Thank you. Local Progress staff will review your request and email you."), "success"
        )
        return redirect(url_for("main.home"))
    return render_template("auth/request_access.html", form=form)
