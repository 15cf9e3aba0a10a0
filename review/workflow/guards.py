"""The table's predicates: who may try a row, and the guards that refuse it with a message."""

from flask_babel import gettext as _

from models.enums import Section
from review import drafts, policy, reviews
from review.workflow.context import REASON_MAX, Context

# ---------------------------------------------------------------- who


def _author(user, study) -> bool:
    return policy.is_author(user, study)


def _staff(user, study) -> bool:
    return policy.is_staff(user)


def _system(user, study) -> bool:
    return user is None


# ---------------------------------------------------------------- guards


def _need_reason(ctx: Context) -> str | None:
    if not (ctx.reason or "").strip():
        return _("Reason: say why (it is recorded in the history).")
    if len(ctx.reason) > REASON_MAX:
        return _("Reason: keep it under %(max)s characters.", max=REASON_MAX)
    return None


def _complete(ctx: Context) -> str | None:
    missing = drafts.missing_sections(ctx.study)
    if not missing:
        return None
    names = []
    for key in missing:
        names.append(_("Details") if key == drafts.METADATA else Section(key).label)
    return _("Complete these parts first: %(parts)s.", parts=", ".join(names))


def _resubmittable(ctx: Context) -> str | None:
    message = _complete(ctx)
    if message:
        return message
    left = reviews.unanswered(reviews.current_round(ctx.study))
    if left:
        return _(
            "Write a response to every feedback item before resubmitting: %(items)s.",
            items="; ".join(reviews.item_name(it) for it in left),
        )
    return None


def _review_guard(ctx: Context) -> str | None:
    rnd = reviews.current_round(ctx.study)
    if rnd is None or rnd.decided_at is not None:
        return _("This round has been decided; reviews can no longer be changed.")
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
        return _("Reason: say what the conflict of interest is.")
    return None


def _decide_guard(ctx: Context) -> str | None:
    if not reviews.decision_due(ctx.study):
        return _("The round does not have the reviews it needs for a decision yet.")
    return None


def _close_guard(ctx: Context) -> str | None:
    if not isinstance(ctx.data.get("affirmed"), bool):
        return _("The result of the affirmation (affirmed or not) is missing.")
    return None
