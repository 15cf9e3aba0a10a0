"""What makes the library's search forgive: the words of a search folded as the index folds
them, synonyms that stand for each other, prefix matching on the last word as people type, and
"did you mean" spellings taken from the words of the published studies.

A search becomes clauses that must all match; a clause is one word (the last one matched as a
prefix) or a group of synonymous phrases of which any may match. Both engines get the same
clauses: an FTS5 query in SQLite, a to_tsquery in PostgreSQL.
"""

import difflib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from models import Setting
from models.base import db
from review.library.folding import words

MAX_TERMS = 20
# The last word is matched as a prefix once it is this long ("Espa" finds "Española").
PREFIX_MIN = 3
SYNONYMS_KEY = "library_synonyms"
DEFAULT_SYNONYMS = Path(__file__).with_name("synonyms.txt")
# The words a study contributes to the "did you mean" vocabulary: title, place, topics, summary.
VOCABULARY = sa.table("library_search_term", sa.column("word"), sa.column("study_id"))
WORD_MIN, WORD_MAX = 3, 40

Synonyms = tuple[tuple[tuple[str, ...], ...], ...]  # groups of phrases of words


@dataclass(frozen=True)
class Clause:
    """Phrases of which one must match; `prefix` when the one word may be a word's start."""

    phrases: tuple[tuple[str, ...], ...]
    prefix: bool = False


def search_terms(text: str) -> list[str]:
    """Return the folded words of a search, without any of the engines' query syntax."""
    return words(text)[:MAX_TERMS]


def parse_synonyms(text: str) -> Synonyms:
    """Read a synonym list: one group a line, phrases separated by commas, '#' comments."""
    groups = []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0]
        phrases = tuple(
            dict.fromkeys(p for p in (tuple(words(part)) for part in line.split(",")) if p)
        )
        if len(phrases) > 1:
            groups.append(phrases)
    return tuple(groups)


def default_synonyms_text() -> str:
    return DEFAULT_SYNONYMS.read_text(encoding="utf-8")


def synonyms_text(stored) -> str:
    """Return the synonym list in force: staff's, else the default file."""
    return stored if isinstance(stored, str) else default_synonyms_text()


def clauses(text: str, synonyms: Synonyms = ()) -> list[Clause]:
    """Return the clauses of a search: synonyms' phrases grouped, the last word a prefix."""
    terms = search_terms(text)
    phrases = sorted(
        ((phrase, group) for group in synonyms for phrase in group),
        key=lambda item: -len(item[0]),
    )
    out: list[Clause] = []
    i = 0
    while i < len(terms):
        for phrase, group in phrases:
            if tuple(terms[i : i + len(phrase)]) == phrase:
                out.append(Clause(group))
                i += len(phrase)
                break
        else:
            last = i == len(terms) - 1
            out.append(Clause(((terms[i],),), prefix=last and len(terms[i]) >= PREFIX_MIN))
            i += 1
    return out


def fts5_query(found: list[Clause]) -> str:
    """Return an FTS5 query of the clauses; every word quoted, so no syntax gets through."""

    def phrase(words_, prefix):
        return '"' + " ".join(words_) + '"' + ("*" if prefix else "")

    parts = []
    for clause in found:
        alternatives = [phrase(p, clause.prefix) for p in clause.phrases]
        parts.append(
            alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"
        )
    return " AND ".join(parts)


def tsquery_text(found: list[Clause]) -> str:
    """Return to_tsquery text of the clauses (the words are letters and digits only)."""
    parts = []
    for clause in found:
        alternatives = []
        for words_ in clause.phrases:
            text = " <-> ".join(words_) + (":*" if clause.prefix else "")
            alternatives.append(f"({text})" if len(words_) > 1 else text)
        parts.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(parts)


# ------------------------------------------------------------------ the vocabulary


def vocabulary_words(*texts: str) -> set[str]:
    """Return the words of these texts that "did you mean" may offer."""
    return {w for t in texts for w in words(t) if WORD_MIN <= len(w) <= WORD_MAX and w.isalpha()}


def write_vocabulary(study_id: int, found: set[str]) -> None:
    """Replace a study's words in the vocabulary; flush only (a statement each)."""
    write_vocabularies({study_id: found})


def write_vocabularies(found: dict[int, set[str]]) -> None:
    """Replace the words of these studies in the vocabulary: two statements for them all."""
    db.session.execute(VOCABULARY.delete().where(VOCABULARY.c.study_id.in_(sorted(found))))
    rows = [{"word": w, "study_id": i} for i, words in found.items() for w in sorted(words)]
    if rows:
        db.session.execute(VOCABULARY.insert(), rows)


def forget_vocabulary(study_id: int) -> None:
    db.session.execute(VOCABULARY.delete().where(VOCABULARY.c.study_id == study_id))


def did_you_mean(text: str) -> str | None:
    """Return the search respelt with the nearest words of published studies, or None.

    A word is respelt only when no published study has it; two words that are one word in
    the library ("De Soto" → "desoto") are joined. Two statements, plus one per unknown word.
    """
    terms = search_terms(text)
    if not terms:
        return None
    joined = [a + b for a, b in zip(terms, terms[1:], strict=False)]
    known = set(
        db.session.scalars(
            sa.select(VOCABULARY.c.word).where(VOCABULARY.c.word.in_(set(terms + joined)))
        )
    )
    out, changed, i = [], False, 0
    while i < len(terms):
        term = terms[i]
        if i + 1 < len(terms) and joined[i] in known and not {term, terms[i + 1]} <= known:
            out.append(joined[i])
            changed, i = True, i + 2
            continue
        if term not in known and len(term) >= WORD_MIN and term.isalpha():
            best = _nearest(term)
            if best:
                out.append(best)
                changed, i = True, i + 1
                continue
        out.append(term)
        i += 1
    return " ".join(out) if changed else None


def _nearest(term: str) -> str | None:
    """Return the vocabulary's word nearest to `term` (same first letter, similar length)."""
    length = sa.func.length(VOCABULARY.c.word)
    candidates = db.session.scalars(
        sa.select(VOCABULARY.c.word)
        .where(
            VOCABULARY.c.word >= term[0],
            VOCABULARY.c.word < chr(ord(term[0]) + 1),
            length.between(len(term) - 2, len(term) + 2),
        )
        .distinct()
        .limit(20_000)
    ).all()
    best = difflib.get_close_matches(term, candidates, n=1, cutoff=0.75)
    return best[0] if best else None


def stored_synonyms() -> str | None:
    """Return staff's synonym list, or None when the default file is in force."""
    row = db.session.get(Setting, SYNONYMS_KEY)
    return row.value if row is not None else None


def synonyms_in_force() -> str:
    """Return the synonym list as staff edit it (theirs, else the default file)."""
    return synonyms_text(stored_synonyms())
