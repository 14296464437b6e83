"""The literature checks: the special cases of the model against published or derived results.

Each check runs the model and returns a list of failures (empty = the kernel behaves as the
literature says). They are plain functions so that tests/engine/test_literature.py can assert
that the real kernels pass every one, and tests/engine/test_mutations.py that each deliberately
wrong kernel fails at least one.

Sources:

* Deffuant, Neau, Amblard & Weisbuch (2000), "Mixing beliefs among interacting agents", *Adv.
  Complex Syst.* 3:87–98: random pairs within ε move a share μ toward each other; the mean is
  conserved; with uniform initial opinions on the complete graph the final number of major
  clusters is about ⌊1/(2ε)⌋ (their Fig. 2). Derived here from their rule: two opinions drawn
  uniformly lie within ε with probability 2ε − ε²; with ε ≥ 1 one encounter lowers the sum of
  squared deviations S by 2μ(1 − μ)(x_i − x_j)², so on the complete graph
  E[S after K encounters] = S₀ (1 − 4μ(1 − μ)/(N − 1))^K; and when pairs are edges drawn
  uniformly, resident i takes part in an encounter with probability d_i / E.
* Granovetter (1978), "Threshold models of collective behavior", *AJS* 83:1420–1443: thresholds
  0, 1, …, 99 (in people) give a complete cascade of 100; replacing the threshold 1 by 2 stops
  it at the one instigator. With all thresholds at a share φ, the equilibrium of
  r(t + 1) = F(r(t)) is the initial share if it is below φ and everyone if it is at least φ.
* Watts (2002), "A simple model of global cascades on random networks", *PNAS* 99:5766–5771:
  on Erdős–Rényi graphs with φ = 0.18, a single initiator triggers global cascades only inside
  a window of mean degree z, bounded below by percolation (z ≈ 1) and above by the cascade
  condition Σ_k k(k − 1) ρ_k p_k = z, ρ_k = 1 for k ≤ ⌊1/φ⌋ (his eq. 2; ≈ 5.76 for φ = 0.18).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import stats

from sim import GovernanceModel, Params, preset
from sim.metrics import n_clusters

Check = Callable[[], list[str]]

#: No per-resident Mesa views (an engine setting: same outcomes, half the set-up time).
FAST = {"engine.agent_views_max": 0}


# -- Deffuant–Weisbuch --------------------------------------------------------------------------


def dw(n: int, eps: float, **over) -> Params:
    """The Deffuant preset: n residents, tolerance ε, uniform opinions, complete graph."""
    base = {"population.n_residents": n, "population.groups.all.tolerance": eps}
    return preset("deffuant", **{**base, **FAST, **over})


def dw_mean_is_conserved() -> list[str]:
    """Every encounter moves both residents toward each other by the same amount."""
    fails = []
    for seed in range(3):
        m = GovernanceModel(dw(400, 0.3), rng=seed)
        before = m.residents.opinion.sum()
        m.run(20)
        if abs(m.residents.opinion.sum() - before) > 1e-9:
            fails.append(f"mean opinion moved by {(m.residents.opinion.sum() - before) / 400:.3g}")
    return fails


def dw_encounters_within_eps(eps_values=(0.3, 0.45)) -> list[str]:
    """The first encounters of uniform opinions succeed with probability 2ε − ε².

    2 000 residents, 20 encounters a week (few share a resident, so each sees two fresh
    uniform opinions), 60 seeds: 1 200 encounters per ε; rejected beyond 4 standard errors.
    """
    fails = []
    for eps in eps_values:
        ok = tried = 0
        for seed in range(60):
            m = GovernanceModel(dw(2000, eps, **{"opinions.interactions": 0.02}), rng=seed)
            m.step()
            ok += m.events["encounters_effective"] / 2  # both residents move in a success
            tried += 20
        p = 2 * eps - eps**2
        se = math.sqrt(p * (1 - p) / tried)
        if abs(ok / tried - p) > 4 * se:
            fails.append(f"ε={eps}: success share {ok / tried:.3f}, expected {p:.3f} ± {se:.3f}")
    return fails


def dw_variance_decay(mus=(0.3, 0.5)) -> list[str]:
    """With ε = 1 on the complete graph, E[S₁/S₀] = (1 − 4μ(1 − μ)/(N − 1))^K after a week.

    200 residents, K = 100 encounters, 40 seeds; rejected beyond 4 standard errors of the mean.
    """
    fails = []
    n, k = 200, 100
    for mu in mus:
        ratios = []
        for seed in range(40):
            m = GovernanceModel(dw(n, 1.0, **{"opinions.mu": mu}), rng=seed)
            s0 = m.residents.opinion.var()
            m.step()
            ratios.append(m.residents.opinion.var() / s0)
        r = np.asarray(ratios)
        pred = (1 - 4 * mu * (1 - mu) / (n - 1)) ** k
        se = r.std(ddof=1) / math.sqrt(r.size)
        if abs(r.mean() - pred) > 4 * se:
            fails.append(f"μ={mu}: S₁/S₀ = {r.mean():.4f}, expected {pred:.4f} ± {se:.4f}")
    return fails


def dw_pairs_are_uniform_edges() -> list[str]:
    """On a scale-free network, resident i is in an encounter with probability d_i / E.

    ε = 1, μ = ½: everyone who meets someone moves, so the residents whose opinion did not
    change in the week are those never drawn: E[Σ_i d_i·touched_i] = Σ_i d_i (1 − (1 − d_i/E)^K).
    2 000 residents, K = 100 encounters, 30 seeds; the observed/expected ratio must be 1
    within 4 standard errors (≈ 3 %). Drawing a node and then a neighbour instead
    under-samples the hubs (ratio ≈ 0.8).
    """
    ratios = []
    for seed in range(30):
        p = dw(2000, 1.0, **{"network.kind": "scale_free", "network.mean_degree": 6.0,
                             "opinions.interactions": 0.1})  # fmt: skip
        m = GovernanceModel(p, rng=seed)
        before = m.residents.opinion.copy()
        m.step()
        touched = m.residents.opinion != before
        d = m.graph.degree.astype(float)
        e = float(m.graph.n_edges)
        k = int(round(m.params.opinions.interactions * 2000 / 2))
        ratios.append(float(np.sum(d * touched) / np.sum(d * (1 - (1 - d / e) ** k))))
    r = np.asarray(ratios)
    se = r.std(ddof=1) / math.sqrt(r.size)
    if abs(r.mean() - 1) > max(4 * se, 0.02):
        return [f"degree-weighted encounters / expected = {r.mean():.3f} ± {se:.3f}, expected 1"]
    return []


def dw_cluster_counts() -> list[str]:
    """Final major clusters (≥ 5 %) of 500 uniform opinions after 150 weeks, 10 seeds each:
    one cluster well above the 1-to-2 transition (ε ≈ 0.27 here) and just above it, two just
    below it and just above the 2-to-3 transition (≈ 0.18), three below that — the ⌊1/(2ε)⌋
    plateaus and both sides of their edges."""
    want = {0.5: (1, 10), 0.3: (1, 8), 0.24: (2, 8), 0.2: (2, 9), 0.15: (3, 6)}
    fails = []
    for eps, (count, at_least) in want.items():
        got = []
        for seed in range(10):
            m = GovernanceModel(dw(500, eps), rng=seed).run(150)
            got.append(n_clusters(m.residents.opinion, gap=0.02, min_share=0.05))
        if sum(c == count for c in got) < at_least:
            fails.append(f"ε={eps}: clusters {got}, expected {count} in ≥ {at_least} of 10")
    return fails


# -- Granovetter and Watts ----------------------------------------------------------------------


def threshold_model(n: int, **over) -> Params:
    """The threshold preset (φ = 0.18, sticky, social proof only) with no initial share."""
    base = {"population.n_residents": n, "participation.initial_share": 0.0}
    return preset("threshold", **{**base, **FAST, **over})


def granovetter_final(thresholds: list[float]) -> int:
    """Final number taking part on the complete graph, thresholds in people out of the others."""
    n = len(thresholds)
    p = threshold_model(
        n,
        **{
            "network.kind": "complete",
            "population.threshold_distribution": "explicit",
            "population.thresholds": [t / (n - 1) for t in thresholds],
            "participation.initial_count": 0,
        },
    )
    m = GovernanceModel(p, rng=0).run_until_settled(2 * n)
    return int(m.residents.participating.sum())


def granovetter_riot() -> list[str]:
    """Thresholds 0…99 → all 100; the same with threshold 1 replaced by 2 → 1 (his example)."""
    fails = []
    full = granovetter_final(list(range(100)))
    if full != 100:
        fails.append(f"thresholds 0..99: {full} take part, expected 100")
    variant = list(range(100))
    variant[1] = 2
    one = granovetter_final(variant)
    if one != 1:
        fails.append(f"thresholds 0, 2, 2, 3, ..., 99: {one} take part, expected 1")
    return fails


def granovetter_equilibrium_edge() -> list[str]:
    """All thresholds φ = 0.18 on the complete graph of 500: 89 initiators (89/499 = 0.178 < φ)
    stay alone; 90 (90/499 = 0.1804 ≥ φ) bring everyone in — the two sides of the edge."""
    fails = []
    for start, expected in ((89, 89), (90, 500)):
        p = threshold_model(500, **{"network.kind": "complete",
                                    "participation.initial_count": start})  # fmt: skip
        final = int(GovernanceModel(p, rng=0).run_until_settled(100).residents.participating.sum())
        if final != expected:
            fails.append(f"{start} initiators at φ = 0.18: {final} take part, expected {expected}")
    return fails


def cascade_condition(z: float, phi: float) -> float:
    """Watts (2002) eq. 2 on Poisson degrees: > 0 inside the cascade window."""
    k = np.arange(0, 200)
    pk = stats.poisson.pmf(k, z)
    vulnerable = k <= np.floor(1 / phi)
    return float(np.sum(k * (k - 1) * vulnerable * pk)) - z


def cascade_frequency(z: float, runs: int = 40, n: int = 2000) -> float:
    """Share of runs in which exactly one initiator brings more than half the residents in."""
    hits = 0
    for seed in range(runs):
        p = threshold_model(n, **{"network.mean_degree": z, "participation.initial_count": 1})
        m = GovernanceModel(p, rng=seed).run_until_settled(400)
        hits += m.residents.participating.mean() > 0.5
    return hits / runs


def watts_window() -> list[str]:
    """φ = 0.18, 2 000 residents, one initiator, 40 seeds per mean degree z: no global cascade
    below percolation (z = 0.7), frequent ones inside (z = 4) and just inside the upper edge
    (z = 5; the condition's edge is 5.76), none just outside it (z = 6.5) or beyond (z = 7.5)."""
    fails = []
    if not cascade_condition(5.0, 0.18) > 0 > cascade_condition(6.5, 0.18):
        fails.append("cascade condition does not put the upper edge between 5 and 6.5")
    for z, lo, hi in ((0.7, 0.0, 0.05), (4.0, 0.6, 1.0), (5.0, 0.4, 1.0), (6.5, 0.0, 0.05),
                      (7.5, 0.0, 0.05)):  # fmt: skip
        f = cascade_frequency(z)
        if not lo <= f <= hi:
            fails.append(f"z={z}: cascade frequency {f:.2f}, expected {lo}–{hi}")
    return fails


#: The literature checks, cheapest first (the mutation test stops at the first failure).
CHECKS: dict[str, Check] = {
    "granovetter_riot": granovetter_riot,
    "granovetter_equilibrium_edge": granovetter_equilibrium_edge,
    "dw_mean_is_conserved": dw_mean_is_conserved,
    "dw_variance_decay": dw_variance_decay,
    "dw_pairs_are_uniform_edges": dw_pairs_are_uniform_edges,
    "dw_encounters_within_eps": dw_encounters_within_eps,
    "dw_cluster_counts": dw_cluster_counts,
    "watts_window": watts_window,
}
