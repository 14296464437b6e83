"""The two special cases against published results.

* ``deffuant``: Deffuant, Neau, Amblard & Weisbuch (2000), "Mixing beliefs among interacting
  agents", Adv. Complex Syst. 3:87–98. On the complete graph with uniform initial opinions the
  number of final clusters is about ⌊1/(2ε)⌋ (their Fig. 2 and the "1/2d rule"), and every
  encounter conserves the mean opinion.
* ``threshold``: Granovetter (1978), "Threshold models of collective behavior", AJS 83:1420 —
  the equilibrium of r(t+1) = F(r(t)); Watts (2002), "A simple model of global cascades on random
  networks", PNAS 99:5766 — on Erdős–Rényi graphs with threshold φ = 0.18 global cascades from a
  single seed occur inside a window of mean degree z (≈ 1 < z < ≈ 6), governed by the cascade
  condition Σ_k k(k−1) ρ_k p_k = z with ρ_k = 1 for k ≤ ⌊1/φ⌋ (his eq. 2).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import GovernanceModel, preset
from sim.metrics import n_clusters


def dw_final_clusters(eps: float, seed: int, n: int = 500, steps: int = 150) -> int:
    p = preset("deffuant", **{"population.n_residents": n, "population.groups.all.tolerance": eps})
    m = GovernanceModel(p, rng=seed).run(steps)
    # Major clusters: at least 5 % of the population (Deffuant et al. ignore stragglers).
    return n_clusters(m.residents.opinion, gap=0.02, min_share=0.05)


@pytest.mark.parametrize(("eps", "expected"), [(0.5, 1), (0.25, 2), (0.15, 3)])
def test_deffuant_cluster_count_follows_one_over_two_epsilon(eps, expected):
    counts = [dw_final_clusters(eps, seed) for seed in range(6)]
    assert expected == int(np.floor(1 / (2 * eps)))
    assert np.median(counts) == expected, counts


def test_deffuant_conserves_the_mean_opinion():
    p = preset("deffuant", **{"population.n_residents": 400})
    m = GovernanceModel(p, rng=1)
    before = m.residents.opinion.sum()
    m.run(20)
    assert m.residents.opinion.sum() == pytest.approx(before, abs=1e-9)


def test_deffuant_is_the_plain_model_on_a_network():
    """On a network the preset still only moves pairs of neighbours within ε by μ."""
    p = preset(
        "deffuant",
        **{
            "population.n_residents": 300,
            "network.kind": "small_world",
            "population.groups.all.tolerance": 0.3,
        },
    )
    m = GovernanceModel(p, rng=2)
    before = m.residents.opinion.copy()
    m.step()
    changed = np.flatnonzero(before != m.residents.opinion)
    g = m.graph
    assert changed.size > 0
    assert np.all(g.degree[changed] > 0)
    assert m.residents.opinion.sum() == pytest.approx(before.sum(), abs=1e-9)


def test_granovetter_equilibrium_on_the_complete_graph():
    """All thresholds 0.18: below-threshold initiators stay alone, above it everyone joins."""

    def final(initial):
        p = preset(
            "threshold",
            **{
                "network.kind": "complete",
                "population.n_residents": 500,
                "participation.initial_share": initial,
                "population.groups.all.threshold_sd": 0.0,
            },
        )
        return GovernanceModel(p, rng=0).run(10).residents.participating.mean()

    assert final(0.1) == pytest.approx(0.1, abs=0.02)
    assert final(0.3) == 1.0


def cascade_condition(z: float, phi: float) -> float:
    k = np.arange(0, 200)
    pk = stats.poisson.pmf(k, z)
    vulnerable = k <= np.floor(1 / phi)
    return float(np.sum(k * (k - 1) * vulnerable * pk)) - z


def cascade_frequency(z: float, runs: int = 40, n: int = 2000) -> float:
    hits = 0
    for seed in range(runs):
        p = preset(
            "threshold",
            **{
                "network.mean_degree": z,
                "population.n_residents": n,
                "participation.initial_share": 1 / n,
            },
        )
        m = GovernanceModel(p, rng=seed).run(60)
        hits += m.residents.participating.mean() > 0.5
    return hits / runs


def test_watts_cascade_window():
    phi = 0.18
    assert cascade_condition(4, phi) > 0 > cascade_condition(10, phi)
    inside, outside = cascade_frequency(4), cascade_frequency(10)
    assert inside > 0.25, inside
    assert outside < 0.05, outside
