"""Burn-in and stationarity of a run's outcomes: is there a steady state, and from when?

Transients are not results. A run's weekly outcomes are a time series; this module finds the
end of the initial transient (the *burn-in*) and checks that what follows is stationary, so
that runners can report steady-state outcomes (``steady_<metric>``: the mean over the
stationary window) beside the transient ones (``mean_<metric>`` over all weeks, ``final_``).

Two standard output-analysis tools of discrete-event simulation, small enough to write out:

* **MSER-5** truncation (White 1997, *Simulation* 69:323; White, Cobb & Spratt 2000, *Proc.
  Winter Simulation Conf.*): average the series in batches of 5, and truncate the first d
  batches where d minimises the squared standard error of the remaining mean,
  ``Σ_{j>d} (Y_j − Ȳ_d)² / (m − d)²``, searched over the first half of the run. A minimum
  on the half-way boundary means the run is too short to show a steady state.
* **Geweke's z** (Geweke 1992, in *Bayesian Statistics 4*, 169–193): after truncation, compare
  the mean of the first 10 % with the mean of the last 50 % of the window,
  ``z = (ā − b̄) / √(S_a/n_a + S_b/n_b)``, where ``S`` is the spectral density at frequency
  zero (the long-run variance). Here S comes from an AR(1) fit of the whole window,
  ``S = γ₀ (1 + φ)/(1 − φ)`` — exact for an AR(1) process, the usual low-order spectral
  estimate (Heidelberger & Welch 1981 fit a low-order model for the same purpose). Under
  stationarity z is approximately standard normal; a trend makes |z| large.

The burn-in starts at the largest MSER-5 truncation over the diagnosed outcomes; while some
outcome's |z| on the remaining window is at or above the two-sided Bonferroni critical value at
``alpha`` (over the diagnosed outcomes), another 5 % of the run is discarded, up to half of it.
A run is called **stationary** when every MSER-5 truncation falls inside the first half of the
run and every |z| on the final window is below the critical value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "DIAGNOSED",
    "geweke_z",
    "long_run_variance",
    "mser_truncation",
    "steady_state",
]

#: Outcomes whose stationarity decides a run's ``stationary`` flag and burn-in. Weekly state
#: variables only: cumulative ratios (resolution_rate, mediation_rate, never_participated …)
#: converge like 1/t by construction and would never pass as "stationary".
DIAGNOSED: tuple[str, ...] = (
    "participation_rate",
    "agenda_distance",
    "opinion_variance",
    "polarization",
    "mean_trust",
    "backlog",
)


def mser_truncation(x: np.ndarray, batch: int = 5) -> tuple[int, bool]:
    """MSER-``batch`` truncation point of series ``x``.

    Returns:
        ``(weeks to truncate, whether the minimum lies in the first half)``; a series shorter
        than 4 batches gives ``(0, False)``.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    m = x.size // batch
    if m < 4:
        return 0, False
    y = x[: m * batch].reshape(m, batch).mean(axis=1)
    # Tail sums from each d: mean and sum of squares of y[d:] for every d at once.
    rev = y[::-1]
    cnt = np.arange(1, m + 1)[::-1].astype(float)  # m - d
    s1 = np.cumsum(rev)[::-1]
    s2 = np.cumsum(rev * rev)[::-1]
    sse = np.maximum(s2 - s1 * s1 / cnt, 0.0)
    mser = sse / cnt**2
    half = m // 2
    # Searched over the first half only (the end of MSER is dominated by the last few
    # batches); a minimum on that boundary means the transient is still going on.
    d = int(np.argmin(mser[: half + 1]))
    return d * batch, d < half


def long_run_variance(x: np.ndarray) -> float:
    """Spectral density at zero of ``x`` from an AR(1) fit: ``γ₀ (1 + φ)/(1 − φ)``.

    φ is the lag-1 autocorrelation, clipped to [−0.99, 0.99].
    """
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        return float("nan")
    c = x - x.mean()
    g0 = float(np.dot(c, c) / x.size)
    if g0 == 0.0:
        return 0.0
    phi = float(np.dot(c[1:], c[:-1]) / x.size / g0)
    phi = min(0.99, max(-0.99, phi))
    return g0 * (1.0 + phi) / (1.0 - phi)


def geweke_z(x: np.ndarray, first: float = 0.1, last: float = 0.5) -> float:
    """Geweke's z: the first ``first`` vs the last ``last`` share of ``x`` (see module doc).

    Returns 0 for a constant series, NaN when a segment has fewer than 3 values.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    na, nb = int(first * x.size), int(last * x.size)
    if na < 3 or nb < 3:
        return float("nan")
    a, b = x[:na], x[-nb:]
    s = long_run_variance(x)  # one AR(1) fit over the window: stabler than per segment
    diff = float(a.mean() - b.mean())
    if s == 0.0:
        return 0.0 if diff == 0.0 else float(np.sign(diff) * np.inf)
    return diff / float(np.sqrt(s / na + s / nb))


def steady_state(
    model_df: pd.DataFrame,
    outcomes: Sequence[str] = DIAGNOSED,
    *,
    alpha: float = 0.05,
    metrics: Sequence[str] | None = None,
) -> dict[str, float]:
    """Burn-in, stationarity flag and steady-state means of one run's weekly table.

    Args:
        model_df: The run's model table (``step`` and one column per metric).
        outcomes: The diagnosed outcomes (those present in the table are used).
        alpha: Family-wise level of the Geweke tests (Bonferroni over ``outcomes``).
        metrics: Metrics to report ``steady_`` means of (default: every numeric column).

    Returns:
        ``burn_in`` (weeks of transient: the stationary window starts after it),
        ``stationary`` (1.0 or 0.0), ``max_abs_geweke_z``, and ``steady_<metric>``: the mean of
        each metric over the weeks after the burn-in.
    """
    df = model_df[model_df["step"] > 0] if (model_df["step"] > 0).any() else model_df
    present = [o for o in outcomes if o in df.columns]
    burn, ok = 0, bool(present) and len(df) >= 20
    for o in present:
        d, first_half = mser_truncation(df[o].to_numpy(dtype=float))
        burn = max(burn, d)
        ok &= first_half
    zcrit = float(stats.norm.ppf(1.0 - alpha / (2 * max(len(present), 1))))
    # Geweke at the MSER point; if a diagnosed outcome still differs between the start and
    # the end of the window, discard 5 % of the run more, up to half of it (a sequence of
    # Geweke tests at later discard points, as in coda's geweke.plot).
    step = max(1, len(df) // 20)
    while True:
        window = df.iloc[burn:]
        zs = [geweke_z(window[o].to_numpy(dtype=float)) for o in present]
        bad = [z for z in zs if np.isnan(z) or abs(z) >= zcrit]
        if not bad or burn + step > len(df) // 2:
            break
        burn += step
    if bad:
        ok = False
    zmax = max((abs(z) for z in zs if not np.isnan(z)), default=0.0)
    out: dict[str, float] = {
        "burn_in": float(df["step"].iloc[burn] - 1),
        "stationary": 1.0 if ok else 0.0,
        "max_abs_geweke_z": float(zmax),
    }
    names = metrics if metrics is not None else [c for c in df.columns if c != "step"]
    for name in names:
        col = window[name].to_numpy(dtype=float)
        out[f"steady_{name}"] = float(np.nanmean(col)) if np.isfinite(col).any() else float("nan")
    return out
