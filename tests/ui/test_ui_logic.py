"""The classroom UI's logic without a browser: controls, classroom model, live levers, views.

These import neither solara nor Mesa's visualization (the browser tests are test_app.py).
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from govsim.config import list_scenarios, scenario_params
from govsim.ui import views
from govsim.ui.controls import (
    COMMUNITY,
    CONTROLS,
    LEVER_CONTROLS,
    active_values,
    community_overrides,
    control_values,
)
from govsim.ui.model import ClassroomModel, lever_preview, set_levers
from govsim.ui.text import about_markdown, command_line, leadership_status, scenario_title
from sim import GovernanceModel
from sim.params import Params, iter_fields
from sim.strategies import LEVERS

FIELDS = {f.name: f for f in iter_fields(Params())}


# -- controls come from the schema ---------------------------------------------------------


def test_every_control_range_lies_in_the_schema_range():
    for c in CONTROLS:
        if c.key == "seed":
            continue
        name = c.field if not c.group_trait else f"population.groups.long_term.{c.field}"
        info = FIELDS[name]
        if c.kind == "choice":
            assert c.choices == tuple(info.choices)
            continue
        assert info.lo <= c.lo < c.hi <= info.hi, c
        assert c.snap(c.lo) == c.lo and c.snap(c.hi) == c.hi


def test_ranges_are_the_schema_ranges_except_the_declared_windows():
    windows = {"population__n_residents", "needs__capacity_per_1000"}
    for c in COMMUNITY + LEVER_CONTROLS:
        if c.kind == "choice" or c.key in windows:
            continue
        name = c.field if not c.group_trait else f"population.groups.long_term.{c.field}"
        assert (c.lo, c.hi) == (FIELDS[name].lo, FIELDS[name].hi), c.key


def test_defaults_are_the_schema_defaults():
    values = control_values(Params())
    assert values["population__n_residents"] == FIELDS["population.n_residents"].default
    assert values["population__party_share"] == FIELDS["population.party_share"].default
    assert values["network__homophily"] == FIELDS["network.homophily"].default
    assert values["network__kind"] == FIELDS["network.kind"].default
    for lever in LEVER_CONTROLS:
        assert lever.key in LEVERS and lever.live


def test_untouched_controls_change_nothing():
    for s in list_scenarios():
        params = scenario_params(s.name)
        assert community_overrides(params, control_values(params)) == {}, s.name


def test_group_trait_slider_shifts_every_group():
    params = scenario_params("weak_baseline")
    before = {g: v.trust_mean for g, v in params.population.groups.items()}
    shown = control_values(params)["initial_trust"]
    over = community_overrides(params, {"initial_trust": round(shown - 0.2, 2)})
    after = scenario_params("weak_baseline", over).population.groups
    for g, v in after.items():
        assert v.trust_mean == pytest.approx(max(0.0, before[g] - 0.2), abs=0.011)


def test_a_network_slider_the_chosen_kind_does_not_read_is_inactive():
    """Homophily moved on the block model, then another network picked in the app: the class
    gets a community (the slider is inactive), not a refusal of an unread setting; the same
    setting given to the model directly is still refused."""
    params = scenario_params("weak_baseline")
    assert params.network.kind == "sbm"
    moved = {"network__homophily": 0.95}
    assert active_values(params, moved) == moved
    shown = active_values(params, {**moved, "network__kind": "small_world"})
    assert shown == {"network__homophily": None, "network__kind": "small_world"}
    m = ClassroomModel("weak_baseline", **shown)
    assert m.params.network.kind == "small_world"
    with pytest.raises(ValueError, match=r"network\.homophily"):
        ClassroomModel("weak_baseline", network__homophily=0.95, network__kind="small_world")


def test_unknown_control_is_an_error():
    with pytest.raises(ValueError, match="unknown classroom parameter"):
        community_overrides(Params(), {"population__n_resident": 10})


# -- the classroom model -------------------------------------------------------------------


def test_classroom_model_is_the_scenario_with_the_controls_on_top():
    m = ClassroomModel("fragmented", seed=3, population__n_residents=300, initial_trust=None)
    base = scenario_params("fragmented")
    assert m.params.network.homophily == base.network.homophily == 0.95
    assert m.params.population.n_residents == 300
    assert m.overrides == {"population.n_residents": 300}
    assert m.scenario_info.name == "fragmented"
    assert m.manual_since is None
    same = GovernanceModel(scenario_params("fragmented", {"population.n_residents": 300}), rng=3)
    m.run(5)
    same.run(5)
    np.testing.assert_array_equal(m.residents.opinion, same.residents.opinion)


def test_levers_from_week_zero_replace_the_scenario_strategy():
    m = ClassroomModel("campaign_week50", population__n_residents=200, levers={"smart": 0.4})
    m.step()
    assert m.effort.smart == 0.4 and m.effort.political == 0.0
    assert m.manual_since == 0


def test_lever_change_acts_from_the_next_step():
    m = ClassroomModel(population__n_residents=300, seed=1)
    m.run(3)
    assert m.effort.organizational == 0.0
    set_levers(m, {"organizational": 1.0})
    assert m.manual_since == 4
    assert m.datacollector.model_vars["effort_organizational"][-1] == 0.0  # week 3 unchanged
    m.step()
    assert m.effort.organizational == 1.0
    assert m.datacollector.model_vars["effort_organizational"][-1] == 1.0
    assert m.params.strategy.organizational == 1.0  # p describes what runs


def test_lever_preview_shows_what_the_strategy_will_apply():
    for name, expected in [
        ("weak_baseline", (0, 0, 0, 0)),
        ("smart_only", (0, 0, 0, 0.5)),
        ("campaign_week50", (0.5, 0.5, 0.5, 0.5)),  # switched on later: shows the levels
        ("fixed_budget", (0.5, 0.25, 0.25, 0.25)),  # equal cost: 5 h each (sim.costs)
    ]:
        m = ClassroomModel(name, population__n_residents=100)
        assert tuple(lever_preview(m.params, m).as_array()) == pytest.approx(expected), name


def test_text_panel_names_scenario_levers_and_command_line():
    m = ClassroomModel("silos", seed=2, population__n_residents=200)
    text = about_markdown(m, m.scenario_info)
    assert "### Silos" in text and m.scenario_info.claim in text
    for zh in ("思想引领", "政治引领", "组织引领", "智慧引领"):
        assert zh in text
    assert "govsim run scenario=silos seed=2 population.n_residents=200" in command_line(m)
    m.run(2)
    set_levers(m, {"smart": 0.5})
    assert "since week 3" in leadership_status(m)
    assert "no single" in command_line(m)
    assert scenario_title("campaign_week50") == "Campaign from week 50"


# -- views -------------------------------------------------------------------------------------


def _charts(model, color_by="opinion"):
    return [views.network_spec(model, color_by)] + [fn(model) for fn in views.CHARTS]


@pytest.mark.parametrize("scenario", ["weak_baseline", "deffuant", "digital_divide"])
def test_every_view_is_valid_json_for_any_scenario(scenario):
    m = ClassroomModel(scenario, population__n_residents=400)
    for week in (0, 3):
        m.run(week)
        for mode in views.COLOR_MODES:
            for chart in _charts(m, mode):
                text = json.dumps(chart.full_spec(), allow_nan=False)  # NaN would break the page
                assert f"week {m.steps}" in chart.description
                assert '"$schema"' in text


def test_network_sample_is_bounded_and_cached_per_model():
    m = ClassroomModel(population__n_residents=2000)
    lay = views.network_layout(m)
    assert lay.nodes.size == views.NETWORK_SAMPLE
    assert views.network_layout(m) is lay
    assert np.all(np.hypot(lay.xy[:, 0], lay.xy[:, 1]) <= 1 + 1e-9)
    assert lay.ties.size > 0
    # drawing does not move the model's random streams
    twin = ClassroomModel(population__n_residents=2000)
    m.run(3)
    twin.run(3)
    np.testing.assert_array_equal(m.residents.opinion, twin.residents.opinion)


def test_snowball_sample_keeps_more_ties_than_a_uniform_one():
    m = ClassroomModel(population__n_residents=3000)
    g = m.graph
    rng = np.random.default_rng(0)
    snow = views.sample_residents(g, 300, rng)
    uni = np.sort(rng.choice(g.n, 300, replace=False))

    def ties(nodes):
        inside = np.zeros(g.n, dtype=bool)
        inside[nodes] = True
        return int(np.sum(inside[g.u] & inside[g.v]))

    assert len(set(snow.tolist())) == 300
    assert ties(snow) > 3 * ties(uni)


def test_step_and_redraw_stay_within_budget_at_1000_residents():
    """Server side of a step: the engine step plus every view of the page (< 200 ms).

    The browser's share (data update of the charts) is measured by the browser tests.
    """
    m = ClassroomModel(population__n_residents=1000, levers={lever: 0.5 for lever in LEVERS})
    m.run(100)
    _charts(m)  # layout cached, as in the app
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        m.step()
        _charts(m)
        times.append(time.perf_counter() - t0)
    assert float(np.median(times)) < 0.2, times
    assert math.isfinite(sum(times))
