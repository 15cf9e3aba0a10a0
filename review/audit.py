"""The audit log's one writer: record() builds every immutable event, the transitions that
apply() makes and every other change (corrections, co-authors, votes moved, staff actions)."""

from models import AuditEvent, CaseStudy, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState


def record(
    actor: User | None,
    event: str,
    *,
    study: CaseStudy | None = None,
    from_state: StudyState | None = None,
    to_state: StudyState | None = None,
    comment: str = "",
    round_number: int | None = None,
    override_reason: str | None = None,
    data: dict | None = None,
    flush: bool = True,
    **more,
) -> AuditEvent:
    """Write one audit event and flush (unless `flush` is False: a batch's caller flushes
    once); `actor` None is the system.

    The event's data is `data` and the keyword arguments beyond these (None when both are
    empty); pass `data` for keys that are not names, such as "from".
    """
    payload = {**(data or {}), **more}
    row = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        study_id=study.id if study is not None else None,
        event=event,
        from_state=from_state.value if from_state is not None else None,
        to_state=to_state.value if to_state is not None else None,
        comment=comment,
        round_number=round_number,
        override_reason=override_reason,
        data=payload or None,
        created_at=utcnow(),
    )
    db.session.add(row)
    if flush:
        db.session.flush()
    return row
