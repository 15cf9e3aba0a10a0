"""Revisions: freeze everything in a study as an immutable, numbered copy, and compare two."""

import difflib
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from models import CaseStudy, Pillar, Revision
from models.base import db
from models.case_study import date_iso, date_label
from models.clock import utcnow
from models.enums import (
    MARKDOWN_SECTIONS,
    US_STATES,
    GovernmentType,
    PopulationBand,
    Section,
    StakeholderType,
    Stance,
    StudyKind,
)


def _value(enum_member) -> str | None:
    return enum_member.value if enum_member is not None else None


def snapshot(study: CaseStudy) -> dict:
    """Return a JSON-able copy of everything a reader of the study sees, plus its metadata."""
    return {
        "metadata": {
            "title": study.title,
            "pillar_id": study.pillar_id,
            "pillar": study.pillar.name if study.pillar is not None else "",
            "kind": _value(study.kind),
            "place": study.place or "",
            "state_code": study.state_code or "",
            "government_type": _value(study.government_type),
            "population": study.population,
            "population_band": _value(study.population_band),
            "secondary_pillar_ids": [p.id for p in study.secondary_pillars],
            "secondary_pillars": [p.name for p in study.secondary_pillars],
            "year_start": study.year_start,
            "year_end": study.year_end,
        },
        "summary": study.summary or "",
        "sections": {
            s.value: {
                "md": getattr(study, f"{s.value}_md") or "",
                "html": getattr(study, f"{s.value}_html") or "",
            }
            for s in MARKDOWN_SECTIONS
        },
        "timeline": [
            {
                "year": e.year,
                "month": e.month,
                "day": e.day,
                "date": e.date_text,
                "description": e.description,
            }
            for e in study.timeline
        ],
        "stakeholders": [
            {
                "name": s.name,
                "type": _value(s.type),
                "role": s.role or "",
                "stance": _value(s.stance),
            }
            for s in study.stakeholders
        ],
        "links": [{"label": link.label, "url": link.url} for link in study.links],
        "attachments": [
            {
                "id": a.id,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "storage_key": a.storage_key,
            }
            for a in study.attachments
        ],
        "lead_image": _lead_image(study),
        "topics": [t.name for t in study.topics],
        "authors": [
            {
                "user_id": a.user_id,
                "name": a.user.name if a.user is not None else "",
                "is_submitter": a.is_submitter,
            }
            for a in study.authors
        ],
    }


def _lead_image(study: CaseStudy) -> dict | None:
    lead = study.lead_image
    if lead is None:
        return None
    return {
        "attachment_id": lead.attachment_id,
        "filename": lead.attachment.filename if lead.attachment is not None else "",
        "alt_text": lead.alt_text,
        "caption": lead.caption,
        "credit": lead.credit,
    }


def next_number(study: CaseStudy) -> int:
    """Return the number the next revision of the study will get (1 for the first)."""
    last = db.session.scalar(
        sa.select(sa.func.max(Revision.number)).where(Revision.study_id == study.id)
    )
    return (last or 0) + 1


def freeze(study: CaseStudy, reason: str, actor) -> Revision:
    """Freeze the study's current content as its next revision; flush, never commit.

    `reason` is "submit", "resubmit" or "correction"; `actor` is the User (or None for the system).
    """
    db.session.flush()  # the rows just edited must be in the snapshot
    revision = new_revision(study, reason, actor, next_number(study))
    db.session.flush()
    return revision


def new_revision(study: CaseStudy, reason: str, actor, number: int) -> Revision:
    """Add the study's content as revision `number`, unflushed (the import freezes a batch of
    new studies, each its revision 1, in one flush)."""
    revision = Revision(
        study_id=study.id,
        number=number,
        reason=reason,
        content=snapshot(study),
        created_by_id=getattr(actor, "id", None),
        created_at=utcnow(),
    )
    db.session.add(revision)
    return revision


def revisions_of(study: CaseStudy) -> list[Revision]:
    """Return the study's revisions, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Revision).where(Revision.study_id == study.id).order_by(Revision.number)
        )
    )


# --- Comparing two revisions -------------------------------------------------------------


@dataclass
class DiffRow:
    """One line (or row) side by side; each side is a list of (tag, text) segments.

    tag of a row: equal, replace, insert (only right), delete (only left).
    tag of a segment: equal, insert, delete.
    """

    tag: str
    left: list[tuple[str, str]] = field(default_factory=list)
    right: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SectionDiff:
    key: str
    label: str
    changed: bool
    rows: list[DiffRow]

    @property
    def insertions(self) -> int:
        return sum(1 for r in self.rows for tag, _ in r.right if tag == "insert")

    @property
    def deletions(self) -> int:
        return sum(1 for r in self.rows for tag, _ in r.left if tag == "delete")


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _label(enum, value) -> str:
    if value is None:
        return ""
    try:
        return enum(value).label
    except ValueError:
        return str(value)


def _population(meta: dict) -> str:
    band = _label(PopulationBand, meta.get("population_band"))
    exact = meta.get("population")
    return f"{exact:,} ({band})" if isinstance(exact, int) else band


def _metadata_lines(content: dict) -> list[str]:
    meta = content.get("metadata", {})
    years = "–".join(str(y) for y in (meta.get("year_start"), meta.get("year_end")) if y)
    return [
        f"Title: {meta.get('title') or ''}",
        f"Pillar: {meta.get('pillar') or ''}",
        f"Kind: {_label(StudyKind, meta.get('kind'))}",
        f"Place: {meta.get('place') or ''}",
        f"State: {US_STATES.get(meta.get('state_code') or '', meta.get('state_code') or '')}",
        f"Government type: {_label(GovernmentType, meta.get('government_type'))}",
        f"Population: {_population(meta)}",
        "Also in pillars: " + ", ".join(meta.get("secondary_pillars") or []),
        f"Years: {years}",
        _("Topics: ") + ", ".join(content.get("topics", [])),
        _("Authors: ") + ", ".join(a.get("name", "") for a in content.get("authors", [])),
    ]


def _section_lines(content: dict, key: str) -> list[str]:
    """Return the lines compared for one section; rows of a list are one line each."""
    if key == "metadata":
        return _metadata_lines(content)
    if key == Section.summary.value:
        return (content.get("summary") or "").splitlines()
    if key == Section.timeline.value:
        return [
            f"{date_label(e['year'], e['month'], e['day'])} — {e['description']}"
            for e in content.get("timeline", [])
        ]
    if key == Section.stakeholders.value:
        return [
            f"{s['name']} ({_label(StakeholderType, s['type'])}, "
            f"{_label(Stance, s['stance'])}): {s['role']}"
            for s in content.get("stakeholders", [])
        ]
    if key == Section.resources.value:
        links = [f"Link: {lk['label']} <{lk['url']}>" for lk in content.get("links", [])]
        files = [
            f"File: {a['filename']} ({a['sha256'][:12]})" for a in content.get("attachments", [])
        ]
        lead = content.get("lead_image")
        picture = (
            [
                f"Lead image: {lead['filename']} — {lead['alt_text']} ({lead['caption']}; "
                f"{lead['credit']})"
            ]
            if lead
            else []
        )
        return links + files + picture
    section = content.get("sections", {}).get(key, {})
    return (section.get("md") or "").splitlines()


def _words(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(("equal", "".join(a[i1:i2])))
            right.append(("equal", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            right.append(("insert", "".join(b[j1:j2])))
    return left, right


def diff_lines(old: list[str], new: list[str]) -> list[DiffRow]:
    """Compare two lists of lines (or rows) and pair them up side by side."""
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [DiffRow("equal", [("equal", x)], [("equal", x)]) for x in old[i1:i2]]
            continue
        olds, news = old[i1:i2], new[j1:j2]
        for k in range(max(len(olds), len(news))):
            if k < len(olds) and k < len(news):
                left, right = _words(olds[k], news[k])
                rows.append(DiffRow("replace", left, right))
            elif k < len(olds):
                rows.append(DiffRow("delete", [("delete", olds[k])], []))
            else:
                rows.append(DiffRow("insert", [], [("insert", news[k])]))
    return rows


def section_keys() -> list[tuple[str, str]]:
    """Return (key, label) of every compared part: metadata first, then sections in SPEC order."""
    return [("metadata", _("Details"))] + [(s.value, s.label) for s in Section]


def diff_contents(old: dict, new: dict) -> list[SectionDiff]:
    """Compare two snapshots section by section, in SPEC order."""
    result = []
    for key, label in section_keys():
        a, b = _section_lines(old, key), _section_lines(new, key)
        result.append(SectionDiff(key, label, a != b, diff_lines(a, b)))
    return result


def diff(old: Revision, new: Revision) -> list[SectionDiff]:
    """Compare two revisions per section; insertions and deletions are marked word by word."""
    return diff_contents(old.content or {}, new.content or {})


def content_from_values(values: dict, study: CaseStudy) -> dict:
    """Return a snapshot-shaped copy of unsaved form values (for showing them beside a save)."""
    content = snapshot(study)
    meta = content["metadata"]
    for name in (
        "title",
        "pillar_id",
        "place",
        "state_code",
        "year_start",
        "year_end",
        "population",
    ):
        meta[name] = values.get(name)
    for name in ("kind", "government_type", "population_band"):
        meta[name] = _value(values.get(name))
    from_pillar = (
        db.session.get(Pillar, values.get("pillar_id")) if values.get("pillar_id") else None
    )
    meta["pillar"] = from_pillar.name if from_pillar is not None else ""
    secondary = [i for i in values.get("secondary_pillar_ids", []) if i != values.get("pillar_id")]
    meta["secondary_pillar_ids"] = secondary
    meta["secondary_pillars"] = list(
        db.session.scalars(
            sa.select(Pillar.name).where(Pillar.id.in_(secondary)).order_by(Pillar.position)
        )
    )
    content["summary"] = values.get("summary") or ""
    for s in MARKDOWN_SECTIONS:
        text = values.get(f"{s.value}_md") or ""
        content["sections"][s.value] = {"md": text, "html": ""}
    content["timeline"] = [
        {
            "year": y,
            "month": m,
            "day": d,
            "date": date_iso(y, m, d),
            "description": text,
        }
        for y, m, d, text in values.get("timeline", [])
    ]
    content["stakeholders"] = [
        {**row, "type": _value(row["type"]), "stance": _value(row["stance"])}
        for row in values.get("stakeholders", [])
    ]
    content["links"] = [dict(row) for row in values.get("links", [])]
    content["topics"] = list(values.get("topics", []))
    return content


@dataclass
class RevisionPair:
    revisions: list[Revision]
    a: str
    b: str
    diff: list[SectionDiff] | None


def choose_pair(study: CaseStudy, a: str, b: str, allow_working_copy: bool) -> RevisionPair:
    """Return the two versions to compare: revision numbers, or "current" for the working copy.

    Unknown choices fall back to the last two revisions (or the last one and the working copy).
    """
    found = revisions_of(study)
    by_number = {str(r.number): r for r in found}
    if a not in by_number:
        a = str(found[-2].number) if len(found) > 1 else (str(found[-1].number) if found else "")
    if b not in by_number and not (b == "current" and allow_working_copy):
        b = str(found[-1].number) if found else ""
        if a == b:
            b = "current" if allow_working_copy else ""
    comparison = None
    if a in by_number and (b in by_number or b == "current"):
        new = by_number[b].content if b in by_number else snapshot(study)
        comparison = diff_contents(by_number[a].content, new)
    return RevisionPair(found, a, b, comparison)
