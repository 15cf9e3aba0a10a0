"""The study page's workflow panel: the actions, history, turn and feedback one person sees."""

from dataclasses import dataclass

from models import AuditEvent, CaseStudy
from review import policy, reviews
from review.workflow.context import S, Transition
from review.workflow.history import Turn, history, whose_turn
from review.workflow.table import available_events

# ---------------------------------------------------------------- the study page's panel


@dataclass
class Panel:
    """What templates/studies/_workflow.html shows one person about one study."""

    events: list[Transition]
    history: list[AuditEvent]
    turn: Turn
    round: object | None
    rounds: list
    feedback: list
    may_respond: bool
    unanswered: int
    review_url: str | None


def panel(study: CaseStudy, person) -> Panel:
    """Gather the study page's workflow panel for this person."""
    rnd = reviews.current_round(study)
    if policy.may_see_reviews(person, study):
        rounds = reviews.rounds_of(study)
    elif policy.is_author(person, study):
        rounds = [r for r in reviews.rounds_of(study) if r.decided_at is not None]
    else:
        rounds = []
    may_respond = policy.is_author(person, study) and study.state == S.changes_requested
    items = reviews.feedback_items(rnd) if may_respond else []
    return Panel(
        events=[e for e in available_events(study, person) if e.button],
        history=history(study),
        turn=whose_turn(study),
        round=rnd,
        rounds=list(reversed(rounds)),
        feedback=reviews.by_section(items),
        may_respond=may_respond,
        unanswered=sum(1 for it in items if not (it.response or "").strip()),
        review_url=(
            f"/cochair/studies/{study.id}" if policy.may_open_review_page(person, study) else None
        ),
    )
