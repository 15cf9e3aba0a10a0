"""Translation coverage, checked against the source: every text people read is marked, the
catalogue template (translations/messages.pot) is what the source extracts, and the Spanish
catalogue translates all of it (none missing, none fuzzy, the same placeholders).

After changing a string: `make messages`, then translate what is new in
translations/es/LC_MESSAGES/messages.po (docs/i18n.md has the glossary).
"""

import ast
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
SPANISH = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
SKIPPED_DIRS = {"node_modules", "tests", "bench", "migrations", "static"}

# Attributes whose values people read (or hear, from a screen reader).
READ_ATTRIBUTES = (
    "aria-label",
    "placeholder",
    "title",
    "alt",
    "data-label",
    "data-confirm",
    "data-confirm-decline",
)
# Names that stay as they are in every language.
PROPER_NAMES = {"Local Progress", "Reimagine"}
# Exceptions for programmers, not people (StateGuardError: a state moved outside apply()).
NOT_FOR_PEOPLE = {"ValueError", "TypeError", "KeyError", "RuntimeError", "StateGuardError"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%[sd%]")


def extracted() -> dict[str, tuple]:
    """Extract the messages from the source as `make messages` does: {msgid: locations}."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, tuple] = {}

    def keep(path: str) -> bool:
        name = Path(path).name
        return not (name in SKIPPED_DIRS or name.startswith((".", "_")))

    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=keep
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.setdefault(key, ())
            found[key] += ((filename, lineno),)
    return found


def _catalogue(path: Path):
    with open(path, "rb") as f:
        return read_po(f, locale="es" if path == SPANISH else None)


# ---------------------------------------------------------------- the templates


def _template_texts(source: str) -> tuple[list[str], list[str]]:
    """Return (text nodes, read attribute values) of a template left outside _() / trans."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", "", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>|<!--.*?-->", "", source, flags=re.S)
    attributes = [
        value
        for name in READ_ATTRIBUTES
        for value in re.findall(rf'\s{name}="([^"]*)"', source)
        if _has_words(value)
    ]
    texts = [t.strip() for t in re.split(r"<[^>]*>", source) if _has_words(t)]
    return texts, attributes


def _has_words(text: str) -> bool:
    text = re.sub(r"&#?\w+;", "", text)
    for name in PROPER_NAMES:
        text = text.replace(name, "")
    return re.search(r"[A-Za-z]{2,}", text) is not None


def _unmarked_literals(source: str) -> list[str]:
    """Prose in string literals inside {{ }} and {% %} that is not passed through _()."""
    found = []
    for tag in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", source, flags=re.S):
        if re.match(r"\{%-?\s*(trans|extends|include|from|import)\b", tag):
            continue
        for match in re.finditer(r"\"([^\"]*)\"|'([^']*)'", tag):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            before = tag[: match.start()].rstrip()
            if before.endswith(("_(", "==", "!=", "class_=", "strftime(", "replace(")):
                continue
            if re.fullmatch(r"[A-Z][a-z]*( [\w’,()-]+)+[.?:…]?|[A-Z][a-z]{2,}", text.strip()):
                found.append(text)
    return found


def test_every_template_text_is_marked_for_translation():
    unmarked = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        source = path.read_text()
        texts, attributes = _template_texts(source)
        name = path.relative_to(ROOT / "templates")
        unmarked += [f"{name}: text {t!r}" for t in texts]
        unmarked += [f"{name}: attribute {a!r}" for a in attributes]
        unmarked += [f"{name}: literal {s!r}" for s in _unmarked_literals(source)]
    assert not unmarked, "not marked for translation:\n" + "\n".join(unmarked)


def test_the_template_check_catches_what_is_not_marked():
    texts, attributes = _template_texts(
        '<p>{{ _("Marked") }} Plain words</p>{% trans %}Also {{ x }} marked{% endtrans %}'
        '<nav aria-label="Main">·</nav><span title="{{ _(\'x\') }}">{{ name }}</span>'
    )
    assert (texts, attributes) == (["Plain words"], ["Main"])
    assert _unmarked_literals('{{ field(f, "A hint for you.") }}{{ x == "Ready now" }}') == [
        "A hint for you."
    ]


# A text that ends so was cut off mid-sentence, the rest of it around a link or a value; one
# that starts with a comma or a colon is the rest. Translators cannot reorder such pieces.
CUT_OFF = re.compile(
    r"\b(of|on|until|since|or|and|is|are|was|use|the|a|an|your|its|their|to|by|for|from|with|at)$",
    re.I,
)
# Labels that their value follows (a <dt>, a <th>, a field's label): not sentences.
LABELS = {"To", "By", "Since", "Sort by", "Written by", "Waiting for", "Co-chair of"}
LABELS |= {"Signed in on", "From → to", "Filters in use"}
LABELS |= {"Show the officials of"}  # the label of the state choice that ends its sentence


def _fragments(messages) -> list[str]:
    found = []
    for message in messages:
        text = re.sub(r"<[^>]+>", "", message).strip()
        if re.match(r"[,;:.]", text) or (CUT_OFF.search(text) and text not in LABELS):
            found.append(message)
    return found


def test_no_template_sentence_is_cut_into_pieces():
    """Each sentence is one message, its links and values placeholders inside it."""
    pieces = _fragments(
        m for m, where in extracted().items() if any(f.startswith("templates") for f, _ in where)
    )
    assert not pieces, f"sentences in pieces: {pieces}"


def test_the_sentence_check_catches_pieces():
    assert _fragments(
        [
            "Studies of",
            ", overdue first.",
            "You committed on",
            "Its public address is",
            "Sort by",
            'You committed on <time datetime="%(iso)s">%(day)s</time>.',
        ]
    ) == ["Studies of", ", overdue first.", "You committed on", "Its public address is"]


# ---------------------------------------------------------------- the Python code


def _is_text(node) -> bool:
    """A literal or an f-string: text that no translation can reach."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and re.search(r"[A-Za-z]{2,}", node.value) is not None
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


def _name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def python_unmarked(source: str) -> list[tuple[int, str]]:
    """Return (line, what) for every text shown to people that is not marked for translation:
    flashes, refusals raised to people, error pages, form labels, hints and messages."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = _name(node.exc.func)
            refusal = re.search(r"(Error|Refused|Stale)$", name) and name not in NOT_FOR_PEOPLE
            if refusal and node.exc.args and _is_text(node.exc.args[0]):
                found.append((node.lineno, f"raise {name}"))
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if name == "flash" and node.args and _is_text(node.args[0]):
            found.append((node.lineno, "flash"))
        if name == "abort" and len(node.args) > 1 and _is_text(node.args[1]):
            found.append((node.lineno, "abort"))
        labelled = name.endswith("Field") or name == "PillarCheckboxes"
        if labelled and node.args and _is_text(node.args[0]):
            found.append((node.lineno, f"{name} label"))
        for keyword in node.keywords:
            if keyword.arg in ("message", "description", "subject") and _is_text(keyword.value):
                found.append((node.lineno, f"{name}({keyword.arg}=)"))
    return found


def test_every_python_text_shown_to_people_is_marked():
    unmarked = []
    for folder in ("review", "forms", "workers", "models"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "demo" in path.parts or path.name == "cli.py":
                continue  # the demo's content and the command line's output are not the UI
            for line, what in python_unmarked(path.read_text()):
                unmarked.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not unmarked, "not marked for translation:\n" + "\n".join(unmarked)


def test_the_python_check_catches_what_is_not_marked():
    source = (
        'flash("Saved.")\nflash(_("Saved."))\nflash(f"Hi {n}")\n'
        'name = StringField("Name")\nname = StringField(_l("Name"))\n'
        'raise AccountError("No.")\nraise AccountError(_("No."))\n'
        'x = InputRequired(message="say it")\nabort(403, "Only staff.")\n'
    )
    assert sorted(line for line, _ in python_unmarked(source)) == [1, 3, 4, 6, 8, 9]


# ---------------------------------------------------------------- the catalogues


def test_the_catalogue_template_is_what_the_source_extracts():
    messages = set(extracted())
    assert len(messages) > 1000
    pot = {m.id[0] if m.pluralizable else m.id for m in _catalogue(POT) if m.id}
    assert not messages - pot, f"run `make messages`: new {sorted(messages - pot)[:20]}"
    assert not pot - messages, f"run `make messages`: gone {sorted(pot - messages)[:20]}"


def test_the_spanish_catalogue_translates_every_message():
    spanish = {m.id[0] if m.pluralizable else m.id: m for m in _catalogue(SPANISH) if m.id}
    problems = []
    for message in _catalogue(POT):
        if not message.id:
            continue
        key = message.id[0] if message.pluralizable else message.id
        found = spanish.get(key)
        if found is None:
            problems.append(f"missing: {key!r}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        forms = found.string if isinstance(found.string, tuple) else (found.string,)
        if not all(forms):
            problems.append(f"untranslated: {key!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for form in forms:
            if form and set(PLACEHOLDER.findall(form)) != wanted:
                problems.append(f"placeholders differ: {key!r} -> {form!r}")
    assert not problems, "\n".join(problems)


def test_the_catalogue_check_sees_a_fuzzy_or_missing_message(tmp_path):
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Save"\nmsgstr "Guardar"\n\nmsgid "Cancel"\nmsgstr ""\n'
    )
    with open(po, "rb") as f:
        catalogue = {m.id: m for m in read_po(f) if m.id}
    assert catalogue["Save"].fuzzy and not catalogue["Cancel"].string


def test_no_function_hides_gettext_behind_a_local_underscore():
    """`user, _ = …` in a function that also calls `_()` makes `_` a local there: a 500."""
    hiding = []
    for folder in ("review", "forms", "workers", "models"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for func in ast.walk(ast.parse(path.read_text())):
                if not isinstance(func, ast.FunctionDef):
                    continue
                nodes = list(ast.walk(func))
                stores = {
                    n.lineno
                    for n in nodes
                    if isinstance(n, ast.Name)
                    and n.id == "_"
                    and isinstance(n.ctx, ast.Store)
                    and not any(
                        isinstance(c, ast.comprehension) and n in ast.walk(c.target) for c in nodes
                    )
                }
                calls = any(isinstance(n, ast.Call) and _name(n.func) == "_" for n in nodes)
                if stores and calls:
                    hiding.append(f"{path.relative_to(ROOT)}:{min(stores)} {func.name}")
    assert not hiding, hiding
