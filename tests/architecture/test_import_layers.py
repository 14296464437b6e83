"""Layers only point down (sim ← experiments ← govsim), no import cycles between files, and no
first-party imports inside function bodies outside a short, documented allow-list."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("sim", "experiments", "govsim")
#: Which first-party packages each package may import.
ALLOWED = {"sim": {"sim"}, "experiments": {"sim", "experiments"}, "govsim": set(PACKAGES)}
#: Function-body imports of first-party modules that stay: (file, module) → why.
BODY_IMPORTS: dict[tuple[str, str], str] = {
    ("govsim/cli.py", "govsim.runs"): "Mesa (≈1 s): only `govsim run` needs it, not --help/list",
    ("govsim/runs.py", "govsim.plots"): "matplotlib: only for a run that draws plots (plots=true)",
    ("govsim/ui/cli.py", "govsim.ui.assets"): "the UI plugin is imported by every govsim "
    "command; its asset cache only by `govsim ui`",
    ("govsim/ui/cli.py", "govsim.config"): "the UI plugin is imported by every govsim command",
    ("govsim/ui/cli.py", "govsim.ui.classroom.room"): "the UI plugin is imported by every govsim "
    "command; the classroom room (engine, Mesa) only by `govsim ui --classroom`",
    ("experiments/kinds/__init__.py", "experiments.kinds.base"): "the registry's heavy half "
    "(pandas, Mesa through the executor): `govsim --help` reads the kinds' metadata without it",
    ("govsim/commands/experiments.py", "govsim.commands.verbs"): "the experiment layer (pandas, "
    "SciPy, Hydra, Mesa): only when an experiment verb runs, not for `govsim --help`",
    ("sim/strategies.py", "sim.metrics"): "pandas and scipy.fft: `import sim.params` (which the "
    "strategy registry is part of) must stay light for the CLI; only the adaptive strategy reads "
    "metrics mid-run",
}
#: Imports under ``TYPE_CHECKING`` are not counted at all (the mechanisms name the model's type).


def _files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(path: Path, node: ast.ImportFrom | ast.Import) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        pkg = _module_of(path).split(".")
        if path.name != "__init__.py":
            pkg = pkg[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join([*pkg, *([node.module] if node.module else [])])
    # "from pkg import name" imports the submodule pkg.name where there is one, else pkg
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(path: Path):
    """(module imported, in a function body?, under TYPE_CHECKING?, line) of every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def walk(node: ast.AST, in_func: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            f = in_func or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            t = typing_only or (isinstance(child, ast.If) and _type_checking(child))
            if isinstance(child, ast.Import | ast.ImportFrom):
                for mod in _resolve(path, child):
                    out.append((mod, in_func, typing_only, child.lineno))
            walk(child, f, t)

    walk(tree, False, False)
    return out


MODULES = {_module_of(p): p for p in _files()}


def _first_party(mod: str) -> str | None:
    while mod and mod not in MODULES:
        mod = mod.rpartition(".")[0]
    return mod or None


def test_layers_only_point_down() -> None:
    bad = []
    for path in _files():
        top = _module_of(path).split(".")[0]
        for mod, _, _, line in _imports(path):
            target = mod.split(".")[0]
            if target in PACKAGES and target not in ALLOWED[top]:
                bad.append(f"{path.relative_to(REPO)}:{line} imports {mod}")
    assert not bad, "imports that point up:\n" + "\n".join(bad)


def test_no_import_cycles_between_files() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for mod, path in MODULES.items():
        for imp, _in_func, typing_only, _ in _imports(path):
            target = _first_party(imp)
            if target and target != mod and not typing_only:
                graph[mod].add(target)
    # a package's __init__ is imported with each of its modules: not an edge of the module
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if n.startswith(m + "."):
                continue  # a package importing its own submodules
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n) :], n]
                cycles.append(cycle)
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_first_party_imports_in_function_bodies() -> None:
    bad = {}
    for path in _files():
        rel = path.relative_to(REPO).as_posix()
        for mod, in_func, typing_only, line in _imports(path):
            target = _first_party(mod)
            if in_func and not typing_only and target and (rel, target) not in BODY_IMPORTS:
                bad.setdefault((rel, line), f"{rel}:{line} imports {target} inside a function")
    assert not bad, "\n".join(sorted(bad.values()))


def test_the_checks_see_the_imports() -> None:
    """The walker finds what it must (a check that found nothing would pass vacuously)."""
    found = {(mod, f) for mod, f, _, _ in _imports(REPO / "govsim" / "cli.py")}
    assert ("govsim.runs", True) in found and ("govsim.config", False) in found
    kinds = {m for m, _, _, _ in _imports(REPO / "experiments" / "kinds" / "sweep.py")}
    assert "experiments.kinds.base" in kinds and "experiments.spec" in kinds
