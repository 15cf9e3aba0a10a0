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
from models import CaseStudy, Pillar, StudyAuthor, User, moving_state
from models.base import db
from models.clock import utcnow
from models.enums import MARKDOWN_SECTIONS, StudyState, UserKind
from review import accounts, drafts, library, revisions
from review.audit import record
from review.library.slugs import base_slug, slug_owner
from review.staff.import_files import LISTS, MAX_ROWS, ImportFileError, read_rows
from review.staff.import_report import Problem, Report, RowResult, report_lines, summary

__all__ = ["MAX_ROWS", "ImportFileError", "Report", "read_rows", "report_lines", "summary"]

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


def _check(n: int, raw, pillars: dict, slugs_seen: dict[str, int]) -> _Checked:
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
    slug = raw.get("slug")
    if slug not in (None, ""):
        if not isinstance(slug, str):
            problems.append(("slug", _("must be text")))
        else:
            result.slug = slug.strip()
            problem = library.slug_problem(result.slug)
            if problem and not _imported_already(result, result.slug):
                problems.append(("slug", problem))
    if not problems and result.action == "create":
        values = form.values()
        if not result.slug and not _imported_already(
            result, base_slug(values["title"], values["place"])
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


def _imported_already(result: RowResult, slug: str) -> bool:
    """Mark the row "exists" if the study holding this slug is the row's (same title)."""
    owner = db.session.get(CaseStudy, slug_owner(slug) or 0)
    if owner is None or owner.title != result.title:
        return False
    result.action, result.study_id, result.slug = "exists", owner.id, owner.slug
    return True


# ------------------------------------------------------------------ the run


def import_studies(
    rows: list, actor: User, source: str, dry_run: bool = True, invite: bool = False
) -> Report:
    """Check every row and, unless `dry_run`, create the right ones as published; flush only.

    The caller commits (or, for a dry run, rolls back: nothing is written either way).
    `invite` emails an invitation to each author who has no account yet.
    """
    report = Report(source=source, dry_run=dry_run)
    pillars = {}
    for p in db.session.scalars(sa.select(Pillar)):
        pillars[p.slug.lower()] = pillars[p.name.lower()] = p
    slugs_seen: dict[str, int] = {}
    known_people: dict[str, User | None] = {}
    named: set[str] = set()  # new authors whose name an earlier row gave
    for n, raw in enumerate(rows, start=1):
        checked = _check(n, raw, pillars, slugs_seen)
        result = checked.result
        report.rows.append(result)
        if result.action != "create":
            continue
        for email, name in checked.authors:
            if email not in known_people:
                known_people[email] = accounts.find_user(email)
            if known_people[email] is None and email not in named:
                if name:
                    result.creates.append(f"account for {email} (no password, to be claimed)")
                else:
                    result.problems.append(
                        Problem(n, "authors", f"{email} has no account here: give their name")
                    )
        if result.problems:
            result.action = "error"
            continue
        result.creates.insert(0, f"published study /library/{result.slug}")
        named.update(email for email, name in checked.authors if name)
        if not dry_run:
            result.study_id = _create(checked, actor, source, known_people, invite).id
    return report


def _create(checked: _Checked, actor: User, source: str, people: dict, invite: bool):
    values, result = checked.values, checked.result
    published = checked.published_at or utcnow()
    authors = []
    for email, name in checked.authors:
        person = people.get(email) or accounts.find_user(email)
        if person is None:
            name = name or email.split("@")[0]
            person = accounts.create_user(email=email, name=name, kind=UserKind.member)
            if invite:
                accounts.send_invitation(person, actor)
        people[email] = person
        authors.append(person)
    # Created where the review already ended elsewhere; it never passed through this workflow.
    with moving_state("imports"):
        study = CaseStudy(
            title=values["title"],
            pillar_id=values["pillar_id"],
            created_by_id=authors[0].id,
            state=StudyState.published,
            slug=result.slug,
            published_at=published,
            first_published_at=published,
            affirmed_at=checked.affirmed_at or published,
            state_changed_at=published,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    study.authors = [
        StudyAuthor(user_id=person.id, position=i, is_submitter=i == 0)
        for i, person in enumerate(authors)
    ]
    db.session.add(study)
    db.session.flush()
    drafts.save_draft(study, values | {"slug": result.slug}, None)
    revision = revisions.freeze(study, "import", actor)
    record(
        actor,
        "imported",
        study=study,
        to_state=StudyState.published,
        comment=f"Imported from {source} (row {result.row}) by {actor.name}",
        data={"source": source, "row": result.row, "slug": result.slug},
        revision=revision.number,
    )
    library.on_publish(study)
    return study
