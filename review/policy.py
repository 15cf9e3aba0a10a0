"""Who may do what: the one place that answers, used by views, templates and tests.

Each function takes the person (possibly anonymous) and the thing, and returns a bool.
Views turn "may not see" into 404 and "may see but not do" into 403.
"""

from models import CaseStudy, Pillar, User
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


def may_manage_authors(user, study: CaseStudy) -> bool:
    return may_edit_study(user, study)


def may_view_staff(user) -> bool:
    return is_staff(user)


def may_view_cochair(user) -> bool:
    return is_cochair(user) or is_staff(user)


def may_commit(user) -> bool:
    """Members commit to the agenda themselves."""
    return is_member(user)
