"""``govsim study <name>``: a study of hypotheses as paired comparisons (:mod:`experiments.study`).

The study's domain logic (spec, plan of the arms, verdicts, report) lives in
:mod:`experiments.study` and :mod:`experiments.claims`; this module makes it a kind: the config
is named on the command line (``govsim study source-claims``), every community type is composed
by the ``scenario_params`` the caller passes down, and the runs go through the shared executor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.params import Params

from ..design import ExperimentConfigError
from ..execute import ExecutionSummary, ExperimentPaths, RunSpec, execute
from ..provenance import provenance
from ..spec import Experiment
from ..store import atomic_write_bytes
from ..study import StudyPlan, analyse_study, plan_study, spec_from_config, spec_json
from .base import Echo, ExperimentKind, register_kind


@register_kind
class Study(ExperimentKind):
    """Hypotheses, each a paired comparison in each of its community types."""

    name = "study"
    order = 70
    config_arg = "study"
    Settings = StudyPlan
    tags = ("community", "arm_of")
    help = "the source's claims as hypotheses: paired comparisons, a verdict each"
    description = (
        "Run a study (configs/experiment/<study>.yaml, kind: study): every hypothesis is a "
        "paired comparison of a treatment and a control on common random numbers in each of its "
        "community types (scenario presets); verdicts are Holm-corrected across the study and "
        "written with effect sizes, confidence intervals and figures to "
        "results/<study>/report.md. Resumable like any sweep: rerun the same command."
    )
    examples = """
        govsim study source-claims
        govsim study source-claims experiment.replications=10 population.n_residents=500
        govsim study source-claims hydra.launcher.n_jobs=16
    """

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
        """The study's spec and plan (its own settings: :func:`experiments.study.spec_from_config`).

        ``scenario_params`` composes each community type (a scenario preset with the study's
        and the command line's overrides).
        """
        if scenario_params is None:
            raise ExperimentConfigError("a study needs the scenario presets (scenario_params)")
        spec = spec_from_config(exp, steps)
        plan = plan_study(spec, scenario_params)
        return Experiment(
            kind=self.name,
            name=spec.name,
            base=Params(),
            steps=spec.steps,
            seeds=list(plan.seeds),
            root_seed=spec.root_seed,
            settings=dict(exp),
            description=str(exp.get("description") or ""),
            work=plan.work,
            kind_settings=plan,
        )

    def plan(self, e: Experiment) -> list[RunSpec]:
        """The distinct runs of every arm (an arm two hypotheses share runs once)."""
        return list(e.kind_settings.runs)

    def announce(self, e: Experiment, folder: Path) -> str:
        """Hypotheses, arms and distinct runs."""
        plan: StudyPlan = e.kind_settings
        spec = plan.spec
        n_res = plan.runs[0].overrides.get("population.n_residents", "default")
        return (
            f"govsim study: {spec.name} — {len(spec.hypotheses)} hypotheses, {len(plan.arms)} "
            f"arms, {len(plan.runs)} distinct runs ({spec.replications} seeds, {spec.steps} "
            f"weeks, {n_res} residents) → {folder}"
        )

    def run(
        self,
        e: Experiment,
        paths: ExperimentPaths,
        *,
        launcher: Sequence[str] = (),
        progress: bool | str = "auto",
        echo: Echo = print,
    ) -> ExecutionSummary:
        """Every missing run through the shared executor; ``experiment.json`` holds the arms."""
        plan: StudyPlan = e.kind_settings

        def write_spec() -> None:
            data = {**spec_json(plan), "provenance": provenance(experiment=plan.spec.name)}
            atomic_write_bytes(json.dumps(data, indent=1, default=str).encode("utf-8"), paths.spec)

        return execute(
            plan.spec.name,
            paths,
            Params(),
            plan.spec.steps,
            plan.runs,
            launcher=launcher,
            progress=progress,
            echo=echo,
            on_model_change=plan.spec.on_model_change,
            before_launch=write_spec,
        )

    def report(self, root: Path | str, *, echo: Echo = print) -> Path:
        """Verdicts, comparisons and figures from the stored runs alone."""
        return analyse_study(root, echo=echo)
