"""Fast kernels give exactly the results of their plain numpy definitions."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovernanceModel
from sim._jit import HAVE_NUMBA
from sim.mechanisms import opinions
from sim.mechanisms.trust import count_power
from sim.metrics import cluster_sizes


def _sorted_sizes(x: np.ndarray, gap: float) -> np.ndarray:
    s = np.sort(x)
    breaks = np.flatnonzero(np.diff(s) > gap)
    return np.diff(np.concatenate([[0], breaks + 1, [s.size]]))


@pytest.mark.parametrize("gap", [1e-6, 1e-3, 0.05, 0.3])
def test_cluster_sizes_equal_the_sort_definition(gap: float) -> None:
    rng = np.random.default_rng(0)
    for x in (
        rng.random(5000),
        np.round(rng.random(3000), 2),  # many ties and gaps of exactly 0.01
        np.concatenate([rng.normal(0.2, 0.01, 500), rng.normal(0.8, 0.01, 700)]).clip(0, 1),
        np.array([0.5]),
        np.array([0.0, 0.0, 1.0]),
        np.arange(0, 1.0001, gap),  # gaps equal to the threshold (not a break)
    ):
        np.testing.assert_array_equal(cluster_sizes(x, gap), _sorted_sizes(x, gap))


def test_count_power_is_pow() -> None:
    k = np.random.default_rng(1).poisson(0.3, 10_000)
    np.testing.assert_array_equal(count_power(0.85, k), 0.85**k)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_compiled_encounters_equal_the_layered_numpy_path(monkeypatch) -> None:
    over = {
        "population.n_residents": 3000,
        "opinions.counter_share": 0.05,
        "strategy.name": "ideological",
        "strategy.ideological": 1.0,
    }
    states = []
    for jit in (opinions._exchange_jit, None):
        monkeypatch.setattr(opinions, "_exchange_jit", jit)
        m = GovernanceModel(rng=11, **over)
        rng = np.random.default_rng(3)
        a, b = m.graph.sample_edges(20_000, rng)
        keep = a != b
        moved = opinions.exchange(m, a[keep], b[keep], 0.7)
        states.append((moved, m.residents.opinion.copy()))
    assert states[0][0] == states[1][0]
    np.testing.assert_array_equal(states[0][1], states[1][1])
