"""THE transition table (SPEC §4), declared once as data, and the lookups on it.

Each row names its sources and targets, who may try it, its guard and its effects; apply()
(review/workflow/apply.py) is the only code that follows a row. `flask workflow diagram` draws it.
"""

from flask_babel import lazy_gettext as _l

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
        _l("Only the authors can submit this study."),
        label=_l("Submit for review"),
        done=_l("submitted"),
        guard=_complete,
        values=_submit_values,
        effects=_submit,
    ),
    Transition(
        "review",
        OPEN_FOR_REVIEW,
        (S.in_review,),
        policy.may_review,
        _l(
            "Only a co-chair of this pillar who is not an author and has no conflict can review it."
        ),
        label=_l("Review"),
        done=_l("reviewed"),
        guard=_review_guard,
        effects=_review,
        button=False,
    ),
    Transition(
        "override",
        OPEN_FOR_REVIEW,
        (S.in_review,),
        _staff,
        _l("Only staff can review in place of the co-chairs."),
        label=_l("Review in place of the co-chairs"),
        done=_l("reviewed by staff in place of the co-chairs"),
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
        _l("Only a co-chair of this pillar who has not declared a conflict can declare one."),
        label=_l("Declare a conflict of interest"),
        done=_l("declared a conflict of interest on"),
        guard=_conflict_guard,
        effects=_declare_conflict,
        button=False,
    ),
    Transition(
        "decide",
        (S.in_review,),
        (S.changes_requested, S.in_affirmation, S.declined),
        _system,
        _l("The decision is made by the system when the round has its reviews."),
        label=_l("Decide the round"),
        done=_l("decided"),
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
        _l("Only the authors can resubmit this study."),
        label=_l("Resubmit for review"),
        done=_l("resubmitted"),
        guard=_resubmittable,
        values=_submit_values,
        effects=_resubmit,
    ),
    Transition(
        "close_affirmation",
        (S.in_affirmation,),
        (S.affirmed, S.in_review),
        _system,
        _l("Network affirmation is closed by the system at its deadline."),
        label=_l("Close the affirmation"),
        done=_l("closed for affirmation"),
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
        _l("Only staff can publish a study."),
        label=_l("Publish"),
        done=_l("published"),
        before=_before_publish,
        values=_publish_values,
        effects=_publish,
    ),
    Transition(
        "unpublish",
        (S.published,),
        (S.affirmed,),
        _staff,
        _l("Only staff can unpublish a study."),
        label=_l("Unpublish"),
        done=_l("unpublished"),
        guard=_need_reason,
        values=lambda ctx: {"published_at": None},
        effects=_unpublish,
        needs_reason=True,
        confirm=_l("Remove this study from the public library? Its address will answer “gone”."),
    ),
    Transition(
        "withdraw",
        (S.draft, S.submitted, S.in_review, S.changes_requested, S.in_affirmation),
        (S.withdrawn,),
        _author,
        _l("Only the authors can withdraw this study."),
        label=_l("Withdraw"),
        done=_l("withdrawn"),
        effects=_withdraw,
        confirm=_l(
            "Withdraw this study? Reviewers stop working on it; you can reopen it as a draft."
        ),
    ),
    Transition(
        "reopen",
        (S.withdrawn,),
        (S.draft,),
        _author,
        _l("Only the authors can reopen this study."),
        label=_l("Reopen as a draft"),
        done=_l("reopened"),
    ),
    Transition(
        "reopen",
        (S.declined,),
        (S.draft,),
        _staff,
        _l("Only staff can reopen a declined study."),
        label=_l("Reopen as a draft"),
        done=_l("reopened"),
        guard=_need_reason,
        effects=_reopen_declined,
        needs_reason=True,
    ),
)

EVENTS = tuple(dict.fromkeys(t.event for t in TABLE))

# How the history names each event (transitions and the other audited changes of a study).
HISTORY_LABELS = {
    "submit": _l("Submitted"),
    "review": _l("Reviewed"),
    "override": _l("Reviewed by staff in place of the co-chairs"),
    "declare_conflict": _l("Declared a conflict of interest"),
    "decide": _l("Round decided"),
    "resubmit": _l("Resubmitted"),
    "close_affirmation": _l("Network affirmation closed"),
    "publish": _l("Published"),
    "unpublish": _l("Unpublished"),
    "withdraw": _l("Withdrawn"),
    "reopen": _l("Reopened as a draft"),
    "coauthor_added": _l("Co-author added"),
    "coauthor_removed": _l("Co-author removed"),
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
