"""Invariants that hold every week of every run."""

from __future__ import annotations

import numpy as np
import pytest

from sim import GovernanceModel, Organization, PartyMemberView, ResidentView

from .conftest import ALL_ON


@pytest.mark.parametrize("network", ["sbm", "small_world", "scale_free", "erdos_renyi", "complete"])
def test_state_stays_in_bounds_and_counts_are_conserved(network):
    m = GovernanceModel(rng=3, **{**ALL_ON, "network.kind": network})
    n = m.residents.n
    groups0 = np.bincount(m.residents.group)
    n_agents0 = len(m.agents)
    seen: set[int] = set()
    for _ in range(25):
        m.step()
        r = m.residents
        assert r.n == n and len(m.agents) == n_agents0
        assert np.array_equal(np.bincount(r.group), groups0)
        assert np.all((r.opinion >= 0) & (r.opinion <= 1))
        assert np.all((r.trust >= 0) & (r.trust <= 1))
        assert np.all(np.abs(r.served) <= 1)
        for o in m.orgs:
            assert o.resources >= 0 and o.resources_used >= 0
        # a need is resolved at most once
        ids = m.last_resolved_ids.tolist()
        assert len(ids) == len(set(ids))
        assert seen.isdisjoint(ids)
        seen.update(ids)
        b = m.needs
        assert b.total_created == b.total_resolved + b.total_expired + b.total_moved_out + b.size
        assert r.open_needs.sum() == b.size and r.open_needs.min() >= 0
        c = m.conflicts
        assert c.total_arisen == (c.total_mediated + c.total_escalated + c.total_moved_out + c.size)
    assert seen, "the run resolved no need at all"


def test_agents_are_live_views_of_the_arrays():
    m = GovernanceModel(rng=1, **{"population.n_residents": 200})
    residents = m.agents_by_type[ResidentView]
    members = m.agents_by_type[PartyMemberView]
    assert len(residents) + len(members) == 200
    assert len(members) == round(0.07 * 200)
    assert len(m.agents_by_type[Organization]) == sum(m.params.organizations.counts)
    a = next(iter(residents))
    assert m.resident(a.index) is a
    m.run(3)
    assert a.opinion == m.residents.opinion[a.index]
    a.trust = 0.123
    assert m.residents.trust[a.index] == 0.123
    assert all(x.is_party for x in members)


def test_views_on_demand_above_the_limit():
    m = GovernanceModel(rng=1, **{"population.n_residents": 300, "engine.agent_views_max": 100})
    assert not m.agents_by_type.get(ResidentView)
    v = m.resident(5)
    assert v.opinion == m.residents.opinion[5]
    assert len(m.agents) == len(m.orgs)


def test_run_and_steps():
    m = GovernanceModel(rng=0, **{"population.n_residents": 100}).run(4)
    assert m.steps == 4
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 5
    with pytest.raises(ValueError):
        m.run(-1)
