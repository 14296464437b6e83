"""Targets as data (experiments.targets): parsing, one-line errors, and the statistics of a run
against hand-computed values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.targets import TargetsError, load_targets, parse_targets, target_statistics

REPO = Path(__file__).resolve().parents[2]


def _one(**fields):
    base = {"name": "t", "statistic": "participation_rate", "summary": "final", "value": 0.2,
            "source": "assumed: test"}  # fmt: skip
    base.update(fields)
    return {"targets": [{k: v for k, v in base.items() if v is not None}]}


def test_default_targets_file_is_valid_and_every_target_has_a_source():
    ts = load_targets(REPO / "configs/targets/urban_china.yaml")
    assert len(ts.targets) == 6
    for t in ts.targets:
        assert t.source
        # No invented figure: every value of the default file is marked assumed.
        assert t.assumed, t.name
        assert all(iv is not None for iv in t.intervals)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"statistic": "participaton_rate"},
            "unknown statistic 'participaton_rate' (did you mean 'participation_rate'?)",
        ),
        ({"statistic": "backlog", "group": "elderly"}, "unknown statistic 'backlog' for a group"),
        ({"interval": [0.3, 0.1], "value": None}, "malformed interval; lo must be below hi"),
        ({"interval": [0.1], "value": None}, "malformed interval; expected [lo, hi]"),
        ({"interval": ["a", 0.3], "value": None}, "malformed interval"),
        ({"interval": "0.1", "value": None}, "malformed interval"),
        ({"source": None}, "missing source field"),
        ({"source": "  "}, "missing source field"),
        ({"summary": None}, "needs a summary: final, mean, steady, series"),
        ({"statistic": "steady_mean_trust"}, "is already a run outcome; drop summary"),
        ({"window": [10, 20]}, "window is read only with summary=mean"),
        ({"summary": "mean", "window": [20, 10]}, "first ≤ last"),
        ({"summary": "series", "weeks": [1, 2], "value": [0.1]}, "value has 1 entries for 2"),
        ({"summary": "series"}, "summary=series needs weeks"),
        ({"weight": 0}, "weight=0: expected a number > 0"),
        ({"value": 0.5, "interval": [0.1, 0.3]}, "lies outside its interval"),
        ({"value": None}, "no observation"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"name": "a b"}, "name='a b'"),
        ({"sd": -1}, "sd=-1: expected a number > 0"),
    ],
)
def test_bad_target_is_one_line_naming_the_problem(fields, message):
    with pytest.raises(TargetsError) as exc:
        parse_targets(_one(**fields), "f.yaml")
    text = str(exc.value)
    assert message in text
    assert "\n" not in text
    assert text.startswith("f.yaml: ")


def test_duplicate_names_and_empty_files_are_refused():
    data = _one()
    data["targets"].append(dict(data["targets"][0]))
    with pytest.raises(TargetsError, match="duplicate name"):
        parse_targets(data, "f")
    with pytest.raises(TargetsError, match="non-empty list"):
        parse_targets({"targets": []}, "f")
    with pytest.raises(TargetsError, match="unknown top-level key 'target'"):
        parse_targets({"target": []}, "f")


def test_unreadable_files(tmp_path):
    with pytest.raises(TargetsError, match="no such targets file"):
        load_targets(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: [\n")
    with pytest.raises(TargetsError, match="not valid YAML"):
        load_targets(bad)
    other = tmp_path / "t.json"
    other.write_text("{}")
    with pytest.raises(TargetsError, match="unknown targets format"):
        load_targets(other)


def test_csv_and_yaml_give_the_same_targets(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text(
        "name,statistic,group,summary,window,weeks,value,interval,weight,source\n"
        "a,participation_rate,elderly,mean,2-4,,,0.1;0.5,2,assumed: x\n"
        "b,mean_trust,,series,,1;3,0.4;0.6,,1,CGSS (hypothetical row for the test)\n"
        "c,steady_mean_trust,,,,,0.5,,1,assumed: y\n"
    )
    a = load_targets(csv)
    yml = tmp_path / "t.yaml"
    yml.write_text(
        "targets:\n"
        "  - {name: a, statistic: participation_rate, group: elderly, summary: mean,\n"
        "     window: [2, 4], interval: [0.1, 0.5], weight: 2, source: 'assumed: x'}\n"
        "  - {name: b, statistic: mean_trust, summary: series, weeks: [1, 3],\n"
        "     value: [0.4, 0.6], weight: 1, source: CGSS (hypothetical row for the test)}\n"
        "  - {name: c, statistic: steady_mean_trust, value: 0.5, source: 'assumed: y'}\n"
    )
    b = load_targets(yml)
    assert a.targets == b.targets
    assert a.components == ["a", "b[1]", "b[3]", "c"]
    assert a.observed() == {"a": pytest.approx(0.3), "b[1]": 0.4, "b[3]": 0.6, "c": 0.5}
    # weights: a series shares its weight among its weeks
    assert a.weights() == {"a": 2.0, "b[1]": 0.5, "b[3]": 0.5, "c": 1.0}
    # an interval read as a 90 % range
    assert a.targets[0].sd[0] == pytest.approx(0.2 / 1.6448536269514722)
    assert not a.targets[1].assumed and a.targets[0].assumed


def test_group_must_exist_in_the_base():
    ts = parse_targets(_one(group="students"), "f")
    with pytest.raises(TargetsError, match="group 'students' is not a resident group"):
        ts.check_groups(["elderly", "renters"])


def test_statistics_of_a_run_match_hand_computed_values():
    steps = np.arange(0, 41)
    rate = 0.1 + 0.01 * steps  # a rising series
    model = pd.DataFrame({"step": steps, "participation_rate": rate, "mean_trust": 0.5 + 0 * steps})
    groups = pd.DataFrame(
        {
            "step": np.repeat(steps, 2),
            "group": np.tile(["elderly", "renters"], steps.size),
            "participation_rate": np.ravel(np.column_stack([rate * 2, rate / 2])),
        }
    )
    ts = parse_targets(
        {
            "targets": [
                {"name": "f", "statistic": "participation_rate", "summary": "final",
                 "value": 0.1, "source": "assumed"},
                {"name": "m", "statistic": "participation_rate", "summary": "mean",
                 "window": [10, 20], "value": 0.1, "source": "assumed"},
                {"name": "g", "statistic": "participation_rate", "group": "renters",
                 "summary": "mean", "value": 0.1, "source": "assumed"},
                {"name": "s", "statistic": "participation_rate", "summary": "series",
                 "weeks": [5, 40, 99], "value": [0.1, 0.1, 0.1], "source": "assumed"},
                {"name": "st", "statistic": "participation_rate", "group": "elderly",
                 "summary": "steady", "value": 0.1, "source": "assumed"},
                {"name": "o", "statistic": "final_mean_trust", "value": 0.5, "source": "a"},
            ]
        },
        "f",
    )  # fmt: skip
    out = target_statistics(ts, model, groups, {"burn_in": 30.0, "final_mean_trust": 0.5})
    assert out["f"] == pytest.approx(0.5)
    assert out["m"] == pytest.approx(0.1 + 0.01 * 15)  # weeks 10..20 inclusive
    assert out["g"] == pytest.approx(np.mean(rate[1:] / 2))  # every week ≥ 1
    assert out["s[5]"] == pytest.approx(0.15)
    assert out["s[40]"] == pytest.approx(0.5)
    assert math.isnan(out["s[99]"])  # past the run's end
    assert out["st"] == pytest.approx(np.mean(2 * rate[31:]))  # weeks after the burn-in
    assert out["o"] == 0.5
