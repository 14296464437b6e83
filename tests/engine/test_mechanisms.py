"""Each mechanism's direct effect, each lever's direct effect, and the conditions under which a
lever fails. Effects on participation and consensus are outcomes, not assumptions: these tests
check only the mechanism a parameter acts through, averaged over seeds."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovernanceModel, run_one

SEEDS = range(4)
BASE = {"population.n_residents": 600}


def mean_of(metric: str, steps: int = 40, how: str = "mean", **over) -> float:
    vals = []
    for s in SEEDS:
        r = run_one(None, seed=s, steps=steps, **{**BASE, **over})
        col = r.model[metric].to_numpy()[1:]
        vals.append(
            np.nanmean(col) if how == "mean" else (np.nansum(col) if how == "sum" else col[-1])
        )
    return float(np.mean(vals))


def test_more_capacity_resolves_more_needs():
    low = mean_of("needs_resolved", how="sum", **{"needs.capacity_per_1000": 8.0})
    high = mean_of("needs_resolved", how="sum", **{"needs.capacity_per_1000": 30.0})
    assert high > 1.2 * low


def test_political_lever_adds_capacity_to_the_leader():
    m = GovernanceModel(rng=0, **{**BASE, "strategy.name": "political", "strategy.political": 1.0})
    m.step()
    lead = m.orgs[0]
    gain = 1 + m.params.levers.political.capacity_gain
    assert lead.capacity == pytest.approx(lead.base_capacity * gain)
    off = mean_of("needs_resolved", how="sum")
    on = mean_of(
        "needs_resolved", how="sum", **{"strategy.name": "political", "strategy.political": 1.0}
    )
    assert on > off


def test_co_building_drops_fewer_needs_for_want_of_the_right_organization():
    silo = mean_of("needs_dropped_wrong_org", how="sum")
    linked = mean_of(
        "needs_dropped_wrong_org",
        how="sum",
        **{"strategy.name": "organizational", "strategy.organizational": 1.0},
    )
    assert linked < 0.3 * silo


def test_without_organizational_leadership_no_routing_and_no_pooling():
    m = GovernanceModel(rng=0, **BASE).run(10)
    assert "needs_routed" not in m.events
    with_lever = GovernanceModel(
        rng=0, **{**BASE, "strategy.name": "organizational", "strategy.organizational": 1.0}
    ).run(10)
    assert with_lever.events.get("needs_routed", 0) > 0


def test_platform_adoption_shortens_waits():
    off = mean_of("mean_wait")
    on = mean_of("mean_wait", **{"strategy.name": "smart", "strategy.smart": 1.0})
    assert on < off - 0.3
    adoption = mean_of(
        "platform_adoption", how="last", **{"strategy.name": "smart", "strategy.smart": 1.0}
    )
    assert adoption > 0.5


def test_digital_divide_low_literacy_groups_adopt_less():
    r = run_one(None, seed=0, steps=40, **{**BASE, "strategy.name": "smart", "strategy.smart": 1.0})
    last = r.groups[r.groups.step == 40].set_index("group")["platform_adoption"]
    assert last["elderly"] < last["young_families"]


def test_exemplars_pull_opinions_toward_the_agenda():
    none = mean_of("agenda_distance", how="last", **{"population.party_share": 0.0})
    some = mean_of("agenda_distance", how="last", **{"population.party_share": 0.08})
    assert some < none - 0.01


def test_value_campaign_works_with_trust_and_fails_without_it():
    """The ideological lever acts in proportion to trust: under very low trust it fails."""

    def low_trust(over):
        groups = {
            f"population.groups.{g}.trust_mean": 0.0
            for g in ("long_term", "newcomers", "renters", "elderly", "young_families")
        }
        # no turnover: new residents would bring trust above 0
        return {**over, **groups, "trust.enabled": False, "turnover.enabled": False}

    campaign = {
        "strategy.name": "ideological",
        "strategy.ideological": 1.0,
        "population.party_share": 0.0,
    }
    trusted_gain = mean_of(
        "agenda_distance", how="last", **{"population.party_share": 0.0}
    ) - mean_of("agenda_distance", how="last", **campaign)
    distrust_gain = mean_of(
        "agenda_distance", how="last", **low_trust({"population.party_share": 0.0})
    ) - mean_of("agenda_distance", how="last", **low_trust(campaign))
    assert trusted_gain > 0.1
    # a residual gain from the few residents whose trust is drawn above 0 (sd 0.1, clipped)
    assert abs(distrust_gain) < 0.2 * trusted_gain


def test_backfire_under_low_trust_pushes_away():
    groups = {
        f"population.groups.{g}.trust_mean": 0.05
        for g in ("long_term", "newcomers", "renters", "elderly", "young_families")
    }
    over = {
        **groups,
        "trust.enabled": False,
        "population.party_share": 0.0,
        "strategy.name": "ideological",
        "strategy.ideological": 1.0,
    }
    calm = mean_of("agenda_distance", how="last", **over)
    backfire = mean_of(
        "agenda_distance", how="last", **{**over, "levers.ideological.backfire_below": 0.3}
    )
    assert backfire > calm + 0.02


def test_mediation_leaves_fewer_conflicts_unresolved():
    over = {"conflicts.rate": 0.01}
    off = mean_of("conflicts_unresolved", how="last", **over)
    on = mean_of(
        "conflicts_unresolved",
        how="last",
        **{**over, "strategy.name": "organizational", "strategy.organizational": 1.0},
    )
    assert on < 0.5 * off


def test_resolved_needs_raise_trust_and_aged_out_needs_lower_it():
    kw = {"conflicts.enabled": False, "deliberation.enabled": False, "trust.social_weight": 0.0}
    good = mean_of(
        "mean_trust",
        how="last",
        **{
            **kw,
            "needs.capacity_per_1000": 60.0,
            "needs.resources_per_1000": 60.0,
            "needs.know_right_org": 1.0,
        },
    )
    bad = mean_of("mean_trust", how="last", **{**kw, "needs.capacity_per_1000": 0.0})
    start = GovernanceModel(rng=0, **BASE).residents.trust.mean()
    assert good > start + 0.03
    assert bad < start - 0.05


def test_political_lever_lowers_participation_cost():
    from sim.mechanisms.participation import Participation

    m = GovernanceModel(rng=0, **{**BASE, "strategy.name": "political", "strategy.political": 1.0})
    m.step()
    ratio = Participation.effective_cost(m) / m.residents.cost
    assert np.allclose(ratio, 1 - m.params.levers.political.cost_reduction)


@pytest.mark.parametrize(
    ("switch", "unchanged"),
    [
        ("opinions.enabled", "opinion"),
        ("trust.enabled", "trust"),
        ("participation.enabled", "participating"),
    ],
)
def test_mechanisms_switch_off(switch, unchanged):
    kw = {**BASE, switch: False, "deliberation.enabled": False, "conflicts.enabled": False,
          "turnover.enabled": False}  # fmt: skip
    m = GovernanceModel(rng=0, **kw)
    before = getattr(m.residents, unchanged).copy()
    m.run(5)
    assert np.array_equal(before, getattr(m.residents, unchanged))


def test_needs_switch_off():
    m = GovernanceModel(rng=0, **{**BASE, "needs.enabled": False}).run(5)
    assert m.needs.total_created == 0


def test_deliberation_records_decisions_every_interval():
    m = GovernanceModel(rng=0, **{**BASE, "deliberation.interval": 3}).run(12)
    assert [d[0] for d in m.decisions] == [3, 6, 9, 12]
    assert all(0 <= d[1] <= 1 for d in m.decisions)
