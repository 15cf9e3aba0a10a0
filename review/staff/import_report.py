"""What an import did, or would do (review.staff.imports): per row, and as lines of text."""

from dataclasses import dataclass, field

from flask_babel import gettext as _


@dataclass
class Problem:
    row: int
    field: str
    reason: str


@dataclass
class RowResult:
    """What the import did, or would do, with one row."""

    row: int
    title: str = ""
    slug: str = ""
    action: str = "create"  # create | exists | error
    creates: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    study_id: int | None = None


@dataclass
class Report:
    source: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]


# ------------------------------------------------------------------ checking one row


def report_lines(report: Report) -> list[str]:
    """Return the report as lines of text, one or more per row, then the totals."""
    lines = []
    for r in report.rows:
        head = f"row {r.row}: {r.title or '(no title)'}"
        if r.action == "error":
            lines.append(f"{head} — not imported")
            lines += [f"  {p.field}: {p.reason}" for p in r.problems]
        elif r.action == "exists":
            lines.append(f"{head} — already in the library at /library/{r.slug}: nothing to do")
        else:
            verb = "would create" if report.dry_run else "created"
            lines.append(f"{head} — {verb} " + "; ".join(r.creates))
    lines.append(summary(report))
    return lines


def summary(report: Report) -> str:
    """Return one sentence of totals."""
    counts = dict(
        created=report.count("create"), exists=report.count("exists"), errors=report.count("error")
    )
    if report.dry_run:
        return _(
            "%(created)s would be created, %(exists)s already there, %(errors)s with errors "
            "(dry run: nothing was written).",
            **counts,
        )
    return _("%(created)s created, %(exists)s already there, %(errors)s with errors.", **counts)
