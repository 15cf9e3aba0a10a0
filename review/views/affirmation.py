"""Network affirmation: the studies open to the person, and the page where members read the
current revision, vote and comment, and the authors and co-chairs reply."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from forms.affirmation import CloseEarlyForm, CommentForm, ExtendForm, VoteForm
from models import AffirmationWindow, CaseStudy, Comment, StudyAuthor, Vote
from models.base import db
from models.enums import VoteChoice
from review import affirmation, library, policy
from review.infra.rescue import take_rescued_form

bp = Blueprint("affirmation", __name__, url_prefix="/affirmation")


def _load(study_id: int) -> tuple[CaseStudy, AffirmationWindow, Vote | None]:
    """Return the study, its latest window and the person's vote in it if the person may see
    them; 404 otherwise."""
    # With what every check of who may do what and the page's header read (authors, pillar),
    # and the files the page lists: its cached text is keyed on them.
    study = db.session.get(
        CaseStudy,
        study_id,
        options=[
            joinedload(CaseStudy.authors).joinedload(StudyAuthor.user),
            joinedload(CaseStudy.pillar),
            joinedload(CaseStudy.attachments),
        ],
    )
    window, mine = (
        affirmation.latest_window_and_vote(study, current_user) if study else (None, None)
    )
    if study is None or not policy.may_see_affirmation(current_user, study, window):
        abort(404)
    return study, window, mine


@bp.get("/")
@login_required
def index():
    rows = affirmation.open_windows_for(current_user)
    return render_template("affirmation/index.html", rows=rows)


def _page(
    study,
    window,
    mine,
    *,
    status=200,
    vote_form=None,
    comment_form=None,
    extend_form=None,
    close_form=None,
    refusal=None,
):
    is_open = affirmation.is_open(window)
    if vote_form is None and policy.may_vote(current_user, study):
        data = {"choice": mine.choice.value, "reason": mine.reason} if mine else {}
        vote_form = VoteForm(formdata=None, data=data)
    reply_form = None
    if comment_form is not None and comment_form.parent() is not None:
        reply_form, comment_form = comment_form, None
    may_comment = is_open and policy.may_comment(current_user, study)
    if comment_form is None and may_comment:
        comment_form = CommentForm(formdata=None)
    if extend_form is None and is_open and policy.may_extend_affirmation(current_user):
        extend_form = ExtendForm(formdata=None, data={"closes_at": window.closes_at})
    if close_form is None and is_open and policy.may_close_affirmation(current_user):
        close_form = CloseEarlyForm(formdata=None)
    may_see_tally = policy.may_see_tally(current_user, study, window)
    counts = affirmation.counts(window, eligible=is_open) if may_see_tally else None
    # The study as readers see it is the same for everyone who reads this version, with these
    # files, in this language; nothing of the person (their vote, the forms and their CSRF
    # tokens, the tally) is in it.
    study_reader = library.cached_fragment(
        library.study_reader_key(study),
        lambda: Markup(render_template("studies/_reader.html", study=study)),
    )
    return render_template(
        "affirmation/show.html",
        study=study,
        study_reader=study_reader,
        window=window,
        is_open=is_open,
        mine=mine,
        tally=counts.tally if counts else None,
        eligible=counts.eligible if counts else None,
        min_votes=counts.min_votes if counts else None,
        threshold=counts.threshold if counts else None,
        comments=affirmation.comments_of(window),
        vote_form=vote_form if is_open else None,
        comment_form=comment_form,
        reply_form=reply_form,
        may_comment=may_comment,
        may_reply=is_open and policy.may_reply(current_user, study),
        extend_form=extend_form if is_open else None,
        close_form=close_form if is_open else None,
        refusal=refusal,
    ), status


@bp.get("/<int:study_id>")
@login_required
def show(study_id: int):
    study, window, mine = _load(study_id)
    rescued = take_rescued_form()
    if rescued is not None:
        db.session.commit()  # the kept copy is handed back once
        if "choice" in rescued:
            return _page(study, window, mine, vote_form=VoteForm(formdata=rescued))
        if "body" in rescued:
            return _page(study, window, mine, comment_form=CommentForm(formdata=rescued))
    return _page(study, window, mine)


@bp.post("/<int:study_id>/vote")
@login_required
def vote(study_id: int):
    study, window, mine = _load(study_id)
    if not policy.may_vote(current_user, study):
        if policy.is_author(current_user, study):
            abort(403, _("Authors cannot vote on their own study."))
        abort(403, _("Only members of the network vote; partners and staff may comment or read."))
    form = VoteForm()
    if not form.validate():
        return _page(study, window, mine, vote_form=form, status=422)
    try:
        affirmation.cast_vote(window, current_user, form.choice.data, form.reason.data or "")
        db.session.commit()
    except affirmation.AffirmationError as exc:
        db.session.rollback()
        study, window, mine = _load(study_id)
        return _page(study, window, mine, vote_form=form, status=409, refusal=exc.message)
    label = VoteChoice(form.choice.data).label.lower()
    flash(
        _("Your vote is recorded: %(label)s. You can change it until the deadline.", label=label),
        "success",
    )
    return redirect(url_for("affirmation.show", study_id=study.id, _anchor="vote"))


@bp.post("/<int:study_id>/comments")
@login_required
def comment(study_id: int):
    study, window, mine = _load(study_id)
    form = CommentForm()
    parent = None
    if form.parent() is not None:
        parent = db.session.get(Comment, form.parent())
        if parent is None or parent.window_id != window.id:
            abort(404)
        if not policy.may_reply(current_user, study):
            abort(403, _("You cannot reply to comments on this study."))
    elif not policy.may_comment(current_user, study):
        abort(403, _("Only members and partners post comments; authors and co-chairs reply."))
    if not form.validate():
        return _page(study, window, mine, comment_form=form, status=422)
    try:
        posted = affirmation.post_comment(window, current_user, form.body.data, parent)
        db.session.commit()
    except affirmation.AffirmationError as exc:
        db.session.rollback()
        study, window, mine = _load(study_id)
        return _page(study, window, mine, comment_form=form, status=409, refusal=exc.message)
    flash(_("Your reply is posted.") if parent else _("Your comment is posted."), "success")
    return redirect(url_for("affirmation.show", study_id=study.id, _anchor=f"c{posted.id}"))


@bp.post("/<int:study_id>/extend")
@login_required
def extend(study_id: int):
    study, window, mine = _load(study_id)
    if not policy.may_extend_affirmation(current_user):
        abort(403, _("Only staff can extend an affirmation."))
    form = ExtendForm()
    if not form.validate():
        return _page(study, window, mine, extend_form=form, status=422)
    try:
        affirmation.extend(window, current_user, form.new_deadline(), form.reason.data)
        db.session.commit()
    except affirmation.AffirmationError as exc:
        db.session.rollback()
        study, window, mine = _load(study_id)
        return _page(study, window, mine, extend_form=form, status=409, refusal=exc.message)
    flash(_("The deadline is extended; the change is recorded in the study's history."), "success")
    return redirect(url_for("affirmation.show", study_id=study.id))


@bp.post("/<int:study_id>/close")
@login_required
def close_early(study_id: int):
    study, window, mine = _load(study_id)
    if not policy.may_close_affirmation(current_user):
        abort(403, _("Only staff can close an affirmation early."))
    form = CloseEarlyForm()
    if not form.validate():
        return _page(study, window, mine, close_form=form, status=422)
    try:
        affirmation.close_early(window, current_user, form.reason.data)
        db.session.commit()
    except affirmation.AffirmationError as exc:
        db.session.rollback()
        study, window, mine = _load(study_id)
        return _page(study, window, mine, close_form=form, status=409, refusal=exc.message)
    flash(
        _("The vote is closed and counted, as at its deadline; the reason is recorded."), "success"
    )
    return redirect(url_for("affirmation.show", study_id=study.id))
