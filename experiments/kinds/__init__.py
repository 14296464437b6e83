"""The registry of experiment kinds: every module of this package, plus entry points.

``KINDS`` maps a kind's name (its ``govsim`` verb and ``experiment.kind``) to its
:class:`~experiments.kinds.base.ExperimentKind`. It is filled on import: each module of this
package is imported (:mod:`pkgutil`), and so is every entry point of the group ``govsim.kinds``
(kinds in other packages: ``[project.entry-points."govsim.kinds"] mine = "mypkg.kinds"``), and
every module named in the environment variable ``GOVSIM_KINDS`` (comma-separated, e.g. a
researcher's own ``my_kind.py`` on ``PYTHONPATH``).
A module registers its kind with :func:`register_kind`. :func:`load_kinds` imports further
modules (e.g. a researcher's own file) the same way.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Callable
from importlib import metadata

from ..design import ExperimentConfigError
from .base import KINDS, ExperimentKind, ordered, register_kind

__all__ = ["KINDS", "ExperimentKind", "get_kind", "load_kinds", "ordered", "register_kind"]

#: The entry-point group of kinds defined in other packages.
ENTRY_POINT_GROUP = "govsim.kinds"
#: Environment variable naming more kind modules to import (comma-separated).
ENV_VAR = "GOVSIM_KINDS"

_failed: dict[str, str] = {}


def load_kinds(*modules: str) -> dict[str, ExperimentKind]:
    """Import the given modules (default: this package's modules and the entry points).

    A module that fails to import is reported on stderr and skipped (a broken plug-in must
    not break the others); :func:`get_kind` names it when its kind is asked for.
    """
    names = list(modules)
    if not modules:
        names = [f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if m.name != "base"]
        names += [m.strip() for m in os.environ.get(ENV_VAR, "").split(",") if m.strip()]
    for name in names:
        _load(name, lambda n=name: importlib.import_module(n))
    if not modules:
        try:
            eps = metadata.entry_points(group=ENTRY_POINT_GROUP)
        except Exception:  # broken package metadata must not stop the CLI
            eps = ()
        for ep in eps:
            _load(f"{ep.name} ({ep.value})", ep.load)
    return KINDS


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
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        broken = f"; not loaded: {', '.join(_failed)}" if _failed else ""
        known = ", ".join(k.name for k in ordered(KINDS))
        raise ExperimentConfigError(
            f"unknown experiment kind {name!r}; allowed: {known}{broken}"
        ) from None


load_kinds()
