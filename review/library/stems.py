"""Spanish stems for SQLite's search index, which stems English only (FTS5's porter).

PostgreSQL stems a Spanish study with its 'spanish' text search configuration. In SQLite the
text of a Spanish study (and the Spanish translation of an English study's summary) is
written to the index as Snowball's Spanish stems, in Python, and every word of a search is
looked for both as typed and as its Spanish stem: "presupuestos" and "presupuesto" both
become "presupuest". The stems are marked (MARK) so that a Spanish stem never matches an
English word of the same letters. Words are folded first (accents, case) on both sides, so
a search typed without accents finds the accented text.

The completions of a search's last word are read from the vocabulary inside the statement that
matches them, so SQLite connections have the stem as a function too: `spanish_stem(word)`.
"""

import sqlite3

import snowballstemmer
from sqlalchemy import event
from sqlalchemy.engine import Engine

from review.library.folding import words
from review.library.forgiving import Clause

# No word of either language starts so: the Spanish stems keep to themselves in the index.
MARK = "qq"


def _stemmer():
    # A stemmer keeps the word being stemmed in itself: one per call, never shared by threads.
    return snowballstemmer.stemmer("spanish")


def spanish_stem(word: str) -> str:
    """Return a folded word's marked Spanish stem, as the index holds it."""
    return MARK + _stemmer().stemWord(word)


@event.listens_for(Engine, "connect")
def _sqlite_functions(dbapi_connection, _record) -> None:
    """Give every SQLite connection `spanish_stem()`, the stem of the index, for its SQL."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("spanish_stem", 1, spanish_stem, deterministic=True)


def spanish_text(text: str) -> str:
    """Return a Spanish text as the index holds it: its folded words' marked stems, in order."""
    stemmer = _stemmer()
    return " ".join(MARK + stemmer.stemWord(word) for word in words(text))


def with_spanish_stems(found: list[Clause]) -> list[Clause]:
    """Return the clauses of a search with each phrase also as its Spanish stems."""
    stemmer = _stemmer()
    out = []
    for clause in found:
        stemmed = tuple(tuple(MARK + stemmer.stemWord(w) for w in p) for p in clause.phrases)
        out.append(Clause(tuple(dict.fromkeys(clause.phrases + stemmed)), clause.prefix))
    return out
