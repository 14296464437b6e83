"""Reading an experiment's stored rows back as tidy tables, and run-level outcomes.

The store holds one row per run and week. :func:`load_rows` reads it (skipping temp and corrupt
files, dropping a run stored twice by two concurrent launches), and :func:`run_outcomes` turns
it into one row per run with exactly the outcomes of :func:`sim.metrics.summarise`
(``final_<metric>``, ``mean_<metric>`` over weeks 1…T, ``time_to_consensus``), vectorised, and
the steady-state outcomes of :func:`sim.stationarity.steady_state` (``burn_in``, ``stationary``,
``steady_<metric>`` over the weeks after the burn-in).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.metrics import MODEL_METRICS
from sim.stationarity import steady_state

from .store import ResultStore

#: Run-level outcomes of the time to consensus (see :func:`sim.metrics.summarise`).
CONSENSUS_OUTCOMES = ("time_to_consensus", "consensus_reached", "consensus_followup")

__all__ = [
    "CONSENSUS_OUTCOMES",
    "bootstrap_over_time",
    "load_rows",
    "outcome_names",
    "run_outcomes",
]


def load_rows(
    store: ResultStore,
    run_ids: Iterable[str] | None = None,
    stored_as: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """All stored per-week rows (optionally only of ``run_ids``), one copy of each run.

    Args:
        store: The experiment's store.
        run_ids: Runs to read (default: all).
        stored_as: ``{run id: id it is stored under}`` for runs reused from another model
            version (the experiment's manifest, :func:`experiments.dataset.read_manifest`);
            their rows come back under the run id asked for.
    """
    df = store.read_all()
    if df.empty:
        return df
    if run_ids is not None:
        keep = set(run_ids)
        alias = {
            s: r for r, s in (stored_as or {}).items() if s != r and r in keep and s is not None
        }
        if alias:
            df = df.assign(run_id=df["run_id"].map(lambda i: alias.get(i, i)))
        df = df[df["run_id"].isin(keep)]
    df = df.drop_duplicates(["run_id", "step"], keep="first")
    return df.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)


def outcome_names(metrics: Sequence[str] | None = None) -> list[str]:
    """Run-level outcome names: ``final_*``, ``mean_*`` and ``steady_*`` of each metric, the
    time to consensus with its censoring (``time_to_consensus``, ``consensus_reached``,
    ``consensus_followup``), and ``burn_in``, ``stationary`` and ``max_abs_geweke_z``."""
    metrics = list(metrics or MODEL_METRICS)
    return (
        [f"{k}_{m}" for m in metrics for k in ("final", "mean", "steady")]
        + list(CONSENSUS_OUTCOMES)
        + list(STEADY_FLAGS)
    )


#: Run-level stationarity outcomes (:func:`sim.stationarity.steady_state`).
STEADY_FLAGS = ("burn_in", "stationary", "max_abs_geweke_z")


def run_outcomes(rows: pd.DataFrame, keys: Sequence[str] = ()) -> pd.DataFrame:
    """One row per run: ``run_id``, ``keys`` (tags, parameters, seed) and its outcomes.

    Matches :func:`sim.metrics.summarise` on each run's table: ``final_m`` is the last week's
    value, ``mean_m`` the NaN-skipping mean over weeks ≥ 1, ``time_to_consensus`` the first week
    from which the run stays in consensus (the ``consensus`` indicator; NaN if it ends outside:
    censored), ``consensus_reached`` (1/0) and ``consensus_followup`` (the last week).
    """
    metrics = [m for m in MODEL_METRICS if m in rows.columns]
    rows = rows.sort_values(["run_id", "step"], kind="stable")
    g = rows.groupby("run_id", sort=True)
    last = g.tail(1).set_index("run_id")
    cols: dict[str, pd.Series] = {k: last[k] for k in keys}
    later = rows[rows["step"] > 0]
    only0 = set(rows["run_id"]) - set(later["run_id"])
    if only0:
        later = pd.concat([later, rows[rows["run_id"].isin(only0)]])
    means = later.groupby("run_id", sort=True)[metrics].mean()
    for m in metrics:
        cols[f"final_{m}"] = last[m].astype(float)
        cols[f"mean_{m}"] = means[m].reindex(last.index)
    if "consensus" in rows.columns:
        outside = rows[~(rows["consensus"] > 0.5)]
        last_out = outside.groupby("run_id")["step"].max()
        first_step = g["step"].min()
        ttc = (last_out + 1).reindex(last.index).fillna(first_step.reindex(last.index))
        ends_in = last["consensus"] > 0.5
        cols["time_to_consensus"] = ttc.where(ends_in, np.nan).astype(float)
        cols["consensus_reached"] = ends_in.astype(float)
        cols["consensus_followup"] = last["step"].astype(float)
    # Steady state: burn-in, stationarity flag and means over the stationary window, per run.
    steady = pd.DataFrame.from_dict(
        {rid: steady_state(part, metrics=metrics) for rid, part in g},
        orient="index",
    )
    for c in steady.columns:
        cols[c] = steady[c].reindex(last.index).astype(float)
    # all columns at once: inserting ~100 one by one fragments the frame (PerformanceWarning)
    out = pd.DataFrame(cols, index=last.index)
    return out.reset_index()


def bootstrap_over_time(
    rows: pd.DataFrame,
    value_cols: Sequence[str],
    by: Sequence[str] = (),
    level: float = 0.95,
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Percentile-bootstrap CI of the mean over replications, per step (and condition).

    One vectorised :func:`scipy.stats.bootstrap` call per outcome and condition: all weeks are
    resampled together (the same replications for every week, as in a block bootstrap of whole
    runs).

    Returns:
        ``[*by, step, variable, boot_lo, boot_hi]``.
    """
    out = []
    groups = rows.groupby(list(by), sort=True, observed=True) if by else [((), rows)]
    rng = np.random.default_rng(seed)
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        for col in value_cols:
            wide = part.pivot_table(index="run_id", columns="step", values=col, dropna=False)
            steps = wide.columns.to_numpy()
            data = wide.to_numpy(dtype=float)
            lo = np.full(steps.size, np.nan)
            hi = np.full(steps.size, np.nan)
            ok = (np.isfinite(data).all(axis=0)) & (np.ptp(data, axis=0) > 0)
            if data.shape[0] >= 2 and ok.any():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", stats.DegenerateDataWarning)
                    res = stats.bootstrap(
                        (data[:, ok],),
                        np.mean,
                        axis=0,
                        vectorized=True,
                        n_resamples=n_boot,
                        confidence_level=level,
                        method="percentile",
                        rng=rng,
                    )
                lo[ok] = res.confidence_interval.low
                hi[ok] = res.confidence_interval.high
            const = (
                np.isfinite(data).all(axis=0) & (np.ptp(data, axis=0) == 0) & (data.shape[0] > 0)
            )
            if const.any():
                lo[const] = hi[const] = data[0, const]
            frame = pd.DataFrame({"step": steps, "variable": col, "boot_lo": lo, "boot_hi": hi})
            for name, value in zip(by, key, strict=False):
                frame.insert(0, name, value)
            out.append(frame)
    cols = [*by, "step", "variable", "boot_lo", "boot_hi"]
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)
