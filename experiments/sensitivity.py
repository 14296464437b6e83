"""Global sensitivity analysis pipelines on top of SALib, with tidy outputs and plots.

Each pipeline is two steps with the runs in between: sample a design (an ``(n, k)`` array of
parameter rows, columns in the order of ``problem["names"]``), run it — the sensitivity kind
(:mod:`experiments.kinds.sensitivity`) executes the whole design in parallel and resumably
through the result store — and compute the indices from the ``(n,)`` or ``(n, m)`` outputs
(array or DataFrame of ``m`` outputs, rows in design order, every value finite).

* Sobol' / Saltelli: :func:`sobol_sample`, then :func:`sobol_indices` (tidy first- and
  total-order indices, and the second-order ones on request). Sampling is
  :func:`SALib.sample.sobol.sample` -- Saltelli's cross-sampling scheme built on a scrambled
  Sobol' sequence -- and estimation is :func:`SALib.analyze.sobol.analyze` (Saltelli et al.
  2010 estimators for S1 and ST, Saltelli 2002 for S2, bootstrap confidence half-widths).
* Morris elementary effects: :func:`morris_sample`, then :func:`morris_indices`
  (:func:`SALib.sample.morris.sample` and :func:`SALib.analyze.morris.analyze`; mu* of
  Campolongo et al. 2007).
* :func:`plot_sobol` and :func:`plot_morris` return :class:`matplotlib.figure.Figure` objects
  drawn on the non-interactive Agg canvas; nothing touches ``pyplot`` state or shows windows.

Seeds: one ``seed`` drives both the design and the bootstrap of the confidence intervals, via
independent :class:`numpy.random.SeedSequence` children, so results are reproducible and never
depend on NumPy's global random state.

References:
    Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical models and their
        Monte Carlo estimates. Mathematics and Computers in Simulation 55, 271-280.
    Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
        Computer Physics Communications 145, 280-297.
    Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S. (2010).
        Variance based sensitivity analysis of model output. Design and estimator for the total
        sensitivity index. Computer Physics Communications 181, 259-270.
    Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
        Technometrics 33(2), 161-174.
    Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening design for
        sensitivity analysis of large models. Environmental Modelling & Software 22, 1509-1518.
    Garcia Sanchez, D., Lacarrière, B., Musy, M., Bourges, B. (2014). Application of sensitivity
        analysis in building energy simulations: combining first- and second-order elementary
        effects methods. Energy and Buildings 68, 741-750 (the sigma/mu* reference lines).
    Herman, J., Usher, W. (2017). SALib: an open-source Python library for sensitivity
        analysis. Journal of Open Source Software 2(9), 97.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from SALib.analyze import morris as morris_analyzer
from SALib.analyze import sobol as sobol_analyzer
from SALib.sample import morris as morris_sampler
from SALib.sample import sobol as sobol_sampler

__all__ = [
    "Categorical",
    "design_frame",
    "level_index",
    "make_problem",
    "morris_indices",
    "morris_sample",
    "plot_morris",
    "plot_sobol",
    "rows_to_params",
    "sobol_indices",
    "sobol_sample",
]

log = logging.getLogger(__name__)

Problem = Mapping[str, Any]
Seed = int | np.random.SeedSequence | None


# --------------------------------------------------------------------------------------------
# Problem helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Categorical:
    """A categorical factor (structural uncertainty, e.g. which opinion rule): its levels.

    SALib samples it as a uniform unit variable u ∈ [0, 1]; u maps to level ⌊u·L⌋ (the last
    level at u = 1), so under Sobol' sampling each of the L levels has probability 1/L, and
    its indices measure how much of the output variance the choice of level explains. In a
    Morris design the grid {0, 1/(p−1), …, 1} is balanced over the levels and every step
    changes the level only when p is a multiple of L (checked by :func:`morris_sample`).
    """

    levels: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.levels) < 2 or len(set(map(repr, self.levels))) != len(self.levels):
            raise ValueError(
                f"a categorical factor needs two or more distinct levels: {self.levels!r}"
            )


def level_index(u: Any, n_levels: int) -> np.ndarray:
    """Level of unit value(s) ``u`` for a factor of ``n_levels`` levels: ⌊u·L⌋, clipped."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    return np.minimum((u * n_levels).astype(np.int64), n_levels - 1)


def make_problem(bounds: Mapping[str, tuple[float, float] | Categorical]) -> dict[str, Any]:
    """Build a SALib problem dict from ``{name: (low, high)}`` (uniform marginals).

    Args:
        bounds: Ordered mapping of parameter names to finite bounds with ``low < high``, or to
            a :class:`Categorical` (sampled on [0, 1] and decoded by :func:`design_frame`).

    Returns:
        ``{"num_vars": k, "names": [...], "bounds": [[low, high], ...]}``, plus
        ``"categorical": {name: [levels]}`` when there are categorical factors.
    """
    names = list(bounds)
    rows = []
    categorical: dict[str, list[Any]] = {}
    for name in names:
        if isinstance(bounds[name], Categorical):
            categorical[name] = list(bounds[name].levels)
            rows.append([0.0, 1.0])
            continue
        lo, hi = (float(v) for v in bounds[name])
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"invalid bounds for {name!r}: {(lo, hi)}")
        rows.append([lo, hi])
    problem: dict[str, Any] = {"num_vars": len(names), "names": names, "bounds": rows}
    if categorical:
        problem["categorical"] = categorical
    return problem


def _salib(problem: Problem) -> dict[str, Any]:
    """The problem as SALib expects it (without the categorical levels)."""
    return {k: v for k, v in problem.items() if k != "categorical"}


def design_frame(problem: Problem, X: np.ndarray) -> pd.DataFrame:
    """The design rows as parameter values: numeric columns as sampled, categorical factors
    decoded to their levels (:class:`Categorical`)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    df = pd.DataFrame(X, columns=list(problem["names"]))
    for name, levels in (problem.get("categorical") or {}).items():
        idx = level_index(df[name].to_numpy(), len(levels))
        df[name] = pd.Series([levels[i] for i in idx], dtype=object)
    return df


def rows_to_params(
    X: np.ndarray, names: Sequence[str], base: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Turn design rows into parameter dicts (``base`` updated with the row's values).

    Args:
        X: ``(n, k)`` design matrix.
        names: The ``k`` parameter names, in column order (``problem["names"]``).
        base: Fixed parameters shared by all runs.

    Returns:
        One dict per row, with Python floats.
    """
    X = np.atleast_2d(np.asarray(X, dtype=float))
    if X.shape[1] != len(names):
        raise ValueError(f"X has {X.shape[1]} columns but {len(names)} names were given")
    fixed = dict(base or {})
    return [{**fixed, **dict(zip(names, map(float, row), strict=True))} for row in X]


def _factor_names(problem: Problem) -> list[str]:
    groups = problem.get("groups")
    if groups:
        return list(dict.fromkeys(groups))
    return list(problem["names"])


def _child_seeds(seed: Seed) -> tuple[int, int]:
    """Two independent, non-zero 32-bit seeds (SALib's Sobol' analyzer ignores ``seed=0``)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    a, b = ss.spawn(2)
    return int(a.generate_state(1)[0]) + 1, int(b.generate_state(1)[0]) + 1


def _output_names(names: Sequence[str] | None, m: int) -> list[str]:
    if names is None:
        return ["y"] if m == 1 else [f"y{j}" for j in range(m)]
    names = list(names)
    if len(names) != m:
        raise ValueError(f"{len(names)} output names for {m} outputs")
    return names


def _as_2d_outputs(Y: np.ndarray | pd.DataFrame | pd.Series, names: Sequence[str] | None):
    """``Y`` as an ``(n, m)`` float array with its output names; every value finite."""
    if isinstance(Y, pd.DataFrame) and names is None:
        names = [str(c) for c in Y.columns]
    elif isinstance(Y, pd.Series) and names is None and Y.name is not None:
        names = [str(Y.name)]
    arr = np.asarray(Y, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"outputs must have shape (n,) or (n, m), got {arr.shape}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise ValueError(
            f"outputs are non-finite in {int(bad.sum())} of {arr.shape[0]} rows; "
            "impute or re-run failed runs before the analysis"
        )
    return arr, _output_names(names, arr.shape[1])


# --------------------------------------------------------------------------------------------
# Sobol'
# --------------------------------------------------------------------------------------------


def sobol_sample(
    problem: Problem,
    n_base: int,
    *,
    calc_second_order: bool = False,
    seed: Seed = None,
    scramble: bool = True,
) -> np.ndarray:
    """Saltelli design on a scrambled Sobol' sequence (:func:`SALib.sample.sobol.sample`).

    Args:
        problem: SALib problem dict.
        n_base: Base sample size N, a power of two (Sobol' balance properties; SciPy warns
            otherwise). The design has ``N (k + 2)`` rows, or ``N (2k + 2)`` with second order.
        calc_second_order: Whether the design must support second-order indices.
        seed: Seed for the scrambling (see module docstring).
        scramble: Owen scrambling of the Sobol' sequence (recommended).

    Returns:
        The design matrix, columns in ``problem["names"]`` order.
    """
    n_base = int(n_base)
    if n_base < 2 or n_base & (n_base - 1):
        raise ValueError(f"n_base must be a power of two >= 2, got {n_base}")
    sample_seed, _ = _child_seeds(seed)
    return sobol_sampler.sample(
        _salib(problem),
        n_base,
        calc_second_order=calc_second_order,
        scramble=scramble,
        seed=sample_seed,
    )


def sobol_indices(
    problem: Problem,
    Y: np.ndarray | pd.DataFrame | pd.Series,
    *,
    calc_second_order: bool = False,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    seed: Seed = None,
    output_names: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Sobol' indices of each output column from outputs of a :func:`sobol_sample` design.

    Constant outputs have no variance to apportion: their indices are NaN (with a logged
    warning) instead of SALib's division-by-zero warnings.

    Args:
        problem: SALib problem dict used for the design.
        Y: ``(n,)`` or ``(n, m)`` outputs, rows in design order.
        calc_second_order: Must match the design.
        num_resamples: Bootstrap resamples for the confidence half-widths.
        conf_level: Confidence level of the half-widths.
        seed: Seed for the bootstrap (the same ``seed`` as for sampling is fine).
        output_names: Names of the outputs (default: DataFrame columns, or ``y``/``y0..``).

    Returns:
        ``(indices, second_order)`` tidy frames; ``second_order`` is None unless requested.
    """
    arr, names = _as_2d_outputs(Y, output_names)
    params = _factor_names(problem)
    _, analyze_seed = _child_seeds(seed)
    first_rows: list[dict[str, Any]] = []
    second_rows: list[dict[str, Any]] = []
    for j, out in enumerate(names):
        y = arr[:, j]
        if np.ptp(y) == 0.0:
            log.warning("output %r is constant; its Sobol' indices are undefined (NaN)", out)
            nan = math.nan
            res = {key: np.full(len(params), nan) for key in ("S1", "S1_conf", "ST", "ST_conf")}
            res["S2"] = res["S2_conf"] = np.full((len(params), len(params)), nan)
        else:
            res = sobol_analyzer.analyze(
                _salib(problem),
                y,
                calc_second_order=calc_second_order,
                num_resamples=num_resamples,
                conf_level=conf_level,
                seed=analyze_seed,
            )
        for i, p in enumerate(params):
            first_rows.append(
                {
                    "output": out,
                    "param": p,
                    "S1": float(res["S1"][i]),
                    "S1_conf": float(res["S1_conf"][i]),
                    "ST": float(res["ST"][i]),
                    "ST_conf": float(res["ST_conf"][i]),
                }
            )
        if calc_second_order:
            for i in range(len(params)):
                for k in range(i + 1, len(params)):
                    second_rows.append(
                        {
                            "output": out,
                            "param_i": params[i],
                            "param_j": params[k],
                            "S2": float(res["S2"][i][k]),
                            "S2_conf": float(res["S2_conf"][i][k]),
                        }
                    )
    indices = pd.DataFrame(
        first_rows, columns=["output", "param", "S1", "S1_conf", "ST", "ST_conf"]
    )
    second = (
        pd.DataFrame(second_rows, columns=["output", "param_i", "param_j", "S2", "S2_conf"])
        if calc_second_order
        else None
    )
    return indices, second


# --------------------------------------------------------------------------------------------
# Morris
# --------------------------------------------------------------------------------------------


def morris_sample(
    problem: Problem,
    trajectories: int,
    levels: int = 4,
    *,
    seed: Seed = None,
    optimal_trajectories: int | None = None,
) -> np.ndarray:
    """Morris (1991) one-at-a-time trajectories (:func:`SALib.sample.morris.sample`).

    Args:
        problem: SALib problem dict.
        trajectories: Number of trajectories r (the candidate pool if
            ``optimal_trajectories`` is given).
        levels: Number of grid levels p (even); the step is ``p / (2 (p - 1))`` of the range.
        seed: Reproducibility seed.
        optimal_trajectories: Keep this many maximally spread trajectories out of
            ``trajectories`` candidates (Campolongo et al. 2007, with Ruano et al. 2012's
            local optimisation).

    Returns:
        The design matrix with ``r (k + 1)`` rows.
    """
    for name, cat in (problem.get("categorical") or {}).items():
        if int(levels) % len(cat):
            raise ValueError(
                f"Morris levels={levels}: the categorical factor {name!r} has {len(cat)} levels; "
                f"choose levels as a multiple of {len(cat)} so that the grid is balanced over "
                "them and every step changes the level"
            )
    sample_seed, _ = _child_seeds(seed)
    return morris_sampler.sample(
        _salib(problem),
        int(trajectories),
        num_levels=int(levels),
        optimal_trajectories=optimal_trajectories,
        seed=sample_seed,
    )


def morris_indices(
    problem: Problem,
    X: np.ndarray,
    Y: np.ndarray | pd.DataFrame | pd.Series,
    levels: int = 4,
    *,
    num_resamples: int = 1000,
    conf_level: float = 0.95,
    seed: Seed = None,
    scaled: bool = False,
    output_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Morris statistics of each output column (:func:`SALib.analyze.morris.analyze`).

    Elementary effects are differences divided by the step in the *unit* hypercube, so mu* is
    in output units per unit of normalised input. ``mu_star_conf`` is a bootstrap CI
    half-width.

    Returns:
        Tidy DataFrame ``output, param, mu, mu_star, mu_star_conf, sigma``.
    """
    arr, names = _as_2d_outputs(Y, output_names)
    X = np.asarray(X, dtype=float)
    _, analyze_seed = _child_seeds(seed)
    rows: list[dict[str, Any]] = []
    for j, out in enumerate(names):
        res = morris_analyzer.analyze(
            _salib(problem),
            X,
            np.ascontiguousarray(arr[:, j]),
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=int(levels),
            seed=analyze_seed,
            scaled=scaled,
        )
        for i, p in enumerate(res["names"]):
            rows.append(
                {
                    "output": out,
                    "param": str(p),
                    "mu": float(res["mu"][i]),
                    "mu_star": float(res["mu_star"][i]),
                    "mu_star_conf": float(res["mu_star_conf"][i]),
                    "sigma": float(res["sigma"][i]),
                }
            )
    return pd.DataFrame(rows, columns=["output", "param", "mu", "mu_star", "mu_star_conf", "sigma"])


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


def _new_figure(n_panels: int, panel_size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    ncols = min(n_panels, 3)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)  # headless Agg canvas: savefig works, nothing is ever shown
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(n_panels)]
    return fig, axes


def _panels(df: pd.DataFrame, output: str | None, ax: Axes | None):
    outputs = list(dict.fromkeys(df["output"])) if "output" in df.columns else [None]
    if output is not None:
        if output not in outputs:
            raise KeyError(f"output {output!r} not in {outputs}")
        outputs = [output]
    if ax is not None:
        if len(outputs) != 1:
            raise ValueError("pass `output=` to draw a multi-output table into one Axes")
        return ax.figure, [ax], outputs
    fig, axes = _new_figure(len(outputs), (max(4.0, 0.7 * df["param"].nunique() + 2), 3.5))
    return fig, axes, outputs


def _select(df: pd.DataFrame, out: str | None) -> pd.DataFrame:
    return df if out is None else df[df["output"] == out]


def plot_sobol(
    indices: pd.DataFrame,
    output: str | None = None,
    ax: Axes | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Grouped bar chart of S1 and ST with their confidence half-widths as error bars.

    Args:
        indices: Output of :func:`sobol_indices`.
        output: Plot only this output (default: one panel per output).
        ax: Draw into this Axes (single output only).
        title: Panel title (default: the output name).

    Returns:
        The figure (Agg canvas; save with ``fig.savefig(path)``).
    """
    fig, axes, outputs = _panels(indices, output, ax)
    width = 0.38
    for a, out in zip(axes, outputs, strict=True):
        d = _select(indices, out)
        x = np.arange(len(d))
        a.bar(x - width / 2, d["S1"], width, yerr=d["S1_conf"], capsize=3, label="S1 (first)")
        a.bar(x + width / 2, d["ST"], width, yerr=d["ST_conf"], capsize=3, label="ST (total)")
        a.axhline(0.0, color="black", linewidth=0.8)
        a.set_xticks(x, [str(p) for p in d["param"]], rotation=30, ha="right")
        a.set_ylabel("Sobol' index")
        a.set_title(title if title is not None else (out or ""))
        a.legend(frameon=False)
    return fig


def plot_morris(
    indices: pd.DataFrame,
    output: str | None = None,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    ratio_lines: Sequence[float] = (0.1, 0.5, 1.0),
    annotate: bool = True,
) -> Figure:
    """mu*-sigma scatter of a Morris screening, with bootstrap error bars on mu*.

    Dashed rays mark sigma/mu* = 0.1, 0.5, 1 (Garcia Sanchez et al. 2014): below 0.1 the effect
    is almost linear, 0.1-0.5 monotonic, 0.5-1 almost monotonic, above 1 non-linear,
    non-monotonic or interacting.

    Args:
        indices: Output of :func:`morris_indices`.
        output: Plot only this output (default: one panel per output).
        ax: Draw into this Axes (single output only).
        title: Panel title (default: the output name).
        ratio_lines: sigma/mu* ratios to draw (empty to omit).
        annotate: Label points with parameter names.

    Returns:
        The figure (Agg canvas).
    """
    fig, axes, outputs = _panels(indices, output, ax)
    for a, out in zip(axes, outputs, strict=True):
        d = _select(indices, out)
        a.errorbar(d["mu_star"], d["sigma"], xerr=d["mu_star_conf"], fmt="o", capsize=3)
        top = float(np.nanmax(np.r_[d["mu_star"] + d["mu_star_conf"], d["sigma"], 0.0]))
        top = top * 1.1 if top > 0 else 1.0
        xs = np.array([0.0, top])
        for r in ratio_lines:
            a.plot(xs, r * xs, linestyle="--", linewidth=0.8, color="grey")
            a.annotate(f"σ/μ*={r:g}", (top, min(r * top, top)), fontsize=7, color="grey")
        if annotate:
            for p, xv, yv in zip(d["param"], d["mu_star"], d["sigma"], strict=True):
                a.annotate(str(p), (xv, yv), textcoords="offset points", xytext=(4, 4))
        a.set_xlim(0.0, top)
        a.set_ylim(0.0, top)
        a.set_xlabel("μ* (mean |elementary effect|)")
        a.set_ylabel("σ (sd of elementary effects)")
        a.set_title(title if title is not None else (out or ""))
    return fig
