"""The registry of experiment kinds: every module of this package, plus entry points.

``KINDS`` maps a kind's name (its ``govsim`` verb and ``experiment.kind``) to its
:class:`~experiments.kinds.base.ExperimentKind`. It is filled on first use: each module of this
package is imported (:mod:`pkgutil`), and so is every entry point of the group ``govsim.kinds``
(kinds in other packages: ``[project.entry-points."govsim.kinds"] mine = "mypkg.kinds"``), and
every module named in the environment variable ``GOVSIM_KINDS`` (comma-separated, e.g. a
researcher's own ``my_kind.py`` on ``PYTHONPATH``).
A module registers its kind with :func:`register_kind`. :func:`load_kinds` imports further
modules (e.g. a researcher's own file) the same way.

**What the command line reads without importing a kind.** ``govsim --help`` and
``govsim <kind> --help`` need only each kind's name, help, description, examples, positional
argument, order and refused overrides. Importing the kinds to get them would load pandas,
SciPy, matplotlib and Mesa (seconds of start-up), so :func:`kind_infos` reads those class
attributes from the source of this package's modules (:mod:`ast`, literal values only) and
imports a module only where they are not literals (a computed help text, a base class defined
elsewhere) and for the kinds of other packages and ``GOVSIM_KINDS``.
``tests/kinds/test_kind_infos.py`` checks that what is read equals the imported classes.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExperimentConfigError

if TYPE_CHECKING:
    from .base import ExperimentKind

__all__ = [
    "KINDS",
    "ExperimentKind",
    "KindInfo",
    "get_kind",
    "kind_infos",
    "load_kinds",
    "ordered",
    "register_kind",
]

#: The entry-point group of kinds defined in other packages.
ENTRY_POINT_GROUP = "govsim.kinds"
#: Environment variable naming more kind modules to import (comma-separated).
ENV_VAR = "GOVSIM_KINDS"

_failed: dict[str, str] = {}
_loaded = False


def __getattr__(name: str) -> Any:
    """``KINDS``, ``ExperimentKind``, ``ordered``, ``register_kind``: from :mod:`.base`, with
    every kind loaded (the first access imports them; ``govsim --help`` never does)."""
    if name in ("KINDS", "ExperimentKind", "ordered", "register_kind"):
        load_kinds()
        from . import base

        value = getattr(base, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _package_modules() -> list[str]:
    return [m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"]


def _extra_modules() -> list[str]:
    return [m.strip() for m in os.environ.get(ENV_VAR, "").split(",") if m.strip()]


def load_kinds(*modules: str) -> dict[str, ExperimentKind]:
    """Import the given modules (default: this package's modules and the entry points).

    A module that fails to import is reported on stderr and skipped (a broken plug-in must
    not break the others); :func:`get_kind` names it when its kind is asked for.
    """
    global _loaded
    from .base import KINDS

    if not modules and _loaded:
        return KINDS
    names = list(modules)
    if not modules:
        _loaded = True
        names = [f"{__name__}.{m}" for m in _package_modules()] + _extra_modules()
    for name in names:
        _load(name, lambda n=name: importlib.import_module(n))
    if not modules:
        for ep in _entry_points():
            _load(f"{ep.name} ({ep.value})", ep.load)
    return KINDS


def _entry_points() -> tuple[metadata.EntryPoint, ...]:
    try:
        return tuple(metadata.entry_points(group=ENTRY_POINT_GROUP))
    except Exception:  # broken package metadata must not stop the CLI
        return ()


def _load(label: str, load: Callable[[], object]) -> None:
    try:
        load()
    except Exception as exc:  # reported, then skipped
        _failed[label] = f"{type(exc).__name__}: {exc}"
        print(f"govsim: warning: experiment kind {label} not loaded: {exc}", file=sys.stderr)


def get_kind(name: str) -> ExperimentKind:
    """The kind called ``name``.

    Raises:
        ExperimentConfigError: No such kind (one line naming the known kinds).
    """
    from .base import ordered

    kinds = load_kinds()
    try:
        return kinds[name]
    except (KeyError, TypeError):
        broken = f"; not loaded: {', '.join(_failed)}" if _failed else ""
        known = ", ".join(k.name for k in ordered(kinds))
        raise ExperimentConfigError(
            f"unknown experiment kind {name!r}; allowed: {known}{broken}"
        ) from None


# --------------------------------------------------------------------------------------------
# What the command line needs of a kind, without importing it
# --------------------------------------------------------------------------------------------

#: The class attributes :class:`KindInfo` holds, with the defaults of ``ExperimentKind``.
INFO_DEFAULTS: dict[str, Any] = {
    "name": "",
    "help": "",
    "description": "",
    "examples": "",
    "config_arg": None,
    "order": 100,
    "refused_overrides": {},
}


@dataclass(frozen=True)
class KindInfo:
    """A kind as the command line lists it (``govsim --help``, ``govsim <kind> --help``).

    Attributes:
        name: The verb (``ExperimentKind.name``).
        help, description, examples, config_arg, order, refused_overrides: The kind's class
            attributes of the same names.
        module: The module that defines the kind (imported when the verb runs).
    """

    name: str
    help: str = ""
    description: str = ""
    examples: str = ""
    config_arg: str | None = None
    order: int = 100
    refused_overrides: Mapping[str, str] = field(default_factory=dict)
    module: str = ""

    @classmethod
    def of(cls, kind: Any, module: str = "") -> KindInfo:
        """The info of an imported kind (class or instance)."""
        values = {k: getattr(kind, k, d) for k, d in INFO_DEFAULTS.items()}
        return cls(**values, module=module or type(kind).__module__)


def _decorated(node: ast.ClassDef) -> bool:
    for d in node.decorator_list:
        if (isinstance(d, ast.Name) and d.id == "register_kind") or (
            isinstance(d, ast.Attribute) and d.attr == "register_kind"
        ):
            return True
    return False


def _class_attrs(node: ast.ClassDef) -> dict[str, Any] | None:
    """The literal class attributes of INFO_DEFAULTS in ``node`` (None: one is not literal)."""
    out: dict[str, Any] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in INFO_DEFAULTS:
            try:
                out[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    return out


def _class_blocks(text: str) -> str | None:
    """The top-level class statements of a module's source (with their decorators), as
    source text: parsing only them is several times faster than parsing the whole module.
    None when the module has none (or a class header this cut cannot handle)."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("class "):
            i += 1
            continue
        start = i
        while start > 0 and lines[start - 1].startswith("@"):
            start -= 1
        j = i + 1
        while j < len(lines) and (not lines[j] or lines[j][0] in " \t#"):
            j += 1
        if j < len(lines) and lines[j][0] in ")]}":
            return None  # a class header over several lines: parse the whole file
        out += lines[start:j]
        i = j
    return "\n".join(out) if out else None


def _read_module(path: Path) -> dict[str, tuple[list[str], dict[str, Any], bool]] | None:
    """Classes of one source file: name → (base names, literal attributes, registered).

    None when the file cannot be read or a class's attributes are not literals."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        blocks = _class_blocks(text)
        tree = ast.parse(text if blocks is None else blocks)
    except SyntaxError:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return None
    classes: dict[str, tuple[list[str], dict[str, Any], bool]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        attrs = _class_attrs(node)
        bases = [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases]
        if attrs is None:
            if _decorated(node):
                return None
            continue
        classes[node.name] = (bases, attrs, _decorated(node))
    return classes


def _static_infos() -> list[KindInfo] | None:
    """The infos of this package's kinds read from their source (None: one needs importing)."""
    here = Path(__file__).parent
    read: dict[str, tuple[str, list[str], dict[str, Any], bool]] = {}
    for mod in _package_modules():
        classes = _read_module(here / f"{mod}.py")
        if classes is None:
            return None
        for cls, (bases, attrs, registered) in classes.items():
            read[cls] = (mod, bases, attrs, registered)

    def resolved(cls: str, seen: tuple[str, ...] = ()) -> dict[str, Any] | None:
        if cls == "ExperimentKind":
            return dict(INFO_DEFAULTS)
        if cls not in read or cls in seen:
            return None  # a base defined elsewhere: import to be sure
        _, bases, attrs, _ = read[cls]
        if len(bases) != 1:
            return None
        inherited = resolved(bases[0], (*seen, cls))
        return None if inherited is None else {**inherited, **attrs}

    infos = []
    for cls, (mod, _, _, registered) in read.items():
        if not registered:
            continue
        values = resolved(cls)
        if values is None or not isinstance(values.get("name"), str) or not values["name"]:
            return None
        infos.append(KindInfo(**values, module=f"{__name__}.{mod}"))
    return infos


def kind_infos() -> list[KindInfo]:
    """Every kind as the command line lists it, in ``govsim --help`` order.

    This package's kinds are read from their source without importing them (see the module
    docstring); where that is not possible, and for the kinds of ``GOVSIM_KINDS`` and of other
    packages' entry points, the modules are imported.
    """
    static = None if _loaded else _static_infos()
    if static is None:
        kinds = load_kinds()
        return sorted((KindInfo.of(k) for k in kinds.values()), key=lambda i: (i.order, i.name))
    infos = list(static)
    extras, eps = _extra_modules(), _entry_points()
    if extras or eps:  # other packages' kinds: imported (their cost is theirs)
        from .base import KINDS

        before = set(KINDS) | {i.name for i in infos}
        for name in extras:
            _load(name, lambda n=name: importlib.import_module(n))
        for ep in eps:
            _load(f"{ep.name} ({ep.value})", ep.load)
        infos += [KindInfo.of(KINDS[n]) for n in KINDS if n not in before]
    return sorted(infos, key=lambda i: (i.order, i.name))
