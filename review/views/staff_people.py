"""The staff console's people pages (SPEC §7): the people list and search, invitations, access
requests, a person's page, their kind, co-chair assignments, deactivation. Routes of the staff
blueprint (review/views/staff.py, which holds its guard: 404 to anyone but staff)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forms.staff import CochairAddForm, InviteForm, KindForm
from models import AccessRequest, Pillar, User
from models.base import db
from models.enums import UserKind
from review import staff
from review.views.staff import PER_PAGE, back, bp, row_or_404

# ---------------------------------------------------------------- people


@bp.get("/people")
def people():
    q = (request.args.get("q") or "")[:200]
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    page = db.paginate(staff.people_query(q, kind, status), per_page=PER_PAGE, error_out=False)
    return render_template(
        "staff/people.html",
        page=page,
        q=q,
        kind=kind,
        status=status,
        requests=staff.pending_access_requests(),
        uncovered=staff.pillars_without_cochairs(),
        invite_form=InviteForm(),
    )


@bp.route("/people/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = staff.invite(
                current_user,
                email=form.email.data,
                name=form.name.data,
                kind=UserKind(form.kind.data),
            )
        except staff.StaffError as exc:
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("staff.person", user_id=user.id))
    return render_template("staff/invite.html", form=form), 422 if form.errors else 200


@bp.post("/requests/<int:request_id>/<any(approve, reject):decision>")
def decide_request(request_id: int, decision: str):
    row = row_or_404(AccessRequest, request_id)
    try:
        user = staff.decide_access_request(current_user, row, decision == "approve")
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("staff.people"))
    db.session.commit()
    if user is not None:
        flash(_("Approved: an invitation is on its way to %(email)s.", email=user.email), "success")
    else:
        flash(_("The request from %(email)s is rejected.", email=row.email), "success")
    return redirect(url_for("staff.people"))


def _person_page(user: User, status: int = 200, **forms):
    taken = {a.pillar_id for a in user.cochair_assignments}
    cochair_form = forms.setdefault("cochair_form", CochairAddForm())
    cochair_form.pillar_id.choices = [(p.id, p.name) for p in staff.pillars() if p.id not in taken]
    forms.setdefault("kind_form", KindForm(kind=user.kind.value))
    return render_template(
        "staff/person.html",
        user=user,
        authored=staff.authored_by(user),
        sessions=staff.session_count(user),
        **forms,
    ), status


@bp.get("/people/<int:user_id>")
def person(user_id: int):
    return _person_page(row_or_404(User, user_id))


@bp.post("/people/<int:user_id>/kind")
def change_kind(user_id: int):
    user = row_or_404(User, user_id)
    form = KindForm()
    if not form.validate():
        return _person_page(user, 422, kind_form=form)
    try:
        staff.change_kind(current_user, user, UserKind(form.kind.data))
    except staff.StaffError as exc:
        db.session.rollback()
        form.kind.errors.append(str(exc).partition(": ")[2] or str(exc))
        return _person_page(row_or_404(User, user_id), 422, kind_form=form)
    db.session.commit()
    flash(_("%(name)s is now %(kind)s.", name=user.name, kind=user.kind.label.lower()), "success")
    return redirect(url_for("staff.person", user_id=user.id))


@bp.post("/people/<int:user_id>/cochairs")
def add_cochair(user_id: int):
    user = row_or_404(User, user_id)
    form = CochairAddForm()
    form.pillar_id.choices = [(p.id, p.name) for p in staff.pillars()]
    if not form.validate():
        return _person_page(user, 422, cochair_form=form)
    pillar = row_or_404(Pillar, form.pillar_id.data)
    try:
        staff.add_cochair(current_user, pillar, user)
    except staff.StaffError as exc:
        db.session.rollback()
        form.pillar_id.errors.append(str(exc).partition(": ")[2] or str(exc))
        return _person_page(row_or_404(User, user_id), 422, cochair_form=form)
    db.session.commit()
    flash(
        _("%(name)s now co-chairs %(pillar_name)s.", name=user.name, pillar_name=pillar.name),
        "success",
    )
    return back(url_for("staff.person", user_id=user.id))


@bp.post("/people/<int:user_id>/cochairs/<int:pillar_id>/remove")
def remove_cochair(user_id: int, pillar_id: int):
    user = row_or_404(User, user_id)
    pillar = row_or_404(Pillar, pillar_id)
    try:
        staff.remove_cochair(current_user, pillar, user)
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back(url_for("staff.person", user_id=user.id))
    db.session.commit()
    flash(
        _("%(name)s no longer co-chairs %(pillar_name)s.", name=user.name, pillar_name=pillar.name),
        "success",
    )
    if not pillar.cochair_assignments:
        flash(
            _(
                "%(pillar_name)s has no co-chair now: its studies wait for staff.",
                pillar_name=pillar.name,
            ),
            "warning",
        )
    return back(url_for("staff.person", user_id=user.id))


@bp.post("/people/<int:user_id>/<any(deactivate, reactivate, resend_invitation):action>")
def person_action(user_id: int, action: str):
    user = row_or_404(User, user_id)
    operation = {
        "deactivate": staff.deactivate,
        "reactivate": staff.reactivate,
        "resend_invitation": staff.resend_invitation,
    }[action]
    try:
        operation(current_user, user)
    except staff.StaffError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("staff.person", user_id=user.id))
    db.session.commit()
    flash(
        {
            "deactivate": _(
                "%(name)s is deactivated: signed out everywhere, no more email. "
                "Their studies stay as they are.",
                name=user.name,
            ),
            "reactivate": _("%(name)s can sign in again.", name=user.name),
            "resend_invitation": _("The invitation is sent again to %(email)s.", email=user.email),
        }[action],
        "success",
    )
    return redirect(url_for("staff.person", user_id=user.id))
