"""The "did you mean" vocabulary at any size (issue 15): the distinct words of the published
studies and their counts (library_search_word) are kept in the transaction of every publish,
unpublish, correction and import and always equal a recount of the studies' words; a
suggestion costs the same statements whatever the number of studies — on SQLite and
PostgreSQL."""

import sqlalchemy as sa
from flask_migrate import upgrade

from models import User
from models.base import db
from models.clock import utcnow
from models.pillar import seed_pillars
from review import library
from review.app import create_app
from review.library.forgiving import did_you_mean, rebuild_vocabulary
from tests.factories import complete_study
from tests.publishing import publish, published_study, publisher, unpublish
from tests.test_library import count_statements
from tests.test_library_real import run_import, study_row


def maintained() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(sa.text("SELECT word, studies FROM library_search_word"))
    return dict(rows.all())


def recount() -> dict[str, int]:
    rows = db.session.execute(
        sa.text("SELECT word, count(*) FROM library_search_term GROUP BY word")
    )
    return dict(rows.all())


def assert_fresh() -> dict[str, int]:
    """One row per distinct word, counted as a recount counts; return the counts."""
    words = maintained()
    assert words == recount()
    assert all(n > 0 for n in words.values())
    return words


def test_the_distinct_words_equal_a_recount_through_every_change(app, make_user):
    author = make_user()
    one = complete_study(author, title="Zero-fare transit", place="Spokane")
    publish(one)
    words = assert_fresh()
    assert words["spokane"] == 1 and words["transit"] == 1
    two = complete_study(author, title="Guaranteed income transit", place="Stockton")
    publish(two)
    words = assert_fresh()
    assert words["transit"] == 2 and words["stockton"] == 1

    library.correct(
        two,
        {"title": "Guaranteed basic earnings", "summary": "Now corrected."},
        publisher(),
        "typo",
        two.version,
    )
    db.session.commit()
    words = assert_fresh()
    assert words["transit"] == 1 and words["basic"] == 1 and words["corrected"] == 1

    unpublish(one)
    words = assert_fresh()
    assert "spokane" not in words and "transit" not in words

    report = run_import([study_row(n) for n in (1, 2, 3)], make_user("staff"), dry_run=False)
    assert report.count("create") == 3
    words = assert_fresh()
    assert words["imported"] == 3

    before = words
    rebuild_vocabulary()
    db.session.commit()
    assert assert_fresh() == before


def test_guarantied_income_is_respelt_from_the_distinct_words(app, make_user):
    published_study(make_user(), title="Guaranteed income", place="Stockton")
    assert did_you_mean("guarantied income") == "guaranteed income"
    assert did_you_mean("guaranteed income") is None
    # Every unknown word of a search is respelt, from one statement of candidates.
    with count_statements() as seen:
        assert did_you_mean("guarantied incme stocton") == "guaranteed income stockton"
    assert len(seen) == 2, seen
    assert all("library_search_term" not in s for s in seen)


def zero_result_statements(client, make_user, studies: int) -> list[str]:
    author = make_user()
    published_study(author, title="Guaranteed income", place="Stockton")
    for i in range(studies - 1):
        published_study(author, title=f"Guaranteed housing {i}", place=f"Town {i}")
    client.get("/library?q=guarantied+incme")
    library.facet_cache().clear()
    db.session.remove()
    with count_statements() as seen:
        html = client.get("/library?q=guarantied+incme").get_data(as_text=True)
    assert "“guaranteed income”" in html
    return seen


def test_a_zero_result_page_with_a_suggestion_costs_the_same_for_5_and_50_studies(
    app, client, make_user
):
    few = zero_result_statements(client, make_user, 5)
    db.session.execute(sa.text("DELETE FROM library_search_term"))
    db.session.execute(sa.text("DELETE FROM library_search_word"))
    db.session.commit()
    many = zero_result_statements(client, make_user, 50)
    assert len(few) == len(many), (few, many)
    # Did you mean's two, and the facet counts' statement, which reads the completions of the
    # last word ("incme") from the same distinct words.
    assert sum("library_search_word" in s for s in many) == 3


def test_the_migration_counts_the_words_of_the_studies_published_before_it(fresh_url):
    """Migration 0016 fills the distinct words from library_search_term as a recount would."""
    other = create_app({"SQLALCHEMY_DATABASE_URI": fresh_url, "RATELIMIT_STORAGE_URI": None})
    with other.app_context():
        upgrade(revision="0015_perf2_study_count")
        seed_pillars()
        author = User(email="a@example.org", name="A", created_at=utcnow())
        db.session.add(author)
        db.session.commit()
        ids = [complete_study(author, title=f"Study {n}").id for n in range(3)]
        db.session.commit()
        rows = [("transit", ids[0]), ("transit", ids[1]), ("stockton", ids[2])]
        db.session.execute(
            sa.text("INSERT INTO library_search_term (word, study_id) VALUES (:w, :s)"),
            [{"w": w, "s": s} for w, s in rows],
        )
        db.session.commit()
        db.session.remove()
        upgrade()
        assert assert_fresh() == {"transit": 2, "stockton": 1}
        db.session.remove()
        db.engine.dispose()
