"""The render sweep's parts, for any test to reuse: a rich world and every GET page in it.

- `build_world(make_user)`: people in every role and one rich study in every workflow state
  (review/demo/rich.py, the same builder as `flask seed-demo`), committed.
- `pages(app, world)`: every GET rule of the app's url_map with its path filled in from the
  world (every study for a study's routes), and `expected(world, role, page)`: the status SPEC
  §9 gives that role for that page (404 for what they may not see, 403 for what they see but
  may not do, a redirect to sign in for a visitor on a signed-in page).
- `bad_id_paths(app, world)`: every path with an id, each id in turn replaced by a number no
  row can have.
- `sign_in(app, user)`: a test client signed in through the real form.

tests/test_render_sweep.py runs them through Flask's test client on both engines; the browser
sweep (tests/test_browser_sweep.py) visits the same pages in Chromium.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from models import Notification, Pillar
from models.base import db
from models.enums import StudyState, UserKind
from review import commitments
from review.demo.rich import Cast, seed_rich
from tests.conftest import PASSWORD

ROLES = ("visitor", "member", "author", "coauthor", "partner", "chair", "other_chair", "staff")
BAD_IDS = ("0", "-1", str(2**63 - 1), str(2**63), str(2**64), str(10**30))
# Paths a sweep does not fetch: files served as they are, and a CSV download of everything.
SKIPPED_ENDPOINTS = {"static"}
JUNK_TOKEN = "not-a-real-token"

# Pages open to everyone, signed in or not.
PUBLIC = {
    "main.home",
    "main.healthz",
    "library.index",
    "library.sitemap",
    "library.study",
    "library.download",
    "library.image",
    "library.suggest",
    "commitments.index",
    "commitments.official",
    "feeds.studies",
    "feeds.pillar",
    "api.studies",
    "api.study",
    "api.pillars",
    "api.commitments",
    "api.openapi",
}
# Forms for a visitor; a signed-in person is sent on to where they were going.
SIGNED_OUT_FORMS = {"auth.login"}
# Forms for anyone: asking for access or a new password.
OPEN_FORMS = {"auth.request_access", "auth.reset_request"}
# Links from emails, here with a token that was never issued: the person is sent on with a
# message that the link expired (invitations, resets, email changes), or 404 (unsubscribe).
TOKEN_PAGES = {
    "auth.invite": 302,
    "auth.reset": 302,
    "account.confirm_email": 302,
    "account.unsubscribe": 404,
    "calendar.feed": 404,
}
# Signed-in pages every signed-in person has.
EVERYONE_SIGNED_IN = {
    "account.index",
    "account.notifications",
    "studies.index",
    "affirmation.index",
}
# Pages that take a study id; keyed by endpoint.
STUDY_PAGES = {
    "studies.show",
    "studies.preview",
    "studies.compare",
    "studies.edit",
    "studies.download",
    "studies.image",
    "cochair.study",
    "affirmation.show",
    "staff.study",
}


@dataclass
class World:
    cast: Cast
    people: dict[str, object]  # role -> User (no visitor)
    other_pillar: Pillar
    studies: list = field(default_factory=list)  # every rich study, the returned one included


def build_world(make_user) -> World:
    """Create the people of every role and the rich studies; commit; return the world."""
    pillars = list(db.session.scalars(sa.select(Pillar).order_by(Pillar.position)))
    pillar, other = pillars[0], pillars[1]
    member = make_user(UserKind.member, name="Mona Member", office="Council Member", us_state="MD")
    cast = Cast(
        author=make_user(UserKind.member, name="Ada Author"),
        coauthor=make_user(UserKind.member, name="Cory Coauthor"),
        chairs=[make_user(UserKind.member, cochair_of=pillar, name=f"Chair {n}") for n in "AB"],
        voters=[member] + [make_user(UserKind.member, name=f"Voter {n}") for n in "XY"],
        partner=make_user(UserKind.partner, name="Pat Partner", organisation="Tenant Union"),
        staff=make_user(UserKind.staff, name="Sam Staff"),
    )
    other_chair = make_user(UserKind.member, cochair_of=other, name="Olu Otherchair")
    seed_rich(cast, pillar)
    commitments.commit(member)
    db.session.commit()
    people = {
        "member": member,
        "author": cast.author,
        "coauthor": cast.coauthor,
        "partner": cast.partner,
        "chair": cast.chairs[0],
        "other_chair": other_chair,
        "staff": cast.staff,
    }
    studies = [*cast.studies.values(), cast.returned]
    return World(cast=cast, people=people, other_pillar=other, studies=studies)


def sign_in(app, user):
    """Return a test client of `app` signed in as `user` (None: a visitor)."""
    client = app.test_client()
    if user is not None:
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, f"sign-in failed for {user.email}"
    return client


@dataclass(frozen=True)
class Page:
    endpoint: str
    path: str
    study: object = None  # the CaseStudy a study page is about


def get_rules(app) -> list:
    """Every rule that answers GET, but static files."""
    return sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if "GET" in r.methods and r.endpoint not in SKIPPED_ENDPOINTS
        ),
        key=lambda r: r.rule,
    )


def _published(world: World):
    return world.cast.studies[StudyState.published]


def _values(world: World, rule) -> list[tuple[dict, object]]:
    """Return the ways to fill the rule's variables: (values, study or None)."""
    args = set(rule.arguments)
    if not args:
        return [({}, None)]
    published = _published(world)
    if "width" in args:  # a resized copy of a lead image (every rich study has one)
        found = world.studies if "study_id" in args else [published]
        key = "study_id" if "study_id" in args else "slug"
        return [
            ({key: s.id if key == "study_id" else s.slug, "attachment_id": lead, "width": 480}, s)
            for s in found
            if (lead := getattr(s.lead_image, "attachment_id", None))
        ]
    if "study_id" in args:
        out = []
        for study in world.studies:
            if "attachment_id" in args:
                out += [
                    ({"study_id": study.id, "attachment_id": a.id}, study)
                    for a in study.attachments
                ]
            else:
                out.append(({"study_id": study.id}, study))
        return out
    if "attachment_id" in args:  # the library's download of a published file
        return [
            ({"slug": published.slug, "attachment_id": a.id}, published)
            for a in published.attachments
        ]
    if args == {"slug"}:
        if rule.endpoint == "feeds.pillar":
            return [({"slug": world.cast.studies[StudyState.draft].pillar.slug}, None)]
        return [({"slug": published.slug}, published), ({"slug": "no-such-study"}, None)]
    if args == {"token"}:
        return [({"token": JUNK_TOKEN}, None)]
    if args == {"user_id"}:
        people = [world.people["member"], world.people["author"]]
        return [({"user_id": u.id}, u) for u in people]
    if args == {"pillar_id"}:
        return [({"pillar_id": world.other_pillar.id}, None)]
    if args == {"notification_id"}:
        first = db.session.scalar(sa.select(Notification.id).order_by(Notification.id))
        return [({"notification_id": first}, None)]
    if args == {"round_id"}:
        return []
    raise AssertionError(f"the sweep does not know how to fill {rule.rule}: add it here")


def pages(app, world: World) -> list[Page]:
    """Every GET page of the app, with its variables filled in from the world."""
    out = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in get_rules(app):
            for values, thing in _values(world, rule):
                path = adapter.build(rule.endpoint, values)
                out.append(Page(rule.endpoint, path, thing))
    return out


def bad_id_paths(app, world: World) -> list[str]:
    """Every path with an id, each id in turn replaced by each of BAD_IDS."""
    out = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in get_rules(app):
            ids = [a for a in rule.arguments if a.endswith("_id")]
            for values, _ in _values(world, rule)[:1]:
                for name in ids:
                    path = adapter.build(rule.endpoint, values)
                    good = str(values[name])
                    for bad in BAD_IDS:
                        # Replace the path segment that holds this id, and no other.
                        parts = path.split("/")
                        index = _segment_of(rule.rule, name)
                        assert parts[index].startswith(good), (rule.rule, path)
                        parts[index] = bad + parts[index][len(good) :]
                        out.append("/".join(parts))
    return out


def _segment_of(rule: str, name: str) -> int:
    for i, segment in enumerate(rule.split("/")):
        if f":{name}>" in segment:
            return i
    raise AssertionError(f"{name} is not in {rule}")


# ---------------------------------------------------------------- what SPEC §9 says


def _is_author(world: World, role: str) -> bool:
    return role in ("author", "coauthor")


def may_see_study(world: World, role: str, study) -> bool:
    """SPEC §1, §4: authors and staff always; the pillar's co-chairs once submitted; the
    network (members, partners, any co-chair) while it is open for affirmation."""
    if role == "visitor":
        return False
    if role == "staff" or _is_author(world, role):
        return True
    if role == "chair" and study.state != StudyState.draft:
        return True
    return study.state == StudyState.in_affirmation


def _study_status(world: World, role: str, page: Page) -> int:
    study, endpoint, visible = page.study, page.endpoint, None
    visible = may_see_study(world, role, study)
    if endpoint in ("studies.download", "studies.image"):
        return 200 if visible or study.state == StudyState.published else 404
    if role == "visitor":
        return 302
    if endpoint == "staff.study":
        return 200 if role == "staff" else 404
    if not visible:
        return 404
    if endpoint == "studies.edit":
        editable = study.state in (StudyState.draft, StudyState.changes_requested)
        return 200 if _is_author(world, role) and editable else 403
    if endpoint == "cochair.study":
        reviewer = role in ("chair", "staff") and study.state != StudyState.draft
        return 200 if reviewer else 403
    if endpoint == "affirmation.show":
        if not _has_window(study):
            return 404
        closed = study.state != StudyState.in_affirmation
        insider = role in ("staff", "chair") or _is_author(world, role)
        return 200 if insider or not closed else 404
    return 200


def _has_window(study) -> bool:
    from models import AffirmationWindow

    found = db.session.scalar(
        sa.select(AffirmationWindow.id).where(AffirmationWindow.study_id == study.id)
    )
    return found is not None


def expected(world: World, role: str, page: Page) -> int:
    """The status SPEC §9 gives `role` for `page`."""
    endpoint = page.endpoint
    if endpoint == "main.old_site":  # the former public site's addresses, sent on for good
        return 301
    if endpoint == "library.slug_check":  # staff's check of an address as they type it
        return 200 if role == "staff" else 404
    if endpoint in STUDY_PAGES:
        return _study_status(world, role, page)
    if endpoint in PUBLIC:
        if endpoint in ("library.study", "api.study") and page.study is None:
            return 404
        return 200
    if endpoint in SIGNED_OUT_FORMS:
        return 200 if role == "visitor" else 302
    if endpoint in OPEN_FORMS:
        return 200
    if endpoint in TOKEN_PAGES:
        return TOKEN_PAGES[endpoint]
    if role == "visitor":
        return 302
    if endpoint in EVERYONE_SIGNED_IN:
        return 200
    if endpoint == "studies.new":
        return 403 if role == "staff" else 200
    if endpoint == "cochair.index":
        return 200 if role in ("chair", "other_chair", "staff") else 403
    if endpoint == "library.correct":
        if page.study is None:
            return 404
        return 200 if role == "staff" else 403
    if endpoint in ("commitments.add", "commitments.import_csv"):
        return 200 if role == "staff" else 403
    # The console is private: no hint.
    if endpoint.startswith(("staff.", "broadcasts.", "imports.", "synonyms.")):
        return 200 if role == "staff" else 404
    raise AssertionError(f"no expectation for {endpoint}: add it here, from SPEC §9")
