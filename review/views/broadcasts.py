"""Staff's view of broadcasts, beside the notifications page: each email owed to an audience,
its progress, and "resume" for one that no job holds. 404 to anyone but staff."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from models import Broadcast
from models.base import db
from models.clock import utcnow
from review import broadcasts
from review.views.guards import staff_only

bp = Blueprint("broadcasts", __name__, url_prefix="/staff/broadcasts")

PER_PAGE = 50


bp.before_request(staff_only)


@bp.get("/")
def index():
    only_stalled = request.args.get("stalled") == "1"
    page = db.paginate(broadcasts.listing(only_stalled), per_page=PER_PAGE, error_out=False)
    return render_template(
        "broadcasts/index.html",
        page=page,
        now=utcnow(),
        only_stalled=only_stalled,
    )


@bp.post("/<int:broadcast_id>/resume")
def resume(broadcast_id: int):
    row = db.session.get(Broadcast, broadcast_id)
    if row is None:
        abort(404)
    if row.finished_at is not None:
        flash(_("That broadcast is finished: there is nothing to resume."), "info")
        return redirect(url_for("broadcasts.index"))
    broadcasts.resume(row)
    db.session.commit()
    flash(
        _(
            "Broadcast %(id)s (%(kind)s) is handed to a new job.",
            id=row.id,
            kind=row.kind.replace("_", " "),
        ),
        "success",
    )
    return redirect(url_for("broadcasts.index"))
