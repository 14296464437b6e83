"""Fast kernels give exactly the results of their plain numpy definitions."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovernanceModel
from sim._jit import HAVE_NUMBA
from sim.mechanisms import opinions
from sim.mechanisms.trust import count_power
from sim.metrics import cluster_runs, cluster_sizes


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


@pytest.mark.parametrize("gap", [1e-4, 0.05])
def test_cluster_spans_of_the_bucket_path_equal_the_sort_definition(gap: float) -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(0.2, 0.01, 20_000), rng.random(2000), [0.9] * 500])
    sizes, spans = cluster_runs(x, gap)  # n > 16384: the bucket path
    s = np.sort(x)
    cut = np.flatnonzero(np.diff(s) > gap)
    starts, ends = np.r_[0, cut + 1], np.r_[cut + 1, s.size]
    np.testing.assert_array_equal(sizes, ends - starts)
    np.testing.assert_array_equal(spans, s[ends - 1] - s[starts])


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


# -- network: compiled neighbour means and edge sampling ------------------------------------


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
@pytest.mark.parametrize("kind", ["sbm", "erdos_renyi", "small_world", "scale_free"])
def test_compiled_neighbor_mean_equals_the_sparse_matrix_product(kind, monkeypatch) -> None:
    from sim import network

    g = network.make_network(kind, 4000, 3.0, np.random.default_rng(2), group=np.arange(4000) % 3)
    assert (g.degree == 0).any() or kind != "erdos_renyi"  # isolated nodes keep their value
    rng = np.random.default_rng(5)
    inputs = [
        rng.random(4000),
        rng.random(4000) < 0.3,  # bool: an exact count
        np.where(rng.random(4000) < 0.01, -0.0, rng.standard_normal(4000)),
        rng.integers(0, 3, 4000),
    ]
    fast = [g.neighbor_mean(x) for x in inputs]
    monkeypatch.setattr(network, "_neighbor_mean_jit", None)
    for x, f in zip(inputs, fast, strict=True):
        ref = g.neighbor_mean(x)
        assert f.dtype == ref.dtype == np.float64
        np.testing.assert_array_equal(f, ref)
        assert np.array_equal(np.signbit(f), np.signbit(ref))


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_compiled_edge_sampling_equals_the_numpy_gathers(monkeypatch) -> None:
    from sim import network

    g = network.make_network("sbm", 3000, 6.0, np.random.default_rng(1), group=np.arange(3000) % 4)
    fast = g.sample_edges(10_000, np.random.default_rng(9))
    monkeypatch.setattr(network, "_pick_edges_jit", None)
    ref = g.sample_edges(10_000, np.random.default_rng(9))
    for f, r in zip(fast, ref, strict=True):
        assert f.dtype == r.dtype == np.int64
        np.testing.assert_array_equal(f, r)


# -- metrics: the one-pass kernel and the shared scope ----------------------------------------


def _opinion_cases(rng: np.random.Generator) -> list[np.ndarray]:
    edges = np.linspace(0.0, 1.0, 11)
    near = np.concatenate([np.nextafter(edges, -1.0), edges, np.nextafter(edges, 2.0)])
    return [
        rng.random(20_000),
        np.concatenate([rng.normal(0.3, 0.02, 9000), rng.normal(0.72, 0.01, 11_000)]).clip(0, 1),
        rng.permutation(np.concatenate([near, rng.random(3000), [0.0, -0.0, 1.0] * 5])),
        np.round(rng.random(5000), 1),  # values exactly on (and next to) the bin edges
        np.full(4000, 0.5),
        np.concatenate([rng.random(3000), [1.5, -0.2]]),  # outside [0, 1]: not on the grid
        rng.random(7),
    ]


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_compiled_resident_pass_equals_its_numpy_definition(monkeypatch) -> None:
    from sim import metrics

    m = GovernanceModel(rng=4, **{"population.n_residents": 20_000, "strategy.name": "smart",
                                  "strategy.smart": 1.0})  # fmt: skip
    m.run(3)
    rng = np.random.default_rng(8)
    res = m.residents
    for x in _opinion_cases(rng):
        n = x.size
        sub = {
            "group": rng.integers(0, len(m.group_names), n).astype(np.int16),
            "opinion": x.copy(),
            "trust": rng.random(n),
            "participating": rng.random(n) < 0.4,
            "ever_participated": rng.random(n) < 0.7,
            "digital": rng.random(n) < 0.2,
        }
        for k, v in sub.items():
            monkeypatch.setattr(res, k, v)
        fast = metrics._Stats(m).resident_pass()
        ref = metrics._resident_pass_numpy(m, len(m.group_names), m.params.opinions.cluster_gap)
        for f, r in zip(fast, ref, strict=True):
            np.testing.assert_array_equal(f, r)
        np.testing.assert_array_equal(fast[2], metrics.grid_weights(x))
        np.testing.assert_array_equal(fast[3], _sorted_sizes(x, m.params.opinions.cluster_gap))
        s = np.sort(x)
        cut = np.flatnonzero(np.diff(s) > m.params.opinions.cluster_gap)
        starts, ends = np.r_[0, cut + 1], np.r_[cut + 1, s.size]
        np.testing.assert_array_equal(fast[4], s[ends - 1] - s[starts])


def test_metrics_in_a_collection_equal_the_metrics_alone() -> None:
    from sim import metrics

    m = GovernanceModel(rng=3, **{"population.n_residents": 3000, "strategy.name": "integrated",
                                  "strategy.smart": 0.8, "strategy.ideological": 0.8})  # fmt: skip
    m.run(5)
    collected = {k: v[-1] for k, v in m.datacollector.model_vars.items()}
    assert not metrics._SCOPE  # the collection closed its scope
    for name, mt in metrics.MODEL_METRICS.items():
        alone = mt.fn(m)
        assert alone == collected[name] or (np.isnan(alone) and np.isnan(collected[name])), name
    # The numpy definitions of the shared statistics.
    x = m.residents.opinion
    assert collected["opinion_mean"] == float(x.mean())
    assert collected["opinion_variance"] == float(x.var())
    assert collected["bimodality"] == metrics.bimodality(x)
    mp = m.params.metrics
    assert collected["polarization"] == metrics.der_polarization_grid(
        metrics.grid_weights(x), mp.polarization_alpha, mp.polarization_bandwidth
    )
    clusters = metrics.n_clusters(
        x, m.params.opinions.cluster_gap, mp.cluster_min_share, mp.cluster_max_span
    )
    assert collected["opinion_clusters"] == clusters or (
        np.isnan(clusters) and np.isnan(collected["opinion_clusters"])
    )
    assert collected["participation_rate"] == float(m.residents.participating.mean())
    for name, values in collected["_groups"].items():
        np.testing.assert_array_equal(values, metrics.GROUP_METRICS[name].fn(m))


def test_a_metric_alone_reads_the_current_state() -> None:
    """No value outlives its collection: change the state, the metric follows."""
    from sim import metrics

    m = GovernanceModel(rng=3, **{"population.n_residents": 500})
    m.datacollector.collect(m)
    m.residents.opinion[:] = 0.25
    assert metrics.MODEL_METRICS["opinion_mean"].fn(m) == 0.25
    assert metrics.evaluate(m, ["opinion_variance"])["opinion_variance"] == 0.0
    m.residents.participating[:] = True
    assert metrics.evaluate_groups(m)["participation_rate"].tolist() == [1.0] * len(m.group_names)


def test_a_failing_reporter_closes_the_scope(monkeypatch) -> None:
    from sim import metrics

    m = GovernanceModel(rng=3, **{"population.n_residents": 300})

    def boom(model):
        raise RuntimeError("boom")

    reps = metrics.datacollector_reporters()
    names = list(reps)
    reps[names[0]](m)  # opens
    assert id(m) in metrics._SCOPE
    with pytest.raises(RuntimeError):
        metrics._reporter(boom)(m)
    assert id(m) not in metrics._SCOPE


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_compiled_moments_follow_numpys_pairwise_summation() -> None:
    """Mean, np.var, the bimodality moments, mean distance and mean trust: numpy's bits."""
    from sim import metric_kernels

    rng = np.random.default_rng(12)
    sizes = [*range(1, 140), 255, 256, 257, 1000, 4097, 8191, 8192, 8193, 10_000, 65_537, 10**6]
    for n in sizes:
        x = rng.random(n) ** rng.uniform(0.2, 5.0)
        if n % 7 == 0:
            x[::3] = -0.0
        trust = rng.random(n)
        fast = metric_kernels.moments_jit(x, trust, 0.8)
        ref = metric_kernels.moments_numpy(x, trust, 0.8)
        assert fast == ref, n
        assert ref[0] == float(x.mean()) and ref[1] == float(x.var())


def test_prefetch_is_only_a_hint() -> None:
    """In Python it does nothing; compiled it changes no result (the encounter loop above
    runs with it)."""
    from sim import _jit

    x = np.arange(4.0)
    assert _jit.prefetch(x, 2) is None
    np.testing.assert_array_equal(x, np.arange(4.0))
    assert _jit.prefetch_works() == _jit.HAVE_NUMBA  # numba 0.68: a real prefetch


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
@pytest.mark.parametrize("sticky", [False, True])
def test_compiled_participation_decision_equals_the_numpy_one(sticky) -> None:
    from sim.mechanisms import Participation

    over = {"population.n_residents": 4000, "strategy.name": "integrated",
            "strategy.smart": 0.9, "strategy.political": 0.7, "participation.sticky": sticky,
            "participation.w_served": 0.3, "network.kind": "erdos_renyi",
            "network.mean_degree": 3.0}  # fmt: skip
    m = GovernanceModel(rng=5, **over).run(6)
    assert m.residents.digital.any() and (m.graph.degree == 0).any()
    m.effort = m.strategy.efforts(m)
    draws = m.rngs["participation"].bit_generator.state  # both paths draw the same uniforms
    fast = Participation._decide_compiled(m)
    m.rngs["participation"].bit_generator.state = draws
    slow = Participation()._decide(m)
    assert 0 < fast.sum() < fast.size
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_compiled_adoption_and_trust_drift_equal_the_numpy_ones(monkeypatch) -> None:
    from sim.mechanisms import platform, trust

    over = {"population.n_residents": 3000, "strategy.name": "smart", "strategy.smart": 0.9,
            "network.kind": "erdos_renyi", "network.mean_degree": 3.0}  # fmt: skip
    states = []
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setattr(platform, "_adopt_jit", None)
            monkeypatch.setattr(trust, "_drift_jit", None)
        m = GovernanceModel(rng=9, **over).run(8)
        states.append((m.residents.digital.copy(), m.residents.trust.copy()))
    assert states[0][0].any()
    for fast, ref in zip(*states, strict=True):
        np.testing.assert_array_equal(fast, ref)


# -- rival opinion rules (sim.mechanisms.rules) ------------------------------------------------


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
@pytest.mark.parametrize("rule", ["repulsive", "biased_assimilation", "relative_agreement"])
def test_compiled_rule_encounters_equal_the_layered_numpy_path(rule, monkeypatch) -> None:
    from sim.mechanisms import rules

    over = {
        "population.n_residents": 3000,
        "opinions.counter_share": 0.05,
        "opinions.rule": rule,
        **({"opinions.rejection": 0.4} if rule == "repulsive" else {}),
        "strategy.name": "ideological",
        "strategy.ideological": 1.0,
    }
    states = []
    for off in (False, True):
        if off:
            for name in ("_repulsive_jit", "_biased_jit", "_ra_jit"):
                monkeypatch.setattr(rules, name, None)
        m = GovernanceModel(rng=11, **over)
        a, b = m.graph.sample_edges(20_000, np.random.default_rng(3))
        keep = a != b
        moved = rules.exchange_rule(m, a[keep], b[keep], 0.7)
        states.append((moved, m.residents.opinion.copy(), m.residents.tolerance.copy()))
    assert states[0][0] == states[1][0] > 0
    np.testing.assert_array_equal(states[0][1], states[1][1])
    np.testing.assert_array_equal(states[0][2], states[1][2])


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_compiled_hk_round_equals_the_numpy_one(monkeypatch) -> None:
    from sim.mechanisms import rules

    over = {
        "population.n_residents": 3000,
        "opinions.rule": "hegselmann_krause",
        "opinions.counter_share": 0.05,
        "strategy.name": "integrated",
        "strategy.ideological": 1.0,
        "strategy.smart": 1.0,
        "levers.smart.echo_chamber": 0.5,
    }
    states = []
    for off in (False, True):
        if off:
            monkeypatch.setattr(rules, "_hk_csr_jit", None)
        m = GovernanceModel(rng=5, **over)
        m.residents.digital[::3] = True
        moved = rules.hk_round(m, 0.6)
        states.append((moved, m.residents.opinion.copy()))
    assert states[0][0] == states[1][0] > 0
    np.testing.assert_array_equal(states[0][1], states[1][1])


def test_node_pairs_are_ties() -> None:
    from sim import network

    g = network.make_network("scale_free", 2000, 4.0, np.random.default_rng(1))
    a, b = g.sample_node_pairs(50_000, np.random.default_rng(2))
    assert a.size < 50_000 or not (g.degree == 0).any()  # isolated nodes' turns are void
    assert g.adjacency[a, b].min() == 1.0
