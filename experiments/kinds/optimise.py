"""``govsim optimise``: the best split of a fixed leadership budget (:mod:`experiments.optimise`).

An adaptive kind: nothing is planned up front; :meth:`Optimise.run` proposes candidates
generation by generation through the shared executor, and its report reads every stored run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sim.params import Params

from ..execute import ExecutionSummary, ExperimentPaths
from ..optimise import OptimiseSettings, analyse_optimise, run_optimise
from ..spec import Experiment
from .base import Echo, ExperimentKind, register_kind


@register_kind
class Optimise(ExperimentKind):
    """Differential evolution (or a Pareto lattice) over the split of ``strategy.budget``."""

    name = "optimise"
    order = 50
    settings_key = "optimise"
    Settings = OptimiseSettings
    tags = ("phase", "candidate")
    help = "best split of a fixed leadership budget across the four levers (and the Pareto front)"
    description = (
        "Find the split of strategy.budget over the ideological, political, organizational and "
        "smart levers (strategy.name=budgeted) that maximises participation, consensus or a "
        "weighted pair (experiment.optimise.objective), with SciPy's differential evolution on "
        "common random numbers; objective=pareto reports the participation–consensus trade-off "
        "front. The winners are replicated on fresh seeds before they are reported."
    )
    examples = """
        govsim optimise                                 # participation, budget 1
        govsim optimise experiment.optimise.objective=consensus
        govsim optimise experiment.optimise.objective=pareto experiment.optimise.budget=1.5
    """

    def count_points(self, exp: Mapping[str, Any]) -> int | None:
        """Differential evolution over the lever simplex: popsize × 3 per generation, + 6."""
        o = exp.get("optimise") or {}
        return int(o.get("popsize", 8)) * 3 * (int(o.get("maxiter", 10)) + 1) + 6

    def settings(self, raw: Mapping[str, Any], base: Params) -> Any:
        """Checked with the experiment (defaults depend on its seeds): :meth:`experiment`."""
        return None

    def experiment(
        self,
        exp: Mapping[str, Any],
        base: Params,
        steps: int,
        *,
        scenario: str = "",
        scenario_params: Callable[[str], Params] | None = None,
        known_keys: Sequence[str] = (),
    ) -> Experiment:
        """The shared settings, then ``experiment.optimise`` (:class:`OptimiseSettings`)."""
        e = super().experiment(
            exp,
            base,
            steps,
            scenario=scenario,
            scenario_params=scenario_params,
            known_keys=known_keys,
        )
        e.kind_settings = OptimiseSettings(e)
        return e

    def load(self, paths: ExperimentPaths) -> Experiment:
        """The stored experiment with its :class:`OptimiseSettings`."""
        e = super().load(paths)
        e.kind_settings = OptimiseSettings(e)
        return e

    def run(
        self,
        e: Experiment,
        paths: ExperimentPaths,
        *,
        launcher: Sequence[str] = (),
        progress: bool | str = "auto",
        echo: Echo = print,
    ) -> ExecutionSummary:
        """Search generation by generation, then validate on fresh seeds."""
        return run_optimise(e, paths, launcher=launcher, progress=progress, echo=echo)

    def body(self, e: Experiment, paths: ExperimentPaths) -> tuple[list[str], int, int]:
        """Candidates, the winners on fresh seeds, the front — from every stored run."""
        return analyse_optimise(e, paths)
