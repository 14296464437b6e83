"""``govsim optimise``: the best split of a fixed leadership budget across the four levers.

The decision is the split ``w`` (a point of the simplex: four non-negative weights summing to
1) of a total cost ``strategy.budget`` (staff-hours a week per 1,000 residents, the common cost
model :mod:`sim.costs`) under ``strategy.name=budgeted``; each lever gets ``budget × w`` of the
cost (capped at its full cost, the excess redistributed) and the effort that cost buys (see
:class:`sim.strategies.Budgeted`), so every candidate costs the same. Objectives, both in
[0, 1], higher is better:

* ``participation`` — the participation rate (``optimise.participation``, default
  ``final_participation_rate``), mean over the search replications;
* ``consensus`` — ``1 − 4 × opinion variance`` (``optimise.consensus``, default
  ``final_opinion_variance``): 1 when every opinion is equal, 0 at the largest variance an
  opinion on [0, 1] can have (half at 0, half at 1);
* ``weighted`` — ``weight × participation + (1 − weight) × consensus``;
* ``pareto`` — both: the trade-off front.

Single objectives are optimised with :func:`scipy.optimize.differential_evolution` (seeded,
deterministic, ``updating="deferred"`` so that each generation is one batch of runs through the
Hydra launcher; no gradient polishing of a noisy objective) over ``x ∈ [0, 1]³``, mapped onto the
simplex by stick-breaking (uniform on the simplex when ``x`` is uniform). Every candidate is
evaluated on the same search seeds (common random numbers), so candidates differ by their
split, not their luck. Weights are rounded to 3 decimals, which makes repeated proposals reuse
stored runs. For ``pareto`` the simplex lattice with ``pareto_divisions`` steps is evaluated and
its non-dominated points form the front. Because the winner of a noisy search is biased
upward, the best split (or every front point), the equal split and each single lever are then
**replicated on fresh seeds** and reported with confidence intervals; a paired test compares the
best split with the equal split.

Everything is stored as runs (tags ``phase`` = search/validate, ``candidate``, ``generation``),
so an interrupted optimisation resumes: the optimiser is deterministic, proposes the same
candidates again, and finds their runs in the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.costs import COST_UNIT, efforts_cost

from .dataset import read_manifest
from .design import ExperimentConfigError, design_rng, replicate_seeds, validate_points
from .execute import ExecutionSummary, ExperimentPaths, RunSpec, make_runs
from .figures import plot_pareto, save
from .report import fmt, md_table, rel, write_table
from .spec import Experiment, check_outcomes, execute_runs, write_spec
from .stats import mean_ci, paired_compare
from .store import atomic_write_bytes
from .tables import load_rows, run_outcomes

__all__ = [
    "LEVERS",
    "OptimiseSettings",
    "analyse_optimise",
    "pareto_front",
    "run_optimise",
    "simplex",
]

LEVERS = ("ideological", "political", "organizational", "smart")
OBJECTIVES = ("participation", "consensus", "weighted", "pareto")
_PENALTY = 1e6
_COLUMNS = {
    "phase": "string",
    "candidate": "string",
    "generation": "int64",
    "point": "int64",
    "replicate": "int64",
    "strategy.name": "string",
    "strategy.budget": "float64",
    **{f"strategy.{lever}": "float64" for lever in LEVERS},
}


def simplex(x: Sequence[float]) -> np.ndarray:
    """Stick-breaking map of ``x ∈ [0, 1]³`` onto the 4-simplex (uniform → uniform)."""
    u = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    w = np.empty(4)
    rest = 1.0
    for i, k in enumerate((3, 2, 1)):
        w[i] = rest * (1.0 - (1.0 - u[i]) ** (1.0 / k) if k > 1 else u[i])
        rest -= w[i]
    w[3] = max(rest, 0.0)
    return w


def _round_weights(w: np.ndarray) -> tuple[float, ...]:
    r = np.round(np.asarray(w, dtype=float), 3)
    r[int(np.argmax(r))] += round(1.0 - float(r.sum()), 3)
    return tuple(float(round(v, 3)) for v in np.clip(r, 0.0, 1.0))


def _key(w: Sequence[float]) -> str:
    return "/".join(f"{v:.3f}" for v in w)


def _overrides(w: Sequence[float], budget: float) -> dict[str, Any]:
    return {
        "strategy.name": "budgeted",
        "strategy.budget": float(budget),
        **{f"strategy.{lever}": float(v) for lever, v in zip(LEVERS, w, strict=True)},
    }


def pareto_front(df: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Rows not dominated in (``x``, ``y``), both maximised (ties kept once)."""
    d = df.dropna(subset=[x, y]).sort_values([x, y], ascending=[False, False])
    keep, best_y = [], -np.inf
    for idx, row in d.iterrows():
        if row[y] > best_y:
            keep.append(idx)
            best_y = row[y]
    return d.loc[keep].sort_values(x)


class OptimiseSettings:
    """``experiment.optimise``, validated (objective, budget, search and validation sizes)."""

    KEYS = (
        "budget",
        "consensus",
        "maxiter",
        "objective",
        "pareto_divisions",
        "participation",
        "popsize",
        "tol",
        "validation_replications",
        "weight",
    )

    def __init__(self, e: Experiment) -> None:
        o = dict(e.settings.get("optimise") or {})
        unknown = sorted(set(o) - set(self.KEYS))
        if unknown:
            raise ExperimentConfigError(
                f"experiment.optimise.{unknown[0]}: unknown setting; allowed: "
                + ", ".join(self.KEYS)
            )
        self.objective = o.get("objective", "participation")
        if self.objective not in OBJECTIVES:
            raise ExperimentConfigError(
                f"experiment.optimise.objective={self.objective!r}: allowed: "
                + ", ".join(OBJECTIVES)
            )
        self.weight = float(o.get("weight", 0.5))
        if not 0.0 <= self.weight <= 1.0:
            raise ExperimentConfigError(
                f"experiment.optimise.weight={self.weight!r}: expected a number in [0, 1]"
            )
        self.budget = float(o.get("budget", e.base.strategy.budget))
        most = efforts_cost(np.ones(4), e.base)
        if not 0.0 < self.budget <= most:
            raise ExperimentConfigError(
                f"experiment.optimise.budget={self.budget!r}: expected a cost in (0, {most:g}] "
                f"({COST_UNIT}; {most:g} = every lever at full effort)"
            )
        self.popsize = int(o.get("popsize", 8))
        self.maxiter = int(o.get("maxiter", 10))
        self.tol = float(o.get("tol", 0.01))
        self.validation = int(o.get("validation_replications", 2 * len(e.seeds)))
        self.divisions = int(o.get("pareto_divisions", 4))
        self.participation = str(o.get("participation", "final_participation_rate"))
        self.consensus = str(o.get("consensus", "final_opinion_variance"))
        for name, lo in (("popsize", 1), ("maxiter", 0), ("validation", 2), ("divisions", 1)):
            if getattr(self, name) < lo:
                key = "validation_replications" if name == "validation" else name
                if name == "divisions":
                    key = "pareto_divisions"
                raise ExperimentConfigError(
                    f"experiment.optimise.{key}={getattr(self, name)}: must be ≥ {lo}"
                )
        check_outcomes([self.participation], "experiment.optimise.participation")
        check_outcomes([self.consensus], "experiment.optimise.consensus")

    def objectives(self, runs: pd.DataFrame) -> pd.DataFrame:
        out = runs.copy()
        out["participation"] = runs[self.participation].astype(float)
        out["consensus"] = 1.0 - 4.0 * runs[self.consensus].astype(float)
        out["objective"] = self.score(out)
        return out

    def score(self, df: pd.DataFrame) -> pd.Series:
        if self.objective == "participation":
            return df["participation"]
        if self.objective == "consensus":
            return df["consensus"]
        return self.weight * df["participation"] + (1.0 - self.weight) * df["consensus"]


def _validation_seeds(e: Experiment, n: int) -> list[int]:
    # A separate stream of the root seed: never one of the search seeds.
    return replicate_seeds(int(e.root_seed) + 2**40, n)


def _candidate_runs(
    e: Experiment,
    cands: list[tuple[str, tuple[float, ...]]],
    budget: float,
    seeds: list[int],
    phase: str,
    generation: int,
) -> list[RunSpec]:
    points = [_overrides(w, budget) for _, w in cands]
    params = validate_points(e.base, points, "candidate")
    tags = [{"phase": phase, "candidate": label, "generation": generation} for label, _ in cands]
    return make_runs(e.base, points, params, seeds, e.steps, tags)


def run_optimise(
    e: Experiment,
    paths: ExperimentPaths,
    *,
    launcher: Sequence[str] = (),
    progress: bool | str = "auto",
    echo: Callable[[str], None] | None = print,
) -> ExecutionSummary:
    """Search, then validate on fresh seeds; every evaluation goes through the store."""
    from scipy.optimize import differential_evolution

    s = OptimiseSettings(e)
    # Checks stored runs of another model version (refusing in one line, before anything is
    # written) and tidies the store; then experiment.json is written.
    execute_runs(
        e, paths, [], echo=None, full_design=False, before_launch=lambda: write_spec(e, paths)
    )
    store = paths.store()
    total = ExecutionSummary(0, 0, 0, 0, 0, 0.0)
    history: list[dict[str, Any]] = []

    def run(runs: list[RunSpec]) -> pd.DataFrame:
        summ = execute_runs(
            e, paths, runs, launcher=launcher, progress=progress, echo=None, full_design=False
        )
        for k in ("planned", "skipped", "done", "failed", "not_run", "batches"):
            setattr(total, k, getattr(total, k) + getattr(summ, k))
        total.wall_s += summ.wall_s
        total.launcher = summ.launcher
        total.job_errors += summ.job_errors
        total.launch_error = total.launch_error or summ.launch_error
        rows = load_rows(store, {r.run_id for r in runs}, read_manifest(paths.root))
        if rows.empty:
            return pd.DataFrame(columns=["candidate", "objective", "participation", "consensus"])
        return s.objectives(run_outcomes(rows, ["candidate", "seed"]))

    def evaluate(ws: list[tuple[float, ...]], generation: int) -> list[float]:
        cands = [(_key(w), w) for w in ws]
        res = run(_candidate_runs(e, cands, s.budget, e.seeds, "search", generation))
        means = res.groupby("candidate")["objective"].mean() if len(res) else pd.Series()
        vals = [float(means.get(k, np.nan)) for k, _ in cands]
        best = max((v for v in vals if np.isfinite(v)), default=float("nan"))
        history.append({"generation": generation, "evaluated": len(set(ws)), "best": best})
        if echo is not None:
            echo(
                f"  generation {generation}: {len(set(ws))} splits, "
                f"best {s.objective} in this generation {best:.4f}"
            )
        return vals

    result: dict[str, Any] = {"objective": s.objective, "budget": s.budget}
    if s.objective == "pareto":
        k = s.divisions
        lattice = [
            (a / k, b / k, c / k, (k - a - b - c) / k)
            for a in range(k + 1)
            for b in range(k + 1 - a)
            for c in range(k + 1 - a - b)
        ]
        ws = [_round_weights(np.array(w)) for w in lattice]
        evaluate(ws, 0)
        res = _search_table(e, paths, s)
        front = pareto_front(res, "participation", "consensus")
        to_validate = [(f"front-{i}", _weights(r)) for i, (_, r) in enumerate(front.iterrows())]
        result["front"] = [_key(w) for _, w in to_validate]
        result["method"] = f"simplex lattice ({k} divisions, {len(ws)} splits) + non-dominated"
    else:
        gen = {"n": 0}

        def mapper(func: Any, xs: Any) -> list[float]:
            ws = [_round_weights(simplex(x)) for x in xs]
            vals = evaluate(ws, gen["n"])
            gen["n"] += 1
            return [-v if np.isfinite(v) else _PENALTY for v in vals]

        de = differential_evolution(
            _unused,
            bounds=[(0.0, 1.0)] * 3,
            popsize=s.popsize,
            maxiter=s.maxiter,
            tol=s.tol,
            rng=design_rng(e.root_seed, 4),
            polish=False,
            updating="deferred",
            workers=mapper,
            init="latinhypercube",
        )
        best = _round_weights(simplex(de.x))
        result.update(
            method="scipy.optimize.differential_evolution",
            message=str(de.message),
            nit=int(de.nit),
            nfev=int(de.nfev),
            best=_key(best),
            best_objective_search=float(-de.fun),
        )
        to_validate = [("best", best)]
    eq = _round_weights(np.full(4, 0.25))
    to_validate.append(("equal", eq))
    for i, lever in enumerate(LEVERS):
        w = np.zeros(4)
        w[i] = 1.0
        to_validate.append((f"only-{lever}", _round_weights(w)))
    seeds = _validation_seeds(e, s.validation)
    run(_candidate_runs(e, to_validate, s.budget, seeds, "validate", -1))
    result["history"] = history
    result["validation_seeds"] = seeds
    result["validated"] = {label: _key(w) for label, w in to_validate}
    atomic_write_bytes(json.dumps(result, indent=1).encode("utf-8"), paths.root / "optimiser.json")
    if echo is not None:
        echo(total.line(e.name))
        if total.failed:
            echo(f"  {total.failed} failed runs: errors and seeds in {paths.failures}/")
    return total


def _unused(x: np.ndarray) -> float:  # pragma: no cover - the mapper evaluates instead
    raise RuntimeError("evaluated through the workers mapper")


def _weights(row: pd.Series) -> tuple[float, ...]:
    return tuple(float(row[f"strategy.{lever}"]) for lever in LEVERS)


def _search_table(e: Experiment, paths: ExperimentPaths, s: OptimiseSettings) -> pd.DataFrame:
    rows = load_rows(paths.store())
    rows = rows[rows["phase"] == "search"] if len(rows) else rows
    if rows.empty:
        return pd.DataFrame()
    keys = ["candidate", "generation", *[f"strategy.{lever}" for lever in LEVERS]]
    res = s.objectives(run_outcomes(rows, [*keys, "seed"]))
    agg = res.groupby("candidate").agg(
        **{k: (k, "first") for k in keys[1:]},
        n=("seed", "count"),
        participation=("participation", "mean"),
        consensus=("consensus", "mean"),
        objective=("objective", "mean"),
    )
    return agg.reset_index().sort_values("objective", ascending=False, kind="stable")


def analyse_optimise(e: Experiment, paths: ExperimentPaths) -> tuple[list[str], int, int]:
    """Tables, figures and report lines of an optimisation, from the store alone."""
    s = OptimiseSettings(e)
    info_path = paths.root / "optimiser.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    rows = load_rows(paths.store())
    if rows.empty:
        return ["No runs are stored yet: run `govsim optimise` first.", ""], 0, 0
    n_runs = int(rows["run_id"].nunique())
    search = _search_table(e, paths, s)
    write_table(search, paths.tables / "candidates")
    lines = [
        "## Optimisation",
        "",
        f"Objective: **{s.objective}**"
        + (f" (weight {s.weight:g} on participation)" if s.objective == "weighted" else "")
        + f"; budget {s.budget:g} {COST_UNIT} split in cost (`sim.costs`) by "
        "`strategy.name=budgeted` over the four levers, so every candidate costs the same; "
        f"participation = `{s.participation}`, consensus = 1 − 4 × `{s.consensus}`. "
        f"Method: {info.get('method', '?')}"
        + (
            f" — {info.get('message')}, {info.get('nit')} generations, {info.get('nfev')} "
            "candidate evaluations"
            if "nit" in info
            else ""
        )
        + f". Each candidate was run on the same {len(e.seeds)} search seeds. All "
        f"{len(search)} evaluated splits: `tables/candidates.csv`.",
        "",
        "Top splits on the search seeds (weights of ideological / political / organizational / "
        "smart):",
        "",
        md_table(search.head(10)[["candidate", "participation", "consensus", "objective"]]),
        "",
    ]
    val = rows[rows["phase"] == "validate"]
    if len(val):
        vr = s.objectives(run_outcomes(val, ["candidate", "seed"]))
        recs = []
        for label in vr["candidate"].unique():
            d = vr[vr["candidate"] == label]
            rec: dict[str, Any] = {"candidate": label, "n": len(d)}
            for col in ("objective", "participation", "consensus"):
                m, lo, hi = mean_ci(d[col].to_numpy(dtype=float), e.level)
                rec.update({col: m, f"{col}_lo": lo, f"{col}_hi": hi})
            recs.append(rec)
        vt = pd.DataFrame(recs)
        labels = info.get("validated", {})
        vt.insert(1, "split", [labels.get(c, c) for c in vt["candidate"]])
        vt = vt.sort_values("objective", ascending=False)
        write_table(vt, paths.tables / "validation")
        pct = f"{e.level:.0%}"
        show = pd.DataFrame(
            {
                "candidate": vt["candidate"],
                "split (ideol./polit./organ./smart)": vt["split"],
                "n": vt["n"],
                **{
                    f"{c} [{pct} CI]": [
                        f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]"
                        for m, lo, hi in zip(vt[c], vt[f"{c}_lo"], vt[f"{c}_hi"], strict=True)
                    ]
                    for c in ("objective", "participation", "consensus")
                },
            }
        )
        lines += [
            "## Replicated on fresh seeds",
            "",
            f"The selected split(s), the equal split and each lever alone, each on "
            f"{vt['n'].max()} new seeds (none of them used in the search), with {pct} t "
            "intervals. `tables/validation.csv`.",
            "",
            md_table(show),
            "",
        ]
        wide = vr.pivot_table(index="seed", columns="candidate", values="objective")
        if "best" in wide and "equal" in wide:
            pc = paired_compare(wide["best"].to_numpy(), wide["equal"].to_numpy(), e.level)
            lines += [
                f"Best split − equal split on the fresh seeds: {fmt(pc.mean_diff)} "
                f"[{fmt(pc.diff_lo)}, {fmt(pc.diff_hi)}], paired t p = {fmt(pc.p_ttest)}, "
                f"Wilcoxon p = {fmt(pc.p_wilcoxon)}, d_z = {fmt(pc.d_z, 2)}.",
                "",
            ]
        front = pareto_front(search, "participation", "consensus")
        fv = vt.set_index("split")
        for c in ("participation", "consensus"):
            front[f"{c}_val"] = front["candidate"].map(fv[c]) if len(fv) else np.nan
            front[f"{c}_lo"] = front["candidate"].map(fv[f"{c}_lo"]) if len(fv) else np.nan
            front[f"{c}_hi"] = front["candidate"].map(fv[f"{c}_hi"]) if len(fv) else np.nan
        write_table(front, paths.tables / "pareto")
        fig = save(
            plot_pareto(
                search,
                front,
                "participation",
                "consensus",
                title=f"{e.name}: participation vs consensus",
            ),
            paths.figures / "pareto.png",
        )
        lines += [
            "## Trade-off between participation and consensus",
            "",
            "Non-dominated splits among those evaluated (`tables/pareto.csv`); "
            + (
                "validated on fresh seeds where shown with intervals."
                if s.objective == "pareto"
                else "with a single objective the front is a by-product of the search."
            ),
            "",
            md_table(front[["candidate", "participation", "consensus"]]),
            "",
            f"![pareto]({rel(fig, paths.root)})",
            "",
        ]
    n_planned = n_runs
    return lines, n_runs, n_planned
