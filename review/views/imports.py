"""Staff's import of studies already published elsewhere: upload a JSON or CSV file, see per
row what would be created and what is wrong, then import. 404 to anyone but staff."""

from flask import Blueprint, flash, render_template, request
from flask_login import current_user

from forms.library import StudyImportForm
from models.base import db
from review.staff import imports
from review.views.guards import staff_only

bp = Blueprint("imports", __name__, url_prefix="/staff/import")


bp.before_request(staff_only)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = StudyImportForm()
    report = file_error = None
    if form.validate_on_submit():
        upload = form.file.data
        # Two buttons: "Check" (the default, a dry run) and "Import".
        dry_run = request.form.get("action") != "import"
        try:
            rows, bundle = imports.read_upload(upload.filename or "", upload.read())
        except imports.ImportFileError as error:
            file_error = str(error)
        else:
            report = imports.import_studies(
                rows,
                current_user,
                source=upload.filename or "upload",
                dry_run=dry_run,
                invite=form.invite.data,
                bundle=bundle,
            )
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
                flash(imports.summary(report), "success")
    status = 422 if file_error or (form.errors and not report) else 200
    return render_template(
        "imports/index.html",
        form=form,
        report=report,
        file_error=file_error,
        summary=imports.summary(report) if report else "",
    ), status
