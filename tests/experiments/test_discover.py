"""Scenario discovery (experiments.kinds.discover): known-result tests of PRIM and CART on a
planted box, context sampling and planning, labelling and the share of contexts that hold.

The planted box: x ~ U(0, 1)^3, cases of interest iff x1 > 0.7 and x2 < 0.3 (mass 0.09). Without
noise the ideal box has coverage 1 and density 1. With labels flipped at random (inside the box
a case is of interest with probability 0.9, outside with 0.05) the true box has density 0.9 and
coverage 0.09·0.9 / (0.09·0.9 + 0.91·0.05) = 0.64.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.claims import Hypothesis
from experiments.design import ExperimentConfigError, replicate_seeds
from experiments.kinds import discover as d
from sim.params import Params, build_params

pytest.importorskip("sklearn")
pytest.importorskip("ema_workbench")

N = 1000


def _planted(noise: bool, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((N, 3)), columns=["x1", "x2", "x3"])
    inside = ((x["x1"] > 0.7) & (x["x2"] < 0.3)).to_numpy()
    if not noise:
        return x, inside
    u = rng.random(N)
    return x, np.where(inside, u < 0.9, u < 0.05)


def _in_box(x: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    keep = np.ones(len(x), bool)
    for r in limits.to_dict("records"):
        if pd.notna(r.get("lo")):
            keep &= x[r["parameter"]].to_numpy() >= r["lo"]
        if pd.notna(r.get("hi")):
            keep &= x[r["parameter"]].to_numpy() <= r["hi"]
    return keep


def test_prim_recovers_a_planted_box_without_noise():
    x, y = _planted(noise=False)
    (box,) = d.find_boxes(x, y, d.PrimSettings(boxes=2))  # nothing left for a second box
    assert box.meets_threshold
    assert box.stats["coverage"] >= 0.95
    assert box.stats["density"] >= 0.95
    lim = box.limits.set_index("parameter")
    assert set(lim.index) == {"x1", "x2"}  # x3 is irrelevant and stays unrestricted
    assert lim.at["x1", "lo"] == pytest.approx(0.7, abs=0.05) and np.isnan(lim.at["x1", "hi"])
    assert lim.at["x2", "hi"] == pytest.approx(0.3, abs=0.05) and np.isnan(lim.at["x2", "lo"])
    assert (lim[["qp_lo", "qp_hi"]].min(axis=1) < 1e-10).all()  # limits far beyond luck


def test_prim_coverage_and_density_near_their_known_values_with_noise():
    x, y = _planted(noise=True)
    (box,) = d.find_boxes(x, y, d.PrimSettings(threshold=0.8))
    # the peeling passes by the true box (coverage 0.64, density 0.9) ...
    t = box.trajectory
    assert np.hypot(t["coverage"] - 0.64, t["density"] - 0.9).min() < 0.05
    # ... and the box reported (most coverage at density ≥ 0.8) is about it, on x1 and x2 only
    assert box.stats["coverage"] == pytest.approx(0.64, abs=0.06)
    assert 0.8 <= box.stats["density"] <= 0.95
    assert set(box.limits["parameter"]) == {"x1", "x2"}
    # the reported statistics are those of the reported limits on the data
    inside = _in_box(x, box.limits)
    assert box.stats["n"] == inside.sum()
    assert box.stats["coverage"] == pytest.approx(y[inside].sum() / y.sum())
    assert box.stats["density"] == pytest.approx(y[inside].mean())
    # the trajectory trades coverage for density: it starts with the whole space
    first = box.trajectory.iloc[0]
    assert first["coverage"] == 1.0 and first["density"] == pytest.approx(y.mean())
    table = d.box_table([box], "of interest")
    assert list(table["parameter"]) == list(box.limits["parameter"])


def test_prim_without_both_kinds_of_case_finds_no_box():
    x, _ = _planted(noise=False)
    assert d.find_boxes(x, np.zeros(N, bool), d.PrimSettings()) == []


def test_cart_recovers_the_planted_box():
    x, y = _planted(noise=False)
    t = d.fit_tree(x, y, d.TreeSettings(max_depth=2, min_samples_leaf=5))
    assert t.accuracy == pytest.approx(1.0, abs=0.01)
    best = t.leaves.iloc[0]
    assert best["density"] == pytest.approx(1.0) and best["coverage"] >= 0.95
    assert "x1 >" in best["rule"] and "x2 ≤" in best["rule"] and "x3" not in best["rule"]
    thr = {p.split()[0]: float(p.split()[-1]) for p in best["rule"].split(" and ")}
    assert thr["x1"] == pytest.approx(0.7, abs=0.03) and thr["x2"] == pytest.approx(0.3, abs=0.03)
    assert "x1" in t.text and "x2" in t.text


def test_regression_tree_splits_on_the_parameter_that_moves_the_effect():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((400, 2)), columns=["a", "b"])
    effect = np.where(x["b"] > 0.5, 2.0, -1.0) + rng.normal(0, 0.1, 400)
    t = d.fit_tree(x, effect, d.TreeSettings(max_depth=1, min_samples_leaf=5))
    assert t.leaves["rule"].str.startswith("b ").all()
    assert t.leaves["mean"].max() == pytest.approx(2.0, abs=0.05)
    assert t.leaves["mean"].min() == pytest.approx(-1.0, abs=0.05)


PARAMS = {"needs.capacity_per_1000": [7.0, 28.0], "participation.w_served": [0.0, 0.6]}


def test_contexts_are_a_reproducible_latin_hypercube_within_bounds():
    a = d.sample_contexts(Params(), PARAMS, 10, root_seed=3)
    b = d.sample_contexts(Params(), PARAMS, 10, root_seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(d.sample_contexts(Params(), PARAMS, 10, root_seed=4))
    for name, (lo, hi) in PARAMS.items():
        strata = np.floor((a[name] - lo) / (hi - lo) * 10).astype(int)
        assert sorted(strata) == list(range(10))  # one context per tenth of each range


H = Hypothesis(
    name="H_test",
    title="t",
    claim="c",
    section="s",
    treatment={"strategy.name": "political", "strategy.political": 1.0},
    control={"strategy.name": "none"},
    outcomes={"steady_participation_rate": "increase"},
)


def test_plan_runs_both_arms_of_every_context_on_the_same_seeds():
    ctx = d.sample_contexts(Params(), PARAMS, 3, root_seed=0)
    seeds = replicate_seeds(0, 4)
    plan = d.plan_contexts(Params(), ctx, H, seeds, steps=5)
    assert len(plan) == 3 * 2 * 4
    for i in range(3):
        for arm in d.ARMS:
            runs = [r for r in plan if r.tags["context"] == i and r.tags["arm"] == arm]
            assert [r.seed for r in runs] == seeds
            for r in runs:
                for k, v in ctx.iloc[i].items():
                    assert r.overrides[k] == pytest.approx(v)
    treat = {r.run_id for r in plan if r.tags["arm"] == "treatment"}
    assert treat.isdisjoint({r.run_id for r in plan if r.tags["arm"] == "control"})
    clash = pd.DataFrame({"strategy.political": [0.1, 0.2]})
    with pytest.raises(ExperimentConfigError, match="sets it too"):
        d.plan_contexts(Params(), clash, H, seeds, steps=5)


def _fake_runs(effects: list[float], noise: float, n_rep: int = 6, seed: int = 0):
    """Outcomes with a known paired effect per context (treatment = control + effect + e)."""
    ctx = pd.DataFrame({"opinions.mu": np.linspace(0.1, 0.4, len(effects))})
    plan = d.plan_contexts(Params(), ctx, H, replicate_seeds(0, n_rep), 5)
    rng = np.random.default_rng(seed)
    recs = []
    for r in plan:
        i, rep = r.tags["context"], r.tags["replicate"]
        base = 0.3 + 0.01 * rep
        val = base + (effects[i] + noise * rng.normal() if r.tags["arm"] == "treatment" else 0)
        recs.append({"run_id": r.run_id, "steady_participation_rate": val})
    return ctx, plan, pd.DataFrame(recs)


def test_labels_follow_the_sign_and_size_of_the_paired_effect():
    ctx, plan, runs = _fake_runs([0.2, 0.01, -0.1], noise=1e-4)
    lab = d.label_contexts(runs, plan, ctx, "steady_participation_rate", "increase", 0.05)
    assert lab["effect"].to_numpy() == pytest.approx([0.2, 0.01, -0.1], abs=1e-3)
    assert list(lab["holds"]) == [True, False, False]
    assert (lab["n"] == 6).all()
    # a claim of a decrease reads the same differences the other way round
    dec = d.label_contexts(runs, plan, ctx, "steady_participation_rate", "decrease", 0.05)
    assert dec["effect"].to_numpy() == pytest.approx([-0.2, -0.01, 0.1], abs=1e-3)
    assert list(dec["holds"]) == [False, False, True]


def test_lower_rule_needs_the_whole_interval_beyond_the_threshold():
    ctx, plan, runs = _fake_runs([0.08, 0.3], noise=0.1, n_rep=6, seed=2)
    mean = d.label_contexts(runs, plan, ctx, "steady_participation_rate", "increase", 0.0)
    low = d.label_contexts(
        runs, plan, ctx, "steady_participation_rate", "increase", 0.0, rule="lower"
    )
    assert (low["effect_lo"] < low["effect"]).all()
    assert list(low["holds"]) == list(low["effect_lo"] > 0)
    assert list(mean["holds"]) == list(mean["effect"] > 0)
    assert low["holds"].sum() <= mean["holds"].sum()


def test_a_context_without_two_pairs_is_left_unlabelled():
    ctx, plan, runs = _fake_runs([0.2, 0.2], noise=1e-3, n_rep=3)
    drop = [r.run_id for r in plan if r.tags["context"] == 1 and r.tags["replicate"] < 2]
    lab = d.label_contexts(
        runs[~runs["run_id"].isin(drop)], plan, ctx, "steady_participation_rate", "increase", 0.0
    )
    assert lab.loc[0, "holds"] and pd.isna(lab.loc[1, "holds"]) and lab.loc[1, "n"] == 1
    share = d.holds_share(lab)
    assert share.loc[0, "contexts"] == 1 and share.loc[0, "holds"] == 1


def test_holds_share_is_the_clopper_pearson_interval():
    lab = pd.DataFrame(
        {
            "holds": pd.array([True, True, True, False], dtype="boolean"),
            "effect": [1.0, 2.0, 3.0, -1.0],
        }
    )
    row = d.holds_share(lab, hypothesis="H", level=0.95).iloc[0]
    assert row["share"] == 0.75 and row["contexts"] == 4 and row["holds"] == 3
    # Clopper & Pearson (1934): Beta(α/2; k, n−k+1) … Beta(1−α/2; k+1, n−k)
    assert row["share_lo"] == pytest.approx(stats.beta.ppf(0.025, 3, 2))
    assert row["share_hi"] == pytest.approx(stats.beta.ppf(0.975, 4, 1))
    assert row["mean_effect"] == pytest.approx(1.25)


def test_cases_of_a_stored_sweep_are_its_points_against_a_threshold():
    from experiments.execute import make_runs

    pts = [{"opinions.mu": mu, "strategy.smart": sm} for mu in (0.1, 0.3) for sm in (0.0, 1.0)]
    from experiments.design import validate_points

    base = build_params(Params(), {"strategy.name": "smart"})

    plan = make_runs(base, pts, validate_points(base, pts, "p"), replicate_seeds(0, 2), 5)
    runs = pd.DataFrame(
        {
            "run_id": [r.run_id for r in plan],
            "final_mean_trust": [
                r.overrides["strategy.smart"] + 0.1 * r.tags["replicate"] for r in plan
            ],
        }
    )
    cases = d.cases_from_runs(runs, plan, "final_mean_trust", 0.5)
    assert list(cases.columns[:3]) == ["point", "opinions.mu", "strategy.smart"]
    assert list(cases["mean"]) == pytest.approx([0.05, 1.05, 0.05, 1.05])
    assert list(cases["interest"]) == [False, True, False, True]
    below = d.cases_from_runs(runs, plan, "final_mean_trust", 0.5, above=False)
    assert list(below["interest"]) == [True, False, True, False]
    with pytest.raises(ExperimentConfigError, match="not varied"):
        d.cases_from_runs(runs, plan, "final_mean_trust", 0.5, params=["opinions.noise"])


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"contexts": 10, "bogus": 1}, r"experiment\.discover\.bogus: unknown setting"),
        (
            {"comparison": {"treatment": {}, "control": {}, "outcomes": {"x": "up"}}},
            r"experiment\.discover\.claims: .*unknown outcome",
        ),
        ({"hypothesis": "H9"}, r"experiment\.discover\.claims"),
        ({"prim": {"threshold": 1.5}}, r"experiment\.discover\.prim\.threshold=1\.5"),
        ({"tree": {"target": "x"}}, r"experiment\.discover\.tree\.target='x'"),
        ({"rule": "max"}, r"experiment\.discover\.rule='max'"),
    ],
)
def test_bad_settings_are_one_line_naming_the_setting(raw, match):
    with pytest.raises(ExperimentConfigError, match=match) as info:
        d.discover_settings(raw, Params())
    assert "\n" not in str(info.value)


COMP = {
    "treatment": {"strategy.name": "smart", "strategy.smart": 1.0},
    "control": {"strategy.name": "none"},
    "outcomes": {"steady_mean_wait": "decrease", "steady_participation_rate": "increase"},
}


def test_settings_of_an_inline_comparison():
    s = d.discover_settings(
        {
            "comparison": COMP,
            "contexts": 8,
            "params": {"opinions.mu": [0.1, 0.4]},
            "outcome": "steady_participation_rate",
            "threshold": 0.01,
        },
        Params(),
    )
    assert s.hypothesis.treatment == COMP["treatment"] and s.direction == "increase"
    assert s.params == {"opinions.mu": (0.1, 0.4)} and s.contexts == 8 and s.threshold == 0.01
    with pytest.raises(ExperimentConfigError, match="not an outcome of comparison"):
        d.discover_settings(
            {
                "comparison": COMP,
                "contexts": 8,
                "outcome": "final_polarization",
                "params": {"opinions.mu": [0.1, 0.4]},
            },
            Params(),
        )
    with pytest.raises(ExperimentConfigError, match="contexts are sampled over numeric"):
        d.discover_settings(
            {"comparison": COMP, "contexts": 8, "params": {"network.kind": [0, 1]}}, Params()
        )
    with pytest.raises(ExperimentConfigError, match=r"discover\.above: only read with"):
        d.discover_settings(
            {
                "comparison": COMP,
                "contexts": 8,
                "above": False,
                "params": {"opinions.mu": [0.1, 0.4]},
            },
            Params(),
        )
    src = d.discover_settings(
        {"source": "results/x", "outcome": "final_mean_trust", "threshold": 0.5, "above": False},
        Params(),
    )
    assert src.hypothesis is None and src.direction == "below" and src.params == {}
    with pytest.raises(ExperimentConfigError, match=r"discover\.contexts: not read with"):
        d.discover_settings(
            {"source": "r", "outcome": "final_mean_trust", "threshold": 0, "contexts": 5}, Params()
        )


def test_discovery_body_writes_boxes_trajectories_and_trees(tmp_path):
    from experiments.execute import ExperimentPaths

    x, y = _planted(noise=False)
    x, y = x.iloc[:300].reset_index(drop=True), y[:300]
    effect = pd.Series(np.where(y, 1.0, 0.0) + 0.01 * x["x3"].to_numpy())
    paths = ExperimentPaths(tmp_path)
    s = d.DiscoverSettings(
        params={}, contexts=300, hypothesis=None, outcome="o", direction="increase", threshold=0.5
    )
    lines = d.discovery_body(paths, x, pd.Series(y, dtype="boolean"), s, names=("fails", "holds"))
    text = "\n".join(lines)
    assert "## Where the cases “holds” lie (PRIM)" in text and "**box 1**" in text
    boxes = pd.read_csv(tmp_path / "tables" / "boxes.csv")
    held = boxes[boxes["cases"] == "holds"]
    assert set(held["parameter"]) == {"x1", "x2"} and (held["density"] >= 0.8).all()
    assert set(pd.read_csv(tmp_path / "tables" / "trajectory.csv")["cases"]) == {"fails", "holds"}
    for f in ("trajectory_holds.png", "trajectory_fails.png", "cases_holds.png", "tree.png"):
        assert (tmp_path / "figures" / f).stat().st_size > 0
    assert "x1" in (tmp_path / "tables" / "tree.txt").read_text(encoding="utf-8")
    # a regression tree of the effect instead: leaves carry the mean effect
    s2 = d.DiscoverSettings(
        params={},
        contexts=300,
        hypothesis=None,
        outcome="o",
        direction="increase",
        threshold=0.5,
        tree=d.TreeSettings(max_depth=2, min_samples_leaf=5, target="effect"),
    )
    d.discovery_body(paths, x, pd.Series(y, dtype="boolean"), s2, names=("f", "h"), effect=effect)
    leaves = pd.read_csv(tmp_path / "tables" / "tree_leaves.csv")
    assert "mean" in leaves.columns and leaves["mean"].max() == pytest.approx(1.0, abs=0.02)
