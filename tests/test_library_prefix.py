"""The last word of a search, half typed, is completed from the vocabulary (the words of the
published studies' titles, places, topics and summaries: library_search_word) and every word
is matched exactly — no engine prefix — on SQLite and PostgreSQL, for the same statements."""

import re

import pytest

from models.base import db
from models.enums import ContentLanguage
from review import library
from review.library import forgiving
from tests.publishing import published_study
from tests.test_library import count_statements


def slugs_found(client, q: str) -> list[str]:
    response = client.get("/library", query_string={"q": q})
    assert response.status_code == 200, q
    return sorted(re.findall(r'href="/library/([a-z0-9-]+)"', response.get_data(as_text=True)))


@pytest.fixture
def shelf(app, make_user):
    author = make_user()
    return {
        "budget": published_study(
            author, title="Participatory budgeting", place="Española", topics=("budget",)
        ),
        "transit": published_study(author, title="Transit for all", place="Spokane"),
        "transitional": published_study(
            author, title="Transitional housing", place="Stockton", topics=("shelter",)
        ),
        "spanish": published_study(
            author,
            title="Presupuestos participativos",
            place="Hidalgo",
            summary="Los vecinos deciden el presupuesto.",
            language=ContentLanguage.es,
        ),
        # A word only in a section's text: not in the vocabulary, so never completed.
        "section": published_study(
            author,
            title="Tenant unions",
            place="Oakland",
            overview_md="The xylophonists' union won a right to counsel.",
        ),
    }


def test_a_half_typed_last_word_finds_a_study_through_a_completion(client, shelf):
    assert slugs_found(client, "Particip") == sorted([shelf["budget"].slug, shelf["spanish"].slug])
    assert slugs_found(client, "participatory budg") == [shelf["budget"].slug]
    # Accents folded on both sides: "Espa" completes to the vocabulary's "espanola".
    assert slugs_found(client, "Espa") == [shelf["budget"].slug]
    # A Spanish study is found through the completion's Spanish stem.
    assert slugs_found(client, "presupues") == [shelf["spanish"].slug]
    answer = client.get("/library/suggest", query_string={"q": "budg"}).json
    assert [s["title"] for s in answer["studies"]] == ["Participatory budgeting"]


def test_a_whole_word_matches_itself_and_its_completions(client, shelf):
    assert slugs_found(client, "transit") == sorted(
        [shelf["transit"].slug, shelf["transitional"].slug]
    )
    # Whole, it matches itself (and what its stem matches: "transitional" stems to "transit").
    assert shelf["transitional"].slug in slugs_found(client, "transitional")
    # Only the last word is completed, and only from three letters on.
    assert slugs_found(client, "transit shelter") == [shelf["transitional"].slug]
    assert slugs_found(client, "tran shelter") == []
    assert slugs_found(client, "tr") == []


def test_without_a_completion_the_typed_word_is_matched_exactly(client, shelf):
    # Not in the vocabulary (section text only): found when typed whole, not half typed.
    assert slugs_found(client, "xylophonists") == [shelf["section"].slug]
    assert slugs_found(client, "xylophon") == []
    assert slugs_found(client, "zzyzxq") == []


def test_the_completions_are_read_with_the_facet_counts(app, client, shelf):
    library.facet_cache().clear()
    with count_statements() as cold:
        client.get("/library?q=particip")
    with count_statements() as warm:
        client.get("/library?q=particip")
    with count_statements() as whole:
        client.get("/library?q=participatory&per_page=5")
    assert len(cold) <= 3 and len(warm) == len(cold) - 1, (cold, warm)
    assert len(whole) == len(cold)
    # The page of results matches the completions as words, no engine prefix and no lookup.
    assert sum("library_search_word" in s for s in cold) == 1
    assert not any("library_search_word" in s for s in warm)
    assert not any(":*" in s or '"*' in s for s in cold + warm)


def test_the_completions_are_the_most_held_words_of_the_prefix(app, make_user):
    author = make_user()
    for i in range(forgiving.PREFIX_WORDS + 5):
        word = "coa" + chr(97 + i // 26) + chr(97 + i % 26)
        published_study(author, title=f"Coalition {word}", place="Reno")
    words = list(db.session.scalars(forgiving.completions("coa")))
    assert len(words) == forgiving.PREFIX_WORDS
    assert words[0] == "coalition"  # every study holds it
    assert all(w.startswith("coa") for w in words)


@pytest.mark.parametrize(
    ("q", "finds"),
    [
        ('Espa"', True),
        ('"Espa', True),
        ("Espa*", True),
        ("Espa:*", True),
        ("espa\\", True),
        ("ＥＳＰＡ", True),
        ("espa) OR (x", False),
        ("NEAR(espa", False),
        ("o'espa", False),
        ("espa' OR '1'='1", False),
        ("espa | x & !y", False),
        ("'\"*:|&!()", None),  # no word at all: the whole library
    ],
)
def test_quotes_and_syntax_in_the_typed_word_break_nothing(client, shelf, q, finds):
    found = slugs_found(client, q)
    if finds is not None:
        assert found == ([shelf["budget"].slug] if finds else []), q
    assert client.get("/library/suggest", query_string={"q": q}).status_code == 200
    assert client.get("/api/v1/studies", query_string={"q": q}).status_code == 200
