"""The public library: search with facets and a state map, and the public study page."""

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError

from forms.lead_image import LeadImageForm
from forms.library import StudyCorrectionForm, StudySlugForm
from models import Attachment, CaseStudy
from models.base import db
from models.enums import MARKDOWN_SECTIONS, StudyState
from review import attachments, images, library, policy
from review.errors import STALE_MESSAGE, Stale
from review.library.map import tiles_of

bp = Blueprint("library", __name__, url_prefix="/library")


@bp.get("")
def index():
    query, _errors = library.parse_query(request.args)
    page = library.library_page(query, forgive=True)
    query = page.query  # respelt when the search as typed found nothing
    # The facets and the map depend only on the query (not its page) and the generation.
    key = (page.generation, replace(query, page=1))
    facets_html = library.cached_fragment(
        ("facets", *key),
        lambda: Markup(render_template("library/_facets.html", page=page, query=query)),
    )
    map_html = library.cached_fragment(
        ("map", *key),
        lambda: Markup(
            render_template(
                "library/_map.html",
                query=query,
                tiles=tiles_of(
                    {v.value: v.count for v in page.facets.by_name["state"] if v.count}, query
                ),
            )
        ),
    )
    return render_template(
        "library/index.html",
        page=page,
        query=query,
        facets_html=facets_html,
        map_html=map_html,
        suggestions=library.loosen(query) if not page.total else [],
    )


@bp.get("/suggest")
def suggest():
    """Titles and topics to offer as a search is typed (JSON, for static/library.js)."""
    found = library.suggestions(request.args.get("q", ""))
    for study in found["studies"]:
        study["url"] = url_for("library.study", slug=study["slug"])
    found["topics"] = [
        {"name": name, "url": url_for("library.index", topic=name)} for name in found["topics"]
    ]
    return found


@bp.get("/sitemap.xml")
def sitemap():
    body = render_template("library/sitemap.xml", entries=library.sitemap_entries())
    return body, 200, {"Content-Type": "application/xml; charset=utf-8"}


@bp.get("/<slug>")
def study(slug: str):
    found = library.published_study(slug)
    if found is None:
        current = library.redirect_target(slug)
        if current is None:
            abort(404)
        return redirect(url_for("library.study", slug=current), 301)
    if found.state != StudyState.published:
        abort(410, _("This case study has been withdrawn from the public library."))
    return render_template(
        "library/study.html",
        study=found,
        related=library.related(found),
        canonical=library.public_url(url_for("library.study", slug=found.slug)),
    )


@bp.route("/<slug>/correct", methods=["GET", "POST"])
@login_required
def correct(slug: str):
    found = library.published_study(slug)
    if found is None:
        abort(404)
    if not policy.may_correct_study(current_user, found):
        abort(403, _("Only staff can correct a published case study."))
    form = _correction_form(found, posted=request.method == "POST")
    if form.validate_on_submit():
        expected = int(form.version.data) if (form.version.data or "").isdigit() else -1
        try:
            library.correct(found, form.data, current_user, form.note.data, expected)
            db.session.commit()
        except (Stale, StaleDataError):
            db.session.rollback()
            flash(
                _(
                    "%(stale_message)s Your text is below; compare it with the page and save "
                    "again.",
                    stale_message=STALE_MESSAGE,
                ),
                "error",
            )
            form.version.data = str(db.session.get(CaseStudy, found.id).version)
            return _correct_page(found, form=form, status=409)
        flash(
            _("The correction is published; the page now says when it was last updated."), "success"
        )
        return redirect(url_for("library.study", slug=found.slug))
    return _correct_page(found, form=form)


def _correct_page(found: CaseStudy, form=None, slug_form=None, lead_form=None, status=200):
    """The correction page: the texts, the address and the lead image, each its own form."""
    lead_form = lead_form or LeadImageForm.for_study(found)
    lead_form.attachment_id.label.text = _("Picture (one of the study's PNG or JPEG files)")
    return render_template(
        "library/correct.html",
        study=found,
        form=form or _correction_form(found),
        slug_form=slug_form or _slug_form(found),
        lead_form=lead_form,
    ), status


@bp.post("/<slug>/lead-image")
@login_required
def set_lead_image(slug: str):
    found = library.published_study(slug)
    if found is None:
        abort(404)
    if not policy.may_correct_study(current_user, found):
        abort(403, _("Only staff can correct a published case study."))
    form = LeadImageForm().offer(found)
    valid = form.validate()
    if not form.attachment_id.data:
        form.attachment_id.errors = [
            *form.attachment_id.errors,
            _("Choose one of the study's PNG or JPEG files."),
        ]
        valid = False
    if valid:
        chosen = db.session.get(Attachment, form.attachment_id.data)
        try:
            library.set_lead_image(
                found, chosen, form.alt_text.data, form.caption.data, form.credit.data, current_user
            )
        except images.ImageError as exc:
            db.session.rollback()
            name = exc.field if exc.field in ("alt_text", "caption", "credit") else "attachment_id"
            form[name].errors = [exc.message]
            valid = False
    if not valid:
        return _correct_page(library.published_study(slug), lead_form=form, status=422)
    db.session.commit()
    flash(_("The lead image is set: readers see it at the top of the study."), "success")
    return redirect(url_for("library.correct", slug=found.slug) + "#lead-image")


def _correction_form(found: CaseStudy, posted: bool = False) -> StudyCorrectionForm:
    return StudyCorrectionForm(
        data=None
        if posted
        else {
            "version": found.version,
            "title": found.title,
            "summary": found.summary,
            **{f"{s.value}_md": getattr(found, f"{s.value}_md") for s in MARKDOWN_SECTIONS},
        }
    )


def _slug_form(found: CaseStudy) -> StudySlugForm:
    return StudySlugForm(formdata=None, data={"slug": found.slug})


@bp.post("/<slug>/slug")
@login_required
def change_slug(slug: str):
    found = library.published_study(slug)
    if found is None:
        abort(404)
    if not policy.may_correct_study(current_user, found):
        abort(403, _("Only staff can change the address of a published case study."))
    form = StudySlugForm()
    if form.validate_on_submit():
        try:
            changed = library.change_slug(found, form.slug.data, current_user)
        except library.SlugError as error:
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            if changed:
                flash(
                    _(
                        "The address is now /library/%(slug)s; /library/%(slug2)s redirects to it.",
                        slug=found.slug,
                        slug2=slug,
                    ),
                    "success",
                )
            return redirect(url_for("library.study", slug=found.slug))
    return _correct_page(found, slug_form=form, status=422)


@bp.get("/slug-check")
def slug_check():
    """Answer whether a slug is free, for the address field as staff, or the authors of the
    study being edited, type it (JSON)."""
    study = db.session.get(CaseStudy, request.args.get("study", type=int) or 0)
    author = study is not None and policy.may_edit_study(current_user, study)
    if not (policy.is_staff(current_user) or author):
        abort(404)
    slug = (request.args.get("slug") or "").strip()
    return {
        "slug": slug,
        "problem": library.slug_problem(slug, study),
        "suggestion": library.slugify(slug) if slug else "",
    }


@bp.get("/<slug>/images/<int:attachment_id>/<int:width>")
def image(slug: str, attachment_id: int, width: int):
    """A resized copy of a published study's lead image, shown inline."""
    found = library.published_study(slug)
    if found is None or found.state != StudyState.published:
        abort(404)
    return images.serve(images.rendition_of(found, attachment_id, width), public=True)


@bp.get("/<slug>/files/<int:attachment_id>")
def download(slug: str, attachment_id: int):
    found = library.published_study(slug)
    if found is None or found.state != StudyState.published:
        abort(404)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.study_id != found.id:
        abort(404)
    return attachments.download(attachment)
