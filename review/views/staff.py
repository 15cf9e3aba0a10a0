"""The staff console (SPEC §7): the dashboard, studies, pillars and settings; the people pages
(review/views/staff_people.py) and the records — audit log, outbox, exports
(review/views/staff_records.py) — are routes of this blueprint too.
Every route answers 404 to anyone but staff (a visitor is asked to sign in). The pages' reads
are review/staff/queries.py's: a view here loads only the row its URL names."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from forms.staff import (
    CochairPersonForm,
    ExtendForm,
    OverrideForm,
    PillarForm,
    ReasonForm,
    SettingsForm,
)
from models import (
    CaseStudy,
    Pillar,
    Round,
)
from models.base import db
from models.enums import StudyState
from review import accounts, reviews, staff, workflow
from review.infra import local_time
from review.views.guards import staff_only

bp = Blueprint("staff", __name__, url_prefix="/staff")

PER_PAGE = 50


bp.before_request(staff_only)


def row_or_404(model, ident: int):
    """Return the row of `model` with this id; 404 when there is none."""
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def back(default: str):
    """Redirect to the page the form was on, when it is one of ours."""
    target = request.form.get("next") or ""
    if target.startswith("/staff/") and not target.startswith("//"):
        return redirect(target)
    return redirect(default)


# ---------------------------------------------------------------- dashboard


@bp.get("/")
def index():
    return render_template("staff/index.html", d=staff.dashboard())


@bp.post("/rounds/<int:round_id>/remind")
def remind(round_id: int):
    rnd = row_or_404(Round, round_id)
    try:
        told = staff.remind_now(current_user, rnd)
    except staff.StaffError as exc:
        flash(str(exc), "error")
        return back(url_for("staff.index"))
    db.session.commit()
    flash(
        ngettext("Reminder sent to %(num)s co-chair.", "Reminder sent to %(num)s co-chairs.", told),
        "success",
    )
    return back(url_for("staff.index"))


# ---------------------------------------------------------------- studies


@bp.get("/studies")
def studies():
    state = request.args.get("state", "")
    pillar_id = request.args.get("pillar", type=int)
    overdue = request.args.get("overdue") == "1"
    q = (request.args.get("q") or "")[:200]
    page = db.paginate(
        staff.studies_query(state, pillar_id, overdue, q), per_page=PER_PAGE, error_out=False
    )
    pillars = staff.pillars()
    return render_template(
        "staff/studies.html",
        page=page,
        pillars=pillars,
        state=state,
        pillar_id=pillar_id,
        overdue=overdue,
        q=q,
    )


def _study_page(study: CaseStudy, status: int = 200, **forms):
    events = {row.event for row in workflow.available_events(study, current_user)}
    window = staff.open_window(study)
    rnd = reviews.current_round(study)
    forms.setdefault("unpublish_form", ReasonForm(prefix="unpublish"))
    forms.setdefault("reopen_form", ReasonForm(prefix="reopen"))
    forms.setdefault("override_form", OverrideForm(prefix="override"))
    extend_form = forms.setdefault(
        "extend_form", ExtendForm(prefix="extend", zone_name=current_user.time_zone)
    )
    if window is not None and extend_form.closes_at.data is None:
        extend_form.closes_at.data = local_time.for_input(window.closes_at, current_user.time_zone)
    return render_template(
        "staff/study.html",
        study=study,
        events=events,
        window=window,
        rnd=rnd,
        waiting=staff.waiting_cochairs([rnd.id]).get(rnd.id, []) if rnd else [],
        turn=workflow.whose_turn(study),
        history=workflow.history(study),
        may_extend=window is not None and study.state == StudyState.in_affirmation,
        **forms,
    ), status


@bp.get("/studies/<int:study_id>")
def study(study_id: int):
    return _study_page(row_or_404(CaseStudy, study_id))


@bp.post("/studies/<int:study_id>/<any(publish, unpublish, override, reopen):event>")
def act(study_id: int, event: str):
    study = row_or_404(CaseStudy, study_id)
    kwargs = {}
    form = None
    if event in ("unpublish", "reopen"):
        form = ReasonForm(prefix=event)
    elif event == "override":
        form = OverrideForm(prefix="override")
    if form is not None:
        if not form.validate():
            return _study_page(study, 422, **{f"{event}_form": form})
        kwargs["reason"] = form.reason.data
    if event == "override":
        kwargs.update(
            recommendation=form.recommendation.data, overall=form.overall.data or "", items=()
        )
    version = request.form.get("version", type=int)
    try:
        workflow.apply(study, event, current_user, expected_version=version, **kwargs)
        db.session.commit()
    except workflow.Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        study = row_or_404(CaseStudy, study_id)
        return _study_page(study, 422, **({f"{event}_form": form} if form else {}))
    except workflow.Changed as exc:
        db.session.rollback()
        text = exc.message
        if exc.what_happened:
            text += " " + _(
                "Since you opened the page: %(what)s.", what="; ".join(exc.what_happened)
            )
        flash(text + " " + _("Nothing was done; what you typed is kept below."), "error")
        kept = {f"{event}_form": form} if form else {}
        return _study_page(row_or_404(CaseStudy, study_id), 409, **kept)
    flash(
        _(
            "Done: “%(title)s” is now %(state)s.",
            title=study.title,
            state=study.state.label.lower(),
        ),
        "success",
    )
    return redirect(url_for("staff.study", study_id=study_id))


@bp.post("/studies/<int:study_id>/extend")
def extend(study_id: int):
    study = row_or_404(CaseStudy, study_id)
    form = ExtendForm(prefix="extend", zone_name=current_user.time_zone)
    if not form.validate():
        return _study_page(study, 422, extend_form=form)
    window = staff.open_window(study)
    if window is None or study.state != StudyState.in_affirmation:
        flash(_("This study is not open for affirmation: there is no window to extend."), "error")
        return redirect(url_for("staff.study", study_id=study_id))
    try:
        staff.extend_affirmation(
            current_user,
            window,
            local_time.typed_in(form.closes_at.data, current_user.time_zone),
            form.reason.data,
        )
    except staff.StaffError as exc:
        db.session.rollback()
        message = str(exc)
        # The message names its field ("Reason: …"); beside the field, the name goes.
        text = message.partition(": ")[2] or message
        if exc.field == "reason":
            form.reason.errors.append(text)
        else:
            form.closes_at.errors.append(text)
        return _study_page(row_or_404(CaseStudy, study_id), 422, extend_form=form)
    db.session.commit()
    flash(_("The affirmation window is extended."), "success")
    return redirect(url_for("staff.study", study_id=study_id))


# ---------------------------------------------------------------- pillars and settings


@bp.get("/pillars")
def pillars():
    rows = staff.pillars()
    return render_template(
        "staff/pillars.html",
        pillars=rows,
        open_counts=staff.past_draft_counts(rows),
        uncovered={p.id for p in staff.pillars_without_cochairs()},
    )


def _pillar_page(
    pillar: Pillar, form: PillarForm, cochair_form: CochairPersonForm, status: int = 200
):
    return render_template(
        "staff/pillar.html", pillar=pillar, form=form, cochair_form=cochair_form
    ), status


@bp.route("/pillars/<int:pillar_id>", methods=["GET", "POST"])
def pillar(pillar_id: int):
    pillar = row_or_404(Pillar, pillar_id)
    form = PillarForm(obj=pillar)
    if form.validate_on_submit():
        changed = staff.update_pillar(
            current_user,
            pillar,
            name=form.name.data.strip(),
            description=(form.description.data or "").strip(),
            review_quorum=form.review_quorum.data,
            review_due_days=form.review_due_days.data,
        )
        db.session.commit()
        flash(
            _("%(name)s is saved.", name=pillar.name) if changed else _("Nothing changed."),
            "success",
        )
        return redirect(url_for("staff.pillar", pillar_id=pillar.id))
    return _pillar_page(pillar, form, CochairPersonForm(), 422 if form.errors else 200)


@bp.post("/pillars/<int:pillar_id>/cochairs")
def pillar_add_cochair(pillar_id: int):
    pillar = row_or_404(Pillar, pillar_id)
    form = CochairPersonForm()
    if form.validate():
        user = accounts.find_user(form.email.data)
        if user is None:
            form.email.errors.append(_("No one has an account with this email."))
        else:
            try:
                staff.add_cochair(current_user, pillar, user)
            except staff.StaffError as exc:
                db.session.rollback()
                form.email.errors.append(str(exc).partition(": ")[2] or str(exc))
            else:
                db.session.commit()
                flash(
                    _(
                        "%(name)s now co-chairs %(pillar_name)s.",
                        name=user.name,
                        pillar_name=pillar.name,
                    ),
                    "success",
                )
                return redirect(url_for("staff.pillar", pillar_id=pillar.id))
    pillar = row_or_404(Pillar, pillar_id)
    return _pillar_page(pillar, PillarForm(obj=pillar, formdata=None), form, 422)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm(data=staff.settings())
    if form.validate_on_submit():
        changed = staff.update_settings(
            current_user,
            affirmation_days=form.affirmation_days.data,
            affirmation_min_votes=form.affirmation_min_votes.data,
            affirmation_threshold=float(form.affirmation_threshold.data),
        )
        db.session.commit()
        flash(_("The settings are saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for("staff.settings"))
    return render_template("staff/settings.html", form=form), 422 if form.errors else 200
