"""The audit log's one writer: record() writes an immutable event of any change but a transition
(apply() writes those)."""

from models import (
    AuditEvent,
    CaseStudy,
    User,
)
from models.base import db
from models.clock import utcnow

# ---------------------------------------------------------------- the audit log


def record(
    staff: User | None,
    event: str,
    *,
    study: CaseStudy | None = None,
    comment: str = "",
    round_number: int | None = None,
    **data,
) -> AuditEvent:
    """Write one audit event of an administrative change; flush only."""
    row = AuditEvent(
        actor_id=staff.id if staff is not None else None,
        study_id=study.id if study is not None else None,
        event=event,
        comment=comment,
        round_number=round_number,
        data=data or None,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row
