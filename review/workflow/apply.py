"""apply(): the one function that moves a study along the table.

It checks the role and the guard, moves the state with a conditional UPDATE on the study's
version counter (a stale actor updates zero rows and gets Stale, with nothing applied), runs
the row's effects, writes the audit event and the notifications, and flushes. Nothing else
assigns a study's state.
"""

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import AuditEvent, CaseStudy, User
from models.base import db
from models.clock import utcnow
from models.enums import StudyState
from models.state_guard import moving_state
from review import policy, reviews
from review.audit import record
from review.errors import Stale
from review.infra.i18n import DEFAULT_LOCALE
from review.workflow import stays
from review.workflow.context import Context, Refused
from review.workflow.history import describe
from review.workflow.table import row_for, rows_for

# ---------------------------------------------------------------- applying


def apply(
    study: CaseStudy,
    event: str,
    actor: User | None,
    *,
    expected_version: int | None = None,
    comment: str = "",
    reason: str | None = None,
    **data,
) -> AuditEvent:
    """Move the study along the table's row for `event`; flush, never commit.

    `actor` None is the system. `expected_version` is the version the person loaded; when the
    study moved on since, raise Stale. Raise Refused when the row, the role or the guard
    says no. Either way nothing is written. Returns the audit event of the transition.
    """
    rows = rows_for(event)
    if not rows:
        raise Refused(_("That is not something that can be done to a study."))
    if expected_version is not None and expected_version != study.version:
        raise _changed(study, expected_version)
    row = row_for(study, event)
    if row is None:
        raise Refused(
            _(
                "This study is %(state)s: it cannot be %(done)s now.",
                state=study.state.label.lower(),
                done=rows[0].done,
            )
        )
    if actor is not None and not policy.signed_in(actor):
        raise Refused(_("Sign in first."))
    if not row.who(actor, study):
        raise Refused(row.who_text)
    ctx = Context(
        study,
        actor,
        event,
        study.state,
        (comment or "").strip(),
        (reason or "").strip() or None,
        dict(data),
    )
    message = row.guard(ctx) if row.guard else None
    if message:
        raise Refused(message)
    loaded_version = study.version
    entered_at = study.state_changed_at or study.created_at
    if row.before:
        try:
            row.before(ctx)
        except StaleDataError:
            db.session.rollback()
            raise _changed(study, loaded_version) from None
    ctx.to_state = row.choose(ctx) if row.choose else (row.to[0] if row.to else study.state)
    _move(study, ctx.to_state, row.values(ctx) if row.values else {}, ctx.from_state)
    if ctx.to_state != ctx.from_state:
        stays.record(ctx.from_state, entered_at, study.state_changed_at)
    ctx.round_number = study.current_round or None
    if row.effects:
        # What effects store (audit data, the emails' contexts) is in the source language;
        # each email is put in its recipient's language when it is written and rendered.
        with force_locale(DEFAULT_LOCALE):
            row.effects(ctx)
    audit = record(
        actor,
        event,
        study=study,
        from_state=ctx.from_state,
        to_state=ctx.to_state,
        round_number=ctx.round_number,
        comment=ctx.comment,
        override_reason=ctx.reason,
        data={"version": study.version, **ctx.audit_data},
    )
    if ctx.then_decide and reviews.decision_due(study):
        apply(study, "decide", None)
    return audit


def _move(study: CaseStudy, to_state: StudyState, values: dict, from_state: StudyState) -> None:
    """UPDATE the study's row only if its version is still the one loaded; else raise Stale."""
    loaded = study.version
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise _changed(study, loaded) from None
    version = study.version
    now = utcnow()
    values = {"state": to_state, "updated_at": now, **values}
    if to_state != from_state:
        values["state_changed_at"] = now
    table = CaseStudy.__table__
    with moving_state("workflow"):
        result = db.session.execute(
            sa.update(table)
            .where(table.c.id == study.id, table.c.version == version)
            .values(version=table.c.version + 1, **values)
        )
    if result.rowcount != 1:
        raise _changed(study, version)
    for key, value in values.items():
        set_committed_value(study, key, value)
    set_committed_value(study, "version", version + 1)


def _changed(study: CaseStudy, since_version: int) -> Stale:
    """Build the Stale error, saying what happened since the version the person loaded."""
    study_id = study.id
    # What others committed is visible to a fresh read of the audit events.
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.study_id == study_id)
        .order_by(AuditEvent.id.desc())
        .limit(10)
    ).all()
    happened = []
    for ev in reversed(events):
        version = (ev.data or {}).get("version")
        if version is None or version <= since_version:
            continue
        happened.append(describe(ev))
    return Stale(what_happened=happened)
