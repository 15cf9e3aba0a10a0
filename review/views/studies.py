"""My studies: write a case study, save it as a draft, manage co-authors and files, and
compare revisions."""

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from forms.cochair import TransitionForm
from forms.lead_image import LeadImageForm
from forms.studies import (
    BLANK_ROWS,
    HINTS,
    ROW_LISTS,
    AttachmentUploadForm,
    CoauthorAddForm,
    StudyEditForm,
    StudyNewForm,
    apply_row_action,
    error_list,
    initial_data,
)
from models import CaseStudy
from models.base import db
from models.pillar import pillars_in_order
from review import (
    attachments,
    draft_rows,
    drafts,
    library,
    policy,
    reviews,
    revisions,
    workflow,
    working_copies,
)
from review.errors import OperationError, Stale
from review.infra.rescue import take_rescued_form

bp = Blueprint("studies", __name__, url_prefix="/studies")


def _pillar_choices() -> list[tuple[int, str]]:
    return [(p.id, p.name) for p in pillars_in_order()]


def _load(study_id: int) -> CaseStudy:
    """Return the study if the person may see it; 404 otherwise (no hint that it exists)."""
    # The authors come with it: every check of who may do what reads them.
    study = db.session.get(CaseStudy, study_id, options=[joinedload(CaseStudy.authors)])
    if study is None or not policy.may_view_study(current_user, study):
        abort(404)
    return study


def _load_editable(study_id: int) -> CaseStudy:
    study = _load(study_id)
    if not policy.may_edit_study(current_user, study):
        if policy.is_author(current_user, study):
            state = study.state.label.lower()
            abort(403, _("This study is %(state)s: it cannot be edited now.", state=state))
        abort(403, _("Only the authors can edit this study."))
    return study


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _editor(
    study: CaseStudy,
    form: StudyEditForm,
    status: int = 200,
    more: str | None = None,
    conflict: list | None = None,
    kept=None,
    lead_form: LeadImageForm | None = None,
):
    """Render the one-page editor, with blank rows to add to each list."""
    for name in ROW_LISTS:
        rows = getattr(form, name)
        blanks = BLANK_ROWS[name] + (2 if name == more else 0)
        while blanks and len(rows) < rows.max_entries:
            rows.append_entry()
            blanks -= 1
    return render_template(
        "studies/edit.html",
        study=study,
        form=form,
        hints=HINTS,
        missing=drafts.missing_sections(study),
        topic_names=drafts.topic_names(),
        upload_form=AttachmentUploadForm(),
        lead_form=lead_form or LeadImageForm.for_study(study),
        suggested_slug=library.suggest_slug(study) if not study.slug else "",
        coauthor_form=CoauthorAddForm(),
        max_files=attachments.MAX_PER_STUDY,
        conflict=conflict,
        errors=error_list(form),
        kept=kept,
    ), status


@bp.get("/")
@login_required
def index():
    studies, may_write = drafts.studies_of(current_user), policy.may_write_studies(current_user)
    return render_template("studies/index.html", studies=studies, may_write=may_write)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not policy.may_write_studies(current_user):
        abort(403, _("Members and partners write case studies; staff accounts cannot author them."))
    rescued = take_rescued_form() if request.method == "GET" else None
    if rescued is not None:
        db.session.commit()  # the kept copy is handed back once
    form = StudyNewForm(formdata=rescued) if rescued is not None else StudyNewForm()
    form.pillar_id.choices = _pillar_choices()
    if request.method == "POST" and form.validate():
        study = drafts.create_draft(current_user, form.title.data, form.pillar_id.data)
        db.session.commit()
        flash(_("Your draft is saved. Add the rest whenever you are ready."), "success")
        return redirect(url_for("studies.edit", study_id=study.id))
    return render_template("studies/new.html", form=form)


@bp.get("/<int:study_id>")
@login_required
def show(study_id: int):
    study = _load(study_id)
    return render_template(
        "studies/show.html",
        study=study,
        missing=drafts.missing_sections(study),
        revisions=revisions.revisions_of(study),
    )


@bp.get("/<int:study_id>/preview")
@login_required
def preview(study_id: int):
    study = _load(study_id)
    return render_template("studies/preview.html", study=study)


@bp.get("/<int:study_id>/edit")
@login_required
def edit(study_id: int):
    study = _load_editable(study_id)
    rescued = take_rescued_form()
    if rescued is not None:
        db.session.commit()  # the kept copy is handed back once
    # What was typed but could not be saved yet comes back as typed, the fields to fix marked.
    kept = working_copies.load("study", study.id, current_user) if rescued is None else None
    formdata = rescued if kept is None else working_copies.as_formdata(kept)
    form = StudyEditForm(formdata=formdata, data=None if formdata else initial_data(study))
    form.offer_pillars(_pillar_choices())
    if kept is not None:
        form.validate()
    more = request.args.get("more")
    return _editor(study, form, more=more if more in ROW_LISTS else None, kept=kept)


@bp.post("/<int:study_id>/edit")
@login_required
def save(study_id: int):
    study = _load_editable(study_id)
    action = request.form.get("action", "save")
    form = StudyEditForm(formdata=apply_row_action(request.form, action))
    form.offer_pillars(_pillar_choices())
    if not form.validate():
        # Validation blocks saving to the study, never keeping what was typed.
        kept = working_copies.keep("study", study.id, current_user, request.form)
        db.session.commit()
        if _wants_json():
            errors = [{"id": anchor, "message": message} for anchor, message in error_list(form)]
            return jsonify({"ok": False, "kept": True, "errors": errors}), 422
        return _editor(study, form, status=422, kept=kept)
    values = form.values()
    try:
        # A post without a version cannot prove it saw the latest save: treat it as stale.
        expected = int(form.version.data) if (form.version.data or "").isdigit() else -1
        drafts.save_draft(study, values, expected)
        working_copies.discard("study", study.id, current_user)
        # Read before the commit expires the study: the answer needs no reload.
        saved = {
            "ok": True,
            "version": study.version,
            "missing": drafts.missing_sections(study, draft_rows.row_counts(values)),
        }
        db.session.commit()
    except (Stale, StaleDataError):
        db.session.rollback()
        return _conflict(study_id, form, values)
    except OperationError as exc:  # an address already taken: named, and the text kept
        db.session.rollback()
        form[exc.field].errors = [*form[exc.field].errors, exc.message]
        kept = working_copies.keep("study", study_id, current_user, request.form)
        db.session.commit()
        if _wants_json():
            errors = [{"id": anchor, "message": message} for anchor, message in error_list(form)]
            return jsonify({"ok": False, "kept": True, "errors": errors}), 422
        return _editor(db.session.get(CaseStudy, study_id), form, status=422, kept=kept)
    if _wants_json():
        return jsonify(saved)
    if action == "preview":
        return redirect(url_for("studies.preview", study_id=study_id))
    flash(_("Saved."), "success")
    verb, _sep, rest = action.partition(":")
    name = rest.partition(":")[0]
    if verb == "add" and name in ROW_LISTS:
        return redirect(url_for("studies.edit", study_id=study_id, more=name) + f"#part-{name}")
    if name in ROW_LISTS:
        return redirect(url_for("studies.edit", study_id=study_id) + f"#part-{name}")
    return redirect(url_for("studies.edit", study_id=study_id))


def _conflict(study_id: int, form: StudyEditForm, values: dict):
    """Refuse a save against an older version: show theirs as saved and yours as typed."""
    study = db.session.get(CaseStudy, study_id)
    if _wants_json():
        return jsonify({"ok": False, "conflict": True, "version": study.version}), 409
    comparison = revisions.diff_contents(
        revisions.snapshot(study), revisions.content_from_values(values, study)
    )
    # Saving again from this page deliberately replaces theirs with yours.
    form.version.data = str(study.version)
    return _editor(study, form, status=409, conflict=comparison)


@bp.get("/<int:study_id>/revisions")
@login_required
def compare(study_id: int):
    study = _load(study_id)
    may_edit = policy.may_edit_study(current_user, study)
    choice = revisions.choose_pair(
        study, request.args.get("a", ""), request.args.get("b", ""), allow_working_copy=may_edit
    )
    return render_template(
        "studies/revisions.html",
        study=study,
        revisions=choice.revisions,
        a=choice.a,
        b=choice.b,
        may_edit=may_edit,
        diff=choice.diff,
    )


@bp.post("/<int:study_id>/coauthors")
@login_required
def add_coauthor(study_id: int):
    study = _load(study_id)
    if not policy.may_manage_authors(current_user, study):
        abort(403, _("Only the submitter can add co-authors, while the study can be edited."))
    form = CoauthorAddForm()
    if not form.validate():
        for error in form.email.errors:
            flash(_("%(text)s: %(error)s", text=form.email.label.text, error=error), "error")
        return redirect(url_for("studies.edit", study_id=study.id) + "#part-authors")
    try:
        user = drafts.add_coauthor(study, form.email.data, current_user)
    except drafts.CoauthorError as exc:
        db.session.rollback()
        flash(_("%(text)s: %(exc)s", text=form.email.label.text, exc=exc), "error")
        return redirect(url_for("studies.edit", study_id=study.id) + "#part-authors")
    db.session.commit()
    flash(_("%(name)s is now a co-author.", name=user.name), "success")
    return redirect(url_for("studies.edit", study_id=study.id) + "#part-authors")


@bp.post("/<int:study_id>/coauthors/<int:user_id>/remove")
@login_required
def remove_coauthor(study_id: int, user_id: int):
    study = _load(study_id)
    if not policy.may_manage_authors(current_user, study):
        abort(403, _("Only the submitter can remove co-authors, while the study can be edited."))
    try:
        user = drafts.remove_coauthor(study, user_id, current_user)
    except drafts.CoauthorError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("studies.edit", study_id=study.id) + "#part-authors")
    db.session.commit()
    flash(_("%(name)s is no longer a co-author.", name=user.name), "success")
    return redirect(url_for("studies.edit", study_id=study.id) + "#part-authors")


# --- The workflow: buttons and the authors' responses (engineer C; review/workflow.py) ------


def _turn_back(study_id: int):
    return redirect(url_for("studies.show", study_id=study_id) + "#workflow")


def _changed_message(exc) -> str:
    text = exc.message + " " + _("Nothing was applied.")
    if exc.what_happened:
        text += " " + _("Since you opened it: %(what)s.", what="; ".join(exc.what_happened))
    return text + " " + _("Here it is as it is now.")


@bp.post("/<int:study_id>/act/<event>")
@login_required
def act(study_id: int, event: str):
    study = _load(study_id)
    if event not in workflow.EVENTS:
        abort(404)
    form = TransitionForm()
    if not form.validate():
        for name, errors in form.errors.items():
            label = form[name].label.text if name in form else name
            errors = " ".join(map(str, errors))
            flash(_("%(label)s: %(errors)s", label=label, errors=errors), "error")
        return _turn_back(study_id)
    try:
        workflow.apply(
            study,
            event,
            current_user,
            expected_version=form.expected_version(),
            comment=form.comment.data or "",
            reason=form.reason.data,
        )
        db.session.commit()
    except workflow.Refused as exc:
        db.session.rollback()
        study = _load(study_id)
        if not any(row.who(current_user, study) for row in workflow.rows_for(event)):
            abort(403, exc.message)
        flash(exc.message, "error")
        return _turn_back(study_id)
    except Stale as exc:
        db.session.rollback()
        flash(_changed_message(exc), "error")
        return _turn_back(study_id)
    flash(_("Done: the study is now %(state)s.", state=study.state.label.lower()), "success")
    return _turn_back(study_id)


@bp.post("/<int:study_id>/responses")
@login_required
def respond(study_id: int):
    study = _load(study_id)
    if not policy.is_author(current_user, study):
        abort(403, _("Only the authors can respond to the feedback."))
    responses = {}
    for key, value in request.form.items():
        name, _sep, item_id = key.partition("-")
        if name == "response" and item_id.isdigit():
            responses[int(item_id)] = value
    try:
        saved = reviews.save_responses(study, current_user, responses)
        db.session.commit()
    except reviews.ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _turn_back(study_id)
    left = len(reviews.unanswered(reviews.current_round(study)))
    message = _("Responses saved (%(saved)s changed).", saved=saved) + " "
    message += (
        ngettext(
            "%(num)s item still needs a response.", "%(num)s items still need a response.", left
        )
        if left
        else _("Every item has a response: you can resubmit when your edits are done.")
    )
    flash(message, "success")
    return redirect(url_for("studies.show", study_id=study_id) + "#feedback")
