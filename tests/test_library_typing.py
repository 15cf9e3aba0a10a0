"""As people type (issue 15): search suggestions (titles and topics), and an address checked for
uniqueness — the JSON the pages' scripts ask for, on both engines, and the scripts themselves in
a real browser."""

import sqlalchemy as sa

from models import Pillar, User
from models.base import db
from models.clock import utcnow
from models.enums import UserKind
from review import library
from review.infra.passwords import hash_password
from tests.conftest import PASSWORD
from tests.publishing import published_study, unpublish


def test_suggestions_offer_titles_and_topics_of_published_studies(app, client, make_user):
    author = make_user()
    published_study(
        author, title="Zero-Fare Transit", place="Spokane", topics=("fare-free transit", "buses")
    )
    published_study(author, title="Guaranteed income", place="Stockton", topics=("income",))
    hidden = published_study(
        author, title="Transit police review", place="Oakland", topics=("transit policing",)
    )
    unpublish(hidden)
    answer = client.get("/library/suggest", query_string={"q": "tran"}).json
    assert [s["title"] for s in answer["studies"]] == ["Zero-Fare Transit"]
    assert answer["studies"][0]["url"] == "/library/spokane-zero-fare-transit"
    assert answer["topics"] == [
        {"name": "fare-free transit", "url": "/library?topic=fare-free+transit"}
    ]
    respelt = client.get("/library/suggest", query_string={"q": "Stock"}).json
    assert [s["title"] for s in respelt["studies"]] == ["Guaranteed income"]
    assert client.get("/library/suggest").json == {"q": "", "studies": [], "topics": []}
    odd = client.get("/library/suggest", query_string={"q": "%_\\" * 100})
    assert odd.status_code == 200 and odd.json["studies"] == []


def test_the_library_pages_own_addresses_are_never_a_studys(app, make_user):
    study = published_study(make_user(), title="Suggest", place="")
    assert study.slug == "suggest-2"
    assert "library's own pages" in library.slug_problem("slug-check", study)


def test_typing_in_the_search_box_suggests_and_a_taken_address_is_named(live_server, page):
    staff = User(
        email="staff@example.org", name="Sam Staff", kind=UserKind.staff, created_at=utcnow()
    )
    author = User(email="a@example.org", name="Ann", kind=UserKind.member, created_at=utcnow())
    staff.password_hash = hash_password(PASSWORD)
    db.session.add_all([staff, author])
    db.session.commit()
    pillar = db.session.scalar(sa.select(Pillar).order_by(Pillar.position))
    study = published_study(
        author, title="Zero-Fare Transit", place="Spokane", topics=("transit",), pillar=pillar
    )
    other = published_study(author, title="Guaranteed income", place="Stockton")

    page.goto(live_server.url + "/library")
    page.fill("#q", "zero-far")
    page.wait_for_selector("#q-suggestions:not([hidden]) a")
    assert page.locator("#q").get_attribute("aria-expanded") == "true"
    page.click("#q-suggestions a")
    page.wait_for_url(f"**/library/{study.slug}")

    page.goto(live_server.url + "/auth/login")
    page.fill("#email", staff.email)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.goto(live_server.url + f"/library/{study.slug}/correct")
    page.fill("#slug", other.slug)
    page.locator("#slug-check", has_text="already the address of another").wait_for()
    assert page.locator("#slug-check.error").count() == 1
    page.fill("#slug", "spokane-fare-free")
    page.locator("#slug-check.ok", has_text="is free").wait_for()
    assert page.inner_text("#slug-check") == "/library/spokane-fare-free is free."


def test_authors_choose_the_address_before_publication(app, client, make_user, login_as):
    from models import CaseStudy
    from tests.factories import complete_study
    from tests.publishing import publish
    from tests.test_authoring import edit_data

    taken = published_study(make_user(), title="Guaranteed income", place="Stockton")
    author = make_user()
    study = complete_study(author, title="Youth voting", place="Takoma Park")
    login_as(author)
    editor = client.get(f"/studies/{study.id}/edit").get_data(as_text=True)
    assert 'name="slug"' in editor and 'placeholder="takoma-park-youth-voting"' in editor
    check = client.get("/library/slug-check", query_string={"slug": taken.slug, "study": study.id})
    assert check.status_code == 200 and "already the address" in check.json["problem"]
    refused = client.post(
        f"/studies/{study.id}/edit", data=edit_data(study, slug=taken.slug, summary="Kept")
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Address (slug): This address “stockton-guaranteed-income” is already" in html
    assert "Kept" in html
    bad = client.post(f"/studies/{study.id}/edit", data=edit_data(study, slug="Takoma Park!"))
    assert bad.status_code == 422 and "lower-case letters" in bad.get_data(as_text=True)
    done = client.post(f"/studies/{study.id}/edit", data=edit_data(study, slug="takoma-youth"))
    assert done.status_code == 302
    db.session.expire_all()
    publish(db.session.get(CaseStudy, study.id))
    assert db.session.get(CaseStudy, study.id).slug == "takoma-youth"
    assert client.get("/library/takoma-youth").status_code == 200
    client.post("/auth/logout")
    login_as(make_user())
    other = client.get("/library/slug-check", query_string={"slug": "x", "study": study.id})
    assert other.status_code == 404
