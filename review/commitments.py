"""Commitments to the Dare to Reimagine agenda: members commit themselves, staff add, remove
and import officials from a CSV file. Operations flush; the caller commits."""

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from models import Commitment, User
from models.base import db
from models.clock import utcnow
from models.enums import US_STATES, UserKind
from review.errors import OperationError

CSV_COLUMNS = ("name", "office", "jurisdiction", "state", "date", "email")
MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 1024 * 1024


class CommitmentError(OperationError):
    """A commitment that cannot be made, with a message for the person."""


def commitment_of(user: User) -> Commitment | None:
    return db.session.scalar(sa.select(Commitment).where(Commitment.user_id == user.id))


def listed(us_state: str = "") -> list[Commitment]:
    """Every listed official by state and name, or those of one state."""
    stmt = sa.select(Commitment).order_by(Commitment.us_state, Commitment.name, Commitment.id)
    if us_state:
        stmt = stmt.where(Commitment.us_state == us_state)
    return list(db.session.scalars(stmt))


def counts_by_state() -> dict[str, int]:
    return dict(
        db.session.execute(
            sa.select(Commitment.us_state, sa.func.count()).group_by(Commitment.us_state)
        ).all()
    )


def total() -> int:
    return db.session.scalar(sa.select(sa.func.count(Commitment.id)))


def commit(user: User) -> Commitment:
    """Record a member's own commitment from their profile; refuse a second one."""
    if user.kind != UserKind.member:
        raise CommitmentError(_("Only member officials can commit to the agenda."))
    if commitment_of(user) is not None:
        raise CommitmentError(_("You have already committed to the agenda."))
    if user.us_state not in US_STATES:
        raise CommitmentError(
            _("Add your state to your account first: the list is grouped by state.")
        )
    commitment = Commitment(
        user_id=user.id,
        name=user.name,
        office=user.office,
        jurisdiction=user.jurisdiction,
        us_state=user.us_state,
        committed_at=utcnow(),
        created_by_id=user.id,
        source="self",
    )
    db.session.add(commitment)
    db.session.flush()
    return commitment


def withdraw(user: User) -> None:
    """Remove a member's own commitment; refuse when there is none."""
    commitment = commitment_of(user)
    if commitment is None:
        raise CommitmentError(_("You have not committed to the agenda."))
    db.session.delete(commitment)
    db.session.flush()


def add(
    actor: User,
    name: str,
    office: str,
    jurisdiction: str,
    us_state: str,
    committed_on: date | None = None,
    user: User | None = None,
) -> Commitment:
    """Add an official's commitment on their behalf (staff)."""
    commitment = Commitment(
        user_id=user.id if user else None,
        name=name.strip(),
        office=office.strip(),
        jurisdiction=jurisdiction.strip(),
        us_state=us_state,
        created_by_id=actor.id,
        source="staff",
        committed_at=_at(committed_on) if committed_on else utcnow(),
    )
    db.session.add(commitment)
    db.session.flush()
    return commitment


def remove(commitment: Commitment) -> None:
    db.session.delete(commitment)
    db.session.flush()


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# ------------------------------------------------------------------ CSV import


@dataclass
class ImportRow:
    line: int
    name: str
    office: str
    jurisdiction: str
    us_state: str
    committed_on: date | None
    user: User | None = None


@dataclass
class ImportPlan:
    """What a CSV file would import, and the rows refused with their reasons."""

    rows: list[ImportRow] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason)
    error: str = ""


def plan_import(text: str) -> ImportPlan:
    """Read a CSV of commitments; check every row and return what would be imported."""
    plan = ImportPlan()
    if len(text.encode()) > MAX_IMPORT_BYTES:
        plan.error = _("The file is larger than 1 MB; split it into smaller files.")
        return plan
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        plan.error = f"The file is not readable as CSV: {exc}."
        return plan
    missing = [c for c in ("name", "state") if c not in header]
    if missing:
        plan.error = (
            f"The first line must name the columns; missing: {', '.join(missing)}. "
            f"Expected columns: {', '.join(CSV_COLUMNS)}."
        )
        return plan
    existing = {
        (name.lower(), jurisdiction.lower(), us_state)
        for name, jurisdiction, us_state in db.session.execute(
            sa.select(Commitment.name, Commitment.jurisdiction, Commitment.us_state)
        )
    }
    committed_users = set(
        db.session.scalars(sa.select(Commitment.user_id).where(Commitment.user_id.is_not(None)))
    )
    seen_emails: set[str] = set()
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(plan.rows) + len(plan.refused) >= MAX_IMPORT_ROWS:
                plan.error = f"The file has more than {MAX_IMPORT_ROWS} rows; split it."
                return plan
            values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
            raw = ",".join(cells)[:200]
            reason, row = _check_row(number, values, existing, committed_users, seen_emails)
            if reason:
                plan.refused.append((number, raw, reason))
            else:
                plan.rows.append(row)
                existing.add((row.name.lower(), row.jurisdiction.lower(), row.us_state))
    except csv.Error as exc:
        plan.error = f"The file is not readable as CSV: {exc}."
    return plan


def _check_row(number, values, existing, committed_users, seen_emails):
    name = values.get("name", "")
    us_state = values.get("state", "").upper()
    office = values.get("office", "")
    jurisdiction = values.get("jurisdiction", "")
    if not name:
        return _("name is empty"), None
    if len(name) > 120 or len(office) > 160 or len(jurisdiction) > 160:
        return _("a value is too long (name ≤ 120, office and jurisdiction ≤ 160 characters)"), None
    if us_state not in US_STATES:
        return f"state “{values.get('state', '')}” is not a state or territory code", None
    committed_on = None
    if values.get("date"):
        try:
            committed_on = date.fromisoformat(values["date"])
        except ValueError:
            return f"date “{values['date']}” is not a date like 2024-05-31", None
        if committed_on > utcnow().date():
            return _("date is in the future"), None
    user = None
    email = values.get("email", "").lower()
    if email:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            return f"no account has the email {email}", None
        if user.id in committed_users or email in seen_emails:
            return f"{email} has already committed", None
        seen_emails.add(email)
    if (name.lower(), jurisdiction.lower(), us_state) in existing:
        return _("this official is already on the list"), None
    return None, ImportRow(number, name, office, jurisdiction, us_state, committed_on, user)


def run_import(actor: User, plan: ImportPlan) -> int:
    """Add every row of a checked plan, all or nothing (the caller commits); return the count."""
    for row in plan.rows:
        commitment = add(
            actor, row.name, row.office, row.jurisdiction, row.us_state, row.committed_on, row.user
        )
        commitment.source = "import"
    db.session.flush()
    return len(plan.rows)
