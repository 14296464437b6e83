"""Turnover, bounded Party anchoring and stochastic participation: consistency and the sign of
each effect on a controlled case, in both engines where the rule is per resident."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovernanceModel, Params, make_model, run_one

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
    m = make_model(rng=1, **{**SMALL, **FAST_TURNOVER, "engine.kind": kind,
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
        m = make_model(rng=3, **{**over, "turnover.tie_homophily": h}).run(20)
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
    m = make_model(rng=5, **{**SMALL, "opinions.anchor_decay": 0.1}).run(10)
    assert m.party_commitment == pytest.approx(0.9**10)
    full = {**SMALL, "strategy.name": "ideological", "strategy.ideological": 1.0}
    assert make_model(rng=5, **full).run(10).party_commitment == pytest.approx(1.0)
    half = {**full, "strategy.ideological": 0.5, "opinions.anchor_decay": 0.5}
    assert make_model(rng=5, **half).run(40).party_commitment == pytest.approx(0.5)


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
    fixed = make_model(rng=8, **{**over, "participation.temperature": 0.0}).run(30)
    logit = make_model(rng=8, **{**over, "participation.temperature": 0.2}).run(30)

    def part_time(m):  # share of residents who took part in some but not most weeks
        w = m.residents.weeks_participated
        return float(np.mean((w > 0) & (w < 20)))

    assert part_time(logit) > part_time(fixed) + 0.2


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_party_members_are_more_active_with_the_bonus(kind) -> None:
    over = {**SMALL, "population.party_share": 0.2, "engine.kind": kind}
    rates = []
    for bonus in (0.0, 0.6):
        m = make_model(rng=9, **{**over, "participation.party_bonus": bonus}).run(20)
        ex = m.residents.exemplar()
        rates.append(m.residents.weeks_participated[ex].mean() / 20)
    assert rates[1] > rates[0] + 0.15


# -- closing the loop: co-production, projects, trust attribution ----------------------------


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_coproduction_adds_volunteer_capacity_in_proportion_to_participants(kind) -> None:
    from sim.mechanisms.needs import Service

    m = make_model(rng=10, **{**SMALL, "engine.kind": kind,
                                   "participation.coproduction": 0.5}).run(3)  # fmt: skip
    m.project_capacity = 0.0
    extra = Service.volunteer_capacity(m)
    idx = np.concatenate([m.org_of_kind["residents_committee"], m.org_of_kind["volunteer_team"]])
    assert extra.sum() == pytest.approx(0.5 * m.residents.participating.sum())
    assert (extra[idx] > 0).all() and extra[np.setdiff1d(np.arange(len(m.orgs)), idx)].sum() == 0


def test_coproduction_resolves_more_needs() -> None:
    over = {**SMALL, "participation.initial_share": 0.5}
    r0 = run_one(None, seed=11, steps=40, **{**over, "participation.coproduction": 0.0})
    r1 = run_one(None, seed=11, steps=40, **{**over, "participation.coproduction": 0.05})
    assert r1.model["needs_resolved"].sum() > 1.1 * r0.model["needs_resolved"].sum()


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_a_passed_decision_is_a_project_a_failed_one_is_not(kind) -> None:
    over = {**SMALL, "engine.kind": kind, "deliberation.project_capacity": 10.0}
    m = make_model(rng=12, **over).run(4)  # a consultation in week 4
    week, _agreement, passed, _ = m.last_decision
    assert week == 4 and passed
    assert m.project_capacity == pytest.approx(10.0 * 400 / 1000)
    against = {**over, "opinions.agenda": 0.0}  # the proposal goes against most opinions
    m2 = make_model(rng=12, **against).run(4)
    assert not m2.last_decision[2] and m2.project_capacity == 0.0


def test_decision_agreement_follows_the_state_of_opinions() -> None:
    """Agreement is the share on the agenda's side: high when opinions sit near the agenda,
    low when they sit away from it (no longer ≈ 1 whatever happens)."""
    base = {**SMALL, "population.party_share": 0.0, "participation.initial_share": 0.5}

    def at(mean: float):
        group = {"all": {"share": 1.0, "opinion_mean": mean, "opinion_spread": 0.4}}
        return run_one(None, seed=13, steps=8, **{**base, "population.groups": group})

    a, b = at(0.8), at(0.3)
    assert a.model["decision_agreement"].iloc[-1] > 0.9
    assert b.model["decision_agreement"].iloc[-1] < 0.3


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_trust_attribution_to_the_leading_organization(kind) -> None:
    """With attribution 0, service by the other organizations does not move trust in the
    leader: trust then changes only through the leader's own service (none here: the leading
    organization handles no category and holds no need) and the other channels, switched
    off."""
    over = {**SMALL, "engine.kind": kind, "trust.social_weight": 0.0,
            "deliberation.enabled": False, "conflicts.enabled": False,
            "turnover.enabled": False, "population.party_share": 0.0,
            "organizations.categories": ["", *Params().organizations.categories[1:]]}  # fmt: skip
    t0 = make_model(rng=14, **over).residents.trust.copy()
    none = make_model(rng=14, **{**over, "trust.attribution_others": 0.0}).run(15)
    full = make_model(rng=14, **over).run(15)
    np.testing.assert_allclose(none.residents.trust, t0)
    assert np.abs(full.residents.trust - t0).max() > 0.05


# -- conflicts linked to the 'disputes' need: mediation uses capacity -------------------------


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_dispute_requests_are_needs_and_their_service_mediates(kind) -> None:
    """Disputes brought to organizations are mediated when served: with ample capacity more
    disputes are mediated than without requests; with no capacity requests change nothing."""
    over = {
        **SMALL,
        "engine.kind": kind,
        "conflicts.rate": 0.03,
        "conflicts.base_mediation": 0.0,
        "turnover.enabled": False,
        "needs.resources_per_1000": 500.0,
        "needs.category_mix": [0.25, 0.2, 0.15, 0.15, 0.1, 0.0],  # no other dispute needs
        "participation.coproduction": 0.0,  # no volunteer capacity either
        "deliberation.project_capacity": 0.0,
    }

    def mediated(share: float, capacity: float) -> tuple[int, int]:
        m = make_model(rng=15, **{**over, "conflicts.request_share": share,
                                       "needs.capacity_per_1000": capacity}).run(30)  # fmt: skip
        return m.conflicts.total_mediated, int(m.needs.total_created)

    none, needs_none = mediated(0.0, 200.0)
    some, needs_some = mediated(1.0, 200.0)
    assert none == 0  # nothing else mediates here
    assert some > 50 and needs_some > needs_none + 50
    assert mediated(1.0, 0.0)[0] == 0  # no capacity, no mediation by service
