"""What a transition does besides moving the state: freeze revisions, open and decide rounds,
open and close affirmation, publish, and tell people (outbox rows; jobs named, never imported).
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import AffirmationWindow, CaseStudy, Revision, User, Vote
from models.base import db
from models.clock import utcnow
from models.enums import Recommendation, StudyState, UserKind, VoteChoice
from models.setting import affirmation_window
from review import broadcasts, library, notify, reviews, revisions
from review.infra.i18n import N_
from review.infra.queue import enqueue
from review.workflow.context import OPEN_FOR_REVIEW, Context, S

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


def _tell(ctx: Context, kind: str, people, text, path: str | None = None, **extra) -> None:
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
            "source": N_("Network objection") if it.source == "affirmation" else N_("Co-chair"),
        }
        for it in reviews.feedback_items(rnd)
    ]


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
            _l("No co-chair can review this study"),
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
        _l("Submitted for your review"),
        path=f"/cochair/studies/{ctx.study.id}",
        due_at=due,
        resubmitted=False,
        changed=[],
    )
    _tell(
        ctx,
        "submission_received",
        _authors(ctx.study),
        _l("Submitted"),
        due_at=due,
        resubmitted=False,
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
        _l("Resubmitted for your review"),
        path=f"/cochair/studies/{ctx.study.id}",
        due_at=due,
        resubmitted=True,
        changed=changed,
    )
    _tell(
        ctx,
        "submission_received",
        _authors(ctx.study),
        _l("Resubmitted"),
        due_at=due,
        resubmitted=True,
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
            _l("Changes requested"),
            items=_items_context(rnd),
            tally=counts,
            comments=[r.comment for r in rnd.reviews if r.comment],
        )
    elif decision == Recommendation.decline:
        _tell(
            ctx,
            "study_declined",
            _authors(study),
            _l("Declined"),
            tally=counts,
            comments=[r.comment for r in rnd.reviews if r.comment],
        )
    else:
        now = utcnow()
        window = AffirmationWindow(
            study_id=study.id,
            round_number=rnd.number,
            opened_at=now,
            closes_at=now + affirmation_window(),
        )
        db.session.add(window)
        db.session.flush()
        ctx.audit_data["window_id"] = window.id
        broadcasts.affirmation_opened(window, study)
        enqueue("affirmation.close_window", window.id, at=window.closes_at)
        _tell(
            ctx,
            "study_approved",
            _authors(study),
            _l("Approved by the co-chairs"),
            closes_at=window.closes_at.isoformat(),
            window_id=window.id,
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
        _tell(ctx, "study_affirmed", people.values(), _l("Affirmed by the network"), **votes)
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
        _l("Returned to the co-chairs after affirmation"),
        objections=texts,
        due_at=rnd.due_at.isoformat(),
        **votes,
    )
    _tell(
        ctx,
        "study_returned_cochairs",
        _cochairs(study),
        _l("Returned to you after affirmation"),
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
        ctx,
        "study_published",
        people.values(),
        _l("Published"),
        public_path=f"/library/{study.slug}",
    )
    broadcasts.newly_published(study)


def _unpublish(ctx: Context) -> None:
    library.on_unpublish(ctx.study)
    _tell(ctx, "study_unpublished", _authors(ctx.study), _l("Removed from the library"))


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
            _l("Withdrawn by the authors"),
            path=f"/cochair/studies/{study.id}",
        )


def _reopen_declined(ctx: Context) -> None:
    _tell(ctx, "study_reopened", _authors(ctx.study), _l("Reopened as a draft"))
