"""Co-chair review: the queue of the person's pillars, and the page where a co-chair (or staff,
in their place, with a reason) reads the current revision and writes the review."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from forms.cochair import BLANK_ITEMS, ConflictForm, ReviewForm
from models import CaseStudy
from models.base import db
from models.enums import StudyState
from review import policy, review_queue, reviews, revisions, workflow, working_copies
from review.infra.rescue import take_rescued_form

bp = Blueprint("cochair", __name__, url_prefix="/cochair")

OPEN = (StudyState.submitted, StudyState.in_review)


def _load(study_id: int) -> CaseStudy:
    """Return the study if the person may open its review page; 404 otherwise."""
    study = db.session.get(CaseStudy, study_id)
    if study is None or not policy.may_view_study(current_user, study):
        abort(404)
    if not policy.may_open_review_page(current_user, study):
        abort(403, _("This page is for the co-chairs of the study's pillar (who are not authors)."))
    return study


@bp.get("/")
@login_required
def index():
    if not policy.may_view_cochair(current_user):
        abort(403, _("The review queue is for co-chairs and staff."))
    page = request.args.get("decided", 1, type=int)
    queue = review_queue.queue_for(current_user, decided_page=page)
    return render_template("cochair/index.html", queue=queue)


def _review_form(study: CaseStudy, rnd, formdata=None) -> ReviewForm:
    """Build the review form: from what was posted, the person's draft, or their review."""
    draft = working_copies.load("review", rnd.id, current_user) if rnd is not None else None
    if formdata is None and draft is not None:
        formdata = working_copies.as_formdata(draft, version=str(study.version))
    if formdata is not None:
        form = ReviewForm(formdata=formdata)
    else:
        mine = reviews.review_of(rnd, current_user)
        data = {"version": study.version}
        if mine is not None:
            data.update(
                recommendation=mine.recommendation.value,
                overall=mine.comment,
                reason=mine.override_reason or "",
                items=[
                    {"section": it.section.value, "level": it.level.value, "body": it.body}
                    for it in mine.items
                ],
            )
        form = ReviewForm(formdata=None, data=data)
    return _with_blanks(form)


def _with_blanks(form: ReviewForm) -> ReviewForm:
    """Add empty feedback rows to fill in (the page works without JavaScript)."""
    blanks = BLANK_ITEMS
    while blanks and len(form.items) < form.items.max_entries:
        form.items.append_entry()
        blanks -= 1
    return form


def _page(
    study: CaseStudy,
    form: ReviewForm | None = None,
    status: int = 200,
    conflict: ConflictForm | None = None,
    **extra,
):
    """Render the review page; a form that was posted is shown again whatever happened.

    A review that lost a race, or was refused because the round was decided meanwhile,
    comes back as typed (recommendation, comment, every item) below the round's new state.
    """
    rnd = reviews.current_round(study)
    all_rounds = reviews.rounds_of(study)
    previous = next((r for r in reversed(all_rounds) if rnd and r.number < rnd.number), None)
    diff = None
    if (
        previous is not None
        and rnd is not None
        and previous.revision is not None
        and rnd.revision is not None
        and previous.revision_id != rnd.revision_id
    ):
        diff = revisions.diff(previous.revision, rnd.revision)
    may_review = policy.may_review(current_user, study)
    is_override = policy.is_staff(current_user)
    may_write = study.state in OPEN and rnd is not None and rnd.decided_at is None
    may_write = may_write and (may_review or is_override)
    kept = form is not None and status >= 400 and not may_write
    if form is None and may_write:
        form = _review_form(study, rnd)
    return render_template(
        "cochair/study.html",
        study=study,
        round=rnd,
        previous=previous,
        previous_items=reviews.by_section(reviews.feedback_items(previous)),
        objections=[it for it in reviews.feedback_items(rnd) if it.source == "affirmation"],
        diff=diff,
        form=form if may_write or kept else None,
        kept=kept,
        is_override=is_override and not may_review,
        mine=reviews.review_of(rnd, current_user),
        draft=working_copies.load("review", rnd.id, current_user) if rnd else None,
        conflict_form=conflict or ConflictForm(formdata=None, data={"version": study.version})
        if policy.may_declare_conflict(current_user, study)
        and workflow.row_for(study, "declare_conflict")
        else None,
        is_conflicted=policy.is_conflicted(current_user, study),
        eligible=reviews.eligible_reviewers(study),
        quorum=reviews.quorum(study),
        **extra,
    ), status


@bp.get("/studies/<int:study_id>")
@login_required
def study(study_id: int):
    study = _load(study_id)
    rescued = take_rescued_form()
    if rescued is not None:
        db.session.commit()  # the kept copy is handed back once
        rnd = reviews.current_round(study)
        return _page(study, _review_form(study, rnd, formdata=rescued))
    return _page(study)


@bp.post("/studies/<int:study_id>")
@login_required
def save_review(study_id: int):
    study = _load(study_id)
    rnd = reviews.current_round(study)
    posted = MultiDict(request.form)
    if request.form.get("action") == "add_item":
        return _page(study, _review_form(study, rnd, formdata=posted))
    if request.form.get("action") == "draft":
        return _save_draft(study, rnd, posted)
    form = ReviewForm(formdata=posted)
    if not form.validate():
        return _page(study, _with_blanks(form), status=422)
    event = "review" if policy.may_review(current_user, study) else "override"
    version = (form.version.data or "").strip()
    try:
        workflow.apply(
            study,
            event,
            current_user,
            expected_version=int(version) if version.isdigit() else None,
            reason=form.reason.data if event == "override" else None,
            recommendation=form.recommendation.data,
            overall=form.overall.data or "",
            items=form.item_values(),
        )
        working_copies.discard("review", rnd.id, current_user)
        db.session.commit()
    except workflow.Refused as exc:
        db.session.rollback()
        study = _load(study_id)
        if not any(r.who(current_user, study) for r in workflow.rows_for(event)):
            abort(403, exc.message)
        return _page(study, _with_blanks(form), status=422, refusal=exc.message)
    except workflow.Changed as exc:
        db.session.rollback()
        study = _load(study_id)
        # Keep what was typed and offer it again against the study as it is now.
        posted["version"] = str(study.version)
        text = exc.message + " " + _("Your review was not saved; it is below, as you typed it.")
        if exc.what_happened:
            text += " " + _(
                "Since you opened the page: %(what)s.", what="; ".join(exc.what_happened)
            )
        flash(text, "error")
        rnd = reviews.current_round(study)
        form = _review_form(study, rnd, formdata=posted)
        return _page(study, form, status=409)
    if study.state == StudyState.in_review:
        flash(_("Your review is saved. You can change it until the round is decided."), "success")
    else:
        flash(
            _(
                "Your review is saved, and it completed the round: the study is now %(state)s.",
                state=study.state.label.lower(),
            ),
            "success",
        )
    return redirect(url_for("cochair.study", study_id=study.id, _anchor="review"))


def _save_draft(study: CaseStudy, rnd, posted: MultiDict):
    """Keep the review as typed, valid or not, without recording it (as HotCRP does)."""
    may_write = study.state in OPEN and rnd is not None and rnd.decided_at is None
    writer = policy.may_review(current_user, study) or policy.is_staff(current_user)
    if not (may_write and writer):
        abort(403, _("There is no review of yours to save on this study now."))
    working_copies.keep("review", rnd.id, current_user, posted)
    db.session.commit()
    flash(
        _(
            "Your draft is saved. It does not count toward the decision until you press “Record "
            "my review”."
        ),
        "success",
    )
    return redirect(url_for("cochair.study", study_id=study.id, _anchor="review"))


@bp.post("/studies/<int:study_id>/conflict")
@login_required
def declare_conflict(study_id: int):
    study = _load(study_id)
    form = ConflictForm()
    if not form.validate():
        for error in form.comment.errors:
            flash(_("%(text)s %(error)s", text=form.comment.label.text, error=error), "error")
        return redirect(url_for("cochair.study", study_id=study.id))
    version = (form.version.data or "").strip()
    try:
        workflow.apply(
            study,
            "declare_conflict",
            current_user,
            expected_version=int(version) if version.isdigit() else None,
            comment=form.comment.data,
        )
        db.session.commit()
    except workflow.Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("cochair.study", study_id=study_id))
    except workflow.Changed as exc:
        db.session.rollback()
        study = _load(study_id)
        flash(
            exc.message + " " + _("Nothing was applied; your comment is below, as typed."), "error"
        )
        posted = MultiDict(request.form)
        posted["version"] = str(study.version)
        return _page(study, status=409, conflict=ConflictForm(formdata=posted))
    flash(_("Your conflict of interest is recorded; you are no longer counted for this study."))
    return redirect(url_for("cochair.index"))
