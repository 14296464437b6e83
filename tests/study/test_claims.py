"""Hypothesis specification, power and verdict rules of the source-claims study."""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.claims import (
    Hypothesis,
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
    assert (out["verdict"] == "not detected").all()  # 0.02·3 > 0.05
