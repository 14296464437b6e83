"""The special cases against published results (the checks live in tests/engine/literature.py;
tests/engine/test_mutations.py shows that each rejects deliberately wrong kernels)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovernanceModel, preset

from .literature import CHECKS


@pytest.mark.parametrize("name", list(CHECKS))
def test_literature_check_passes_for_the_real_kernels(name: str) -> None:
    assert CHECKS[name]() == []


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


def test_exactly_one_initiator_and_explicit_thresholds_are_exact():
    """initial_count gives exactly that many initiators (initial_share = 1/N gave none in
    37 % of runs); explicit thresholds reach the residents unchanged."""
    for seed in range(20):
        p = preset("threshold", **{"participation.initial_share": 0.0,
                                   "participation.initial_count": 1})  # fmt: skip
        assert GovernanceModel(p, rng=seed).residents.participating.sum() == 1
    th = [i / 99 for i in range(100)]
    p = preset("threshold", **{"population.n_residents": 100,
                               "population.threshold_distribution": "explicit",
                               "population.thresholds": th})  # fmt: skip
    np.testing.assert_array_equal(GovernanceModel(p, rng=0).residents.threshold, th)
