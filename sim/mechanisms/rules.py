"""Rival opinion-influence rules (``opinions.rule``), beside the classic Deffuant–Weisbuch rule.

The classic rule lives in :mod:`sim.mechanisms.opinions`; this module holds the three rivals,
selectable so that a study can treat the rule as a factor (structural uncertainty):

* ``repulsive`` — social-judgement bounded confidence (Jager & Amblard 2005, *Comput. Math.
  Organ. Theory* 10:295; negative influence as reviewed by Flache et al. 2017, *JASSS*
  20(4):2). A partner closer than the listener's tolerance ε attracts (μ·d, the DW step, with
  the exemplar boost); one farther than ``opinions.rejection`` *repels* (−μ·d, plain μ: the
  exemplar boost applies to persuasion only — assumed); in between nothing happens. Opinions
  are clipped to [0, 1] after every encounter. With in-group partner choice (the platform's
  echo chamber) groups first agree internally, and their remaining cross-group contacts then
  push them apart: in-group bias can now polarize.
* ``biased_assimilation`` — Dandekar, Goel & Lee 2013 (*PNAS* 110:5791), one of the
  polarizing rules reviewed by Flache et al. 2017, inside bounded confidence. A listener at x
  meeting a partner at y within its ε weighs the partner's evidence for the agenda side (y) by
  x^b and against it (1 − y) by (1 − x)^b:
  x ← ((1 − μ)·x + μ·x^b·y) / ((1 − μ) + μ·x^b·y + μ·(1 − x)^b·(1 − y)), b = ``opinions.bias``.
  At b = 0 this is exactly the DW step; at b > 0 like-minded partners push each other further
  out, so in-group partner choice (the echo chamber) radicalizes each camp.
* ``relative_agreement`` — Deffuant, Amblard, Weisbuch & Faure 2002 (*JASSS* 5(4):1). Each
  resident's tolerance is an *uncertainty* u that itself moves. When resident j meets i, the
  overlap of their segments [x ± u] is h = min(x_i + u_i, x_j + u_j) − max(x_i − u_i, x_j − u_j);
  if h > u_i, j moves x_j += μ·(h/u_i − 1)·(x_i − x_j) and u_j += μ·(h/u_i − 1)·(u_i − u_j) —
  confident residents persuade more. Both directions of an encounter use the values before it.
  The exemplar boost scales μ as in DW.
* ``hegselmann_krause`` — Hegselmann & Krause 2002 (*JASSS* 5(3):2): synchronous. Each round
  every resident moves to the mean of the opinions within its ε (|x_j − x_i| ≤ ε, itself
  included) among its network neighbours (everyone on the complete graph). A week has
  ``interactions`` rounds (the fractional part by a Bernoulli draw). Exemplars: a listener with
  active Party members within ε then moves a further share S·trust toward their mean (the DW
  boost's meaning, "a share S·trust of the remaining way"; assumed). The platform: an adopter's
  new opinion is (1 − s)·(network mean) + s·(platform mean), with s = ``online_share`` and the
  platform mean (1 − e)·(mean within ε over all adopters) + e·(the same over its own group's
  adopters), e = ``echo_chamber`` — the expected value of the DW platform rule (assumed).
  Encounters of a consultation (deliberation) are applied the HK way: each participant moves
  to the mean within ε of itself and all partners it met there, all at once.

Contrarian sources never move under any rule. Every rule runs as a compiled loop with numba
and as plain numpy otherwise, bit for bit alike (tests/docking/test_kernels.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._jit import njit, prefetch
from .layers import disjoint_layers

if TYPE_CHECKING:
    from ..model import GovernanceModel

__all__ = ["exchange_rule", "hk_contacts", "hk_round", "window_means"]

_AHEAD = 16


def _repulsive_sequential(
    a: np.ndarray,
    b: np.ndarray,
    o: np.ndarray,
    tol: np.ndarray,
    trust: np.ndarray,
    frozen: np.ndarray,
    ex: np.ndarray,
    use_ex: bool,
    mu: float,
    c: float,
    rej: float,
) -> int:  # pragma: no cover - compiled by numba
    """Jager–Amblard encounters one by one (the arithmetic of :func:`_repulsive_layer`)."""
    moved = 0
    n = a.size
    for j in range(n):
        if j + _AHEAD < n:
            prefetch(o, np.uint64(a[j + _AHEAD]))
            prefetch(o, np.uint64(b[j + _AHEAD]))
        i = np.uint64(a[j])
        k = np.uint64(b[j])
        oi = o[i]
        ok = o[k]
        d = ok - oi
        ad = abs(d)
        mu_a = mu
        mu_b = mu
        if use_ex:
            mu_a = mu + c * trust[i] if ex[k] else mu
            mu_b = mu + c * trust[k] if ex[i] else mu
        acc_a = ad < tol[i]
        acc_b = ad < tol[k]
        step_a = 0.0
        step_b = 0.0
        if not frozen[i]:
            if acc_a:
                step_a = mu_a * d
            elif ad > rej:
                step_a = -(mu * d)
        if not frozen[k]:
            if acc_b:
                step_b = mu_b * d
            elif ad > rej:
                step_b = -(mu * d)
        o[i] = min(1.0, max(0.0, oi + step_a))
        o[k] = min(1.0, max(0.0, ok - step_b))
        moved += (step_a != 0.0) + (step_b != 0.0)
    return moved


def _repulsive_layer(la, lb, o, tol, trust, frozen, ex, mu, c, rej) -> int:
    """One layer of disjoint Jager–Amblard encounters, all at once."""
    oa, ob = o[la], o[lb]
    d = ob - oa
    ad = np.abs(d)
    mu_a = np.full(la.size, mu)
    mu_b = np.full(la.size, mu)
    if ex is not None:
        mu_a = np.where(ex[lb], mu + c * trust[la], mu_a)
        mu_b = np.where(ex[la], mu + c * trust[lb], mu_b)
    rep = ad > rej
    step_a = np.where(ad < tol[la], mu_a * d, np.where(rep, -(mu * d), 0.0))
    step_b = np.where(ad < tol[lb], mu_b * d, np.where(rep, -(mu * d), 0.0))
    step_a[frozen[la]] = 0.0
    step_b[frozen[lb]] = 0.0
    o[la] = np.clip(oa + step_a, 0.0, 1.0)
    o[lb] = np.clip(ob - step_b, 0.0, 1.0)
    return int(np.count_nonzero(step_a) + np.count_nonzero(step_b))


def _ra_sequential(
    a: np.ndarray,
    b: np.ndarray,
    o: np.ndarray,
    u: np.ndarray,
    trust: np.ndarray,
    frozen: np.ndarray,
    ex: np.ndarray,
    use_ex: bool,
    mu: float,
    c: float,
) -> int:  # pragma: no cover - compiled by numba
    """Relative-agreement encounters one by one (the arithmetic of :func:`_ra_layer`)."""
    moved = 0
    n = a.size
    for j in range(n):
        i = np.uint64(a[j])
        k = np.uint64(b[j])
        xi = o[i]
        xk = o[k]
        ui = u[i]
        uk = u[k]
        h = min(xi + ui, xk + uk) - max(xi - ui, xk - uk)
        mu_a = mu
        mu_b = mu
        if use_ex:
            mu_a = mu + c * trust[i] if ex[k] else mu
            mu_b = mu + c * trust[k] if ex[i] else mu
        w_a = mu_a * (h / uk - 1.0) if (uk > 0.0) and (h > uk) and not frozen[i] else 0.0
        w_b = mu_b * (h / ui - 1.0) if (ui > 0.0) and (h > ui) and not frozen[k] else 0.0
        o[i] = xi + w_a * (xk - xi)
        u[i] = ui + w_a * (uk - ui)
        o[k] = xk + w_b * (xi - xk)
        u[k] = uk + w_b * (ui - uk)
        moved += (w_a != 0.0) + (w_b != 0.0)
    return moved


def _ra_layer(la, lb, o, u, trust, frozen, ex, mu, c) -> int:
    """One layer of disjoint relative-agreement encounters, all at once."""
    xi, xk, ui, uk = o[la], o[lb], u[la], u[lb]
    h = np.minimum(xi + ui, xk + uk) - np.maximum(xi - ui, xk - uk)
    mu_a = np.full(la.size, mu)
    mu_b = np.full(la.size, mu)
    if ex is not None:
        mu_a = np.where(ex[lb], mu + c * trust[la], mu_a)
        mu_b = np.where(ex[la], mu + c * trust[lb], mu_b)
    ok_a = (uk > 0.0) & (h > uk) & ~frozen[la]
    ok_b = (ui > 0.0) & (h > ui) & ~frozen[lb]
    w_a = np.zeros(la.size)
    w_b = np.zeros(la.size)
    w_a[ok_a] = mu_a[ok_a] * (h[ok_a] / uk[ok_a] - 1.0)
    w_b[ok_b] = mu_b[ok_b] * (h[ok_b] / ui[ok_b] - 1.0)
    o[la] = xi + w_a * (xk - xi)
    u[la] = ui + w_a * (uk - ui)
    o[lb] = xk + w_b * (xi - xk)
    u[lb] = uk + w_b * (ui - uk)
    return int(np.count_nonzero(w_a) + np.count_nonzero(w_b))


def _biased_sequential(
    a: np.ndarray,
    b: np.ndarray,
    o: np.ndarray,
    tol: np.ndarray,
    trust: np.ndarray,
    frozen: np.ndarray,
    ex: np.ndarray,
    use_ex: bool,
    mu: float,
    c: float,
    bias: float,
) -> int:  # pragma: no cover - compiled by numba
    """Biased-assimilation encounters one by one (the arithmetic of :func:`_biased_layer`)."""
    moved = 0
    n = a.size
    for j in range(n):
        i = np.uint64(a[j])
        k = np.uint64(b[j])
        xi = o[i]
        xk = o[k]
        ad = abs(xk - xi)
        mu_a = mu
        mu_b = mu
        if use_ex:
            mu_a = mu + c * trust[i] if ex[k] else mu
            mu_b = mu + c * trust[k] if ex[i] else mu
        new_i = xi
        new_k = xk
        if ad < tol[i] and not frozen[i]:
            # x**1 is x exactly (IEEE pow): skip the slow pow call for the default b = 1
            pw = xi if bias == 1.0 else xi**bias
            qw = (1.0 - xi) if bias == 1.0 else (1.0 - xi) ** bias
            up = mu_a * pw * xk
            down = mu_a * qw * (1.0 - xk)
            new_i = ((1.0 - mu_a) * xi + up) / ((1.0 - mu_a) + up + down)
        if ad < tol[k] and not frozen[k]:
            pw = xk if bias == 1.0 else xk**bias
            qw = (1.0 - xk) if bias == 1.0 else (1.0 - xk) ** bias
            up = mu_b * pw * xi
            down = mu_b * qw * (1.0 - xi)
            new_k = ((1.0 - mu_b) * xk + up) / ((1.0 - mu_b) + up + down)
        o[i] = new_i
        o[k] = new_k
        moved += (new_i != xi) + (new_k != xk)
    return moved


def _biased_layer(la, lb, o, tol, trust, frozen, ex, mu, c, bias) -> int:
    """One layer of disjoint biased-assimilation encounters, all at once."""
    xi, xk = o[la], o[lb]
    ad = np.abs(xk - xi)
    mu_a = np.full(la.size, mu)
    mu_b = np.full(la.size, mu)
    if ex is not None:
        mu_a = np.where(ex[lb], mu + c * trust[la], mu_a)
        mu_b = np.where(ex[la], mu + c * trust[lb], mu_b)
    new = []
    for x, y, m, who in ((xi, xk, mu_a, la), (xk, xi, mu_b, lb)):
        up = m * x**bias * y
        down = m * (1.0 - x) ** bias * (1.0 - y)
        moved_x = ((1.0 - m) * x + up) / ((1.0 - m) + up + down)
        new.append(np.where((ad < tol[who]) & ~frozen[who], moved_x, x))
    o[la], o[lb] = new
    return int(np.count_nonzero(new[0] != xi) + np.count_nonzero(new[1] != xk))


_repulsive_jit = njit(_repulsive_sequential)
_biased_jit = njit(_biased_sequential)
_ra_jit = njit(_ra_sequential)


def exchange_rule(model: GovernanceModel, a: np.ndarray, b: np.ndarray, exemplar_s: float) -> int:
    """Apply encounters ``(a[j], b[j])`` under ``opinions.rule`` (not ``deffuant``).

    Pairwise rules run in sequence order (compiled, or in layers of disjoint pairs: the same
    bits); ``hegselmann_krause`` applies the encounters synchronously (:func:`hk_contacts`).
    Returns how many residents' moves were non-zero.
    """
    p = model.params.opinions
    res = model.residents
    o, tol, trust, frozen = res.opinion, res.tolerance, res.trust, res.contrarian
    if p.rule == "hegselmann_krause":
        return hk_contacts(model, a, b, exemplar_s)
    mu = float(p.mu)
    c = float((1.0 - mu) * exemplar_s)
    ex = res.exemplar() if exemplar_s > 0 else None
    exa = frozen if ex is None else ex
    a = np.ascontiguousarray(a, dtype=np.int64)
    b = np.ascontiguousarray(b, dtype=np.int64)
    if p.rule == "repulsive":
        rej = float(p.rejection)
        if _repulsive_jit is not None:
            moved = _repulsive_jit(a, b, o, tol, trust, frozen, exa, ex is not None, mu, c, rej)
        else:
            moved = 0
            for layer in disjoint_layers(a, b, res.n):
                moved += _repulsive_layer(a[layer], b[layer], o, tol, trust, frozen, ex, mu, c, rej)
    elif p.rule == "biased_assimilation":
        bias = float(p.bias)
        if _biased_jit is not None:
            moved = _biased_jit(a, b, o, tol, trust, frozen, exa, ex is not None, mu, c, bias)
        else:
            moved = 0
            for layer in disjoint_layers(a, b, res.n):
                moved += _biased_layer(a[layer], b[layer], o, tol, trust, frozen, ex, mu, c, bias)
    elif p.rule == "relative_agreement":
        if _ra_jit is not None:
            moved = _ra_jit(a, b, o, tol, trust, frozen, exa, ex is not None, mu, c)
        else:
            moved = 0
            for layer in disjoint_layers(a, b, res.n):
                moved += _ra_layer(a[layer], b[layer], o, tol, trust, frozen, ex, mu, c)
    else:  # pragma: no cover - the schema allows only the rules above
        raise ValueError(f"opinions.rule={p.rule!r}: unknown")
    np.clip(o, 0.0, 1.0, out=o)
    return int(moved)


# -- Hegselmann–Krause ------------------------------------------------------------------------


def window_means(
    pool: np.ndarray, x: np.ndarray, eps: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each query ``x[q]``: the sum and count of ``pool`` within ``[x − ε, x + ε]``.

    Sorted prefix sums, O((P + Q) log P). With ``weight`` (0/1 per pool member) only the
    members with weight 1 count.

    Returns:
        ``(sums, counts)`` per query.
    """
    order = np.argsort(pool, kind="stable")
    s = pool[order]
    w = np.ones(s.size) if weight is None else weight[order].astype(np.float64)
    ps = np.concatenate([[0.0], np.cumsum(s * w)])
    pc = np.concatenate([[0.0], np.cumsum(w)])
    lo = np.searchsorted(s, x - eps, side="left")
    hi = np.searchsorted(s, x + eps, side="right")
    return ps[hi] - ps[lo], pc[hi] - pc[lo]


def _hk_csr(
    indptr: np.ndarray,
    indices: np.ndarray,
    o: np.ndarray,
    tol: np.ndarray,
    ex: np.ndarray,
    out_m: np.ndarray,
    out_e: np.ndarray,
    out_ce: np.ndarray,
) -> None:  # pragma: no cover - compiled by numba
    """HK means over CSR neighbourhoods within ε (self included; exemplar neighbours apart)."""
    lo = indptr[0]
    for i in range(o.size):
        hi = indptr[i + 1]
        xi = o[i]
        ti = tol[i]
        s = 0.0
        cnt = 0
        se = 0.0
        ce = 0
        for jj in range(lo, hi):
            x = o[np.uint64(indices[jj])]
            if abs(x - xi) <= ti:
                s += x
                cnt += 1
                if ex[np.uint64(indices[jj])]:
                    se += x
                    ce += 1
        lo = hi
        out_m[i] = (s + xi) / (cnt + 1)
        out_e[i] = se
        out_ce[i] = ce


_hk_csr_jit = njit(_hk_csr)


def _hk_network_means(model: GovernanceModel, ex: np.ndarray):
    """Per resident: HK mean (self included), and the sum/count of exemplar neighbours in ε."""
    res = model.residents
    o, tol = res.opinion, res.tolerance
    g = model.graph
    n = res.n
    if g.complete:
        s, cnt = window_means(o, o, tol)
        se, ce = window_means(o, o, tol, ex)
        se = se - o * ex
        ce = ce - ex
        return s / cnt, se, ce
    if _hk_csr_jit is not None:
        m = np.empty(n)
        se = np.empty(n)
        ce = np.empty(n)
        _hk_csr_jit(g.indptr, g.indices, o, tol, ex, m, se, ce)
        return m, se, ce
    rows = np.repeat(np.arange(n), np.diff(g.indptr))
    xs = o[g.indices]
    inside = np.abs(xs - o[rows]) <= tol[rows]
    s = np.bincount(rows, weights=np.where(inside, xs, 0.0), minlength=n)
    cnt = np.bincount(rows, weights=inside, minlength=n)
    ine = inside & ex[g.indices]
    se = np.bincount(rows, weights=np.where(ine, xs, 0.0), minlength=n)
    ce = np.bincount(rows, weights=ine, minlength=n)
    return (s + o) / (cnt + 1), se, ce


def _hk_apply(model: GovernanceModel, m: np.ndarray, se, ce, exemplar_s: float) -> int:
    """Exemplar pull on top of the HK means, then the synchronous commit (contrarians fixed)."""
    res = model.residents
    o = res.opinion
    new = m
    if exemplar_s > 0:
        has = ce > 0
        exm = np.divide(se, ce, out=np.zeros_like(m), where=has)
        new = np.where(has, m + exemplar_s * res.trust * (exm - m), m)
    new = np.where(res.contrarian, o, np.clip(new, 0.0, 1.0))
    moved = int(np.count_nonzero(new != o))
    o[:] = new
    return moved


def hk_round(model: GovernanceModel, exemplar_s: float) -> int:
    """One synchronous Hegselmann–Krause round over the network (and the platform)."""
    res = model.residents
    o, tol = res.opinion, res.tolerance
    ex = res.exemplar() if exemplar_s > 0 else np.zeros(res.n, dtype=bool)
    m, se, ce = _hk_network_means(model, ex)
    sp = model.params.levers.smart
    if sp.online_share > 0 and res.digital.any():
        ad = np.flatnonzero(res.digital)
        x, eps = o[ad], tol[ad]
        s_all, c_all = window_means(x, x, eps)
        on = s_all / c_all
        if sp.echo_chamber > 0:
            grp = res.group[ad]
            own = np.empty(ad.size)
            for g in np.unique(grp):
                sel = grp == g
                sg, cg = window_means(x[sel], x[sel], eps[sel])
                own[sel] = sg / cg
            on = (1.0 - sp.echo_chamber) * on + sp.echo_chamber * own
        m = m.copy()
        m[ad] = (1.0 - sp.online_share) * m[ad] + sp.online_share * on
    return _hk_apply(model, m, se, ce, exemplar_s)


def hk_contacts(model: GovernanceModel, a: np.ndarray, b: np.ndarray, exemplar_s: float) -> int:
    """HK over a set of encounters: each resident averages itself and its partners within ε."""
    res = model.residents
    o, tol, n = res.opinion, res.tolerance, res.n
    ex = res.exemplar() if exemplar_s > 0 else np.zeros(n, dtype=bool)
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    xs = o[cols]
    inside = np.abs(xs - o[rows]) <= tol[rows]
    s = np.bincount(rows, weights=np.where(inside, xs, 0.0), minlength=n)
    cnt = np.bincount(rows, weights=inside, minlength=n)
    ine = inside & ex[cols]
    se = np.bincount(rows, weights=np.where(ine, xs, 0.0), minlength=n)
    ce = np.bincount(rows, weights=ine, minlength=n)
    return _hk_apply(model, (s + o) / (cnt + 1), se, ce, exemplar_s)
