"""The sweep's housekeeping: delete sign-in sessions and rescued forms that have expired."""

import sqlalchemy as sa
from flask import current_app

from models import Login, RescuedForm
from models.clock import utcnow
from review.infra import rescue, sessions


def _rescue_cutoff():
    return utcnow() - current_app.config["SESSION_IDLE_TIMEOUT"]


def expired_sessions() -> int:
    """Delete sessions idle past SESSION_IDLE_TIMEOUT or older than SESSION_MAX_AGE."""
    return sessions.purge_expired()


def ended_sessions() -> sa.Select:
    """Select the sessions expired_sessions() would delete."""
    return sa.select(Login.token).where(sessions.ended())


def expired_rescued_forms() -> int:
    """Delete rescued forms no one came back for within SESSION_IDLE_TIMEOUT."""
    return rescue.purge_expired(_rescue_cutoff())


def unclaimed_forms() -> sa.Select:
    """Select the rescued forms expired_rescued_forms() would delete."""
    return sa.select(RescuedForm.token).where(rescue.kept_since_before(_rescue_cutoff()))
