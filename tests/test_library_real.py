"""The real library (issue 15): slugs people choose and that never break, the import of
already-published studies, search that forgives, and data as it really is — on SQLite and
PostgreSQL."""

import unicodedata

import pytest
import sqlalchemy as sa

from models import AuditEvent, SlugRedirect
from models.base import db
from review import library
from tests.publishing import published_study

# ------------------------------------------------------------------ slugs


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Española", "espanola"),
        ("Prince George’s County", "prince-georges-county"),
        ("Prince George's County", "prince-georges-county"),
        ("Nuñez", "nunez"),
        ("Ōhiʻa Lehua", "ohia-lehua"),
        ("Straße & Søndergård", "strasse-sondergard"),
        (unicodedata.normalize("NFD", "Española"), "espanola"),
        ("Ｅｓｐａñｏｌａ", "espanola"),
        ("  --- ", "study"),
    ],
)
def test_slugify_transliterates(text, slug):
    assert library.slugify(text) == slug


def test_slugify_cuts_at_a_word():
    slug = library.slugify("word " * 40)
    assert len(slug) <= 80 and slug.endswith("word")


def test_suggested_slug_is_place_and_title(app, make_user):
    author = make_user()
    study = published_study(author, title="Guaranteed income", place="Stockton")
    assert study.slug == "stockton-guaranteed-income"
    again = published_study(author, title="Takoma Park youth voting", place="Takoma Park")
    assert again.slug == "takoma-park-youth-voting"
    accented = published_study(author, title="Community land trust", place="Española")
    assert accented.slug == "espanola-community-land-trust"


def test_staff_change_the_slug_and_every_old_one_redirects(app, client, make_user, login_as):
    study = published_study(
        make_user(), title="Zero-Fare Transit", place="Spokane", topics=("disability",)
    )
    other = published_study(make_user(), title="Guaranteed income", place="Stockton")
    assert study.slug == "spokane-zero-fare-transit"
    login_as(make_user())
    assert client.post(f"/library/{study.slug}/slug", data={"slug": "x"}).status_code == 403
    client.post("/auth/logout")
    login_as(make_user("staff"))
    form = client.get(f"/library/{study.slug}/correct").get_data(as_text=True)
    assert 'name="slug"' in form and 'value="spokane-zero-fare-transit"' in form

    taken = client.post(f"/library/{study.slug}/slug", data={"slug": other.slug})
    assert taken.status_code == 422
    assert "already the address of another case study" in taken.get_data(as_text=True)
    bad = client.post(f"/library/{study.slug}/slug", data={"slug": "Spokane Free!"})
    assert bad.status_code == 422 and "lower-case letters" in bad.get_data(as_text=True)

    done = client.post(f"/library/{study.slug}/slug", data={"slug": "spokane-free-transit"})
    assert done.status_code == 302 and done.location.endswith("/library/spokane-free-transit")
    client.post("/library/spokane-free-transit/slug", data={"slug": "spokane-fare-free"})
    for old in ("spokane-zero-fare-transit", "spokane-free-transit"):
        moved = client.get(f"/library/{old}")
        assert moved.status_code == 301 and moved.location.endswith("/library/spokane-fare-free")
    assert client.get("/library/spokane-fare-free").status_code == 200
    # A former slug belongs to its study forever: another study cannot take it ...
    assert library.slug_problem("spokane-free-transit", other)
    # ... and the study itself may take it back, when it stops redirecting.
    client.post("/library/spokane-fare-free/slug", data={"slug": "spokane-free-transit"})
    assert client.get("/library/spokane-free-transit").status_code == 200
    assert client.get("/library/spokane-fare-free").status_code == 301
    olds = db.session.scalars(sa.select(SlugRedirect.old_slug).order_by(SlugRedirect.old_slug))
    assert list(olds) == ["spokane-fare-free", "spokane-zero-fare-transit"]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.event == "slug_changed"))
    assert len(events.all()) == 3
    check = client.get("/library/slug-check", query_string={"slug": other.slug})
    assert check.json["problem"]


def test_the_public_sites_old_paths_redirect(app, client, make_user):
    study = published_study(make_user(), title="Youth voting", place="Takoma Park")
    first = client.get(f"/case-studies/{study.slug}")
    assert first.status_code == 301 and first.location.endswith(f"/library/{study.slug}")
    assert client.get("/library/no-such-study").status_code == 404
    assert client.get("/library/slug-check?slug=x").status_code == 404


# ------------------------------------------------------------------ import


def study_row(n: int, **changes) -> dict:
    """One study as the import file gives it: every field and section."""
    row = {
        "slug": f"place-{n}-study-{n}",
        "title": f"Imported study {n}",
        "pillar": "public-budgets",
        "kind": "policy_win",
        "place": f"Place {n}",
        "state_code": "NM",
        "government_type": "city",
        "population_band": "10k_50k",
        "year_start": 2018,
        "year_end": 2020,
        "topics": ["participatory budgeting", f"topic {n}"],
        "authors": [{"email": f"Author{n}@Example.org", "name": f"Author {n}"}],
        "summary": f"Residents of Place {n} decide part of the budget.",
        "sections": {
            "overview": "The city set aside **$1M** for residents to allocate.",
            "political_environment": "A new council majority. " * 8,
            "collaborative_governance": "Residents wrote the rulebook.",
            "equity": "Ballots in four languages.",
            "outcomes": "Forty projects funded.",
            "lessons": "Start small.",
        },
        "timeline": [
            {"date": "2018-03", "description": "Campaign launched"},
            {"date": "14 June 2019", "description": "Council vote"},
        ],
        "stakeholders": [
            {
                "name": "PB Coalition",
                "type": "community_organisation",
                "role": "Organised residents",
                "stance": "ally",
            },
        ],
        "links": [{"label": "Rulebook", "url": "https://example.org/rulebook"}],
        "published_at": "2019-09-01",
    }
    row.update(changes)
    return row


def run_import(rows, actor, dry_run=True, source="site.json"):
    from review.staff import imports

    report = imports.import_studies(rows, actor, source=source, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return report


def faulty_rows() -> list[dict]:
    rows = [study_row(n) for n in range(1, 11)]
    rows[2]["pillar"] = "no-such-pillar"
    rows[5]["timeline"][1]["date"] = "31 February 2019"
    rows[5]["topics"] = ["x" * 61]
    rows[8]["authors"] = [{"email": "not an email"}]
    return rows


def test_import_dry_run_names_row_and_field_and_writes_nothing(app, make_user):
    from models import CaseStudy, User

    staff = make_user("staff")
    people = db.session.scalar(sa.select(sa.func.count(User.id)))
    report = run_import(faulty_rows(), staff, dry_run=True)
    assert report.count("create") == 7 and report.count("error") == 3
    problems = {(p.row, p.field) for p in report.problems}
    assert problems == {
        (3, "pillar"),
        (6, "timeline[2].date"),
        (6, "topics"),
        (9, "authors[1].email"),
    }
    reasons = {p.field: p.reason for p in report.problems}
    assert "at most 60" in reasons["topics"] and "day does not exist" in reasons["timeline[2].date"]
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == people


def test_import_publishes_keeps_slugs_and_is_idempotent(app, client, make_user):
    from models import CaseStudy, Revision, User
    from models.enums import StudyState

    staff = make_user("staff", name="Sam Staff")
    existing = make_user(email="author1@example.org", name="Already Here")
    report = run_import(faulty_rows(), staff, dry_run=False)
    assert report.count("create") == 7 and report.count("error") == 3
    studies = db.session.scalars(sa.select(CaseStudy).order_by(CaseStudy.id)).all()
    assert len(studies) == 7 and {s.state for s in studies} == {StudyState.published}
    first = studies[0]
    assert first.slug == "place-1-study-1" and first.authors[0].user_id == existing.id
    assert first.published_at.date().isoformat() == "2019-09-01"
    assert [e.description for e in first.timeline] == ["Campaign launched", "Council vote"]
    assert "<strong>$1M</strong>" in first.overview_html
    new_author = db.session.scalar(sa.select(User).where(User.email == "author2@example.org"))
    assert new_author.name == "Author 2" and new_author.password_hash is None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.event == "imported"))
    assert "site.json" in event.comment and "Sam Staff" in event.comment
    assert event.actor_id == staff.id and event.to_state == "published"
    assert db.session.scalar(sa.select(Revision.reason).where(Revision.study_id == first.id)) == (
        "import"
    )
    # Found by search and by facet, at the slug given.
    assert "place-1-study-1" in client.get("/library?q=imported").get_data(as_text=True)
    assert library.library_page(library.Query(state="NM")).total == 7
    assert client.get("/library/place-4-study-4").status_code == 200

    again = run_import(faulty_rows(), staff, dry_run=False)
    assert again.count("create") == 0 and again.count("exists") == 7
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 7
    # A row without a slug is recognised on the second run too.
    unslugged = study_row(20, slug=None, title="Fare-free buses", place="Española")
    assert run_import([unslugged], staff, dry_run=False).rows[0].slug == (
        "espanola-fare-free-buses"
    )
    assert run_import([unslugged], staff, dry_run=False).rows[0].action == "exists"


def test_import_refuses_what_it_cannot_read(app, make_user):
    from review.staff import imports

    for data, message in (
        (b"[{", "not valid at line 1"),
        (b'{"x": 1}', "must be a list"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "no studies"),
        (b"name,place\nx,y\n", "no header row with a “title” column"),
    ):
        with pytest.raises(imports.ImportFileError, match=message):
            imports.read_rows("site.json" if data[:1] in b"[{" else "x.csv", data)
    staff = make_user("staff")
    report = run_import(
        [
            1,
            {
                "title": ["x"],
                "colour": "red",
                "state": "draft",
                "timeline": "x",
                "slug": "Bad Slug",
                "pillar": 7,
            },
        ],
        staff,
    )
    fields = {(p.row, p.field) for p in report.problems}
    assert (1, "(row)") in fields
    assert {
        (2, "title"),
        (2, "colour"),
        (2, "state"),
        (2, "timeline"),
        (2, "slug"),
        (2, "pillar"),
    } <= fields


def test_import_csv_in_the_shape_of_the_export(app, make_user):
    from review.staff import exports, imports

    staff = make_user("staff")
    run_import([study_row(1), study_row(2)], staff, dry_run=False)
    staff_id = staff.id
    exported = "".join(exports.csv_lines())  # leaves the session empty
    staff = db.session.get(type(staff), staff_id)
    renamed = exported.replace("place-2-study-2", "place-2-renamed").replace(
        "Imported study 2", "Renamed study 2"
    )
    report = run_import(imports.read_rows("export.csv", renamed.encode()), staff, dry_run=False)
    assert [r.action for r in report.rows] == ["exists", "create"], imports.report_lines(report)
    from models import CaseStudy

    made = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.slug == "place-2-renamed"))
    assert [s.name for s in made.stakeholders] == ["PB Coalition"]
    assert [link.url for link in made.links] == ["https://example.org/rulebook"]
    assert {t.name for t in made.topics} == {"participatory budgeting", "topic 2"}


def test_import_from_the_command_line(app, make_user, tmp_path):
    import json

    from models import CaseStudy

    staff = make_user("staff")
    path = tmp_path / "site.json"
    path.write_text(json.dumps({"studies": faulty_rows()}))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["studies", "import", str(path), "--as", staff.email, "--dry-run"])
    assert dry.exit_code == 1 and "row 3: Imported study 3 — not imported" in dry.output
    assert "  pillar: unknown pillar 'no-such-pillar'" in dry.output
    assert "7 would be created, 0 already there, 3 with errors (dry run" in dry.output
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 0
    real = runner.invoke(args=["studies", "import", str(path), "--as", staff.email])
    assert "7 created" in real.output
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 7
    refused = runner.invoke(args=["studies", "import", str(path), "--as", "nobody@example.org"])
    assert refused.exit_code != 0 and "not a staff account" in refused.output


def test_staff_import_page(app, client, make_user, login_as):
    import io
    import json

    from models import CaseStudy

    login_as(make_user())
    assert client.get("/staff/import/").status_code == 404
    client.post("/auth/logout")
    login_as(make_user("staff"))
    assert "Import published studies" in client.get("/staff/import/").get_data(as_text=True)
    body = json.dumps(faulty_rows()).encode()

    def post(action, data=body, name="site.json"):
        return client.post(
            "/staff/import/",
            data={
                "action": action,
                "file": (io.BytesIO(data), name),
            },
            content_type="multipart/form-data",
        )

    checked = post("check")
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Would be created" in html
    assert "<code>pillar</code>" in html and "dry run: nothing was written" in html
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 0
    done = post("import")
    assert "7 created" in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 7
    broken = post("import", data=b"{not json", name="broken.json")
    assert broken.status_code == 422 and "not valid at line 1" in broken.get_data(as_text=True)
    missing = client.post("/staff/import/", data={"action": "check"})
    assert missing.status_code == 422 and "Choose the file" in missing.get_data(as_text=True)


def test_the_documented_example_file_imports(app, make_user):
    from pathlib import Path

    from review.staff import imports

    path = Path(__file__).resolve().parent.parent / "docs" / "import-example.json"
    rows = imports.read_rows(path.name, path.read_bytes())
    report = run_import(rows, make_user("staff"), dry_run=True)
    assert report.count("create") == 1, imports.report_lines(report)


# ------------------------------------------------------------------ search that forgives


def slugs_found(client, q: str) -> list[str]:
    import re

    html = client.get("/library", query_string={"q": q}).get_data(as_text=True)
    return re.findall(r'href="/library/([a-z0-9-]+)"', html)


@pytest.fixture
def real_library(app, make_user):
    author = make_user()
    return {
        "espanola": published_study(
            author,
            title="Community land trust",
            place="Española",
            state_code="NM",
            topics=("housing",),
        ),
        "spokane": published_study(
            author, title="Zero-Fare Transit", place="Spokane", state_code="WA", topics=("transit",)
        ),
        "stockton": published_study(
            author,
            title="Guaranteed income",
            place="Stockton",
            state_code="CA",
            topics=("economic security",),
        ),
        "desoto": published_study(
            author, title="Parks for all", place="DeSoto", state_code="TX", topics=("parks",)
        ),
    }


def test_prefix_and_folded_unicode_find_the_accented_study(client, real_library):
    espanola = real_library["espanola"].slug
    for q in (
        "Espa",
        "espanola",
        "Española",
        unicodedata.normalize("NFD", "Española"),
        "Ｅｓｐａñｏｌａ",
        "ESPAÑOLA land",
    ):
        assert slugs_found(client, q) == [espanola], q
    # Only the last word is a prefix, and only from three letters on.
    assert slugs_found(client, "es") == []
    assert slugs_found(client, "espa land") == []


def test_synonyms_find_zero_fare_transit(client, real_library):
    spokane = real_library["spokane"].slug
    for q in ("fare free", "free transit", "fare-free Spokane", "zero fare"):
        assert slugs_found(client, q) == [spokane], q


def test_staff_edit_the_synonyms(app, client, make_user, login_as, real_library):
    login_as(make_user("staff"))
    page = client.get("/staff/synonyms/").get_data(as_text=True)
    assert "fare free, zero fare" in page
    assert slugs_found(client, "bikeway") == []
    client.post("/staff/synonyms/", data={"text": "# ours\nbikeway, community land trust\n"})
    assert slugs_found(client, "bikeway") == [real_library["espanola"].slug]
    # The default groups are gone with staff's list in force.
    assert library.library_page(library.Query(q="fare free")).total == 0
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.event == "synonyms_changed"))


def test_a_misspelt_search_is_respelt_and_finds_the_study(client, real_library):
    html = client.get("/library?q=guarantied+income").get_data(as_text=True)
    assert "No case study matches “guarantied income”" in html
    assert "Showing the results for <strong>“guaranteed income”</strong>" in html
    assert real_library["stockton"].slug in html
    assert real_library["desoto"].slug in slugs_found(client, "De Soto")
    assert library.library_page(library.Query(q="guarantied income")).total == 0  # the API's


def test_a_search_that_finds_nothing_offers_pillars_and_topics(client, real_library):
    html = client.get("/library?q=zzyzx+qwv").get_data(as_text=True)
    assert "No case studies match" in html
    assert "Browse a pillar" in html and "The most used topics" in html
    assert 'href="/library?topic=transit"' in html


def test_the_forgiving_clauses():
    from review.library import forgiving

    groups = forgiving.parse_synonyms("fare free, zero fare\nPB, participatory budgeting\nx")
    assert groups == (
        (("fare", "free"), ("zero", "fare")),
        (("pb",), ("participatory", "budgeting")),
    )
    found = forgiving.clauses("Fare-Free buses in Espa", groups)
    # The last word is matched exactly, as typed or as a completion from the vocabulary
    # (never as an engine's prefix: "espa"* or espa:*).
    assert forgiving.completing(found) == "espa"
    completed = forgiving.with_completions(found, ["espanola", "espa"])
    assert forgiving.fts5_query(completed) == (
        '("fare free" OR "zero fare") AND "buses" AND "in" AND ("espa" OR "espanola")'
    )
    assert forgiving.tsquery_text(completed) == (
        "((fare <-> free) | (zero <-> fare)) & (buses) & (in) & (espa | espanola)"
    )
    assert forgiving.fts5_query(forgiving.clauses("buses in Espa", ())) == (
        '"buses" AND "in" AND "espa"'
    )
    assert forgiving.fts5_query(forgiving.clauses('" OR x* NEAR(', ())) == '"or" AND "x" AND "near"'


def test_reindex_rebuilds_the_index_and_the_words(app, client, real_library):
    db.session.execute(sa.text("DELETE FROM library_search_term"))
    db.session.execute(sa.text("DELETE FROM library_search_word"))
    db.session.commit()
    assert "Showing the results" not in client.get("/library?q=guarantied+income").get_data(
        as_text=True
    )
    result = app.test_cli_runner().invoke(args=["studies", "reindex"])
    assert "Reindexed 4 published studies." in result.output
    assert real_library["stockton"].slug in slugs_found(client, "guarantied income")
    for q in ("the", "the of", "a:*", "x | y & !z", "<->", "'" * 5):
        assert client.get("/library", query_string={"q": q}).status_code == 200, q
