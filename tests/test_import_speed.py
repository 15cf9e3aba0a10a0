"""The import's cost (issue 15): a batch of rows is built in memory and written at once —
authors, topics and slugs looked up once for the file, one index write, one facet refresh and
one new library generation per batch — so the statements per row do not grow with the rows
(and stay a handful: one INSERT per row of a table the engine cannot insert many rows into at
once, on SQLite; fewer on PostgreSQL) — on SQLite and PostgreSQL."""

import sqlalchemy as sa

from models import CaseStudy
from models.base import db
from tests.test_library import count_statements
from tests.test_library_real import run_import, study_row


def rows(start: int, count: int) -> list[dict]:
    out = []
    for n in range(start, start + count):
        row = study_row(n)
        # Authors and topics shared, as the former site's are: each looked up once.
        row["authors"] = [{"email": f"author{n % 3}@example.org", "name": f"Author {n % 3}"}]
        row["topics"] = ["participatory budgeting", f"topic {n % 4}"]
        out.append(row)
    return out


def test_statements_per_imported_row_do_not_grow_with_the_rows(app, make_user):
    staff = make_user("staff")
    # A first import creates the shared authors and topics.
    run_import(rows(1000, 3), staff, dry_run=False)
    counts = {}
    for start, size in ((1, 10), (100, 50)):
        with count_statements() as seen:
            report = run_import(rows(start, size), staff, dry_run=False)
        assert report.count("create") == size, report.problems
        counts[size] = len(seen)
    per_row_small, per_row_large = counts[10] / 10, counts[50] / 50
    marginal = (counts[50] - counts[10]) / 40
    assert per_row_large <= per_row_small, counts
    # SQLite: a study, its two timeline rows, its stakeholder, link, revision and audit event, one
    # INSERT each; PostgreSQL inserts each table's rows of the batch in one statement.
    assert marginal <= (7 if db.engine.dialect.name == "sqlite" else 0.5), counts
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 63


def test_a_second_run_of_a_large_file_creates_nothing_in_a_few_statements(app, make_user):
    staff = make_user("staff")
    run_import(rows(1, 40), staff, dry_run=False)
    with count_statements() as seen:
        report = run_import(rows(1, 40), staff, dry_run=False)
    assert report.count("exists") == 40 and report.count("create") == 0
    assert len(seen) <= 6, seen
