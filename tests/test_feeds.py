"""Atom feeds: all studies and per pillar, published only; and the staff exports."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import sqlalchemy as sa

from models import Pillar
from models.base import db
from review.staff.exports import safe_cell
from tests.factories import complete_study
from tests.publishing import published_study, set_state, unpublish

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]


def _mixed(make_user):
    author = make_user()
    pillars = db.session.scalars(sa.select(Pillar).order_by(Pillar.position)).all()
    published_study(author, title="First <public> & study", pillar=pillars[0])
    published_study(author, title="Second public", pillar=pillars[1], place="Boston")
    gone = published_study(author, title="Gone study", place="Tulsa")
    unpublish(gone)
    complete_study(author, title="Draft study")
    review = complete_study(author, title="Review study")
    set_state(review, "in_review")
    db.session.commit()
    return pillars


def test_feeds_list_published_studies_only(app, client, make_user):
    pillars = _mixed(make_user)
    assert sorted(_entries(client, "/feeds/studies.atom")) == [
        "First <public> & study",
        "Second public",
    ]
    assert _entries(client, f"/feeds/pillars/{pillars[1].slug}.atom") == ["Second public"]
    assert _entries(client, f"/feeds/pillars/{pillars[3].slug}.atom") == []
    assert client.get("/feeds/pillars/nope.atom").status_code == 404
    body = client.get("/feeds/studies.atom").get_data(as_text=True)
    assert "http://reimagine.test/library/" in body


def test_exports_are_staff_only_and_complete(app, client, make_user, login_as):
    _mixed(make_user)
    assert client.get("/staff/export.csv").status_code in (302, 401, 404)
    login_as(make_user())
    assert client.get("/staff/export.csv").status_code == 404
    assert client.get("/staff/export.json").status_code == 404
    client.post("/auth/logout")
    login_as(make_user("staff"))
    response = client.get("/staff/export.csv")
    assert response.status_code == 200 and response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(r["state"] for r in rows) == [
        "affirmed",
        "draft",
        "in_review",
        "published",
        "published",
    ]
    data = json.loads(client.get("/staff/export.json").get_data(as_text=True))
    assert len(data["studies"]) == 5
    assert {s["title"] for s in data["studies"]} >= {"Draft study", "Review study", "Gone study"}


def test_csv_cells_are_formula_safe(app, client, make_user, login_as):
    published_study(make_user(), title='=HYPERLINK("http://evil")', summary="+1 -2 @cmd")
    login_as(make_user("staff"))
    text = client.get("/staff/export.csv").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["title"].startswith("'=") and row["summary"].startswith("'+")
    for bad in ("=1", "+1", "-1", "@x", "\tx", "\rx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("plain") == "plain" and safe_cell(None) == ""
