"""Account operations: create, invite, reset and change passwords, change email, approve access.

Tokens in emailed links are signed and expire; each one is single-use because it is bound to
the state it changes (the password hash, or the current email), which using it changes.
"""

import hashlib

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from models import AccessRequest, User
from models.base import db
from models.clock import utcnow
from models.enums import AccessRequestStatus, NotificationCategory, UserKind
from review import notify
from review.errors import OperationError
from review.infra.i18n import locale_of, supported
from review.infra.passwords import hash_password, password_problem, verify_password
from review.infra.sessions import current_token, end_all_sessions


class AccountError(OperationError):
    """A refused account operation; the message is shown to the person, next to `field`."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    *,
    email: str,
    name: str,
    kind: UserKind = UserKind.member,
    password: str | None = None,
    **fields,
) -> User:
    """Create an account; flush, never commit."""
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError(_("An account for %(email)s already exists.", email=email))
    if password is not None and (problem := password_problem(password)):
        raise AccountError(problem)
    user = User(
        email=email,
        name=name.strip(),
        kind=kind,
        created_at=utcnow(),
        password_hash=hash_password(password) if password else None,
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_unclaimed(people: list[tuple[str, str]], kind: UserKind = UserKind.member) -> list[User]:
    """Create accounts without a password for these (email, name), which the caller has
    looked up and found missing (the import, a batch at a time); one flush for them all."""
    users = [
        User(email=normalise_email(email), name=name.strip(), kind=kind, created_at=utcnow())
        for email, name in people
    ]
    db.session.add_all(users)
    db.session.flush()
    return users


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"account-{purpose}")


def _fingerprint(user: User) -> str:
    """Change whenever the password changes, so a used link stops working."""
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def make_token(purpose: str, user: User, **extra) -> str:
    return _serializer(purpose).dumps({"uid": user.id, "fp": _fingerprint(user), **extra})


def read_token(purpose: str, token: str, max_age: int) -> tuple[User, dict]:
    """Return the person and the token's data, or raise AccountError saying why not."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AccountError(_("This link has expired. Ask for a new one.")) from exc
    except BadSignature as exc:
        raise AccountError(_("This link is not valid. Ask for a new one.")) from exc
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        raise AccountError(_("This link has already been used or is no longer valid."))
    return user, data


def set_password(user: User, password: str) -> None:
    """Set a new password and end every other session; flush, never commit."""
    if problem := password_problem(password):
        raise AccountError(problem, field="password")
    user.password_hash = hash_password(password)
    end_all_sessions(user, keep=current_token(user))
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Change the password of a signed-in person who proved the current one; flush only."""
    if not verify_password(user.password_hash, current or ""):
        raise AccountError(_("The current password is not right."), field="current_password")
    set_password(user, new)


def update_profile(user: User, **fields: str) -> None:
    """Save the person's name, office, jurisdiction, US state, organisation and language; flush
    only. A language the product does not speak is refused (AccountError naming `locale`)."""
    for name in ("name", "office", "jurisdiction", "us_state", "organisation"):
        if name in fields:
            setattr(user, name, (fields[name] or "").strip())
    if fields.get("locale") is not None:
        if not supported(fields["locale"]):
            raise AccountError(_("Choose a language."), field="locale")
        user.locale = fields["locale"]
        refresh()  # what this request still says (the flash) is in the new language
    db.session.flush()


def invite(*, email: str, name: str, kind: UserKind, invited_by: User | None, **fields) -> User:
    """Create the account without a password and email a link to set one; flush only."""
    user = create_user(email=email, name=name, kind=kind, **fields)
    send_invitation(user, invited_by)
    return user


def send_invitation(user: User, invited_by: User | None = None) -> None:
    """Email (again) the link that sets the password; flush only."""
    user.invited_at = utcnow()
    token = make_token("invite", user)
    notify.notify(
        "invitation",
        [user],
        subject=_l("You are invited to Dare to Reimagine"),
        event_key=f"{user.id}:{user.invited_at.timestamp():.0f}",
        category=NotificationCategory.account,
        context={
            "path": f"/auth/invite/{token}",
            "name": user.name,
            "invited_by": invited_by.name if invited_by else "Local Progress staff",
        },
    )


def request_password_reset(email: str) -> None:
    """Email a reset link if the account exists; say nothing either way; flush only."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    token = make_token("reset", user)
    notify.notify(
        "password_reset",
        [user],
        subject=_l("Reset your Dare to Reimagine password"),
        event_key=f"{user.id}:{utcnow().timestamp():.3f}",
        category=NotificationCategory.account,
        context={"path": f"/auth/reset/{token}", "name": user.name},
    )


def request_email_change(user: User, new_email: str) -> None:
    """Email a confirmation link to the new address; the change happens when it is followed."""
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("That is already your email address."), field="new_email")
    if find_user(new_email) is not None:
        raise AccountError(_("That email address belongs to another account."), field="new_email")
    token = make_token("email", user, new=new_email, old=user.email)
    notify.notify_address(
        "email_change",
        new_email,
        subject=_l("Confirm your new email address for Dare to Reimagine"),
        event_key=f"{user.id}:{new_email}:{utcnow().timestamp():.3f}",
        context={"path": f"/account/email/{token}", "name": user.name, "new_email": new_email},
        locale=locale_of(user),
    )


def change_email(user: User, current_password: str, new_email: str) -> None:
    """Check the person's password, then email a confirmation link to the new address."""
    if not verify_password(user.password_hash, current_password or ""):
        raise AccountError(_("The current password is not right."), field="current_password")
    request_email_change(user, new_email)


def read_email_change(token: str) -> tuple[User, str]:
    """Return the person and the new address of a valid email-change link, or raise."""
    user, data = read_token("email", token, current_app.config["EMAIL_CHANGE_MAX_AGE"])
    if data.get("old") != user.email:
        raise AccountError(_("This link has already been used or is no longer valid."))
    if find_user(data["new"]) is not None:
        raise AccountError(_("That email address belongs to another account."))
    return user, data["new"]


def confirm_email_change(token: str) -> User:
    """Apply a confirmed email change; flush only."""
    user, new_email = read_email_change(token)
    user.email = new_email
    db.session.flush()
    return user


def decide_access_request(request_row: AccessRequest, staff: User, approve: bool) -> User | None:
    """Approve (inviting the person) or reject a request for access; flush only."""
    if request_row.status != AccessRequestStatus.pending:
        raise AccountError(_("This request has already been decided."))
    request_row.status = AccessRequestStatus.approved if approve else AccessRequestStatus.rejected
    request_row.decided_at = utcnow()
    request_row.decided_by_id = staff.id
    if not approve:
        db.session.flush()
        return None
    return invite(
        email=request_row.email,
        name=request_row.name,
        kind=request_row.kind,
        invited_by=staff,
        office=request_row.office,
        jurisdiction=request_row.jurisdiction,
        us_state=request_row.us_state,
        organisation=request_row.organisation,
    )
