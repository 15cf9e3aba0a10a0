"""A person's own hours and calendar: the time zone dates are shown in, and the secret of their
calendar feed (review.calendars builds the feed)."""

import secrets

from flask_babel import gettext as _

from models import User
from models.base import db
from models.clock import utcnow
from review.errors import OperationError
from review.infra.local_time import is_zone


def set_time_zone(user: User, name: str) -> None:
    """Show every date to the person in zone `name` (an IANA name); flush only."""
    if not is_zone(name):
        raise OperationError(_("“%(zone)s” is not a time zone we know.", zone=(name or "")[:64]))
    user.time_zone = name
    user.time_zone_set_at = utcnow()
    db.session.flush()


def adopt_browser_zone(user: User, name: str | None) -> bool:
    """Take the browser's zone at sign-in unless the person already has one; flush only.

    Return whether it was taken. An empty or unknown name (no JavaScript, an old browser)
    leaves UTC, to be chosen on /account/.
    """
    if user.time_zone_set_at is not None or not is_zone(name):
        return False
    set_time_zone(user, name)
    return True


def reset_calendar_token(user: User) -> str:
    """Give the person a new calendar feed secret, so the old URL answers 404; flush only."""
    user.calendar_token = secrets.token_urlsafe(32)
    db.session.flush()
    return user.calendar_token
