"""A study over a calibration posterior (``experiment.posterior``): replicate r of both arms runs
posterior draw r, the arms' own overrides win, the report says which parameters varied."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from experiments.design import ExperimentConfigError
from experiments.study import plan_study, spec_from_config
from govsim.cli import main
from govsim.config import scenario_params

SMALL = [
    "experiment.replications=3",
    "experiment.steps=12",
    "population.n_residents=150",
    "hydra/launcher=basic",
    "-q",
]


def _posterior(folder):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "needs.capacity_per_1000": [8.0, 16.0, 28.0],
            "participation.w_trust": [0.1, 0.5, 0.9],
            "weight": [0.2, 0.3, 0.5],
            "generation": 4,
        }
    ).to_parquet(folder / "posterior.parquet")
    return folder


def _spec(posterior=None, **extra):
    exp = {
        "name": "mini",
        "communities": ["weak_baseline"],
        "replications": 6,
        "root_seed": 3,
        "hypotheses": {
            "H_serve": {
                "treatment": {
                    "strategy.name": "political",
                    "strategy.political": 1.0,
                    "participation.w_trust": 0.3,
                },
                "control": {"strategy.name": "none"},
                "outcomes": {"final_participation_rate": "increase"},
            }
        },
        **(
            {"posterior": posterior if isinstance(posterior, list) else str(posterior)}
            if posterior
            else {}
        ),
        **extra,
    }
    return spec_from_config(exp, 10)


def _community(name):
    return scenario_params(name, {"population.n_residents": 150})


def test_both_arms_of_a_replicate_share_its_draw_and_the_arm_wins(tmp_path):
    folder = _posterior(tmp_path / "cal")
    plan = plan_study(_spec(folder), _community)
    assert plan.draws is not None and len(plan.draws) == 6
    by_id = {r.run_id: r for r in plan.runs}
    t = next(a for a in plan.arms if a["arm"] == "treatment")["run_ids"]
    c = next(a for a in plan.arms if a["arm"] == "control")["run_ids"]
    for r, (ti, ci) in enumerate(zip(t, c, strict=True)):
        draw = plan.draws[r]
        tr, cr = by_id[ti], by_id[ci]
        assert tr.seed == cr.seed
        cap = draw["needs.capacity_per_1000"]
        assert tr.overrides.get("needs.capacity_per_1000", 20.0) == cap
        assert cr.overrides.get("needs.capacity_per_1000", 20.0) == cap
        # the treatment sets w_trust itself: the arm's override wins over the draw
        assert tr.overrides["participation.w_trust"] == 0.3
        assert cr.overrides.get("participation.w_trust") == draw["participation.w_trust"]
    # the draws vary, so the runs differ from the point-valued plan's
    point = plan_study(_spec(), _community)
    assert {r.run_id for r in point.runs}.isdisjoint(by_id)
    assert point.draws is None


def test_a_folder_without_a_posterior_is_one_line(tmp_path):
    with pytest.raises(ExperimentConfigError, match=r"no posterior\.parquet there"):
        _spec(tmp_path / "nothing")
    with pytest.raises(ExperimentConfigError, match="expected the folder"):
        _spec([1, 2])


def test_study_over_a_posterior_end_to_end(tmp_path, capsys):
    folder = _posterior(tmp_path / "cal")
    out = tmp_path / "res"
    args = ["study", "source-claims", *SMALL, f"experiment.posterior={folder}"]
    assert main([*args, "--results-dir", str(out)]) == 0
    root = out / "source_claims"
    data = json.loads((root / "experiment.json").read_text())
    assert len(data["posterior_draws"]) == 3 and data["spec"]["posterior"] == str(folder)
    report = (root / "report.md").read_text()
    assert "over the calibration posterior" in report and "needs.capacity_per_1000" in report
    assert "Parameters: point values" not in report
    capsys.readouterr()
    # a bad folder on the command line: one line, exit 2, nothing written
    bad = main(
        [
            "study",
            "source-claims",
            *SMALL,
            "experiment.posterior=/nonexistent",
            "--results-dir",
            str(tmp_path / "bad"),
        ]
    )
    assert bad == 2 and not (tmp_path / "bad" / "source_claims").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "posterior" in err[0]
