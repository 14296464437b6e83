"""Outcome metrics: pure named functions, registered once.

Every metric is a pure function of the model's state (it reads, never writes). The registry
feeds the Mesa ``DataCollector`` (:func:`datacollector_reporters`), the UI's charts and the
result tables. Model metrics return a float; group metrics return one value per resident group.
Run-level summaries (time to consensus, time averages) are pure functions of the per-step
table (:func:`summarise`).

Speed: the metrics of one collection share their intermediate results. Everything they need
from the residents — group sizes and the per-group sums of six attributes, the opinion
histogram, the opinion-cluster buckets — comes from one pass over the residents (compiled with
numba when available; a numpy path gives the same bits otherwise), and the opinion moments are
computed once (the compiled loops are :mod:`sim.metric_kernels`). The sharing is scoped to one
collection (see :func:`datacollector_reporters`): outside a collection every metric computes
from the model's current state, so a metric called on its own — by a strategy mid-week, a
test, the UI — never sees a stale value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import fft as sp_fft

from . import metric_kernels as kernels
from ._jit import active as jit_active
from .metric_kernels import DIGITAL, DISTANCE, EVER, OPINION, PART, TRUST

if TYPE_CHECKING:
    from .model import GovernanceModel

__all__ = [
    "GROUP_METRICS",
    "MODEL_METRICS",
    "Metric",
    "bimodality",
    "cluster_runs",
    "cluster_sizes",
    "consensus_survival",
    "der_polarization",
    "der_polarization_grid",
    "evaluate",
    "grid_weights",
    "group_gini",
    "kaplan_meier",
    "n_clusters",
    "restricted_mean",
    "summarise",
    "time_to_consensus",
]


@dataclass(frozen=True)
class Metric:
    """A registered outcome."""

    name: str
    fn: Callable[[Any], Any]
    doc: str
    family: str  # participation, consensus, trust, needs, conflicts, platform, strategy
    per_group: bool = False


MODEL_METRICS: dict[str, Metric] = {}
GROUP_METRICS: dict[str, Metric] = {}


def metric(name: str, family: str, *, per_group: bool = False) -> Callable:
    """Register a metric under ``name`` (its docstring's first line is its description)."""

    def deco(fn: Callable) -> Callable:
        doc = (fn.__doc__ or "").strip().splitlines()[0]
        reg = GROUP_METRICS if per_group else MODEL_METRICS
        if name in reg:  # pragma: no cover - programming error
            raise ValueError(f"metric {name!r} registered twice")
        reg[name] = Metric(name, fn, doc, family, per_group)
        return fn

    return deco


# -- pure statistics on opinion vectors ----------------------------------------------------


def n_clusters(
    x: np.ndarray, gap: float, min_share: float = 0.01, max_span: float = math.inf
) -> float:
    """Number of opinion clusters, or NaN where the opinions have not settled into clusters.

    Method: single-linkage clustering at distance ``gap`` — sort the opinions and cut wherever
    two neighbours are more than ``gap`` apart (the gap criterion used for bounded-confidence
    models, e.g. Lorenz 2007, *Int. J. Mod. Phys. C* 18:1819). Runs with fewer than
    ``min_share`` of the residents are stragglers and are not counted. The count is only
    meaningful for a settled state (clusters are points in the limit of Deffuant et al. 2000):
    if any counted run is wider than ``max_span`` the result is NaN (undefined), so that a
    uniform spread is not reported as "one cluster".
    """
    if x.size == 0:
        return float("nan")
    sizes, spans = cluster_runs(x, gap)
    return _count_clusters(sizes, spans, x.size, min_share, max_span)


def _count_clusters(
    sizes: np.ndarray, spans: np.ndarray, n: int, min_share: float, max_span: float
) -> float:
    counted = sizes >= max(1.0, min_share * n)
    if not counted.any() or np.any(spans[counted] > max_span):
        return float("nan")
    return float(np.count_nonzero(counted))


def cluster_sizes(x: np.ndarray, gap: float) -> np.ndarray:
    """Sizes of the runs of sorted ``x`` separated by gaps larger than ``gap``, in order."""
    return cluster_runs(x, gap)[0]


def cluster_runs(x: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Sizes and spans (max − min) of the runs of sorted ``x`` separated by more than ``gap``.

    Equal to splitting ``np.sort(x)`` wherever ``np.diff > gap``, but without sorting: values
    are put in buckets of width gap/2 (a monotone map, so buckets follow the sorted order and
    no gap inside a bucket can exceed ``gap``); a run can only end between two consecutive
    non-empty buckets, where the gap is the next bucket's minimum minus this one's maximum —
    the same two numbers ``np.diff`` would subtract; a run's span is its last bucket's maximum
    minus its first bucket's minimum. O(N) instead of O(N log N).
    """
    n = x.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    lo = float(x.min())
    scale = 2.0 / gap
    span = (float(x.max()) - lo) * scale
    if n <= 16384 or not np.isfinite(span) or span > 4 * n:
        s = np.sort(x)  # small, too many buckets to pay off, or non-finite values
        breaks = np.flatnonzero(np.diff(s) > gap)
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks + 1, [n]])
        return ends - starts, s[ends - 1] - s[starts]
    bucket = ((x - lo) * scale).astype(np.intp)
    nb = int(bucket.max()) + 1
    count = np.bincount(bucket, minlength=nb)
    bmin = np.full(nb, np.inf)
    bmax = np.full(nb, -np.inf)
    np.minimum.at(bmin, bucket, x)
    np.maximum.at(bmax, bucket, x)
    full = np.flatnonzero(count)
    cut = np.flatnonzero(bmin[full[1:]] - bmax[full[:-1]] > gap)
    csum = np.concatenate([[0], np.cumsum(count[full])])
    edges = np.concatenate([[0], cut + 1, [full.size]])
    first, last = full[edges[:-1]], full[edges[1:] - 1]
    return np.diff(csum[edges]), bmax[last] - bmin[first]


#: Nodes of the polarization grid: opinions are linearly binned onto k/GRID, k = 0 … GRID.
GRID = 1024


def _gauss(d: np.ndarray | float, h: float) -> np.ndarray:
    return np.exp(-0.5 * (np.asarray(d) / h) ** 2) / (h * math.sqrt(2.0 * math.pi))


@lru_cache(maxsize=8)
def _der_reference(alpha: float, h: float) -> float:
    """The index of two equal point masses at 0 and 1 (the normaliser: they score 1)."""
    f = 0.5 * float(_gauss(0.0, h) + _gauss(1.0, h))
    return f**alpha * 0.5


def der_polarization(x: np.ndarray, alpha: float = 1.0, bandwidth: float = 0.05) -> float:
    """Duclos–Esteban–Ray polarization of opinions ``x``, exact (O(n²); for tests, small n).

    Duclos, Esteban & Ray (2004), "Polarization: concepts, measurement, estimation",
    *Econometrica* 72(6):1737–1772, define P_α(F) = ∫ f(y)^α a(y) dF(y) with
    a(y) = ∫ |y − x| dF(x) (the continuous form of Esteban & Ray 1994, *Econometrica*
    62:819), and estimate it by P̂ = n⁻¹ Σ_i f̂(y_i)^α â(y_i), f̂ a kernel density estimate and â
    the sample mean distance. Here f̂ uses a Gaussian kernel of fixed width ``bandwidth`` on the
    opinion scale (assumed: opinions have fixed ends, so the data-driven, scale-free bandwidth
    for incomes is not used and opinions are not divided by their mean), and the index is
    divided by its value for two equal point masses at 0 and 1, which therefore score 1. No
    grid is involved; the value is invariant to shifting all opinions.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return float("nan")
    d = x[:, None] - x[None, :]
    f = _gauss(d, bandwidth).mean(axis=1)
    a = np.abs(d).mean(axis=1)
    return float(np.mean(f**alpha * a)) / _der_reference(alpha, bandwidth)


def grid_weights(x: np.ndarray) -> np.ndarray:
    """Linear binning of ``x`` onto the GRID + 1 nodes k/GRID (values outside [0, 1] dropped).

    A value at t = x·GRID between nodes k and k + 1 gives 1 − (t − k) to node k and t − k to
    node k + 1 (linear binning; Wand & Jones 1995, *Kernel Smoothing*), so the binned sample
    keeps each value's mass and mean exactly. GRID is a power of two: x·GRID is exact.
    """
    ok = (x >= 0.0) & (x <= 1.0)
    t = x[ok] * GRID
    k = np.minimum(t.astype(np.intp), GRID - 1)
    f = t - k
    lo = np.bincount(k, weights=1.0 - f, minlength=GRID + 1)
    hi = np.bincount(k + 1, weights=f, minlength=GRID + 1)
    return lo + hi


@lru_cache(maxsize=8)
def _kernel_spectrum(bandwidth: float) -> tuple[int, np.ndarray]:
    """FFT length and spectrum of the Gaussian kernel at the node offsets −half … half.

    The kernel is cut at 8 h (there it is 1.3·10⁻¹⁴ of its peak) and laid out for a circular
    convolution (offset d at index d mod L) whose length L ≥ GRID + 1 + half leaves no
    wrap-around at the nodes 0 … GRID.
    """
    half = min(GRID, int(math.ceil(8.0 * bandwidth * GRID)))
    size = sp_fft.next_fast_len(GRID + 1 + half, real=True)
    d = np.arange(-half, half + 1)
    kern = np.zeros(size)
    kern[d % size] = _gauss(d / GRID, bandwidth)
    spec = sp_fft.rfft(kern)
    spec.setflags(write=False)
    return size, spec


@lru_cache(maxsize=1)
def _nodes() -> np.ndarray:
    g = np.arange(GRID + 1) / GRID
    g.setflags(write=False)
    return g


def der_polarization_grid(w: np.ndarray, alpha: float = 1.0, bandwidth: float = 0.05) -> float:
    """:func:`der_polarization` of the linearly binned sample ``w`` (:func:`grid_weights`).

    The kernel density and the mean distance are evaluated at the grid nodes by exact sums
    over the nodes (a convolution by FFT and two cumulative sums, O(GRID log GRID)); the only
    approximation is the binning, whose effect is below 10⁻³ of the index for bandwidths
    ≥ 0.02 (tests/engine/test_metrics.py checks it against the exact estimator and for
    invariance under shifts that do not fall on the grid).
    """
    n = float(w.sum())
    if n <= 0:
        return float("nan")
    pi = w / n
    g = _nodes()
    # f̂ at the nodes: Σ_m π_m K_h(g_k − g_m), every node pair (a convolution, by FFT)
    size, spec = _kernel_spectrum(float(bandwidth))
    f = sp_fft.irfft(sp_fft.rfft(pi, size) * spec, size)[: GRID + 1]
    # â at the nodes: Σ_m π_m |g_k − g_m| = g_k (2 L_k − 1) − 2 S_k + μ, with L_k = Σ_{m≤k} π_m
    # and S_k = Σ_{m≤k} π_m g_m (the nodes' own term cancels: |g_k − g_k| = 0)
    if kernels.der_sum_jit is not None:
        p = kernels.der_sum_jit(pi, f, g, float(alpha))
    else:
        p = kernels.der_sum(pi, f, g, float(alpha))
    return p / _der_reference(float(alpha), float(bandwidth))


def bimodality(x: np.ndarray) -> float:
    """Sarle's bimodality coefficient b = (g² + 1) / (κ + 3(n−1)²/((n−2)(n−3))).

    g is the sample skewness, κ the sample excess kurtosis. Values above 5/9 ≈ 0.555 (the
    uniform's value) suggest a bimodal distribution (SAS Institute 1990; Pfister et al. 2013,
    *Front. Psychol.* 4:700). Known limits (Pfister et al. 2013): b is a moment ratio, not a
    test; it rises with skewness, so a skewed unimodal distribution can exceed 5/9; and since
    κ ≥ g² − 2 with equality only for two-point distributions (Pearson's inequality), every
    two-point split — 99/1 as much as 50/50 — gives b → 1. Read it beside the polarization
    index and the cluster count, never alone. Returns 0 for fewer than 4 values or no spread.
    """
    n = x.size
    if n < 4:
        return 0.0
    d = x - x.mean()
    d2 = d * d
    # d·d² and d²·d² rather than d**3, d**4 (pow is ~50× slower at 10⁶ residents; the
    # coefficient can differ from the pow form in the last bits only).
    return _bimodality_from(n, float(np.mean(d2)), float(np.mean(d2 * d)), float(np.mean(d2 * d2)))


def _bimodality_from(n: int, m2: float, m3: float, m4: float) -> float:
    """Sarle's coefficient from the central moments m2 = mean(d²), m3 = mean(d²·d), m4."""
    if n < 4 or m2 <= 1e-18:
        return 0.0
    g = m3 / m2**1.5
    k = m4 / m2**2 - 3.0
    return (g * g + 1.0) / (k + 3.0 * (n - 1) ** 2 / ((n - 2) * (n - 3)))


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


# -- intermediate results shared by the metrics of one collection ----------------------------


def _resident_pass_numpy(m: GovernanceModel, ng: int, gap: float) -> _Pass:
    """The numpy definition of :func:`sim.metric_kernels.resident_pass_loop` (without numba)."""
    res = m.residents
    g = res.group.astype(np.intp)
    x = res.opinion
    sizes = np.bincount(g, minlength=ng)
    sums = np.empty((6, ng))
    sums[PART] = np.bincount(g, weights=res.participating.astype(float), minlength=ng)
    sums[EVER] = np.bincount(g, weights=res.ever_participated.astype(float), minlength=ng)
    sums[OPINION] = np.bincount(g, weights=x, minlength=ng)
    sums[DISTANCE] = np.bincount(g, weights=np.abs(x - m.params.opinions.agenda), minlength=ng)
    sums[TRUST] = np.bincount(g, weights=res.trust, minlength=ng)
    sums[DIGITAL] = np.bincount(g, weights=res.digital.astype(float), minlength=ng)
    sizes_c, spans = cluster_runs(x, gap)
    return sizes, sums, grid_weights(x), sizes_c, spans


#: (group sizes, per-group sums (6 × groups), polarization grid weights, cluster sizes, spans)
_Pass = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class _Stats:
    """Intermediate results of the metrics for the model's current state, computed lazily."""

    __slots__ = ("_clusters", "_counts", "_groups", "_means", "_moments", "_pass", "m")

    def __init__(self, m: GovernanceModel) -> None:
        self.m = m
        self._pass: _Pass | None = None
        self._moments: tuple[float, float, float, float, float, float] | None = None
        self._means: np.ndarray | None = None
        self._counts: list[float] | None = None
        self._clusters: float | None = None
        self._groups: tuple[list[float], list[float], list[float]] | None = None

    def resident_pass(self) -> _Pass:
        """(group sizes, per-group sums (6 × groups), grid weights, cluster sizes, spans)."""
        if self._pass is None:
            self._pass = self._compute_pass()
        return self._pass

    def _compute_pass(self) -> _Pass:
        m = self.m
        res = m.residents
        ng = len(m.group_names)
        gap = m.params.opinions.cluster_gap
        x = res.opinion
        n = x.size
        if kernels.resident_pass_jit is None or not jit_active():
            return _resident_pass_numpy(m, ng, gap)
        lo = hi = 0.0
        if n:
            lo, hi = float(x.min()), float(x.max())  # NaN if any value is NaN
        scale = 2.0 / gap
        span = (hi - lo) * scale
        # Buckets when there are few enough for the values' range (as cluster_sizes decides);
        # int(span) = int(max((x − lo)·scale)) because the map is monotone.
        nb = int(span) + 1 if n and np.isfinite(span) and span <= 4 * n else 0
        sizes = np.zeros(ng, dtype=np.int64)
        sums = np.zeros((6, ng))
        runs = np.empty(nb, dtype=np.int64)
        spans = np.empty(nb)
        wlo = np.zeros(GRID + 1)
        whi = np.zeros(GRID + 1)
        k = kernels.resident_pass_jit(
            res.group, res.participating, res.ever_participated, res.digital, x, res.trust,
            float(m.params.opinions.agenda), sizes, sums, wlo, whi, float(lo), scale, float(gap),
            runs, spans,
        )  # fmt: skip
        if nb:
            clusters, cspans = runs[:k], spans[:k]
        else:  # non-finite values, too many buckets or no residents: sort
            clusters, cspans = cluster_runs(x, gap)
        return sizes, sums, wlo + whi, clusters, cspans

    def group_means(self) -> np.ndarray:
        """Per-group means of the six attributes (rows as the sums; NaN for empty groups)."""
        if self._means is None:
            sizes, sums = self.resident_pass()[:2]
            means = np.full(sums.shape, np.nan)
            # = np.where(sizes > 0, sums / np.maximum(sizes, 1), nan), without the warnings
            np.divide(sums, sizes, out=means, where=sizes > 0)
            self._means = means
        return self._means

    def count(self, row: int) -> float:
        """Number of residents for whom a bool attribute (row) is true (an exact integer)."""
        if self._counts is None:
            self._counts = self.resident_pass()[1].sum(axis=1).tolist()
        return self._counts[row]

    def moments(self) -> tuple[float, float, float, float, float, float]:
        """Opinion mean, mean(d²), mean(d²·d), mean(d²·d²), mean |x − agenda|, mean trust.

        Each is numpy's own value to the bit (:func:`sim.metric_kernels.moments_numpy`;
        ``mean(d²)`` is ``np.var``: the same subtraction, product and pairwise sum).
        """
        if self._moments is None:
            res = self.m.residents
            agenda = float(self.m.params.opinions.agenda)
            if kernels.moments_jit is not None and res.opinion.size and jit_active():
                self._moments = kernels.moments_jit(res.opinion, res.trust, agenda)
            else:
                self._moments = kernels.moments_numpy(res.opinion, res.trust, agenda)
        return self._moments


#: Open collection scopes: id(model) → (model, its shared intermediate results).
_SCOPE: dict[int, tuple[Any, _Stats]] = {}


def _stats(m: GovernanceModel) -> _Stats:
    """The shared intermediate results if a collection of ``m`` is open, else fresh ones."""
    hit = _SCOPE.get(id(m))
    if hit is not None and hit[0] is m:
        return hit[1]
    return _Stats(m)


def _open(m: GovernanceModel) -> bool:
    """Open a scope for ``m`` (fresh results); False if one is already open."""
    hit = _SCOPE.get(id(m))
    if hit is not None and hit[0] is m:
        return False
    _SCOPE[id(m)] = (m, _Stats(m))
    return True


def _close(m: GovernanceModel) -> None:
    _SCOPE.pop(id(m), None)


@contextmanager
def _shared(m: GovernanceModel) -> Iterator[None]:
    """Share intermediate results among the metrics evaluated inside (nests)."""
    opened = _open(m)
    try:
        yield
    finally:
        if opened:
            _close(m)


# -- participation ---------------------------------------------------------------------------


@metric("participation_rate", "participation")
def participation_rate(m: GovernanceModel) -> float:
    """Share of residents taking part this week."""
    return _stats(m).count(PART) / m.residents.n


def _group_rates_vs_rest(m: GovernanceModel) -> tuple[list[float], list[float], list[float]]:
    """Per group: size, participation rate, rate of all other residents (NaN where empty).

    Plain floats: a handful of groups, where numpy's per-call cost would dominate.
    """
    st = _stats(m)
    if st._groups is None:
        sizes, sums = st.resident_pass()[:2]
        size = sizes.tolist()
        taking = sums[PART].tolist()
        n, t = float(sum(size)), float(sum(taking))
        nan = float("nan")
        rate = [p / s if s > 0 else nan for p, s in zip(taking, size, strict=True)]
        rest = [(t - p) / (n - s) if n > s else nan for p, s in zip(taking, size, strict=True)]
        st._groups = (size, rate, rest)
    return st._groups


@metric("participation_gap", "participation")
def participation_gap(m: GovernanceModel) -> float:
    """Largest gap between a group's participation rate and the rate of everyone else."""
    _, rate, rest = _group_rates_vs_rest(m)
    d = [abs(r - o) for r, o in zip(rate, rest, strict=True) if math.isfinite(r - o)]
    return max(d) if d else 0.0


def group_gini(rates: Any, sizes: Any) -> float:
    """Population-weighted Gini coefficient of group rates (NaN if the mean rate is 0).

    G = Σ_g Σ_h w_g w_h |r_g − r_h| / (2 r̄), w_g = n_g / n, r̄ = Σ_g w_g r_g: the Gini
    mean-difference form applied to residents who each carry their group's rate, so groups
    count by size (0 = every group takes part at the same rate).
    """
    pairs = [(float(r), float(s)) for r, s in zip(rates, sizes, strict=True)]
    pairs = [(r, s) for r, s in pairs if s > 0 and math.isfinite(r)]
    total = sum(s for _, s in pairs)
    if not pairs:
        return float("nan")
    mean = sum(r * s for r, s in pairs) / total
    if mean <= 0:
        return float("nan")
    md = sum(s * t * abs(r - q) for r, s in pairs for q, t in pairs) / (total * total)
    return md / (2.0 * mean)


@metric("participation_gini", "participation")
def participation_gini(m: GovernanceModel) -> float:
    """Gini coefficient of the groups' participation rates, weighted by group size."""
    size, rate, _ = _group_rates_vs_rest(m)
    return group_gini(rate, size)


@metric("low_literacy_gap", "participation")
def low_literacy_gap(m: GovernanceModel) -> float:
    """Participation rate of the least digitally literate group minus that of everyone else.

    Signed: negative when that group falls behind (the digital divide of a platform-first
    strategy). The group is the one with the lowest ``digital_literacy`` parameter (the first
    such group on a tie); NaN when every group has the same literacy (no group is less
    literate) or the group is empty.
    """
    lit = [g.digital_literacy for g in m.params.population.groups.values()]
    if not lit or min(lit) == max(lit):
        return float("nan")
    k = lit.index(min(lit))
    _, rate, rest = _group_rates_vs_rest(m)
    return float(rate[k] - rest[k])


@metric("never_participated", "participation")
def never_participated(m: GovernanceModel) -> float:
    """Share of residents who have never taken part so far."""
    return 1.0 - _stats(m).count(EVER) / m.residents.n


# -- consensus -------------------------------------------------------------------------------


@metric("opinion_mean", "consensus")
def opinion_mean(m: GovernanceModel) -> float:
    """Mean opinion (1 = fully shares the agenda when the agenda is 1)."""
    return _stats(m).moments()[0]


@metric("opinion_variance", "consensus")
def opinion_variance(m: GovernanceModel) -> float:
    """Variance of opinions (0 = complete consensus)."""
    return _stats(m).moments()[1]


@metric("opinion_sd", "consensus")
def opinion_sd(m: GovernanceModel) -> float:
    """Standard deviation of opinions (0 = complete consensus)."""
    return math.sqrt(_stats(m).moments()[1])


@metric("consensus", "consensus")
def consensus(m: GovernanceModel) -> float:
    """1 while opinions are a consensus (sd ≤ ``metrics.consensus_sd``), else 0."""
    return float(math.sqrt(_stats(m).moments()[1]) <= m.params.metrics.consensus_sd)


def _clusters(m: GovernanceModel) -> tuple[np.ndarray, np.ndarray, float]:
    st = _stats(m)
    sizes, spans = st.resident_pass()[3:5]
    if st._clusters is None:
        mp = m.params.metrics
        st._clusters = _count_clusters(
            sizes, spans, m.residents.n, mp.cluster_min_share, mp.cluster_max_span
        )
    return sizes, spans, st._clusters


@metric("opinion_clusters", "consensus")
def opinion_clusters(m: GovernanceModel) -> float:
    """Number of opinion clusters (gap ``opinions.cluster_gap``; NaN while unsettled)."""
    return _clusters(m)[2]


@metric("largest_cluster", "consensus")
def largest_cluster(m: GovernanceModel) -> float:
    """Share of residents in the largest opinion cluster (NaN while clusters are undefined)."""
    sizes, _, count = _clusters(m)
    return float(sizes.max() / m.residents.n) if math.isfinite(count) else float("nan")


@metric("polarization", "consensus")
def polarization(m: GovernanceModel) -> float:
    """Duclos–Esteban–Ray polarization of opinions (1 = two equal camps at 0 and 1)."""
    mp = m.params.metrics
    w = _stats(m).resident_pass()[2]
    return der_polarization_grid(w, mp.polarization_alpha, mp.polarization_bandwidth)


@metric("bimodality", "consensus")
def bimodality_coefficient(m: GovernanceModel) -> float:
    """Sarle's bimodality coefficient of opinions (> 0.555 suggests two camps)."""
    return _bimodality_from(m.residents.n, *_stats(m).moments()[1:4])


@metric("agenda_distance", "consensus")
def agenda_distance(m: GovernanceModel) -> float:
    """Mean distance of opinions from the shared agenda."""
    return _stats(m).moments()[4]


@metric("decision_agreement", "consensus")
def decision_agreement(m: GovernanceModel) -> float:
    """Share of participants in favour at the latest consultation (NaN before the first)."""
    return float(m.last_decision[1]) if m.last_decision else float("nan")


# -- trust -----------------------------------------------------------------------------------


@metric("mean_trust", "trust")
def mean_trust(m: GovernanceModel) -> float:
    """Mean trust in the leading organization."""
    return _stats(m).moments()[5]


@metric("leader_credibility", "trust")
def leader_credibility(m: GovernanceModel) -> float:
    """Service record of the leading organization: resolved / (resolved + aged out while held).

    Needs it held but could not handle (misdirected) count as aged out while held.
    """
    return float(m.orgs[0].credibility)


# -- needs -----------------------------------------------------------------------------------


@metric("needs_created", "needs")
def needs_created(m: GovernanceModel) -> float:
    """Needs raised this week."""
    return float(m.events.get("needs_created", 0))


@metric("needs_resolved", "needs")
def needs_resolved(m: GovernanceModel) -> float:
    """Needs resolved this week."""
    return float(m.events.get("needs_resolved", 0))


@metric("needs_expired", "needs")
def needs_expired(m: GovernanceModel) -> float:
    """Needs that aged out unresolved this week."""
    return float(m.events.get("needs_expired", 0))


@metric("needs_dropped_wrong_org", "needs")
def needs_dropped_wrong_org(m: GovernanceModel) -> float:
    """Needs that aged out this week held by an organization unable to handle them."""
    return float(m.events.get("needs_dropped_wrong_org", 0))


@metric("resolution_rate", "needs")
def resolution_rate(m: GovernanceModel) -> float:
    """Resolved share of all needs closed so far (resolved + aged out); NaN before any."""
    b = m.needs
    return _ratio(b.total_resolved, b.total_resolved + b.total_expired)


@metric("resolution_rate_week", "needs")
def resolution_rate_week(m: GovernanceModel) -> float:
    """Resolved share of the needs closed this week (resolved + aged out); NaN if none."""
    r, e = m.events.get("needs_resolved", 0), m.events.get("needs_expired", 0)
    return _ratio(r, r + e)


@metric("mean_wait", "needs")
def mean_wait(m: GovernanceModel) -> float:
    """Mean weeks from raised to closed, of all needs closed this week (NaN if none).

    Closed means resolved or aged out: averaging the resolved needs alone rewards leaving the
    hard ones to age out (survivor bias).
    """
    ev = m.events
    closed = ev.get("needs_resolved", 0) + ev.get("needs_expired", 0)
    return _ratio(ev.get("wait_sum", 0.0) + ev.get("expired_wait_sum", 0.0), closed)


@metric("mean_wait_resolved", "needs")
def mean_wait_resolved(m: GovernanceModel) -> float:
    """Mean weeks from raised to resolved, of the needs resolved this week (NaN if none)."""
    return _ratio(m.events.get("wait_sum", 0.0), m.events.get("needs_resolved", 0))


@metric("backlog_age", "needs")
def backlog_age(m: GovernanceModel) -> float:
    """Mean age in weeks of the needs still open at the end of the week (NaN if none)."""
    b = m.needs
    if b.size == 0:
        return float("nan")
    return float(m.steps - b.created.mean())


@metric("backlog", "needs")
def backlog(m: GovernanceModel) -> float:
    """Open needs per 1,000 residents."""
    return 1000.0 * m.needs.size / m.residents.n


@metric("resources_per_resolved", "needs")
def resources_per_resolved(m: GovernanceModel) -> float:
    """Resource units used per need resolved this week (NaN if none)."""
    return _ratio(m.events.get("resources_used", 0.0), m.events.get("needs_resolved", 0))


# -- conflicts -------------------------------------------------------------------------------


@metric("conflicts_open", "conflicts")
def conflicts_open(m: GovernanceModel) -> float:
    """Open disputes per 1,000 residents."""
    return 1000.0 * m.conflicts.size / m.residents.n


@metric("conflicts_unresolved", "conflicts")
def conflicts_unresolved(m: GovernanceModel) -> float:
    """Disputes escalated unmediated so far, per 1,000 residents."""
    return 1000.0 * m.conflicts.total_escalated / m.residents.n


@metric("mediation_rate", "conflicts")
def mediation_rate(m: GovernanceModel) -> float:
    """Mediated share of all closed disputes so far (NaN before any)."""
    c = m.conflicts
    return _ratio(c.total_mediated, c.total_mediated + c.total_escalated)


# -- platform and strategy ---------------------------------------------------------------------


@metric("platform_adoption", "platform")
def platform_adoption(m: GovernanceModel) -> float:
    """Share of residents using the community platform."""
    return _stats(m).count(DIGITAL) / m.residents.n


def _effort(lever: str) -> Callable[[GovernanceModel], float]:
    def fn(m: GovernanceModel) -> float:
        return float(getattr(m.effort, lever))

    fn.__doc__ = f"Effort of the {lever} lever this week."
    return fn


for _lever in ("ideological", "political", "organizational", "smart"):
    metric(f"effort_{_lever}", "strategy")(_effort(_lever))


# -- per group -------------------------------------------------------------------------------


@metric("participation_rate", "participation", per_group=True)
def g_participation(m: GovernanceModel) -> np.ndarray:
    """Share of the group taking part this week."""
    return _stats(m).group_means()[PART].copy()


@metric("participation_gap", "participation", per_group=True)
def g_participation_gap(m: GovernanceModel) -> np.ndarray:
    """The group's participation rate minus the rate of all other residents."""
    _, rate, rest = _group_rates_vs_rest(m)
    return np.array(rate) - np.array(rest)


@metric("never_participated", "participation", per_group=True)
def g_never(m: GovernanceModel) -> np.ndarray:
    """Share of the group that has never taken part."""
    return 1.0 - _stats(m).group_means()[EVER]


@metric("opinion_mean", "consensus", per_group=True)
def g_opinion(m: GovernanceModel) -> np.ndarray:
    """Mean opinion of the group."""
    return _stats(m).group_means()[OPINION].copy()


@metric("agenda_distance", "consensus", per_group=True)
def g_distance(m: GovernanceModel) -> np.ndarray:
    """Mean distance of the group's opinions from the agenda."""
    return _stats(m).group_means()[DISTANCE].copy()


@metric("mean_trust", "trust", per_group=True)
def g_trust(m: GovernanceModel) -> np.ndarray:
    """Mean trust of the group."""
    return _stats(m).group_means()[TRUST].copy()


@metric("platform_adoption", "platform", per_group=True)
def g_adoption(m: GovernanceModel) -> np.ndarray:
    """Share of the group using the platform."""
    return _stats(m).group_means()[DIGITAL].copy()


@metric("resolution_rate", "needs", per_group=True)
def g_resolution(m: GovernanceModel) -> np.ndarray:
    """Resolved share of the group's closed needs so far."""
    closed = m.group_closed
    out = np.full(closed.shape, np.nan)
    # closed counts are whole numbers: = where(closed > 0, resolved / max(closed, 1), nan)
    np.divide(m.group_resolved, closed, out=out, where=closed > 0)
    return out


# -- evaluation and run-level summaries ---------------------------------------------------------


def evaluate(model: GovernanceModel, names: Iterable[str] | None = None) -> dict[str, float]:
    """Evaluate model metrics by name (all by default), sharing intermediate results."""
    names = list(MODEL_METRICS) if names is None else list(names)
    with _shared(model):
        return {n: MODEL_METRICS[n].fn(model) for n in names}


def evaluate_groups(model: GovernanceModel) -> dict[str, np.ndarray]:
    """Evaluate every group metric (sharing intermediate results)."""
    with _shared(model):
        return {n: np.asarray(mt.fn(model), dtype=float) for n, mt in GROUP_METRICS.items()}


class _FreshGroups(dict):
    """The group metrics of one collection: a dict whose arrays were just built for it.

    Mesa deep-copies every reporter's value so that later changes to the model cannot alter
    what was recorded; these arrays belong to nothing else, so the copy is skipped.
    """

    def __deepcopy__(self, memo: dict) -> dict:
        return self


def _collect_groups(model: GovernanceModel) -> dict[str, np.ndarray]:
    """:func:`evaluate_groups` with freshly built arrays (each metric's own result, copied)."""
    with _shared(model):
        return _FreshGroups(
            (n, np.array(mt.fn(model), dtype=float)) for n, mt in GROUP_METRICS.items()
        )


def _reporter(fn: Callable, *, first: bool = False, last: bool = False) -> Callable:
    """Wrap a metric for the DataCollector: the first reporter of a collection opens the
    shared scope, the last closes it; any reporter that raises closes it too."""

    def report(m: Any) -> Any:
        if first:
            _close(m)  # a scope left open cannot survive into a new collection
            _open(m)
        try:
            value = fn(m)
        except BaseException:
            _close(m)
            raise
        if last:
            _close(m)
        return value

    report.__name__ = report.__qualname__ = getattr(fn, "__name__", "report")
    report.__doc__ = fn.__doc__
    return report


def datacollector_reporters() -> dict[str, Callable]:
    """Model reporters for Mesa's DataCollector, built from the registry.

    Mesa calls the reporters one after another on the same, unchanging state (in this dict's
    order), so one collection shares one set of intermediate results: the first reporter opens
    a scope for the model, the last (``_groups``, every group metric) closes it. Each reporter
    is its registered metric; only the sharing is added.
    """
    names = list(MODEL_METRICS)
    reps: dict[str, Callable] = {
        n: _reporter(MODEL_METRICS[n].fn, first=i == 0) for i, n in enumerate(names)
    }
    reps["_groups"] = _reporter(_collect_groups, last=True)
    return reps


def time_to_consensus(model_df: pd.DataFrame) -> float:
    """First week from which the run stays in consensus to its end (NaN if it ends outside).

    Reads the per-week ``consensus`` indicator (opinion sd ≤ ``metrics.consensus_sd``). A run
    that ends outside consensus is *censored* at its last week: report it with
    :func:`consensus_survival`, never by dropping it from a mean.
    """
    c = model_df["consensus"].to_numpy(dtype=float) > 0.5
    if not c.size or not c[-1]:
        return float("nan")
    out = np.flatnonzero(~c)
    first = 0 if out.size == 0 else out[-1] + 1
    return float(model_df["step"].to_numpy()[first])


def kaplan_meier(times: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate of the survival function from right-censored times.

    Kaplan & Meier (1958), "Nonparametric estimation from incomplete observations", *JASA*
    53:457: S(t) = Π_{t_i ≤ t} (1 − d_i / n_i) over the distinct event times t_i, with d_i
    events at t_i and n_i still at risk (censored at t_i counts as at risk at t_i).

    Returns:
        The distinct event times and S just after each (an empty pair if no event).
    """
    t = np.asarray(times, dtype=np.float64)
    e = np.asarray(observed, dtype=bool)
    if t.shape != e.shape or np.isnan(t).any():
        raise ValueError("kaplan_meier: times and observed must be equal-length, no NaN")
    ev = np.unique(t[e])
    at_risk = np.array([np.count_nonzero(t >= u) for u in ev], dtype=np.float64)
    deaths = np.array([np.count_nonzero((t == u) & e) for u in ev], dtype=np.float64)
    return ev, np.cumprod(1.0 - deaths / at_risk)


def restricted_mean(times: np.ndarray, observed: np.ndarray, horizon: float) -> float:
    """Restricted mean survival time: the area under the Kaplan–Meier curve from 0 to ``horizon``.

    Royston & Parmar (2013), *BMC Med. Res. Methodol.* 13:152. The mean time to
    the event when times beyond the horizon are counted as the horizon — defined even when
    many runs never reach the event.
    """
    ev, sf = kaplan_meier(times, observed)
    knots = np.concatenate([[0.0], ev[ev < horizon], [horizon]])
    level = np.concatenate([[1.0], sf[ev < horizon]])
    return float(np.sum(np.diff(knots) * level))


def consensus_survival(
    time: np.ndarray, reached: np.ndarray, followup: np.ndarray
) -> dict[str, float]:
    """Time to consensus over runs, with the censored runs kept in.

    Args:
        time: Each run's ``time_to_consensus`` (NaN where not reached).
        reached: Each run's ``consensus_reached`` (1 reached, 0 censored).
        followup: Each run's ``consensus_followup`` (its last week: the censoring time).

    Returns:
        ``runs``, ``share_never`` (share of runs censored), ``km_median`` (first week with
        S ≤ 0.5; NaN if the curve never gets there), ``rmst`` (restricted mean to the
        shortest follow-up, :func:`restricted_mean`), and ``horizon``.
    """
    reached = np.asarray(reached, dtype=float) > 0.5
    t = np.where(reached, np.asarray(time, dtype=float), np.asarray(followup, dtype=float))
    if t.size == 0:
        return {"runs": 0, "share_never": float("nan"), "km_median": float("nan"),
                "rmst": float("nan"), "horizon": float("nan")}  # fmt: skip
    ev, sf = kaplan_meier(t, reached)
    below = np.flatnonzero(sf <= 0.5)
    horizon = float(np.min(np.asarray(followup, dtype=float)))
    return {
        "runs": int(t.size),
        "share_never": float(1.0 - reached.mean()),
        "km_median": float(ev[below[0]]) if below.size else float("nan"),
        "rmst": restricted_mean(t, reached, horizon),
        "horizon": horizon,
    }


def summarise(model_df: pd.DataFrame, window: int | None = None) -> dict[str, float]:
    """Run-level outcomes from the per-step table.

    Returns ``final_<metric>`` (last week), ``mean_<metric>`` (mean over the last ``window``
    weeks, all weeks after week 0 by default), ``time_to_consensus`` (NaN where censored),
    ``consensus_reached`` (1/0) and ``consensus_followup`` (the last week, the censoring time
    of a run that never reached consensus).
    """
    df = model_df[model_df["step"] > 0] if (model_df["step"] > 0).any() else model_df
    if window:
        df = df.tail(window)
    out: dict[str, float] = {}
    last = model_df.iloc[-1]
    for name in MODEL_METRICS:
        if name not in model_df:
            continue
        out[f"final_{name}"] = float(last[name])
        col = df[name].to_numpy(dtype=float)
        out[f"mean_{name}"] = float(np.nanmean(col)) if np.isfinite(col).any() else float("nan")
    if "consensus" in model_df:
        ttc = time_to_consensus(model_df)
        out["time_to_consensus"] = ttc
        out["consensus_reached"] = float(math.isfinite(ttc))
        out["consensus_followup"] = float(last["step"])
    return out
