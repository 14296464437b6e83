"""The study report's "where the claims fail" table, from discovery folders (no runs)."""

from __future__ import annotations

import math

import pandas as pd

from experiments.report import fmt_limits
from experiments.study import _failure_boxes


def test_fmt_limits_writes_each_kind_of_limit():
    limits = pd.DataFrame(
        [
            {"parameter": "a", "lo": 0.1, "hi": 0.5},
            {"parameter": "b", "lo": 2.0, "hi": math.nan},
            {"parameter": "c", "lo": math.nan, "hi": 7.25},
            {"parameter": "d", "levels": "x, y"},
        ]
    )
    assert fmt_limits(limits) == "0.1 ≤ a ≤ 0.5 and b ≥ 2 and c ≤ 7.25 and d ∈ {x, y}"
    assert fmt_limits(pd.DataFrame([{"parameter": "(no restriction)"}])) == "(the whole space)"
    assert fmt_limits(pd.DataFrame(columns=["parameter", "lo", "hi"])) == "(the whole space)"


def test_a_discovery_without_a_fails_box_says_why(tmp_path):
    shares = pd.DataFrame(
        [
            {"hypothesis": "H_all", "share_holds": 1.0, "discovery": "d_all"},
            {"hypothesis": "H_none", "share_holds": 0.0, "discovery": "d_none"},
            {"hypothesis": "H_some", "share_holds": 0.5, "discovery": "d_some"},
        ]
    )
    (tmp_path / "d_some" / "tables").mkdir(parents=True)
    pd.DataFrame(
        [{"cases": "holds", "box": 1, "coverage": 1, "density": 1, "mass": 0.5,
          "parameter": "a", "lo": 0.2, "hi": math.nan}]
    ).to_csv(tmp_path / "d_some" / "tables" / "boxes.csv", index=False)  # fmt: skip
    out = _failure_boxes(tmp_path, shares).set_index("hypothesis")
    assert out.loc["H_all", "where"] == "holds in every context: nowhere to fail"
    # a fails box below PRIM's density threshold is not a condition: it says so
    pd.DataFrame(
        [{"cases": "fails", "box": 1, "coverage": 1, "density": 0.42, "mass": 1,
          "meets_threshold": False, "parameter": "(no restriction)"}]
    ).to_csv(tmp_path / "d_none_box.csv", index=False)  # fmt: skip
    (tmp_path / "d_weak" / "tables").mkdir(parents=True)
    (tmp_path / "d_none_box.csv").rename(tmp_path / "d_weak" / "tables" / "boxes.csv")
    weak = _failure_boxes(
        tmp_path, pd.DataFrame([{"hypothesis": "H", "share_holds": 0.58, "discovery": "d_weak"}])
    ).iloc[0]
    assert weak["where"] == (
        "no box reaches PRIM's density threshold; the densest: (the whole space)"
    )
    assert weak["density"] == 0.42 and not weak["meets_threshold"]
    assert out.loc["H_none", "where"] == "fails in every context"
    assert out.loc["H_some", "where"] == "no box found"
    assert out["box"].isna().all()
    # an unreadable boxes.csv is named in the table, not allowed to stop the report
    (tmp_path / "d_bad" / "tables").mkdir(parents=True)
    (tmp_path / "d_bad" / "tables" / "boxes.csv").write_text('"unclosed\n', encoding="utf-8")
    bad = pd.DataFrame([{"hypothesis": "H", "share_holds": 0.5, "discovery": "d_bad"}])
    assert _failure_boxes(tmp_path, bad).iloc[0]["where"].startswith("unreadable boxes.csv (")


def test_underpowered_caveat_tells_detected_from_inconclusive():
    """Low power to detect one SESOI explains an *inconclusive* verdict, not a detected one."""
    from types import SimpleNamespace

    from experiments.study import _caveats

    spec = SimpleNamespace(target_power=0.8, first_step_alpha=lambda family="claims": 0.001)
    rows = pd.DataFrame(
        [
            {"hypothesis": "H7", "community": "weak", "primary": True, "family": "claims",
             "power_sesoi": 0.3, "verdict": "agrees"},
            {"hypothesis": "H1", "community": "weak", "primary": True, "family": "claims",
             "power_sesoi": 0.2, "verdict": "inconclusive"},
            {"hypothesis": "H3", "community": "weak", "primary": True, "family": "claims",
             "power_sesoi": 0.99, "verdict": "inconclusive"},
        ]
    )  # fmt: skip
    text = _caveats(spec, rows, pd.DataFrame({"run_id": [1]}))[0]
    assert "2 of 3 primary comparisons" in text
    assert "*inconclusive* (H1 (weak))" in text
    assert "detected an effect all the same (H7 (weak))" in text
    assert "H3" not in text
