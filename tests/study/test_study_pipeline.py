"""The source-claims study end to end, reduced (few seeds, small population): plan, run,
resume, report from stored results alone, bad configs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from govsim.cli import main
from govsim.config import CONFIG_DIR

SMALL = [
    "experiment.replications=3",
    "experiment.steps=12",
    "population.n_residents=150",
    "hydra/launcher=basic",
    "-q",
]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    code = main(["study", "source-claims", *SMALL, "--results-dir", str(out)])
    assert code == 0
    return out / "source_claims"


def test_every_hypothesis_gets_a_verdict_and_a_figure(study):
    spec = yaml.safe_load((CONFIG_DIR / "experiment" / "source_claims.yaml").read_text())
    verdicts = pd.read_csv(study / "tables" / "verdicts.csv")
    assert list(verdicts["hypothesis"]) == list(spec["hypotheses"])
    allowed = {
        "supported",
        "contradicted",
        "no effect",
        "depends on conditions",
        "not supported",
        "inconclusive",
    }
    assert set(verdicts["verdict"]) <= allowed
    for h in spec["hypotheses"]:
        assert (study / "figures" / f"{h}.png").stat().st_size > 0
    report = (study / "report.md").read_text()
    assert "## Verdicts on the claims" in report and "Where a claim fails" in report
    # mechanism checks are reported apart, with why they are true by construction
    assert "## Mechanism checks (true by construction — not evidence)" in report
    checks = [h for h, v in spec["hypotheses"].items() if v.get("kind") == "mechanism_check"]
    assert checks and set(verdicts.loc[verdicts["kind"] == "mechanism_check", "hypothesis"]) == set(
        checks
    )
    assert "## Steady state and transient" in report and "## What each arm costs" in report


def test_comparisons_are_paired_on_the_same_seeds(study):
    comp = pd.read_csv(study / "tables" / "comparisons.csv")
    assert {"p_holm", "d_z", "d_z_lo", "d_z_hi", "p_wilcoxon", "verdict"} <= set(comp.columns)
    assert (comp["p_holm"].dropna() >= comp["p_ttest"].dropna()).all()
    assert comp["n"].max() == 3


def test_comparisons_carry_each_arms_share_of_stationary_runs(study):
    """The steady verdict of an arm is read with the share of its runs flagged stationary."""
    from experiments.execute import ExperimentPaths
    from experiments.tables import load_rows, run_outcomes

    comp = pd.read_csv(study / "tables" / "comparisons.csv")
    steady = comp[comp["family"] != "transient"]
    for arm in ("treatment", "control"):
        col = f"stationary_{arm}"
        assert steady[col].between(0, 1).all()
        assert comp.loc[comp["family"] == "transient", col].isna().all()
    # on stored outcomes with flags set by hand: each arm's own share, not the other arm's
    from experiments.study import _load_spec, _pair_rows

    spec, arms = _load_spec(json.loads((study / "experiment.json").read_text()))
    ids = {(a["hypothesis"], a["community"], a["arm"]): a["run_ids"] for a in arms}
    treat = ids[("H3_serving_needs", "weak_baseline", "treatment")]
    ctrl = ids[("H3_serving_needs", "weak_baseline", "control")]
    runs = run_outcomes(load_rows(ExperimentPaths(study).store(), set(treat) | set(ctrl)))
    runs["stationary"] = runs["run_id"].isin([*treat, ctrl[0]])
    rows = _pair_rows(spec, arms, runs)
    h3 = rows[(rows["hypothesis"] == "H3_serving_needs") & (rows["family"] != "transient")]
    assert len(h3) and (h3["stationary_treatment"] == 1.0).all()
    assert np.allclose(h3["stationary_control"], 1 / len(ctrl))


def test_rerun_resumes_without_recomputing(study, capsys):
    code = main(["study", "source-claims", *SMALL[:-1], "--results-dir", str(study.parent)])
    assert code == 0
    out = capsys.readouterr().out
    assert " 0 done" in out and "0 failed" in out


def test_report_regenerates_from_stored_results(study):
    before = pd.read_csv(study / "tables" / "verdicts.csv")
    (study / "report.md").unlink()
    assert main(["report", str(study), "-q"]) == 0
    assert (study / "report.md").is_file()
    pd.testing.assert_frame_equal(before, pd.read_csv(study / "tables" / "verdicts.csv"))


def test_report_shows_where_discover_found_a_claim_holds(study):
    disc = study.parent / "discover_h3" / "tables"
    disc.mkdir(parents=True)
    pd.DataFrame(
        [{"hypothesis": "H3_serving_needs", "contexts": 40, "holds": 26, "share": 0.65,
          "share_lo": 0.48, "share_hi": 0.79}]
    ).to_csv(disc / "holds_share.csv", index=False)  # fmt: skip
    box = {
        "cases": "fails",
        "box": 1,
        "coverage": 0.9,
        "density": 0.85,
        "mass": 0.4,
        "meets_threshold": True,
    }
    pd.DataFrame(
        [{**box, "parameter": "needs.capacity_per_1000", "lo": float("nan"), "hi": 11.5},
         {**box, "parameter": "opinions.mu", "lo": 0.2, "hi": 0.45},
         {**box, "cases": "holds", "parameter": "opinions.mu", "lo": 0.3, "hi": float("nan")}]
    ).to_csv(disc / "boxes.csv", index=False)  # fmt: skip
    try:
        assert main(["report", str(study), "-q"]) == 0
        v = pd.read_csv(study / "tables" / "verdicts.csv").set_index("hypothesis")
        assert v.loc["H3_serving_needs", "share_holds"] == 0.65
        assert pd.isna(v.loc["H1_exemplars", "share_holds"])
        text = (study / "report.md").read_text()
        assert "(../discover_h3/report.md)" in text
        # the box where the claim fails, not the one where it holds
        where = "needs.capacity_per_1000 ≤ 11.5 and 0.2 ≤ opinions.mu ≤ 0.45"
        assert where in text and "opinions.mu ≥ 0.3" not in text
        assert f"| H3_serving_needs | ../discover_h3 | 1 | {where} |" in text
        fails = pd.read_csv(study / "tables" / "failure_boxes.csv")
        assert fails.to_dict("records")[0] | {"meets_threshold": True} == {
            "hypothesis": "H3_serving_needs", "discovery": "../discover_h3", "box": 1,
            "where": where, "coverage": 0.9, "density": 0.85, "mass": 0.4,
            "meets_threshold": True,
        }  # fmt: skip
    finally:
        (disc / "holds_share.csv").unlink()
        (disc / "boxes.csv").unlink()
        assert main(["report", str(study), "-q"]) == 0


def test_report_leaves_out_discoveries_of_another_outcome_or_model_version(study):
    """A share labelled by a secondary outcome, or from another model version, answers another
    question: it is not put in the verdict table, and the report says why. A discovery whose
    experiment.json is broken is named too, and does not stop the study's report."""
    made = []
    for name, row, spec in (
        ("discover_h3_trust", {"outcome": "steady_mean_trust"}, None),
        ("discover_h1_old", {"outcome": "steady_agenda_distance"}, {"model_version": "1"}),
        ("discover_h1_broken", {"outcome": "steady_agenda_distance"}, '{"kind": "disc'),
    ):
        tables = study.parent / name / "tables"
        tables.mkdir(parents=True)
        hyp = "H3_serving_needs" if "h3" in name else "H1_exemplars"
        pd.DataFrame(
            [{"hypothesis": hyp, "contexts": 40, "holds": 26, "share": 0.65, **row}]
        ).to_csv(tables / "holds_share.csv", index=False)
        if spec is not None:
            (study.parent / name / "experiment.json").write_text(
                spec if isinstance(spec, str) else json.dumps({"kind": "d", "provenance": spec})
            )
        made.append(study.parent / name)
    try:
        assert main(["report", str(study), "-q"]) == 0
        v = pd.read_csv(study / "tables" / "verdicts.csv")
        assert "share_holds" not in v.columns
        text = (study / "report.md").read_text()
        assert "labels H3_serving_needs by `steady_mean_trust`" in text
        assert "`../discover_h1_old`: model version 1, the study's is" in text
        assert "`../discover_h1_broken`: unreadable (JSONDecodeError" in text
    finally:
        for folder in made:
            shutil.rmtree(folder)
        assert main(["report", str(study), "-q"]) == 0


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("experiment.replications=1", "replications=1"),
        ("experiment.alpha=2", "alpha=2"),
        (
            "+experiment.hypotheses.H1_exemplars.outcomes.mean_partcipation=increase",
            "did you mean 'mean_participation",
        ),
        ("+experiment.hypotheses.H1_exemplars.control.opinions.mu=9", "H1_exemplars.control"),
        ("experiment.replications=auto", "experiment.detect_dz"),
        ("+experiment.hypotheses.H1_exemplars.kind=other", "kind='other'"),
        ("~experiment.sesoi.mean_trust", "sesoi.mean_trust"),
        ("+experiment.detect_dz=0.5", "only read with experiment.replications=auto"),
    ],
)
def test_bad_study_configs_exit_2_before_any_run(tmp_path, capsys, override, fragment):
    code = main(["study", "source-claims", *SMALL, override, "--results-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err
    assert not (tmp_path / "source_claims" / "parts").exists()


def test_a_study_of_absurd_size_is_refused_before_planning(tmp_path, capsys):
    code = main(
        [
            "study",
            "source-claims",
            "experiment.replications=1000000000",
            "hydra/launcher=basic",
            "--results-dir",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "experiment.confirm_large=true" in err
    assert not list(tmp_path.iterdir())
