"""Who may do what: the one place that answers, used by views, templates and tests.

Each function takes the person (possibly anonymous) and the thing, and returns a bool.
Views turn "may not see" into 404 and "may see but not do" into 403.
"""

import sqlalchemy as sa

from models import CaseStudy, Conflict, Pillar
from models.base import db
from models.enums import StudyState, UserKind

# States in which a study's content may be edited by its authors.
AUTHOR_EDITABLE = {StudyState.draft, StudyState.changes_requested}
# States in which a study has been shown to the co-chairs of its pillar.
REVIEW_VISIBLE = set(StudyState) - {StudyState.draft}


def signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_staff(user) -> bool:
    return signed_in(user) and user.kind == UserKind.staff


def is_member(user) -> bool:
    """Members, co-chairs included (a co-chair is a member with an assignment)."""
    return signed_in(user) and user.kind == UserKind.member


def is_partner(user) -> bool:
    return signed_in(user) and user.kind == UserKind.partner


def cochair_pillar_ids(user) -> set[int]:
    if not signed_in(user):
        return set()
    return {a.pillar_id for a in user.cochair_assignments}


def is_cochair(user, pillar: Pillar | int | None = None) -> bool:
    """Whether the person co-chairs `pillar`, or any pillar when none is given."""
    ids = cochair_pillar_ids(user)
    if pillar is None:
        return bool(ids)
    return (pillar if isinstance(pillar, int) else pillar.id) in ids


def is_author(user, study: CaseStudy) -> bool:
    return signed_in(user) and user.id in study.author_ids


def may_write_studies(user) -> bool:
    """Members and partners write case studies; staff act on them but do not author."""
    return is_member(user) or is_partner(user)


def may_view_study(user, study: CaseStudy) -> bool:
    """See the working copy and history: authors, staff, the pillar's co-chairs once submitted,
    and the network while it is open for affirmation."""
    if not signed_in(user):
        return False
    if is_staff(user) or is_author(user, study):
        return True
    if study.state in REVIEW_VISIBLE and is_cochair(user, study.pillar_id):
        return True
    return study.state == StudyState.in_affirmation and (is_member(user) or is_partner(user))


def may_edit_study(user, study: CaseStudy) -> bool:
    return is_author(user, study) and study.state in AUTHOR_EDITABLE


def is_submitter(user, study: CaseStudy) -> bool:
    return signed_in(user) and any(a.user_id == user.id and a.is_submitter for a in study.authors)


def may_manage_authors(user, study: CaseStudy) -> bool:
    """The submitter adds and removes co-authors while the content is editable."""
    return is_submitter(user, study) and study.state in AUTHOR_EDITABLE


def may_download_attachment(user, study: CaseStudy) -> bool:
    """Those who may see the working copy, and everyone once the study is published."""
    return may_view_study(user, study) or study.state == StudyState.published


def may_compare_revisions(user, study: CaseStudy) -> bool:
    return may_view_study(user, study)


def may_view_staff(user) -> bool:
    return is_staff(user)


def may_view_cochair(user) -> bool:
    return is_cochair(user) or is_staff(user)


def may_commit(user) -> bool:
    """Members commit to the agenda themselves."""
    return is_member(user)


# --- Review workflow (review/workflow.py uses these as the "who" of its transitions) ---------


def is_conflicted(user, study: CaseStudy) -> bool:
    """Whether the person declared a conflict of interest on this study."""
    if not signed_in(user):
        return False
    return (
        db.session.scalar(
            sa.select(Conflict.id).where(Conflict.study_id == study.id, Conflict.user_id == user.id)
        )
        is not None
    )


def is_pillar_cochair(user, study: CaseStudy) -> bool:
    """A co-chair of the study's pillar who is not one of its authors."""
    return is_member(user) and is_cochair(user, study.pillar_id) and not is_author(user, study)


def may_review(user, study: CaseStudy) -> bool:
    """A co-chair of the pillar who is not an author and has not declared a conflict."""
    return is_pillar_cochair(user, study) and not is_conflicted(user, study)


def may_declare_conflict(user, study: CaseStudy) -> bool:
    return is_pillar_cochair(user, study) and not is_conflicted(user, study)


def may_see_reviews(user, study: CaseStudy) -> bool:
    """Reviews in progress: the pillar's co-chairs (not authors) and staff."""
    return is_staff(user) or is_pillar_cochair(user, study)


def may_open_review_page(user, study: CaseStudy) -> bool:
    """The co-chair review page: the pillar's co-chairs who are not authors, and staff."""
    return study.state in REVIEW_VISIBLE and (is_staff(user) or is_pillar_cochair(user, study))


# ---------------------------------------------------------------- commitments (issue 7)


def may_manage_commitments(user) -> bool:
    """Staff add, remove and import committed officials."""
    return is_staff(user)


def may_export_studies(user) -> bool:
    """Staff export every study, in any state."""
    return is_staff(user)


def may_correct_study(user, study: CaseStudy) -> bool:
    """Staff correct a published study; each correction is a new revision."""
    return is_staff(user) and study.state == StudyState.published


# ---------------------------------------------------------------- network affirmation (issue 5)


def may_vote(user, study: CaseStudy) -> bool:
    """Eligible voters: active members (co-chairs included) who are not authors of the study."""
    return is_member(user) and user.is_active and not is_author(user, study)


def may_comment(user, study: CaseStudy) -> bool:
    """Members and partners who are not authors post feedback comments."""
    return (is_member(user) or is_partner(user)) and user.is_active and not is_author(user, study)


def may_reply(user, study: CaseStudy) -> bool:
    """Those who comment, and also the authors and the pillar's co-chairs, reply to comments."""
    if not signed_in(user) or not user.is_active:
        return False
    return may_comment(user, study) or is_author(user, study) or is_cochair(user, study.pillar_id)


def may_see_affirmation(user, study: CaseStudy, window) -> bool:
    """The affirmation page: members and partners while it is open; the authors, the pillar's
    co-chairs and staff always."""
    if window is None or not signed_in(user):
        return False
    if is_staff(user) or is_author(user, study) or is_cochair(user, study.pillar_id):
        return True
    return (
        window.closed_at is None
        and study.state == StudyState.in_affirmation
        and (is_member(user) or is_partner(user))
    )


def may_see_tally(user, study: CaseStudy, window) -> bool:
    """Live totals for staff and the pillar's co-chairs; the authors see them once it closed."""
    if is_staff(user):
        return True
    if is_author(user, study):
        return window.closed_at is not None
    return is_cochair(user, study.pillar_id)


def may_extend_affirmation(user) -> bool:
    """Staff move a deadline later (never earlier), with a recorded reason."""
    return is_staff(user)


def may_close_affirmation(user) -> bool:
    """Staff close a vote before its deadline (a rehearsal, an end), with a recorded reason."""
    return is_staff(user)
