"""The reference engine: selection, Mesa idiom, reproducibility, array sync."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from sim import GovernanceModel, make_model, run_one
from sim.reference import MUTABLE_FIELDS, PartyMemberAgent, ReferenceModel, ResidentAgent

SMALL = {
    "population.n_residents": 150,
    "strategy.name": "integrated",
    "strategy.ideological": 0.6,
    "strategy.political": 0.6,
    "strategy.organizational": 0.6,
    "strategy.smart": 0.6,
}
REF = {**SMALL, "engine.kind": "reference"}


def test_engine_kind_selects_the_reference_model() -> None:
    m = make_model(rng=1, **REF)
    assert isinstance(m, ReferenceModel) and isinstance(m, GovernanceModel)
    assert type(GovernanceModel(rng=1, **SMALL)) is GovernanceModel
    with pytest.raises(ValueError, match=r"engine\.kind"):
        make_model(rng=1, **{**SMALL, "engine.kind": "gpu"})


def test_residents_are_plain_mesa_agents_with_their_own_step() -> None:
    m = make_model(rng=2, **REF)
    residents = list(m.resident_agents)
    assert len(residents) == 150
    assert all(isinstance(r, mesa.Agent) and isinstance(r, ResidentAgent) for r in residents)
    assert all(callable(r.step) and callable(r.advance) for r in residents)
    party = [r for r in residents if r.is_party]
    assert all(isinstance(r, PartyMemberAgent) for r in party)
    r = m.resident(5)
    assert r.index == 5 and isinstance(r.opinion, float) and isinstance(r.neighbors, list)
    assert sorted(o.index for o in r.neighbors) == sorted(
        m.graph.indices[m.graph.indptr[5] : m.graph.indptr[6]].tolist()
    )


def test_same_seed_same_run_and_same_initial_community_as_the_array_engine() -> None:
    a = run_one(None, seed=3, steps=12, **REF)
    b = run_one(None, seed=3, steps=12, **REF)
    c = run_one(None, seed=4, steps=12, **REF)
    assert a.model.equals(b.model)
    assert not a.model.equals(c.model)
    arr = run_one(None, seed=3, steps=0, **SMALL)
    ref0 = run_one(None, seed=3, steps=0, **REF)
    assert arr.agents.equals(ref0.agents)  # set-up is shared: same initial community
    assert list(a.model.columns) == list(arr.model.columns)


def test_arrays_mirror_the_agents_after_every_week() -> None:
    m = make_model(rng=5, **REF).run(6)
    for name in MUTABLE_FIELDS:
        values = np.array([getattr(r, name) for r in m.resident_list])
        np.testing.assert_array_equal(getattr(m.residents, name), values)
    m.resident(0).opinion = 0.123
    m.resident(0).contrarian = True  # held fixed from now on
    m.step()
    assert m.residents.opinion[0] == pytest.approx(0.123, abs=0.2)


def test_deffuant_encounters_follow_the_rule() -> None:
    """A single encounter moves both sides by μ·d when within tolerance, nobody otherwise."""
    m = make_model(rng=6, **REF)
    a, b = m.resident(0), m.resident(1)
    a.contrarian = b.contrarian = False
    a.opinion, b.opinion, a.tolerance, b.tolerance = 0.4, 0.5, 0.3, 0.05
    mu = m.params.opinions.mu
    assert a.meet(b, 0.0)
    assert a.opinion == pytest.approx(0.4 + mu * 0.1) and b.opinion == 0.5  # b: |d| > ε_b
    a.opinion, b.opinion = 0.1, 0.9
    assert not a.meet(b, 0.0)


def test_every_preset_runs_on_the_reference_engine() -> None:
    from sim import PRESETS, preset

    for name in PRESETS:
        r = run_one(preset(name, **{"population.n_residents": 60, "engine.kind": "reference"}),
                    seed=1, steps=5)  # fmt: skip
        assert len(r.model) == 6
