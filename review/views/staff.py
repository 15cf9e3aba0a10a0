"""The staff console (SPEC §7): the dashboard, studies, people, pillars, settings, the audit log
and the outbox. Every route answers 404 to anyone but staff (a visitor is asked to sign in)."""

from datetime import UTC

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from forms.staff import (
    AuditFilterForm,
    CochairAddForm,
    CochairPersonForm,
    ExtendForm,
    InviteForm,
    KindForm,
    OverrideForm,
    PillarForm,
    ReasonForm,
    SettingsForm,
)
from models import (
    AccessRequest,
    AffirmationWindow,
    CaseStudy,
    Login,
    Notification,
    Pillar,
    Round,
    StudyAuthor,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import AccessRequestStatus, NotificationStatus, StudyState, UserKind
from review import accounts, policy, reviews, staff, workflow
from review.infra.extensions import login_manager
from review.staff import exports

bp = Blueprint("staff", __name__, url_prefix="/staff")

PER_PAGE = 50
# The stored email is shown in a sandboxed frame that may style itself but run nothing.
EMAIL_FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
)


@bp.before_request
def _staff_only():
    if not policy.signed_in(current_user):
        return login_manager.unauthorized()
    if not policy.may_view_staff(current_user):
        abort(404)
    return None


def _get(model, ident: int):
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _back(default: str):
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
    rnd = _get(Round, round_id)
    try:
        told = staff.remind_now(current_user, rnd)
    except staff.StaffError as exc:
        flash(str(exc), "error")
        return _back(url_for("staff.index"))
    db.session.commit()
    flash(f"Reminder sent to {told} co-chair{'s' if told != 1 else ''}.", "success")
    return _back(url_for("staff.index"))


# ---------------------------------------------------------------- studies


@bp.get("/studies")
def studies():
    state = request.args.get("state", "")
    pillar_id = request.args.get("pillar", type=int)
    overdue = request.args.get("overdue") == "1"
    q = (request.args.get("q") or "")[:200]
    page = db.paginate(staff.studies_query(state, pillar_id, overdue, q), per_page=PER_PAGE,
                       error_out=False)  # fmt: skip
    pillars = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    return render_template("staff/studies.html", page=page, pillars=pillars, state=state,
                           pillar_id=pillar_id, overdue=overdue, q=q)  # fmt: skip


def _study_page(study: CaseStudy, status: int = 200, **forms):
    events = {row.event for row in workflow.available_events(study, current_user)}
    window = db.session.scalar(
        sa.select(AffirmationWindow)
        .where(AffirmationWindow.study_id == study.id, AffirmationWindow.closed_at.is_(None))
        .order_by(AffirmationWindow.id.desc())
        .limit(1)
    )
    rnd = reviews.current_round(study)
    forms.setdefault("unpublish_form", ReasonForm(prefix="unpublish"))
    forms.setdefault("reopen_form", ReasonForm(prefix="reopen"))
    forms.setdefault("override_form", OverrideForm(prefix="override"))
    extend_form = forms.setdefault("extend_form", ExtendForm(prefix="extend"))
    if window is not None and extend_form.closes_at.data is None:
        extend_form.closes_at.data = window.closes_at.astimezone(UTC).replace(tzinfo=None)
    return render_template(
        "staff/study.html", study=study, events=events, window=window, rnd=rnd,
        waiting=staff.waiting_cochairs([rnd.id]).get(rnd.id, []) if rnd else [],
        turn=workflow.whose_turn(study), history=workflow.history(study),
        may_extend=window is not None and study.state == StudyState.in_affirmation, **forms,
    ), status  # fmt: skip


@bp.get("/studies/<int:study_id>")
def study(study_id: int):
    return _study_page(_get(CaseStudy, study_id))


@bp.post("/studies/<int:study_id>/<any(publish, unpublish, override, reopen):event>")
def act(study_id: int, event: str):
    study = _get(CaseStudy, study_id)
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
        kwargs.update(recommendation=form.recommendation.data, overall=form.overall.data or "",
                      items=())  # fmt: skip
    version = request.form.get("version", type=int)
    try:
        workflow.apply(study, event, current_user, expected_version=version, **kwargs)
        db.session.commit()
    except workflow.Refused as exc:
        db.session.rollback()
        flash(exc.message, "error")
        study = _get(CaseStudy, study_id)
        return _study_page(study, 422, **({f"{event}_form": form} if form else {}))
    except workflow.Changed as exc:
        db.session.rollback()
        text = exc.message
        if exc.what_happened:
            text += " Since you opened the page: " + "; ".join(exc.what_happened) + "."
        flash(text + " Nothing was done; what you typed is kept below.", "error")
        kept = {f"{event}_form": form} if form else {}
        return _study_page(_get(CaseStudy, study_id), 409, **kept)
    flash(f"Done: “{study.title}” is now {study.state.label.lower()}.", "success")
    return redirect(url_for("staff.study", study_id=study_id))


@bp.post("/studies/<int:study_id>/extend")
def extend(study_id: int):
    study = _get(CaseStudy, study_id)
    form = ExtendForm(prefix="extend")
    if not form.validate():
        return _study_page(study, 422, extend_form=form)
    window = db.session.scalar(
        sa.select(AffirmationWindow)
        .where(AffirmationWindow.study_id == study.id, AffirmationWindow.closed_at.is_(None))
        .order_by(AffirmationWindow.id.desc())
        .limit(1)
    )
    if window is None or study.state != StudyState.in_affirmation:
        flash("This study is not open for affirmation: there is no window to extend.", "error")
        return redirect(url_for("staff.study", study_id=study_id))
    try:
        staff.extend_affirmation(current_user, window, form.closes_at.data.replace(tzinfo=UTC),
                                 form.reason.data)  # fmt: skip
    except staff.StaffError as exc:
        db.session.rollback()
        message = str(exc)
        if message.startswith("Reason: "):
            form.reason.errors.append(message.removeprefix("Reason: "))
        else:
            form.closes_at.errors.append(message.removeprefix("New deadline: "))
        return _study_page(_get(CaseStudy, study_id), 422, extend_form=form)
    db.session.commit()
    flash("The affirmation window is extended.", "success")
    return redirect(url_for("staff.study", study_id=study_id))


# ---------------------------------------------------------------- people


@bp.get("/people")
def people():
    q = (request.args.get("q") or "")[:200]
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    page = db.paginate(staff.people_query(q, kind, status), per_page=PER_PAGE, error_out=False)
    requests_ = db.session.scalars(
        sa.select(AccessRequest).where(AccessRequest.status == AccessRequestStatus.pending)
        .order_by(AccessRequest.created_at)
    ).all()  # fmt: skip
    return render_template(
        "staff/people.html", page=page, q=q, kind=kind, status=status, requests=requests_,
        uncovered=staff.pillars_without_cochairs(), invite_form=InviteForm(),
    )  # fmt: skip


@bp.route("/people/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = staff.invite(current_user, email=form.email.data, name=form.name.data,
                                kind=UserKind(form.kind.data))  # fmt: skip
        except staff.StaffError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("staff.person", user_id=user.id))
    return render_template("staff/invite.html", form=form), 422 if form.errors else 200


@bp.post("/requests/<int:request_id>/<any(approve, reject):decision>")
def decide_request(request_id: int, decision: str):
    row = _get(AccessRequest, request_id)
    try:
        user = staff.decide_access_request(current_user, row, decision == "approve")
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("staff.people"))
    db.session.commit()
    if user is not None:
        flash(f"Approved: an invitation is on its way to {user.email}.", "success")
    else:
        flash(f"The request from {row.email} is rejected.", "success")
    return redirect(url_for("staff.people"))


def _person_page(user: User, status: int = 200, **forms):
    taken = {a.pillar_id for a in user.cochair_assignments}
    pillars = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    cochair_form = forms.setdefault("cochair_form", CochairAddForm())
    cochair_form.pillar_id.choices = [(p.id, p.name) for p in pillars if p.id not in taken]
    forms.setdefault("kind_form", KindForm(kind=user.kind.value))
    authored = db.session.scalars(
        sa.select(CaseStudy).where(CaseStudy.id.in_(
            sa.select(StudyAuthor.study_id).where(StudyAuthor.user_id == user.id)
        )).order_by(CaseStudy.updated_at.desc())
    ).all()  # fmt: skip
    sessions = db.session.scalar(
        sa.select(sa.func.count()).select_from(Login).where(Login.user_id == user.id)
    )
    return render_template("staff/person.html", user=user, authored=authored,
                           sessions=sessions, **forms), status  # fmt: skip


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    return _person_page(_get(User, user_id))


@bp.post("/people/<int:user_id>/kind")
def change_kind(user_id: int):
    user = _get(User, user_id)
    form = KindForm()
    if not form.validate():
        return _person_page(user, 422, kind_form=form)
    try:
        staff.change_kind(current_user, user, UserKind(form.kind.data))
    except staff.StaffError as exc:
        db.session.rollback()
        form.kind.errors.append(str(exc).removeprefix("Kind: "))
        return _person_page(_get(User, user_id), 422, kind_form=form)
    db.session.commit()
    flash(f"{user.name} is now {user.kind.label.lower()}.", "success")
    return redirect(url_for("staff.person", user_id=user.id))


@bp.post("/people/<int:user_id>/cochairs")
def add_cochair(user_id: int):
    user = _get(User, user_id)
    form = CochairAddForm()
    form.pillar_id.choices = [
        (p.id, p.name) for p in db.session.scalars(sa.select(Pillar).order_by(Pillar.position))
    ]
    if not form.validate():
        return _person_page(user, 422, cochair_form=form)
    pillar = _get(Pillar, form.pillar_id.data)
    try:
        staff.add_cochair(current_user, pillar, user)
    except staff.StaffError as exc:
        db.session.rollback()
        form.pillar_id.errors.append(str(exc).removeprefix("Co-chair: "))
        return _person_page(_get(User, user_id), 422, cochair_form=form)
    db.session.commit()
    flash(f"{user.name} now co-chairs {pillar.name}.", "success")
    return _back(url_for("staff.person", user_id=user.id))


@bp.post("/people/<int:user_id>/cochairs/<int:pillar_id>/remove")
def remove_cochair(user_id: int, pillar_id: int):
    user = _get(User, user_id)
    pillar = _get(Pillar, pillar_id)
    try:
        staff.remove_cochair(current_user, pillar, user)
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(url_for("staff.person", user_id=user.id))
    db.session.commit()
    flash(f"{user.name} no longer co-chairs {pillar.name}.", "success")
    if not pillar.cochair_assignments:
        flash(f"{pillar.name} has no co-chair now: its studies wait for staff.", "warning")
    return _back(url_for("staff.person", user_id=user.id))


@bp.post("/people/<int:user_id>/<any(deactivate, reactivate, resend_invitation):action>")
def person_action(user_id: int, action: str):
    user = _get(User, user_id)
    operation = {"deactivate": staff.deactivate, "reactivate": staff.reactivate,
                 "resend_invitation": staff.resend_invitation}[action]  # fmt: skip
    try:
        operation(current_user, user)
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("staff.person", user_id=user.id))
    db.session.commit()
    flash({
        "deactivate": f"{user.name} is deactivated: signed out everywhere, no more email. "
                      "Their studies stay as they are.",
        "reactivate": f"{user.name} can sign in again.",
        "resend_invitation": f"The invitation is sent again to {user.email}.",
    }[action], "success")  # fmt: skip
    return redirect(url_for("staff.person", user_id=user.id))


# ---------------------------------------------------------------- pillars and settings


@bp.get("/pillars")
def pillars():
    rows = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    counts = staff.study_counts()
    open_counts = {p.id: sum(n for (pid, s), n in counts.items()
                             if pid == p.id and s not in (StudyState.draft,))
                   for p in rows}  # fmt: skip
    return render_template("staff/pillars.html", pillars=rows, open_counts=open_counts,
                           uncovered={p.id for p in staff.pillars_without_cochairs()})  # fmt: skip


def _pillar_page(
    pillar: Pillar, form: PillarForm, cochair_form: CochairPersonForm, status: int = 200
):
    return render_template("staff/pillar.html", pillar=pillar, form=form,
                           cochair_form=cochair_form), status  # fmt: skip


@bp.route("/pillars/<int:pillar_id>", methods=["GET", "POST"])
def pillar(pillar_id: int):
    pillar = _get(Pillar, pillar_id)
    form = PillarForm(obj=pillar)
    if form.validate_on_submit():
        changed = staff.update_pillar(
            current_user, pillar, name=form.name.data.strip(),
            description=(form.description.data or "").strip(),
            review_quorum=form.review_quorum.data, review_due_days=form.review_due_days.data,
        )  # fmt: skip
        db.session.commit()
        flash(f"{pillar.name} is saved." if changed else "Nothing changed.", "success")
        return redirect(url_for("staff.pillar", pillar_id=pillar.id))
    return _pillar_page(pillar, form, CochairPersonForm(), 422 if form.errors else 200)


@bp.post("/pillars/<int:pillar_id>/cochairs")
def pillar_add_cochair(pillar_id: int):
    pillar = _get(Pillar, pillar_id)
    form = CochairPersonForm()
    if form.validate():
        user = accounts.find_user(form.email.data)
        if user is None:
            form.email.errors.append("No one has an account with this email.")
        else:
            try:
                staff.add_cochair(current_user, pillar, user)
            except staff.StaffError as exc:
                db.session.rollback()
                form.email.errors.append(str(exc).removeprefix("Co-chair: "))
            else:
                db.session.commit()
                flash(f"{user.name} now co-chairs {pillar.name}.", "success")
                return redirect(url_for("staff.pillar", pillar_id=pillar.id))
    pillar = _get(Pillar, pillar_id)
    return _pillar_page(pillar, PillarForm(obj=pillar, formdata=None), form, 422)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm(data=staff.settings())
    if form.validate_on_submit():
        changed = staff.update_settings(
            current_user, affirmation_days=form.affirmation_days.data,
            affirmation_min_votes=form.affirmation_min_votes.data,
            affirmation_threshold=float(form.affirmation_threshold.data),
        )  # fmt: skip
        db.session.commit()
        flash("The settings are saved." if changed else "Nothing changed.", "success")
        return redirect(url_for("staff.settings"))
    return render_template("staff/settings.html", form=form), 422 if form.errors else 200


# ---------------------------------------------------------------- the audit log


def _audit_filters():
    form = AuditFilterForm(request.args)
    form.event.choices = [("", "Any event")] + [(e, e) for e in staff.audit_events()]
    if not form.validate():
        return form, None
    person_id = None
    if form.person.data:
        person = accounts.find_user(form.person.data)
        person_id = person.id if person is not None else -1
    return form, staff.audit_query(
        study_id=form.study.data, person_id=person_id, event=form.event.data or "",
        date_from=form.date_from.data, date_to=form.date_to.data,
    )  # fmt: skip


@bp.get("/audit")
def audit():
    form, stmt = _audit_filters()
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False) if stmt is not None else None
    return render_template("staff/audit.html", form=form, page=page,
                           args=request.args.to_dict()), 200 if page else 422  # fmt: skip


@bp.get("/audit.csv")
def audit_csv():
    form, stmt = _audit_filters()
    if stmt is None:
        abort(400, "Correct the filters first.")
    body = staff.audit_csv(db.session.scalars(stmt))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})  # fmt: skip


# ---------------------------------------------------------------- notifications


@bp.get("/notifications")
def notifications():
    person = (request.args.get("person") or "")[:254]
    study_id = request.args.get("study", type=int)
    kind = (request.args.get("kind") or "")[:60]
    status = request.args.get("status", "")
    page = db.paginate(staff.notifications_query(person, study_id, kind, status),
                       per_page=PER_PAGE, error_out=False)  # fmt: skip
    return render_template(
        "staff/notifications.html", page=page, person=person, study_id=study_id, kind=kind,
        status=status, kinds=staff.notification_kinds(), summary=staff.notification_summary(),
    )  # fmt: skip


@bp.get("/notifications/<int:notification_id>")
def notification(notification_id: int):
    row = _get(Notification, notification_id)
    return render_template("staff/notification.html", n=row,
                           NotificationStatus=NotificationStatus)  # fmt: skip


@bp.get("/notifications/<int:notification_id>/html")
def notification_html(notification_id: int):
    """The stored HTML part, exactly as sent, for the sandboxed frame of the email page."""
    row = _get(Notification, notification_id)
    if row.body_html is None:
        abort(404)
    response = make_response(row.body_html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = EMAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/notifications/<int:notification_id>/resend")
def resend(notification_id: int):
    row = _get(Notification, notification_id)
    try:
        staff.resend_notification(current_user, row)
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(url_for("staff.notification", notification_id=row.id))
    db.session.commit()
    flash(f"The email to {row.email} is back in the outbox.", "success")
    return _back(url_for("staff.notification", notification_id=row.id))


# ---------------------------------------------------------------- exports (issue 7, engineer E)


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
