"""Scenario discovery: in which community contexts does a claim hold, and where does it fail?

``govsim discover`` (config ``configs/experiment/discover.yaml``) does two things:

1. **A hypothesis across sampled contexts.** Community contexts are drawn as a Latin hypercube
   (:func:`experiments.design.lhs_design`) over the uncertain parameters
   (``experiment.discover.params: {dotted.name: [lo, hi]}``). In every context the hypothesis's
   paired comparison runs — treatment and control on the same ``R`` replicate seeds (common
   random numbers) — and the context is labelled from the direction-signed mean paired
   difference of one outcome (:func:`label_contexts`): the claim **holds** there when that
   effect exceeds ``experiment.discover.threshold`` (``rule: mean``), or when the lower bound
   of its confidence interval does (``rule: lower``, stricter).
2. **Any stored sweep or sensitivity experiment** (``experiment.discover.source=<folder>``):
   its design points are the cases, and a point is *of interest* when the mean over its
   replications of ``experiment.discover.outcome`` lies above (or below) the threshold
   (:func:`cases_from_experiment`).

The conditions under which the cases of interest occur are then found with

* **PRIM**, the Patient Rule Induction Method (Friedman & Fisher 1999), in the implementation
  of the EMA workbench (Kwakkel 2017, :mod:`ema_workbench.analysis.prim`), as in scenario
  discovery (Bryant & Lempert 2010): a box (limits on a few parameters) is peeled from the
  whole space; each box has a *coverage* (share of all cases of interest inside it) and a
  *density* (share of the cases inside it that are of interest). The peeling trajectory is the
  trade-off between the two; the box reported is the one of highest coverage among those of
  density ≥ ``prim.threshold`` (:func:`find_boxes`);
* a **CART** classification tree (Breiman et al. 1984;
  :class:`sklearn.tree.DecisionTreeClassifier`), or a regression tree of the effect itself
  (``tree.target: effect``) (:func:`fit_tree`).

Both need the optional extra ``pip install govsim[discover]`` (ema_workbench, scikit-learn);
without it the command stops in one line before any run.

For the study report: ``tables/holds_share.csv`` (:func:`holds_share`) holds the share of
contexts in which the claim holds, with its Clopper–Pearson interval.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from scipy import stats

from sim.params import Params, flatten

from ..claims import Hypothesis
from ..dataset import read_manifest
from ..design import ExperimentConfigError, lhs_design, param_kind, validate_points
from ..execute import ExecutionSummary, ExperimentPaths, RunSpec, make_runs
from ..posterior import draw_posterior, draw_summary, read_posterior
from ..report import figure, fmt_limits, image, md_table, write_table
from ..spec import Experiment, write_spec
from ..stats import paired_compare
from ..store import atomic_write_bytes
from ..study import spec_from_config
from ..tables import load_rows, outcome_names, run_outcomes
from .base import KINDS, ExperimentKind, register_kind

__all__ = [
    "ARMS",
    "BoxResult",
    "PrimSettings",
    "TreeResult",
    "TreeSettings",
    "box_table",
    "cases_from_runs",
    "find_boxes",
    "fit_tree",
    "holds_share",
    "label_contexts",
    "plan_contexts",
    "plot_cases",
    "plot_trajectory",
    "plot_tree",
    "sample_contexts",
]

#: The two arms of a hypothesis's paired comparison, in planning order.
ARMS = ("treatment", "control")
RULES = ("mean", "lower")


# --------------------------------------------------------------------------------------------
# Optional dependencies
# --------------------------------------------------------------------------------------------


def _need(module: str) -> Any:
    """Import an optional dependency of scenario discovery, or stop in one line."""
    import importlib

    try:
        with warnings.catch_warnings():
            # ema_workbench warns at import about optional parallel back ends it does not need.
            warnings.simplefilter("ignore")
            return importlib.import_module(module)
    except ImportError:
        raise ExperimentConfigError(
            f"scenario discovery needs {module.split('.')[0]}: pip install 'govsim[discover]' "
            "(ema_workbench for PRIM, scikit-learn for CART)"
        ) from None


def check_dependencies() -> None:
    """Raise :class:`ExperimentConfigError` in one line unless PRIM and CART are importable."""
    _need("sklearn.tree")
    _need("ema_workbench.analysis.prim")


# --------------------------------------------------------------------------------------------
# Contexts and their runs
# --------------------------------------------------------------------------------------------


def sample_contexts(
    base: Params, params: Mapping[str, Any], n: int, root_seed: int
) -> pd.DataFrame:
    """``n`` community contexts: a Latin hypercube over ``params`` (``{name: [lo, hi]}``).

    Drawn from a stream of ``root_seed`` independent of the replicate seeds
    (:func:`experiments.design.lhs_design`), so the same settings give the same contexts.

    Raises:
        ExperimentConfigError: An unknown or non-numeric parameter, bad bounds, ``n < 2``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ExperimentConfigError(
            f"experiment.discover.contexts={n!r}: expected an integer ≥ 2 (contexts to sample)"
        )
    try:
        return lhs_design(base, params, n, root_seed)
    except ExperimentConfigError as exc:
        raise ExperimentConfigError(f"experiment.discover.params: {exc}") from None


def plan_contexts(
    base: Params,
    contexts: pd.DataFrame,
    hypothesis: Hypothesis,
    seeds: Sequence[int],
    steps: int,
) -> list[RunSpec]:
    """Every run of a discovery: (context × arm) × replicate seed, context-major.

    A context's parameters are set first and the arm's overrides on top; a parameter that both
    a context and an arm set is refused (the arm would silently undo the context). Both arms of
    every context run on the same seeds (common random numbers).

    Returns:
        Run specs tagged ``context`` (row of ``contexts``), ``arm`` and ``replicate``.

    Raises:
        ExperimentConfigError: A clash, or a context/arm the engine refuses (one line).
    """
    for arm in ARMS:
        ov = getattr(hypothesis, arm)
        clash = sorted(set(ov) & set(contexts.columns))
        if clash:
            raise ExperimentConfigError(
                f"experiment.discover.params.{clash[0]}: the {arm} of {hypothesis.name} sets it "
                "too; sample only parameters the comparison leaves alone"
            )
    points: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    for i, row in enumerate(contexts.to_dict("records")):
        ctx = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for arm in ARMS:
            points.append({**ctx, **dict(getattr(hypothesis, arm))})
            tags.append({"context": i, "arm": arm})
    params = validate_points(base, points, "context × arm")
    return make_runs(base, points, params, seeds, steps, tags)


def _signed(direction: str) -> float:
    return 1.0 if direction == "increase" else -1.0


def label_contexts(
    runs: pd.DataFrame,
    plan: Sequence[RunSpec],
    contexts: pd.DataFrame,
    outcome: str,
    direction: str,
    threshold: float,
    *,
    rule: str = "mean",
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per context: its parameters, the paired effect and whether the claim holds.

    The *effect* is the mean over replicate seeds of the paired difference treatment − control
    of ``outcome``, times +1 when the hypothesis expects an increase and −1 for a decrease, so a
    positive effect always goes the claimed way; ``effect_lo``/``effect_hi`` is its Student-t
    interval at ``level`` (:func:`experiments.stats.paired_compare`).

    The claim **holds** in a context when ``effect > threshold`` (``rule="mean"``) or when
    ``effect_lo > threshold`` (``rule="lower"``: the whole interval beyond the threshold).
    Contexts with fewer than two complete pairs get no label (``holds`` is missing). Where
    ``runs`` has the ``stationary`` flag (:func:`sim.stationarity.steady_state`), the column
    ``stationary`` is the share of the context's runs that reached their steady state.

    Args:
        runs: One row per run with ``run_id`` and ``outcome``
            (:func:`experiments.tables.run_outcomes`).
        plan: The runs planned (:func:`plan_contexts`): their tags say context, arm, replicate.
        contexts: The sampled contexts (one row each).
        outcome: Run-level outcome compared.
        direction: ``"increase"`` or ``"decrease"`` (what the claim expects).
        threshold: Smallest effect, in the outcome's units, that counts as the claim holding.
        rule: ``"mean"`` or ``"lower"``.
        level: Confidence level of the effect's interval.
    """
    if rule not in RULES:
        raise ExperimentConfigError(
            f"experiment.discover.rule={rule!r}: allowed: {', '.join(RULES)}"
        )
    value = runs.set_index("run_id")[outcome] if len(runs) else pd.Series(dtype=float)
    steady = runs.set_index("run_id")["stationary"] if "stationary" in runs.columns else None
    ids: dict[tuple[int, str, int], str] = {
        (int(r.tags["context"]), str(r.tags["arm"]), int(r.tags["replicate"])): r.run_id
        for r in plan
    }
    n_rep = 1 + max((k[2] for k in ids), default=-1)
    sign = _signed(direction)
    recs = []
    for i in range(len(contexts)):
        a, b = [], []
        for rep in range(n_rep):
            t, c = ids.get((i, "treatment", rep)), ids.get((i, "control", rep))
            if t in value.index and c in value.index:
                a.append(float(value.at[t]))
                b.append(float(value.at[c]))
        pair = np.isfinite(a) & np.isfinite(b) if a else np.zeros(0, bool)
        n = int(pair.sum())
        rec: dict[str, Any] = {"context": i, **contexts.iloc[i].to_dict(), "n": n}
        if steady is not None:  # share of the context's runs past their burn-in (Geweke)
            used = [ids.get((i, arm, rep)) for arm in ARMS for rep in range(n_rep)]
            flags = [float(steady.at[u]) for u in used if u in steady.index]
            rec["stationary"] = float(np.nanmean(flags)) if flags else np.nan
        if n >= 2:
            pc = paired_compare(np.asarray(a)[pair], np.asarray(b)[pair], level=level)
            lo, hi = sorted((sign * pc.diff_lo, sign * pc.diff_hi))
            effect = sign * pc.mean_diff
            rec.update(
                treatment=pc.mean_a,
                control=pc.mean_b,
                effect=effect,
                effect_lo=lo,
                effect_hi=hi,
                d_z=sign * pc.d_z,
                p_ttest=pc.p_ttest,
                holds=bool((effect if rule == "mean" else lo) > threshold),
            )
        else:
            rec.update(
                treatment=np.nan,
                control=np.nan,
                effect=np.nan,
                effect_lo=np.nan,
                effect_hi=np.nan,
                d_z=np.nan,
                p_ttest=np.nan,
                holds=pd.NA,
            )
        recs.append(rec)
    out = pd.DataFrame.from_records(recs)
    out["holds"] = out["holds"].astype("boolean")
    return out


def holds_share(
    labels: pd.DataFrame,
    *,
    hypothesis: str = "",
    outcome: str = "",
    direction: str = "",
    threshold: float = math.nan,
    rule: str = "mean",
    level: float = 0.95,
) -> pd.DataFrame:
    """The share of contexts in which the claim holds, with its exact binomial interval.

    One row: ``hypothesis``, ``outcome``, ``direction``, ``threshold``, ``rule``, ``contexts``
    (labelled), ``holds`` (count), ``share``, ``share_lo``, ``share_hi`` (Clopper–Pearson at
    ``level``, :meth:`scipy.stats.binomtest.proportion_ci`), ``mean_effect`` and
    ``median_effect`` over the contexts. This is ``tables/holds_share.csv`` of a discovery,
    the file a study report links for "the share of plausible communities in which it holds".
    The interval covers the sampling of contexts only (the sampled range of each parameter is
    taken as the plausible range), not the labels' own uncertainty.
    """
    known = labels["holds"].dropna().astype(bool)
    n, k = int(len(known)), int(known.sum())
    if n:
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
        lo, hi, share = float(ci.low), float(ci.high), k / n
    else:
        lo = hi = share = math.nan
    eff = labels["effect"].astype(float)
    return pd.DataFrame(
        [
            {
                "hypothesis": hypothesis,
                "outcome": outcome,
                "direction": direction,
                "threshold": float(threshold),
                "rule": rule,
                "contexts": n,
                "holds": k,
                "share": share,
                "share_lo": lo,
                "share_hi": hi,
                "level": level,
                "mean_effect": float(eff.mean()) if eff.notna().any() else math.nan,
                "median_effect": float(eff.median()) if eff.notna().any() else math.nan,
            }
        ]
    )


# --------------------------------------------------------------------------------------------
# Cases from any stored experiment
# --------------------------------------------------------------------------------------------


def cases_from_runs(
    runs: pd.DataFrame,
    plan: Sequence[RunSpec],
    outcome: str,
    threshold: float,
    *,
    above: bool = True,
    params: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One case per design point of a stored experiment: its parameters, the mean outcome over
    its replications, and whether it is *of interest* (mean above — or below — ``threshold``).

    Args:
        runs: One row per run with ``run_id`` and ``outcome``.
        plan: The experiment's planned runs (their ``point`` tags and overrides).
        outcome: The run-level outcome.
        threshold: Cases of interest: mean outcome > threshold (``above``) or < threshold.
        above: Direction of the cases of interest.
        params: Parameters to describe the cases by (default: every parameter that varies
            across the points).

    Raises:
        ExperimentConfigError: The outcome is not stored, or no parameter varies.
    """
    if outcome not in runs.columns:
        raise ExperimentConfigError(
            f"experiment.discover.outcome={outcome!r}: not an outcome of the stored runs"
        )
    value = runs.set_index("run_id")[outcome]
    points: dict[int, dict[str, Any]] = {}
    vals: dict[int, list[float]] = {}
    for r in plan:
        p = int(r.tags.get("point", 0))
        points.setdefault(p, dict(r.overrides))
        if r.run_id in value.index:
            vals.setdefault(p, []).append(float(value.at[r.run_id]))
    x = pd.DataFrame.from_dict(points, orient="index").sort_index()
    names = list(params) if params else [c for c in x.columns if x[c].nunique(dropna=False) > 1]
    missing = [p for p in names if p not in x.columns]
    if missing:
        raise ExperimentConfigError(
            f"experiment.discover.params: {missing[0]!r} is not varied by the source experiment; "
            f"it varies: {', '.join(x.columns) or 'nothing'}"
        )
    if not names:
        raise ExperimentConfigError(
            "experiment.discover.source: no parameter varies across its points (a sweep or "
            "sensitivity experiment is needed)"
        )
    out = x[names].copy()
    out.insert(0, "point", out.index.astype(int))
    out["n"] = [len(vals.get(p, [])) for p in out.index]
    out["mean"] = [float(np.nanmean(vals[p])) if vals.get(p) else np.nan for p in out.index]
    m = out["mean"]
    out["interest"] = (m > threshold if above else m < threshold).astype("boolean")
    out.loc[m.isna(), "interest"] = pd.NA
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# PRIM
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrimSettings:
    """``experiment.discover.prim``: the PRIM search (Friedman & Fisher 1999).

    Attributes:
        threshold: Smallest density a reported box must reach (EMA workbench default 0.8).
        peel_alpha: Share of the points peeled off per step (Friedman & Fisher: 0.05–0.10).
        paste_alpha: Share pasted back per step.
        mass_min: Smallest share of all points a box may hold (the peeling stops there).
        boxes: Boxes to find one after the other (each on the points outside the earlier ones).
    """

    threshold: float = 0.8
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05
    boxes: int = 1

    def __post_init__(self) -> None:
        for name in ("threshold", "peel_alpha", "paste_alpha", "mass_min"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < float(v) < 1:
                raise ExperimentConfigError(
                    f"experiment.discover.prim.{name}={v!r}: expected a number in (0, 1)"
                )
        if isinstance(self.boxes, bool) or not isinstance(self.boxes, int) or self.boxes < 1:
            raise ExperimentConfigError(
                f"experiment.discover.prim.boxes={self.boxes!r}: expected an integer ≥ 1"
            )


@dataclass
class BoxResult:
    """One PRIM box: its peeling trajectory and the box chosen on it.

    Attributes:
        index: 1 for the first box, 2 for the next (found among the points outside box 1), …
        trajectory: One row per box on the trajectory: ``id``, ``coverage``, ``density``,
            ``mass``, ``res_dim`` (restricted dimensions), ``n`` (points inside).
        chosen: Row id of the reported box on the trajectory.
        limits: One row per restricted parameter of the chosen box: ``parameter``, ``lo``,
            ``hi`` (or ``levels`` of a categorical one), and ``qp_lo``/``qp_hi``, the
            quasi-p-values of each limit (Bryant & Lempert 2010: the chance of a limit this good
            by luck; small is good).
        meets_threshold: Whether the chosen box reaches the density threshold (else it is the
            densest box of the trajectory, reported as such).
    """

    index: int
    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    meets_threshold: bool
    stats: dict[str, float] = field(default_factory=dict)


def _prim_frame(x: pd.DataFrame) -> pd.DataFrame:
    out = x.copy()
    for c in out.columns:
        if out[c].dtype == bool:
            out[c] = out[c].astype(int)
        elif not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(str).astype("category")
    return out.reset_index(drop=True)


def find_boxes(x: pd.DataFrame, y: Sequence[bool] | np.ndarray, s: PrimSettings) -> list[BoxResult]:
    """PRIM boxes of the cases of interest ``y`` in the space of parameters ``x``.

    Uses :class:`ema_workbench.analysis.prim.Prim` (lenient objective, the workbench's
    default). On each trajectory the reported box is the one with the highest coverage among
    the boxes with density ≥ ``s.threshold`` (the usual scenario-discovery choice, Bryant &
    Lempert 2010); where none reaches it, the densest box.

    Args:
        x: One row per case, one column per parameter (numeric, bool or categorical).
        y: True for a case of interest.
        s: The search settings.

    Returns:
        Up to ``s.boxes`` boxes (fewer when no case of interest is left outside the earlier
        boxes or a further box would not reach the threshold).
    """
    prim = _need("ema_workbench.analysis.prim")
    y = np.asarray(y, dtype=bool)
    xf = _prim_frame(x)
    if not y.any() or y.all():
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prim.Prim(
            xf,
            y,
            threshold=float(s.threshold),
            peel_alpha=float(s.peel_alpha),
            paste_alpha=float(s.paste_alpha),
            mass_min=float(s.mass_min),
        )
    init = p.box_init
    out: list[BoxResult] = []
    for k in range(1, s.boxes + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.copy()
        if len(traj) <= 1 and k > 1:
            break  # a dump box: nothing more to find
        ok = traj[traj["density"] >= s.threshold]
        if len(ok):
            chosen = int(ok.sort_values(["coverage", "density"], kind="stable").index[-1])
        else:
            chosen = int(traj["density"].astype(float).idxmax())
        meets = bool(traj.loc[chosen, "density"] >= s.threshold)
        if k > 1 and not meets:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box.select(chosen)
            qp = box.qp[chosen] if chosen < len(box.qp) else {}
        lims = box.box_lims[chosen]
        rows = []
        for col in xf.columns:
            lo0, hi0 = init.at[0, col], init.at[1, col]
            lo, hi = lims.at[0, col], lims.at[1, col]
            if isinstance(lo0, set):
                if lo != lo0:
                    rows.append({"parameter": col, "levels": ", ".join(sorted(map(str, lo)))})
                continue
            if lo == lo0 and hi == hi0:
                continue
            q = [np.nan if v is None or v < 0 else float(v) for v in qp.get(col, (None, None))]
            rows.append(
                {
                    "parameter": col,
                    "lo": float(lo) if lo != lo0 else np.nan,
                    "hi": float(hi) if hi != hi0 else np.nan,
                    "qp_lo": q[0] if lo != lo0 else np.nan,
                    "qp_hi": q[1] if hi != hi0 else np.nan,
                }
            )
        limits = pd.DataFrame.from_records(
            rows, columns=["parameter", "lo", "hi", "qp_lo", "qp_hi", "levels"]
        ).dropna(axis=1, how="all")
        row = traj.loc[chosen]
        out.append(
            BoxResult(
                index=k,
                trajectory=traj[["id", "coverage", "density", "mass", "res_dim", "n"]],
                chosen=chosen,
                limits=limits,
                meets_threshold=meets,
                stats={
                    "coverage": float(row["coverage"]),
                    "density": float(row["density"]),
                    "mass": float(row["mass"]),
                    "res_dim": int(row["res_dim"]),
                    "n": int(row["n"]),
                },
            )
        )
        if not meets:
            break
    return out


def box_table(boxes: Sequence[BoxResult], interest: str) -> pd.DataFrame:
    """One row per (box, restricted parameter): the limits and the box's coverage and density."""
    recs = []
    for b in boxes:
        head = {
            "cases": interest,
            "box": b.index,
            "coverage": b.stats["coverage"],
            "density": b.stats["density"],
            "mass": b.stats["mass"],
            "meets_threshold": b.meets_threshold,
        }
        if b.limits.empty:
            recs.append({**head, "parameter": "(no restriction)"})
        for lim in b.limits.to_dict("records"):
            recs.append({**head, **lim})
    return pd.DataFrame.from_records(recs)


# --------------------------------------------------------------------------------------------
# CART
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeSettings:
    """``experiment.discover.tree``: the CART tree (Breiman et al. 1984).

    Attributes:
        max_depth: Deepest split (small trees are readable conditions).
        min_samples_leaf: Fewest cases in a leaf.
        target: ``label`` (classify holds/fails, or of interest/not) or ``effect`` (regress the
            continuous effect; contexts of a hypothesis only).
    """

    max_depth: int = 3
    min_samples_leaf: int = 5
    target: str = "label"

    def __post_init__(self) -> None:
        for name in ("max_depth", "min_samples_leaf"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ExperimentConfigError(
                    f"experiment.discover.tree.{name}={v!r}: expected an integer ≥ 1"
                )
        if self.target not in ("label", "effect"):
            raise ExperimentConfigError(
                f"experiment.discover.tree.target={self.target!r}: allowed: label, effect"
            )


@dataclass
class TreeResult:
    """A fitted tree: its rules as text, its leaves, and the fitted estimator.

    Attributes:
        text: :func:`sklearn.tree.export_text` of the tree.
        leaves: One row per leaf: ``leaf``, ``rule`` (the conditions on its path), ``n`` and,
            for a classification tree, ``interest`` (cases of interest in it), ``density``
            (their share) and ``coverage`` (their share of all cases of interest); for a
            regression tree ``mean`` (mean effect).
        model: The fitted :class:`~sklearn.tree.DecisionTreeClassifier` or regressor.
        features: Its feature names (categorical parameters one-hot encoded).
        accuracy: Share of cases the tree labels right (training data; classification only).
    """

    text: str
    leaves: pd.DataFrame
    model: Any
    features: list[str]
    accuracy: float = math.nan


def _tree_frame(x: pd.DataFrame) -> pd.DataFrame:
    out = x.copy()
    for c in out.columns:
        if out[c].dtype == bool:
            out[c] = out[c].astype(int)
    cats = [c for c in out.columns if not pd.api.types.is_numeric_dtype(out[c])]
    if cats:
        out = pd.get_dummies(out, columns=cats, prefix_sep="=", dtype=int)
    return out.astype(float).reset_index(drop=True)


def fit_tree(
    x: pd.DataFrame, y: Sequence[Any] | np.ndarray, s: TreeSettings, *, seed: int = 0
) -> TreeResult:
    """A CART tree of ``y`` (bool: classification; float: regression) over parameters ``x``.

    Uses scikit-learn's :class:`~sklearn.tree.DecisionTreeClassifier` (Gini impurity) or
    :class:`~sklearn.tree.DecisionTreeRegressor` (squared error), ``random_state=seed`` (ties
    between equally good splits are broken at random).
    """
    tree = _need("sklearn.tree")
    xt = _tree_frame(x)
    yv = np.asarray(y)
    regression = yv.dtype != bool
    cls = tree.DecisionTreeRegressor if regression else tree.DecisionTreeClassifier
    model = cls(
        max_depth=int(s.max_depth), min_samples_leaf=int(s.min_samples_leaf), random_state=seed
    )
    model.fit(xt.to_numpy(), yv.astype(float) if regression else yv)
    names = list(xt.columns)
    text = tree.export_text(model, feature_names=names, decimals=3)
    t = model.tree_
    leaf_of = model.apply(xt.to_numpy())
    rules: dict[int, list[str]] = {}

    def walk(node: int, path: list[str]) -> None:
        if t.children_left[node] == -1:
            rules[node] = path
            return
        name, thr = names[t.feature[node]], float(t.threshold[node])
        walk(int(t.children_left[node]), [*path, f"{name} ≤ {thr:.3g}"])
        walk(int(t.children_right[node]), [*path, f"{name} > {thr:.3g}"])

    walk(0, [])
    total = int(yv.sum()) if not regression else 0
    recs = []
    for node, path in rules.items():
        inside = leaf_of == node
        rec: dict[str, Any] = {
            "leaf": node,
            "rule": " and ".join(path) or "(all cases)",
            "n": int(inside.sum()),
        }
        if regression:
            rec["mean"] = float(yv[inside].mean()) if inside.any() else math.nan
        else:
            k = int(yv[inside].sum())
            rec.update(
                interest=k,
                density=k / int(inside.sum()) if inside.any() else math.nan,
                coverage=k / total if total else math.nan,
            )
        recs.append(rec)
    leaves = pd.DataFrame.from_records(recs)
    sort = "mean" if regression else "density"
    leaves = leaves.sort_values([sort, "n"], ascending=False, kind="stable").reset_index(drop=True)
    acc = math.nan if regression else float((model.predict(xt.to_numpy()) == yv).mean())
    return TreeResult(text=text, leaves=leaves, model=model, features=names, accuracy=acc)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _figure(w: float, h: float) -> Figure:
    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_trajectory(boxes: Sequence[BoxResult], *, title: str = "") -> Figure:
    """PRIM's peeling trajectory: density against coverage of every box peeled, coloured by the
    number of restricted parameters, the reported box ringed (one panel per box)."""
    n = max(1, len(boxes))
    fig = _figure(4.6 * n, 3.8)
    axes = [fig.add_subplot(1, n, i + 1) for i in range(n)]
    for ax, b in zip(axes, boxes, strict=False):
        t = b.trajectory
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18, zorder=2)
        ax.plot(t["coverage"], t["density"], color="0.7", lw=0.8, zorder=1)
        c = t.loc[b.chosen]
        ax.scatter(
            [c["coverage"]], [c["density"]], s=120, facecolors="none", edgecolors="red", zorder=3
        )
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"box {b.index}: coverage {c['coverage']:.2f}, density {c['density']:.2f}")
        fig.colorbar(sc, ax=ax, label="restricted parameters")
    if not boxes:
        axes[0].text(0.5, 0.5, "no box (no case of interest)", ha="center", va="center")
    if title:
        fig.suptitle(title)
    return fig


def plot_tree(result: TreeResult, *, class_names: Sequence[str] = ("no", "yes")) -> Figure:
    """The CART tree drawn by :func:`sklearn.tree.plot_tree` on a headless figure."""
    tree = _need("sklearn.tree")
    depth = max(1, result.model.get_depth())
    leaves = max(2, result.model.get_n_leaves())
    fig = _figure(max(6.0, 2.4 * leaves), 1.9 * (depth + 1))
    ax = fig.add_subplot(1, 1, 1)
    kw: dict[str, Any] = {"feature_names": result.features, "filled": True, "fontsize": 8}
    if hasattr(result.model, "classes_"):
        kw["class_names"] = [class_names[int(bool(c))] for c in result.model.classes_]
        kw["proportion"] = True
    tree.plot_tree(result.model, ax=ax, impurity=False, **kw)
    return fig


def plot_cases(
    x: pd.DataFrame,
    y: Sequence[bool] | np.ndarray,
    box: BoxResult | None,
    *,
    labels: tuple[str, str] = ("not of interest", "of interest"),
    title: str = "",
) -> Figure:
    """The cases over the box's two most restricted numeric parameters (or the first two
    parameters), cases of interest filled, the box's limits drawn."""
    y = np.asarray(y, dtype=bool)
    num = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    dims = [p for p in (box.limits["parameter"].tolist() if box is not None else []) if p in num]
    dims = (dims + [c for c in num if c not in dims])[:2]
    fig = _figure(5.0, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    if not dims:
        ax.text(0.5, 0.5, "no numeric parameter", ha="center", va="center")
        return fig
    xs = x[dims[0]].astype(float).to_numpy()
    ys = x[dims[1]].astype(float).to_numpy() if len(dims) > 1 else np.zeros(len(x))
    ax.scatter(xs[~y], ys[~y], marker="o", facecolors="none", edgecolors="0.4", label=labels[0])
    ax.scatter(xs[y], ys[y], marker="o", color="tab:red", label=labels[1])
    if box is not None:
        lim = box.limits.set_index("parameter") if len(box.limits) else pd.DataFrame()

        def bounds(d: str, v: np.ndarray) -> tuple[float, float]:
            lo = lim["lo"].get(d, np.nan) if "lo" in lim else np.nan
            hi = lim["hi"].get(d, np.nan) if "hi" in lim else np.nan
            lo = float(np.nanmin(v)) if not np.isfinite(lo) else float(lo)
            hi = float(np.nanmax(v)) if not np.isfinite(hi) else float(hi)
            return lo, hi

        x0, x1 = bounds(dims[0], xs)
        y0, y1 = bounds(dims[1], ys) if len(dims) > 1 else (-0.5, 0.5)
        ax.add_patch(
            Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="tab:blue", lw=1.5)
        )
    ax.set_xlabel(dims[0])
    ax.set_ylabel(dims[1] if len(dims) > 1 else "")
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def check_param_bounds(base: Params, params: Any) -> dict[str, tuple[float, float]]:
    """``experiment.discover.params`` as ``{name: (lo, hi)}`` of numeric schema parameters."""
    if not isinstance(params, Mapping) or not params:
        raise ExperimentConfigError(
            "experiment.discover.params: expected {dotted.name: [lo, hi]} for one or more "
            "uncertain parameters, e.g. {needs.capacity_per_1000: [7, 28]}"
        )
    out = {}
    for name, b in params.items():
        kind = param_kind(base, str(name))
        if kind not in ("int", "float"):
            raise ExperimentConfigError(
                f"experiment.discover.params.{name}: contexts are sampled over numeric "
                f"parameters, {name} is {kind}"
            )
        try:
            lo, hi = (float(v) for v in (b.values() if isinstance(b, Mapping) else b))
        except (TypeError, ValueError):
            raise ExperimentConfigError(
                f"experiment.discover.params.{name}={b!r}: expected [lo, hi]"
            ) from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ExperimentConfigError(
                f"experiment.discover.params.{name}=[{lo:g}, {hi:g}]: need finite lo < hi"
            )
        out[str(name)] = (lo, hi)
    return out


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

#: Keys of ``experiment.discover``.
SETTING_KEYS = (
    "above",
    "claims",
    "comparison",
    "contexts",
    "hypothesis",
    "outcome",
    "posterior",
    "params",
    "prim",
    "rule",
    "source",
    "threshold",
    "tree",
)


@dataclass(frozen=True)
class DiscoverSettings:
    """The validated ``experiment.discover`` block.

    Attributes:
        params: Uncertain parameters ``{name: (lo, hi)}`` the contexts are sampled over
            (hypothesis mode), or those describing a source experiment's points (empty: every
            parameter it varies).
        contexts: Contexts to sample (hypothesis mode).
        hypothesis: The paired comparison run in every context (None in source mode).
        outcome: The outcome labelled (default: the hypothesis's primary outcome).
        direction: What the claim expects of it (``increase`` / ``decrease``).
        threshold: Smallest effect (hypothesis mode, direction-signed, outcome units) that
            counts as the claim holding — unset: the study's smallest effect size of interest
            of the outcome's metric (``sesoi`` of the claims), else 0; in source mode the
            outcome's cut-off (required).
        rule: ``mean`` or ``lower`` (:func:`label_contexts`).
        source: A stored experiment folder (source mode), or None.
        posterior: A ``govsim calibrate`` folder (hypothesis mode): context ``i`` starts from
            posterior draw ``i`` (the calibrated parameters become dimensions of the discovery,
            with the posterior's joint distribution), the Latin hypercube on top; or None.
        above: Source mode: cases of interest lie above the threshold (else below).
        prim: PRIM settings.
        tree: CART settings.
    """

    params: dict[str, tuple[float, float]]
    contexts: int
    hypothesis: Hypothesis | None
    outcome: str
    direction: str
    threshold: float
    rule: str = "mean"
    source: str | None = None
    posterior: str | None = None
    above: bool = True
    prim: PrimSettings = field(default_factory=PrimSettings)
    tree: TreeSettings = field(default_factory=TreeSettings)


def _sub(cls: type, raw: Any, key: str) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, Mapping):
        raise ExperimentConfigError(f"experiment.discover.{key}={raw!r}: expected a mapping")
    names = list(cls.__dataclass_fields__)
    bad = sorted(set(raw) - set(names))
    if bad:
        raise ExperimentConfigError(
            f"experiment.discover.{key}.{bad[0]}: unknown setting; allowed: {', '.join(names)}"
        )
    return cls(**{k: v for k, v in raw.items() if v is not None})


def _number(key: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise ExperimentConfigError(f"experiment.discover.{key}={v!r}: expected a finite number")
    return float(v)


def _hypothesis(raw: Mapping[str, Any]) -> tuple[Hypothesis, Mapping[str, float]]:
    """The hypothesis named by ``hypothesis`` in ``claims`` (a study config), or ``comparison``,
    and the study's smallest effect sizes of interest per metric (empty where it has none)."""
    name, claims, comp = raw.get("hypothesis"), raw.get("claims"), raw.get("comparison")
    if comp is not None:
        if name is not None:
            raise ExperimentConfigError(
                "experiment.discover: give either hypothesis (a claim of the study in "
                "experiment.discover.claims) or comparison, not both"
            )
        if not isinstance(comp, Mapping):
            raise ExperimentConfigError(
                f"experiment.discover.comparison={comp!r}: expected {{treatment: {{…}}, "
                "control: {…}, outcomes: {outcome: increase|decrease}}"
            )
        comp = {"title": "the paired comparison of experiment.discover.comparison", **comp}
        claims, name = {"hypotheses": {"comparison": comp}}, "comparison"
    if name is None:
        raise ExperimentConfigError(
            "experiment.discover.hypothesis: not set; name a hypothesis of the study "
            "(e.g. experiment.discover.hypothesis=H3_serving_needs), give "
            "experiment.discover.comparison, or experiment.discover.source=<experiment folder>"
        )
    if not isinstance(claims, Mapping):
        raise ExperimentConfigError(
            "experiment.discover.claims: expected the study config whose hypotheses are offered "
            "(configs/experiment/discover.yaml composes source_claims there)"
        )
    try:
        spec = spec_from_config({**dict(claims), "replications": 2}, 1)
    except ExperimentConfigError as exc:
        raise ExperimentConfigError(f"experiment.discover.claims: {exc}") from None
    hyps = {h.name: h for h in spec.hypotheses}
    if str(name) not in hyps:
        raise ExperimentConfigError(
            f"experiment.discover.hypothesis={name!r}: not a hypothesis of the study; "
            f"allowed: {', '.join(hyps)}"
        )
    return hyps[str(name)], dict(getattr(spec, "sesoi", None) or {})


def _metric(outcome: str) -> str:
    """The metric a run-level outcome summarises (``steady_mean_trust`` → ``mean_trust``)."""
    for pre in ("final_", "mean_", "steady_", "transient_"):
        if outcome.startswith(pre):
            return outcome[len(pre) :]
    return outcome


def discover_settings(raw: Mapping[str, Any], base: Params) -> DiscoverSettings:
    """Validate ``experiment.discover`` (one line naming the setting on any error).

    Raises:
        ExperimentConfigError: A bad or unread setting.
    """
    if not isinstance(raw, Mapping):
        raise ExperimentConfigError(f"experiment.discover={raw!r}: expected a mapping")
    bad = sorted(set(raw) - set(SETTING_KEYS))
    if bad:
        raise ExperimentConfigError(
            f"experiment.discover.{bad[0]}: unknown setting; allowed: {', '.join(SETTING_KEYS)}"
        )
    prim = _sub(PrimSettings, raw.get("prim"), "prim")
    tree = _sub(TreeSettings, raw.get("tree"), "tree")
    rule = raw.get("rule", "mean")
    if rule not in RULES:
        raise ExperimentConfigError(
            f"experiment.discover.rule={rule!r}: allowed: mean (the mean effect beyond the "
            "threshold), lower (the lower confidence bound beyond it)"
        )
    source = raw.get("source")
    if source is not None:
        unread = [
            k for k in ("hypothesis", "comparison", "contexts", "rule", "posterior") if k in raw
        ]
        if unread:
            raise ExperimentConfigError(
                f"experiment.discover.{unread[0]}: not read with experiment.discover.source "
                "(the cases are the source experiment's design points)"
            )
        if tree.target == "effect":
            raise ExperimentConfigError(
                "experiment.discover.tree.target=effect: only for a hypothesis's contexts; "
                "with a source experiment use label"
            )
        outcome = raw.get("outcome")
        if outcome not in outcome_names():
            raise ExperimentConfigError(
                f"experiment.discover.outcome={outcome!r}: name a run-level outcome of the "
                "source experiment (final_<metric>, mean_<metric>, steady_<metric>, …)"
            )
        if "threshold" not in raw:
            raise ExperimentConfigError(
                "experiment.discover.threshold: not set; the cut-off that makes a design point "
                "a case of interest (with experiment.discover.above=true|false)"
            )
        above = raw.get("above", True)
        if not isinstance(above, bool):
            raise ExperimentConfigError(
                f"experiment.discover.above={above!r}: expected true or false"
            )
        names = raw.get("params") or []
        if isinstance(names, Mapping):
            names = list(names)
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise ExperimentConfigError(
                f"experiment.discover.params={names!r}: with a source, a list of its varied "
                "parameters (or empty: all of them)"
            )
        return DiscoverSettings(
            params={str(n): (math.nan, math.nan) for n in names},
            contexts=0,
            hypothesis=None,
            outcome=str(outcome),
            direction="above" if above else "below",
            threshold=_number("threshold", raw["threshold"]),
            source=str(source),
            above=above,
            prim=prim,
            tree=tree,
        )
    if "above" in raw:
        raise ExperimentConfigError(
            "experiment.discover.above: only read with experiment.discover.source (a "
            "hypothesis's direction says which way its claim goes)"
        )
    h, sesoi = _hypothesis(raw)
    outcome = raw.get("outcome") or h.primary
    if outcome not in h.outcomes:
        raise ExperimentConfigError(
            f"experiment.discover.outcome={outcome!r}: not an outcome of {h.name}; allowed: "
            f"{', '.join(h.outcomes)}"
        )
    n = raw.get("contexts", 0)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ExperimentConfigError(
            f"experiment.discover.contexts={n!r}: expected an integer ≥ 2 (contexts to sample)"
        )
    params = check_param_bounds(base, raw.get("params"))
    posterior = raw.get("posterior")
    calibrated: list[str] = []
    if posterior is not None:
        if not isinstance(posterior, str | Path):
            raise ExperimentConfigError(
                f"experiment.discover.posterior={posterior!r}: expected the folder of a govsim "
                "calibrate run (e.g. results/calibrate)"
            )
        known = flatten(base)
        calibrated = [c for c in read_posterior(posterior).columns if c in known]
        both = sorted(set(calibrated) & set(params))
        if both:
            raise ExperimentConfigError(
                f"experiment.discover.params.{both[0]}: also calibrated in "
                f"{posterior}; take it from the posterior or from the Latin hypercube, not both"
            )
    for arm in ARMS:
        clash = sorted(set(getattr(h, arm)) & set(params))
        if clash:
            raise ExperimentConfigError(
                f"experiment.discover.params.{clash[0]}: the {arm} of {h.name} sets it too; "
                "sample only parameters the comparison leaves alone"
            )
        clash = sorted(set(getattr(h, arm)) & set(calibrated))
        if clash:
            raise ExperimentConfigError(
                f"experiment.discover.posterior: {clash[0]} is calibrated there and the {arm} "
                f"of {h.name} sets it too; discover over a comparison that leaves it alone"
            )
    return DiscoverSettings(
        params=params,
        contexts=int(n),
        hypothesis=h,
        outcome=str(outcome),
        direction=h.outcomes[outcome],
        threshold=(
            _number("threshold", raw["threshold"])
            if raw.get("threshold") is not None
            else float(sesoi.get(_metric(str(outcome)), 0.0))
        ),
        rule=str(rule),
        posterior=None if posterior is None else str(posterior),
        prim=prim,
        tree=tree,
    )


# --------------------------------------------------------------------------------------------
# Tables, figures and the report body
# --------------------------------------------------------------------------------------------


def discovery_body(
    root: Any,
    x: pd.DataFrame,
    y: pd.Series,
    s: DiscoverSettings,
    *,
    names: tuple[str, str],
    effect: pd.Series | None = None,
    seed: int = 0,
) -> list[str]:
    """Run PRIM (for each class present) and CART on the labelled cases; write their tables
    and figures under ``root`` (an :class:`~experiments.execute.ExperimentPaths`); return the
    Markdown of the report's discovery sections.

    Args:
        root: The experiment's paths (``tables/``, ``figures/``).
        x: The cases' parameters.
        y: True/False per case (missing: unlabelled, left out).
        s: The settings.
        names: What False and True mean (``("fails", "holds")``, ``("other", "of interest")``).
        effect: The continuous effect per case (regression tree with ``tree.target=effect``).
        seed: Seed of the tree's tie-breaking.
    """
    keep = y.notna().to_numpy()
    x, yb = x.loc[keep].reset_index(drop=True), y[keep].astype(bool).to_numpy()
    lines: list[str] = []
    paths = root
    box_rows, traj_rows = [], []
    for flag, label in ((False, names[0]), (True, names[1])):
        target = yb == flag
        k = int(target.sum())
        lines += [f"## Where the cases “{label}” lie (PRIM)", ""]
        if k == 0 or k == len(yb):
            lines += [
                f"{k} of {len(yb)} cases are “{label}”: no box to find (PRIM needs both kinds).",
                "",
            ]
            continue
        boxes = find_boxes(x, target, s.prim)
        for b in boxes:
            traj_rows.append(b.trajectory.assign(cases=label, box=b.index))
        table = box_table(boxes, label)
        box_rows.append(table)
        slug = label.replace(" ", "_")
        traj = figure(
            lambda boxes=boxes, label=label: plot_trajectory(
                boxes, title=f"PRIM peeling trajectory: cases “{label}”"
            ),
            paths.figures / f"trajectory_{slug}.png",
        )
        cases = figure(
            lambda boxes=boxes, target=target, label=label: plot_cases(
                x, target, boxes[0] if boxes else None, labels=("other", label)
            ),
            paths.figures / f"cases_{slug}.png",
        )
        lines += [
            f"{k} of {len(yb)} cases are “{label}” ({k / len(yb):.0%}). PRIM (peel α "
            f"{s.prim.peel_alpha}, paste α {s.prim.paste_alpha}, smallest box mass "
            f"{s.prim.mass_min}) reports on each peeling trajectory the box of highest coverage "
            f"among those of density ≥ {s.prim.threshold}:",
            "",
        ]
        for b in boxes:
            st = b.stats
            lines.append(
                f"* **box {b.index}**: {fmt_limits(b.limits)} — coverage {st['coverage']:.2f} "
                f"(share of all “{label}” cases inside), density {st['density']:.2f} (share of "
                f"the {st['n']} cases inside that are “{label}”), mass {st['mass']:.2f}"
                + (
                    ""
                    if b.meets_threshold
                    else " — **below the density threshold**: the densest "
                    "box of the trajectory, not a condition"
                )
                + "."
            )
        if boxes:
            lines += ["", md_table(table.drop(columns=["cases"])), ""]
        lines += [
            image(traj, f"trajectory {label}", paths.root),
            "",
            image(cases, f"cases {label}", paths.root),
            "",
        ]
    if box_rows:
        write_table(pd.concat(box_rows, ignore_index=True), paths.tables / "boxes")
    if traj_rows:
        write_table(pd.concat(traj_rows, ignore_index=True), paths.tables / "trajectory")
    regression = s.tree.target == "effect" and effect is not None
    if regression:
        target_y = effect[keep].astype(float).to_numpy()
        ok = np.isfinite(target_y)
        xt, target_y = x.loc[ok].reset_index(drop=True), target_y[ok]
    else:
        xt, target_y = x, yb
    lines += ["## Classification and regression tree (CART)", ""]
    if len(xt) < 2 or (not regression and (yb.all() or not yb.any())):
        lines += ["Too few cases, or only one kind: no tree.", ""]
        return lines
    t = fit_tree(xt, target_y, s.tree, seed=seed)
    write_table(t.leaves, paths.tables / "tree_leaves")
    paths.tables.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(t.text.encode("utf-8"), paths.tables / "tree.txt")
    fig = figure(lambda: plot_tree(t, class_names=names), paths.figures / "tree.png")
    what = (
        "the effect (regression, squared error)"
        if regression
        else f"“{names[1]}” against “{names[0]}” (classification, Gini impurity; training "
        f"accuracy {t.accuracy:.0%})"
    )
    lines += [
        f"A tree of depth ≤ {s.tree.max_depth} with ≥ {s.tree.min_samples_leaf} cases per leaf "
        f"(scikit-learn) splits {what}. Its leaves, "
        + ("by mean effect:" if regression else f"by density of “{names[1]}”:"),
        "",
        md_table(t.leaves),
        "",
        "```text",
        t.text.rstrip(),
        "```",
        "",
        image(fig, "tree", paths.root),
        "",
    ]
    return lines


def plot_effects(labels: pd.DataFrame, params: Sequence[str], *, threshold: float = 0.0) -> Figure:
    """Each context's effect (with its interval) against each sampled parameter; contexts
    where the claim holds filled, the threshold dashed."""
    n = max(1, len(params))
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    fig = _figure(4.2 * ncols, 3.2 * nrows)
    holds = labels["holds"].fillna(False).astype(bool).to_numpy()
    eff = labels["effect"].astype(float).to_numpy()
    err = np.vstack(
        [eff - labels["effect_lo"].astype(float), labels["effect_hi"].astype(float) - eff]
    )
    for i, p in enumerate(params):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        xv = labels[p].astype(float).to_numpy()
        ax.errorbar(xv, eff, yerr=err, fmt="none", ecolor="0.75", lw=0.8, zorder=1)
        ax.scatter(xv[~holds], eff[~holds], facecolors="none", edgecolors="0.3", label="fails")
        ax.scatter(xv[holds], eff[holds], color="tab:green", label="holds")
        ax.axhline(threshold, color="tab:red", ls="--", lw=1)
        ax.set_xlabel(p)
        ax.set_ylabel("effect (claimed direction)")
        if i == 0:
            ax.legend(fontsize=8, loc="best")
    return fig


def _stationarity(runs: pd.DataFrame, plan: Sequence[RunSpec]) -> list[str]:
    """One paragraph: how many runs of each arm reached their steady state."""
    if "stationary" not in runs.columns or runs.empty:
        return []
    flag = runs.set_index("run_id")["stationary"]
    parts = []
    for arm in ARMS:
        ids = {r.run_id for r in plan if r.tags["arm"] == arm} & set(flag.index)
        if ids:
            parts.append(f"{int(flag[list(ids)].sum())} of {len(ids)} {arm} runs")
    return [
        "Steady state (`sim.stationarity`, Geweke): "
        + ", ".join(parts)
        + " passed the stationarity check; a `steady_*` outcome of a run that did not is the "
        "mean after its estimated burn-in and may still drift (column `stationary`: the share "
        "per context). Longer runs (`steps=`) settle more of them.",
        "",
    ]


def _fmt_ov(ov: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in ov.items()) or "(the context as it is)"


def _pct(v: float) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.0f} %"


# --------------------------------------------------------------------------------------------
# The kind
# --------------------------------------------------------------------------------------------


def _posterior_note(s: DiscoverSettings, ctx: pd.DataFrame) -> str:
    if s.posterior is None:
        return ""
    names, distinct = draw_summary(ctx.drop(columns=list(s.params)).to_dict("records"))
    return (
        f", each context starting from a draw (by weight; {distinct} distinct particles) of "
        f"the calibration posterior `{s.posterior}` for {', '.join(f'`{n}`' for n in names)} "
        "— dimensions of the discovery below like the sampled ones"
    )


def _contexts(e: Experiment) -> pd.DataFrame:
    """The contexts: the Latin hypercube, after each context's posterior draw (if any)."""
    s: DiscoverSettings = e.kind_settings
    lhs = sample_contexts(e.base, dict(s.params), s.contexts, e.root_seed)
    if s.posterior is None:
        return lhs
    # a stream of its own (replicate draws use stream 16, the hypercube and seeds others)
    draws = draw_posterior(read_posterior(s.posterior), s.contexts, e.root_seed, stream=17)
    post = pd.DataFrame(draws, index=lhs.index)
    return pd.concat([post, lhs], axis=1)


def _source_cases(e: Experiment, paths: ExperimentPaths) -> tuple[pd.DataFrame, Experiment]:
    """The cases of the stored experiment ``experiment.discover.source``."""
    s: DiscoverSettings = e.kind_settings
    src = ExperimentPaths(Path(str(s.source)))
    if not src.spec.is_file():
        raise ExperimentConfigError(
            f"experiment.discover.source={s.source}: no experiment.json there — not a govsim "
            "experiment folder (a sweep or sensitivity experiment under results/)"
        )
    kind = KINDS.get(str(json.loads(src.spec.read_text(encoding="utf-8")).get("kind")))
    if kind is None:
        raise ExperimentConfigError(
            f"experiment.discover.source={s.source}: an experiment of an unknown kind; "
            f"known: {', '.join(sorted(KINDS))}"
        )
    if kind.name in ("discover", "optimise", "study", "calibrate"):
        raise ExperimentConfigError(
            f"experiment.discover.source={s.source}: a {kind.name} experiment; discovery reads "
            "the design points of a sweep, sensitivity, compare or replicate experiment"
        )
    se = kind.load(src)
    plan = kind.plan(se)
    rows = load_rows(src.store(), {r.run_id for r in plan}, read_manifest(src.root))
    if rows.empty:
        raise ExperimentConfigError(f"experiment.discover.source={s.source}: no stored runs")
    runs = run_outcomes(rows)
    cases = cases_from_runs(
        runs, plan, s.outcome, s.threshold, above=s.above, params=list(s.params) or None
    )
    return cases, se


@register_kind
class Discover(ExperimentKind):
    """``govsim discover``: where a claim holds (contexts × paired comparison), or where the
    cases of interest of a stored sweep lie — PRIM boxes and a CART tree."""

    name = "discover"
    help = "scenario discovery: where a claim holds or fails (PRIM boxes, CART tree)"
    description = (
        "Scenario discovery. With experiment.discover.hypothesis (a claim of the source-claims "
        "study) or .comparison: sample community contexts as a Latin hypercube over "
        "experiment.discover.params ({dotted.name: [lo, hi]}), run the paired comparison "
        "(treatment vs control on the same R seeds) in each, label each context holds/fails "
        "(direction-signed mean effect beyond experiment.discover.threshold), and find the "
        "conditions with PRIM (coverage, density, peeling trajectory) and a CART tree. With "
        "experiment.discover.source=<experiment folder>: the design points of a stored sweep or "
        "sensitivity experiment are the cases, those with experiment.discover.outcome above (or "
        "below) the threshold the cases of interest; nothing is run. Needs pip install "
        "'govsim[discover]'."
    )
    examples = """
        govsim discover                                 # configs/experiment/discover.yaml (H7)
        govsim discover experiment.discover.hypothesis=H1_exemplars experiment.name=discover_h1
        govsim discover experiment.discover.contexts=40 experiment.replications=5
        govsim discover experiment.discover.source=results/lever_lhs \\
            experiment.discover.outcome=final_participation_rate experiment.discover.threshold=0.3
    """
    settings_key = "discover"
    Settings = DiscoverSettings
    tags = ("context", "arm")
    order = 60

    def settings(self, raw: Mapping[str, Any], base: Params) -> DiscoverSettings:
        """Validate ``experiment.discover`` (and that PRIM and CART are installed)."""
        s = discover_settings({k: v for k, v in raw.items() if v is not None}, base)
        check_dependencies()
        return s

    def count_points(self, exp: Mapping[str, Any]) -> int | None:
        """Two arms per context (none with a source experiment)."""
        raw = exp.get("discover") or {}
        if not isinstance(raw, Mapping) or raw.get("source") is not None:
            return None
        n = raw.get("contexts")
        return 2 * n if isinstance(n, int) and not isinstance(n, bool) else None

    def plan(self, e: Experiment) -> list[RunSpec]:
        """Every (context × arm) on the replicate seeds; none with a source experiment."""
        s: DiscoverSettings = e.kind_settings
        if s.source is not None:
            return []
        return plan_contexts(e.base, _contexts(e), s.hypothesis, e.seeds, e.steps)

    def announce(self, e: Experiment, folder: Path) -> str:
        """The line printed before the runs start."""
        s: DiscoverSettings = e.kind_settings
        if s.source is not None:
            return (
                f"govsim discover: {e.name} — the design points of {s.source}, cases of interest "
                f"{s.outcome} {'>' if s.above else '<'} {s.threshold:g} → {folder}"
            )
        return (
            f"govsim discover: {e.name} — {s.hypothesis.name} in {s.contexts} contexts × 2 arms "
            f"× {len(e.seeds)} replications = {2 * s.contexts * len(e.seeds)} runs of "
            f"{e.steps} weeks, {e.base.population.n_residents} residents → {folder}"
        )

    def run(
        self,
        e: Experiment,
        paths: ExperimentPaths,
        *,
        launcher: Sequence[str] = (),
        progress: bool | str = "auto",
        echo: Any = print,
    ) -> ExecutionSummary:
        """Run the contexts resumably (shared executor); with a source: check it, run nothing."""
        s: DiscoverSettings = e.kind_settings
        if s.source is None:
            return super().run(e, paths, launcher=launcher, progress=progress, echo=echo)
        _source_cases(e, paths)  # a bad source fails here, before anything is written
        write_spec(e, paths)
        return ExecutionSummary(
            planned=0, skipped=0, done=0, failed=0, not_run=0, wall_s=0.0, launcher="none"
        )

    def body(self, e: Experiment, paths: ExperimentPaths) -> tuple[list[str], int, int]:
        """The report body; with a source, from the source's stored runs."""
        s: DiscoverSettings = e.kind_settings
        if s.source is None:
            return super().body(e, paths)
        cases, se = _source_cases(e, paths)
        write_table(cases, paths.tables / "cases")
        x = cases.drop(columns=["point", "n", "mean", "interest"])
        names = ("other", "of interest")
        lines = [
            "## Cases",
            "",
            f"The {len(cases)} design points of the {se.kind} experiment `{s.source}` "
            f"({se.name}; {len(se.seeds)} replications per point) are the cases; a point is "
            f"**of interest** when the mean over its replications of `{s.outcome}` is "
            f"{'above' if s.above else 'below'} {s.threshold:g}: "
            f"{int(cases['interest'].sum())} of {int(cases['interest'].notna().sum())}. "
            "Cases: `tables/cases.csv`.",
            "",
        ]
        lines += discovery_body(paths, x, cases["interest"], s, names=names, seed=e.root_seed)
        return lines, 0, 0

    def analyse(self, e: Experiment, paths: ExperimentPaths, rows: pd.DataFrame) -> list[str]:
        """Label the contexts, write the share that holds, find where it holds and fails."""
        s: DiscoverSettings = e.kind_settings
        h = s.hypothesis
        runs = run_outcomes(rows)
        # runs shared by two plan entries come tagged "<run id>#<n>" (tag_from_plan)
        runs["run_id"] = runs["run_id"].str.split("#").str[0]
        runs = runs.drop_duplicates("run_id")
        ctx = _contexts(e)
        plan = self.plan(e)
        labels = label_contexts(
            runs, plan, ctx, s.outcome, s.direction, s.threshold, rule=s.rule, level=e.level
        )
        share = holds_share(
            labels,
            hypothesis=h.name,
            outcome=s.outcome,
            direction=s.direction,
            threshold=s.threshold,
            rule=s.rule,
            level=e.level,
        )
        write_table(labels, paths.tables / "contexts")
        write_table(share, paths.tables / "holds_share")
        r = share.iloc[0]
        bounds = ", ".join(f"`{k}` ∈ [{lo:g}, {hi:g}]" for k, (lo, hi) in s.params.items())
        rule = (
            "the mean effect" if s.rule == "mean" else f"the lower {e.level:.0%} confidence bound"
        )
        fig = figure(
            lambda: plot_effects(labels, list(ctx.columns), threshold=s.threshold),
            paths.figures / "effects.png",
        )
        lines = [
            f"## {h.name} — {h.title}",
            "",
            f"Treatment `{_fmt_ov(h.treatment)}` vs control `{_fmt_ov(h.control)}`, outcome "
            f"`{s.outcome}` (the claim expects it to {s.direction}). {s.contexts} community "
            f"contexts drawn as a Latin hypercube (root seed {e.root_seed}) over {bounds}, on "
            f"the base scenario `{e.scenario}`{_posterior_note(s, ctx)}; in each both arms "
            "run on the same "
            f"{len(e.seeds)} seeds. The *effect* of a context is the mean paired difference "
            "treatment − control, signed so that positive goes the claimed way; the claim "
            f"**holds** in a context when {rule} exceeds {s.threshold:g} (in the outcome's "
            "units), and **fails** otherwise.",
            "",
            f"**The claim holds in {int(r['holds'])} of {int(r['contexts'])} contexts "
            f"({_pct(r['share'])}, {e.level:.0%} Clopper–Pearson interval "
            f"{_pct(r['share_lo'])}–{_pct(r['share_hi'])})**; mean effect "
            f"{r['mean_effect']:.3g}, median {r['median_effect']:.3g}. "
            "(`tables/holds_share.csv`; the interval covers the sampling of contexts, with the "
            "sampled ranges taken as the plausible ones.)",
            "",
            *_stationarity(runs, plan),
            md_table(labels, max_rows=40),
            "",
            image(fig, "effects", paths.root),
            "",
        ]
        x = labels[list(ctx.columns)]
        lines += discovery_body(
            paths,
            x,
            labels["holds"],
            s,
            names=("fails", "holds"),
            effect=labels["effect"],
            seed=e.root_seed,
        )
        return lines
