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
computed once. The sharing is scoped to one collection (see :func:`datacollector_reporters`):
outside a collection every metric computes from the model's current state, so a metric called
on its own — by a strategy mid-week, a test, the UI — never sees a stale value.
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

from ._jit import active as jit_active
from ._jit import njit

if TYPE_CHECKING:
    from .model import GovernanceModel

__all__ = [
    "GROUP_METRICS",
    "MODEL_METRICS",
    "Metric",
    "bimodality",
    "cluster_sizes",
    "esteban_ray",
    "evaluate",
    "n_clusters",
    "summarise",
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


def n_clusters(x: np.ndarray, gap: float, min_share: float = 0.01) -> int:
    """Number of opinion clusters: runs of sorted opinions separated by more than ``gap``.

    Clusters smaller than ``min_share`` of the population are not counted (isolated
    stragglers), following common practice for bounded-confidence models
    (Lorenz 2007, *Int. J. Mod. Phys. C* 18:1819).
    """
    if x.size == 0:
        return 0
    sizes = cluster_sizes(x, gap)
    return int(np.sum(sizes >= max(1, min_share * x.size)))


def cluster_sizes(x: np.ndarray, gap: float) -> np.ndarray:
    """Sizes of the runs of sorted ``x`` separated by gaps larger than ``gap``, in order.

    Equal to splitting ``np.sort(x)`` wherever ``np.diff > gap``, but without sorting: values
    are put in buckets of width gap/2 (a monotone map, so buckets follow the sorted order and
    no gap inside a bucket can exceed ``gap``); a run can only end between two consecutive
    non-empty buckets, where the gap is the next bucket's minimum minus this one's maximum —
    the same two numbers ``np.diff`` would subtract. O(N) instead of O(N log N).
    """
    n = x.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lo = float(x.min())
    scale = 2.0 / gap
    span = (float(x.max()) - lo) * scale
    if n <= 16384 or not np.isfinite(span) or span > 4 * n:
        s = np.sort(x)  # small, too many buckets to pay off, or non-finite values
        breaks = np.flatnonzero(np.diff(s) > gap)
        return np.diff(np.concatenate([[0], breaks + 1, [n]]))
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
    return np.diff(csum[edges])


def esteban_ray(x: np.ndarray, alpha: float = 1.6, bins: int = 10) -> float:
    """Esteban–Ray polarization (Esteban & Ray 1994, *Econometrica* 62:819).

    P = Σ_i Σ_j π_i^(1+α) π_j |y_i − y_j| over a histogram of ``bins`` equal bins on [0, 1]
    (y = bin centres, π = shares), normalised by its maximum (two equal masses at 0 and 1),
    so P ∈ [0, 1].
    """
    if x.size == 0:
        return 0.0
    counts, _ = np.histogram(x, bins=bins, range=(0.0, 1.0))
    return esteban_ray_counts(counts, x.size, alpha)


@lru_cache(maxsize=8)
def _er_geometry(bins: int, alpha: float) -> tuple[np.ndarray, float]:
    """Distances between bin centres and the normalising maximum (fixed for given bins, α)."""
    edges = np.linspace(0.0, 1.0, bins + 1)  # np.histogram's edges for range (0, 1)
    y = (edges[:-1] + edges[1:]) / 2
    dist = np.abs(y[:, None] - y[None, :])
    dist.setflags(write=False)
    d = y[-1] - y[0]
    return dist, 2 * 0.5 ** (2 + alpha) * d


def esteban_ray_counts(counts: np.ndarray, n: int, alpha: float = 1.6) -> float:
    """:func:`esteban_ray` from the histogram ``counts`` of ``n`` values (same arithmetic)."""
    if n == 0:
        return 0.0
    dist, pmax = _er_geometry(int(counts.size), float(alpha))
    pi = counts / n
    p = float(np.sum(pi[:, None] ** (1 + alpha) * pi[None, :] * dist))
    return p / pmax


def bimodality(x: np.ndarray) -> float:
    """Sarle's bimodality coefficient b = (g² + 1) / (κ + 3(n−1)²/((n−2)(n−3))).

    Values above 5/9 ≈ 0.555 suggest a bimodal distribution (SAS Institute 1990; Pfister et al.
    2013, *Front. Psychol.* 4:700). Returns 0 for fewer than 4 values or no spread.
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

#: Rows of the per-group sums (:meth:`_Stats.resident_pass`).
_PART, _EVER, _OPINION, _DISTANCE, _TRUST, _DIGITAL = range(6)
_HIST_BINS = 10  # Esteban–Ray histogram: 10 equal bins on [0, 1]


def _histogram10(x: np.ndarray, edges: np.ndarray, hist: np.ndarray) -> None:  # pragma: no cover
    """``np.histogram(x, 10, range=(0, 1))`` counts, by comparisons with the edges.

    numpy puts an in-range value in bin ``int(x·10)`` corrected by one against ``edges``,
    i.e. in the bin k with ``edges[k] ≤ x < edges[k + 1]`` (the last bin also takes x = 1):
    ``int(x·10)`` is never off by more than one. Counting the in-range values below each
    edge gives the same counts; the loop has no branch and no scatter, so it vectorizes.
    Values outside [0, 1] and NaN are left out, as numpy does.
    """
    lo, hi = edges[0], edges[10]
    e1, e2, e3, e4, e5 = edges[1], edges[2], edges[3], edges[4], edges[5]
    e6, e7, e8, e9 = edges[6], edges[7], edges[8], edges[9]
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = 0
    for i in range(x.size):
        xi = x[i]
        r = (xi >= lo) & (xi <= hi)
        c0 += r
        c1 += r & (xi < e1)
        c2 += r & (xi < e2)
        c3 += r & (xi < e3)
        c4 += r & (xi < e4)
        c5 += r & (xi < e5)
        c6 += r & (xi < e6)
        c7 += r & (xi < e7)
        c8 += r & (xi < e8)
        c9 += r & (xi < e9)
    hist[0] = c1
    hist[1] = c2 - c1
    hist[2] = c3 - c2
    hist[3] = c4 - c3
    hist[4] = c5 - c4
    hist[5] = c6 - c5
    hist[6] = c7 - c6
    hist[7] = c8 - c7
    hist[8] = c9 - c8
    hist[9] = c0 - c9


def _resident_pass_loop(
    group: np.ndarray,
    part: np.ndarray,
    ever: np.ndarray,
    digital: np.ndarray,
    x: np.ndarray,
    trust: np.ndarray,
    agenda: float,
    sizes: np.ndarray,
    sums: np.ndarray,
    lo: float,
    scale: float,
    gap: float,
    runs: np.ndarray,
) -> int:  # pragma: no cover - compiled by numba (coverage cannot see inside)
    """One pass over the residents: what the metrics need, bit for bit as numpy computes it.

    * group sizes and per-group sums — the float sums (opinion, distance to the agenda,
      trust) in index order, as ``np.bincount(group, weights=w)`` adds ``w[i]`` to its group's
      running float64 sum; the 0/1 attributes (taking part, ever taken part, platform) counted
      as integers (exact, so the same numbers);
    * when ``runs`` is not empty (it has one slot per bucket), the cluster sizes of
      :func:`cluster_sizes`: count, minimum and maximum of each bucket of width gap/2 from
      ``lo``, then the scan of consecutive non-empty buckets; returns the number of clusters.
    """
    ng = sizes.size
    nb = runs.size
    bcount = np.zeros(nb, dtype=np.int64)
    bmin = np.full(nb, np.inf)
    bmax = np.full(nb, -np.inf)
    # The three 0/1 attributes and the group as one code: one counter per resident, not four.
    code = np.zeros(8 * ng, dtype=np.int64)
    for i in range(x.size):
        g = np.uint64(group[i])
        xi = x[i]
        code[g * np.uint64(8) + np.uint64(part[i] + 2 * ever[i] + 4 * digital[i])] += 1
        sums[_OPINION, g] += xi
        sums[_DISTANCE, g] += abs(xi - agenda)
        sums[_TRUST, g] += trust[i]
        if nb:
            b = int((xi - lo) * scale)
            bcount[b] += 1
            if xi < bmin[b]:
                bmin[b] = xi
            if xi > bmax[b]:
                bmax[b] = xi
    for g in range(ng):
        for c in range(8):
            v = code[g * 8 + c]
            sizes[g] += v
            sums[_PART, g] += v * (c & 1)
            sums[_EVER, g] += v * ((c >> 1) & 1)
            sums[_DIGITAL, g] += v * ((c >> 2) & 1)
    return _bucket_runs(bcount, bmin, bmax, gap, runs) if nb else 0


def _bucket_runs(
    bcount: np.ndarray, bmin: np.ndarray, bmax: np.ndarray, gap: float, out: np.ndarray
) -> int:  # pragma: no cover - compiled by numba
    """Run sizes from the buckets (the scan of :func:`cluster_sizes`); returns how many."""
    runs = 0
    size = 0
    prev = -1
    for b in range(bcount.size):
        if bcount[b] == 0:
            continue
        if prev >= 0 and bmin[b] - bmax[prev] > gap:
            out[runs] = size
            runs += 1
            size = 0
        size += bcount[b]
        prev = b
    if prev >= 0:
        out[runs] = size
        runs += 1
    return runs


def _pairwise_leaf_first(
    x: np.ndarray, y: np.ndarray, a: float, lo: int, n: int
) -> tuple[float, float, float]:  # pragma: no cover - compiled by numba
    """One leaf (n ≤ 128) of the pairwise sums of ``x``, ``|x − a|`` and ``y``."""
    if n < 8:
        s0 = s1 = s2 = 0.0
        for i in range(lo, lo + n):
            s0 += x[i]
            s1 += abs(x[i] - a)
            s2 += y[i]
        return s0, s1, s2
    p0, q0, r0 = x[lo + 0], abs(x[lo + 0] - a), y[lo + 0]
    p1, q1, r1 = x[lo + 1], abs(x[lo + 1] - a), y[lo + 1]
    p2, q2, r2 = x[lo + 2], abs(x[lo + 2] - a), y[lo + 2]
    p3, q3, r3 = x[lo + 3], abs(x[lo + 3] - a), y[lo + 3]
    p4, q4, r4 = x[lo + 4], abs(x[lo + 4] - a), y[lo + 4]
    p5, q5, r5 = x[lo + 5], abs(x[lo + 5] - a), y[lo + 5]
    p6, q6, r6 = x[lo + 6], abs(x[lo + 6] - a), y[lo + 6]
    p7, q7, r7 = x[lo + 7], abs(x[lo + 7] - a), y[lo + 7]
    i = lo + 8
    stop = lo + n - n % 8
    while i < stop:
        p0 += x[i + 0]
        q0 += abs(x[i + 0] - a)
        r0 += y[i + 0]
        p1 += x[i + 1]
        q1 += abs(x[i + 1] - a)
        r1 += y[i + 1]
        p2 += x[i + 2]
        q2 += abs(x[i + 2] - a)
        r2 += y[i + 2]
        p3 += x[i + 3]
        q3 += abs(x[i + 3] - a)
        r3 += y[i + 3]
        p4 += x[i + 4]
        q4 += abs(x[i + 4] - a)
        r4 += y[i + 4]
        p5 += x[i + 5]
        q5 += abs(x[i + 5] - a)
        r5 += y[i + 5]
        p6 += x[i + 6]
        q6 += abs(x[i + 6] - a)
        r6 += y[i + 6]
        p7 += x[i + 7]
        q7 += abs(x[i + 7] - a)
        r7 += y[i + 7]
        i += 8
    s0 = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
    s1 = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
    s2 = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        s0 += x[i]
        s1 += abs(x[i] - a)
        s2 += y[i]
        i += 1
    return s0, s1, s2


def _pairwise_leaf_central(
    x: np.ndarray, y: np.ndarray, c: float, lo: int, n: int
) -> tuple[float, float, float]:  # pragma: no cover - compiled by numba
    """One leaf (n ≤ 128) of the pairwise sums of d², d²·d and d²·d² (d = x − c)."""
    if n < 8:
        s2 = s3 = s4 = 0.0
        for i in range(lo, lo + n):
            d = x[i] - c
            d2 = d * d
            s2 += d2
            s3 += d2 * d
            s4 += d2 * d2
        return s2, s3, s4
    d = x[lo + 0] - c
    d2 = d * d
    p0, q0, r0 = d2, d2 * d, d2 * d2
    d = x[lo + 1] - c
    d2 = d * d
    p1, q1, r1 = d2, d2 * d, d2 * d2
    d = x[lo + 2] - c
    d2 = d * d
    p2, q2, r2 = d2, d2 * d, d2 * d2
    d = x[lo + 3] - c
    d2 = d * d
    p3, q3, r3 = d2, d2 * d, d2 * d2
    d = x[lo + 4] - c
    d2 = d * d
    p4, q4, r4 = d2, d2 * d, d2 * d2
    d = x[lo + 5] - c
    d2 = d * d
    p5, q5, r5 = d2, d2 * d, d2 * d2
    d = x[lo + 6] - c
    d2 = d * d
    p6, q6, r6 = d2, d2 * d, d2 * d2
    d = x[lo + 7] - c
    d2 = d * d
    p7, q7, r7 = d2, d2 * d, d2 * d2
    i = lo + 8
    stop = lo + n - n % 8
    while i < stop:
        d = x[i + 0] - c
        d2 = d * d
        p0 += d2
        q0 += d2 * d
        r0 += d2 * d2
        d = x[i + 1] - c
        d2 = d * d
        p1 += d2
        q1 += d2 * d
        r1 += d2 * d2
        d = x[i + 2] - c
        d2 = d * d
        p2 += d2
        q2 += d2 * d
        r2 += d2 * d2
        d = x[i + 3] - c
        d2 = d * d
        p3 += d2
        q3 += d2 * d
        r3 += d2 * d2
        d = x[i + 4] - c
        d2 = d * d
        p4 += d2
        q4 += d2 * d
        r4 += d2 * d2
        d = x[i + 5] - c
        d2 = d * d
        p5 += d2
        q5 += d2 * d
        r5 += d2 * d2
        d = x[i + 6] - c
        d2 = d * d
        p6 += d2
        q6 += d2 * d
        r6 += d2 * d2
        d = x[i + 7] - c
        d2 = d * d
        p7 += d2
        q7 += d2 * d
        r7 += d2 * d2
        i += 8
    s2 = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
    s3 = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
    s4 = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        d = x[i] - c
        d2 = d * d
        s2 += d2
        s3 += d2 * d
        s4 += d2 * d2
        i += 1
    return s2, s3, s4


def _pairwise3(
    central: bool, x: np.ndarray, y: np.ndarray, c: float
) -> tuple[float, float, float]:  # pragma: no cover - compiled by numba
    """Three sums over all of ``x`` (by the central or the first leaf), in numpy's pairwise
    order.

    numpy sums a float64 array by pairwise summation (``pairwise_sum`` in numpy's
    ``loops_utils.h.src``): fewer than 8 values one by one; up to 128 in eight interleaved
    partial sums combined as ``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, the rest
    added one by one; more are split at ``n/2`` rounded down to a multiple of 8 and the two
    halves' sums added. The tree is walked here with an explicit stack (numba's on-disk cache
    does not support recursive functions); the reduction starts from 0.0, as numpy's does.
    Following it term for term gives numpy's bits (tests/docking/test_kernels.py checks sizes
    1…10⁶) without making the arrays of terms numpy would need.
    """
    todo_lo = np.empty(128, dtype=np.int64)
    todo_n = np.empty(128, dtype=np.int64)  # n < 0: add the two sums on top of the stack
    vals = np.empty((128, 3))
    top = 0
    nv = 0
    todo_lo[0] = 0
    todo_n[0] = x.size
    top = 1
    while top:
        top -= 1
        lo = todo_lo[top]
        n = todo_n[top]
        if n < 0:
            nv -= 1
            for k in range(3):
                vals[nv - 1, k] += vals[nv, k]
        elif n <= 128:
            if central:
                s0, s1, s2 = _pairwise_leaf_central(x, y, c, lo, n)
            else:
                s0, s1, s2 = _pairwise_leaf_first(x, y, c, lo, n)
            vals[nv, 0] = s0
            vals[nv, 1] = s1
            vals[nv, 2] = s2
            nv += 1
        else:
            n2 = n // 2
            n2 -= n2 % 8
            todo_n[top] = -1  # then combine
            todo_lo[top + 1] = lo + n2  # then the right half
            todo_n[top + 1] = n - n2
            todo_lo[top + 2] = lo  # first the left half
            todo_n[top + 2] = n2
            top += 3
    return 0.0 + vals[0, 0], 0.0 + vals[0, 1], 0.0 + vals[0, 2]


def _moments_loop(
    x: np.ndarray, trust: np.ndarray, agenda: float
) -> tuple[float, float, float, float, float, float]:  # pragma: no cover - compiled by numba
    """:func:`_moments_numpy`, bit for bit (``x`` not empty)."""
    n = x.size
    sx, sdist, st = _pairwise3(False, x, trust, agenda)
    mean = sx / n
    s2, s3, s4 = _pairwise3(True, x, x, mean)
    return mean, s2 / n, s3 / n, s4 / n, sdist / n, st / n


def _moments_numpy(
    x: np.ndarray, trust: np.ndarray, agenda: float
) -> tuple[float, float, float, float, float, float]:
    """Opinion mean; mean(d²) (= ``x.var()``), mean(d²·d), mean(d²·d²) with d = x − mean;
    mean |x − agenda|; mean trust."""
    mean = x.mean()
    d = x - mean
    d2 = d * d
    return (
        float(mean),
        float(np.mean(d2)),
        float(np.mean(d2 * d)),
        float(np.mean(d2 * d2)),
        float(np.abs(x - agenda).mean()),
        float(trust.mean()),
    )


_bucket_runs = njit(_bucket_runs) or _bucket_runs
_resident_pass_jit = njit(_resident_pass_loop)
_histogram10_jit = njit(_histogram10)
_pairwise_leaf_first = njit(_pairwise_leaf_first) or _pairwise_leaf_first
_pairwise_leaf_central = njit(_pairwise_leaf_central) or _pairwise_leaf_central
_pairwise3 = njit(_pairwise3) or _pairwise3
_moments_jit = njit(_moments_loop)


def _resident_pass_numpy(
    m: GovernanceModel, ng: int, gap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The numpy definition of :func:`_resident_pass_loop` (used without numba)."""
    res = m.residents
    g = res.group.astype(np.intp)
    x = res.opinion
    sizes = np.bincount(g, minlength=ng)
    sums = np.empty((6, ng))
    sums[_PART] = np.bincount(g, weights=res.participating.astype(float), minlength=ng)
    sums[_EVER] = np.bincount(g, weights=res.ever_participated.astype(float), minlength=ng)
    sums[_OPINION] = np.bincount(g, weights=x, minlength=ng)
    sums[_DISTANCE] = np.bincount(g, weights=np.abs(x - m.p.opinions.agenda), minlength=ng)
    sums[_TRUST] = np.bincount(g, weights=res.trust, minlength=ng)
    sums[_DIGITAL] = np.bincount(g, weights=res.digital.astype(float), minlength=ng)
    hist, _ = np.histogram(x, bins=_HIST_BINS, range=(0.0, 1.0))
    clusters = cluster_sizes(x, gap) if x.size else np.zeros(0, dtype=np.int64)
    return sizes, sums, hist, clusters


class _Stats:
    """Intermediate results of the metrics for the model's current state, computed lazily."""

    __slots__ = ("_counts", "_means", "_moments", "_pass", "m")

    def __init__(self, m: GovernanceModel) -> None:
        self.m = m
        self._pass: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._moments: tuple[float, float, float, float, float, float] | None = None
        self._means: np.ndarray | None = None
        self._counts: list[float] | None = None

    def resident_pass(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(group sizes, per-group sums (6 × groups), opinion histogram, cluster sizes)."""
        if self._pass is None:
            self._pass = self._compute_pass()
        return self._pass

    def _compute_pass(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        m = self.m
        res = m.residents
        ng = len(m.group_names)
        gap = m.p.opinions.cluster_gap
        x = res.opinion
        n = x.size
        if _resident_pass_jit is None or not jit_active():
            return _resident_pass_numpy(m, ng, gap)
        hist = np.zeros(_HIST_BINS, dtype=np.int64)
        _histogram10_jit(x, _hist_edges(), hist)
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
        k = _resident_pass_jit(
            res.group, res.participating, res.ever_participated, res.digital, x, res.trust,
            float(m.p.opinions.agenda), sizes, sums, float(lo), scale, float(gap), runs,
        )  # fmt: skip
        if nb:
            clusters = runs[:k]
        elif n:
            clusters = cluster_sizes(x, gap)  # non-finite values or too many buckets: sort
        else:
            clusters = np.zeros(0, dtype=np.int64)
        return sizes, sums, hist, clusters

    def group_means(self) -> np.ndarray:
        """Per-group means of the six attributes (rows as the sums; NaN for empty groups)."""
        if self._means is None:
            sizes, sums, _, _ = self.resident_pass()
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

        Each is numpy's own value to the bit (:func:`_moments_numpy`; ``mean(d²)`` is
        ``np.var``: the same subtraction, product and pairwise sum).
        """
        if self._moments is None:
            res = self.m.residents
            agenda = float(self.m.p.opinions.agenda)
            if _moments_jit is not None and res.opinion.size and jit_active():
                self._moments = _moments_jit(res.opinion, res.trust, agenda)
            else:
                self._moments = _moments_numpy(res.opinion, res.trust, agenda)
        return self._moments


@lru_cache(maxsize=1)
def _hist_edges() -> np.ndarray:
    # np.histogram's edges for range (0, 1); the compiled pass relies on that range.
    edges = np.linspace(0.0, 1.0, _HIST_BINS + 1)
    edges.setflags(write=False)
    return edges


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
    return _stats(m).count(_PART) / m.residents.n


@metric("participation_gap", "participation")
def participation_gap(m: GovernanceModel) -> float:
    """Highest minus lowest group participation rate."""
    r = [v for v in _stats(m).group_means()[_PART].tolist() if math.isfinite(v)]
    return max(r) - min(r) if r else 0.0


@metric("never_participated", "participation")
def never_participated(m: GovernanceModel) -> float:
    """Share of residents who have never taken part so far."""
    return 1.0 - _stats(m).count(_EVER) / m.residents.n


# -- consensus -------------------------------------------------------------------------------


@metric("opinion_mean", "consensus")
def opinion_mean(m: GovernanceModel) -> float:
    """Mean opinion (1 = fully shares the agenda when the agenda is 1)."""
    return _stats(m).moments()[0]


@metric("opinion_variance", "consensus")
def opinion_variance(m: GovernanceModel) -> float:
    """Variance of opinions (0 = complete consensus)."""
    return _stats(m).moments()[1]


@metric("opinion_clusters", "consensus")
def opinion_clusters(m: GovernanceModel) -> float:
    """Number of opinion clusters (gap ``opinions.cluster_gap``, clusters ≥ 1 % of residents)."""
    sizes = _stats(m).resident_pass()[3]
    return float(np.count_nonzero(sizes >= max(1, 0.01 * m.residents.n)))


@metric("largest_cluster", "consensus")
def largest_cluster(m: GovernanceModel) -> float:
    """Share of residents in the largest opinion cluster."""
    sizes = _stats(m).resident_pass()[3]
    return float(sizes.max() / m.residents.n)


@metric("polarization", "consensus")
def polarization(m: GovernanceModel) -> float:
    """Esteban–Ray polarization of opinions (α = 1.6, 10 bins), normalised to [0, 1]."""
    return esteban_ray_counts(_stats(m).resident_pass()[2], m.residents.n)


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
    """Service record of the leading organization: resolved / (resolved + lost)."""
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


@metric("mean_wait", "needs")
def mean_wait(m: GovernanceModel) -> float:
    """Mean weeks from raised to resolved, of the needs resolved this week (NaN if none)."""
    return _ratio(m.events.get("wait_sum", 0.0), m.events.get("needs_resolved", 0))


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
    return _stats(m).count(_DIGITAL) / m.residents.n


def _effort(lever: str) -> Callable[[GovernanceModel], float]:
    def fn(m: GovernanceModel) -> float:
        return float(getattr(m.effort, lever))

    fn.__doc__ = f"Intensity of the {lever} lever this week."
    return fn


for _lever in ("ideological", "political", "organizational", "smart"):
    metric(f"effort_{_lever}", "strategy")(_effort(_lever))


# -- per group -------------------------------------------------------------------------------


@metric("participation_rate", "participation", per_group=True)
def g_participation(m: GovernanceModel) -> np.ndarray:
    """Share of the group taking part this week."""
    return _stats(m).group_means()[_PART].copy()


@metric("never_participated", "participation", per_group=True)
def g_never(m: GovernanceModel) -> np.ndarray:
    """Share of the group that has never taken part."""
    return 1.0 - _stats(m).group_means()[_EVER]


@metric("opinion_mean", "consensus", per_group=True)
def g_opinion(m: GovernanceModel) -> np.ndarray:
    """Mean opinion of the group."""
    return _stats(m).group_means()[_OPINION].copy()


@metric("agenda_distance", "consensus", per_group=True)
def g_distance(m: GovernanceModel) -> np.ndarray:
    """Mean distance of the group's opinions from the agenda."""
    return _stats(m).group_means()[_DISTANCE].copy()


@metric("mean_trust", "trust", per_group=True)
def g_trust(m: GovernanceModel) -> np.ndarray:
    """Mean trust of the group."""
    return _stats(m).group_means()[_TRUST].copy()


@metric("platform_adoption", "platform", per_group=True)
def g_adoption(m: GovernanceModel) -> np.ndarray:
    """Share of the group using the platform."""
    return _stats(m).group_means()[_DIGITAL].copy()


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


#: Variance below which opinions count as a consensus (for time to consensus).
CONSENSUS_VARIANCE = 0.01


def time_to_consensus(model_df: pd.DataFrame, threshold: float = CONSENSUS_VARIANCE) -> float:
    """First week from which opinion variance stays below ``threshold`` (NaN if never)."""
    v = model_df["opinion_variance"].to_numpy()
    below = v < threshold
    if not below.size or not below[-1]:
        return float("nan")
    above = np.flatnonzero(~below)
    first = 0 if above.size == 0 else above[-1] + 1
    return float(model_df["step"].to_numpy()[first])


def summarise(model_df: pd.DataFrame, window: int | None = None) -> dict[str, float]:
    """Run-level outcomes from the per-step table.

    Returns ``final_<metric>`` (last week), ``mean_<metric>`` (mean over the last ``window``
    weeks, all weeks after week 0 by default) and ``time_to_consensus``.
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
    out["time_to_consensus"] = time_to_consensus(model_df)
    return out
