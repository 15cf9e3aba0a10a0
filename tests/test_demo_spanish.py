"""The demo speaks Spanish too (issue 16): `flask seed-demo` lists a member who reads Spanish
in San Antonio's hours, and publishes a case study written in Spanish with an English summary."""

import re

import sqlalchemy as sa

from models import CaseStudy, User
from models.base import db
from models.enums import ContentLanguage, StudyState
from review import demo
from review.demo.spanish import EMAIL, TITLE


def test_the_demo_has_a_spanish_reader_and_a_study_in_spanish(app):
    output = app.test_cli_runner().invoke(args=["seed-demo"]).output
    assert re.search(r"^  Spanish +concejala@example\.org ", output, re.M), output
    assert "member1@example.org … member30@example.org" in output
    elena = db.session.scalar(sa.select(User).where(User.email == EMAIL))
    assert (elena.locale, elena.time_zone) == ("es", "America/Chicago")
    study = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.title == TITLE))
    assert study.state == StudyState.published and study.language == ContentLanguage.es
    assert study.summary_translation and [a.user_id for a in study.authors] == [elena.id]

    visitor = app.test_client()
    library = visitor.get("/library", query_string={"language": "es"}).get_data(as_text=True)
    assert re.findall(r'href="/library/([a-z0-9-]+)"', library) == [study.slug]
    found = visitor.get("/library", query_string={"q": "presupuestos vecinos"})
    assert f'href="/library/{study.slug}"' in found.get_data(as_text=True)

    client = app.test_client()
    signed_in = client.post("/auth/login", data={"email": EMAIL, "password": demo.PASSWORD})
    assert signed_in.status_code == 302
    account = client.get("/account/").get_data(as_text=True)
    assert '<html lang="es">' in account and "Elena Garza" in account
    assert 'value="America/Chicago" selected' in account or (
        '<option selected value="America/Chicago">' in account
    )
    page = client.get(f"/library/{study.slug}").get_data(as_text=True)
    assert "San Antonio residents decide" in page and 'lang="es"' in page
