"""Closing a network vote before its deadline, to rehearse it on staging or to end it early:
staff with a reason on the vote's page, or an operator's `flask affirmation close`.

It is the deadline's own close (operations.close: the same count, rule, transition and
emails), preceded by an override in the audit log that records who, why, the deadline that was
cut short and the tally at that moment. Flush only; the caller commits.
"""

from flask_babel import gettext as _

from models import AffirmationWindow, AuditEvent, CaseStudy
from models.base import db
from models.clock import utcnow
from review import policy
from review.affirmation.operations import REASON_MAX, AffirmationError, close
from review.affirmation.queries import is_open, tally
from review.audit import record


def close_early(window: AffirmationWindow, staff, reason: str) -> AuditEvent:
    """Close the open window now; `staff` is None for an operator at the command line."""
    if staff is not None and not policy.may_close_affirmation(staff):
        raise AffirmationError(_("Only staff can close an affirmation early."))
    reason = (reason or "").strip()
    if not reason:
        raise AffirmationError(
            _("Reason: say why the vote closes before its deadline (recorded)."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise AffirmationError(
            _("Reason: keep it under %(max)s characters.", max=format(REASON_MAX, ",")),
            field="reason",
        )
    if not is_open(window):
        raise AffirmationError(_("This affirmation has already closed."))
    study = db.session.get(CaseStudy, window.study_id)
    counts = tally(window)
    now = utcnow()
    audit = record(
        staff,
        "affirmation_closed_early",
        study=study,
        from_state=study.state,
        to_state=study.state,
        round_number=window.round_number,
        comment=f"Closed before its deadline of {window.closes_at:%-d %b %Y, %H:%M} UTC with "
        f"{counts.affirm} affirm and {counts.object} object votes.",
        override_reason=reason if staff is not None else f"(operator) {reason}",
        data={
            "window_id": window.id,
            "deadline": window.closes_at.isoformat(),
            "affirm": counts.affirm,
            "object": counts.object,
        },
    )
    db.session.add(audit)
    db.session.flush()
    if not close(window, now=now):
        raise AffirmationError(_("This affirmation has already closed."))
    return audit
