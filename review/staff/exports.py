"""Staff exports of every case study, in any state, as CSV and JSON, streamed row by row so
that a large library never sits in memory. CSV cells are made safe for spreadsheets."""

import csv
import io
import json
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from models import CaseStudy, StudyAuthor
from models.base import db
from models.enums import MARKDOWN_SECTIONS, US_STATES

BATCH = 200
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """Return a CSV cell that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _studies() -> Iterator[CaseStudy]:
    """Yield every study in id order, a batch at a time, with what the export needs."""
    last = 0
    while True:
        batch = db.session.scalars(
            sa.select(CaseStudy)
            .where(CaseStudy.id > last)
            .order_by(CaseStudy.id)
            .limit(BATCH)
            .options(
                selectinload(CaseStudy.pillar),
                selectinload(CaseStudy.topics),
                selectinload(CaseStudy.authors).selectinload(StudyAuthor.user),
                selectinload(CaseStudy.secondary_pillars),
                selectinload(CaseStudy.timeline),
                selectinload(CaseStudy.stakeholders),
                selectinload(CaseStudy.links),
            )
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        db.session.expunge_all()


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def record(study: CaseStudy) -> dict:
    """Return a study as one JSON-ready record."""
    return {
        "id": study.id,
        "title": study.title,
        "state": study.state.value,
        "slug": study.slug,
        "pillar": study.pillar.slug,
        "secondary_pillars": [p.slug for p in study.secondary_pillars],
        "kind": study.kind.value if study.kind else None,
        "place": study.place,
        "state_code": study.state_code,
        "state_name": US_STATES.get(study.state_code, ""),
        "government_type": study.government_type.value if study.government_type else None,
        "population": study.population,
        "population_band": study.population_band.value if study.population_band else None,
        "year_start": study.year_start,
        "year_end": study.year_end,
        "topics": [t.name for t in study.topics],
        "authors": [{"name": a.user.name, "email": a.user.email} for a in study.authors],
        "summary": study.summary,
        "language": study.language.value,
        "summary_translation": study.summary_translation,
        "sections": {s.value: getattr(study, f"{s.value}_md") for s in MARKDOWN_SECTIONS},
        "timeline": [{"date": e.date_text, "description": e.description} for e in study.timeline],
        "stakeholders": [
            {"name": s.name, "type": s.type.value, "role": s.role, "stance": s.stance.value}
            for s in study.stakeholders
        ],
        "links": [{"label": link.label, "url": link.url} for link in study.links],
        "created_at": _iso(study.created_at),
        "submitted_at": _iso(study.submitted_at),
        "affirmed_at": _iso(study.affirmed_at),
        "published_at": _iso(study.published_at),
        "corrected_at": _iso(study.corrected_at),
        "current_round": study.current_round,
    }


CSV_HEADER = [
    "id",
    "title",
    "state",
    "slug",
    "pillar",
    "secondary_pillars",
    "kind",
    "place",
    "state_code",
    "government_type",
    "population",
    "population_band",
    "year_start",
    "year_end",
    "topics",
    "authors",
    "author_emails",
    "summary",
    "language",
    "summary_translation",
    *[f"{s.value}_md" for s in MARKDOWN_SECTIONS],
    "timeline",
    "stakeholders",
    "links",
    "created_at",
    "submitted_at",
    "affirmed_at",
    "published_at",
    "corrected_at",
]


def _csv_row(r: dict) -> list:
    return [
        r["id"],
        r["title"],
        r["state"],
        r["slug"],
        r["pillar"],
        "; ".join(r["secondary_pillars"]),
        r["kind"],
        r["place"],
        r["state_code"],
        r["government_type"],
        r["population"],
        r["population_band"],
        r["year_start"],
        r["year_end"],
        "; ".join(r["topics"]),
        "; ".join(a["name"] for a in r["authors"]),
        "; ".join(a["email"] for a in r["authors"]),
        r["summary"],
        r["language"],
        r["summary_translation"],
        *[r["sections"][s.value] for s in MARKDOWN_SECTIONS],
        "\n".join(f"{e['date']} {e['description']}" for e in r["timeline"]),
        "\n".join(
            f"{s['name']} ({s['type']}, {s['stance']}): {s['role']}" for s in r["stakeholders"]
        ),
        "\n".join(f"{link['label']} <{link['url']}>" for link in r["links"]),
        r["created_at"],
        r["submitted_at"],
        r["affirmed_at"],
        r["published_at"],
        r["corrected_at"],
    ]


def csv_lines() -> Iterator[str]:
    """Yield the CSV export: a header, then one line per study (UTF-8 with a BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield "\ufeff" + buffer.getvalue()
    for study in _studies():
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(v) for v in _csv_row(record(study))])
        yield buffer.getvalue()


def json_chunks() -> Iterator[str]:
    """Yield the JSON export: {"studies": [...]} one record at a time."""
    yield '{"studies": ['
    first = True
    for study in _studies():
        yield ("" if first else ",") + "\n" + json.dumps(record(study), ensure_ascii=False)
        first = False
    yield "\n]}\n"


AUDIT_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_email",
    "study_id",
    "event",
    "from_state",
    "to_state",
    "round_number",
    "comment",
    "override_reason",
    "data",
)


def audit_csv(events) -> str:
    """Return the audit events as CSV text, every cell safe from formula injection."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for ev in events:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    ev.id,
                    ev.created_at.isoformat(),
                    ev.actor_id,
                    ev.actor.email if ev.actor is not None else "",
                    ev.study_id,
                    ev.event,
                    ev.from_state,
                    ev.to_state,
                    ev.round_number,
                    ev.comment,
                    ev.override_reason,
                    json.dumps(ev.data, sort_keys=True) if ev.data is not None else "",
                )
            ]
        )
    return out.getvalue()
