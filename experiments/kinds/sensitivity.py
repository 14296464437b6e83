"""``govsim sensitivity``: global sensitivity with SALib (Sobol' S1/ST, or Morris mu*/sigma)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.params import build_params

from ..design import ExperimentConfigError, param_kind
from ..execute import ExperimentPaths, RunSpec
from ..report import figure, image, md_table, write_table
from ..sensitivity import (
    Categorical,
    design_frame,
    make_problem,
    morris_indices,
    morris_sample,
    plot_morris,
    plot_sobol,
    sobol_indices,
    sobol_sample,
)
from ..spec import Experiment, design_runs, int_setting
from ..tables import run_outcomes
from .base import ExperimentKind, register_kind

__all__ = ["Sensitivity", "SensitivitySettings", "sensitivity_design"]


@dataclass(frozen=True)
class SensitivitySettings:
    """``experiment.sensitivity``.

    Attributes:
        method: ``sobol`` (S1, ST with intervals) or ``morris`` (mu*, sigma).
        params: ``{dotted.name: [lo, hi]}`` (a categorical parameter: the list of its levels).
        n_base: Sobol' base sample N (a power of two); N (k + 2) points.
        second_order: Sobol' second-order indices too (N (2k + 2) points).
        trajectories: Morris trajectories r; r (k + 1) points.
        levels: Morris grid levels.
        outcomes: Outcomes analysed (default: the first four of ``experiment.outcomes``).
    """

    method: str = "sobol"
    params: Mapping[str, Any] = field(default_factory=dict)
    n_base: Any = 32
    second_order: bool = False
    trajectories: Any = 10
    levels: Any = 4
    outcomes: Sequence[str] | None = None


def sensitivity_design(e: Experiment) -> tuple[dict[str, Any], np.ndarray]:
    """The SALib problem and design matrix of a sensitivity analysis."""
    s: SensitivitySettings = e.kind_settings
    method = s.method
    params = s.params or {}
    if not isinstance(params, Mapping) or not params:
        raise ExperimentConfigError(
            "experiment.sensitivity.params: empty; give {dotted.name: [lo, hi]} for two or more "
            "parameters"
        )
    bounds: dict[str, Any] = {}
    for name, b in params.items():
        kind = param_kind(e.base, name)
        if kind in ("str", "bool"):
            bounds[name] = _categorical_factor(e, name, b)
            continue
        if kind not in ("int", "float"):
            raise ExperimentConfigError(
                f"experiment.sensitivity.params.{name}: needs a numeric parameter (or a list of "
                f"levels of a categorical one), it is {kind}"
            )
        try:
            lo, hi = (float(v) for v in (b.values() if isinstance(b, Mapping) else b))
        except (TypeError, ValueError):
            raise ExperimentConfigError(
                f"experiment.sensitivity.params.{name}={b!r}: expected [lo, hi]"
            ) from None
        if not lo < hi:
            raise ExperimentConfigError(
                f"experiment.sensitivity.params.{name}=[{lo:g}, {hi:g}]: need lo < hi"
            )
        bounds[name] = (lo, hi)
    problem = make_problem(bounds)
    seed = np.random.SeedSequence(e.root_seed, spawn_key=(2**31, 3))
    if method == "sobol":
        n = s.n_base
        try:
            X = sobol_sample(problem, n, calc_second_order=bool(s.second_order), seed=seed)
        except ValueError as exc:
            raise ExperimentConfigError(f"experiment.sensitivity.n_base: {exc}") from None
    elif method == "morris":
        r = int_setting("sensitivity.trajectories", s.trajectories, 2)
        levels = int_setting("sensitivity.levels", s.levels, 2)
        try:
            X = morris_sample(problem, r, levels, seed=seed)
        except ValueError as exc:
            raise ExperimentConfigError(f"experiment.sensitivity.levels: {exc}") from None
    else:
        raise ExperimentConfigError(
            f"experiment.sensitivity.method={method!r}: allowed: sobol, morris"
        )
    return problem, X


def _categorical_factor(e: Experiment, name: str, spec: Any) -> Any:
    """A categorical sensitivity factor: a list of two or more distinct, valid levels."""
    if isinstance(spec, str) or not isinstance(spec, Sequence) or len(spec) < 2:
        raise ExperimentConfigError(
            f"experiment.sensitivity.params.{name}={spec!r}: a categorical factor needs a list "
            "of two or more levels, e.g. [deffuant, repulsive, hegselmann_krause]"
        )
    for level in spec:
        try:
            build_params(e.base, {name: level})
        except ValueError as exc:
            raise ExperimentConfigError(f"experiment.sensitivity.params.{name}: {exc}") from None
    try:
        return Categorical(tuple(spec))
    except ValueError as exc:
        raise ExperimentConfigError(f"experiment.sensitivity.params.{name}: {exc}") from None


@register_kind
class Sensitivity(ExperimentKind):
    """Global sensitivity of outcomes to chosen parameters (SALib)."""

    name = "sensitivity"
    order = 40
    settings_key = "sensitivity"
    Settings = SensitivitySettings
    help = "global sensitivity (SALib): Sobol S1/ST with CIs, or Morris mu*/sigma"
    description = (
        "Global sensitivity analysis with SALib over chosen parameters (experiment.sensitivity: "
        "method sobol or morris, params {dotted.name: [lo, hi]}, n_base or trajectories, "
        "outcomes), outcomes averaged over the R replications of each design point; bar chart "
        "(Sobol) or mu*-sigma plot (Morris)."
    )
    examples = """
        govsim sensitivity                              # Sobol, configs/experiment/sensitivity.yaml
        govsim sensitivity experiment=morris_screening
    """

    def count_points(self, exp: Mapping[str, Any]) -> int | None:
        """Morris: r (k + 1); Sobol': N (k + 2), or N (2k + 2) with second-order indices."""
        s = exp.get("sensitivity") or {}
        k = len(s.get("params") or {})
        if s.get("method", "sobol") == "morris":
            return int(s.get("trajectories", 10)) * (k + 1)
        n = int(s.get("n_base", 32))
        return n * (2 * k + 2 if s.get("second_order") else k + 2)

    def plan(self, e: Experiment) -> list[RunSpec]:
        """Every point of the SALib design on every seed (integer parameters rounded)."""
        problem, X = sensitivity_design(e)
        design = design_frame(problem, X)
        for name in problem["names"]:
            if param_kind(e.base, name) == "int":
                design[name] = np.rint(design[name]).astype(np.int64)
        return design_runs(e, design, "design point")

    def analyse(self, e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
        """Sobol' or Morris indices of the outcomes averaged over each point's replications."""
        problem, X = sensitivity_design(e)
        cat = problem.get("categorical") or {}
        s: SensitivitySettings = e.kind_settings
        method = s.method
        runs = run_outcomes(rows, ["point", "seed"])
        outs = [o for o in (s.outcomes or e.outcomes[:4]) if o in runs.columns]
        means = runs.groupby("point")[outs].mean().reindex(range(len(X)))
        missing = int(means.isna().any(axis=1).sum())
        lines = [
            "## Global sensitivity",
            "",
            f"{method.capitalize()} analysis (SALib) over "
            + ", ".join(
                f"`{n}` ∈ {{{', '.join(map(str, cat[n]))}}} (categorical, coded on [0, 1])"
                if n in cat
                else f"`{n}` ∈ [{lo:g}, {hi:g}]"
                for n, (lo, hi) in zip(problem["names"], problem["bounds"], strict=True)
            )
            + f"; {len(X)} design points × {len(e.seeds)} replications, outcomes averaged over "
            "the replications of each point (common random numbers).",
            "",
        ]
        if missing:
            bad = means.isna().any(axis=1)
            lines += [
                f"**{missing} design points have no (finite) outcome** — runs missing or failed, "
                "or an outcome undefined there (NaN); indices need every point. Rerun the command, "
                "or choose outcomes defined everywhere. First incomplete points: "
                f"{list(means.index[bad][:5])}",
                "",
            ]
            return lines
        seed = np.random.SeedSequence(e.root_seed, spawn_key=(2**31, 3))
        second: pd.DataFrame | None = None
        if method == "sobol":
            idx, second = sobol_indices(
                problem,
                means[outs],
                calc_second_order=bool(s.second_order),
                seed=seed,
                conf_level=e.level,
            )
            make = lambda: plot_sobol(idx)  # noqa: E731
            name = "sobol"
            expl = (
                "S1: first-order index (share of output variance due to the parameter alone); "
                f"ST: total index (with all its interactions); `_conf`: {e.level:.0%} bootstrap "
                "half-widths."
            )
        else:
            idx = morris_indices(
                problem, X, means[outs], int(s.levels), seed=seed, conf_level=e.level
            )
            make = lambda: plot_morris(idx)  # noqa: E731
            name = "morris"
            expl = (
                "μ*: mean absolute elementary effect (overall influence, per unit of the "
                "normalised range); σ: spread of the effects (non-linearity or interactions)."
            )
        write_table(idx, paths.tables / "indices")
        path = figure(make, paths.figures / f"{name}.png")
        out = [*lines, expl, "", md_table(idx), "", image(path, name, paths.root), ""]
        if second is not None:
            write_table(second, paths.tables / "indices_second_order")
            out += [
                "### Second-order indices",
                "",
                "S2: share of output variance due to the interaction of two parameters (beyond "
                f"their first-order effects); `S2_conf`: {e.level:.0%} bootstrap half-widths. "
                "Table: `tables/indices_second_order.csv`.",
                "",
                md_table(second),
                "",
            ]
        return out
