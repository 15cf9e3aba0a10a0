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
    study = published_study(make_user(), title="Zero-Fare Transit", place="Spokane",
                            topics=("disability",))  # fmt: skip
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
