"""The account area: the profile and time zone, email and password, the calendar feed's
address, and notification preferences."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.account import EmailChangeForm, PasswordChangeForm, ProfileEditForm
from forms.notifications import NotificationPreferencesForm
from models.base import db
from models.enums import NetworkPreference
from models.pillar import pillars_in_order
from review import accounts
from review.accounts import local, preferences
from review.infra import sessions
from review.infra.extensions import csrf
from review.infra.rescue import take_rescued_form
from review.notify import read_unsubscribe_token

bp = Blueprint("account", __name__, url_prefix="/account")

EMAIL_PREFIX = "email"
PASSWORD_PREFIX = "pw"


def _forms(**bound) -> dict:
    """Return the page's three forms; those not in `bound` start from the person's data.

    On a GET, what was typed before a CSRF token expired comes back into its form.
    """
    rescued = take_rescued_form(url_for("account.index")) if request.method == "GET" else None
    if rescued is not None:
        db.session.commit()  # the rescued copy is handed back once
        if any(k.startswith(f"{EMAIL_PREFIX}-") for k in rescued):
            bound.setdefault("email_form", EmailChangeForm(formdata=rescued, prefix=EMAIL_PREFIX))
        else:
            bound.setdefault("profile_form", ProfileEditForm(formdata=rescued))
    forms = {
        "profile_form": bound.get("profile_form")
        or ProfileEditForm(formdata=None, obj=current_user),
        "email_form": bound.get("email_form")
        or EmailChangeForm(formdata=None, prefix=EMAIL_PREFIX),
        "password_form": bound.get("password_form")
        or PasswordChangeForm(formdata=None, prefix=PASSWORD_PREFIX),
    }
    return forms


def _page(**bound):
    return render_template(
        "account/index.html",
        logins=sessions.sessions_of(current_user),
        this_login=sessions.current_token(current_user),
        **_forms(**bound),
    )


def _add_error(form, exc: accounts.AccountError, default: str) -> None:
    name = exc.field if exc.field and exc.field in form else default
    form[name].errors = [*form[name].errors, str(exc)]


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    if request.method == "GET":
        return _page()
    form = ProfileEditForm()
    if not form.validate_on_submit():
        return _page(profile_form=form)
    accounts.update_profile(
        current_user,
        name=form.name.data,
        office=form.office.data,
        jurisdiction=form.jurisdiction.data,
        us_state=form.us_state.data or "",
        organisation=form.organisation.data,
        locale=form.locale.data or current_user.locale,
    )
    if form.time_zone.data:  # a form without the field keeps the zone
        local.set_time_zone(current_user, form.time_zone.data)
    db.session.commit()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("account.index"))


@bp.post("/calendar/reset")
@login_required
def reset_calendar():
    local.reset_calendar_token(current_user)
    db.session.commit()
    flash(_("Your calendar has a new address: the old one no longer works."), "success")
    return redirect(url_for("account.index") + "#calendar-heading")


@bp.post("/sessions/<name>/end")
@login_required
def end_session(name: str):
    mine = sessions.current_token(current_user)
    if mine is not None and sessions.handle(current_user.current_login) == name:
        flash(_("That is this browser: use Sign out to end it."), "info")
    elif sessions.end_session(current_user, name):
        db.session.commit()
        flash(_("That session is ended: it is signed out wherever it was."), "success")
    else:
        flash(_("That session had already ended."), "info")
    return redirect(url_for("account.index") + "#sessions-heading")


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    sessions.end_all_sessions(current_user, keep=sessions.current_token(current_user))
    db.session.commit()
    flash(_("Every other session is ended."), "success")
    return redirect(url_for("account.index") + "#sessions-heading")


@bp.post("/email")
@login_required
def change_email():
    form = EmailChangeForm(prefix=EMAIL_PREFIX)
    if form.validate_on_submit():
        try:
            accounts.change_email(current_user, form.current_password.data, form.new_email.data)
        except accounts.AccountError as exc:
            _add_error(form, exc, "new_email")
        else:
            db.session.commit()
            flash(
                _(
                    "We sent a link to %(data)s. Your address changes when you follow it.",
                    data=accounts.normalise_email(form.new_email.data),
                ),
                "info",
            )
            return redirect(url_for("account.index"))
    return _page(email_form=form)


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    try:
        user, new_email = accounts.read_email_change(token)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("account.index" if current_user.is_authenticated else "main.home"))
    if request.method == "POST":
        accounts.confirm_email_change(token)
        db.session.commit()
        flash(_("Your email address is now %(new_email)s.", new_email=new_email), "success")
        return redirect(url_for("account.index" if current_user.is_authenticated else "auth.login"))
    return render_template("account/confirm_email.html", user=user, new_email=new_email)


@bp.post("/password")
@login_required
def change_password():
    form = PasswordChangeForm(prefix=PASSWORD_PREFIX)
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except accounts.AccountError as exc:
            _add_error(form, exc, "password")
        else:
            db.session.commit()
            flash(_("Your password is changed. Other devices were signed out."), "success")
            return redirect(url_for("account.index"))
    return _page(password_form=form)


# ---------------------------------------------------------------- notifications (engineer F)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    pillars = pillars_in_order()
    form = NotificationPreferencesForm(
        network_preference=current_user.network_preference.value,
        pillars=[p.id for p in current_user.followed_pillars],
    )
    form.pillars.choices = [(p.id, p.name) for p in pillars]
    if form.validate_on_submit():
        preferences.set_preferences(
            current_user, NetworkPreference(form.network_preference.data), form.pillars.data or []
        )
        db.session.commit()
        flash(_("Your notification preferences are saved."), "success")
        return redirect(url_for("account.notifications"))
    return render_template("account/notifications.html", form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST here without a token; the signed link is the proof
def unsubscribe(token: str):
    user = read_unsubscribe_token(token)
    if user is None:
        abort(404)
    if request.method == "POST":
        preferences.unsubscribe(user)
        db.session.commit()
        return render_template("account/unsubscribed.html", user=user)
    return render_template("account/unsubscribe.html", user=user, token=token)
