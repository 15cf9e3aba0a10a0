"""The scripts' words (static/*.js) are the page's, in its language: each page that loads a
script carries its texts in a JSON data block, and the scripts hold no English of their own."""

import json
import re
from pathlib import Path

from models import User
from models.base import db
from models.clock import utcnow
from models.enums import UserKind
from review.infra.script_texts import SCRIPTS
from tests.conftest import _PASSWORD_HASH
from tests.factories import complete_study

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r'<script type="application/json" id="script-texts">(.*?)</script>', re.S)


def _texts(html: str) -> dict[str, str]:
    (block,) = BLOCK.findall(html)
    return json.loads(block)


def test_the_spanish_editor_carries_the_scripts_words_in_spanish(app, client, make_user, login_as):
    author = make_user(locale="es", name="Rosa Ruiz")
    study = complete_study(author)
    login_as(author)
    texts = _texts(client.get(f"/studies/{study.id}/edit").get_data(as_text=True))
    assert texts["saving"] == "Guardando…" and texts["saved"] == "Guardado a las %(time)s"
    assert texts["parts_one"] == "Falta completar %(count)s parte (indicada arriba)."
    assert texts["parts_other"] == "Faltan completar %(count)s partes (indicadas arriba)."
    assert texts["at_most"] == "%(count)s de un máximo de %(max)s caracteres"
    assert texts["perhaps"] == "Esta dirección %(problem)s. ¿Quizás «%(suggestion)s»?"
    library = _texts(client.get("/library").get_data(as_text=True))
    assert library == {"studies": "Estudios de caso", "topics": "Temas"}


def test_the_english_editor_carries_them_in_english(app, client, make_user, login_as):
    author = make_user(locale="en")
    study = complete_study(author)
    login_as(author)
    texts = _texts(client.get(f"/studies/{study.id}/edit").get_data(as_text=True))
    assert texts["saving"] == "Saving…" and texts["free"] == "/library/%(slug)s is free."


# What the scripts say to the browser, not to people: header names, key names, selectors.
NOT_WORDS = {"Accept", "Escape", "use strict"}
SELECTOR_CALL = re.compile(r"(querySelector(All)?|closest)\(\s*\"[^\"]*\"")
PROSE = re.compile(r"(?<![\w-])[A-Za-z]{2,}[ ,.:;?!…]+[A-Za-z]{2,}(?![\w-])|^[A-Z][a-z]+[.… ]*$")


def test_every_word_a_script_shows_comes_from_the_page(app):
    """No script has a sentence or a word for people of its own, and every text a script asks
    for is one the page gives it (review/infra/script_texts.py)."""
    for path in sorted((ROOT / "static").glob("*.js")):
        source = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)
        source = SELECTOR_CALL.sub("", source)
        literals = re.findall(r"\"([^\"\n]*)\"", source)
        words = [s for s in literals if PROSE.search(s) and s not in NOT_WORDS]
        assert not words, f"{path.name} shows its own words: {words}"
        asked = {
            key
            for call in re.findall(r"\btext\(([^,)]*)", source)
            for key in re.findall(r"\"(\w+)\"", call)
        }
        given = set(SCRIPTS[path.stem]()) if path.stem in SCRIPTS else set()
        assert asked <= given, f"{path.name} asks for {sorted(asked - given)}"
        assert bool(asked) == (path.stem in SCRIPTS), path.name


def test_autosave_speaks_spanish_to_a_spanish_reading_author(live_server, page, browser_login):
    """In Chromium: the editor's status line and counters, drawn by static/autosave.js, read in
    the author's language."""
    author = User(
        email="rosa@example.org",
        name="Rosa Ruiz",
        kind=UserKind.member,
        locale="es",
        password_hash=_PASSWORD_HASH,
        created_at=utcnow(),
    )
    db.session.add(author)
    db.session.commit()
    study = complete_study(author)
    browser_login(author.email)
    page.goto(f"{live_server.url}/studies/{study.id}/edit")
    summary = page.input_value("#summary").strip()
    assert page.text_content("[data-counter-for=summary]") == (
        f"{len(summary)} de un máximo de 400 caracteres"
    )
    page.fill("#overview_md", "Escrito en el navegador, guardado solo.")
    page.wait_for_selector("#save-status.save-ok")
    assert re.fullmatch(r"Guardado a las \d\d:\d\d", page.text_content("#save-status"))
    page.context.clear_cookies()  # the session ends while she types
    page.fill("#overview_md", "Escrito después de que terminara la sesión.")
    page.wait_for_selector("#save-status.save-error")
    assert page.text_content("#save-status").startswith("No se guardó: su sesión")
    assert page.text_content("#resend") == "Iniciar sesión de nuevo y conservar mi texto"
