"""`govsim calibrate` on the command line: bad targets files and settings give one line and
exit 2 with nothing written; a tiny calibration runs end to end, reports, resumes, and its
posterior feeds another experiment (`experiment.posterior`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from govsim.cli import main

pytest.importorskip("pyabc")

GOOD = {
    "name": "t",
    "statistic": "needs_created",
    "summary": "mean",
    "value": 1.0,
    "source": "assumed: test",
}


def _write(tmp: Path, **fields) -> Path:
    target = {k: v for k, v in {**GOOD, **fields}.items() if v is not None}
    p = tmp / "targets.yaml"
    p.write_text(yaml.safe_dump({"targets": [target]}))
    return p


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"statistic": "needs_creatd"}, "unknown statistic 'needs_creatd' (did you mean"),
        ({"value": None, "interval": [2, 1]}, "malformed interval; lo must be below hi"),
        ({"value": None, "interval": "wide"}, "malformed interval"),
        ({"source": None}, "missing source field"),
    ],
)
def test_bad_targets_file_is_one_line_exit_2(tmp_path, capsys, fields, message):
    path = _write(tmp_path, **fields)
    rc = main(["calibrate", f"experiment.calibrate.targets={path}", "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and message in err and str(path) in err
    assert not (tmp_path / "calibrate").exists()  # nothing written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["+experiment.calibrate.popsize=3"], "experiment.calibrate.popsize: unknown setting"),
        (["experiment.calibrate.targets=missing.yaml"], "no such targets file"),
        (["experiment.calibrate.generations=0"], "generations=0: expected an integer ≥ 1"),
    ],
)
def test_bad_settings_exit_2(tmp_path, capsys, args, message):
    rc = main(["calibrate", *args, "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and message in err


def test_posterior_of_a_missing_folder_or_in_a_kind_that_ignores_it(tmp_path, capsys):
    rc = main(
        ["replicate", f"experiment.posterior={tmp_path}/none", "--results-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "no posterior.parquet there" in err
    rc = main(["optimise", f"+experiment.posterior={tmp_path}", "--results-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "experiment.posterior: not read by govsim optimise; read by" in err


def test_tiny_calibration_end_to_end(tmp_path, capsys):
    targets = _write(tmp_path, window=[1, 6])
    res = tmp_path / "res"
    args = [
        "calibrate",
        "experiment.name=tiny",
        f"experiment.calibrate.targets={targets}",
        "population.n_residents=40",
        "steps=6",
        "experiment.replications=2",
        "experiment.calibrate.population_size=4",
        "experiment.calibrate.generations=1",
        "experiment.calibrate.sampler=single",
        "--results-dir",
        str(res),
    ]
    rc = main(args)
    out = capsys.readouterr()
    assert rc == 0, out.err
    root = res / "tiny"
    for name in (
        "abc.db",
        "posterior.parquet",
        "ppc.parquet",
        "report.md",
        "tables/credible_intervals.csv",
        "tables/fit.csv",
        "figures/posterior.png",
        "figures/fit.png",
        "preset/scenario/calibrated.yaml",
        "targets.yaml",
    ):
        assert (root / name).is_file(), name
    post = pd.read_parquet(root / "posterior.parquet")
    assert len(post) == 4 and abs(post["weight"].sum() - 1) < 1e-9
    assert len(pd.read_parquet(root / "ppc.parquet")) == 4  # 2 draws + the preset on 2 seeds
    report = (root / "report.md").read_text()
    assert "## Posterior predictive checks" in report and "## Identifiability" in report
    # rerun: resumes, nothing simulated again for the finished generation
    assert main(args) == 0
    assert "resuming: 1 generation(s)" in capsys.readouterr().out
    # report alone
    assert main(["report", str(root)]) == 0
    # an experiment over the posterior's draws
    rc = main(
        [
            "replicate",
            f"experiment.posterior={root}",
            "experiment.name=over",
            "experiment.replications=2",
            "population.n_residents=40",
            "steps=3",
            "--results-dir",
            str(res),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    rows = pd.read_parquet(res / "over" / "parts")
    assert set(post.columns) - {"weight", "generation"} <= set(rows.columns)
    # its report says the replicates drew their parameters from the posterior
    over = (res / "over" / "report.md").read_text()
    assert f"parameters over the calibration posterior `{root}`" in over
    assert "replicate r of every point runs posterior draw r (2 draws" in over
