"""A study's files in the editor: upload, download and remove attachments; choose, describe
and remove its lead image, and the authors' view of its resized copies. Routes of the studies
blueprint (review/views/studies.py, which loads and authorises the study)."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.lead_image import LeadImageForm
from forms.studies import AttachmentUploadForm, StudyEditForm, initial_data
from models import Attachment, CaseStudy
from models.base import db
from review import attachments, images, policy
from review.views.studies import _editor, _load_editable, _pillar_choices, bp

IMAGE_PART = "#part-image"


@bp.post("/<int:study_id>/attachments")
@login_required
def upload(study_id: int):
    study = _load_editable(study_id)
    form = AttachmentUploadForm()
    if not form.validate():
        for error in form.file.errors:
            flash(_("%(text)s: %(error)s", text=form.file.label.text, error=error), "error")
        return redirect(url_for("studies.edit", study_id=study.id) + "#part-files")
    try:
        attachment = attachments.add_attachment(study, form.file.data, current_user)
    except attachments.AttachmentError as exc:
        db.session.rollback()
        flash(_("%(text)s: %(exc)s", text=form.file.label.text, exc=exc), "error")
        return redirect(url_for("studies.edit", study_id=study.id) + "#part-files")
    db.session.commit()
    flash(_("“%(filename)s” is attached.", filename=attachment.filename), "success")
    return redirect(url_for("studies.edit", study_id=study.id) + "#part-files")


@bp.get("/<int:study_id>/attachments/<int:attachment_id>")
def download(study_id: int, attachment_id: int):
    study = db.session.get(CaseStudy, study_id)
    if study is None or not policy.may_download_attachment(current_user, study):
        abort(404)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.study_id != study.id:
        abort(404)
    return attachments.download(attachment, max_age=0)


@bp.post("/<int:study_id>/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(study_id: int, attachment_id: int):
    study = _load_editable(study_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.study_id != study.id:
        abort(404)
    name = attachment.filename
    attachments.remove_attachment(study, attachment)
    db.session.commit()
    flash(_("“%(name)s” is removed.", name=name), "success")
    return redirect(url_for("studies.edit", study_id=study.id) + "#part-files")


@bp.post("/<int:study_id>/lead-image")
@login_required
def lead_image(study_id: int):
    study = _load_editable(study_id)
    form = LeadImageForm().offer(study)
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        try:
            added = attachments.add_attachment(study, upload, current_user)
        except attachments.AttachmentError as exc:
            db.session.rollback()
            form.validate()
            form.file.errors = [str(exc)]
            return _refused(study, form)
        # Kept whatever else is wrong with the form: nothing the person gave is lost.
        db.session.commit()
        form.offer(db.session.get(CaseStudy, study.id))
        form.attachment_id.data = added.id
    valid = form.validate()
    if not form.attachment_id.data:
        form.file.errors = [*form.file.errors, _("Choose a picture to upload, or one attached.")]
        valid = False
    if valid:
        chosen = db.session.get(Attachment, form.attachment_id.data)
        try:
            images.choose(study, chosen, form.alt_text.data, form.caption.data, form.credit.data)
        except images.ImageError as exc:
            db.session.rollback()
            getattr(form, exc.field or "file").errors = [exc.message]
            valid = False
    if not valid:
        return _refused(study, form)
    db.session.commit()
    flash(_("The lead image is set: readers see it at the top of the study."), "success")
    return redirect(url_for("studies.edit", study_id=study.id) + IMAGE_PART)


def _refused(study: CaseStudy, lead_form: LeadImageForm):
    """Show the editor again, the lead image's form as it was filled and its errors beside it."""
    form = StudyEditForm(formdata=None, data=initial_data(study))
    form.offer_pillars(_pillar_choices())
    return _editor(study, form, status=422, lead_form=lead_form)


@bp.post("/<int:study_id>/lead-image/remove")
@login_required
def remove_lead_image(study_id: int):
    study = _load_editable(study_id)
    images.remove(study)
    db.session.commit()
    flash(_("The study has no lead image now; the file is still attached."), "success")
    return redirect(url_for("studies.edit", study_id=study.id) + IMAGE_PART)


@bp.get("/<int:study_id>/images/<int:attachment_id>/<int:width>")
def image(study_id: int, attachment_id: int, width: int):
    study = db.session.get(CaseStudy, study_id)
    if study is None or not policy.may_download_attachment(current_user, study):
        abort(404)
    return images.serve(images.rendition_of(study, attachment_id, width), public=False)
