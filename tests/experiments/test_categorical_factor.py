"""A categorical factor (structural uncertainty: which opinion rule) in the sensitivity
analyses and the sweep: how it is sampled, decoded and validated."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.design import ExperimentConfigError, factorial_design
from experiments.runners import experiment_from_config, plan_runs
from experiments.sensitivity import (
    Categorical,
    design_frame,
    level_index,
    make_problem,
    morris_sample,
    sobol_indices,
    sobol_sample,
)
from sim.params import build_params

BASE = build_params(None, {"population.n_residents": 120})
RULES = ["deffuant", "repulsive", "hegselmann_krause"]


def test_unit_values_map_to_equal_shares_of_the_levels() -> None:
    np.testing.assert_array_equal(
        level_index([0.0, 0.33, 0.34, 0.66, 0.67, 0.999, 1.0], 3), [0, 0, 1, 1, 2, 2, 2]
    )
    u = np.random.default_rng(0).random(30_000)
    shares = np.bincount(level_index(u, 4), minlength=4) / u.size
    np.testing.assert_allclose(shares, 0.25, atol=0.01)
    with pytest.raises(ValueError, match="two or more distinct"):
        Categorical(("a",))
    with pytest.raises(ValueError, match="two or more distinct"):
        Categorical(("a", "a"))


def test_sobol_design_decodes_to_balanced_levels() -> None:
    problem = make_problem({"opinions.mu": (0.1, 0.5), "opinions.rule": Categorical(RULES)})
    assert problem["bounds"] == [[0.1, 0.5], [0.0, 1.0]]
    assert problem["categorical"] == {"opinions.rule": RULES}
    X = sobol_sample(problem, 256, seed=1)
    design = design_frame(problem, X)
    assert set(design["opinions.rule"]) == set(RULES)
    shares = design["opinions.rule"].value_counts(normalize=True)
    np.testing.assert_allclose(shares.to_numpy(), 1 / 3, atol=0.02)
    np.testing.assert_array_equal(design["opinions.mu"].to_numpy(), X[:, 0])


def test_sobol_indices_of_a_categorical_factor_are_analytic() -> None:
    """y = g(level) + x with g = (0, 1, 5) over three equiprobable levels and x ~ U(0, 1):
    Var g = 14/3 (mean 2, E g² = 26/3), Var x = 1/12, so S1(level) = (14/3)/(14/3 + 1/12)
    ≈ 0.982 and S1(x) ≈ 0.018 (no interaction)."""
    problem = make_problem({"x": (0.0, 1.0), "rule": Categorical(("a", "b", "c"))})
    X = sobol_sample(problem, 1024, seed=2)
    d = design_frame(problem, X)
    y = d["rule"].map({"a": 0.0, "b": 1.0, "c": 5.0}).to_numpy() + d["x"].to_numpy()
    idx, _ = sobol_indices(problem, y, seed=3)
    s1 = idx.set_index("param")["S1"]
    var_g, var_x = 14 / 3, 1 / 12
    assert s1["rule"] == pytest.approx(var_g / (var_g + var_x), abs=0.03)
    assert s1["x"] == pytest.approx(var_x / (var_g + var_x), abs=0.03)


def test_morris_grid_must_be_a_multiple_of_the_levels() -> None:
    problem = make_problem({"x": (0.0, 1.0), "rule": Categorical(tuple(RULES))})
    with pytest.raises(ValueError, match="multiple of 3"):
        morris_sample(problem, 10, levels=4, seed=1)
    X = morris_sample(problem, 20, levels=6, seed=1)
    lev = level_index(X[:, 1], 3)
    np.testing.assert_allclose(np.bincount(lev, minlength=3) / lev.size, 1 / 3, atol=0.08)
    # every step that moves the categorical coordinate changes its level
    for t in range(20):
        rows = X[t * 3 : (t + 1) * 3]
        moved = np.flatnonzero(np.diff(rows[:, 1]) != 0)
        assert moved.size == 1
        a, b = level_index(rows[moved[0] : moved[0] + 2, 1], 3)
        assert a != b


def _sensitivity(params: dict, **extra) -> object:
    exp = {
        "replications": 1,
        "sensitivity": {"method": "sobol", "n_base": 4, "params": params, **extra},
    }
    return experiment_from_config("sensitivity", exp, BASE, 5)


def test_a_sensitivity_experiment_varies_the_opinion_rule() -> None:
    e = _sensitivity({"opinions.mu": [0.1, 0.5], "opinions.rule": RULES})
    runs = plan_runs(e)
    params = [build_params(BASE, r.overrides) for r in runs]
    rules = {p.opinions.rule for p in params}
    assert rules <= set(RULES) and len(rules) >= 2
    assert len({p.opinions.mu for p in params}) > 3


@pytest.mark.parametrize(
    ("levels", "match"),
    [
        (["deffuant", "hk"], r"opinions.rule.*allowed: deffuant"),
        ("deffuant", "list of two or more levels"),
        (["deffuant"], "list of two or more levels"),
        (["deffuant", "deffuant"], "two or more distinct"),
    ],
)
def test_bad_categorical_levels_name_the_problem(levels, match) -> None:
    with pytest.raises(ExperimentConfigError, match=match):
        plan_runs(_sensitivity({"opinions.mu": [0.1, 0.5], "opinions.rule": levels}))


def test_morris_experiment_checks_the_grid() -> None:
    exp = {
        "replications": 1,
        "sensitivity": {
            "method": "morris",
            "trajectories": 4,
            "levels": 4,
            "params": {"opinions.mu": [0.1, 0.5], "opinions.rule": RULES},
        },
    }
    with pytest.raises(ExperimentConfigError, match="multiple of 3"):
        plan_runs(experiment_from_config("sensitivity", exp, BASE, 5))


def test_a_factorial_sweep_varies_the_rule_and_the_pairing() -> None:
    d = factorial_design(BASE, {"opinions.rule": RULES, "opinions.pairing": ["edge", "node"]})
    assert len(d) == 6
    e = experiment_from_config(
        "sweep",
        {"replications": 1, "design": {"kind": "factorial", "params": {"opinions.rule": RULES}}},
        BASE,
        5,
    )
    got = [build_params(BASE, r.overrides).opinions.rule for r in plan_runs(e)]
    assert got == RULES
