"""The common cost model of the levers (sim/costs.py): equal budgets cost the same, the cost
curves have their documented shape, and each lever's direct dose in the engine is proportional
to its cost."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_one
from sim.costs import (
    LEVERS,
    dose,
    effort_for_cost,
    efforts_cost,
    full_cost,
    lever_cost,
    split_cost,
)
from sim.model import GovernanceModel
from sim.params import CostParams, Params, build_params
from sim.strategies import make_strategy


def test_default_costs_and_the_ideological_curve_is_quadratic():
    assert [full_cost(lever) for lever in LEVERS] == [20.0] * 4
    assert lever_cost("ideological", 0.5) == pytest.approx(5.0)  # 20 × 0.5²
    assert lever_cost("political", 0.5) == pytest.approx(10.0)  # 20 × 0.5
    assert lever_cost("smart", 0.0) == 0.0 and lever_cost("smart", 1.0) == 20.0


@pytest.mark.parametrize("lever", LEVERS)
def test_effort_for_cost_inverts_lever_cost_and_caps_at_full_effort(lever):
    c = CostParams(ideological=12.0, political=30.0, organizational=7.5, smart=50.0)
    for e in (0.0, 0.1, 0.37, 0.9, 1.0):
        assert effort_for_cost(lever, lever_cost(lever, e, c), c) == pytest.approx(e)
    assert effort_for_cost(lever, 10 * full_cost(lever, c), c) == 1.0
    with pytest.raises(ValueError, match="cost"):
        effort_for_cost(lever, -1.0, c)
    with pytest.raises(ValueError, match="effort"):
        lever_cost(lever, 1.5, c)


@pytest.mark.parametrize("lever", LEVERS)
def test_dose_is_proportional_to_cost(lever):
    # the exponents are chosen for this: a staff-hour buys the same dose at any effort
    doses = [dose(lever, effort_for_cost(lever, c), Params()) for c in (2.0, 4.0, 8.0, 16.0)]
    ratios = np.array(doses[1:]) / np.array(doses[:-1])
    assert np.allclose(ratios, 2.0)


def test_a_linear_ideological_cost_would_make_dose_quadratic_in_cost():
    # mutation check of the property above: exponent 1 breaks proportionality
    c = CostParams(ideological_exponent=1.0)
    p = build_params(overrides={"strategy.name": "budgeted", "costs.ideological_exponent": 1.0})
    d1 = dose("ideological", effort_for_cost("ideological", 5.0, c), p)
    d2 = dose("ideological", effort_for_cost("ideological", 10.0, c), p)
    assert d2 / d1 == pytest.approx(4.0)


@pytest.mark.parametrize(
    "weights",
    [(1, 1, 1, 1), (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1), (3, 0, 1, 0)],
)
def test_equal_budgets_cost_the_same_whatever_the_split(weights):
    e = split_cost(18.0, weights)
    assert efforts_cost(e) == pytest.approx(18.0)
    assert np.all((e >= 0) & (e <= 1))


def test_a_budget_beyond_the_chosen_levers_full_cost_is_capped():
    e = split_cost(50.0, (1, 0, 0, 1))
    assert np.allclose(e, [1.0, 0.0, 0.0, 1.0])
    assert efforts_cost(e) == pytest.approx(40.0)


def test_budgeted_strategy_uses_the_costs_section():
    p = build_params(
        overrides={"strategy.name": "budgeted", "strategy.budget": 10.0, "costs.smart": 40.0}
    )
    s = make_strategy(p.strategy, p.costs)
    e = s.efforts(None)
    assert efforts_cost(e, p) == pytest.approx(10.0)
    assert e.smart == pytest.approx(2.5 / 40.0)  # a quarter of 10 h at 40 h for full effort
    assert e.ideological == pytest.approx(np.sqrt(2.5 / 20.0))


def test_costs_are_refused_when_no_strategy_spends_a_budget():
    with pytest.raises(ValueError, match=r"costs\.smart=.*does not spend a budget"):
        build_params(overrides={"strategy.name": "smart", "costs.smart": 5.0})


def _lever_run(lever: str, cost: float, steps: int = 6) -> GovernanceModel:
    weights = {f"strategy.{x}": float(x == lever) for x in LEVERS}
    p = build_params(
        overrides={
            "population.n_residents": 400,
            "strategy.name": "budgeted",
            "strategy.budget": cost,
            **weights,
        }
    )
    m = GovernanceModel(p, rng=3)
    for _ in range(steps):
        m.step()
    return m


def test_engine_ideological_attendances_are_proportional_to_cost():
    # controlled case: the engine's own attendance count, averaged over seeds and weeks
    def attendances(cost: float) -> float:
        total, weeks = 0, 0
        for seed in range(8):
            p = build_params(
                overrides={
                    "population.n_residents": 400,
                    "participation.enabled": False,
                    "strategy.name": "budgeted",
                    "strategy.budget": cost,
                    "strategy.ideological": 1.0,
                }
            )
            m = GovernanceModel(p, rng=seed)
            for _ in range(10):
                m.step()
                total += m.events.get("attendances", 0)
                weeks += 1
        return total / weeks

    a5, a20 = attendances(5.0), attendances(20.0)
    # dose(5 h) = 0.5 activities × 5 % of 400 ≈ 10 a week; dose(20 h) = 40: a ratio of 4
    assert a5 == pytest.approx(10.0, rel=0.25)
    assert a20 / a5 == pytest.approx(4.0, rel=0.2)


def test_engine_political_capacity_is_proportional_to_cost():
    def added(cost: float) -> float:
        m = _lever_run("political", cost, steps=1)
        leader = next(o for o in m.orgs if o.is_leader)
        base = next(o for o in _lever_run("political", 0.0, steps=1).orgs if o.is_leader)
        return leader.capacity - base.capacity

    assert added(10.0) == pytest.approx(2 * added(5.0), rel=1e-6)
    assert added(5.0) == pytest.approx(dose("political", 0.25, Params()) * 0.4, rel=1e-6)


def test_run_records_the_efforts_the_budget_buys():
    r = run_one(
        None,
        seed=1,
        steps=3,
        **{
            "population.n_residents": 200,
            "strategy.name": "budgeted",
            "strategy.budget": 20.0,
        },
    )
    cols = [f"effort_{lever}" for lever in LEVERS]
    row = r.model[cols].to_numpy()[-1]
    assert np.allclose(row, [0.5, 0.25, 0.25, 0.25])
    assert efforts_cost(row) == pytest.approx(20.0)
