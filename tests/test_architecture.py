"""The import graph of review/, models/, forms/ and workers/ flows one way (docs/architecture.md).

Built from the source with `ast`, so it sees every import, at the top of a module or inside a
function: no cycle between modules, no arrow of the forbidden list, no late import of the
project's own code, no module over 400 lines.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("review", "models", "forms", "workers")
# The composition roots wire everything together: the app factory and the command line.
ROOTS = {"review.app", "review.cli"}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _own(name: str) -> str | None:
    """The project module an imported name lives in, or None for the standard library and PyPI."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> list[tuple[str, ast.stmt, bool]]:
    """(imported module, the statement, whether it is inside a function) for each own import."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    inside = {
        id(sub)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for sub in ast.walk(fn)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            names = [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            target = _own(name)
            if target and target != module:
                found.append((target, node, id(node) in inside))
    return found


GRAPH = {module: {target for target, _, _ in _imports(module)} for module in MODULES}


def layer(module: str) -> str:
    """models < forms < core < views; workers and the feature jobs run the core's work."""
    top = module.split(".")[0]
    if top in ("models", "forms", "workers"):
        return top
    if module in ROOTS:
        return "root"
    if module.startswith("review.views"):
        return "views"
    if module.rpartition(".")[2] == "jobs":
        return "jobs"
    return "core"


# What each layer may import (besides itself). Anything else is a forbidden arrow.
ALLOWED = {
    "models": set(),
    "forms": {"models"},
    "core": {"models", "forms"},
    "jobs": {"models", "forms", "core", "workers"},
    "workers": {"models", "forms", "core", "jobs"},
    "views": {"models", "core", "forms", "jobs"},
    "root": {"models", "core", "forms", "jobs", "workers", "views"},
}


def test_no_arrow_goes_the_wrong_way():
    wrong = sorted(
        f"{a} ({layer(a)}) → {b} ({layer(b)})"
        for a, targets in GRAPH.items()
        for b in targets
        if layer(b) != layer(a) and layer(b) not in ALLOWED[layer(a)]
    )
    assert wrong == []


def test_the_core_never_reaches_the_workers_or_the_views():
    """The workflow and notify name the jobs to run after commit; they never import workers."""
    for module in ("review.workflow", "review.workflow.effects", "review.notify"):
        reached = {t.split(".")[0] if t.startswith("workers") else t for t in GRAPH[module]}
        assert "workers" not in reached and not any(t.startswith("review.views") for t in reached)


def _cycle() -> list[str] | None:
    """One cycle of the module graph, as the list of modules along it, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_import_graph_has_no_cycle():
    assert _cycle() is None


def test_no_late_import_of_the_projects_own_code():
    late = sorted(
        f"{module}: {ast.unparse(node)}"
        for module in MODULES
        for _, node, inside in _imports(module)
        if inside
    )
    assert late == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_400_lines(module):
    assert len(MODULES[module].read_text().splitlines()) <= 400


def test_the_checker_sees_a_forbidden_arrow_and_a_cycle(monkeypatch):
    """The rules above can fail: a model importing the workflow is both wrong and a cycle."""
    graph = {m: set(t) for m, t in GRAPH.items()}
    graph["models.case_study"].add("review.workflow")
    monkeypatch.setattr(f"{__name__}.GRAPH", graph)
    assert layer("review.workflow") not in ALLOWED[layer("models.case_study")]
    assert _cycle() is not None
