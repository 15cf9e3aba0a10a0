"""Working copies: what a person typed that does not count yet, kept so nothing is lost.

- "study": the editor's fields, stored as typed when they do not validate yet (a date still
  to fix), so autosave never drops the other fields; a save that validates discards it.
- "review": a co-chair's review saved as a draft; only "Record my review" makes it a review
  that counts toward the quorum (review.workflow), and recording discards the draft.

Only the person who typed it ever sees a working copy.
"""

import sqlalchemy as sa
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from models import WorkingCopy
from models.base import db
from models.clock import utcnow

# Form fields that are not what the person typed (the version is kept: a later save of the
# working copy is refused, both versions shown, if a co-author saved in between).
NOT_KEPT = {"csrf_token", "action"}


def _find(kind: str, object_id: int, user) -> WorkingCopy | None:
    return db.session.scalar(
        sa.select(WorkingCopy).where(
            WorkingCopy.kind == kind,
            WorkingCopy.object_id == object_id,
            WorkingCopy.user_id == user.id,
        )
    )


def keep(kind: str, object_id: int, user, formdata) -> WorkingCopy:
    """Store (or replace) the person's working copy with every posted field; flush only."""
    fields = [[k, v] for k, v in formdata.items(multi=True) if k not in NOT_KEPT]
    copy = _find(kind, object_id, user)
    if copy is None:
        copy = WorkingCopy(kind=kind, object_id=object_id, user_id=user.id, fields=fields)
        db.session.add(copy)
    copy.fields = fields
    copy.saved_at = utcnow()
    db.session.flush()
    return copy


def load(kind: str, object_id: int, user) -> WorkingCopy | None:
    """Return the person's working copy, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return _find(kind, object_id, user)


def as_formdata(copy: WorkingCopy, **extra: str) -> MultiDict:
    """Return the kept fields as form data, with `extra` (e.g. the current version) added and
    a fresh CSRF token, so that validating it reports only the fields the person must fix."""
    data = MultiDict([(k, v) for k, v in copy.fields])
    data["csrf_token"] = generate_csrf()
    for key, value in extra.items():
        data[key] = value
    return data


def discard(kind: str, object_id: int, user) -> None:
    """Forget the person's working copy (it was saved for real, or recorded); flush only."""
    db.session.execute(
        sa.delete(WorkingCopy).where(
            WorkingCopy.kind == kind,
            WorkingCopy.object_id == object_id,
            WorkingCopy.user_id == user.id,
        )
    )
