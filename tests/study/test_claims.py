"""Hypothesis specification, power and verdict rules of the source-claims study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.claims import (
    Hypothesis,
    StudySpec,
    comparison_rows,
    holds_by_context,
    hypothesis_verdicts,
    outcome_verdicts,
    paired_power,
    replications_for_power,
)


def test_power_matches_gpower_reference():
    # G*Power 3 (Faul et al. 2007), t-test matched pairs, two-tailed, alpha 0.05:
    # d_z = 0.5 needs 34 pairs for power 0.80 (actual power 0.808); d_z = 0.8 needs 15.
    assert replications_for_power(0.5) == 34
    assert paired_power(34, 0.5) == pytest.approx(0.808, abs=0.002)
    assert replications_for_power(0.8) == 15


def test_power_grows_with_n_and_effect():
    assert paired_power(10, 0.5) < paired_power(30, 0.5) < paired_power(30, 0.9)
    assert paired_power(50, 0.0) == pytest.approx(0.05, abs=1e-6)


def H(name, outcomes=None):
    return Hypothesis(name, "t", "c", "§", {}, {}, outcomes or {"mean_x": "increase"})


def test_bad_direction_is_rejected():
    with pytest.raises(ValueError, match="allowed: increase, decrease"):
        H("bad", {"mean_x": "up"})


def test_verdicts():
    rows = pd.DataFrame(
        {
            "hypothesis": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "community": ["k1", "k2"] * 4,
            "outcome": ["mean_x"] * 8,
            "direction": ["increase"] * 8,
            "mean_diff": [1, 1, 1, -1, -1, -1, 1, 1],
            "p_ttest": [1e-6, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6, 0.5, 1e-6],
        }
    )
    rows = outcome_verdicts(rows, alpha=0.05)
    assert list(rows["verdict"][:4]) == ["agrees", "agrees", "agrees", "contradicts"]
    v = hypothesis_verdicts(rows, [H("a"), H("b"), H("c"), H("d")]).set_index("hypothesis")
    assert v.loc["a", "verdict"] == "supported"
    assert v.loc["b", "verdict"] == "depends on conditions"
    assert v.loc["b", "agrees_in"] == "k1" and v.loc["b", "contradicts_in"] == "k2"
    assert v.loc["c", "verdict"] == "contradicted"
    assert v.loc["d", "verdict"] == "depends on conditions"


def test_holm_correction_is_applied_across_rows():
    rows = pd.DataFrame(
        {
            "hypothesis": ["a"] * 3,
            "community": ["k1", "k2", "k3"],
            "outcome": ["mean_x"] * 3,
            "direction": ["increase"] * 3,
            "mean_diff": [1.0, 1.0, 1.0],
            "p_ttest": [0.02, 0.03, 0.04],
        }
    )
    out = outcome_verdicts(rows, alpha=0.05)
    assert (out["p_holm"] >= out["p_ttest"]).all()
    # 0.02·3 > 0.05, and no equivalence test given: not detected is not "no effect"
    assert (out["verdict"] == "inconclusive").all()


def test_verdicts_need_equivalence_before_no_effect():
    rows = pd.DataFrame(
        {
            "hypothesis": ["e", "e", "f", "f", "g", "g"],
            "community": ["k1", "k2"] * 3,
            "outcome": ["mean_x"] * 6,
            "direction": ["increase"] * 6,
            "mean_diff": [0.001, -0.001, 0.001, 0.001, 0.001, 0.5],
            "p_ttest": [0.6, 0.7, 1e-9, 0.6, 0.6, 1e-9],
            "p_tost": [1e-9, 1e-9, 1e-9, 0.3, 1e-9, 0.9],
        }
    )
    out = outcome_verdicts(rows, alpha=0.05)
    # not significant + equivalent → no effect; significant + equivalent → negligible;
    # neither → inconclusive
    assert list(out["verdict"]) == [
        "no effect",
        "no effect",
        "negligible",
        "inconclusive",
        "no effect",
        "agrees",
    ]
    v = hypothesis_verdicts(out, [H("e"), H("f"), H("g")]).set_index("hypothesis")
    assert v.loc["e", "verdict"] == "no effect"
    assert v.loc["f", "verdict"] == "inconclusive"
    assert v.loc["g", "verdict"] == "depends on conditions"
    assert v.loc["g", "no_effect_in"] == "k1"


def test_holm_families_are_corrected_apart():
    rows = pd.DataFrame(
        {
            "hypothesis": ["a", "a", "m", "m"],
            "community": ["k1", "k2", "k1", "k2"],
            "outcome": ["mean_x"] * 4,
            "direction": ["increase"] * 4,
            "mean_diff": [1.0] * 4,
            "p_ttest": [0.02, 0.9, 1e-6, 1e-6],
            "family": ["claims", "claims", "mechanism checks", "mechanism checks"],
        }
    )
    out = outcome_verdicts(rows, alpha=0.05)
    # m = 2 in each family: 0.02 → 0.04 (not 0.08 as in one family of four)
    assert out["p_holm"].iloc[0] == pytest.approx(0.04)
    assert out["verdict"].iloc[0] == "agrees"


def test_mechanism_check_must_say_why_and_kind_is_checked():
    with pytest.raises(ValueError, match="by_construction"):
        Hypothesis("m", "t", "c", "§", {}, {}, {"mean_x": "increase"}, kind="mechanism_check")
    with pytest.raises(ValueError, match="kind="):
        Hypothesis("m", "t", "c", "§", {}, {}, {"mean_x": "increase"}, kind="other")


def test_power_at_the_first_holm_step_of_the_study():
    spec = StudySpec(
        "s",
        (
            Hypothesis(
                "a", "t", "c", "§", {}, {}, {"steady_x": "increase", "steady_y": "increase"}
            ),
            Hypothesis(
                "m", "t", "c", "§", {}, {}, {"steady_x": "increase"},
                kind="mechanism_check", by_construction="rule",
            ),
        ),
        communities=("k1", "k2"),
        replications=30,
        steps=10,
        root_seed=0,
    )  # fmt: skip
    assert spec.family_size("claims") == 4 and spec.family_size("mechanism checks") == 2
    assert spec.family_size("transient") == 6
    assert spec.first_step_alpha() == pytest.approx(0.0125)
    # the case: n = 30, d_z = 1 at α = 0.05/86 was NaN
    assert 0.9 < paired_power(30, 1.0, 0.05 / 86) < 0.95
    # more pairs are needed at the Holm level than before correction
    assert replications_for_power(0.5, 0.8, spec.first_step_alpha()) > replications_for_power(0.5)


def test_sesoi_is_required_for_every_outcome_when_given():
    h = Hypothesis("a", "t", "c", "§", {}, {}, {"steady_x": "increase"})
    with pytest.raises(ValueError, match=r"sesoi\.x"):
        StudySpec("s", (h,), ("k",), 3, 10, 0, sesoi={"y": 0.1})


def _pairs(diffs_by_ctx):
    recs = []
    for ctx, diffs in diffs_by_ctx.items():
        for i, d in enumerate(diffs):
            recs.append({"community": ctx, "outcome": "steady_x", "treatment": d + i, "control": i})
    return pd.DataFrame.from_records(recs)


def test_holds_by_context_labels_each_context():
    rng = np.random.default_rng(0)
    table = _pairs(
        {
            "strong": 1.0 + 0.1 * rng.standard_normal(20),  # clear increase
            "null": 0.001 * rng.standard_normal(20),  # equivalent to 0 within ±0.1
            "reverse": -1.0 + 0.1 * rng.standard_normal(20),
            "noisy": 5.0 * rng.standard_normal(20),  # neither
        }
    )
    h = H("a", {"steady_x": "increase"})
    out = holds_by_context(h, table, sesoi={"x": 0.1}).set_index("community")
    assert out.loc["strong", "holds"] == "holds" and out.loc["strong", "verdict"] == "agrees"
    assert out.loc["null", "verdict"] == "no effect"
    assert out.loc["reverse", "verdict"] == "contradicts"
    assert out.loc["noisy", "verdict"] == "inconclusive"
    assert set(out.loc[["null", "reverse", "noisy"], "holds"]) == {"fails"}
    # a table of differences alone gives the same labels
    diff = table.assign(diff=table["treatment"] - table["control"])[
        ["community", "outcome", "diff"]
    ]
    out2 = holds_by_context(h, diff, sesoi={"x": 0.1}).set_index("community")
    assert list(out2["verdict"]) == list(out["verdict"])


def test_comparison_rows_report_power_for_one_sesoi():
    table = _pairs({"k": np.array([0.1, -0.1] * 10)})  # sd of the differences ≈ 0.1026
    rows = comparison_rows(H("a", {"steady_x": "increase"}), table, {"x": 0.1}, alpha_power=0.05)
    r = rows.iloc[0]
    assert r["power_sesoi"] == pytest.approx(paired_power(20, 0.1 / r["sd_diff"], 0.05))
    assert r["pairs_for_power"] == replications_for_power(0.1 / r["sd_diff"], 0.8, 0.05)
