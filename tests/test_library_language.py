"""Content language: a study declares the language it is written in (editor, import, API), the
library filters by it, a summary may carry a translation, and search works in English and
Spanish on both engines (PostgreSQL stems Spanish; accents are folded everywhere)."""

import re

import pytest

from models import CaseStudy
from models.base import db
from models.enums import ContentLanguage, UserKind
from tests.publishing import published_study
from tests.test_authoring import edit_data
from tests.test_library_real import run_import, study_row

BUDGET_ES = dict(
    title="Presupuesto participativo en San Antonio",
    place="San Antonio",
    state_code="TX",
    language=ContentLanguage.es,
    summary="Los vecinos deciden cada año cómo se gasta una parte del presupuesto municipal.",
    summary_translation="Residents decide each year how part of the city budget is spent.",
    overview_md="La participación ciudadana decidió cuarenta proyectos de barrio.",
)
HOUSING_ES = dict(
    title="Vivienda asequible en El Paso",
    place="El Paso",
    state_code="TX",
    language=ContentLanguage.es,
    summary="Un fondo municipal para vivienda asequible y contra los desalojos.",
    overview_md="El concejo aprobó la política de vivienda tras tres audiencias.",
)


def slugs(client, **args) -> list[str]:
    html = client.get("/library", query_string=args).get_data(as_text=True)
    return re.findall(r'href="/library/([a-z0-9-]+)"', html)


@pytest.fixture
def shelf(app, make_user):
    author = make_user()
    english = published_study(author, topics=("housing",))  # "Right to counsel for tenants"
    budget = published_study(author, topics=("presupuesto",), **BUDGET_ES)
    housing = published_study(author, topics=("vivienda",), **HOUSING_ES)
    return english, budget, housing


def test_spanish_words_find_the_spanish_studies(app, client, shelf):
    english, budget, housing = shelf
    assert slugs(client, q="presupuesto participativo") == [budget.slug]
    assert slugs(client, q="vivienda") == [housing.slug]
    assert english.slug in slugs(client, q="tenant")


def test_accents_are_folded_both_ways(app, client, shelf):
    _english, budget, housing = shelf
    assert budget.slug in slugs(client, q="participacion ciudadana")  # typed without accents
    assert housing.slug in slugs(client, q="política")  # accent typed, none in the text
    assert budget.slug in slugs(client, q="AÑO")


def test_spanish_stems_on_both_engines(app, client, shelf):
    """ "presupuestos" → presupuest, "deciden" → decid, "desalojo" → desaloj: PostgreSQL's
    'spanish' configuration, and on SQLite the Snowball stems written to the index and
    looked for (review.library.stems)."""
    english, budget, housing = shelf
    assert slugs(client, q="presupuestos") == [budget.slug]
    assert slugs(client, q="presupuesto") == [budget.slug]
    assert slugs(client, q="decidir") == [budget.slug]
    assert slugs(client, q="desalojo") == [housing.slug]
    assert slugs(client, q="desalojos") == [housing.slug]
    assert slugs(client, q="viviendas asequibles") == [housing.slug]
    assert slugs(client, q="Participacion ciudadanas") == [budget.slug]  # no accent, a plural
    assert slugs(client, q="presupuest") == [budget.slug]  # typed so far: a prefix
    # Verbs and genders, which FTS5's English porter stemmer alone does not join
    # ("aprobó" → aprob, "deciden" → decid, "participación" → particip).
    assert slugs(client, q="participar") == [budget.slug]
    assert slugs(client, q="vecino decidieron") == [budget.slug]
    assert slugs(client, q="aprobada") == [housing.slug]
    assert slugs(client, q="aprobaron") == [housing.slug]
    assert slugs(client, q="right to counsel") == [english.slug]


def test_the_translation_is_searched_in_its_language(app, client, shelf):
    _english, budget, _housing = shelf
    assert budget.slug in slugs(client, q="residents decide")
    page = client.get(f"/library/{budget.slug}").get_data(as_text=True)
    assert 'lang="en" id="summary-translation"' in page and "Residents decide" in page
    assert "Written in" in page and "Español" in page


def test_library_filters_and_counts_by_language(app, client, shelf):
    english, budget, housing = shelf
    assert sorted(slugs(client, language="es")) == sorted([budget.slug, housing.slug])
    assert slugs(client, language="en") == [english.slug]
    html = client.get("/library").get_data(as_text=True)
    facet = html.split('id="facet-language"')[1].split("</section>")[0]
    assert "Español" in facet and ">2<" in facet.replace(" ", "")
    api = client.get("/api/v1/studies", query_string={"language": "es"})
    assert api.status_code == 200
    assert {s["language"] for s in api.get_json()["items"]} == {"es"}
    assert len(api.get_json()["items"]) == 2
    bad = client.get("/api/v1/studies", query_string={"language": "fr"})
    assert bad.status_code == 400 and "language" in bad.get_json()["fields"]


def test_the_editor_saves_the_language_and_the_translation(
    app, client, make_user, login_as, pillar
):
    from tests.factories import complete_study

    author = make_user()
    study = complete_study(author, pillar=pillar)
    login_as(author)
    data = edit_data(study, language="es", summary_translation="In English, briefly.")
    response = client.post(f"/studies/{study.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(CaseStudy, study.id)
    assert saved.language == ContentLanguage.es
    assert saved.summary_translation == "In English, briefly."
    page = client.get(f"/studies/{study.id}/edit").get_data(as_text=True)
    assert '<option selected value="es">' in page or 'value="es" selected' in page
    bad = edit_data(saved, language="fr")
    html = client.post(f"/studies/{study.id}/edit", data=bad).get_data(as_text=True)
    assert "Written in:" in html
    assert db.session.get(CaseStudy, study.id).language == ContentLanguage.es


def test_import_reads_the_language(app, make_user):
    staff = make_user(UserKind.staff)
    rows = [
        study_row(1, language="es", summary_translation="Vecinos deciden."),
        study_row(2),
        study_row(3, language="fr"),
    ]
    report = run_import(rows, staff, dry_run=False)
    assert [r.action for r in report.rows] == ["create", "create", "error"]
    assert {p.field for p in report.problems} == {"language"}
    made = {r.row: db.session.get(CaseStudy, r.study_id) for r in report.rows if r.study_id}
    assert made[1].language == ContentLanguage.es
    assert made[1].summary_translation == "Vecinos deciden."
    assert made[2].language == ContentLanguage.en
