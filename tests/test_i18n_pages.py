"""Who reads which language: a person's preference, a visitor's browser, the footer's switch,
and emails in each recipient's language from one fan-out (rendered once per language)."""

import re

import pytest
import sqlalchemy as sa
from flask import template_rendered

from models import Notification, User
from models.base import db
from models.clock import utcnow
from models.enums import NetworkPreference, StudyState
from review import broadcasts, workflow
from tests.conftest import PASSWORD, parts
from tests.factories import complete_study

SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_person_who_prefers_spanish_reads_spanish(app, client, make_user, login_as):
    login_as(make_user(locale="es", name="Rosa Ruiz"))
    page = _text(client.get("/account/"))
    assert '<html lang="es">' in page
    for spanish in ("Su cuenta", "Sesión iniciada como", "Guardar el perfil", "Biblioteca"):
        assert spanish in page
    for english in ("Your account", "Signed in as", "Save the profile", ">Library<"):
        assert english not in page
    # The form's labels and the enum labels too.
    assert "Idioma de las páginas y los correos" in page and "Miembro" in page


def test_a_visitor_reads_the_browsers_language(client):
    spanish = _text(client.get("/library", headers=SPANISH))
    assert '<html lang="es">' in spanish and "Biblioteca de estudios de caso" in spanish
    english = _text(client.get("/library"))
    assert '<html lang="en">' in english and "Library of case studies" in english
    other = _text(client.get("/library", headers={"Accept-Language": "fr-FR,de;q=0.8"}))
    assert '<html lang="en">' in other


def test_the_first_sign_in_takes_the_browsers_language_and_later_ones_keep_it(
    app, client, make_user
):
    person = make_user()
    assert person.locale is None
    form = {"email": person.email, "password": PASSWORD}
    assert client.post("/auth/login", data=form, headers=SPANISH).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "es"
    client.post("/auth/logout")
    client.post("/auth/login", data=form, headers={"Accept-Language": "en-US"})
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "es"
    assert "Su cuenta" in _text(client.get("/account/", headers={"Accept-Language": "en"}))


def test_the_account_page_changes_the_language_and_refuses_an_unknown_one(
    app, client, make_user, login_as
):
    person = make_user(locale="es")
    login_as(person)
    profile = {"name": person.name, "office": "", "jurisdiction": "", "state": "MD"}
    response = client.post("/account/", data={**profile, "locale": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "en"
    assert "Your profile is saved." in _text(client.get("/account/"))
    refused = client.post("/account/", data={**profile, "name": "Kept Name", "locale": "xx"})
    page = _text(refused)
    assert refused.status_code == 200
    assert "Language of pages and emails" in page and 'value="Kept Name"' in page
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "en"


@pytest.mark.parametrize(
    "target, lands",
    [
        ("/library?q=vivienda&page=2", "/library?q=vivienda&page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/library/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
def test_the_footer_switch_keeps_the_page_and_never_leaves_the_site(client, target, lands):
    response = client.post("/language", data={"locale": "es", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == lands
    assert "lang=es" in response.headers["Set-Cookie"]
    page = _text(client.get("/library", headers={"Accept-Language": "en"}))
    assert '<html lang="es">' in page
    # The switch on that page comes back to it, in the other language.
    assert 'name="next" value="/library"' in page and 'value="en" lang="en"' in page


def test_the_footer_switch_changes_a_signed_in_persons_preference(app, client, make_user, login_as):
    person = make_user(locale="en")
    login_as(person)
    client.post("/language", data={"locale": "es", "next": "/account/"})
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "es"
    client.post("/language", data={"locale": "klingon", "next": "/account/"})
    db.session.expire_all()
    assert db.session.get(User, person.id).locale == "en"  # unknown: the default


def test_the_switch_needs_a_csrf_token_when_csrf_is_on(app_factory):
    client = app_factory(WTF_CSRF_ENABLED=True).test_client()
    assert client.post("/language", data={"locale": "es", "next": "/"}).status_code != 303


# ---------------------------------------------------------------- emails


def _published(author, pillar, followers):
    for person in followers:
        person.followed_pillars = [pillar]
    db.session.commit()
    return complete_study(
        author, pillar=pillar, state=StudyState.published, published_at=utcnow(), slug="rtc"
    )


def test_one_fan_out_writes_each_person_in_their_language_rendering_once_per_language(
    app, smtp, make_user, pillar
):
    author = make_user()
    spanish = [make_user(locale="es") for _ in range(2)]
    english = [make_user(locale="en"), make_user()]  # no preference yet: English
    study = _published(author, pillar, spanish + english)
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record, app)
    row = broadcasts.newly_published(study)
    db.session.commit()  # the job runs inline after the commit
    template_rendered.disconnect(record, app)
    messages = {m["To"]: m for m in smtp.wait_for(4)}
    for person in spanish:
        message = messages[person.email]
        text, html = parts(message)
        assert message["Subject"].startswith("Recién publicado en")
        assert "(Publicado)" in message["Subject"]
        assert "Hay un nuevo estudio de caso en la biblioteca" in text
        assert '<html lang="es">' in html and "Leer el estudio" in html
        assert "Darse de baja de los correos de la red" in text
        assert "Newly published" not in message["Subject"] and "Nothing to do" not in text
    for person in english:
        message = messages[person.email]
        text, _html = parts(message)
        assert message["Subject"].startswith("Newly published in")
        assert "A new case study is in the library" in text
    # Each person's own unsubscribe link, though the body was rendered once per language.
    links = {
        re.search(r"/account/unsubscribe/\S+", parts(m)[0]).group(0) for m in messages.values()
    }
    assert len(links) == 4
    assert rendered.count("email/newly_published.txt") == 2
    assert rendered.count("email/newly_published.html") == 2
    locales = db.session.scalars(
        sa.select(Notification.locale).where(Notification.broadcast_id == row.id)
    ).all()
    assert sorted(locales) == ["en", "en", "es", "es"]


def test_a_transition_tells_each_co_chair_in_their_language(app, smtp, make_user, pillar):
    author = make_user(locale="es")
    chair_es = make_user(locale="es", cochair_of=pillar)
    chair_en = make_user(locale="en", cochair_of=pillar)
    study = complete_study(author, pillar=pillar)
    workflow.apply(study, "submit", author)
    db.session.commit()
    messages = {m["To"]: m for m in smtp.wait_for(3)}
    es_text, es_html = parts(messages[chair_es.email])
    assert messages[chair_es.email]["Subject"].startswith("Enviado para su revisión:")
    assert "se envió a" in es_text and "para su revisión" in es_text
    assert "Léalo y registre su recomendación" in es_html
    en_text, _ = parts(messages[chair_en.email])
    assert messages[chair_en.email]["Subject"].startswith("Submitted for your review:")
    assert "Read it and record your recommendation" in en_text
    # The author, who prefers Spanish, hears in Spanish too, from the same transition.
    assert "Su estudio" in parts(messages[author.email])[0]
    assert messages[author.email]["Subject"].startswith("Enviado")


def test_a_daily_digest_is_in_its_readers_language(app, smtp, make_user, pillar):
    from workers import digest

    author = make_user()
    reader = make_user(locale="es", network_preference=NetworkPreference.daily)
    study = _published(author, pillar, [reader])
    broadcasts.newly_published(study)
    db.session.commit()
    assert digest.send_digests() == 1
    db.session.commit()  # the digest goes out after the commit
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "Su resumen diario de Dare to Reimagine: 1 novedad"
    text, _ = parts(message)
    assert "Esto es lo que pasó en la red desde su último resumen" in text
    assert "Recién publicado en" in text
