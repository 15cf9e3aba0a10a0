"""Committed officials: the public list, a member's one-step commitment, staff management and
CSV import, and an official's public profile."""

from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from forms.commitments import CommitmentAddForm, CommitmentImportForm
from models import Commitment, User
from models.base import db
from models.enums import US_STATES
from review import commitments, library, policy

# No url_prefix: the blueprint answers both /commitments and /officials/<id> (SPEC §10).
bp = Blueprint("commitments", __name__)


@bp.get("/commitments")
def index():
    state = (request.args.get("state") or "").upper()
    if state not in US_STATES:
        state = ""
    rows = commitments.listed(state)
    counts = commitments.counts_by_state()
    mine = commitments.commitment_of(current_user) if policy.may_commit(current_user) else None
    return render_template(
        "commitments/index.html",
        groups=sorted(
            ((code, list(items)) for code, items in groupby(rows, key=lambda c: c.us_state)),
            key=lambda group: US_STATES.get(group[0], group[0]),
        ),
        counts=counts,
        total=sum(counts.values()),
        state=state,
        mine=mine,
    )


@bp.post("/commitments/commit")
@login_required
def commit():
    if not policy.may_commit(current_user):
        abort(403, _("Only member officials can commit to the agenda."))
    try:
        commitments.commit(current_user)
    except commitments.CommitmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("commitments.index"))
    db.session.commit()
    flash(_("Thank you: you are now listed as committed to the agenda."), "success")
    return redirect(url_for("commitments.index", state=current_user.us_state))


@bp.post("/commitments/withdraw")
@login_required
def withdraw():
    if not policy.may_commit(current_user):
        abort(403, _("Only member officials can commit to the agenda."))
    try:
        commitments.withdraw(current_user)
    except commitments.CommitmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("commitments.index"))
    db.session.commit()
    flash(_("Your commitment is withdrawn; you are no longer listed."), "success")
    return redirect(url_for("commitments.index"))


@bp.route("/commitments/add", methods=["GET", "POST"])
@login_required
def add():
    _require_staff()
    form = CommitmentAddForm()
    if form.validate_on_submit():
        commitments.add(
            current_user,
            form.name.data,
            form.office.data or "",
            form.jurisdiction.data or "",
            form.us_state.data,
            form.committed_on.data,
        )
        db.session.commit()
        flash(_("%(data)s is added to the committed officials.", data=form.name.data), "success")
        return redirect(url_for("commitments.index", state=form.us_state.data))
    return render_template("commitments/add.html", form=form)


@bp.post("/commitments/<int:commitment_id>/remove")
@login_required
def remove(commitment_id: int):
    _require_staff()
    commitment = db.session.get(Commitment, commitment_id)
    if commitment is None:
        abort(404)
    name = commitment.name
    commitments.remove(commitment)
    db.session.commit()
    flash(_("%(name)s is removed from the committed officials.", name=name), "success")
    return redirect(url_for("commitments.index"))


@bp.route("/commitments/import", methods=["GET", "POST"])
@login_required
def import_csv():
    _require_staff()
    form = CommitmentImportForm()
    plan = None
    if form.validate_on_submit():
        confirmed = request.form.get("confirm") == "1"
        text = form.csv_text.data if confirmed else _read_upload(form)
        if text is None:
            form.file.errors = [_("Choose a CSV file encoded as UTF-8.")]
        else:
            plan = commitments.plan_import(text)
            if confirmed and not plan.error and plan.rows:
                count = commitments.run_import(current_user, plan)
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)s committed official imported",
                        "%(num)s committed officials imported",
                        count,
                    )
                    + (_("; %(n)s refused", n=len(plan.refused)) if plan.refused else "")
                    + ".",
                    "success",
                )
                return render_template("commitments/import.html", form=form, plan=plan, done=count)
            form.csv_text.data = text
    return render_template("commitments/import.html", form=form, plan=plan, done=None)


def _read_upload(form) -> str | None:
    upload = form.file.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    data = upload.read(commitments.MAX_IMPORT_BYTES + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _require_staff() -> None:
    if not policy.may_manage_commitments(current_user):
        abort(403, _("Only staff manage the list of committed officials."))


@bp.get("/officials/<int:user_id>")
def official(user_id: int):
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        abort(404)
    commitment = commitments.commitment_of(user)
    studies = library.authored_by(user)
    if commitment is None and not studies:
        abort(404)
    return render_template(
        "commitments/official.html", official=user, commitment=commitment, studies=studies
    )
