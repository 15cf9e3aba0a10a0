"""Every page of every role, in Spanish: the status the sweep expects, and none of the
catalogue's English left on the page outside what people wrote (the demo's studies)."""

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from models.base import db
from tests.sweep import ROLES, build_world, expected, pages, sign_in

SPANISH = Path(__file__).resolve().parent.parent / "translations/es/LC_MESSAGES/messages.po"
# A run of words this long from the catalogue is our text, not a coincidence of content.
MIN_WORDS = 4
# The staff's view of an email's HTML part as stored: not a page of ours but the email itself.
# The staff's pages of emails as written (each in its recipient's language): not ours to
# translate again.
STORED_EMAILS = {"staff.notification_html", "staff.notification", "staff.notifications"}


def english_phrases() -> set[str]:
    """The catalogue's English, cut at its placeholders and tags, where Spanish differs."""
    with open(SPANISH, "rb") as f:
        catalogue = read_po(f, locale="es")
    phrases = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            for piece in re.split(r"%\(\w+\)s|%[sd]|<[^>]+>|\n", text):
                piece = " ".join(piece.replace("%%", "%").split()).strip(" .,:;()“”%?")
                if len(re.findall(r"[A-Za-z’']+", piece)) >= MIN_WORDS and not any(
                    piece in s for s in strings
                ):
                    phrases.add(piece)
    return phrases


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_of_every_role_renders_in_spanish(app, make_user, db_url):
    world = build_world(make_user)
    for person in world.people.values():
        person.locale = "es"
    db.session.commit()
    phrases = english_phrases()
    assert len(phrases) > 300
    content = " ".join(  # what people wrote: English in the demo, and left as written
        visible_text(f"{s.title} {s.summary} {s.overview_html or ''}")
        + " ".join(f" {k.name} {k.role}" for k in s.stakeholders)
        for s in world.studies
    )
    phrases = {p for p in phrases if p not in content}
    every = pages(app, world)
    wrong, english, seen = [], {}, 0
    for role in ROLES:
        client = sign_in(app, world.people.get(role))
        headers = {"Accept-Language": "es"}  # the visitor's browser; the others' preference
        for page in every:
            response = client.get(page.path, headers=headers)
            if response.status_code != expected(world, role, page):
                wrong.append(f"{role} {page.path}: {response.status_code}")
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            if page.endpoint in STORED_EMAILS:
                continue
            seen += 1
            text = visible_text(response.get_data(as_text=True))
            assert '<html lang="es">' in response.get_data(as_text=True), page.path
            for phrase in phrases:
                if phrase in text:
                    english.setdefault(phrase, f"{role} {page.path}")
    assert not wrong, "\n".join(wrong)
    assert seen > 200
    assert not english, "English left on Spanish pages:\n" + "\n".join(
        f"{where}: {phrase!r}" for phrase, where in sorted(english.items())
    )
