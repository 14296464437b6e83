"""Tables, figures and the Markdown report of an experiment — from its stored results alone.

:func:`analyse` reads ``results/<name>/experiment.json`` and the rows in ``parts/`` (nothing is
simulated) and has the experiment's kind (:func:`experiments.kinds.get_kind`) (re)write::

    tables/   CSV (and Parquet / Markdown) tables of the experiment's kind
    figures/  PNG figures
    report.md the page that ties them together

``govsim report results/<name>`` is this function; every verb calls it after its runs. The
helpers the kinds share are in :mod:`experiments.report`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .execute import ExperimentPaths
from .kinds import get_kind
from .kinds.compare import compare_table
from .report import md_table
from .spec import load_experiment

__all__ = ["analyse", "compare_table", "md_table", "stored_kind"]


def stored_kind(root: Path | str) -> str:
    """The kind recorded in ``root/experiment.json``.

    Raises:
        ExperimentConfigError: ``root`` is not an experiment folder.
    """
    paths = ExperimentPaths(Path(root))
    if not paths.spec.is_file():
        load_experiment(paths.root)  # raises the one-line "not an experiment folder" error
    return str(json.loads(paths.spec.read_text(encoding="utf-8")).get("kind"))


def analyse(root: Path | str, *, echo: Callable[[str], None] | None = print) -> Path:
    """(Re)write the tables, figures and ``report.md`` of the experiment in ``root``.

    Only stored results are read; nothing is simulated.

    Returns:
        Path of ``report.md``.

    Raises:
        ExperimentConfigError: ``root`` is not an experiment folder, or its kind is unknown.
    """
    return get_kind(stored_kind(root)).report(Path(root), echo=echo)
