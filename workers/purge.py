"""The sweep's housekeeping: delete sign-in sessions and rescued forms that have expired."""

from flask import current_app

from models.clock import utcnow
from review.infra import rescue, sessions


def expired_sessions() -> int:
    """Delete sessions idle past SESSION_IDLE_TIMEOUT or older than SESSION_MAX_AGE."""
    return sessions.purge_expired()


def expired_rescued_forms() -> int:
    """Delete rescued forms no one came back for within SESSION_IDLE_TIMEOUT."""
    return rescue.purge_expired(utcnow() - current_app.config["SESSION_IDLE_TIMEOUT"])
