"""The staff console's operations on people, pillars, settings, reviews, notifications and
affirmation windows. Each change writes an audit event whose `data` holds the values before and
after. Operations flush, never commit."""

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import (
    AccessRequest,
    AffirmationWindow,
    CaseStudy,
    CochairAssignment,
    Notification,
    Pillar,
    Round,
    User,
)
from models.base import db
from models.clock import utcnow
from models.enums import (
    NotificationCategory,
    NotificationStatus,
    UserKind,
)
from models.setting import DEFAULTS, set_setting
from review import accounts, affirmation, notify
from review.audit import record
from review.errors import OperationError
from review.infra.sessions import end_all_sessions
from review.notify import subject_for
from review.staff.queries import settings, waiting_cochairs
from review.workflow.context import OPEN_FOR_REVIEW


class StaffError(OperationError):
    """A refused staff operation; the message is shown to the person."""


# ---------------------------------------------------------------- people


def _person(user: User) -> dict:
    return {"user_id": user.id, "email": user.email}


def invite(staff: User, *, email: str, name: str, kind: UserKind) -> User:
    """Create the account and email the invitation; flush only."""
    try:
        user = accounts.invite(email=email, name=name, kind=kind, invited_by=staff)
    except accounts.AccountError as exc:
        raise StaffError(exc.message, exc.field) from exc
    record(
        staff,
        "user_invited",
        **_person(user),
        before=None,
        after={"kind": kind.value, "name": user.name},
    )
    return user


def decide_access_request(staff: User, request_row: AccessRequest, approve: bool) -> User | None:
    """Approve (inviting the person) or reject a request for access; flush only."""
    try:
        user = accounts.decide_access_request(request_row, staff, approve)
    except accounts.AccountError as exc:
        raise StaffError(exc.message, exc.field) from exc
    record(
        staff,
        "access_request_approved" if approve else "access_request_rejected",
        request_id=request_row.id,
        email=request_row.email,
        user_id=user.id if user is not None else None,
        before={"status": "pending"},
        after={"status": request_row.status.value},
    )
    return user


def resend_invitation(staff: User, user: User) -> None:
    """Email the invitation link again to someone who has not set a password; flush only."""
    if user.has_password:
        raise StaffError(_("%(name)s has already accepted the invitation.", name=user.name))
    if not user.is_active:
        raise StaffError(
            _("%(name)s is deactivated: reactivate the account first.", name=user.name)
        )
    before = user.invited_at.isoformat() if user.invited_at else None
    accounts.send_invitation(user, staff)
    record(
        staff,
        "invitation_resent",
        **_person(user),
        before={"invited_at": before},
        after={"invited_at": user.invited_at.isoformat()},
    )


def change_kind(staff: User, user: User, kind: UserKind) -> None:
    """Make the person a member, partner or staff; flush only."""
    if user.kind == kind:
        return
    if user.id == staff.id:
        raise StaffError(
            _("Kind: you cannot change your own kind; ask another staff member."), field="kind"
        )
    if kind != UserKind.member and user.cochair_assignments:
        raise StaffError(
            _("Kind: only members co-chair a pillar; remove their co-chair assignments first."),
            field="kind",
        )
    before = user.kind.value
    user.kind = kind
    db.session.flush()
    record(
        staff,
        "user_kind_changed",
        **_person(user),
        before={"kind": before},
        after={"kind": kind.value},
    )


def add_cochair(staff: User, pillar: Pillar, user: User) -> None:
    """Assign an active member as a co-chair of the pillar; flush only."""
    if user.kind != UserKind.member or not user.is_active:
        raise StaffError(_("Co-chair: only an active member can co-chair a pillar."))
    before = sorted(u.id for u in pillar.cochairs)
    if user.id in before:
        raise StaffError(
            _(
                "%(name)s already co-chairs %(pillar_name)s.",
                name=user.name,
                pillar_name=pillar.name,
            )
        )
    pillar.cochair_assignments.append(CochairAssignment(user_id=user.id, created_at=utcnow()))
    db.session.flush()
    db.session.expire(user, ["cochair_assignments"])
    record(
        staff,
        "cochair_added",
        **_person(user),
        pillar_id=pillar.id,
        before={"cochairs": before},
        after={"cochairs": sorted(before + [user.id])},
    )


def remove_cochair(staff: User, pillar: Pillar, user: User) -> None:
    """End a co-chair assignment; flush only. A pillar may be left with none (it is flagged)."""
    assignment = next((a for a in pillar.cochair_assignments if a.user_id == user.id), None)
    if assignment is None:
        raise StaffError(
            _(
                "%(name)s does not co-chair %(pillar_name)s.",
                name=user.name,
                pillar_name=pillar.name,
            )
        )
    before = sorted(u.id for u in pillar.cochairs)
    pillar.cochair_assignments.remove(assignment)
    db.session.flush()
    db.session.expire(user, ["cochair_assignments"])
    record(
        staff,
        "cochair_removed",
        **_person(user),
        pillar_id=pillar.id,
        before={"cochairs": before},
        after={"cochairs": [i for i in before if i != user.id]},
    )


def deactivate(staff: User, user: User) -> None:
    """Stop the person signing in and hearing from us; end their sessions; keep their studies."""
    if user.id == staff.id:
        raise StaffError(_("You cannot deactivate your own account."))
    if not user.is_active:
        raise StaffError(_("%(name)s is already deactivated.", name=user.name))
    user.is_active = False
    end_all_sessions(user)
    db.session.flush()
    record(
        staff,
        "user_deactivated",
        **_person(user),
        before={"is_active": True},
        after={"is_active": False},
    )


def reactivate(staff: User, user: User) -> None:
    """Let a deactivated person sign in again; flush only."""
    if user.is_active:
        raise StaffError(_("%(name)s is already active.", name=user.name))
    user.is_active = True
    db.session.flush()
    record(
        staff,
        "user_reactivated",
        **_person(user),
        before={"is_active": False},
        after={"is_active": True},
    )


# ---------------------------------------------------------------- pillars and settings

PILLAR_FIELDS = ("name", "description", "review_quorum", "review_due_days")


def update_pillar(staff: User, pillar: Pillar, **values) -> bool:
    """Change a pillar's name, description and review settings; flush only.

    Returns whether anything changed (nothing is recorded when nothing did).
    """
    before = {k: getattr(pillar, k) for k in PILLAR_FIELDS}
    after = {k: values.get(k, before[k]) for k in PILLAR_FIELDS}
    if after == before:
        return False
    for key, value in after.items():
        setattr(pillar, key, value)
    db.session.flush()
    changed = [k for k in PILLAR_FIELDS if before[k] != after[k]]
    record(
        staff,
        "pillar_updated",
        pillar_id=pillar.id,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return True


def update_settings(staff: User, **values) -> bool:
    """Store the global affirmation settings; flush only. Returns whether anything changed."""
    before = settings()
    changed = {k: v for k, v in values.items() if k in DEFAULTS and before[k] != v}
    if not changed:
        return False
    for key, value in changed.items():
        set_setting(key, value)
    record(staff, "settings_updated", before={k: before[k] for k in changed}, after=changed)
    return True


def remind_now(staff: User, rnd: Round) -> int:
    """Email the co-chairs who have not reviewed an open round, now; flush only.

    Returns how many were told. Each press is its own event, so it is never deduplicated
    against the sweep's automatic reminder.
    """
    study = db.session.get(CaseStudy, rnd.study_id)
    if (
        rnd.decided_at is not None
        or study.state not in OPEN_FOR_REVIEW
        or study.current_round != rnd.number
    ):
        raise StaffError(_("This round has been decided; there is no one left to remind."))
    people = waiting_cochairs([rnd.id]).get(rnd.id, [])
    if not people:
        raise StaffError(_("Every eligible co-chair has reviewed this round already."))
    now = utcnow()
    rows = notify.notify(
        "review_overdue" if rnd.due_at <= now else "review_due_soon",
        people,
        subject=subject_for(
            study, _l("Reminder from staff: review round %(round)s", round=rnd.number)
        ),
        event_key=f"{rnd.id}:staff:{now.timestamp():.3f}",
        category=NotificationCategory.action,
        study=study,
        context={
            "path": f"/cochair/studies/{study.id}",
            "round_id": rnd.id,
            "round": rnd.number,
            "title": study.title,
            "pillar": study.pillar.name,
            "due_at": rnd.due_at.isoformat(),
            "reviews": len(rnd.reviews),
            "quorum": study.pillar.review_quorum,
        },
    )
    record(
        staff,
        "reviewers_reminded",
        study=study,
        round_number=rnd.number,
        user_ids=[u.id for u in people],
    )
    return len(rows)


def resend_notification(staff: User, row: Notification) -> None:
    """Put a failed email back in the outbox; flush only."""
    if row.status != NotificationStatus.failed:
        raise StaffError(_("Only an email that failed can be resent from here."))
    record(
        staff,
        "notification_resent",
        notification_id=row.id,
        email=row.email,
        before={"status": row.status.value, "last_error": row.last_error},
        after={"status": NotificationStatus.pending.value},
    )
    notify.resend(row)


# ---------------------------------------------------------------- affirmation windows


def extend_affirmation(
    staff: User, window: AffirmationWindow, closes_at: datetime, reason: str
) -> None:
    """Move an open affirmation window's deadline later, with a reason; flush only."""
    try:
        affirmation.extend(window, staff, closes_at, reason)
    except affirmation.AffirmationError as exc:
        raise StaffError(exc.message, exc.field) from exc
