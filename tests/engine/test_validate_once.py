"""Validate once, at the boundary; a factory picks the engine (issue 13).

``build_params`` checks each value once on its way in (``sim.schema.override`` coerces and
range-checks what it sets) and the rules across parameters once, then marks the result as
validated; the model and ``run_one`` use a validated ``Params`` as it is. ``make_model`` is
the one way to build a model on the engine ``engine.kind`` selects.
"""

from __future__ import annotations

import dataclasses
import pickle

import pytest

import sim.params as sp
from sim import GovernanceModel, Params, build_params, make_model, preset, run_one
from sim.engines import engine_class
from sim.params import GroupParams, OpinionParams, OrganizationParams, validate
from sim.presets import PRESETS
from sim.reference import ReferenceModel
from sim.schema import is_validated

SMALL = {"population.n_residents": 60}


@pytest.fixture
def calls(monkeypatch):
    """Count the whole-tree checks: ``check_rules`` (the rules across parameters) and
    ``check_ranges`` (every leaf's range) as ``build_params`` calls them."""
    counts = {"rules": 0, "ranges": 0}
    rules, ranges = sp.check_rules, sp.check_ranges

    def counted_rules(params):
        counts["rules"] += 1
        return rules(params)

    def counted_ranges(obj, prefix=""):
        counts["ranges"] += 1
        return ranges(obj, prefix)

    monkeypatch.setattr(sp, "check_rules", counted_rules)
    monkeypatch.setattr(sp, "check_ranges", counted_ranges)
    return counts


@pytest.mark.parametrize("kind", ["array", "reference"])
def test_run_one_validates_its_parameters_once(calls, kind) -> None:
    run_one(None, seed=1, steps=1, **SMALL, **{"engine.kind": kind})
    # once in run_one; the model (and the engine's factory) take the validated Params as is
    assert calls == {"rules": 1, "ranges": 0}


def test_a_validated_params_is_not_checked_again(calls) -> None:
    p = build_params(None, SMALL)
    assert calls == {"rules": 1, "ranges": 0}  # the override was range-checked as it was set
    assert is_validated(p)
    run_one(p, seed=1, steps=1)
    GovernanceModel(p, rng=1)
    make_model(p, rng=2)
    assert build_params(p) is p and build_params(p, {}, unread="reset") is p
    assert calls == {"rules": 1, "ranges": 0}
    # the experiment workers' path: one build per point, then run_one
    point = build_params(p, {"opinions.mu": 0.2}, unread="reset")
    run_one(point, seed=3, steps=1)
    assert calls == {"rules": 2, "ranges": 0}


def test_a_params_built_directly_is_checked_once_and_fully(calls) -> None:
    direct = Params(population=dataclasses.replace(Params().population, n_residents=60))
    assert not is_validated(direct)
    run_one(direct, seed=1, steps=1)
    assert calls == {"rules": 1, "ranges": 1}
    bad = Params(opinions=OpinionParams(mu=5.0))
    with pytest.raises(ValueError, match=r"parameter opinions\.mu=5\.0: allowed range 0 … 0\.5"):
        GovernanceModel(bad)
    counts = list(OrganizationParams().counts)
    counts[7] = -1
    bad_list = Params(organizations=OrganizationParams(counts=tuple(counts)))
    with pytest.raises(ValueError, match=r"organizations\.counts\[7\]=-1: allowed range 0 … 1000"):
        run_one(bad_list, steps=1)
    with pytest.raises(ValueError, match=r"network\.kind='ring': allowed: small_world"):
        validate(Params(network=dataclasses.replace(Params().network, kind="ring")))


def test_a_record_given_as_it_is_is_range_checked() -> None:
    with pytest.raises(ValueError, match=r"population\.groups\.elderly\.share=5\.0: allowed"):
        build_params(None, {"population.groups.elderly": GroupParams(share=5.0)})
    with pytest.raises(ValueError, match=r"opinions\.mu=0\.9: allowed range"):
        build_params(None, {"opinions": OpinionParams(mu=0.9)})


def test_the_mark_is_not_a_field_and_not_carried_by_copies() -> None:
    p = build_params(None, SMALL)
    q = dataclasses.replace(p, opinions=OpinionParams(mu=0.9))  # out of range, unchecked
    assert not is_validated(q)
    with pytest.raises(ValueError, match=r"opinions\.mu=0\.9"):
        run_one(q, steps=1)
    back = pickle.loads(pickle.dumps(p))
    assert back == p and not is_validated(back)  # checked again by the process that uses it
    assert sp.to_dict(back) == sp.to_dict(p) and validate(back) is back and is_validated(back)
    # a preset is built in one call (the preset's values and the overrides, one validation)
    assert preset("deffuant", **SMALL) == build_params(
        build_params(None, PRESETS["deffuant"]), SMALL, unread="reset"
    )


def test_the_factory_picks_the_engine() -> None:
    assert type(make_model(rng=1, **SMALL)) is GovernanceModel
    ref = make_model(rng=1, **SMALL, **{"engine.kind": "reference"})
    assert type(ref) is ReferenceModel and ref.params.engine.kind == "reference"
    assert engine_class("array") is GovernanceModel
    assert engine_class("reference") is ReferenceModel

    class Mine(GovernanceModel):
        def extra(self) -> str:
            return "mine"

    both = engine_class("reference", Mine)
    assert issubclass(both, Mine) and issubclass(both, ReferenceModel)
    assert engine_class("reference", Mine) is both  # made once
    m = make_model({"engine": {"kind": "reference"}, **{"population": {"n_residents": 40}}},
                   cls=Mine)  # fmt: skip
    assert type(m) is both and m.extra() == "mine"
    with pytest.raises(ValueError, match=r"engine\.kind='gpu': allowed: array, reference"):
        engine_class("gpu")
    with pytest.raises(ValueError, match=r"engine\.kind='reference'.*make_model"):
        GovernanceModel(rng=1, **SMALL, **{"engine.kind": "reference"})
    seen = []
    run_one(None, seed=1, steps=1, on_step=lambda mdl: seen.append(type(mdl)),
            **SMALL, **{"engine.kind": "reference"})  # fmt: skip
    assert seen == [ReferenceModel]
