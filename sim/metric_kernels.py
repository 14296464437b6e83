"""The compiled kernels of the metrics (numba when available), beside their numpy definitions.

:mod:`sim.metrics` is the registry of the outcome metrics and their definitions; the few of
its computations that run once per collection over every resident are here as plain loops
that :func:`sim._jit.njit` compiles, each equal bit for bit to the numpy computation it
replaces (tests/docking/test_kernels.py checks every one):

* :func:`resident_pass_loop` — one pass over the residents: group sizes, the per-group sums
  of six attributes (rows :data:`PART` … :data:`DIGITAL`), the polarization grid weights and
  the opinion-cluster buckets (numpy definition: ``sim.metrics._resident_pass_numpy``);
* :func:`moments_loop` — opinion mean and central moments, mean distance to the agenda and
  mean trust, following numpy's pairwise summation term for term (:func:`pairwise3`;
  numpy definition: :func:`moments_numpy`);
* :func:`der_sum` — the last sum of the Duclos–Esteban–Ray index on the grid.

``*_jit`` is the compiled kernel, or ``None`` without numba. Read them through the module
(``metric_kernels.resident_pass_jit``): :func:`sim._jit.njit` rebinds these module-level names
when numba loads.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit

__all__ = [
    "DIGITAL",
    "DISTANCE",
    "EVER",
    "OPINION",
    "PART",
    "TRUST",
    "bucket_runs",
    "der_sum",
    "der_sum_jit",
    "moments_jit",
    "moments_loop",
    "moments_numpy",
    "pairwise3",
    "pairwise_leaf_central",
    "pairwise_leaf_first",
    "resident_pass_jit",
    "resident_pass_loop",
]

#: Rows of the per-group sums (``sim.metrics._Stats.resident_pass``).
PART, EVER, OPINION, DISTANCE, TRUST, DIGITAL = range(6)


def resident_pass_loop(
    group: np.ndarray,
    part: np.ndarray,
    ever: np.ndarray,
    digital: np.ndarray,
    x: np.ndarray,
    trust: np.ndarray,
    agenda: float,
    sizes: np.ndarray,
    sums: np.ndarray,
    wlo: np.ndarray,
    whi: np.ndarray,
    lo: float,
    scale: float,
    gap: float,
    runs: np.ndarray,
    spans: np.ndarray,
) -> int:  # pragma: no cover - compiled by numba (coverage cannot see inside)
    """One pass over the residents: what the metrics need, bit for bit as numpy computes it.

    * group sizes and per-group sums — the float sums (opinion, distance to the agenda,
      trust) in index order, as ``np.bincount(group, weights=w)`` adds ``w[i]`` to its group's
      running float64 sum; the 0/1 attributes (taking part, ever taken part, platform) counted
      as integers (exact, so the same numbers);
    * the linear binning of :func:`sim.metrics.grid_weights` as its two bincounts: ``wlo[k]``
      sums the 1 − f given to the lower node, ``whi[k + 1]`` the f given to the upper one,
      each in index order (their sum is the grid weights);
    * when ``runs`` is not empty (it has one slot per bucket), the cluster sizes and spans of
      :func:`sim.metrics.cluster_runs`: count, minimum and maximum of each bucket of width
      gap/2 from ``lo``, then the scan of consecutive non-empty buckets; returns the number of
      clusters.
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
        sums[OPINION, g] += xi
        sums[DISTANCE, g] += abs(xi - agenda)
        sums[TRUST, g] += trust[i]
        if (xi >= 0.0) & (xi <= 1.0):
            t = xi * 1024.0  # GRID
            k = min(int(t), 1023)
            f = t - k
            wlo[k] += 1.0 - f
            whi[k + 1] += f
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
            sums[PART, g] += v * (c & 1)
            sums[EVER, g] += v * ((c >> 1) & 1)
            sums[DIGITAL, g] += v * ((c >> 2) & 1)
    return bucket_runs(bcount, bmin, bmax, gap, runs, spans) if nb else 0


def bucket_runs(
    bcount: np.ndarray,
    bmin: np.ndarray,
    bmax: np.ndarray,
    gap: float,
    out: np.ndarray,
    spans: np.ndarray,
) -> int:  # pragma: no cover - compiled by numba
    """Run sizes and spans from the buckets (the scan of :func:`sim.metrics.cluster_runs`);
    returns how many runs."""
    runs = 0
    size = 0
    prev = -1
    start = 0.0
    for b in range(bcount.size):
        if bcount[b] == 0:
            continue
        if prev < 0:
            start = bmin[b]
        elif bmin[b] - bmax[prev] > gap:
            out[runs] = size
            spans[runs] = bmax[prev] - start
            runs += 1
            size = 0
            start = bmin[b]
        size += bcount[b]
        prev = b
    if prev >= 0:
        out[runs] = size
        spans[runs] = bmax[prev] - start
        runs += 1
    return runs


def pairwise_leaf_first(
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


def pairwise_leaf_central(
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


def pairwise3(
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
                s0, s1, s2 = pairwise_leaf_central(x, y, c, lo, n)
            else:
                s0, s1, s2 = pairwise_leaf_first(x, y, c, lo, n)
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


def moments_loop(
    x: np.ndarray, trust: np.ndarray, agenda: float
) -> tuple[float, float, float, float, float, float]:  # pragma: no cover - compiled by numba
    """:func:`moments_numpy`, bit for bit (``x`` not empty)."""
    n = x.size
    sx, sdist, st = pairwise3(False, x, trust, agenda)
    mean = sx / n
    s2, s3, s4 = pairwise3(True, x, x, mean)
    return mean, s2 / n, s3 / n, s4 / n, sdist / n, st / n


def moments_numpy(
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


def der_sum(pi: np.ndarray, f: np.ndarray, g: np.ndarray, alpha: float) -> float:
    """Σ_k π_k f̂_k^α â_k, with â_k = Σ_m π_m |g_k − g_m| = g_k (2 L_k − 1) − 2 S_k + μ,
    L_k = Σ_{m≤k} π_m, S_k = Σ_{m≤k} π_m g_m (the node's own term cancels: |g_k − g_k| = 0).

    One loop (compiled when numba is there; the same formula either way, to rounding). f̂
    and â are floored at 0: rounding can leave ~10⁻¹⁷ below zero far from the data.
    """
    mu = 0.0
    for k in range(pi.size):
        mu += pi[k] * g[k]
    cl = 0.0
    cs = 0.0
    p = 0.0
    for k in range(pi.size):
        w = pi[k]
        cl += w
        cs += w * g[k]
        if w > 0.0:
            a = max(g[k] * (2.0 * cl - 1.0) - 2.0 * cs + mu, 0.0)
            fk = max(f[k], 0.0)
            p += w * (fk if alpha == 1.0 else fk**alpha) * a
    return p


bucket_runs = njit(bucket_runs) or bucket_runs
resident_pass_jit = njit(resident_pass_loop)
pairwise_leaf_first = njit(pairwise_leaf_first) or pairwise_leaf_first
pairwise_leaf_central = njit(pairwise_leaf_central) or pairwise_leaf_central
pairwise3 = njit(pairwise3) or pairwise3
moments_jit = njit(moments_loop)
der_sum_jit = njit(der_sum)
