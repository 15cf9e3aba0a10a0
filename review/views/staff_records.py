"""The staff console's records (SPEC §7): the audit log and its CSV, the outbox of notifications
with each email as sent and its resend, and the exports of every study. Routes of the staff
blueprint (review/views/staff.py, which holds its guard: 404 to anyone but staff)."""

from flask import (
    Response,
    abort,
    flash,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from forms.staff import AuditFilterForm
from models import Notification
from models.base import db
from models.clock import utcnow
from models.enums import NotificationStatus
from review import accounts, policy, staff
from review.staff import exports
from review.views.staff import PER_PAGE, back, bp, row_or_404

# The stored email is shown in a sandboxed frame that may style itself but run nothing.
EMAIL_FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
)

# ---------------------------------------------------------------- the audit log


def _audit_filters():
    form = AuditFilterForm(request.args)
    form.event.choices = [("", _("Any event"))] + [(e, e) for e in staff.audit_events()]
    if not form.validate():
        return form, None
    person_id = None
    if form.person.data:
        person = accounts.find_user(form.person.data)
        person_id = person.id if person is not None else -1
    return form, staff.audit_query(
        study_id=form.study.data,
        person_id=person_id,
        event=form.event.data or "",
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


@bp.get("/audit")
def audit():
    form, stmt = _audit_filters()
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False) if stmt is not None else None
    return render_template(
        "staff/audit.html", form=form, page=page, args=request.args.to_dict()
    ), 200 if page else 422


@bp.get("/audit.csv")
def audit_csv():
    form, stmt = _audit_filters()
    if stmt is None:
        abort(400, _("Correct the filters first."))
    body = staff.audit_csv(db.session.scalars(stmt))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


# ---------------------------------------------------------------- notifications


@bp.get("/notifications")
def notifications():
    person = (request.args.get("person") or "")[:254]
    study_id = request.args.get("study", type=int)
    kind = (request.args.get("kind") or "")[:60]
    status = request.args.get("status", "")
    page = db.paginate(
        staff.notifications_query(person, study_id, kind, status),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "staff/notifications.html",
        page=page,
        person=person,
        study_id=study_id,
        kind=kind,
        status=status,
        kinds=staff.notification_kinds(),
        summary=staff.notification_summary(),
    )


@bp.get("/notifications/<int:notification_id>")
def notification(notification_id: int):
    row = row_or_404(Notification, notification_id)
    return render_template("staff/notification.html", n=row, NotificationStatus=NotificationStatus)


@bp.get("/notifications/<int:notification_id>/html")
def notification_html(notification_id: int):
    """The stored HTML part, exactly as sent, for the sandboxed frame of the email page."""
    row = row_or_404(Notification, notification_id)
    if row.body_html is None:
        abort(404)
    response = make_response(row.body_html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/notifications/<int:notification_id>/resend")
def resend(notification_id: int):
    row = row_or_404(Notification, notification_id)
    try:
        staff.resend_notification(current_user, row)
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back(url_for("staff.notification", notification_id=row.id))
    db.session.commit()
    flash(_("The email to %(email)s is back in the outbox.", email=row.email), "success")
    return back(url_for("staff.notification", notification_id=row.id))


# ---------------------------------------------------------------- exports


@bp.get("/export.csv")
def export_csv():
    if not policy.may_export_studies(current_user):
        abort(404)
    stamp = utcnow().strftime("%Y-%m-%d")
    return Response(
        stream_with_context(exports.csv_lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="case-studies-{stamp}.csv"'},
    )


@bp.get("/export.json")
def export_json():
    if not policy.may_export_studies(current_user):
        abort(404)
    stamp = utcnow().strftime("%Y-%m-%d")
    return Response(
        stream_with_context(exports.json_chunks()),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="case-studies-{stamp}.json"'},
    )
