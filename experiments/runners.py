"""Run an experiment of any registered kind: validate, plan, execute resumably, report.

:func:`experiment_from_config` validates an ``experiment`` config node for a kind
(:func:`experiments.kinds.get_kind`), :func:`plan_runs` lists its runs, and
:func:`run_experiment` writes ``results/<name>/experiment.json``, executes the runs that are
not stored yet (:meth:`ExperimentKind.run <experiments.kinds.base.ExperimentKind.run>`) and
then writes the tables, figures and ``report.md`` from the store alone
(:func:`experiments.analysis.analyse`, which ``govsim report`` calls on its own).
Nothing here knows a kind by name: the kinds are plug-ins (:mod:`experiments.kinds`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.params import Params

from .analysis import analyse as analyse_folder
from .dataset import experiment_lock
from .design import ExperimentConfigError
from .execute import ExecutionSummary, ExperimentPaths, RunSpec
from .kinds import KINDS, get_kind
from .spec import (
    DEFAULT_OUTCOMES,
    Experiment,
    execute_runs,
    load_experiment,
    write_spec,
)

__all__ = [
    "DEFAULT_OUTCOMES",
    "KINDS",
    "Experiment",
    "ExperimentConfigError",
    "execute_runs",
    "experiment_from_config",
    "known_keys",
    "load_experiment",
    "plan_runs",
    "run_experiment",
    "write_spec",
]


def known_keys() -> set[str]:
    """Every top-level ``experiment`` setting some registered kind reads."""
    return {key for kind in KINDS.values() for key in kind.own_keys()}


def experiment_from_config(
    kind: str,
    exp: Mapping[str, Any],
    base: Params,
    steps: int,
    *,
    scenario: str = "",
    scenario_params: Callable[[str], Params] | None = None,
) -> Experiment:
    """Validate an ``experiment`` config node for the kind called ``kind``.

    Args:
        kind: A registered kind (:data:`experiments.kinds.KINDS`).
        exp: The ``experiment`` node as plain data.
        base: The base parameters (the composed scenario with the command-line overrides).
        steps: Weeks per run.
        scenario: The base scenario's name (for the report).
        scenario_params: ``name -> Params`` composing a scenario preset (with the command-line
            overrides on top): the conditions of a compare given as ``scenarios: [...]``, the
            community types of a study.

    Raises:
        ExperimentConfigError: One line naming the setting, the value and what is allowed.
    """
    return get_kind(kind).experiment(
        exp,
        base,
        steps,
        scenario=scenario,
        scenario_params=scenario_params,
        known_keys=sorted(known_keys()),
    )


def plan_runs(e: Experiment) -> list[RunSpec]:
    """Every run of an experiment known before it starts, validated, in a deterministic order."""
    return get_kind(e.kind).plan(e)


def run_experiment(
    e: Experiment,
    results_dir: Path | str,
    *,
    launcher: Sequence[str] = (),
    progress: bool | str = "auto",
    echo: Callable[[str], None] | None = print,
    analyse: bool = True,
) -> tuple[ExecutionSummary, Path]:
    """Plan, run (resumably) and analyse an experiment.

    Returns:
        ``(summary, experiment folder)``; ``summary.ok`` is False when runs failed or were not
        run (the analysis then covers the runs that are stored).
    """
    kind = get_kind(e.kind)
    paths = ExperimentPaths(Path(results_dir) / e.name)
    if echo is not None and e.work is not None and (e.work.large() or e.work.too_large()):
        echo(e.work.line())
    # One launch at a time per experiment folder: a second one waits, then skips what the
    # first stored (experiments.dataset.experiment_lock).
    with experiment_lock(paths.root, echo=echo):
        summary = kind.run(e, paths, launcher=launcher, progress=progress, echo=echo)
        if analyse:
            analyse_folder(paths.root, echo=echo)
    return summary, paths.root
