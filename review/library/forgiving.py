"""What makes the library's search forgive: the words of a search folded as the index folds
them, synonyms that stand for each other, the last word completed as people type, and "did you
mean" spellings taken from the words of the published studies.

A search becomes clauses that must all match; a clause is one word or a group of synonymous
phrases of which any may match. Both engines get the same clauses: an FTS5 query in SQLite, a
to_tsquery in PostgreSQL. Every word is matched exactly: the last one, half typed, is matched
as itself or as one of the vocabulary's words that begin with it (`completions`), never as an
engine's prefix ("word"* in FTS5, word:* in PostgreSQL), which opens the list of every indexed
word it begins — at 10^5 studies 15–30 times the cost of a primary-key lookup.
"""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models import Setting
from models.base import db
from review.library.folding import words

MAX_TERMS = 20
# The last word is completed once it is this long ("Espa" finds "Española").
PREFIX_MIN = 3
# It is completed with at most this many words of the vocabulary, those most studies hold first.
PREFIX_WORDS = 30
SYNONYMS_KEY = "library_synonyms"
DEFAULT_SYNONYMS = Path(__file__).with_name("synonyms.txt")
# The words a study contributes to the "did you mean" vocabulary: title, place, topics, summary.
VOCABULARY = sa.table("library_search_term", sa.column("word"), sa.column("study_id"))
# The distinct words of that vocabulary and how many published studies hold each (migration
# 0016): what a misspelling is looked up in, so its cost does not grow with the studies.
WORDS = sa.table("library_search_word", sa.column("word"), sa.column("studies"))
# A guard: a misspelt word is compared with at most this many words of its band. Not an order
# by the studies holding them: the word to find is often a place held by one study.
BAND_MAX = 20_000
WORD_MIN, WORD_MAX = 3, 40

Synonyms = tuple[tuple[tuple[str, ...], ...], ...]  # groups of phrases of words


@dataclass(frozen=True)
class Clause:
    """Phrases of which one must match; `prefix` when the one word may be completed (the last
    word of a search, half typed: see `with_completions`)."""

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
    """Return the clauses of a search: synonyms' phrases grouped, the last word to complete."""
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


def completing(found: list[Clause]) -> str | None:
    """Return the word of these clauses that is to be completed (the last, half typed), or None."""
    return found[-1].phrases[0][0] if found and found[-1].prefix else None


def completions(word: str) -> sa.Select:
    """Return a select of the vocabulary's words that begin with `word` (itself among them when
    a study holds it), at most PREFIX_WORDS, those most studies hold first.

    A range of the primary key, the words of one prefix only, whatever the number of studies;
    the range is the code-point order of a "C" collation, and the first letters are compared
    too so that no other collation can let a word in that does not begin so.
    """
    t = WORDS.c
    return (
        sa.select(t.word)
        .where(
            t.word >= word,
            t.word < word[:-1] + chr(ord(word[-1]) + 1),
            sa.func.substr(t.word, 1, len(word)) == word,
        )
        .order_by(t.studies.desc(), t.word)
        .limit(PREFIX_WORDS)
    )


def with_completions(found: list[Clause], completed: Sequence[str]) -> list[Clause]:
    """Return the clauses with the word to complete matched as itself or as `completed` (words
    of `completions`), all exactly; a search whose last word is typed whole matches it."""
    word = completing(found)
    if word is None:
        return found
    phrases = tuple(dict.fromkeys([(word,), *((w,) for w in completed)]))
    return [*found[:-1], Clause(phrases)]


def fts5_alternatives(clause: Clause) -> list[str]:
    """Return a clause's phrases as FTS5 strings; every word quoted, so no syntax gets through."""
    return ['"' + " ".join(words_) + '"' for words_ in clause.phrases]


def fts5_query(found: list[Clause]) -> str:
    """Return an FTS5 query of the clauses, each word matched exactly."""
    parts = []
    for clause in found:
        alternatives = fts5_alternatives(clause)
        parts.append(
            alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"
        )
    return " AND ".join(parts)


def tsquery_alternatives(clause: Clause) -> list[str]:
    """Return a clause's phrases as to_tsquery text (the words are letters and digits only)."""
    return [
        "(" + " <-> ".join(words_) + ")" if len(words_) > 1 else words_[0]
        for words_ in clause.phrases
    ]


def tsquery_text(found: list[Clause]) -> str:
    """Return to_tsquery text of the clauses, each word matched exactly (as stemmed)."""
    return " & ".join("(" + " | ".join(tsquery_alternatives(c)) + ")" for c in found)


# ------------------------------------------------------------------ the vocabulary


def vocabulary_words(*texts: str) -> set[str]:
    """Return the words of these texts that "did you mean" may offer."""
    return {w for t in texts for w in words(t) if WORD_MIN <= len(w) <= WORD_MAX and w.isalpha()}


def write_vocabulary(study_id: int, found: set[str]) -> None:
    """Replace a study's words in the vocabulary; flush only (a statement each)."""
    write_vocabularies({study_id: found})


def write_vocabularies(found: dict[int, set[str]]) -> None:
    """Replace the words of these studies in the vocabulary, and the distinct words' counts
    with them: five statements for them all."""
    ids = sorted(found)
    if not ids:
        return
    _count_words(ids, -1)
    db.session.execute(VOCABULARY.delete().where(VOCABULARY.c.study_id.in_(ids)))
    rows = [{"word": w, "study_id": i} for i, words in found.items() for w in sorted(words)]
    if rows:
        db.session.execute(VOCABULARY.insert(), rows)
        _count_words(ids, 1)
    _drop_unused_words()


def forget_vocabulary(study_id: int) -> None:
    """Take a study's words out of the vocabulary (unpublished); three statements."""
    _count_words([study_id], -1)
    db.session.execute(VOCABULARY.delete().where(VOCABULARY.c.study_id == study_id))
    _drop_unused_words()


def _count_words(ids: list[int], sign: int) -> None:
    """Add (or take off, sign -1) the words these studies hold to the distinct words' counts."""
    t = VOCABULARY.c
    rows = (
        sa.select(t.word, (sa.func.count() * sign).label("studies"))
        .where(t.study_id.in_(ids))
        .group_by(t.word)
        # Always the same order, so two transactions lock the words' rows alike.
        .order_by(t.word)
    )
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(WORDS).from_select(["word", "studies"], rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["word"], set_={"studies": WORDS.c.studies + stmt.excluded.studies}
    )
    db.session.execute(stmt)


def _drop_unused_words() -> None:
    # Found through the partial index ix_library_search_word_gone (migration 0016).
    db.session.execute(WORDS.delete().where(WORDS.c.studies <= 0))


def rebuild_vocabulary() -> None:
    """Recount the distinct words from the studies' words (a reindex, a bulk load)."""
    db.session.execute(WORDS.delete())
    t = VOCABULARY.c
    db.session.execute(
        WORDS.insert().from_select(
            ["word", "studies"], sa.select(t.word, sa.func.count()).group_by(t.word)
        )
    )


def did_you_mean(text: str) -> str | None:
    """Return the search respelt with the nearest words of published studies, or None.

    A word is respelt only when no published study has it; two words that are one word in
    the library ("De Soto" → "desoto") are joined. Two statements whatever the search and
    the number of studies: the words known, then the candidates of every unknown word, read
    from the distinct words (library_search_word), never from the words of each study.
    """
    terms = search_terms(text)
    if not terms:
        return None
    joined = [a + b for a, b in zip(terms, terms[1:], strict=False)]
    known = set(
        db.session.scalars(sa.select(WORDS.c.word).where(WORDS.c.word.in_(set(terms + joined))))
    )
    unknown = sorted({t for t in terms if t not in known and len(t) >= WORD_MIN and t.isalpha()})
    candidates = _candidates(unknown)
    out, changed, i = [], False, 0
    while i < len(terms):
        term = terms[i]
        if i + 1 < len(terms) and joined[i] in known and not {term, terms[i + 1]} <= known:
            out.append(joined[i])
            changed, i = True, i + 2
            continue
        if term in unknown:
            best = _nearest(term, candidates)
            if best:
                out.append(best)
                changed, i = True, i + 1
                continue
        out.append(term)
        i += 1
    return " ".join(out) if changed else None


def _band(term: str):
    """The words a misspelling of `term` is looked for among: the same first letter, a
    length within two of it (a range of the primary key, then the length)."""
    length = sa.func.length(WORDS.c.word)
    return sa.and_(
        WORDS.c.word >= term[0],
        WORDS.c.word < chr(ord(term[0]) + 1),
        length.between(len(term) - 2, len(term) + 2),
    )


def _candidates(unknown: list[str]) -> list[str]:
    """Return the candidates of every unknown word, in one statement: the distinct words of
    its band (at most BAND_MAX, a guard), however many studies hold them."""
    if not unknown:
        return []
    parts = [
        sa.select(WORDS.c.word).where(_band(term)).limit(BAND_MAX).subquery() for term in unknown
    ]
    return list(db.session.scalars(sa.union_all(*(sa.select(p.c.word) for p in parts))))


def _nearest(term: str, candidates: list[str]) -> str | None:
    """Return the candidate nearest to `term` (same first letter, similar length)."""
    near = [w for w in candidates if w[0] == term[0] and abs(len(w) - len(term)) <= 2]
    best = difflib.get_close_matches(term, near, n=1, cutoff=0.75)
    return best[0] if best else None


def stored_synonyms() -> str | None:
    """Return staff's synonym list, or None when the default file is in force."""
    row = db.session.get(Setting, SYNONYMS_KEY)
    return row.value if row is not None else None


def synonyms_in_force() -> str:
    """Return the synonym list as staff edit it (theirs, else the default file)."""
    return synonyms_text(stored_synonyms())
