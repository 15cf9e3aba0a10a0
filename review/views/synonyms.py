"""Staff's synonym list for the library search: groups of phrases that find each other
("fare free, zero fare, free transit"). 404 to anyone but staff."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forms.library import SynonymsForm
from models.base import db
from review import library
from review.views.guards import staff_only

bp = Blueprint("synonyms", __name__, url_prefix="/staff/synonyms")


bp.before_request(staff_only)


@bp.route("/", methods=["GET", "POST"])
def index():
    form = SynonymsForm(data={"text": library.synonyms_in_force()})
    if form.validate_on_submit():
        library.set_synonyms(form.text.data, current_user)
        db.session.commit()
        flash(_("The synonyms are in force for every search from now on."), "success")
        return redirect(url_for("synonyms.index"))
    return render_template(
        "synonyms/index.html", form=form, groups=library.parse_synonyms(form.text.data or "")
    ), 422 if form.errors else 200
