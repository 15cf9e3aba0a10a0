"""Global settings that staff change at run time; the config supplies the defaults."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db

# Settings staff may change, each with the config key that gives its default.
DEFAULTS = {
    "affirmation_days": "AFFIRMATION_DAYS",
    "affirmation_min_votes": "AFFIRMATION_MIN_VOTES",
    "affirmation_threshold": "AFFIRMATION_THRESHOLD",
}


class Setting(db.Model):
    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[object] = mapped_column(sa.JSON)


def get_setting(key: str):
    """Return the stored value of a setting, or its default from the config."""
    row = db.session.get(Setting, key)
    return row.value if row is not None else current_app.config[DEFAULTS[key]]


def get_settings(*keys: str) -> dict:
    """Return {key: value} of several settings, stored or default, in one statement."""
    stored = dict(
        db.session.execute(sa.select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all()
    )
    return {
        key: stored[key] if key in stored else current_app.config[DEFAULTS[key]] for key in keys
    }


def stored_setting(key: str) -> sa.ScalarSelect:
    """Select a setting's stored value (NULL when unset) as a column of a larger statement;
    read it with `setting_or_default`."""
    return sa.select(Setting.value).where(Setting.key == key).scalar_subquery()


def setting_or_default(key: str, stored):
    """Return what `stored_setting(key)` read, or the setting's default when it was unset."""
    return current_app.config[DEFAULTS[key]] if stored is None else stored


def set_setting(key: str, value) -> None:
    """Store a setting; flush, never commit."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()


def affirmation_window() -> timedelta:
    """How long a new vote stays open: AFFIRMATION_WINDOW when set (e.g. 15m on staging),
    else the staff setting of days (AFFIRMATION_DAYS by default, fractions allowed)."""
    fixed = current_app.config.get("AFFIRMATION_WINDOW")
    if fixed:
        return fixed
    return timedelta(days=float(get_setting("affirmation_days")))
