"""Every registered metric against a value computed by hand or analytically.

The first test checks that the table below covers the whole registry, so a new metric cannot
be added without an analytic test. Most cases set a tiny model's state by hand (8 residents in
three groups) and compare each metric with the number worked out in the comment beside it;
the opinion statistics are also checked on distributions with known population values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from sim import GovernanceModel, make_model, preset, run_one
from sim import metrics as M
from sim.state import ConflictBook, NeedsBook
from sim.strategies import Efforts

#: metric → the test(s) below that check it against a hand-computed or analytic value.
COVERED = {
    "participation_rate": "test_participation_metrics_by_hand",
    "participation_gap": "test_participation_metrics_by_hand",
    "participation_gini": "test_participation_metrics_by_hand",
    "never_participated": "test_participation_metrics_by_hand",
    "low_literacy_gap": "test_low_literacy_gap_by_hand",
    "opinion_mean": "test_opinion_metrics_by_hand",
    "opinion_variance": "test_opinion_metrics_by_hand",
    "opinion_sd": "test_opinion_metrics_by_hand",
    "consensus": "test_opinion_metrics_by_hand",
    "opinion_clusters": "test_opinion_metrics_by_hand, test_cluster_count_*",
    "largest_cluster": "test_opinion_metrics_by_hand",
    "polarization": "test_opinion_metrics_by_hand, test_polarization_*",
    "bimodality": "test_opinion_metrics_by_hand, test_bimodality_*",
    "agenda_distance": "test_opinion_metrics_by_hand",
    "decision_agreement": "test_trust_and_decision_metrics_by_hand",
    "mean_trust": "test_trust_and_decision_metrics_by_hand",
    "leader_credibility": "test_trust_and_decision_metrics_by_hand",
    "needs_created": "test_needs_metrics_by_hand",
    "needs_resolved": "test_needs_metrics_by_hand",
    "needs_expired": "test_needs_metrics_by_hand",
    "needs_dropped_wrong_org": "test_needs_metrics_by_hand",
    "resolution_rate": "test_needs_metrics_by_hand",
    "resolution_rate_week": "test_needs_metrics_by_hand",
    "mean_wait": "test_needs_metrics_by_hand, test_wait_counts_needs_that_age_out",
    "mean_wait_resolved": "test_needs_metrics_by_hand",
    "backlog_age": "test_needs_metrics_by_hand",
    "backlog": "test_needs_metrics_by_hand",
    "resources_per_resolved": "test_needs_metrics_by_hand",
    "conflicts_open": "test_conflict_platform_effort_metrics_by_hand",
    "conflicts_unresolved": "test_conflict_platform_effort_metrics_by_hand",
    "mediation_rate": "test_conflict_platform_effort_metrics_by_hand",
    "platform_adoption": "test_conflict_platform_effort_metrics_by_hand",
    "effort_ideological": "test_conflict_platform_effort_metrics_by_hand",
    "effort_political": "test_conflict_platform_effort_metrics_by_hand",
    "effort_organizational": "test_conflict_platform_effort_metrics_by_hand",
    "effort_smart": "test_conflict_platform_effort_metrics_by_hand",
}
COVERED_GROUPS = {
    "participation_rate",
    "participation_gap",
    "never_participated",
    "opinion_mean",
    "agenda_distance",
    "mean_trust",
    "platform_adoption",
    "resolution_rate",
}  # all in test_group_metrics_by_hand


def test_every_registered_metric_has_an_analytic_test() -> None:
    assert set(COVERED) == set(M.MODEL_METRICS)
    assert COVERED_GROUPS == set(M.GROUP_METRICS)
    names = set(globals())
    for tests in COVERED.values():
        for t in tests.split(", "):
            assert t.endswith("*") or t in names, t


# -- a tiny community whose state is set by hand ----------------------------------------------


@pytest.fixture()
def tiny() -> GovernanceModel:
    """8 residents: group a = residents 0–3, b = 4–5, c = 6–7; agenda 1."""
    m = GovernanceModel(
        rng=0,
        **{
            "population.n_residents": 8,
            "population.party_share": 0.0,
            "network.kind": "complete",
            "population.groups": {
                "a": {"share": 0.5},
                "b": {"share": 0.25},
                "c": {"share": 0.25},
            },
        },
    )
    res = m.residents
    res.group[:] = [0, 0, 0, 0, 1, 1, 2, 2]
    res.participating[:] = [1, 1, 1, 1, 1, 0, 0, 0]
    res.ever_participated[:] = [1, 1, 1, 1, 1, 1, 0, 0]
    res.opinion[:] = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    res.trust[:] = [0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 0.0, 0.0]
    res.digital[:] = [1, 0, 0, 0, 1, 1, 0, 0]
    return m


def values(m: GovernanceModel) -> dict[str, float]:
    return M.evaluate(m)


def test_participation_metrics_by_hand(tiny) -> None:
    v = values(tiny)
    assert v["participation_rate"] == 5 / 8
    assert v["never_participated"] == 2 / 8
    # rates a = 1, b = 1/2, c = 0; the rest of c takes part at 5/6: c is 5/6 behind them
    # (max − min over groups would say 1, and could not see c behind everyone else).
    assert v["participation_gap"] == pytest.approx(5 / 6)
    # Gini, weights 1/2, 1/4, 1/4, mean 5/8: Σ w w |Δ| = 2(1/16 + 1/8 + 1/32) = 7/16 → 0.35
    assert v["participation_gini"] == pytest.approx(0.35)


def test_low_literacy_gap_by_hand() -> None:
    def model(literacy_c: float) -> GovernanceModel:
        m = GovernanceModel(
            rng=0,
            **{
                "population.n_residents": 8,
                "population.party_share": 0.0,
                "network.kind": "complete",
                "population.groups": {
                    "a": {"share": 0.5, "digital_literacy": 0.8},
                    "b": {"share": 0.25, "digital_literacy": 0.8},
                    "c": {"share": 0.25, "digital_literacy": literacy_c},
                },
            },
        )
        m.residents.group[:] = [0, 0, 0, 0, 1, 1, 2, 2]
        m.residents.participating[:] = [1, 1, 1, 1, 1, 0, 0, 1]
        return m

    # c (literacy 0.1) takes part at 1/2, the other six at 5/6: c is 1/3 behind
    assert M.evaluate(model(0.1))["low_literacy_gap"] == pytest.approx(0.5 - 5 / 6)
    # all groups equally literate: no group is the less literate one
    assert math.isnan(M.evaluate(model(0.8))["low_literacy_gap"])


def test_group_gini_of_equal_rates_is_zero_and_of_one_active_group_is_known() -> None:
    assert M.group_gini(np.array([0.3, 0.3, 0.3]), np.array([5, 1, 9])) == 0.0
    # one of two equal groups takes part: G = 2 · ¼ · 1 / (2 · ½) = ½
    assert M.group_gini(np.array([1.0, 0.0]), np.array([10, 10])) == pytest.approx(0.5)
    assert math.isnan(M.group_gini(np.array([0.0, 0.0]), np.array([3, 4])))


def test_opinion_metrics_by_hand(tiny) -> None:
    v = values(tiny)
    assert v["opinion_mean"] == 0.5
    assert v["opinion_variance"] == 0.25
    assert v["opinion_sd"] == 0.5
    assert v["consensus"] == 0.0
    assert v["opinion_clusters"] == 2.0  # two point masses: settled, two clusters
    assert v["largest_cluster"] == 0.5
    assert v["polarization"] == pytest.approx(1.0, abs=1e-12)  # the normalising case
    # two-point 50/50, n = 8: g = 0, κ = −2, b = 1 / (−2 + 3·49/30)
    assert v["bimodality"] == pytest.approx(1 / (-2 + 3 * 49 / 30))
    assert v["agenda_distance"] == 0.5
    tiny.residents.opinion[:] = 0.7 + 0.01 * np.array([-1, 1, -1, 1, -1, 1, -1, 1])
    v = values(tiny)
    assert v["opinion_sd"] == pytest.approx(0.01)
    assert v["consensus"] == 1.0  # sd 0.01 ≤ metrics.consensus_sd = 0.02
    assert v["opinion_clusters"] == 1.0 and v["largest_cluster"] == 1.0


def test_trust_and_decision_metrics_by_hand(tiny) -> None:
    v = values(tiny)
    assert v["mean_trust"] == 0.5
    assert math.isnan(v["decision_agreement"])  # no consultation yet
    tiny.last_decision = (4, 0.7, True, 10)
    lead = tiny.orgs[0]
    lead.resolved, lead.lost = 3, 1
    v = values(tiny)
    assert v["decision_agreement"] == 0.7
    assert v["leader_credibility"] == 0.75


def test_needs_metrics_by_hand(tiny) -> None:
    m = tiny
    m.steps = 10
    book = NeedsBook()
    book.append(np.array([0, 1, 6]), np.array([0, 1, 2]), 4, np.ones(3, bool), np.zeros(3))
    book.append(np.array([7]), np.array([0]), 9, np.ones(1, bool), np.zeros(1))
    book.total_resolved, book.total_expired = 6, 2
    m.needs = book
    # this week: 3 resolved after 1, 2 and 6 weeks, 1 aged out after 8 weeks
    m.events = {
        "needs_created": 5,
        "needs_resolved": 3,
        "needs_expired": 1,
        "needs_dropped_wrong_org": 1,
        "wait_sum": 9.0,
        "expired_wait_sum": 8.0,
        "resources_used": 4.5,
    }
    v = values(m)
    assert (v["needs_created"], v["needs_resolved"], v["needs_expired"]) == (5, 3, 1)
    assert v["needs_dropped_wrong_org"] == 1
    assert v["resolution_rate"] == 6 / 8
    assert v["resolution_rate_week"] == 3 / 4
    assert v["mean_wait"] == 17 / 4  # all four closed needs
    assert v["mean_wait_resolved"] == 3.0  # the survivor-biased view
    assert v["backlog_age"] == (6 + 6 + 6 + 1) / 4  # ages at week 10: created 4, 4, 4, 9
    assert v["backlog"] == 1000 * 4 / 8
    assert v["resources_per_resolved"] == 1.5
    m.events = {}
    m.needs = NeedsBook()
    v = values(m)
    for name in ("resolution_rate", "resolution_rate_week", "mean_wait", "backlog_age"):
        assert math.isnan(v[name]), name


def test_conflict_platform_effort_metrics_by_hand(tiny) -> None:
    c = ConflictBook()
    c.append(np.array([0, 1]), np.array([2, -1]), 3)
    c.total_mediated, c.total_escalated = 3, 1
    tiny.conflicts = c
    tiny.effort = Efforts(ideological=0.1, political=0.2, organizational=0.3, smart=0.4)
    v = values(tiny)
    assert v["conflicts_open"] == 1000 * 2 / 8
    assert v["conflicts_unresolved"] == 1000 * 1 / 8
    assert v["mediation_rate"] == 0.75
    assert v["platform_adoption"] == 3 / 8
    assert [v[f"effort_{k}"] for k in ("ideological", "political", "organizational", "smart")] == [
        0.1,
        0.2,
        0.3,
        0.4,
    ]


def test_group_metrics_by_hand(tiny) -> None:
    tiny.group_resolved[:] = [1, 0, 0]
    tiny.group_closed[:] = [4, 0, 2]
    g = M.evaluate_groups(tiny)
    np.testing.assert_allclose(g["participation_rate"], [1.0, 0.5, 0.0])
    np.testing.assert_allclose(g["participation_gap"], [1 - 1 / 4, 0.5 - 4 / 6, 0 - 5 / 6])
    np.testing.assert_allclose(g["never_participated"], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(g["opinion_mean"], [0.0, 1.0, 1.0])
    np.testing.assert_allclose(g["agenda_distance"], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(g["mean_trust"], [0.5, 1.0, 0.0])
    np.testing.assert_allclose(g["platform_adoption"], [0.25, 1.0, 0.0])
    np.testing.assert_allclose(g["resolution_rate"], [0.25, np.nan, 0.0])


def test_wait_counts_needs_that_age_out() -> None:
    """No capacity: every need ages out after exactly max_wait weeks, so the mean wait of
    closed needs is max_wait; the resolved-only mean has nothing to average."""
    r = run_one(None, seed=1, steps=14, **{"population.n_residents": 300,
                                           "needs.capacity_per_1000": 0.0,
                                           "needs.max_wait": 6,
                                           # no one moves out, taking open needs along,
                                           # and no volunteer or project capacity either
                                           "turnover.enabled": False,
                                           "participation.coproduction": 0.0,
                                           "deliberation.project_capacity": 0.0})  # fmt: skip
    closed = r.model[r.model["needs_expired"] > 0]
    assert len(closed) >= 5
    assert (closed["mean_wait"] == 6.0).all()
    assert r.model["mean_wait_resolved"].isna().all()
    assert (r.model["resolution_rate_week"].dropna() == 0).all()


def test_every_need_that_ages_out_counts_against_its_holder() -> None:
    """Misdirected needs that age out are lost by the organization that held them."""
    for kind in ("array", "reference"):
        m = make_model(rng=2, **{"population.n_residents": 300, "engine.kind": kind})
        m.run(25)
        assert m.needs.total_dropped_wrong_org > 0
        assert sum(o.lost for o in m.orgs) == m.needs.total_expired, kind


# -- polarization: Duclos–Esteban–Ray ------------------------------------------------------------


def _poly(x: np.ndarray, alpha: float = 1.0, h: float = 0.05) -> float:
    return M.der_polarization_grid(M.grid_weights(np.asarray(x, float)), alpha, h)


def gauss(d: float, h: float) -> float:
    return math.exp(-0.5 * (d / h) ** 2) / (h * math.sqrt(2 * math.pi))


@pytest.mark.parametrize("alpha", [0.25, 0.5, 1.0])
@pytest.mark.parametrize("h", [0.02, 0.05, 0.1])
def test_polarization_of_two_and_three_equal_masses(alpha: float, h: float) -> None:
    two = np.repeat([0.0, 1.0], 50)
    assert _poly(two, alpha, h) == pytest.approx(1.0, abs=1e-12)
    assert M.der_polarization(two, alpha, h) == pytest.approx(1.0, abs=1e-12)
    # three masses 1/3 at 0, ½, 1: f(0) = f(1) = (K(0) + K(½) + K(1))/3, f(½) = (K(0) + 2K(½))/3,
    # a(0) = a(1) = ½, a(½) = ⅓; P = ⅓ [2 f(0)^α ½ + f(½)^α ⅓], divided by (f₂^α ½).
    k0, k5, k1 = gauss(0, h), gauss(0.5, h), gauss(1, h)
    f0, f5 = (k0 + k5 + k1) / 3, (k0 + 2 * k5) / 3
    ref = (0.5 * (k0 + k1)) ** alpha * 0.5
    expected = (2 * f0**alpha * 0.5 + f5**alpha / 3) / 3 / ref
    three = np.repeat([0.0, 0.5, 1.0], 40)
    assert _poly(three, alpha, h) == pytest.approx(expected, rel=1e-12)
    assert M.der_polarization(three, alpha, h) == pytest.approx(expected, rel=1e-12)
    assert expected < 1.0


def _quantiles(dist, n: int) -> np.ndarray:
    return dist.ppf((np.arange(n) + 0.5) / n)


def _functional(pdf_smooth, cdf_pdf, a, lo: float, hi: float, ref: float, alpha: float):
    val, _ = integrate.quad(lambda y: pdf_smooth(y) ** alpha * a(y) * cdf_pdf(y), lo, hi, limit=200)
    return val / ref


@pytest.mark.parametrize("alpha", [0.25, 1.0])
def test_polarization_of_a_uniform_is_its_population_value(alpha: float) -> None:
    """P = ∫₀¹ f_h(y)^α a(y) dy with f_h the uniform smoothed by the kernel and
    a(y) = (y² + (1 − y)²)/2; the estimate on a 20 000-point uniform sample matches it."""
    h = 0.05
    ref = (0.5 * (gauss(0, h) + gauss(1, h))) ** alpha * 0.5

    def fh(y):
        return stats.norm.cdf(y / h) - stats.norm.cdf((y - 1) / h)

    expected = _functional(fh, lambda y: 1.0, lambda y: (y**2 + (1 - y) ** 2) / 2, 0, 1, ref, alpha)
    x = _quantiles(stats.uniform(), 20_000)
    assert _poly(x, alpha, h) == pytest.approx(expected, rel=2e-3)
    assert 0.1 < expected < 0.6  # well below two camps, well above a consensus


@pytest.mark.parametrize("centre", [0.1, 0.2337, 0.5, 0.6, 0.7, 0.8815])
def test_polarization_of_a_narrow_normal_does_not_depend_on_where_it_sits(centre) -> None:
    """Analytic: for N(c, σ²) smoothed by N(0, h²), f(y) = φ_s(y − c) with s² = σ² + h² and
    a(y) = E|y − X| = σ[2φ(z) + z(2Φ(z) − 1)], z = (y − c)/σ. The old 10-bin index gave 0.111
    at 0.5, 0.6, 0.7 (bin edges) and 0.000 inside a bin; here every position gives the same
    value, within 2·10⁻³ of the population functional."""
    sd, h, alpha = 0.01, 0.05, 1.0
    s = math.hypot(sd, h)
    ref = (0.5 * (gauss(0, h) + gauss(1, h))) ** alpha * 0.5

    def a(y):
        z = y / sd
        return sd * (2 * stats.norm.pdf(z) + z * (2 * stats.norm.cdf(z) - 1))

    expected = _functional(
        lambda y: stats.norm.pdf(y, 0, s), lambda y: stats.norm.pdf(y, 0, sd), a, -1, 1, ref, alpha
    )
    x = _quantiles(stats.norm(centre, sd), 5000)
    got = _poly(x, alpha, h)
    assert got == pytest.approx(expected, abs=2e-3)
    assert got < 0.05  # a near-consensus is not polarized
    assert M.der_polarization(x[::5], alpha, h) == pytest.approx(
        M.der_polarization(x[::5] - centre + 0.5, alpha, h), abs=1e-12
    )  # the exact estimator: shift-invariant to rounding


def test_polarization_grid_equals_the_exact_estimator_and_ignores_shifts() -> None:
    """The binned index is within 10⁻³ of the grid-free estimator, and moving a distribution
    by amounts that are not multiples of the grid step changes it by less than 10⁻³."""
    rng = np.random.default_rng(3)
    cases = [
        rng.random(1500),
        np.concatenate([rng.normal(0.25, 0.03, 700), rng.normal(0.7, 0.05, 800)]),
        np.concatenate([rng.normal(0.4, 0.01, 1000), rng.normal(0.6, 0.01, 500)]),
    ]
    for x in cases:
        x = np.clip(x, 0.0, 0.85)
        exact = M.der_polarization(x)
        assert _poly(x) == pytest.approx(exact, abs=1e-3)
        for shift in (0.0003, 0.0471, 0.1234):
            assert _poly(x + shift) == pytest.approx(_poly(x), abs=1e-3)


def test_polarization_orders_the_classic_cases() -> None:
    two = np.repeat([0.0, 1.0], 500)
    uniform = _quantiles(stats.uniform(), 1000)
    near = _quantiles(stats.norm(0.5, 0.01), 1000)
    assert _poly(two) > _poly(uniform) > _poly(near) > _poly(np.full(1000, 0.5)) == 0.0


# -- clusters -----------------------------------------------------------------------------------


def test_cluster_count_is_undefined_for_a_spread_and_counts_settled_masses() -> None:
    uniform = np.random.default_rng(0).random(1000)
    assert math.isnan(M.n_clusters(uniform, 0.05, 0.01, max_span=0.1))  # not "1 cluster"
    three = np.repeat([0.1, 0.5, 0.9], [300, 300, 400]) + np.tile([0.0, 0.001], 500)
    assert M.n_clusters(three, 0.05, 0.01, max_span=0.1) == 3.0


def test_cluster_count_minimum_share_is_a_parameter() -> None:
    x = np.repeat([0.1, 0.5, 0.9], [600, 395, 5])
    assert M.n_clusters(x, 0.05, min_share=0.01) == 2.0  # 5 of 1000 < 1 %: stragglers
    assert M.n_clusters(x, 0.05, min_share=0.001) == 3.0
    m = GovernanceModel(
        rng=0, **{"population.n_residents": 1000, "metrics.cluster_min_share": 0.001}
    )
    m.residents.opinion[:] = x
    assert M.MODEL_METRICS["opinion_clusters"].fn(m) == 3.0


# -- bimodality: the coefficient and its known limits ----------------------------------------------


def test_bimodality_of_uniform_and_normal_and_the_two_point_limit() -> None:
    n = 100_000
    assert M.bimodality(_quantiles(stats.uniform(), n)) == pytest.approx(5 / 9, rel=1e-3)
    assert M.bimodality(_quantiles(stats.norm(), n)) == pytest.approx(1 / 3, rel=2e-3)
    # Pearson's bound: any two-point split, however lopsided, gives b → 1 (the known limit)
    lopsided = np.repeat([0.0, 1.0], [99_000, 1000])
    assert M.bimodality(lopsided) == pytest.approx(1.0, abs=1e-3)


# -- time to consensus, with censoring -----------------------------------------------------------


def test_time_to_consensus_and_its_censoring() -> None:
    df = pd.DataFrame({"step": range(6), "consensus": [0, 1, 0, 0, 1, 1]})
    assert M.time_to_consensus(df) == 4.0
    df2 = pd.DataFrame({"step": range(6), "consensus": [0, 1, 1, 1, 1, 0]})
    assert math.isnan(M.time_to_consensus(df2))
    r = run_one(None, seed=0, steps=3, **{"population.n_residents": 200})
    assert r.summary["consensus_followup"] == 3.0
    assert r.summary["consensus_reached"] in (0.0, 1.0)


def test_kaplan_meier_and_restricted_mean_on_known_survival_data() -> None:
    """times 1, 2, 2⁺, 3, 4⁺, 5 (⁺ censored): S = 5/6 after 1, 4/6 after 2, 4/9 after 3, 0
    after 5; the area to 4 is 1 + 5/6 + 4/6 + 4/9."""
    t = np.array([1, 2, 2, 3, 4, 5.0])
    e = np.array([1, 1, 0, 1, 0, 1], bool)
    ev, sf = M.kaplan_meier(t, e)
    np.testing.assert_array_equal(ev, [1, 2, 3, 5])
    np.testing.assert_allclose(sf, [5 / 6, 4 / 6, 4 / 9, 0.0])
    km = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e])).sf
    np.testing.assert_allclose(km.evaluate(ev), sf)
    assert M.restricted_mean(t, e, 4.0) == pytest.approx(1 + 5 / 6 + 4 / 6 + 4 / 9)
    s = M.consensus_survival(
        np.array([1, 2, np.nan, 3, np.nan, 5.0]), e.astype(float), np.array([9, 9, 2, 9, 4, 9.0])
    )
    assert s["share_never"] == pytest.approx(2 / 6)
    assert s["km_median"] == 3.0  # first time S ≤ ½
    assert s["horizon"] == 2.0
    assert s["rmst"] == pytest.approx(1 + 5 / 6)


# -- the run_until_settled stop --------------------------------------------------------------------


def test_run_until_settled_stops_when_nothing_changes() -> None:
    """Granovetter 0..99 cascades one resident a week: settled after week 100, stopped at
    101 (one quiet week); a fixed run of 300 weeks ends in the same state."""
    over = {
        "population.n_residents": 100,
        "network.kind": "complete",
        "population.threshold_distribution": "explicit",
        "population.thresholds": [i / 99 for i in range(100)],
        "participation.initial_share": 0.0,
        "participation.initial_count": 0,
    }
    p = preset("threshold", **over)
    r = run_one(p, seed=0, steps=300, until_settled=True)
    assert r.model["step"].iloc[-1] == 101
    assert r.model["participation_rate"].iloc[-1] == 1.0
    rate = r.model["participation_rate"].to_numpy()
    np.testing.assert_array_equal(rate[:101], np.arange(101) / 100)  # one a week
    full = run_one(p, seed=0, steps=300)
    assert full.model["participation_rate"].iloc[-1] == 1.0
    short = run_one(p, seed=0, steps=50, until_settled=True)  # the cap wins
    assert short.model["step"].iloc[-1] == 50
    with pytest.raises(ValueError, match="until_settled"):
        run_one(p, seed=0, steps=5, settle_weeks=3)
