"""THE transition table (SPEC §4), declared once as data, and the lookups on it.

Each row names its sources and targets, who may try it, its guard and its effects; apply()
(review/workflow/apply.py) is the only code that follows a row. `flask workflow diagram` draws it.
"""

from models import CaseStudy
from review import policy
from review.workflow.context import OPEN_FOR_REVIEW, S, Transition
from review.workflow.effects import (
    _before_publish,
    _choose_after_affirmation,
    _choose_decision,
    _close_affirmation,
    _close_values,
    _decide,
    _declare_conflict,
    _publish,
    _publish_values,
    _reopen_declined,
    _resubmit,
    _review,
    _submit,
    _submit_values,
    _unpublish,
    _withdraw,
)
from review.workflow.guards import (
    _author,
    _close_guard,
    _complete,
    _conflict_guard,
    _decide_guard,
    _need_reason,
    _override_guard,
    _resubmittable,
    _review_guard,
    _staff,
    _system,
)

# ---------------------------------------------------------------- the table


TABLE: tuple[Transition, ...] = (
    Transition(
        "submit",
        (S.draft,),
        (S.submitted,),
        _author,
        "Only the authors can submit this study.",
        label="Submit for review",
        done="submitted",
        guard=_complete,
        values=_submit_values,
        effects=_submit,
    ),
    Transition(
        "review",
        OPEN_FOR_REVIEW,
        (S.in_review,),
        policy.may_review,
        "Only a co-chair of this pillar who is not an author and has no conflict can review it.",
        label="Review",
        done="reviewed",
        guard=_review_guard,
        effects=_review,
        button=False,
    ),
    Transition(
        "override",
        OPEN_FOR_REVIEW,
        (S.in_review,),
        _staff,
        "Only staff can review in place of the co-chairs.",
        label="Review in place of the co-chairs",
        done="reviewed by staff in place of the co-chairs",
        guard=_override_guard,
        effects=_review,
        needs_reason=True,
        button=False,
    ),
    Transition(
        "declare_conflict",
        (S.submitted, S.in_review, S.changes_requested, S.in_affirmation),
        (),
        policy.may_declare_conflict,
        "Only a co-chair of this pillar who has not declared a conflict can declare one.",
        label="Declare a conflict of interest",
        done="declared a conflict of interest on",
        guard=_conflict_guard,
        effects=_declare_conflict,
        button=False,
    ),
    Transition(
        "decide",
        (S.in_review,),
        (S.changes_requested, S.in_affirmation, S.declined),
        _system,
        "The decision is made by the system when the round has its reviews.",
        label="Decide the round",
        done="decided",
        guard=_decide_guard,
        choose=_choose_decision,
        effects=_decide,
        button=False,
    ),
    Transition(
        "resubmit",
        (S.changes_requested,),
        (S.submitted,),
        _author,
        "Only the authors can resubmit this study.",
        label="Resubmit for review",
        done="resubmitted",
        guard=_resubmittable,
        values=_submit_values,
        effects=_resubmit,
    ),
    Transition(
        "close_affirmation",
        (S.in_affirmation,),
        (S.affirmed, S.in_review),
        _system,
        "Network affirmation is closed by the system at its deadline.",
        label="Close the affirmation",
        done="closed for affirmation",
        guard=_close_guard,
        choose=_choose_after_affirmation,
        values=_close_values,
        effects=_close_affirmation,
        button=False,
    ),
    Transition(
        "publish",
        (S.affirmed,),
        (S.published,),
        _staff,
        "Only staff can publish a study.",
        label="Publish",
        done="published",
        before=_before_publish,
        values=_publish_values,
        effects=_publish,
    ),
    Transition(
        "unpublish",
        (S.published,),
        (S.affirmed,),
        _staff,
        "Only staff can unpublish a study.",
        label="Unpublish",
        done="unpublished",
        guard=_need_reason,
        values=lambda ctx: {"published_at": None},
        effects=_unpublish,
        needs_reason=True,
        confirm="Remove this study from the public library? Its address will answer “gone”.",
    ),
    Transition(
        "withdraw",
        (S.draft, S.submitted, S.in_review, S.changes_requested, S.in_affirmation),
        (S.withdrawn,),
        _author,
        "Only the authors can withdraw this study.",
        label="Withdraw",
        done="withdrawn",
        effects=_withdraw,
        confirm="Withdraw this study? Reviewers stop working on it; you can reopen it as a draft.",
    ),
    Transition(
        "reopen",
        (S.withdrawn,),
        (S.draft,),
        _author,
        "Only the authors can reopen this study.",
        label="Reopen as a draft",
        done="reopened",
    ),
    Transition(
        "reopen",
        (S.declined,),
        (S.draft,),
        _staff,
        "Only staff can reopen a declined study.",
        label="Reopen as a draft",
        done="reopened",
        guard=_need_reason,
        effects=_reopen_declined,
        needs_reason=True,
    ),
)

EVENTS = tuple(dict.fromkeys(t.event for t in TABLE))

# How the history names each event (transitions and the other audited changes of a study).
HISTORY_LABELS = {
    "submit": "Submitted",
    "review": "Reviewed",
    "override": "Reviewed by staff in place of the co-chairs",
    "declare_conflict": "Declared a conflict of interest",
    "decide": "Round decided",
    "resubmit": "Resubmitted",
    "close_affirmation": "Network affirmation closed",
    "publish": "Published",
    "unpublish": "Unpublished",
    "withdraw": "Withdrawn",
    "reopen": "Reopened as a draft",
    "coauthor_added": "Co-author added",
    "coauthor_removed": "Co-author removed",
}


def rows_for(event: str) -> list[Transition]:
    return [t for t in TABLE if t.event == event]


def row_for(study: CaseStudy, event: str) -> Transition | None:
    return next((t for t in rows_for(event) if study.state in t.sources), None)


def available_events(study: CaseStudy, person) -> list[Transition]:
    """Return the rows this person may try on the study now (guards are checked on apply)."""
    out, seen = [], set()
    for row in TABLE:
        if row.event in seen or study.state not in row.sources:
            continue
        if row.who(person, study):
            out.append(row)
            seen.add(row.event)
    return out
