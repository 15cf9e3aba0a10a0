"""THE state machine of a case study: the transition table (SPEC §4), declared once as data,
and the one function, apply(), that moves a study along it.

apply() checks the role and the guard, moves the state with a conditional UPDATE on the
study's version counter (a stale actor updates zero rows and gets Changed, with nothing
applied), runs the row's effects, writes the audit event and the notifications, and flushes.
Nothing else assigns a study's state. `flask workflow diagram` draws this table.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

import workers.affirmation as affirmation_jobs
from models import AffirmationWindow, AuditEvent, CaseStudy, Revision, User, Vote
from models.clock import utcnow
from models.enums import Recommendation, Section, StudyState, UserKind, VoteChoice
from models.setting import get_setting
from review import drafts, library, notify, policy, reviews, revisions
from review.extensions import db
from workers.queue import enqueue

S = StudyState
REASON_MAX = 5_000


class Refused(Exception):
    """The event is not allowed now, for this person; nothing was changed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Changed(Exception):
    """The study changed since the person loaded it; nothing was applied."""

    def __init__(self, message: str, what_happened: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.what_happened = what_happened or []


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


# ---------------------------------------------------------------- who


def _author(user, study) -> bool:
    return policy.is_author(user, study)


def _staff(user, study) -> bool:
    return policy.is_staff(user)


def _system(user, study) -> bool:
    return user is None


# ---------------------------------------------------------------- people to tell


def _authors(study: CaseStudy) -> list[User]:
    return [a.user for a in study.authors]


def _cochairs(study: CaseStudy) -> list[User]:
    return reviews.eligible_reviewers(study)


def _staff_people() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.kind == UserKind.staff, User.is_active.is_(True))
        )
    )


def _tell(ctx: Context, kind: str, people, text: str, path: str | None = None, **extra) -> None:
    study = ctx.study
    notify.notify(
        kind,
        people,
        subject=notify.subject_for(study, text),
        event_key=f"{study.id}:v{study.version}",
        study=study,
        context={
            "path": path or f"/studies/{study.id}",
            "title": study.title,
            "state": study.state.label,
            "pillar": study.pillar.name,
            "round": study.current_round,
            "actor": ctx.actor.name if ctx.actor is not None else "",
            "comment": ctx.comment,
            "reason": ctx.reason or "",
            **extra,
        },
    )


def _items_context(rnd) -> list[dict]:
    return [
        {
            "section": it.section.label,
            "level": it.level.label,
            "body": it.body,
            "source": "Network objection" if it.source == "affirmation" else "Co-chair",
        }
        for it in reviews.feedback_items(rnd)
    ]


# ---------------------------------------------------------------- guards


def _need_reason(ctx: Context) -> str | None:
    if not (ctx.reason or "").strip():
        return "Reason: say why (it is recorded in the history)."
    if len(ctx.reason) > REASON_MAX:
        return f"Reason: keep it under {REASON_MAX} characters."
    return None


def _complete(ctx: Context) -> str | None:
    missing = drafts.missing_sections(ctx.study)
    if not missing:
        return None
    names = []
    for key in missing:
        names.append("Details" if key == drafts.METADATA else Section(key).label)
    return "Complete these parts first: " + ", ".join(names) + "."


def _resubmittable(ctx: Context) -> str | None:
    message = _complete(ctx)
    if message:
        return message
    left = reviews.unanswered(reviews.current_round(ctx.study))
    if left:
        return (
            "Write a response to every feedback item before resubmitting: "
            + "; ".join(reviews.item_name(it) for it in left)
            + "."
        )
    return None


def _review_guard(ctx: Context) -> str | None:
    rnd = reviews.current_round(ctx.study)
    if rnd is None or rnd.decided_at is not None:
        return "This round has been decided; reviews can no longer be changed."
    try:
        ctx.data["clean"] = reviews.clean_review(
            ctx.data.get("recommendation"), ctx.data.get("overall", ""), ctx.data.get("items", ())
        )
    except reviews.ReviewError as exc:
        return str(exc)
    ctx.data["round"] = rnd
    return None


def _override_guard(ctx: Context) -> str | None:
    return _need_reason(ctx) or _review_guard(ctx)


def _conflict_guard(ctx: Context) -> str | None:
    if not (ctx.comment or "").strip():
        return "Reason: say what the conflict of interest is."
    return None


def _decide_guard(ctx: Context) -> str | None:
    if not reviews.decision_due(ctx.study):
        return "The round does not have the reviews it needs for a decision yet."
    return None


def _close_guard(ctx: Context) -> str | None:
    if not isinstance(ctx.data.get("affirmed"), bool):
        return "The result of the affirmation (affirmed or not) is missing."
    return None


# ---------------------------------------------------------------- effects


def _open_next_round(ctx: Context, revision: Revision | None) -> reviews.Round:
    rnd = reviews.open_round(ctx.study, ctx.study.current_round, revision.id if revision else None)
    ctx.round_number = rnd.number
    return rnd


def _next_round_values(ctx: Context) -> dict:
    return {"current_round": ctx.study.current_round + 1}


def _submit_values(ctx: Context) -> dict:
    return {"current_round": ctx.study.current_round + 1, "submitted_at": utcnow()}


def _tell_if_nobody_reviews(ctx: Context) -> None:
    if not _cochairs(ctx.study):
        _tell(
            ctx,
            "no_eligible_reviewers",
            _staff_people(),
            "No co-chair can review this study",
            path=f"/cochair/studies/{ctx.study.id}",
        )


def _submit(ctx: Context) -> None:
    revision = revisions.freeze(ctx.study, "submit", ctx.actor)
    rnd = _open_next_round(ctx, revision)
    due = rnd.due_at.isoformat()
    _tell(
        ctx,
        "study_submitted",
        _cochairs(ctx.study),
        "Submitted for your review",
        path=f"/cochair/studies/{ctx.study.id}",
        due_at=due,
        resubmitted=False,
        changed=[],
    )
    _tell(
        ctx, "submission_received", _authors(ctx.study), "Submitted", due_at=due, resubmitted=False
    )
    _tell_if_nobody_reviews(ctx)


def _resubmit(ctx: Context) -> None:
    previous = db.session.scalar(
        sa.select(Revision)
        .where(Revision.study_id == ctx.study.id)
        .order_by(Revision.number.desc())
        .limit(1)
    )
    revision = revisions.freeze(ctx.study, "resubmit", ctx.actor)
    changed = []
    if previous is not None:
        changed = [d.label for d in revisions.diff(previous, revision) if d.changed]
    ctx.audit_data["changed"] = changed
    rnd = _open_next_round(ctx, revision)
    due = rnd.due_at.isoformat()
    _tell(
        ctx,
        "study_submitted",
        _cochairs(ctx.study),
        "Resubmitted for your review",
        path=f"/cochair/studies/{ctx.study.id}",
        due_at=due,
        resubmitted=True,
        changed=changed,
    )
    _tell(
        ctx, "submission_received", _authors(ctx.study), "Resubmitted", due_at=due, resubmitted=True
    )
    _tell_if_nobody_reviews(ctx)


def _review(ctx: Context) -> None:
    rec, overall, items = ctx.data["clean"]
    rnd = ctx.data["round"]
    reviews.save_review(rnd, ctx.actor, rec, overall, items, override_reason=ctx.reason)
    ctx.round_number = rnd.number
    ctx.audit_data.update(recommendation=rec.value, items=len(items))
    ctx.then_decide = True


def _declare_conflict(ctx: Context) -> None:
    reviews.add_conflict(ctx.study, ctx.actor, ctx.comment.strip())
    ctx.then_decide = ctx.study.state == S.in_review
    if ctx.study.state in OPEN_FOR_REVIEW:
        _tell_if_nobody_reviews(ctx)


def _choose_decision(ctx: Context) -> StudyState:
    rnd = reviews.current_round(ctx.study)
    counts = reviews.tally(reviews.counted_reviews(ctx.study, rnd))
    decision = reviews.outcome(counts)
    ctx.data.update(round=rnd, tally=counts, decision=decision)
    return {
        Recommendation.approve: S.in_affirmation,
        Recommendation.request_changes: S.changes_requested,
        Recommendation.decline: S.declined,
    }[decision]


def _decide(ctx: Context) -> None:
    rnd, counts, decision = ctx.data["round"], ctx.data["tally"], ctx.data["decision"]
    reviews.record_decision(rnd, decision, counts)
    ctx.round_number = rnd.number
    ctx.audit_data.update(decision=decision.value, tally=counts)
    study = ctx.study
    if decision == Recommendation.request_changes:
        _tell(
            ctx,
            "changes_requested",
            _authors(study),
            "Changes requested",
            items=_items_context(rnd),
            tally=counts,
            comments=[r.comment for r in rnd.reviews if r.comment],
        )
    elif decision == Recommendation.decline:
        _tell(
            ctx,
            "study_declined",
            _authors(study),
            "Declined",
            tally=counts,
            comments=[r.comment for r in rnd.reviews if r.comment],
        )
    else:
        now = utcnow()
        window = AffirmationWindow(
            study_id=study.id,
            round_number=rnd.number,
            opened_at=now,
            closes_at=now + timedelta(days=int(get_setting("affirmation_days"))),
        )
        db.session.add(window)
        db.session.flush()
        ctx.audit_data["window_id"] = window.id
        enqueue(affirmation_jobs.announce_opened, window.id)
        enqueue(affirmation_jobs.close_window, window.id, at=window.closes_at)
        _tell(
            ctx,
            "study_approved",
            _authors(study),
            "Approved by the co-chairs",
            closes_at=window.closes_at.isoformat(),
            tally=counts,
        )


def _choose_after_affirmation(ctx: Context) -> StudyState:
    return S.affirmed if ctx.data["affirmed"] else S.in_review


def _close_values(ctx: Context) -> dict:
    if ctx.data["affirmed"]:
        return {"affirmed_at": utcnow()}
    return {"current_round": ctx.study.current_round + 1}


def _objections(study: CaseStudy) -> list[str]:
    window = db.session.scalar(
        sa.select(AffirmationWindow)
        .where(AffirmationWindow.study_id == study.id)
        .order_by(AffirmationWindow.id.desc())
        .limit(1)
    )
    if window is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Vote.reason)
            .where(Vote.window_id == window.id, Vote.choice == VoteChoice.object)
            .order_by(Vote.id)
        )
    )


def _close_affirmation(ctx: Context) -> None:
    study = ctx.study
    votes = {k: ctx.data[k] for k in ("affirm_count", "object_count") if k in ctx.data}
    ctx.audit_data.update(affirmed=ctx.data["affirmed"], **votes)
    if ctx.data["affirmed"]:
        people = {u.id: u for u in _authors(study) + _cochairs(study) + _staff_people()}
        _tell(ctx, "study_affirmed", people.values(), "Affirmed by the network", **votes)
        return
    latest = db.session.scalar(
        sa.select(Revision)
        .where(Revision.study_id == study.id)
        .order_by(Revision.number.desc())
        .limit(1)
    )
    rnd = _open_next_round(ctx, latest)
    objections = ctx.data.get("objections")
    if objections is None:
        objections = _objections(study)
    items = reviews.add_objections(rnd, objections)
    ctx.audit_data["objections"] = len(items)
    texts = [it.body for it in items]
    _tell(
        ctx,
        "study_returned",
        _authors(study),
        "Returned to the co-chairs after affirmation",
        objections=texts,
        due_at=rnd.due_at.isoformat(),
        **votes,
    )
    _tell(
        ctx,
        "study_returned_cochairs",
        _cochairs(study),
        "Returned to you after affirmation",
        path=f"/cochair/studies/{study.id}",
        objections=texts,
        due_at=rnd.due_at.isoformat(),
        **votes,
    )


def _before_publish(ctx: Context) -> None:
    library.on_publish(ctx.study)


def _publish_values(ctx: Context) -> dict:
    now = utcnow()
    return {"published_at": now, "first_published_at": ctx.study.first_published_at or now}


def _publish(ctx: Context) -> None:
    study = ctx.study
    people = {u.id: u for u in _authors(study) + _cochairs(study)}
    _tell(
        ctx, "study_published", people.values(), "Published", public_path=f"/library/{study.slug}"
    )
    notify.announce_published(study)


def _unpublish(ctx: Context) -> None:
    library.on_unpublish(ctx.study)
    _tell(ctx, "study_unpublished", _authors(ctx.study), "Removed from the library")


def _withdraw(ctx: Context) -> None:
    study = ctx.study
    if ctx.from_state == S.in_affirmation:
        now = utcnow()
        for window in db.session.scalars(
            sa.select(AffirmationWindow).where(
                AffirmationWindow.study_id == study.id, AffirmationWindow.closed_at.is_(None)
            )
        ):
            window.closed_at = now
            window.result = "void"
    if ctx.from_state != S.draft:
        _tell(
            ctx,
            "study_withdrawn",
            _cochairs(study),
            "Withdrawn by the authors",
            path=f"/cochair/studies/{study.id}",
        )


def _reopen_declined(ctx: Context) -> None:
    _tell(ctx, "study_reopened", _authors(ctx.study), "Reopened as a draft")


# ---------------------------------------------------------------- the table

OPEN_FOR_REVIEW = (S.submitted, S.in_review)

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


# Who each row's predicate stands for, in the diagram.
WHO_NAMES = {
    _author: "an author",
    _staff: "staff",
    _system: "the system",
    policy.may_review: "an eligible co-chair",
    policy.may_declare_conflict: "a co-chair of the pillar",
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
    study moved on since, raise Changed. Raise Refused when the row, the role or the guard
    says no. Either way nothing is written. Returns the audit event of the transition.
    """
    rows = rows_for(event)
    if not rows:
        raise Refused("That is not something that can be done to a study.")
    if expected_version is not None and expected_version != study.version:
        raise _changed(study, expected_version)
    row = row_for(study, event)
    if row is None:
        raise Refused(
            f"This study is {study.state.label.lower()}: it cannot be {rows[0].done} now."
        )
    if actor is not None and not policy.signed_in(actor):
        raise Refused("Sign in first.")
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
    if row.before:
        try:
            row.before(ctx)
        except StaleDataError:
            db.session.rollback()
            raise _changed(study, loaded_version) from None
    ctx.to_state = row.choose(ctx) if row.choose else (row.to[0] if row.to else study.state)
    _move(study, ctx.to_state, row.values(ctx) if row.values else {}, ctx.from_state)
    ctx.round_number = study.current_round or None
    if row.effects:
        row.effects(ctx)
    audit = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        study_id=study.id,
        event=event,
        from_state=ctx.from_state.value,
        to_state=ctx.to_state.value,
        round_number=ctx.round_number,
        comment=ctx.comment,
        override_reason=ctx.reason,
        data={"version": study.version, **ctx.audit_data},
        created_at=utcnow(),
    )
    db.session.add(audit)
    db.session.flush()
    if ctx.then_decide and reviews.decision_due(study):
        apply(study, "decide", None)
    return audit


def _move(study: CaseStudy, to_state: StudyState, values: dict, from_state: StudyState) -> None:
    """UPDATE the study's row only if its version is still the one loaded; else raise Changed."""
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


def _changed(study: CaseStudy, since_version: int) -> Changed:
    """Build the Changed error, saying what happened since the version the person loaded."""
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
    return Changed("This study changed since you opened it.", what_happened=happened)


def describe(ev: AuditEvent) -> str:
    """Say in one line what an audit event records, for people."""
    who = ev.actor.name if ev.actor is not None else "The system"
    what = HISTORY_LABELS.get(ev.event, ev.event.replace("_", " ").capitalize()).lower()
    text = f"{who}: {what}"
    if ev.to_state and ev.to_state != ev.from_state:
        text += f" (now {S(ev.to_state).label.lower()})"
    return text


# ---------------------------------------------------------------- reading: history, turn


def history(study: CaseStudy) -> list[AuditEvent]:
    """Return the study's audit events, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.study_id == study.id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


@dataclass
class Turn:
    whose: str
    since: object
    until: object | None = None


def whose_turn(study: CaseStudy) -> Turn:
    """Say whose turn it is and since when (and until when, where there is a deadline)."""
    since = study.state_changed_at
    state = study.state
    if state == S.draft:
        return Turn("The authors’: the study is being written", since)
    if state in OPEN_FOR_REVIEW:
        rnd = reviews.current_round(study)
        waiting = [
            u.name for u in reviews.eligible_reviewers(study) if reviews.review_of(rnd, u) is None
        ]
        who = ", ".join(waiting) if waiting else "staff (no co-chair can review it)"
        since = rnd.opened_at if rnd is not None else since
        return Turn(
            f"The co-chairs’ (round {study.current_round}): {who}",
            since,
            rnd.due_at if rnd is not None else None,
        )
    if state == S.changes_requested:
        return Turn("The authors’: revise the study and respond to the feedback", since)
    if state == S.in_affirmation:
        window = db.session.scalar(
            sa.select(AffirmationWindow)
            .where(AffirmationWindow.study_id == study.id, AffirmationWindow.closed_at.is_(None))
            .order_by(AffirmationWindow.id.desc())
            .limit(1)
        )
        return Turn(
            "The network’s: members are affirming it",
            since,
            window.closes_at if window is not None else None,
        )
    if state == S.affirmed:
        return Turn("Staff’s: it is ready to publish", since)
    return Turn(f"No one’s: it is {state.label.lower()}", since)


# ---------------------------------------------------------------- the diagram


def mermaid() -> str:
    """Return the table as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.draft.value}"]
    for row in TABLE:
        who = WHO_NAMES.get(row.who, "?")
        for source in row.sources:
            for target in row.to or (source,):
                lines.append(f"    {source.value} --> {target.value}: {row.event} ({who})")
    lines.append(f"    {S.published.value} --> [*]")
    return "\n".join(lines)


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
