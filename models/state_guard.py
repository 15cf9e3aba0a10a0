"""The guard on a case study's workflow state: only the workflow's apply() moves it.

Three listeners refuse a change of `CaseStudy.state` made anywhere else, at run time:

- an attribute event on `CaseStudy.state` (an assignment, `setattr`, a constructor argument);
- a `do_orm_execute` event on every session (`update(CaseStudy).values(state=…)`, an UPDATE of
  the `case_study` table, or a bulk UPDATE by primary key whose rows carry a state);
- a `before_cursor_execute` event on every engine, for what reaches the database by other
  ways (a raw connection, `text("UPDATE case_study SET state = …")`).

A change is allowed only inside `moving_state(mover)`. The movers are named: the workflow's
apply(), the demo loader (which builds studies at the end of the workflow), the import of
studies published elsewhere (review/staff/imports.py, which creates them published) and the
test factories.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session

from models.case_study import CaseStudy

MOVERS = frozenset({"workflow", "demo", "imports", "tests"})
_mover: ContextVar[str | None] = ContextVar("case_study_state_mover", default=None)
_TABLE = CaseStudy.__table__
# An UPDATE of case_study whose SET list names the state column, as any dialect writes it.
_SQL_SETS_STATE = re.compile(
    r"^\s*UPDATE\s+[\"`]?case_study[\"`]?\s+SET\s+(?:.*?,\s*)?[\"`]?state[\"`]?\s*=",
    re.IGNORECASE | re.DOTALL,
)


class StateGuardError(RuntimeError):
    """A case study's state was changed outside review.workflow.apply(); nothing was written."""


@contextmanager
def moving_state(mover: str) -> Iterator[None]:
    """Allow changes of CaseStudy.state inside the block; `mover` is one of MOVERS."""
    if mover not in MOVERS:
        raise ValueError(f"{mover!r} may not move a study's state: only {sorted(MOVERS)}.")
    token = _mover.set(mover)
    try:
        yield
    finally:
        _mover.reset(token)


def _refuse(how: str) -> None:
    if _mover.get() is None:
        raise StateGuardError(
            f"A study's state changes only through review.workflow.apply(), not by {how}."
        )


@sa.event.listens_for(CaseStudy.state, "set", propagate=True)
def _on_set(target, value, oldvalue, initiator) -> None:
    _refuse("assigning CaseStudy.state")


def _update_sets_state(state: ORMExecuteState) -> bool:
    """Say whether the statement is an UPDATE of case_study whose values or rows name `state`."""
    statement = state.statement
    # update(CaseStudy) holds an annotated copy of the table; table names are unique.
    if getattr(getattr(statement, "table", None), "name", None) != _TABLE.name:
        return False
    keys = list(getattr(statement, "_values", None) or ())
    keys += [key for key, _ in getattr(statement, "_ordered_values", None) or ()]
    if any(getattr(key, "key", key) == "state" for key in keys):
        return True
    params = state.parameters
    rows = params if isinstance(params, list) else [params or {}]
    return any("state" in row for row in rows)


@sa.event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_update and _update_sets_state(state):
        _refuse("an UPDATE of case_study.state")


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _on_cursor(conn, cursor, statement: str, parameters, context, executemany) -> None:
    if statement[:16].lstrip()[:6].upper() == "UPDATE" and _SQL_SETS_STATE.match(statement):
        _refuse("SQL that updates case_study.state")
