"""Two launches into one results folder, duplicates and temp files of earlier launches, size."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

import experiments.kinds.sweep as sweep_kind
from experiments.dataset import experiment_lock
from experiments.design import ExperimentConfigError
from experiments.runners import experiment_from_config, run_experiment
from sim.params import build_params

from .conftest import REPO, TINY, govsim, subprocess_cmd

# The integrated strategy reads every lever effort the designs below vary.
BASE = build_params(None, {"population.n_residents": 60, "strategy.name": "integrated"})


def _args(results, name="race", replications=4):
    return [
        "sweep",
        *TINY,
        "population.n_residents=80",
        "steps=6",
        f"experiment.name={name}",
        f"experiment.replications={replications}",
        "~experiment.design.params",
        "+experiment.design.params={strategy.political: [0.0, 0.5, 1.0]}",
        "hydra/launcher=basic",
        "--results-dir",
        str(results),
        "--no-report",
    ]


def test_two_identical_sweeps_started_together_store_each_run_once(results, tmp_path):
    """Two launches of one sweep at once: each run is stored once, one launch runs them all,
    the other waits and then skips them. The test holds the experiment's lock until both have
    reached it, so they truly overlap (without it, on a loaded machine the first launch could
    finish before the second starts, and nothing would be tested)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    logs = [tmp_path / f"launch{i}.log" for i in range(2)]
    waiting = "another launch is writing this experiment"
    with experiment_lock(results / "race"):
        procs = []
        for log in logs:
            with log.open("w") as out:
                procs.append(
                    subprocess.Popen(
                        subprocess_cmd(*_args(results)),
                        cwd=REPO,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        text=True,
                    )
                )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if all(waiting in log.read_text() for log in logs):
                break
            assert all(p.poll() is None for p in procs), [log.read_text() for log in logs]
            time.sleep(0.05)
    for p in procs:
        p.wait(timeout=300)
    outs = [log.read_text() for log in logs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all(waiting in o for o in outs), outs  # both met the lock held
    df = pd.read_parquet(results / "race" / "parts")
    assert df["run_id"].nunique() == 12
    assert not df.duplicated(["run_id", "step"]).any()  # a raw read sees each run once
    # between them the two launches ran each run once: one ran all, the other skipped all
    done = sorted(int(o.split(" runs — ")[1].split(" done")[0]) for o in outs)
    assert done == [0, 12], outs


def test_duplicates_and_stale_temp_files_of_earlier_launches_are_tidied(results):
    assert govsim(*_args(results, "dup")) == 0
    parts = results / "dup" / "parts"
    (part,) = parts.glob("*.parquet")
    # what two unlocked launches left before this version: the same runs in two parts
    shutil.copy(part, parts / "part-20200101T000000-abcdef-00000.parquet")
    # and a temp file of a writer killed with SIGKILL (its process is gone)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = parts / f".part-x.parquet.tmp-{int(dead.stdout)}-0badc0de"
    stale.write_bytes(b"PAR1 half a file")
    assert pd.read_parquet(parts).duplicated(["run_id", "step"]).any()
    assert govsim(*_args(results, "dup")) == 0
    assert not stale.exists()
    df = pd.read_parquet(parts)
    assert df["run_id"].nunique() == 12 and not df.duplicated(["run_id", "step"]).any()
    assert len(list(parts.glob("*.parquet"))) == 1


def test_a_billion_replications_are_refused_before_planning(results, capsys):
    """Refused in one line naming the option, before a single seed is spawned (that took
    minutes and gigabytes) and before anything is written."""
    # A billion replications per point is beyond the replications option's own range.
    code = govsim(*_args(results, "huge", replications=1_000_000_000))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "experiment.replications=1000000000" in err
    assert not (results / "huge").exists()
    # A million per point is allowed, but 3 points make work beyond the size limit.
    code = govsim(*_args(results, "huge", replications=1_000_000))
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "3,000,000 runs" in err and "experiment.confirm_large=true" in err
    assert not (results / "huge").exists()


def test_large_work_is_estimated_and_printed_and_can_be_confirmed():
    big = {
        "name": "big",
        "replications": 2_000,
        "design": {"kind": "factorial", "params": {"strategy.political": [0.0, 0.5, 1.0]}},
    }
    e = experiment_from_config("sweep", big, BASE, 100)
    assert e.work is not None and e.work.runs == 6_000 and not e.work.too_large()
    # 6,000 runs × 60 residents × 100 weeks: not large; 4,000 residents each is
    assert not e.work.large()
    many = build_params(None, {"population.n_residents": 4_000})
    e = experiment_from_config("sweep", big, many, 100)
    assert e.work.large() and not e.work.too_large()
    assert e.work.resident_weeks == pytest.approx(2.4e9)
    with pytest.raises(ExperimentConfigError, match="confirm_large"):
        experiment_from_config("sweep", {**big, "confirm_large": False}, many, 500)
    ok = experiment_from_config("sweep", {**big, "confirm_large": True}, many, 500)
    assert ok.work.too_large() and "resident-weeks" in ok.work.line()
    with pytest.raises(ExperimentConfigError, match="confirm_large='yes'"):
        experiment_from_config("sweep", {**big, "confirm_large": "yes"}, BASE, 10)


def _tiny(kind, settings, results, steps=4):
    e = experiment_from_config(kind, settings, BASE, steps)
    summary, root = run_experiment(
        e, results, launcher=["hydra/launcher=basic"], progress=False, echo=None
    )
    assert summary.ok
    return root


def test_reports_of_one_replication_and_all_nan_outcomes_write_their_tables(results):
    """A sweep with replications=1 (no interval anywhere) over 4 weeks (no need is resolved:
    final_resolution_rate is NaN in every run) writes its tables and report."""
    design = {"kind": "factorial", "params": {"strategy.political": [0.0, 1.0]}}
    root = _tiny("sweep", {"name": "one", "replications": 1, "design": design}, results)
    points = pd.read_csv(root / "tables" / "points.csv")
    assert points["mean_participation_rate_lo"].isna().all()
    assert points["final_resolution_rate_mean"].isna().all()
    assert "## Mean outcomes per design point" in (root / "report.md").read_text()
    # the command line: exit 0
    assert govsim(*_args(results, "one-cli", replications=1)[:-1]) == 0
    assert (results / "one-cli" / "tables" / "points.csv").is_file()


def test_sobol_second_order_indices_are_reported(results):
    sens = {
        "method": "sobol",
        "params": {"strategy.political": [0, 1], "strategy.smart": [0, 1]},
        "n_base": 4,
        "second_order": True,
        "outcomes": ["mean_participation_rate"],
    }
    root = _tiny("sensitivity", {"name": "s2", "replications": 1, "sensitivity": sens}, results)
    s2 = pd.read_csv(root / "tables" / "indices_second_order.csv")
    assert list(s2[["param_i", "param_j"]].iloc[0]) == ["strategy.political", "strategy.smart"]
    assert "S2" in s2.columns and "### Second-order indices" in (root / "report.md").read_text()
    assert pq.read_schema(next((root / "parts").glob("*.parquet"))).field("strategy.smart")


def test_a_figure_that_cannot_be_drawn_is_one_line_and_the_rest_is_written(
    results, monkeypatch, capsys
):
    def broken(*args, **kwargs):
        raise ValueError("cannot draw this\nsecond line of the error")

    monkeypatch.setattr(sweep_kind, "plot_sweep_lines", broken)
    design = {"kind": "factorial", "params": {"strategy.political": [0.0, 1.0]}}
    e = experiment_from_config(
        "sweep", {"name": "fig", "replications": 2, "design": design}, BASE, 4
    )
    summary, root = run_experiment(e, results, launcher=["hydra/launcher=basic"], progress=False)
    out = capsys.readouterr().out
    assert summary.ok and (root / "tables" / "points.csv").is_file()
    line = "figure `lines.png`: ValueError: cannot draw this"
    assert f"report: not written: {line}" in out.splitlines()
    report = (root / "report.md").read_text()
    assert "## Not written" in report and f"- {line}" in report
    assert "## Mean outcomes per design point" in report
