"""Strategies: the protocol, composition, time switches, budgets, adaptation, user plug-ins."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from sim import GovernanceModel, run_one
from sim.costs import efforts_cost
from sim.strategies import STRATEGIES, Efforts, split_budget

SMALL = {"population.n_residents": 200}


def efforts_table(**over):
    r = run_one(None, seed=1, steps=12, **{**SMALL, **over})
    cols = ["effort_ideological", "effort_political", "effort_organizational", "effort_smart"]
    return r.model[cols].to_numpy()


def test_shipped_strategies():
    for name in (
        "none",
        "ideological",
        "political",
        "organizational",
        "smart",
        "integrated",
        "campaign",
        "budgeted",
        "adaptive",
    ):
        assert name in STRATEGIES


def test_single_lever_uses_only_its_effort():
    e = efforts_table(**{"strategy.name": "smart", "strategy.smart": 0.7})
    assert np.allclose(e[1:], [0, 0, 0, 0.7])


def test_an_effort_the_strategy_does_not_read_is_refused():
    with pytest.raises(ValueError, match=r"strategy.political=1.*'smart' does not read it"):
        efforts_table(**{"strategy.name": "smart", "strategy.smart": 0.7, "strategy.political": 1})


def test_composition_adds_and_clips():
    e = efforts_table(
        **{
            "strategy.name": "smart+political+smart",
            "strategy.smart": 0.7,
            "strategy.political": 0.2,
        }
    )
    assert np.allclose(e[1:], [0, 0.2, 0, 1.0])


def test_campaign_switches_on_and_off():
    e = efforts_table(
        **{
            "strategy.name": "campaign",
            "strategy.organizational": 0.5,
            "strategy.start_step": 5,
            "strategy.end_step": 9,
        }
    )
    on = e[:, 2] > 0
    assert not on[:5].any() and on[5:9].all() and not on[9:].any()


def test_budget_split_respects_total_and_caps():
    assert np.allclose(split_budget(1.0, np.ones(4)), 0.25)
    assert np.allclose(split_budget(2.0, np.array([3, 1, 0, 0])), [1.0, 1.0, 0, 0])
    assert np.isclose(split_budget(1.5, np.array([1, 1, 1, 1])).sum(), 1.5)
    # the budgeted strategy splits a cost (sim.costs): 40 staff-hours, 3:1 ideological:smart
    e = efforts_table(
        **{
            "strategy.name": "budgeted",
            "strategy.budget": 40.0,
            "strategy.ideological": 0.75,
            "strategy.smart": 0.25,
        }
    )
    costs = [efforts_cost(row) for row in e[1:]]
    assert np.allclose(costs, 40.0)
    # 30 h on the ideological lever would exceed its full cost (20 h): capped, the rest to smart
    assert np.allclose(e[1], [1.0, 0.0, 0.0, 1.0])


def test_adaptive_moves_effort_to_the_lagging_outcome():
    e = efforts_table(
        **{
            "strategy.name": "adaptive",
            "strategy.budget": 20.0,
            "strategy.adapt_every": 2,
            "strategy.adapt_step": 0.2,
        }
    )
    # the cost stays at the budget while the split moves
    assert np.allclose([efforts_cost(row) for row in e[1:]], 20.0)
    assert not np.allclose(e[1], e[-1])


def test_efforts_are_clipped_and_checked():
    assert Efforts(ideological=2.0).ideological == 1.0
    with pytest.raises(ValueError):
        Efforts(smart=float("nan"))


def test_user_strategy_from_file_reads_options(tmp_path):
    f = tmp_path / "my_strategies.py"
    f.write_text(
        textwrap.dedent("""
        from sim.strategies import Efforts

        class LateSmart:
            def __init__(self, params):
                self.level = params.options.get("level", 1.0)
                self.start = int(params.options.get("start", 3))

            def efforts(self, model):
                return Efforts(smart=self.level if model.steps >= self.start else 0.0)
    """)
    )
    over = {"strategy.name": f"{f}:LateSmart", "strategy.options": {"level": 0.4, "start": 3}}
    e = efforts_table(**over)
    assert np.allclose(e[1:3, 3], 0) and np.allclose(e[3:, 3], 0.4)
    e2 = efforts_table(**{**over, "strategy.options": {"level": 0.9, "start": 3}})
    assert np.allclose(e2[3:, 3], 0.9)


def test_registered_user_strategy_by_name():
    from sim.strategies import register_strategy

    @register_strategy("test_only_half_political")
    class Half:
        def __init__(self, params):
            pass

        def efforts(self, model):
            return Efforts(political=0.5)

    try:
        m = GovernanceModel(rng=0, **{**SMALL, "strategy.name": "test_only_half_political"})
        m.step()
        assert m.effort.political == 0.5
    finally:
        del STRATEGIES["test_only_half_political"]


def test_bad_user_strategy_paths():
    with pytest.raises(ValueError, match="not found"):
        GovernanceModel(rng=0, **{"strategy.name": "nope.py:X"})
    with pytest.raises(ValueError, match="cannot import module"):
        GovernanceModel(rng=0, **{"strategy.name": "no_such_module_xyz:X"})
    with pytest.raises(ValueError, match="has no attribute"):
        GovernanceModel(rng=0, **{"strategy.name": "sim.strategies:Nope"})


def test_set_strategy_takes_effect_from_the_next_week():
    m = GovernanceModel(rng=0, **SMALL)
    m.run(3)
    m.set_strategy(name="organizational", organizational=0.8)
    assert m.effort.organizational == 0.0  # this week's efforts were already set
    m.step()
    assert m.effort.organizational == 0.8 and m.params.strategy.name == "organizational"
    assert m.strategy_changes[-1][0] == 4
    with pytest.raises(ValueError, match=r"strategy\.smart=2"):
        m.set_strategy(smart=2)
    assert m.params.strategy.organizational == 0.8  # unchanged after a bad call

    class Half:
        def efforts(self, model):
            return Efforts(political=0.5)

    m.set_strategy(Half())
    m.step()
    assert m.effort.political == 0.5


def test_each_strategy_is_built_with_its_own_record():
    from sim.params import StrategyParams
    from sim.strategies import (
        AdaptiveParams,
        BudgetedParams,
        LeverEfforts,
        _record,
        strategy_reads,
    )

    sp = StrategyParams(name="budgeted", budget=1.5, smart=1.0)
    assert _record("budgeted", sp) == BudgetedParams(budget=1.5, smart=1.0)
    assert _record("adaptive", sp) == AdaptiveParams(budget=1.5)
    assert _record("integrated", sp) == LeverEfforts(smart=1.0)
    single = _record("smart", sp)
    assert [f for f in vars(single)] == ["smart"] and single.smart == 1.0
    fields, levers, _ = strategy_reads(StrategyParams(name="ideological+smart"))
    assert {"ideological", "smart", "start_step"} <= fields and "political" not in fields
    assert levers == {"ideological", "smart"}
    assert strategy_reads(StrategyParams(name="nonsense")) is None


def test_set_strategy_resets_what_the_new_strategy_does_not_read():
    m = GovernanceModel(
        {
            "population": {"n_residents": 100},
            "strategy": {"name": "smart", "smart": 0.7},
            "levers": {"smart": {"echo_chamber": 0.5}},
        },
        rng=1,
    )
    m.step()
    m.set_strategy(name="political", political=0.4)
    assert m.params.strategy.smart == 0.0 and m.params.strategy.political == 0.4
    assert m.params.levers.smart.echo_chamber == 0.0  # no longer read: back to its default
    m.step()
    with pytest.raises(ValueError, match=r"strategy\.smart=0\.3.*'none' does not read it"):
        m.set_strategy(name="none", smart=0.3)  # named explicitly: refused


def test_register_strategy_checks_its_record():
    from dataclasses import dataclass

    from sim.strategies import register_strategy

    @dataclass(frozen=True)
    class Wrong:
        level: float = 0.0

    with pytest.raises(ValueError, match="not strategy parameters: level"):
        register_strategy("wrong_record", params=Wrong)
