"""The import of studies already published elsewhere (the former public site): a JSON or CSV
file in the shape of the staff export, checked row by row, then created as published studies.

A dry run checks every row and writes nothing; the real run creates the rows that are right and
reports the others, by row, field and reason. Each row is validated by the editor's own form
(StudyEditForm), so an imported study obeys exactly the limits an author's does. A row whose
slug is already the address of the same study (same title) is skipped, so importing a file
twice creates nothing new. Imported studies send no notifications: they were published long ago.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from forms.studies import StudyEditForm
from models import CaseStudy, Pillar, User
from models.base import db
from models.clock import utcnow
from models.enums import MARKDOWN_SECTIONS, StudyState
from review import accounts, library
from review.library.slugs import base_slug, slug_owners
from review.staff.import_attachments import FilePlan, check_files
from review.staff.import_batch import create_all
from review.staff.import_files import (
    LISTS,
    MAX_ROWS,
    Bundle,
    ImportFileError,
    read_rows,
    read_upload,
)
from review.staff.import_report import Problem, Report, RowResult, report_lines, summary

__all__ = [
    "MAX_ROWS",
    "ImportFileError",
    "Report",
    "read_rows",
    "read_upload",
    "report_lines",
    "summary",
]

# Keys of the staff export that describe the study's life here, not its content: ignored.
IGNORED = {"id", "state_name", "created_at", "submitted_at", "corrected_at", "current_round"}
SCALARS = (
    "title",
    "kind",
    "place",
    "government_type",
    "population_band",
    "summary",
    "language",
    "summary_translation",
)
KNOWN = (
    {
        "slug",
        "pillar",
        "state",
        "state_code",
        "year_start",
        "year_end",
        "sections",
        "author_emails",
        "affirmed_at",
        "published_at",
        "population",
        "attachments",
        "lead_image",
    }
    | set(SCALARS)
    | set(LISTS)
    | IGNORED
    | {s.value for s in MARKDOWN_SECTIONS}
    | {f"{s.value}_md" for s in MARKDOWN_SECTIONS}
)
# The editor's field names, as the import file names them.
FORM_NAMES = {
    "pillar_id": "pillar",
    "state_code": "state_code",
    "secondary_pillar_ids": "secondary_pillars",
} | {f"{s.value}_md": s.value for s in MARKDOWN_SECTIONS}
_AUTHOR = re.compile(r"^(.*?)\s*<([^<>]+)>$")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError
    return str(value)


def _form_data(raw: dict, pillars: dict[str, Pillar], problems: list) -> MultiDict:
    """Return the editor's form data for a row, noting what cannot even be put in a form."""
    data = MultiDict()

    def put(name: str, value, label: str) -> None:
        try:
            data[name] = _text(value)
        except TypeError:
            problems.append((label, _("must be text")))

    for name in SCALARS:
        if name == "language" and raw.get(name) in (None, ""):
            continue  # the form's default: English
        put(name, raw.get(name), name)
    put("state_code", raw.get("state_code"), "state_code")
    for name in ("year_start", "year_end", "population"):
        put(name, raw.get(name), name)
    pillar = _text_or_none(raw.get("pillar"))
    found = pillars.get((pillar or "").strip().lower())
    if not pillar:
        problems.append(("pillar", "is required (the pillar's slug or name)"))
    elif found is None:
        problems.append(
            (
                "pillar",
                f"unknown pillar {pillar[:60]!r}; use one of "
                + ", ".join(sorted({p.slug for p in pillars.values()})),
            )
        )
    else:
        data["pillar_id"] = str(found.id)
    secondary = raw.get("secondary_pillars") or []
    secondary = [secondary] if isinstance(secondary, str) else secondary
    if not isinstance(secondary, list) or not all(isinstance(p, str) for p in secondary):
        problems.append(("secondary_pillars", "must be a list of pillar slugs or names"))
    else:
        for name in secondary:
            other = pillars.get(name.strip().lower())
            if other is None:
                problems.append(("secondary_pillars", f"unknown pillar {name[:60]!r}"))
            else:
                data.add("secondary_pillar_ids", str(other.id))
    sections = raw.get("sections") if isinstance(raw.get("sections"), dict) else {}
    for section in MARKDOWN_SECTIONS:
        value = sections.get(section.value, raw.get(section.value, raw.get(f"{section.value}_md")))
        put(f"{section.value}_md", value, section.value)
    topics = raw.get("topics") or []
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        problems.append(("topics", _("must be a list of text")))
    elif any("," in t for t in topics):
        problems.append(("topics", _("a topic may not contain a comma")))
    else:
        data["topics"] = ", ".join(topics)
    for name, keys in (
        ("timeline", ("date", "description")),
        ("stakeholders", ("name", "type", "role", "stance")),
        ("links", ("label", "url")),
    ):
        rows = raw.get(name) or []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            problems.append(
                (name, _("must be a list of objects with %(keys)s", keys=", ".join(keys)))
            )
            continue
        for i, row in enumerate(rows):
            for key in keys:
                put(f"{name}-{i}-{key}", row.get(key), f"{name}[{i + 1}].{key}")
    return data


def _text_or_none(value) -> str | None:
    return value if isinstance(value, str) else None


def _form_problems(form: StudyEditForm) -> list[tuple[str, str]]:
    out = []
    for name, errors in form.errors.items():
        label = FORM_NAMES.get(name, name)
        for error in errors:
            if isinstance(error, dict):  # a row of a list: {field: [messages]}
                continue
            out.append((label, _choice_message(form[name], error)))
    for name in ("timeline", "stakeholders", "links"):
        for i, entry in enumerate(form[name].entries):
            for key, messages in entry.form.errors.items():
                for message in messages:
                    subfield = entry.form[key]
                    out.append((f"{name}[{i + 1}].{key}", _choice_message(subfield, message)))
    return out


def _choice_message(form_field, message: str) -> str:
    choices = getattr(form_field, "choices", None)
    if message == "Not a valid choice." and choices:
        allowed = ", ".join(str(value) for value, _label in choices if value != "")
        return f"{form_field.data!r} is not one of: {allowed}"
    return message


def _moment(value, label: str, problems: list):
    if value in (None, ""):
        return None
    try:
        text = _text(value)
        moment = (
            datetime.fromisoformat(text)
            if "T" in text or " " in text
            else datetime.combine(date.fromisoformat(text), datetime.min.time())
        )
    except (TypeError, ValueError):
        problems.append((label, _("must be a date (2019-05-01) or a date and time in ISO 8601")))
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment > utcnow():
        problems.append((label, _("is in the future")))
    return moment


def _authors(raw, problems: list) -> list[tuple[str, str]]:
    """Return (email, name) of the row's authors, in order."""
    raw = raw or []
    if not isinstance(raw, list):
        problems.append(("authors", _("must be a list of {email, name}")))
        return []
    out: list[tuple[str, str]] = []
    for i, author in enumerate(raw, start=1):
        if isinstance(author, str):
            match = _AUTHOR.match(author.strip())
            author = {"name": match[1], "email": match[2]} if match else {"email": author}
        if not isinstance(author, dict) or not isinstance(author.get("email"), str):
            problems.append((f"authors[{i}]", _("needs an email")))
            continue
        email = accounts.normalise_email(author["email"])
        name = " ".join(str(author.get("name") or "").split())
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or len(email) > 254:
            problems.append((f"authors[{i}].email", f"{email[:60]!r} is not an email address"))
        elif len(name) > 120:
            problems.append((f"authors[{i}].name", _("must be at most 120 characters")))
        elif email not in (e for e, _ in out):
            out.append((email, name))
    if not out and not any(p[0].startswith("authors") for p in problems):
        problems.append(("authors", _("at least one author (email and name) is required")))
    return out


@dataclass
class _Checked:
    result: RowResult
    values: dict | None = None
    authors: list[tuple[str, str]] = field(default_factory=list)
    published_at: object = None
    affirmed_at: object = None
    files: FilePlan | None = None


def _check(n: int, raw, pillars: dict, slugs_seen: dict, owners: dict, bundle) -> _Checked:
    result = RowResult(row=n)
    checked = _Checked(result)
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, dict):
        result.action = "error"
        result.problems.append(Problem(n, "(row)", _("must be an object of fields")))
        return checked
    if raw.get("_extra"):
        problems.append(("(row)", _("has more cells than the header has columns")))
    for key in sorted(set(raw) - KNOWN - {"_extra"}):
        problems.append((str(key)[:60], _("is not a field of a study")))
    if raw.get("state") not in (None, "", StudyState.published.value):
        problems.append(
            (
                "state",
                f"only published studies are imported (this one is {str(raw['state'])[:20]!r})",
            )
        )
    data = _form_data(raw, pillars, problems)
    form = StudyEditForm(formdata=data, meta={"csrf": False})
    form.offer_pillars([(p.id, p.name) for p in pillars.values()])
    form.validate()
    problems += [p for p in _form_problems(form) if p[0] != "pillar"]
    for name in ("title", "place", "state_code", "summary", "kind"):
        if not (data.get(name) or "").strip() and not form.errors.get(name):
            problems.append((name, "is required"))
    result.title = (data.get("title") or "").strip()[:200]
    checked.authors = _authors(raw.get("authors"), problems)
    checked.published_at = _moment(raw.get("published_at"), "published_at", problems)
    checked.affirmed_at = _moment(raw.get("affirmed_at"), "affirmed_at", problems)
    checked.files = check_files(raw, bundle, problems)
    slug = raw.get("slug")
    if slug not in (None, ""):
        if not isinstance(slug, str):
            problems.append(("slug", _("must be text")))
        else:
            result.slug = slug.strip()
            problem = library.slug_problem(result.slug, owners=owners)
            if problem and not _imported_already(result, result.slug, owners):
                problems.append(("slug", problem))
    if not problems and result.action == "create":
        values = form.values()
        if not result.slug and not _imported_already(
            result, base_slug(values["title"], values["place"]), owners
        ):
            result.slug = library.suggest_slug(
                CaseStudy(title=values["title"], place=values["place"])
            )
        checked.values = values
    if result.slug and result.slug in slugs_seen and result.action == "create":
        problems.append(("slug", f"is also the slug of row {slugs_seen[result.slug]}"))
    elif result.slug:
        slugs_seen.setdefault(result.slug, n)
    if problems:
        result.action = "error"
        result.problems = [Problem(n, f, r) for f, r in problems]
    return checked


def _imported_already(result: RowResult, slug: str, owners: dict) -> bool:
    """Mark the row "exists" if the study holding this slug is the row's (same title)."""
    study_id, title, current = owners.get(slug, (None, None, None))
    if study_id is None or title != result.title:
        return False
    result.action, result.study_id, result.slug = "exists", study_id, current
    return True


def _slugs_named(rows: list) -> set[str]:
    """Return every slug the rows give, or would be given from their place and title."""
    out = set()
    for raw in rows:
        if not isinstance(raw, dict):
            continue
        if isinstance(raw.get("slug"), str) and raw["slug"].strip():
            out.add(raw["slug"].strip())
        elif isinstance(raw.get("title"), str) and isinstance(raw.get("place") or "", str):
            out.add(base_slug(raw["title"].strip(), (raw.get("place") or "").strip()))
    return out


# ------------------------------------------------------------------ the run


def import_studies(
    rows: list,
    actor: User,
    source: str,
    dry_run: bool = True,
    invite: bool = False,
    bundle: Bundle | None = None,
) -> Report:
    """Check every row and, unless `dry_run`, create the right ones as published; flush only.

    The caller commits (or, for a dry run, rolls back: nothing is written either way).
    `invite` emails an invitation to each author who has no account yet; `bundle` holds the
    files of a .zip import, which rows attach by path.
    """
    report = Report(source=source, dry_run=dry_run)
    pillars = {}
    for p in db.session.scalars(sa.select(Pillar)):
        pillars[p.slug.lower()] = pillars[p.name.lower()] = p
    slugs_seen: dict[str, int] = {}
    # Looked up once for the whole file, not per row.
    owners = slug_owners(_slugs_named(rows))
    checked = [_check(n, raw, pillars, slugs_seen, owners, bundle) for n, raw in enumerate(rows, 1)]
    report.rows = [c.result for c in checked]
    emails = {email for c in checked if c.result.action == "create" for email, _ in c.authors}
    known_people: dict[str, User | None] = dict.fromkeys(emails)
    if emails:
        for person in db.session.scalars(sa.select(User).where(User.email.in_(sorted(emails)))):
            known_people[person.email] = person
    named: set[str] = set()  # new authors whose name an earlier row gave
    to_create = []
    for row in checked:
        result = row.result
        if result.action != "create":
            continue
        for email, name in row.authors:
            if known_people[email] is None and email not in named:
                if name:
                    result.creates.append(f"account for {email} (no password, to be claimed)")
                else:
                    result.problems.append(
                        Problem(
                            result.row, "authors", f"{email} has no account here: give their name"
                        )
                    )
        if result.problems:
            result.action = "error"
            continue
        result.creates.insert(0, f"published study /library/{result.slug}")
        if row.files is not None and row.files.paths:
            result.creates.insert(1, f"{len(row.files.paths)} attached file(s)")
        if row.files is not None and row.files.lead is not None:
            result.creates.insert(2, f"lead image {row.files.lead['path']}")
        named.update(email for email, name in row.authors if name)
        to_create.append(row)
    if not dry_run and to_create:
        by_id = {p.id: p for p in pillars.values()}
        create_all(to_create, actor, source, known_people, by_id, invite, bundle)
    return report
