"""What every part of the workflow shares: the state alias, the refusal, one application's
Context and one row of the table (Transition)."""

from collections.abc import Callable
from dataclasses import dataclass, field

from models import CaseStudy, User
from models.enums import StudyState
from review.errors import OperationError, Stale

S = StudyState
REASON_MAX = 5_000


class Refused(OperationError):
    """The event is not allowed now, for this person; nothing was changed."""


# The stale refusal is review.errors.Stale; this name stays while the co-chair and staff views
# (being rewritten elsewhere) still catch workflow.Changed.
Changed = Stale


@dataclass
class Context:
    """What one application of a transition knows; effects read it and add to it."""

    study: CaseStudy
    actor: User | None
    event: str
    from_state: StudyState
    comment: str
    reason: str | None
    data: dict
    to_state: StudyState | None = None
    round_number: int | None = None
    audit_data: dict = field(default_factory=dict)
    # Set by an effect that must run the automatic decision after this event.
    then_decide: bool = False


@dataclass(frozen=True)
class Transition:
    """One row of the table. `to` lists the states it may lead to; `choose` picks one."""

    event: str
    sources: tuple[StudyState, ...]
    to: tuple[StudyState, ...]
    who: Callable[[object, CaseStudy], bool]
    who_text: str
    label: str
    done: str  # the study "was <done>", for messages and the history
    guard: Callable[[Context], str | None] | None = None
    choose: Callable[[Context], StudyState] | None = None
    values: Callable[[Context], dict] | None = None
    before: Callable[[Context], None] | None = None
    effects: Callable[[Context], None] | None = None
    needs_reason: bool = False
    confirm: str | None = None
    # Shown as a button on the study page (the others have their own forms or are the system's).
    button: bool = True


OPEN_FOR_REVIEW = (S.submitted, S.in_review)
