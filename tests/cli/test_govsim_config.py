"""Hydra configuration: schema mirror, scenarios, presets, overrides and error messages."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest

from govsim import config
from govsim.config import (
    ConfigError,
    get_scenario,
    list_options,
    list_scenarios,
    override_string,
    resolve,
    scenario_params,
)
from govsim.runs import simulate
from sim.params import Params, build_params, iter_fields
from sim.presets import PRESETS, preset

CONFIGS = Path(config.__file__).resolve().parent.parent / "configs"
SCENARIO_NAMES = sorted({p.stem for p in (CONFIGS / "scenario").glob("*.yaml")} | set(PRESETS))


# -- one schema ---------------------------------------------------------------------------------


def _compare_mirror(engine_cls: type, mirror_cls: type, path: str = "") -> None:
    engine_hints = typing.get_type_hints(engine_cls)
    mirror_fields = {f.name: f for f in dataclasses.fields(mirror_cls)}
    engine_fields = dataclasses.fields(engine_cls)
    assert list(mirror_fields) == [f.name for f in engine_fields], path
    assert not mirror_cls.__dataclass_params__.frozen
    engine_default = engine_cls()
    mirror_default = mirror_cls()
    for f in engine_fields:
        tp = engine_hints[f.name]
        m = mirror_fields[f.name]
        assert dict(m.metadata) == dict(f.metadata), f"{path}{f.name}"
        if dataclasses.is_dataclass(tp):
            _compare_mirror(tp, m.type, f"{path}{f.name}.")
        elif f.name == "groups":
            assert getattr(mirror_default, f.name) == {}  # supplied by population/default
        else:
            assert m.type == tp, f"{path}{f.name}"
            assert getattr(mirror_default, f.name) == getattr(engine_default, f.name)


def test_structured_schema_is_generated_from_the_engine_schema():
    _compare_mirror(Params, config.schema_dataclass(Params))
    root = {f.name for f in dataclasses.fields(config.root_dataclass())}
    assert {f.name for f in dataclasses.fields(Params)} <= root


def test_default_config_is_the_engine_default():
    r = resolve([])
    assert r.scenario == config.DEFAULT_SCENARIO
    assert r.params == Params()
    assert (r.steps, r.seed, r.experiment) == (100, 0, config.DEFAULT_SCENARIO)


def test_every_schema_parameter_is_overridable_by_its_dotted_name():
    fields = list(iter_fields(Params()))
    assert len(fields) > 100
    # Setting every leaf to its default through the command line reaches every key ...
    same = resolve([override_string(i.name, i.default) for i in fields])
    assert same.params == Params()
    # ... and a new value of every scalar with a range lands where it should.
    changes = {}
    for i in fields:
        if i.type not in ("int", "float") or i.lo is None or i.hi is None:
            continue
        # initial_count excludes initial_share (one or the other; tests/engine/test_params.py)
        fixed = ("strategy.end_step", "network.mean_degree", "population.n_residents",
                 "participation.initial_count")  # fmt: skip
        if i.name.endswith(".share") or i.name in fixed:
            continue
        hi = min(i.hi, i.lo + 10)
        value = i.lo + (hi - i.lo) * 0.5
        value = int(value) if i.type == "int" else value
        if value == i.default:
            value = type(value)(i.lo)
        changes[i.name] = value
    assert len(changes) > 70
    changed = resolve([override_string(k, v) for k, v in changes.items()])
    assert changed.params == build_params(None, changes)
    flat = changed.params.flat()
    for key, value in changes.items():
        assert flat[key] == value, key


def test_group_traits_lists_and_options_from_the_command_line():
    r = resolve(
        [
            "population.groups.elderly.share=0.3",
            "population.groups.long_term.share=0.25",
            "needs.category_mix=[1,1,1,1,1,1]",
            "+strategy.options.level=0.7",
            "network=small_world",
            "strategy=integrated",
        ]
    )
    assert r.params.population.groups["elderly"].share == 0.3
    assert r.params.needs.category_mix == (1.0,) * 6
    assert r.params.strategy.options == {"level": 0.7}
    assert r.params.network.kind == "small_world"
    assert r.params.strategy.name == "integrated"


def test_a_group_can_be_added_and_removed():
    r = resolve(
        [
            "~population.groups.young_families",
            "+population.groups.students={share:0.1,tolerance:0.4,digital_literacy:0.9}",
        ]
    )
    groups = r.params.population.groups
    assert list(groups) == ["long_term", "newcomers", "renters", "elderly", "students"]
    assert groups["students"].tolerance == 0.4
    assert groups["students"].cost == Params().population.groups["long_term"].__class__().cost


# -- scenarios ----------------------------------------------------------------------------------


def test_at_least_ten_scenarios_with_description_and_claim():
    scenarios = list_scenarios()
    assert scenarios[0].name == config.DEFAULT_SCENARIO
    assert sorted(s.name for s in scenarios) == SCENARIO_NAMES
    own = [s for s in scenarios if s.name not in PRESETS]
    assert len(own) >= 10
    for s in scenarios:
        assert len(s.description) > 40, s.name
        assert len(s.claim) > 40, s.name
        assert s.steps > 0
    for name in (
        "weak_baseline",
        "fragmented",
        "credibility_crisis",
        "ideological_only",
        "political_only",
        "organizational_only",
        "smart_only",
        "integrated",
        "silos",
        "co_building",
        "digital_divide",
        "counter_currents",
        "fixed_budget",
        "campaign_week50",
        "adaptive",
    ):
        assert name in SCENARIO_NAMES


@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_every_scenario_composes_and_runs(name):
    r = resolve([f"scenario={name}", "population.n_residents=120", "steps=3"])
    assert r.scenario == name
    assert r.params.population.n_residents == 120
    result = simulate(r.params, r.seed, r.steps)
    assert len(result.model) == 4
    # Its overrides describe it exactly, relative to the engine defaults.
    s = get_scenario(name)
    assert build_params(None, s.overrides) == scenario_params(name)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_engine_presets_are_scenarios_and_agree(name):
    assert scenario_params(name) == preset(name)
    s = get_scenario(name)
    assert s.overrides == PRESETS[name]
    assert s.source == f"sim.presets.PRESETS[{name!r}]"
    # User overrides apply on top, as for every scenario.
    p = scenario_params(name, {"population.groups.all.tolerance": 0.3})
    assert p == preset(name, **{"population.groups.all.tolerance": 0.3})


def test_scenario_params_takes_a_mapping_or_command_line_strings():
    a = scenario_params("fragmented", {"opinions.mu": 0.2})
    b = scenario_params("fragmented", ["opinions.mu=0.2"])
    assert a == b
    assert a.opinions.mu == 0.2 and a.network.homophily == 0.95
    c = scenario_params("credibility_crisis", ["strategy=political"])
    assert c.strategy.name == "political"
    assert c.population.groups["elderly"].trust_mean == 0.2
    with pytest.raises(ConfigError, match=r"did you mean 'fragmented'"):
        scenario_params("fragmentd")
    with pytest.raises(ConfigError, match=r"opinions.mu=0.9"):
        scenario_params("fragmented", {"opinions.mu": 0.9})


def test_a_scenario_recommends_its_steps_and_the_command_line_wins():
    assert resolve(["scenario=campaign_week50"]).steps == 150
    assert resolve(["scenario=campaign_week50", "steps=60"]).steps == 60


@pytest.mark.parametrize(
    "group", ["scenario", "strategy", "network", "population", "experiment", "hydra/launcher"]
)
def test_every_option_composes_and_is_described(group):
    options = list_options(group)
    assert options
    for o in options:
        if group in ("scenario", "strategy", "network", "population", "experiment"):
            assert o.description, (group, o.name)
        if group == "scenario":
            continue  # composed and run one by one above
        extra = ["+population.groups.all={share:1.0}"] if o.name == "empty" else []
        r = resolve([f"{group}={o.name}", *extra])
        assert r.choices[group] == o.name


# -- errors: one line, the key, the value, what is allowed ------------------------------------


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("scenario=fragmentd", ["scenario='fragmentd'", "did you mean 'fragmented'", "allowed:"]),
        ("strategy=integrate", ["strategy='integrate'", "did you mean 'integrated'"]),
        ("opinions.muu=0.2", ["opinions.muu", "did you mean 'mu'", "allowed"]),
        ("opinions.mu=abc", ["opinions.mu='abc'", "expected a number"]),
        ("opinions.mu=0.9", ["opinions.mu=0.9", "allowed range 0 … 0.5"]),
        ("population.groups.elderl.share=0.2", ["elderl", "did you mean 'elderly'"]),
        ("population.groups.elderly.shar=0.2", ["shar", "did you mean 'share'"]),
        ("population.groups.elderly.share=0.3", ["share", "must sum to 1"]),
        ("network.kind=smallworld", ["network.kind='smallworld'", "small_world"]),
        ("strategy.name=integratd", ["integratd", "did you mean 'integrated'"]),
        ("secnario=fragmented", ["secnario", "did you mean 'scenario'"]),
        ("steps=ten", ["steps='ten'", "integer"]),
        ("seed=-1", ["seed=-1", "integer ≥ 0"]),
        ("run_name=../x", ["run_name='../x'", "folder name"]),
        ("opinions.mu=0.1,0.2", ["opinions.mu=0.1,0.2", "one value"]),
        ("opinions", ["'opinions'", "key=value"]),
    ],
)
def test_bad_input_is_one_line_naming_key_value_and_allowed(override, expected):
    with pytest.raises(ConfigError) as info:
        resolve([override])
    message = str(info.value)
    assert "\n" not in message
    for part in expected:
        assert part in message, message


def test_own_scenarios_from_govsim_config_path(tmp_path, monkeypatch):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "my_case.yaml").write_text(
        "# @package _global_\n"
        "defaults:\n  - override /strategy: political\n"
        "scenario:\n  description: My own community.\n  claim: My own question.\n"
        "opinions:\n  mu: 0.15\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GOVSIM_CONFIG_PATH", str(tmp_path))
    config.clear_caches()
    try:
        s = get_scenario("my_case")
        assert s.description == "My own community." and s.source.endswith("my_case.yaml")
        assert s.overrides == {
            "opinions.mu": 0.15,
            "strategy.name": "political",
            "strategy.political": 0.5,
        }
        assert resolve(["scenario=my_case"]).params.opinions.mu == 0.15
    finally:
        monkeypatch.delenv("GOVSIM_CONFIG_PATH")
        config.clear_caches()
    with pytest.raises(ConfigError, match="my_case"):
        resolve(["scenario=my_case"])


def test_docs_list_every_scenario():
    text = (CONFIGS.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in SCENARIO_NAMES:
        assert f"`{name}`" in text, name


def test_errors_in_own_config_files_name_the_file(tmp_path, monkeypatch):
    (tmp_path / "scenario").mkdir()
    head = "# @package _global_\nscenario:\n  description: x\n  claim: y\n"
    (tmp_path / "scenario" / "typo.yaml").write_text(head + "opinions:\n  muu: 0.2\n")
    (tmp_path / "scenario" / "range.yaml").write_text(head + "opinions:\n  mu: 0.9\n")
    monkeypatch.setenv("GOVSIM_CONFIG_PATH", str(tmp_path))
    config.clear_caches()
    try:
        with pytest.raises(ConfigError) as info:
            resolve(["scenario=typo"])
        text = str(info.value)
        assert "scenario/typo.yaml" in text and "did you mean 'mu'" in text and "\n" not in text
        with pytest.raises(ConfigError, match=r"0\.9.*set by the config files: scenario=range"):
            resolve(["scenario=range"])
        assert resolve(["scenario=range", "opinions.mu=0.2"]).params.opinions.mu == 0.2
    finally:
        monkeypatch.delenv("GOVSIM_CONFIG_PATH")
        config.clear_caches()
