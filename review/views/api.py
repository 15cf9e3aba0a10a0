"""The public JSON API (published data only), open to every origin for GET, and its OpenAPI
document. The shapes here and in review/api_schema.py are tested against each other."""

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _

from models import CaseStudy
from models.base import db
from models.enums import MARKDOWN_SECTIONS, US_STATES, StudyState
from models.pillar import pillars_in_order
from review import library
from review.commitments import listed as commitments_listed
from review.library.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.after_request
def open_to_every_origin(response):
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    return response


def _bad_request(errors: dict[str, str]):
    message = "; ".join(f"{k}: {v}" for k, v in errors.items())
    return jsonify({"error": 400, "message": message, "fields": errors}), 400


def _card(card: library.Card) -> dict:
    return {
        "slug": card.slug,
        "title": card.title,
        "summary": card.summary,
        "kind": card.kind.value if card.kind else None,
        "language": card.language.value,
        "pillar": {"slug": card.pillar_slug, "name": card.pillar_name},
        "place": {
            "name": card.place,
            "state": card.state_code or None,
            "government_type": card.government_type.value if card.government_type else None,
            "population": card.population_band.value if card.population_band else None,
            "population_exact": card.population,
        },
        "topics": card.topics,
        "published_at": card.published_at.isoformat(),
        "url": library.public_url(url_for("library.study", slug=card.slug)),
    }


@bp.get("/studies")
def studies():
    query, errors = library.parse_query(request.args, strict=True)
    # The words searched for are free text (NUL stripped, as from a form); every other
    # parameter's document forbids NUL.
    nul = [name for name in request.args_with_nul if name != "q"]
    errors.update({name: "must not contain NUL characters" for name in nul})
    if errors:
        return _bad_request(errors)
    page = library.library_page(query)
    return jsonify(
        {
            "items": [_card(c) for c in page.cards],
            "page": query.page,
            "per_page": query.per_page,
            "total": page.total,
        }
    )


@bp.get("/studies/<slug>")
def study(slug: str):
    found = library.published_study(slug)
    if found is None:
        abort(404, _("No published case study has this address."))
    if found.state != StudyState.published:
        abort(410, _("This case study has been withdrawn from the public library."))
    card = library.Card(
        found.id,
        found.slug,
        found.title,
        found.summary,
        found.kind,
        found.place,
        found.state_code,
        found.government_type,
        found.population_band,
        found.population,
        found.year_start,
        found.year_end,
        found.published_at,
        found.corrected_at,
        found.pillar.slug,
        found.pillar.name,
        [t.name for t in found.topics],
        found.language,
    )
    body = _card(card)
    body.update(
        {
            "years": {"start": found.year_start, "end": found.year_end},
            "secondary_pillars": [
                {"slug": p.slug, "name": p.name} for p in found.secondary_pillars
            ],
            "affirmed_at": found.affirmed_at.isoformat() if found.affirmed_at else None,
            "updated_at": found.corrected_at.isoformat() if found.corrected_at else None,
            "authors": [
                {
                    "name": a.user.name,
                    "office": a.user.display_office or a.user.organisation,
                    "url": library.public_url(url_for("commitments.official", user_id=a.user_id)),
                }
                for a in found.authors
            ],
            "sections": {
                s.value: getattr(found, f"{s.value}_html") or "" for s in MARKDOWN_SECTIONS
            },
            "timeline": [
                {"date": e.date_text, "description": e.description} for e in found.timeline
            ],
            "stakeholders": [
                {"name": s.name, "type": s.type.value, "role": s.role, "stance": s.stance.value}
                for s in found.stakeholders
            ],
            "links": [{"label": link.label, "url": link.url} for link in found.links],
        }
    )
    return jsonify(body)


@bp.get("/pillars")
def pillars():
    counts = dict(
        db.session.execute(
            sa.select(CaseStudy.pillar_id, sa.func.count())
            .where(CaseStudy.state == StudyState.published)
            .group_by(CaseStudy.pillar_id)
        ).all()
    )
    rows = pillars_in_order()
    return jsonify(
        {
            "items": [
                {
                    "slug": p.slug,
                    "name": p.name,
                    "description": p.description,
                    "studies": counts.get(p.id, 0),
                    "url": library.public_url(url_for("library.index", pillar=p.slug)),
                    "feed": library.public_url(url_for("feeds.pillar", slug=p.slug)),
                }
                for p in rows
            ]
        }
    )


@bp.get("/commitments")
def commitments():
    state = request.args.get("state")
    if state is not None and state not in US_STATES:
        return _bad_request({"state": "unknown state code"})
    rows = commitments_listed(state or "")
    return jsonify(
        {
            "items": [
                {
                    "name": c.name,
                    "office": c.office,
                    "jurisdiction": c.jurisdiction,
                    "state": c.us_state,
                    "committed_at": c.committed_at.isoformat(),
                    "url": library.public_url(url_for("commitments.official", user_id=c.user_id))
                    if c.user_id
                    else None,
                }
                for c in rows
            ],
            "total": len(rows),
        }
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(library.public_url("")))
