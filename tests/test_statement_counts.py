"""The statement-count guard: no page's number of SQL statements grows with the data.

Every GET page of the render sweep (tests/sweep.py) that lists things — the pages without an id
in their path — is requested by every role in a rich world, then again after the world has
grown three times (more studies in every workflow state, more reviews, votes, comments and
notifications). Each (role, page) must cost the same statements both times, on both engines.
The study pages are checked too, for the roles that see every study (staff, a co-chair, an
author), since their history, rounds and votes are lists as well.

Statements are counted with a `before_cursor_execute` listener on the engine, in a fresh
session per request (as a real request has), after a first visit that may write the session's
bookkeeping. Counts, never times.
"""

from collections import Counter, defaultdict

import sqlalchemy as sa

from models import CaseStudy, Link, TimelineEvent
from models.base import db
from review import workflow
from review.demo.rich import seed_rich
from review.infra.markdown import render
from tests.conftest import PASSWORD
from tests.factories import complete_study
from tests.sweep import ROLES, build_world, pages, sign_in
from tests.test_authoring import edit_data
from workers.sweep import TASKS, sweep

# Grown world: this many more rich sets (one study in every state, and a returned one, each).
GROWTH = 2
# Who requests the study pages (every study is visible to them in some state).
STUDY_ROLES = ("staff", "chair", "author")
# The pages of one study that show its lists (history, rounds, votes, comments).
STUDY_PAGES = {"studies.show", "cochair.study", "affirmation.show", "staff.study"}
# Downloads of everything: their cost is one streamed query per chunk, not a page.
NOT_PAGES = {"staff.export_csv", "staff.export_json", "staff.audit_csv"}


def statements_of(app, client, path: str, method: str = "get", **kwargs):
    """Request `path` in a fresh session; return (status, statements, first lines)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split())[:120])

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        # An app context of its own: the request gets an empty session, as a real one has.
        with app.app_context():
            status = getattr(client, method)(path, **kwargs).status_code
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return status, len(seen), seen


def measure(app, world, targets) -> dict[tuple[str, str], tuple[int, int, list[str]]]:
    """Return {(role, path): (status, statements, lines)} for every target (role, page)."""
    out = {}
    by_role = defaultdict(list)
    for role, page in targets:
        by_role[role].append(page)
    for role, role_pages in by_role.items():
        client = sign_in(app, world.people.get(role))
        for page in role_pages:
            statements_of(app, client, page.path)  # the first visit may write bookkeeping
            out[role, page.path] = statements_of(app, client, page.path)
    return out


def grow(world) -> None:
    """Add GROWTH more rich sets for the same people: more of every list each page shows."""
    pillar = world.cast.studies[next(iter(world.cast.studies))].pillar
    for n in range(GROWTH):
        seed_rich(world.cast, pillar, prefix=f"Grown {n}")
    db.session.commit()


def _targets(app, world):
    every = pages(app, world)
    lists = [p for p in every if p.study is None and p.endpoint not in NOT_PAGES]
    studies = [p for p in every if isinstance(p.study, CaseStudy) and p.endpoint in STUDY_PAGES]
    targets = [(role, p) for role in ROLES for p in lists]
    targets += [(role, p) for role in STUDY_ROLES for p in studies]
    return targets


def test_statement_count_of_every_page_is_constant(app, make_user):
    world = build_world(make_user)
    targets = _targets(app, world)
    assert len(targets) > 200
    small = measure(app, world, targets)
    grow(world)
    large = measure(app, world, targets)
    grew = []
    for key, (status, few, lines) in sorted(small.items()):
        status_after, many, lines_after = large[key]
        assert status == status_after, (key, status, status_after)
        if many != few:
            extra = list((Counter(lines_after) - Counter(lines)).elements())[:2]
            grew.append(f"{key[0]:11} {key[1]}: {few} -> {many} statements; new: {extra}")
    print(f"\n{len(small)} (role, page) pairs; statements per request (visible with -s):")
    for (role, path), (_s, n, _l) in sorted(large.items(), key=lambda kv: -kv[1][1]):
        if role in ("staff", "chair", "author") and not any(c.isdigit() for c in path):
            print(f"  {n:3} {role:11} {path}")
    assert not grew, "\n".join(grew)


# What one autosave of a section costs: the session's sign-in, the study with its authors, the
# pillars (the form's choices), the saved rows of its lists (one statement), the UPDATE, and
# the DELETE of the person's working copy — nothing that grows with the rows (issue 17).
SAVE_STATEMENTS = 6


def test_a_section_save_costs_six_statements_whatever_the_rows(app, client, make_user, login_as):
    author = make_user()
    few = complete_study(author)
    many = complete_study(author, title="Many rows")
    many.timeline += [
        TimelineEvent(position=i, year=2000 + i, description=f"E{i}") for i in range(2, 12)
    ]
    many.links = [Link(position=i, label=f"L{i}", url=f"https://example.org/{i}") for i in range(5)]
    db.session.commit()
    login_as(author)
    paragraph = "Residents **organised** for [tenant rights](https://example.org) and won. "
    text = "\n\n".join(paragraph * 4 for _ in range(34))
    assert len(text) > 10_000
    json = {"Accept": "application/json"}
    for study in (few, many):
        study_id, version, events = study.id, study.version, len(study.timeline)
        data = edit_data(study, overview_md=text)
        status, count, lines = statements_of(
            app, client, f"/studies/{study_id}/edit", "post", data=data, headers=json
        )
        assert status == 200
        assert count <= SAVE_STATEMENTS, "\n".join(lines)
        db.session.expire_all()
        saved = db.session.get(CaseStudy, study_id)
        assert saved.version == version + 1
        assert saved.overview_md == text and saved.overview_html == render(text)
        assert len(saved.timeline) == events

    # A save that changes a row still rewrites that list, in place and in order.
    data = edit_data(saved, **{"timeline-0-description": "Moved first", "links-4-label": "Last"})
    study_id, version = saved.id, saved.version
    response = client.post(f"/studies/{study_id}/edit", data=data, headers=json)
    assert response.status_code == 200 and response.json["version"] == version + 1
    db.session.expire_all()
    saved = db.session.get(CaseStudy, study_id)
    assert [e.description for e in saved.timeline][:2] == ["Moved first", "Council passes bill"]
    assert [e.position for e in saved.timeline] == list(range(12))
    assert [link.label for link in saved.links] == ["L0", "L1", "L2", "L3", "Last"]


def test_sign_in_costs_two_statements(app, client, make_user):
    """The account by its email and the INSERT of the session: nothing read again after the
    commit (the welcome names the person from the row already loaded). Only a person's first
    sign-in writes one more: the UPDATE that remembers their language (docs/i18n.md)."""
    first = make_user(name="Grace Hopper")
    data = {"email": first.email, "password": PASSWORD}
    status, count, lines = statements_of(app, client, "/auth/login", "post", data=data)
    assert status == 302
    assert count == 3, "\n".join(lines)
    assert any("SET locale" in line for line in lines if line.startswith("UPDATE")), lines
    client.post("/auth/logout")

    user = make_user(name="Ada Lovelace", locale="en")
    data = {"email": user.email, "password": PASSWORD}
    status, count, lines = statements_of(app, client, "/auth/login", "post", data=data)
    assert status == 302
    assert count == 2, "\n".join(lines)
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Ada Lovelace." in page


def test_sweep_with_nothing_due_reads_no_row_it_does_not_act_on(app, make_user, pillar):
    """One statement in all: the sweep's probe of every task's rows (workers.sweep.PROBES)
    finds none, so no task runs; an open round that is not due loads no study."""
    author = make_user()
    study = complete_study(author, pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.app_context():
            report = sweep()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert "failed" not in report.values(), report
    assert len(seen) == 1, "\n".join(seen)
    assert seen[0].count("EXISTS") == len(TASKS), seen
    # The open round's study (its texts) is not loaded: nothing is due for it.
    assert not any("case_study.overview_md" in line for line in seen), seen
