"""Guards a blueprint installs with `bp.before_request(...)`."""

from flask import abort
from flask_login import current_user

from review import policy
from review.infra.extensions import login_manager


def staff_only():
    """Send a visitor to sign in; answer 404 to anyone signed in who is not staff."""
    if not policy.signed_in(current_user):
        return login_manager.unauthorized()
    if not policy.may_view_staff(current_user):
        abort(404)
    return None
