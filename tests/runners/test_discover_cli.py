"""``govsim discover`` end to end: a tiny discovery over sampled contexts (resumable, reported,
re-reported), discovery on a stored sweep, and bad settings (one line, exit 2, nothing run)."""

from __future__ import annotations

import pandas as pd
import pytest

from .conftest import TINY, govsim

pytest.importorskip("sklearn")
pytest.importorskip("ema_workbench")

#: A comparison whose outcome is defined after 10 weeks (steady_* needs a burn-in).
COMPARISON = (
    "+experiment.discover.comparison={treatment: {strategy.name: political, "
    "strategy.political: 1.0}, control: {strategy.name: none}, "
    "outcomes: {mean_mean_trust: increase}}"
)
SMALL = [
    *TINY,
    "~experiment.discover.hypothesis",
    COMPARISON,
    "experiment.discover.contexts=6",
    "experiment.replications=2",
    "experiment.discover.threshold=0.0",
    "experiment.discover.tree.min_samples_leaf=1",
    "experiment.name=disc",
]


def test_discover_runs_labels_and_reports_contexts(results, capsys):
    assert govsim("discover", *SMALL, "--results-dir", str(results)) == 0
    out = capsys.readouterr().out
    assert "6 contexts × 2 arms × 2 replications = 24 runs" in out
    root = results / "disc"
    ctx = pd.read_csv(root / "tables" / "contexts.csv")
    assert len(ctx) == 6 and (ctx["n"] == 2).all()
    assert set(ctx.columns) >= {
        "opinions.mu",
        "effect",
        "effect_lo",
        "effect_hi",
        "holds",
    }
    share = pd.read_csv(root / "tables" / "holds_share.csv").iloc[0]
    assert share["contexts"] == 6 and share["holds"] == ctx["holds"].sum()
    assert share["share_lo"] <= share["share"] <= share["share_hi"]
    report = (root / "report.md").read_text(encoding="utf-8")
    assert f"The claim holds in {int(share['holds'])} of 6 contexts" in report
    # the config's description is about any claim: it must not name the default one (H7) when
    # another comparison is run
    assert "H7" not in report.split("## ")[0] and "polarization" not in report.split("## ")[0]
    assert "## Classification and regression tree (CART)" in report
    assert (root / "figures" / "effects.png").is_file()
    parts = pd.read_parquet(root / "parts")
    assert set(parts["arm"]) == {"treatment", "control"} and parts["context"].nunique() == 6
    # resuming runs nothing; the report is rewritten from the store alone, the same
    assert govsim("discover", *SMALL, "--results-dir", str(results)) == 0
    assert "disc: 24 runs — 0 done, 24 skipped" in capsys.readouterr().out
    body = report.split("- confidence level")[1]
    assert govsim("report", str(root)) == 0
    assert (root / "report.md").read_text(encoding="utf-8").split("- confidence level")[1] == body


def test_discover_on_a_stored_sweep_finds_the_box_of_its_cases(results, capsys):
    sweep = [
        *TINY,
        "experiment.name=lhs",
        "strategy.name=integrated",
        "experiment.replications=1",
        "experiment.design.kind=lhs",
        "experiment.design.samples=16",
        "~experiment.design.params",
        "+experiment.design.params={strategy.political: [0.0, 1.0], strategy.smart: [0.0, 1.0]}",
    ]
    assert govsim("sweep", *sweep, "--results-dir", str(results)) == 0
    args = [
        "experiment.name=where",
        f"+experiment.discover.source={results / 'lhs'}",
        "~experiment.discover.hypothesis",
        "~experiment.discover.contexts",
        "~experiment.discover.params",
        "~experiment.discover.rule",
        "experiment.discover.outcome=final_platform_adoption",
        "experiment.discover.threshold=0.05",
        "experiment.discover.tree.min_samples_leaf=1",
    ]
    assert govsim("discover", *args, "--results-dir", str(results)) == 0
    cases = pd.read_csv(results / "where" / "tables" / "cases.csv")
    assert len(cases) == 16
    assert set(cases.columns) >= {"strategy.political", "strategy.smart", "mean", "interest"}
    report = (results / "where" / "report.md").read_text(encoding="utf-8")
    assert "are the cases" in report
    if 0 < cases["interest"].sum() < 16:
        boxes = pd.read_csv(results / "where" / "tables" / "boxes.csv")
        assert {"coverage", "density", "parameter"} <= set(boxes.columns)
        assert (results / "where" / "figures" / "trajectory_of_interest.png").is_file()
    assert not (results / "where" / "parts").exists() or not any(
        (results / "where" / "parts").iterdir()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["experiment.discover.contexts=1"], "experiment.discover.contexts=1: expected an integer"),
        (["experiment.discover.hypothesis=H99"], "experiment.discover.hypothesis='H99': not a"),
        (
            ["~experiment.discover.params", "+experiment.discover.params={network.kind: [0, 1]}"],
            "contexts are sampled over numeric parameters",
        ),
        (["experiment.discover.prim.threshold=2"], "experiment.discover.prim.threshold=2"),
        (["+experiment.discover.bogus=1"], "experiment.discover.bogus: unknown setting"),
        (
            ["experiment.discover.outcome=final_polarization"],
            "experiment.discover.outcome='final_polarization': not an outcome of",
        ),
        (
            [
                "~experiment.discover.params",
                "+experiment.discover.params={strategy.ideological: [0, 1]}",
            ],
            "the treatment of H7_against_fragmentation sets it too",
        ),
    ],
)
def test_bad_discover_settings_are_one_line_exit_2(args, message, results, capsys):
    code = govsim("discover", *TINY, *args, "--results-dir", str(results))
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith("govsim discover: error: ")
    assert not results.exists()


def test_a_missing_source_folder_is_one_line_exit_2(results, capsys):
    args = [
        f"+experiment.discover.source={results / 'nothing'}",
        "~experiment.discover.hypothesis",
        "~experiment.discover.contexts",
        "~experiment.discover.params",
        "~experiment.discover.rule",
        "experiment.discover.outcome=final_mean_trust",
    ]
    code = govsim("discover", *TINY, *args, "--results-dir", str(results))
    err = capsys.readouterr().err
    assert code == 2 and "no experiment.json there" in err and err.count("\n") == 1


def _posterior(folder):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "needs.capacity_per_1000": [8.0, 16.0, 28.0],
            "trust.gain_resolved": [0.05, 0.2, 0.35],
            "weight": [0.2, 0.3, 0.5],
            "generation": 4,
        }
    ).to_parquet(folder / "posterior.parquet")
    return folder


def test_contexts_start_from_posterior_draws(results, tmp_path, capsys):
    """experiment.discover.posterior: context i runs posterior draw i under the hypercube; the
    calibrated parameters are dimensions of the discovery; a clash is one line."""
    folder = _posterior(tmp_path / "cal")
    args = [*SMALL, f"+experiment.discover.posterior={folder}", "experiment.name=disc_post"]
    assert govsim("discover", *args, "--results-dir", str(results)) == 0
    root = results / "disc_post"
    ctx = pd.read_csv(root / "tables" / "contexts.csv")
    assert {"needs.capacity_per_1000", "trust.gain_resolved", "opinions.mu"} <= set(ctx.columns)
    # every context is one particle of the posterior (the two columns move together)
    pairs = set(zip(ctx["needs.capacity_per_1000"], ctx["trust.gain_resolved"], strict=True))
    assert pairs <= {(8.0, 0.05), (16.0, 0.2), (28.0, 0.35)}
    parts = pd.read_parquet(root / "parts")
    assert set(parts["needs.capacity_per_1000"].round(6)) <= {8.0, 16.0, 28.0}
    report = (root / "report.md").read_text(encoding="utf-8")
    assert "of the calibration posterior" in report and "`needs.capacity_per_1000`" in report
    capsys.readouterr()
    clash = [
        *SMALL,
        f"+experiment.discover.posterior={folder}",
        "~experiment.discover.params",
        "+experiment.discover.params={trust.gain_resolved: [0.1, 0.3]}",
        "experiment.name=disc_clash",
    ]
    assert govsim("discover", *clash, "--results-dir", str(results)) == 2
    err = capsys.readouterr().err
    assert "also calibrated in" in err and err.count("\n") == 1
    assert not (results / "disc_clash").exists()
