"""Network affirmation: votes, comments, the tally and its rule, closing and extending a window.

operations.py changes things (flush only), early_close.py closes a vote before its deadline,
queries.py reads, jobs.py holds the queue's jobs and the sweep's tasks. Operations and
queries are re-exported here (`affirmation.cast_vote`).
"""

from review.affirmation.early_close import close_early
from review.affirmation.operations import (
    AffirmationError,
    cast_vote,
    close,
    extend,
    post_comment,
)
from review.affirmation.queries import (
    Counts,
    Tally,
    _fraction,
    affirmed_by,
    comments_of,
    counts,
    decide,
    eligible_count,
    is_open,
    latest_window,
    latest_window_and_vote,
    open_windows_for,
    rule,
    tally,
    vote_of,
)

__all__ = [
    "AffirmationError",
    "Counts",
    "Tally",
    "_fraction",
    "affirmed_by",
    "cast_vote",
    "close",
    "close_early",
    "comments_of",
    "counts",
    "decide",
    "eligible_count",
    "extend",
    "is_open",
    "latest_window",
    "latest_window_and_vote",
    "open_windows_for",
    "post_comment",
    "rule",
    "tally",
    "vote_of",
]
