"""Every schema parameter changes some output (Mesa's Epstein example shipped a slider that did
nothing; this walks the whole schema so that cannot happen here)."""

from __future__ import annotations

import numpy as np
import pytest

from sim import run_one
from sim.params import CATEGORIES, iter_fields

from .conftest import ALL_ON, fit_all_on, tables_equal

STEPS = 30

#: Extra context some parameters need before they can act (the others use ALL_ON).
CONTEXT = {
    "network.rewire": {"network.kind": "small_world"},
    "network.powerlaw_exponent": {"network.kind": "scale_free"},
    "strategy.budget": {"strategy.name": "budgeted"},
    # the cost model is read by the strategies that spend a budget
    **{
        f"costs.{lever}{part}": {"strategy.name": "budgeted"}
        for lever in ("ideological", "political", "organizational", "smart")
        for part in ("", "_exponent")
    },
    "strategy.adapt_every": {"strategy.name": "adaptive", "strategy.adapt_step": 0.3},
    "strategy.adapt_step": {"strategy.name": "adaptive", "strategy.adapt_every": 3},
    "strategy.end_step": {"strategy.start_step": 0},
    "levers.ideological.backfire_below": {"population.groups.renters.trust_mean": 0.1},
    "participation.sticky": {},
    # resources bind only when capacity is ample
    "needs.resources_per_1000": {"needs.capacity_per_1000": 60.0},
    "needs.resource_buffer_weeks": {"needs.capacity_per_1000": 60.0},
    "levers.political.resource_gain": {"needs.capacity_per_1000": 60.0},
    "levers.organizational.pooling": {"needs.capacity_per_1000": 60.0},
    "organizations.base_links": {"needs.capacity_per_1000": 60.0},
    "participation.initial_share": {"participation.sticky": True},
    "participation.initial_count": {"participation.initial_share": 0.0},
    # clusters are counted only once settled: widen the allowed span so that they are
    "metrics.cluster_min_share": {"metrics.cluster_max_span": 1.0},
    "opinions.cluster_gap": {"metrics.cluster_max_span": 1.0},
    "population.thresholds": {
        "population.threshold_distribution": "explicit",
        "population.thresholds": (0.3,) * 300,
    },
    # escalations need disputes that organizations do not mediate
    "conflicts.escalate_after": {"conflicts.request_share": 0.0},
    "conflicts.trust_loss": {"conflicts.request_share": 0.0},
    "conflicts.repulsion": {"conflicts.request_share": 0.0},
    "conflicts.feud_weeks": {"conflicts.request_share": 0.0},
    # act only under their rule
    "opinions.rejection": {"opinions.rule": "repulsive"},
    "opinions.bias": {"opinions.rule": "biased_assimilation"},
}

#: Parameters that by design do not change the model's outcomes, with the test proving it.
EXEMPT = {
    "engine.agent_views_max": "test_engine_settings_do_not_change_outcomes",
    "strategy.options": "test_strategies.py::test_user_strategy_from_file_reads_options",
}


def perturb(name: str, value, info):
    """A different, valid value for a parameter."""
    if info.choices:
        return next(c for c in info.choices if c != value)
    if isinstance(value, bool):
        return not value
    if name == "strategy.name":
        return "budgeted"
    if name == "turnover.tie_homophily":
        return 0.0  # every negative value means "the network's homophily"
    if name == "organizations.categories":
        return ("repairs+" + value[0], *value[1:])
    if isinstance(value, tuple):
        return (
            (value[0] * 2 + 1, *value[1:])
            if name != "organizations.counts"
            else (value[0], value[1], value[2] + 1, *value[3:])
        )
    if isinstance(value, int):
        if name == "strategy.end_step":
            return 10
        return value + 2 if value + 2 <= info.hi else value - 1
    if isinstance(value, float):
        lo, hi = info.lo, info.hi
        span = min(hi, max(2 * abs(value), 1.0)) - lo
        new = value + 0.35 * span if value + 0.35 * span <= hi else value - 0.35 * span
        return float(np.clip(new, lo, hi))
    raise AssertionError(f"no perturbation for {name}={value!r}")


def _walk() -> list:
    # A list, not a generator: pytest 9.2 deprecates non-Collection iterables in parametrize.
    return [pytest.param(info, id=info.name) for info in iter_fields() if info.name not in EXEMPT]


@pytest.fixture(scope="module")
def baselines():
    cache = {}

    def get(ctx_key):
        if ctx_key not in cache:
            ctx = dict(ctx_key)
            cache[ctx_key] = run_one(None, seed=3, steps=STEPS, **fit_all_on({**ALL_ON, **ctx}))
        return cache[ctx_key]

    return get


@pytest.mark.parametrize("info", _walk())
def test_every_parameter_changes_some_output(info, baselines):
    ctx = CONTEXT.get(info.name, {})
    if info.name.endswith(".share") and info.name.startswith("population.groups."):
        # keep shares summing to 1: move mass to/from the first group
        group = info.name.split(".")[2]
        first = "long_term" if group != "long_term" else "newcomers"
        new = info.default + 0.05
        over = {info.name: new, f"population.groups.{first}.share": None}
        from sim import Params

        g = Params().population.groups
        over[f"population.groups.{first}.share"] = g[first].share - 0.05
    else:
        value = info.default
        from sim.params import get

        base_value = get(
            run_one.__globals__["build_params"](None, fit_all_on({**ALL_ON, **ctx})), info.name
        )
        value = base_value
        over = {info.name: perturb(info.name, value, info)}
    base = baselines(tuple(sorted(ctx.items())))
    changed = run_one(None, seed=3, steps=STEPS, **fit_all_on({**ALL_ON, **ctx, **over}))
    assert not tables_equal(base, changed), f"{info.name}: {over} changed no output"


def test_engine_settings_do_not_change_outcomes():
    a = run_one(None, seed=2, steps=10, **ALL_ON)
    b = run_one(None, seed=2, steps=10, **{**ALL_ON, "engine.agent_views_max": 0})
    assert tables_equal(a, b)


def test_categories_constant_matches_schema():
    from sim import Params

    assert len(Params().needs.category_mix) == len(CATEGORIES)


#: Categorical parameters whose every level must act (not only the first alternative).
CATEGORICAL = ("opinions.rule", "opinions.pairing", "network.kind", "engine.kind")


def _levels():
    for info in iter_fields():
        if info.name in CATEGORICAL:
            for level in info.choices:
                if level != info.default:
                    yield pytest.param(info.name, level, id=f"{info.name}={level}")


@pytest.mark.parametrize(("name", "level"), list(_levels()))
def test_every_level_of_a_categorical_parameter_changes_some_output(name, level, baselines):
    base = baselines(())
    changed = run_one(None, seed=3, steps=STEPS, **{**ALL_ON, name: level})
    assert not tables_equal(base, changed), f"{name}={level} changed no output"
