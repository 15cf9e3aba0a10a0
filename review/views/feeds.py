"""Atom feeds of newly published case studies: all of them, and one per pillar."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _

from models import Pillar
from models.base import db
from models.clock import utcnow
from review import library

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

ENTRIES = 50


@bp.get("/studies.atom")
def studies():
    return _feed(
        library.recent(ENTRIES),
        _("Dare to Reimagine: new case studies"),
        library.public_url(url_for("feeds.studies")),
        library.public_url(url_for("library.index")),
    )


@bp.get("/pillars/<slug>.atom")
def pillar(slug: str):
    found = db.session.scalar(sa.select(Pillar).where(Pillar.slug == slug))
    if found is None:
        abort(404)
    return _feed(
        library.recent(ENTRIES, pillar=found),
        f"Dare to Reimagine: {found.name}",
        library.public_url(url_for("feeds.pillar", slug=found.slug)),
        library.public_url(url_for("library.index", pillar=found.slug)),
    )


def _feed(cards, title: str, self_url: str, alternate: str):
    stamps = [c.corrected_at or c.published_at for c in cards]
    body = render_template(
        "feeds/atom.xml",
        cards=cards,
        title=title,
        self_url=self_url,
        alternate=alternate,
        updated=max(stamps) if stamps else utcnow(),
    )
    return body, 200, {"Content-Type": "application/atom+xml; charset=utf-8"}
