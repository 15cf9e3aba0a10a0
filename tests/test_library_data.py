"""Data as it is (issue 15): exact populations (the band derived for the facets), secondary
pillars, the government types of DC and of consolidated city-counties, and nothing cut
silently — on SQLite and PostgreSQL."""

import csv
import io
import re
from html import unescape

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import CaseStudy, Pillar
from models.base import db
from models.enums import GovernmentType, PopulationBand
from review import library
from tests.factories import complete_study
from tests.publishing import publish, published_study
from tests.test_authoring import edit_data
from tests.test_library import count_statements
from tests.test_library_real import run_import, study_row


def pillars() -> list[Pillar]:
    return list(db.session.scalars(sa.select(Pillar).order_by(Pillar.position)))


def facet(client, name: str, **args) -> dict[str, int]:
    """Return {label: count} of one facet of the library page, as its HTML shows it."""
    html = client.get("/library", query_string=args).get_data(as_text=True)
    start = html.index(f'id="facet-{name}"')
    section = html[start : html.index("</section>", start)]
    return {
        unescape(label.strip()): int(n)
        for label, n in re.findall(r'>([^<>]+?) <span class="n">(\d+)</span>', section)
    }


# ------------------------------------------------------------------ population


@pytest.mark.parametrize(
    ("population", "band"),
    [
        (0, PopulationBand.under_10k),
        (9_999, PopulationBand.under_10k),
        (10_000, PopulationBand.from_10k_to_50k),
        (33_782, PopulationBand.from_10k_to_50k),
        (50_000, PopulationBand.from_50k_to_250k),
        (999_999, PopulationBand.from_250k_to_1m),
        (8_336_817, PopulationBand.over_1m),
        (None, None),
    ],
)
def test_the_band_of_a_population(population, band):
    assert PopulationBand.of(population) == band


def test_exact_population_shown_with_separators_and_its_band_in_the_facet(
    app, client, make_user, login_as
):
    author = make_user()
    study = complete_study(author, population_band=PopulationBand.over_1m)
    login_as(author)
    response = client.post(
        f"/studies/{study.id}/edit",
        data=edit_data(study, population="33,782", population_band="over_1m"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    # The exact number wins over a band chosen by hand: the band is derived from it.
    assert study.population == 33_782 and study.population_band == PopulationBand.from_10k_to_50k
    editor = client.get(f"/studies/{study.id}/edit").get_data(as_text=True)
    assert 'name="population"' in editor and 'value="33782"' in editor
    publish(study)
    # A study from before exact populations keeps its band, and is counted under it.
    older = published_study(make_user(), title="Older study", place="Durham")
    assert older.population is None
    assert older.population_band == PopulationBand.from_10k_to_50k
    big = published_study(
        make_user(),
        title="Big city",
        place="Chicago",
        population=2_746_388,
        population_band=PopulationBand.over_1m,
    )

    page = client.get(f"/library/{study.slug}").get_data(as_text=True)
    assert '<data value="33782">33,782</data>' in page
    assert "2,746,388" in client.get(f"/library/{big.slug}").get_data(as_text=True)
    assert "10,000–50,000" in client.get(f"/library/{older.slug}").get_data(as_text=True)

    assert facet(client, "population") == {"10,000–50,000": 2, "Over 1 million": 1}
    found = client.get("/api/v1/studies", query_string={"population": "10k_50k"}).json
    assert found["total"] == 2
    assert {i["place"]["population_exact"] for i in found["items"]} == {33_782, None}
    assert client.get("/library", query_string={"population": "over_1m"}).status_code == 200
    assert facet(client, "pillar", population="over_1m") == {pillars()[0].name: 1}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("about 30k", "Give a whole number"),
        ("-5", "Give a whole number"),
        ("200,000,000", "Give a number between 0 and 100,000,000"),
    ],
)
def test_a_population_that_is_not_a_number_is_refused_and_kept(
    app, client, make_user, login_as, typed, message
):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    response = client.post(
        f"/studies/{study.id}/edit", data=edit_data(study, population=typed, summary="Kept text")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Population: {message}" in html
    assert f'value="{typed}"' in html and "Kept text" in html
    db.session.expire_all()
    assert db.session.get(CaseStudy, study.id).population is None


def test_the_database_refuses_a_negative_population(app, make_user):
    study = complete_study(make_user())
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(CaseStudy.__table__)
            .where(CaseStudy.__table__.c.id == study.id)
            .values(population=-1)
        )
    db.session.rollback()


# ------------------------------------------------------------------ pillars


def test_a_study_with_two_pillars_is_counted_in_both_and_named_on_its_page(
    app, client, make_user, login_as
):
    first, second, third = pillars()[:3]
    author = make_user()
    study = complete_study(author, pillar=first, title="Zero-fare transit")
    login_as(author)
    editor = client.get(f"/studies/{study.id}/edit").get_data(as_text=True)
    assert 'name="secondary_pillar_ids"' in editor and 'type="checkbox"' in editor
    # The primary pillar cannot be its own secondary one: named, and nothing lost.
    same = client.post(
        f"/studies/{study.id}/edit",
        data=edit_data(study, secondary_pillar_ids=[str(first.id)], summary="Still here"),
    )
    assert same.status_code == 422
    assert "Also in pillars: The primary pillar cannot" in same.get_data(as_text=True)
    assert "Still here" in same.get_data(as_text=True)
    saved = client.post(
        f"/studies/{study.id}/edit", data=edit_data(study, secondary_pillar_ids=[str(third.id)])
    )
    assert saved.status_code == 302
    db.session.expire_all()
    study = db.session.get(CaseStudy, study.id)
    assert [p.id for p in study.secondary_pillars] == [third.id]
    publish(study)
    published_study(
        make_user(), title="Second", place="Durham", summary="Durham.", pillar_id=second.id
    )

    counts = facet(client, "pillar")
    assert counts == {first.name: 1, second.name: 1, third.name: 1}
    page = unescape(client.get(f"/library/{study.slug}").get_data(as_text=True))
    assert first.name in page and third.name in page and "<dt>Pillars</dt>" in page
    assert f"pillar={third.slug}" in page
    in_third = client.get("/api/v1/studies", query_string={"pillar": third.slug}).json
    assert [i["slug"] for i in in_third["items"]] == [study.slug]
    detail = client.get(f"/api/v1/studies/{study.slug}").json
    assert detail["secondary_pillars"] == [{"slug": third.slug, "name": third.name}]
    # The facet counts of a search hold both pillars too.
    assert facet(client, "pillar", q="zero-fare") == {first.name: 1, third.name: 1}
    assert library.published_study(study.slug).secondary_pillars[0].slug == third.slug


# ------------------------------------------------------------------ government types


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("consolidated_city_county", "Consolidated city-county"),
        ("federal_district", "Federal district"),
    ],
)
def test_the_new_government_types(app, client, make_user, login_as, value, label):
    assert GovernmentType(value).label == label
    author = make_user()
    study = complete_study(author, place="Washington", state_code="DC")
    login_as(author)
    editor = client.get(f"/studies/{study.id}/edit").get_data(as_text=True)
    assert f'<option value="{value}">{label}</option>' in editor
    response = client.post(
        f"/studies/{study.id}/edit", data=edit_data(study, government_type=value)
    )
    assert response.status_code == 302
    db.session.expire_all()
    publish(db.session.get(CaseStudy, study.id))
    assert facet(client, "government") == {label: 1}
    assert client.get("/api/v1/studies", query_string={"government": value}).json["total"] == 1


def test_the_database_enforces_the_government_types(app, make_user):
    study = complete_study(make_user(), government_type=GovernmentType.federal_district)
    assert study.government_type == GovernmentType.federal_district
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.text("UPDATE case_study SET government_type = 'province' WHERE id = :id"),
            {"id": study.id},
        )
    db.session.rollback()


# ------------------------------------------------------------------ nothing cut silently


def test_a_topic_over_its_limit_is_named_and_kept(app, client, make_user, login_as):
    author = make_user()
    study = complete_study(author)
    login_as(author)
    long_topic = "t" * 61
    response = client.post(
        f"/studies/{study.id}/edit", data=edit_data(study, topics=f"housing, {long_topic}")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "61 characters long; a topic has at most 60" in html
    assert f"housing, {long_topic}" in html
    db.session.expire_all()
    assert [t.name for t in db.session.get(CaseStudy, study.id).topics] == ["housing"]


# ------------------------------------------------------------------ import


def test_import_rows_with_population_and_two_pillars(app, client, make_user):
    staff = make_user("staff")
    first, _second, _third, fourth = pillars()[:4]
    rows = [
        study_row(1, population=33782, secondary_pillars=[fourth.slug]),
        study_row(2, population="8,336,817", secondary_pillars=[fourth.name, "no-such"]),
        study_row(3, population="many", government_type="federal_district"),
        study_row(4, government_type="consolidated_city_county", population_band="250k_1m"),
    ]
    report = run_import(rows, staff, dry_run=True)
    problems = {(p.row, p.field): p.reason for p in report.problems}
    assert set(problems) == {(2, "secondary_pillars"), (3, "population")}
    assert "no-such" in problems[2, "secondary_pillars"]
    assert "whole number" in problems[3, "population"]

    report = run_import(rows, staff, dry_run=False)
    assert report.count("create") == 2
    one = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.slug == "place-1-study-1"))
    assert one.population == 33_782 and one.population_band == PopulationBand.from_10k_to_50k
    assert one.pillar_id == first.id and [p.id for p in one.secondary_pillars] == [fourth.id]
    four = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.slug == "place-4-study-4"))
    assert four.population is None and four.population_band == PopulationBand.from_250k_to_1m
    assert four.government_type == GovernmentType.consolidated_city_county
    assert facet(client, "pillar")[fourth.name] == 1
    assert "33,782" in client.get("/library/place-1-study-1").get_data(as_text=True)
    # The export says it back, and importing the export again creates nothing new.
    from review.staff import exports

    exported = exports.record(one)
    assert exported["population"] == 33_782 and exported["secondary_pillars"] == [fourth.slug]
    again = run_import(
        [study_row(1, population=33782, secondary_pillars=[fourth.slug])], staff, dry_run=False
    )
    assert again.count("exists") == 1


def test_import_csv_reads_population_and_secondary_pillars(app, make_user):
    from review.staff import imports

    staff = make_user("staff")
    fourth, fifth = pillars()[3:5]
    row = {
        "title": "Free transit",
        "pillar": "public-budgets",
        "secondary_pillars": f"{fourth.slug}; {fifth.slug}",
        "kind": "policy_win",
        "place": "Spokane",
        "state_code": "WA",
        "government_type": "city",
        "population": "229,071",
        "summary": "Free buses.",
        "overview_md": "Fares dropped.",
        "political_environment_md": "A long political environment. " * 8,
        "collaborative_governance_md": "Riders co-designed it.",
        "outcomes_md": "Ridership rose.",
        "timeline": "2021 Campaign\n2022 Vote",
        "stakeholders": "Riders Union (community_organisation, ally): led",
        "authors": "Ann",
        "author_emails": "ann@example.org",
        "slug": "spokane-free-transit",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row))
    writer.writeheader()
    writer.writerow(row)
    data = out.getvalue().encode()
    report = run_import(imports.read_rows("site.csv", data), staff, dry_run=False)
    assert report.count("create") == 1, imports.report_lines(report)
    study = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.slug == "spokane-free-transit"))
    assert study.population == 229_071
    assert [p.slug for p in study.secondary_pillars] == [fourth.slug, fifth.slug]


def test_a_card_names_the_secondary_pillars_in_order_at_the_same_statement_count(
    app, client, make_user
):
    first, second, third, fourth, fifth = pillars()
    author = make_user()
    published_study(author, title="One pillar", place="Durham", pillar_id=first.id)
    plain = client.get("/library")
    assert 'class="secondary-pillars"' not in plain.get_data(as_text=True)
    study = published_study(author, title="Two more", place="Spokane", pillar_id=second.id)
    study.secondary_pillars = [fifth, third]
    db.session.commit()
    names = f"Also in {third.name}, {fifth.name}"
    fifth_slug = fifth.slug
    library.facet_cache().clear()
    db.session.remove()
    with count_statements() as seen:
        html = unescape(client.get("/library").get_data(as_text=True))
    card = html[html.index("Two more") : html.index("</article>", html.index("Two more"))]
    assert names in card
    assert len(seen) == 3, seen
    assert names in unescape(
        client.get("/library", query_string={"pillar": fifth_slug}).get_data(as_text=True)
    )
