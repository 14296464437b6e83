"""Unit tests of the parameter schema: validation, overrides, documentation."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from scipy import stats

from sim import GovernanceModel, Params, build_params
from sim.params import iter_fields, parameter_table_markdown


def test_defaults_are_valid_and_documented():
    p = build_params()
    assert p == Params()
    for info in iter_fields(p):
        assert info.doc, f"{info.name} has no documentation"
        if info.type in ("int", "float"):
            assert info.lo is not None and info.hi is not None, f"{info.name} has no range"
            assert info.lo <= info.default <= info.hi, info.name


def test_dotted_and_double_underscore_overrides():
    p = build_params(None, {"opinions.mu": 0.2, "population__groups__elderly__tolerance": 0.1})
    assert p.opinions.mu == 0.2
    assert p.population.groups["elderly"].tolerance == 0.1
    assert Params().opinions.mu != 0.2  # defaults untouched (frozen)


def test_nested_mapping_base_and_replace():
    p = build_params({"strategy": {"name": "smart", "smart": 0.5}})
    assert p.strategy.name == "smart" and p.strategy.smart == 0.5
    q = p.replace(**{"strategy.smart": 0.7})
    assert q.strategy.smart == 0.7 and p.strategy.smart == 0.5


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Params().opinions.mu = 0.1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"opinions.muu": 0.2}, "did you mean 'mu'"),
        ({"opinion.mu": 0.2}, "did you mean 'opinions'"),
        ({"opinions.mu": "abc"}, "expected a number"),
        ({"opinions.mu": 0.9}, "allowed range 0 … 0.5"),
        ({"population.n_residents": 10.5}, "expected an integer"),
        ({"population.party_share": 1.5}, "population.party_share=1.5"),
        ({"network.kind": "lattice"}, "allowed: small_world"),
        ({"needs.enabled": "maybe"}, "expected true or false"),
        ({"population.groups.elderly.share": 0.5}, "must sum to 1"),
        ({"population.groups.elderyl.share": 0.2}, "did you mean 'elderly'"),
        ({"needs.category_mix": [1, 2]}, "needs 6 values"),
        ({"organizations.categories": ["x"] * 8}, "allowed categories"),
        ({"strategy.start_step": 10, "strategy.end_step": 5}, "strategy.end_step=5"),
        ({"network.mean_degree": 500, "population.n_residents": 100}, "must be below"),
    ],
)
def test_bad_input_raises_value_error_naming_parameter(overrides, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(")) as exc:
        GovernanceModel(rng=0, **overrides)
    assert "\n" not in str(exc.value)


def test_unknown_strategy_is_rejected_at_construction():
    with pytest.raises(ValueError, match="unknown strategy"):
        GovernanceModel(rng=0, **{"strategy.name": "ideologicl"})


def test_add_a_group():
    p = build_params(
        None,
        {
            "population.groups.students": {"share": 0.1},
            "population.groups.long_term.share": 0.25,
        },
    )
    assert list(p.population.groups)[-1] == "students"
    m = GovernanceModel(p, rng=1)
    assert "students" in m.group_names


def test_parameter_table_lists_every_parameter():
    table = parameter_table_markdown()
    for info in iter_fields():
        assert f"`{info.name}`" in table


def test_diff_round_trips():
    from sim.params import diff

    a = build_params()
    b = build_params(
        None,
        {
            "opinions.mu": 0.1,
            "population.groups.elderly.tolerance": 0.05,
            "needs.category_mix": [1, 1, 1, 1, 1, 1],
        },
    )
    d = diff(a, b)
    assert set(d) == {"opinions.mu", "population.groups.elderly.tolerance", "needs.category_mix"}
    assert build_params(a, d) == b
    c = build_params(None, {"population.groups": {"all": {"share": 1.0}}})
    assert build_params(a, diff(a, c)) == c


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"population.thresholds": [0.1, 0.2]}, "does not read them"),
        ({"population.threshold_distribution": "explicit"}, "needs exactly"),
        ({"population.threshold_distribution": "lognormal"}, "allowed: normal, uniform"),
        ({"population.threshold_distribution": "explicit", "population.n_residents": 3,
          "population.thresholds": [0.1, "x", 0.3]}, "thresholds[1]='x': expected a number"),
        ({"population.threshold_distribution": "explicit", "population.n_residents": 2,
          "population.thresholds": [0.1, 99.0]}, "thresholds[1]=99.0: allowed range"),
        ({"participation.initial_count": 3}, "not both"),
        ({"participation.initial_count": 5000, "participation.initial_share": 0}, "at most"),
        ({"metrics.polarization_alpha": 1.6}, "allowed range 0.25 … 1"),
    ],
)  # fmt: skip
def test_trait_lists_and_counts_are_validated_in_one_line(overrides, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)) as exc:
        build_params(None, overrides)
    assert "\n" not in str(exc.value)


def test_uniform_thresholds_have_the_groups_mean_and_sd():
    m = GovernanceModel(rng=1, **{"population.n_residents": 40_000,
                                  "population.threshold_distribution": "uniform"})  # fmt: skip
    th, g = m.residents.threshold, m.residents.group
    for k, grp in enumerate(m.params.population.groups.values()):
        x = th[g == k]
        half = np.sqrt(3) * grp.threshold_sd
        assert x.min() >= grp.threshold_mean - half and x.max() <= grp.threshold_mean + half
        assert abs(x.mean() - grp.threshold_mean) < 0.02
        assert abs(x.std() - grp.threshold_sd) < 0.02
        assert stats.kstest(x, "uniform", (grp.threshold_mean - half, 2 * half)).pvalue > 1e-3
