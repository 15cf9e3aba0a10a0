"""THE state machine of a case study (SPEC §4).

table.py declares the transitions once, as data (guards.py and effects.py hold what its rows
name); apply.py is the one function that follows a row and the only code that moves a state;
history.py and panel.py are what pages read; diagram.py draws the table. The public names are
re-exported here, so callers write `workflow.apply(...)`.
"""

from review.errors import Stale
from review.workflow.apply import (
    apply,
)
from review.workflow.context import (
    Changed,
    Refused,
)
from review.workflow.diagram import (
    mermaid,
)
from review.workflow.history import (
    describe,
    history,
    whose_turn,
)
from review.workflow.panel import (
    panel,
)
from review.workflow.table import (
    EVENTS,
    HISTORY_LABELS,
    available_events,
    row_for,
    rows_for,
)

__all__ = [
    "Changed",
    "EVENTS",
    "HISTORY_LABELS",
    "Refused",
    "Stale",
    "apply",
    "available_events",
    "describe",
    "history",
    "mermaid",
    "panel",
    "row_for",
    "rows_for",
    "whose_turn",
]
