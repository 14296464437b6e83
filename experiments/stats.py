"""Summary statistics for replicated simulation experiments.

Pure functions (no I/O, no global state) used by the experiment runners:

* :func:`mean_ci` -- mean of a sample of replications with a Student-t or bootstrap CI.
* :func:`summarise_over_time` -- tidy mean / CI table per step (and condition), vectorised,
  for CI-band plots of replicated time series.
* :func:`paired_compare` -- compare two conditions run with the same seeds (common random
  numbers): mean difference with t CI, paired t-test, Wilcoxon signed-rank test, Cohen's d_z
  with a noncentral-t CI.
* :func:`holm` -- Holm (1979) step-down adjustment of a family of p-values.
* :func:`tost_paired` -- two one-sided tests (TOST) of equivalence of a paired mean difference
  within ``(low, high)`` (Schuirmann 1987; Lakens 2017).
* :func:`paired_t_power`, :func:`tost_power`, :func:`pairs_for_power` -- power of the two-sided
  paired t-test (noncentral t) and of TOST, and the pairs needed to reach a target power.

Missing values (NaN) are omitted throughout (pairwise for :func:`paired_compare`), matching the
``skipna`` behaviour of pandas; the sample sizes actually used are reported where relevant.

References:
    Student (1908). The probable error of a mean. Biometrika 6(1), 1-25.
    Efron, B. (1987). Better bootstrap confidence intervals. JASA 82(397), 171-185.
    DiCiccio, T. J. & Efron, B. (1996). Bootstrap confidence intervals. Statistical Science
        11(3), 189-228.
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics Bulletin 1(6),
        80-83.
    Steiger, J. H. & Fouladi, R. T. (1997). Noncentrality interval estimation and the evaluation
        of statistical models. In Harlow, Mulaik & Steiger (eds.), What If There Were No
        Significance Tests? Erlbaum, 221-257.
    Cumming, G. & Finch, S. (2001). A primer on the understanding, use, and calculation of
        confidence intervals that are based on central and noncentral distributions.
        Educational and Psychological Measurement 61(4), 532-574.
    Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science:
        a practical primer for t-tests and ANOVAs. Frontiers in Psychology 4, 863.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
        Journal of Statistics 6(2), 65-70.
    Schuirmann, D. J. (1987). A comparison of the two one-sided tests procedure and the power
        approach for assessing the equivalence of average bioavailability. Journal of
        Pharmacokinetics and Biopharmaceutics 15(6), 657-680.
    Lakens, D. (2017). Equivalence tests: a practical primer for t tests, correlations, and
        meta-analyses. Social Psychological and Personality Science 8(4), 355-362.
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences (2nd ed.).
        Erlbaum.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import integrate, optimize, stats

__all__ = [
    "PairedComparison",
    "Tost",
    "holm",
    "mean_ci",
    "paired_compare",
    "paired_t_power",
    "pairs_for_power",
    "summarise_over_time",
    "tost_paired",
    "tost_power",
]

_NAN = float("nan")


def _check_level(level: float) -> None:
    try:
        ok = 0.0 < float(level) < 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"confidence level must be in (0, 1), got {level!r}")


def _as_1d(x: ArrayLike, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def mean_ci(
    x: ArrayLike,
    level: float = 0.95,
    method: Literal["t", "bootstrap"] = "t",
    *,
    n_boot: int = 9999,
    rng: int | np.random.Generator | None = None,
    boot_method: Literal["BCa", "percentile", "basic"] = "BCa",
) -> tuple[float, float, float]:
    """Mean of a sample with a two-sided confidence interval.

    ``method="t"`` gives the classical Student-t interval ``mean ± t_{(1+level)/2, n-1} s/√n``
    (Student 1908), exact for normal data and asymptotically valid otherwise.
    ``method="bootstrap"`` uses :func:`scipy.stats.bootstrap` with the bias-corrected and
    accelerated (**BCa**) interval by default (Efron 1987; DiCiccio & Efron 1996); pass
    ``boot_method="percentile"`` (or ``"basic"``) for the simpler variants.

    Degenerate cases are handled explicitly and never emit warnings:

    * NaNs are dropped; an empty sample gives ``(nan, nan, nan)``;
    * ``n == 1`` gives ``(x, nan, nan)`` -- no spread, no interval;
    * a constant sample gives the zero-width interval ``(m, m, m)``.

    Args:
        x: One-dimensional sample (e.g. one outcome over replications).
        level: Confidence level in (0, 1).
        method: ``"t"`` or ``"bootstrap"``.
        n_boot: Number of bootstrap resamples (bootstrap only).
        rng: Seed or generator for the bootstrap (bootstrap only); pass one for reproducibility.
        boot_method: Bootstrap interval type passed to :func:`scipy.stats.bootstrap`.

    Returns:
        ``(mean, lo, hi)`` as Python floats. For the bootstrap, bounds are NaN when SciPy finds
        the bootstrap distribution degenerate (only possible for tiny, heavily tied samples).

    Raises:
        ValueError: For an invalid ``level``, ``method`` or a multi-dimensional ``x``.
    """
    _check_level(level)
    if method not in ("t", "bootstrap"):
        raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}")
    a = _as_1d(x, "x")
    a = a[~np.isnan(a)]
    n = a.size
    if n == 0:
        return (_NAN, _NAN, _NAN)
    m = float(np.mean(a))
    if n == 1:
        return (m, _NAN, _NAN)
    if np.all(a == a[0]):
        return (m, m, m)
    if method == "t":
        se = float(np.std(a, ddof=1)) / math.sqrt(n)
        half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * se
        return (m, m - half, m + half)
    with warnings.catch_warnings():
        # Degenerate bootstrap distributions make SciPy return NaN bounds *and* warn; the NaN
        # is the documented signal here.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(
            (a,),
            np.mean,
            n_resamples=int(n_boot),
            confidence_level=level,
            method=boot_method,
            rng=rng,
        )
    ci = res.confidence_interval
    return (m, float(ci.low), float(ci.high))


def summarise_over_time(
    df: pd.DataFrame,
    by: Sequence[str] | str = (),
    value_cols: Sequence[str] | str | None = None,
    level: float = 0.95,
    *,
    step_col: str | None = "step",
) -> pd.DataFrame:
    """Tidy mean and Student-t CI of each outcome, per step and condition, over replications.

    Rows of ``df`` are replications (e.g. the concatenated ``model`` frames of many runs, one
    row per run and step). For every combination of ``by`` columns and ``step_col`` the
    function reports, for each value column, the number of non-missing replications, their
    mean, standard deviation, standard error and the t-interval
    ``mean ± t_{(1+level)/2, n-1} · sd/√n`` (Student 1908). The computation is fully vectorised
    (one ``groupby`` and one call to :func:`scipy.stats.t.ppf`), so it scales to many steps,
    conditions and outcomes. Intended for CI-band plots (``fill_between(step, lo, hi)``).

    Groups with ``n == 1`` get NaN ``sd``/``se``/``lo``/``hi``; groups with zero spread get a
    zero-width interval; no warnings are emitted in either case.

    Args:
        df: Long table with one row per replication and step.
        by: Condition columns (e.g. ``["leadership"]``); may be empty.
        value_cols: Outcome columns. ``None`` selects every floating-point column that is not a
            key column (integer columns such as ``seed`` are therefore never averaged).
        level: Confidence level in (0, 1).
        step_col: Time column; ``None`` summarises over all rows of each ``by`` group (e.g. for
            final-step outcomes).

    Returns:
        DataFrame with columns ``[*by, step_col, "variable", "n", "mean", "sd", "se", "lo",
        "hi"]``, sorted by the key columns, with a fresh ``RangeIndex``.

    Raises:
        KeyError: If a requested column is missing.
        ValueError: For an invalid ``level`` or when no value columns are found.
    """
    _check_level(level)
    by_list = [by] if isinstance(by, str) else list(by)
    keys = list(dict.fromkeys(by_list + ([step_col] if step_col is not None else [])))
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise KeyError(f"columns not in frame: {missing}")
    if value_cols is None:
        values = [
            c for c in df.columns if c not in keys and pd.api.types.is_float_dtype(df[c].dtype)
        ]
    else:
        values = [value_cols] if isinstance(value_cols, str) else list(value_cols)
        missing = [c for c in values if c not in df.columns]
        if missing:
            raise KeyError(f"value columns not in frame: {missing}")
    if not values:
        raise ValueError("no value columns to summarise")

    long = df[keys + values].melt(
        id_vars=keys or None, value_vars=values, var_name="variable", value_name="value"
    )
    long["value"] = long["value"].astype(float)
    group_keys = [*keys, "variable"]
    agg = (
        long.groupby(group_keys, sort=True, observed=True, dropna=False)["value"]
        .agg(n="count", mean="mean", sd="std")
        .reset_index()
    )
    n = agg["n"].to_numpy(dtype=float)
    sd = agg["sd"].to_numpy(dtype=float)
    dof = np.where(n >= 2, n - 1.0, np.nan)
    tcrit = stats.t.ppf(0.5 + level / 2.0, dof)
    se = np.where(n >= 2, sd / np.sqrt(np.maximum(n, 1.0)), np.nan)
    half = tcrit * se
    agg["n"] = agg["n"].astype(np.int64)
    agg["sd"] = np.where(n >= 2, sd, np.nan)
    agg["se"] = se
    agg["lo"] = agg["mean"].to_numpy() - half
    agg["hi"] = agg["mean"].to_numpy() + half
    return agg[[*group_keys, "n", "mean", "sd", "se", "lo", "hi"]].reset_index(drop=True)


@dataclass(frozen=True)
class PairedComparison:
    """Result of :func:`paired_compare` (differences are ``a - b``).

    Attributes:
        n: Number of complete pairs used.
        mean_a: Mean of ``a`` over those pairs.
        mean_b: Mean of ``b`` over those pairs.
        mean_diff: Mean paired difference.
        diff_lo: Lower Student-t confidence bound of the mean difference.
        diff_hi: Upper Student-t confidence bound of the mean difference.
        sd_diff: Standard deviation (ddof=1) of the differences.
        t_stat: Paired t statistic.
        p_ttest: Two-sided paired t-test p-value (:func:`scipy.stats.ttest_rel`).
        w_stat: Wilcoxon signed-rank statistic.
        p_wilcoxon: Two-sided Wilcoxon signed-rank p-value (:func:`scipy.stats.wilcoxon`).
        d_z: Cohen's d_z = mean_diff / sd_diff (Lakens 2013).
        d_z_lo: Lower noncentral-t confidence bound of d_z.
        d_z_hi: Upper noncentral-t confidence bound of d_z.
        level: Confidence level of both intervals.
    """

    n: int
    mean_a: float
    mean_b: float
    mean_diff: float
    diff_lo: float
    diff_hi: float
    sd_diff: float
    t_stat: float
    p_ttest: float
    w_stat: float
    p_wilcoxon: float
    d_z: float
    d_z_lo: float
    d_z_hi: float
    level: float

    def to_dict(self) -> dict[str, float]:
        """Return the fields as a plain dict (e.g. for ``pd.DataFrame.from_records``)."""
        return asdict(self)


def _nct_dz_ci(d_z: float, n: int, level: float) -> tuple[float, float]:
    """Noncentral-t CI for a standardised mean (Steiger & Fouladi 1997; Cumming & Finch 2001).

    With ``t = d_z √n`` distributed as noncentral t with ``n - 1`` degrees of freedom and
    noncentrality ``δ √n``, the bounds are the noncentralities at which the observed ``t`` is
    the ``(1 + level)/2`` and ``(1 - level)/2`` quantile, divided by ``√n``. Exact under
    normality of the differences.
    """
    dof = n - 1
    t_obs = d_z * math.sqrt(n)
    alpha = 1.0 - level

    def solve(target: float) -> float:
        # nct.cdf(t_obs; dof, nc) decreases monotonically in nc.
        def f(nc: float) -> float:
            return float(stats.nct.cdf(t_obs, dof, nc)) - target

        width = 2.0 + 0.5 * abs(t_obs)
        lo, hi = t_obs - width, t_obs + width
        # With very few pairs and a huge t the noncentral t's cdf is not computable (NaN)
        # before the bracket closes: the bound is then undefined (NaN), not an error.
        for _ in range(60):
            v = f(lo)
            if not math.isfinite(v):
                return math.nan
            if v >= 0.0:
                break
            lo -= width
            width *= 2.0
        for _ in range(60):
            v = f(hi)
            if not math.isfinite(v):
                return math.nan
            if v <= 0.0:
                break
            hi += width
            width *= 2.0
        try:
            return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=200))
        except (ValueError, RuntimeError):  # no sign change found: undefined
            return math.nan

    nc_lo = solve(1.0 - alpha / 2.0)
    nc_hi = solve(alpha / 2.0)
    return nc_lo / math.sqrt(n), nc_hi / math.sqrt(n)


def paired_compare(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> PairedComparison:
    """Compare two conditions observed on the same units (e.g. the same seeds).

    Differences are ``d = a - b`` over pairs where both values are present. Reported:

    * mean difference with its Student-t CI and the two-sided paired t-test
      (:func:`scipy.stats.ttest_rel`);
    * the two-sided Wilcoxon signed-rank test (Wilcoxon 1945; :func:`scipy.stats.wilcoxon`
      with zero differences dropped, SciPy's default ``zero_method="wilcox"``, and the exact
      null distribution for small samples without ties);
    * Cohen's d_z = mean(d)/sd(d) (Lakens 2013) with an **exact noncentral-t** confidence
      interval obtained by inverting the noncentral t distribution (Steiger & Fouladi 1997;
      Cumming & Finch 2001) -- no bootstrap, hence deterministic.

    Degenerate inputs never warn: all-zero differences give ``p_ttest = p_wilcoxon = 1`` and
    NaN d_z; constant non-zero differences give ``p_ttest = 0``, a zero-width mean CI and
    infinite d_z; fewer than two pairs give NaN everywhere except the means.

    Args:
        a: Outcomes under condition A, one per unit.
        b: Outcomes under condition B, aligned with ``a``.
        level: Confidence level of both intervals.

    Returns:
        A :class:`PairedComparison` (use ``.to_dict()`` for a plain record).

    Raises:
        ValueError: If ``a`` and ``b`` differ in length or ``level`` is invalid.
    """
    _check_level(level)
    x = _as_1d(a, "a")
    y = _as_1d(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same length, got {x.size} and {y.size}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    d = x - y
    n = int(d.size)
    nan = _NAN
    mean_a = float(np.mean(x)) if n else nan
    mean_b = float(np.mean(y)) if n else nan
    md = float(np.mean(d)) if n else nan
    if n < 2:
        return PairedComparison(
            n, mean_a, mean_b, md, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, level
        )

    sd = float(np.std(d, ddof=1))
    all_zero = bool(np.all(d == 0.0))
    if all_zero:
        w_stat, p_w = 0.0, 1.0
    else:
        w = stats.wilcoxon(d)
        w_stat, p_w = float(w.statistic), float(w.pvalue)

    if np.all(d == d[0]):  # zero spread: t-test and d_z are degenerate
        if all_zero:
            t_stat, p_t, dz, dz_lo, dz_hi = nan, 1.0, nan, nan, nan
        else:
            inf = math.copysign(math.inf, md)
            t_stat, p_t, dz, dz_lo, dz_hi = inf, 0.0, inf, inf, inf
        return PairedComparison(
            n, mean_a, mean_b, md, md, md, 0.0, t_stat, p_t, w_stat, p_w, dz, dz_lo, dz_hi, level
        )

    tt = stats.ttest_rel(x, y)
    ci = tt.confidence_interval(confidence_level=level)
    dz = md / sd
    dz_lo, dz_hi = _nct_dz_ci(dz, n, level)
    return PairedComparison(
        n=n,
        mean_a=mean_a,
        mean_b=mean_b,
        mean_diff=md,
        diff_lo=float(ci.low),
        diff_hi=float(ci.high),
        sd_diff=sd,
        t_stat=float(tt.statistic),
        p_ttest=float(tt.pvalue),
        w_stat=w_stat,
        p_wilcoxon=p_w,
        d_z=dz,
        d_z_lo=dz_lo,
        d_z_hi=dz_hi,
        level=float(level),
    )


def holm(pvalues: ArrayLike | Iterable[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (family-wise error control).

    With the ``m`` p-values sorted ascending, ``p_(1) <= ... <= p_(m)``, the adjusted values are
    ``p~_(i) = min(1, max_{j <= i} (m - j + 1) p_(j))``, returned in the original order. Rejecting
    where ``p~ <= alpha`` is exactly Holm's sequentially rejective procedure at level ``alpha``.
    Vectorised (one sort and one cumulative maximum); the result is monotone in the raw
    p-values and capped at 1. NaNs are kept as NaN and do not count towards ``m``.

    Args:
        pvalues: p-values in [0, 1], any shape.

    Returns:
        Array of adjusted p-values with the shape of the input.

    Raises:
        ValueError: If a p-value is outside [0, 1].
    """
    p = np.asarray(pvalues, dtype=float)
    flat = p.ravel()
    mask = ~np.isnan(flat)
    q = flat[mask]
    if np.any((q < 0.0) | (q > 1.0)):
        raise ValueError("p-values must lie in [0, 1]")
    m = q.size
    order = np.argsort(q, kind="stable")
    stepped = (m - np.arange(m)) * q[order]
    adjusted_sorted = np.minimum(np.maximum.accumulate(stepped), 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    out = np.full(flat.shape, np.nan)
    out[mask] = adjusted
    return out.reshape(p.shape)


@dataclass(frozen=True)
class Tost:
    """Result of :func:`tost_paired`.

    Attributes:
        n: Pairs used.
        mean_diff: Mean difference.
        low: Lower equivalence bound.
        high: Upper equivalence bound.
        t_low: t statistic of H0: mean ≤ low.
        t_high: t statistic of H0: mean ≥ high.
        p_low: One-sided p of the lower test.
        p_high: One-sided p of the upper test.
        p: The TOST p-value, ``max(p_low, p_high)``: equivalence is declared at level α when
            p < α (equivalently, when the (1 − 2α) CI lies inside the bounds).
    """

    n: int
    mean_diff: float
    low: float
    high: float
    t_low: float
    t_high: float
    p_low: float
    p_high: float
    p: float


def tost_paired(d: ArrayLike, low: float, high: float) -> Tost:
    """Two one-sided t-tests of equivalence for paired differences ``d`` (Schuirmann 1987).

    Tests H0: μ ≤ low or μ ≥ high against H1: low < μ < high with ``t_low = (d̄ − low)/SE``
    (upper tail) and ``t_high = (d̄ − high)/SE`` (lower tail), ``n − 1`` degrees of freedom;
    the TOST p-value is the larger of the two one-sided p-values (Lakens 2017). NaNs are
    dropped. Zero spread: p = 0 when the constant lies strictly inside the bounds, else 1.

    Raises:
        ValueError: ``low >= high``.
    """
    if not low < high:
        raise ValueError(f"equivalence bounds ({low}, {high}): need low < high")
    x = _as_1d(d, "d")
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n < 2:
        m = float(x.mean()) if n else _NAN
        return Tost(n, m, low, high, _NAN, _NAN, _NAN, _NAN, _NAN)
    m = float(x.mean())
    se = float(np.std(x, ddof=1)) / math.sqrt(n)
    if se == 0.0:
        inside = low < m < high
        p = 0.0 if inside else 1.0
        return Tost(n, m, low, high, _NAN, _NAN, p, p, p)
    t_lo = (m - low) / se
    t_hi = (m - high) / se
    p_lo = float(stats.t.sf(t_lo, n - 1))
    p_hi = float(stats.t.cdf(t_hi, n - 1))
    return Tost(n, m, low, high, float(t_lo), float(t_hi), p_lo, p_hi, max(p_lo, p_hi))


def paired_t_power(n: int, d_z: float, alpha: float = 0.05) -> float:
    """Power of the two-sided paired t-test with ``n`` pairs for standardized effect ``d_z``.

    Exact under normal differences (Cohen 1988, ch. 2): with ``T ~ t'(n − 1, δ = d_z √n)``,
    power = P(T > c) + P(T < −c), c = t_{1−α/2, n−1}. The lower tail is computed as the
    upper tail at −δ (``nct.sf(c, df, −δ)``): SciPy's ``nct.cdf`` far in the tail returns NaN
    (it did for n = 30, d_z = 1, α = 5.8·10⁻⁴).
    """
    if n < 2 or not 0 < alpha < 1:
        return _NAN
    df = n - 1
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    nc = float(d_z) * math.sqrt(n)
    upper = float(stats.nct.sf(crit, df, nc))
    lower = float(stats.nct.sf(crit, df, -nc))
    return min(1.0, upper + lower)


def tost_power(n: int, bound_dz: float, alpha: float = 0.05, true_dz: float = 0.0) -> float:
    """Power of TOST with symmetric bounds ±``bound_dz`` (in sd units of the differences).

    The probability that both one-sided tests reject when the true standardized difference is
    ``true_dz``: with sample sd ``s`` (``(n − 1)s² ~ χ²_{n−1}`` in units of σ) the mean must
    fall inside ``(−Δ + c s/√n, Δ − c s/√n)``, c = t_{1−α, n−1}; integrated over ``s``
    numerically (exact under normality; no closed form).
    """
    if n < 2 or bound_dz <= 0:
        return _NAN
    df = n - 1
    c = float(stats.t.ppf(1 - alpha, df))
    rn = math.sqrt(n)
    s_max = bound_dz * rn / c  # beyond it the interval is empty

    def inner(s: float) -> float:
        hi = (bound_dz - c * s / rn - true_dz) * rn
        lo = (-bound_dz + c * s / rn - true_dz) * rn
        if hi <= lo:
            return 0.0
        dens = 2.0 * s * df * stats.chi2.pdf(df * s * s, df)  # density of s
        return float(stats.norm.cdf(hi) - stats.norm.cdf(lo)) * dens

    val, _ = integrate.quad(inner, 0.0, s_max, limit=200)
    return float(min(1.0, max(0.0, val)))


def pairs_for_power(
    d_z: float, power: float = 0.8, alpha: float = 0.05, *, n_max: int = 100_000
) -> int:
    """Smallest number of pairs at which :func:`paired_t_power` reaches ``power``.

    Returns ``n_max + 1`` when even ``n_max`` pairs fall short. Raises ValueError for
    ``d_z <= 0``.
    """
    if not d_z > 0:
        raise ValueError(f"d_z={d_z}: must be > 0")
    lo, hi = 2, 2
    while paired_t_power(hi, d_z, alpha) < power:
        if hi > n_max:
            return n_max + 1
        lo, hi = hi, hi * 2
    while lo < hi:  # power increases with n
        mid = (lo + hi) // 2
        if paired_t_power(mid, d_z, alpha) >= power:
            hi = mid
        else:
            lo = mid + 1
    return lo
