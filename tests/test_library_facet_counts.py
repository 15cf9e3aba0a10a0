"""Precomputed facets (issue 15, part 5): the whole library's facet counts are kept in a table
in the transaction of every publish, unpublish, correction and import, and always equal a
fresh recount; the first library page after a publication reads them, costing exactly the
statements of a warm page — on SQLite and PostgreSQL."""

import sqlalchemy as sa
from flask_migrate import upgrade

from models import Pillar, Topic, User
from models.base import db
from models.clock import utcnow
from models.pillar import seed_pillars
from review import library
from review.app import create_app
from review.library import facet_counts
from review.library.facets import facets, maintained_facets
from review.library.search import Query
from tests.factories import complete_study
from tests.publishing import publish, publisher, set_state, unpublish
from tests.test_library import count_statements
from tests.test_library_real import run_import, study_row


def counted(found) -> dict:
    return {
        "total": found.total,
        **{
            name: sorted((v.value, v.count) for v in values)
            for name, values in found.by_name.items()
        },
    }


def assert_fresh() -> dict:
    """The maintained counts are a recount's, to the value; return them."""
    db.session.expire_all()
    maintained, recount = counted(maintained_facets()), counted(facets(Query()))
    assert maintained == recount
    return maintained


def pillars() -> list[Pillar]:
    return list(db.session.scalars(sa.select(Pillar).order_by(Pillar.position)))


def test_maintained_facets_equal_a_recount_through_every_change(app, make_user):
    first, second, third, *_ = pillars()
    author = make_user()
    one = complete_study(author, pillar=first, title="Zero-fare transit", place="Spokane")
    one.secondary_pillars = [third]
    db.session.commit()
    publish(one)
    counts = assert_fresh()
    assert counts["total"] == 1 and (str(third.slug), 1) in counts["pillar"]
    two = complete_study(
        author, pillar=second, title="Guaranteed income", place="Stockton", state_code="CA"
    )
    publish(two)
    counts = assert_fresh()
    assert counts["total"] == 2 and ("CA", 1) in counts["state"]

    # A correction: a new title and summary (facets unchanged), and then a study whose facet
    # columns were changed under it is brought up to date by the correction's refresh.
    library.correct(
        two,
        {"title": "Guaranteed income, corrected", "summary": "Now corrected."},
        publisher(),
        "typo",
        two.version,
    )
    db.session.commit()
    assert_fresh()
    db.session.execute(
        sa.text("UPDATE case_study SET year_end = 2001 WHERE id = :id"), {"id": two.id}
    )
    library.correct(
        db.session.get(type(two), two.id),
        {"title": "Guaranteed income", "summary": "Again."},
        publisher(),
        "year",
        db.session.get(type(two), two.id).version,
    )
    db.session.commit()
    assert ("2001", 1) in assert_fresh()["year"]

    unpublish(one)
    counts = assert_fresh()
    assert counts["total"] == 1 and (str(third.slug), 0) in counts["pillar"]

    report = run_import(
        [study_row(n, secondary_pillars=[third.slug]) for n in (1, 2, 3)],
        make_user("staff"),
        dry_run=False,
    )
    assert report.count("create") == 3
    counts = assert_fresh()
    assert counts["total"] == 4 and (str(third.slug), 3) in counts["pillar"]
    assert ("participatory budgeting", 3) in counts["topic"]

    # A rebuild from scratch finds the same sums.
    before = counts
    facet_counts.rebuild()
    db.session.commit()
    assert assert_fresh() == before


def test_first_page_after_a_publication_costs_a_warm_pages_statements(app, client, make_user):
    author = make_user()
    for i in range(3):
        publish(complete_study(author, title=f"Study {i}", place=f"Town {i}"))
    client.get("/library")
    db.session.remove()
    with count_statements() as warm:
        assert client.get("/library").status_code == 200
    publish(complete_study(make_user(), title="Just published", place="Durham"))
    db.session.remove()
    with count_statements() as first:
        html = client.get("/library").get_data(as_text=True)
    assert "Just published" in html
    assert len(first) == len(warm) == 3, first
    # The counts are read, never recounted: no statement touches the studies' facet columns.
    assert not any("GROUPING" in s or "study_topic" in s and "count(" in s for s in first)
    assert any("library_facet_count" in s for s in first)


def test_the_migration_fills_the_counts_from_the_studies_published_before_it(fresh_url):
    """Migration 0013 counts what was already published (here: a study with a secondary
    pillar and topics, another unpublished one that must not count) as a recount would."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "RATELIMIT_STORAGE_URI": None})
    with other.app_context():
        upgrade(revision="0012_i18n_locale")
        first, second, third, *_ = seed_pillars()
        author = User(email="a@example.org", name="A", created_at=utcnow())
        db.session.add(author)
        db.session.commit()
        one = complete_study(author, pillar=first, title="One", place="Spokane")
        one.secondary_pillars = [third]
        one.topics = [Topic(name="transit"), Topic(name="fares")]
        two = complete_study(author, pillar=second, title="Two", state_code="CA")
        db.session.commit()
        now = utcnow()
        set_state(one, "published", slug="one", published_at=now, first_published_at=now)
        set_state(two, "affirmed", affirmed_at=utcnow())
        db.session.commit()
        second_slug, third_slug = second.slug, third.slug
        db.session.remove()
        upgrade()
        counts = assert_fresh()
        assert counts["total"] == 1 and ("transit", 1) in counts["topic"]
        assert (third_slug, 1) in counts["pillar"] and (second_slug, 0) in counts["pillar"]
        db.session.remove()
        db.engine.dispose()
