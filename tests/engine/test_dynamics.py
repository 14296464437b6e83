"""Turnover, bounded Party anchoring and stochastic participation: consistency and the sign of
each effect on a controlled case, in both engines where the rule is per resident."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovernanceModel, run_one

SMALL = {"population.n_residents": 400}
FAST_TURNOVER = {f"population.groups.{g}.turnover": 0.05 for g in
                 ("long_term", "newcomers", "renters", "elderly", "young_families")}  # fmt: skip


def _check_consistent(m: GovernanceModel, group0: np.ndarray, degree0: np.ndarray) -> None:
    res, g = m.residents, m.graph
    np.testing.assert_array_equal(res.group, group0)  # a new resident is of the leaver's group
    np.testing.assert_array_equal(g.degree, degree0)  # degree-preserving rewiring
    rows = np.repeat(np.arange(res.n), g.degree)
    csr = {(int(a), int(b)) for a, b in zip(rows, g.indices, strict=True)}
    assert all((b, a) in csr for a, b in csr)  # symmetric
    assert not any(a == b for a, b in csr)  # no self-loop
    assert len(csr) == 2 * g.u.size  # no duplicate tie
    assert {(int(a), int(b)) for a, b in zip(g.u, g.v, strict=True)} == {
        (a, b) for a, b in csr if a < b
    }
    counts = np.bincount(res.org[res.org >= 0], minlength=len(m.orgs))
    assert [o.members for o in m.orgs] == counts.tolist()
    assert m.n_exemplars == int(res.exemplar().sum())
    open_counts = np.bincount(m.needs.resident, minlength=res.n)
    np.testing.assert_array_equal(res.open_needs, open_counts)
    assert (res.org[res.is_party] == 0).all()


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_turnover_keeps_every_array_consistent(kind) -> None:
    m = GovernanceModel(rng=1, **{**SMALL, **FAST_TURNOVER, "engine.kind": kind,
                                  "opinions.counter_share": 0.05})  # fmt: skip
    group0, degree0 = m.residents.group.copy(), m.graph.degree.copy()
    contrarian0 = m.residents.contrarian.copy()
    edges0 = set(zip(m.graph.u.tolist(), m.graph.v.tolist(), strict=True))
    moved = 0
    for _ in range(20):
        m.step()
        moved += m.events["moved"]
    assert moved > 200
    _check_consistent(m, group0, degree0)
    np.testing.assert_array_equal(m.residents.contrarian, contrarian0)  # sources never move
    edges = set(zip(m.graph.u.tolist(), m.graph.v.tolist(), strict=True))
    assert len(edges0 - edges) > 0.3 * len(edges0)  # new residents have new ties


def test_new_residents_start_fresh_and_never_took_part() -> None:
    """Turnover brings residents who have not taken part: 'never took part' is not ≈ 0."""
    over = {**SMALL, "participation.initial_share": 1.0, "participation.temperature": 0.0}
    a = run_one(None, seed=2, steps=30, **{**over, "turnover.enabled": False})
    b = run_one(None, seed=2, steps=30, **{**over, **FAST_TURNOVER})
    assert a.model["never_participated"].iloc[-1] == 0.0
    assert b.model["never_participated"].iloc[-1] > 0.2


def test_tie_homophily_sends_new_ties_into_the_own_group() -> None:
    over = {**SMALL, **FAST_TURNOVER, "network.homophily": 0.0}
    share = []
    for h in (0.0, 1.0):
        m = GovernanceModel(rng=3, **{**over, "turnover.tie_homophily": h}).run(20)
        g, grp = m.graph, m.residents.group
        share.append(float(np.mean(grp[g.u] == grp[g.v])))
    assert share[1] > share[0] + 0.3


def test_turnover_keeps_a_consensus_from_settling() -> None:
    """One group, ε = 1, no noise, no Party: DW drives opinions to consensus (variance → 0);
    with turnover fresh opinions keep entering and the variance stays well above it."""
    over = {**SMALL, "population.party_share": 0.0, "opinions.noise": 0.0,
            "population.groups": {"all": {"share": 1.0, "opinion_mean": 0.5,
                                          "opinion_spread": 1.0, "tolerance": 1.0,
                                          "turnover": 0.02}}}  # fmt: skip
    r0 = run_one(None, seed=4, steps=100, **{**over, "turnover.enabled": False})
    r1 = run_one(None, seed=4, steps=100, **over)
    v0, v1 = r0.model["opinion_variance"].iloc[-1], r1.model["opinion_variance"].iloc[-1]
    assert v0 < 1e-4
    assert v1 > 10 * v0 and v1 > 1e-3


def test_commitment_decays_geometrically_without_ideological_leadership() -> None:
    m = GovernanceModel(rng=5, **{**SMALL, "opinions.anchor_decay": 0.1}).run(10)
    assert m.party_commitment == pytest.approx(0.9**10)
    full = {**SMALL, "strategy.name": "ideological", "strategy.ideological": 1.0}
    assert GovernanceModel(rng=5, **full).run(10).party_commitment == pytest.approx(1.0)
    half = {**full, "strategy.ideological": 0.5, "opinions.anchor_decay": 0.5}
    assert GovernanceModel(rng=5, **half).run(40).party_commitment == pytest.approx(0.5)


def test_unbounded_anchoring_captures_the_community_bounded_does_not() -> None:
    """Mobilia's zealots: anchor decay 0 pulls everyone toward the agenda over time; with the
    bounded anchoring the agenda distance stays far higher (weak baseline, 400 weeks)."""
    over = {**SMALL, "turnover.enabled": False, "opinions.noise": 0.0}
    zealots = run_one(None, seed=6, steps=400, **{**over, "opinions.anchor_decay": 0.0})
    bounded = run_one(None, seed=6, steps=400, **over)
    z, b = zealots.model["agenda_distance"], bounded.model["agenda_distance"]
    assert z.iloc[-1] < z.iloc[0] - 0.15
    assert b.iloc[-1] > z.iloc[-1] + 0.1


def test_logit_participation_matches_its_analytic_probability() -> None:
    """All weights 0, one threshold θ: P(take part) = 1 / (1 + exp(θ/τ))."""
    theta, tau = 0.3, 0.2
    over = {"population.n_residents": 4000, "population.party_share": 0.0,
            "participation.temperature": tau, "population.groups": {"all": {
                "share": 1.0, "threshold_mean": theta, "threshold_sd": 0.0}}}  # fmt: skip
    for w in ("w_social", "w_trust", "w_agreement", "w_served", "w_cost"):
        over[f"participation.{w}"] = 0.0
    df = run_one(None, seed=7, steps=10, **over).model
    p = 1.0 / (1.0 + np.exp(theta / tau))
    rate = df["participation_rate"].iloc[1:].mean()
    assert rate == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / (4000 * 10)))


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_participants_rotate_under_logit_choice(kind) -> None:
    over = {**SMALL, "turnover.enabled": False, "engine.kind": kind}
    fixed = GovernanceModel(rng=8, **{**over, "participation.temperature": 0.0}).run(30)
    logit = GovernanceModel(rng=8, **{**over, "participation.temperature": 0.2}).run(30)

    def part_time(m):  # share of residents who took part in some but not most weeks
        w = m.residents.weeks_participated
        return float(np.mean((w > 0) & (w < 20)))

    assert part_time(logit) > part_time(fixed) + 0.2


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_party_members_are_more_active_with_the_bonus(kind) -> None:
    over = {**SMALL, "population.party_share": 0.2, "engine.kind": kind}
    rates = []
    for bonus in (0.0, 0.6):
        m = GovernanceModel(rng=9, **{**over, "participation.party_bonus": bonus}).run(20)
        ex = m.residents.exemplar()
        rates.append(m.residents.weeks_participated[ex].mean() / 20)
    assert rates[1] > rates[0] + 0.15
