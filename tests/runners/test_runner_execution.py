"""Execution: determinism across launchers, resume after SIGKILL, failures, progress summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from experiments.execute import ExperimentPaths, tidy_run_parts
from experiments.runners import experiment_from_config, plan_runs, run_experiment
from experiments.tables import load_rows, run_outcomes
from sim import run_one
from sim.metrics import summarise
from sim.params import build_params

from .conftest import REPO, TINY, govsim, subprocess_cmd

BASE = build_params(None, {"population.n_residents": 120, "strategy.name": "integrated"})
SWEEP = {
    "name": "det",
    "replications": 3,
    "root_seed": 5,
    "design": {
        "kind": "factorial",
        "params": {"strategy.political": [0.0, 1.0], "strategy.smart": [0.0, 0.5]},
    },
}


def _table(root: Path) -> pd.DataFrame:
    df = pd.read_parquet(ExperimentPaths(root).parts)
    return df.sort_values(["run_id", "step"]).reset_index(drop=True)


def test_same_root_seed_same_tables_serial_and_joblib(results):
    # in_process_below_s=0: worker processes even for so short a sweep
    e = experiment_from_config("sweep", {**SWEEP, "batch": {"in_process_below_s": 0}}, BASE, 10)
    s1, root1 = run_experiment(
        e,
        results / "serial",
        launcher=["hydra/launcher=basic"],
        progress=False,
        echo=None,
        analyse=False,
    )
    s2, root2 = run_experiment(
        e,
        results / "joblib",
        launcher=["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
        progress=False,
        echo=None,
        analyse=False,
    )
    assert s1.ok and s2.ok and s1.done == s2.done == 12
    assert s1.launcher == "basic" and s2.launcher == "joblib"
    assert s2.batches == 2 and not s2.in_process and s2.startup_s > 0
    a, b = _table(root1), _table(root2)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    # the stored run is the engine's run: run_one(params, seed) reproduces it from its row
    row = a.iloc[-1]
    params = build_params(
        BASE,
        {"strategy.political": row["strategy.political"], "strategy.smart": row["strategy.smart"]},
    )
    again = run_one(params, seed=int(row["seed"]), steps=10).model
    mine = a[a["run_id"] == row["run_id"]][again.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, again, check_exact=True)
    # run-level outcomes equal sim.metrics.summarise, run by run
    outs = run_outcomes(a).set_index("run_id")
    for rid, part in a.groupby("run_id"):
        want = summarise(part[again.columns].reset_index(drop=True))
        got = outs.loc[rid, list(want)].astype(float)
        pd.testing.assert_series_equal(got, pd.Series(want, name=rid), check_names=False)
    # one tidy table that DuckDB reads too
    duckdb = pytest.importorskip("duckdb")
    q = duckdb.sql(
        f"SELECT count(DISTINCT run_id) AS n FROM read_parquet('{root1}/parts/*.parquet')"
    ).df()
    assert q["n"].iloc[0] == 12


def test_a_short_joblib_launch_runs_in_this_process(results, capsys):
    """Worker processes take over a second to start: a launch with less work than
    ``batch.in_process_below_s`` runs inline, with the same rows; the setting turns it off."""
    launcher = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    e = experiment_from_config("sweep", SWEEP, BASE, 10)
    short, root = run_experiment(e, results / "short", launcher=launcher, progress=False)
    assert short.ok and short.in_process and short.batches == 1
    assert "runs/s, 1 job on joblib, in this process)" in capsys.readouterr().out
    e0 = experiment_from_config("sweep", {**SWEEP, "batch": {"in_process_below_s": 0}}, BASE, 10)
    spread, root0 = run_experiment(
        e0, results / "spread", launcher=launcher, progress=False, echo=None, analyse=False
    )
    assert spread.ok and not spread.in_process and spread.batches == 2
    pd.testing.assert_frame_equal(_table(root), _table(root0), check_exact=True)
    # fixed batches (no pilot, so no estimate) and other launchers are left as asked
    e1 = experiment_from_config("sweep", {**SWEEP, "batch": {"runs_per_job": 6}}, BASE, 10)
    fixed, _ = run_experiment(
        e1, results / "fixed", launcher=launcher, progress=False, echo=None, analyse=False
    )
    assert fixed.ok and not fixed.in_process and fixed.batches == 2


def test_progress_bar_counts_runs_from_the_store(results, capsys):
    """The bar (on stderr) is fed by the parts and failure records the jobs write."""
    e = experiment_from_config("sweep", {**SWEEP, "batch": {"runs_per_job": 4}}, BASE, 10)
    summary, _ = run_experiment(
        e,
        results,
        launcher=["hydra/launcher=basic"],
        progress=True,
        echo=None,
        analyse=False,
    )
    err = capsys.readouterr().err
    assert summary.ok and summary.batches == 3
    assert "12/12" in err and "run/s" in err.replace("s/run", "run/s")


def _finished(parts: Path) -> set[str]:
    from experiments.store import ResultStore

    return ResultStore(parts, failures=parts.parent / "failures").finished_ids()


def _wait_group_gone(pgid: int, timeout: float = 30.0) -> None:
    """Wait until no process of group ``pgid`` runs (zombies aside), at most ``timeout`` s."""
    from experiments.dataset import _alive

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        members = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text(encoding="ascii", errors="replace").rpartition(")")[2]
                if int(fields.split()[2]) == pgid:
                    members.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
        if not any(_alive(pid) for pid in members):
            return
        time.sleep(0.05)


def test_resume_after_sigkill_runs_exactly_the_missing_runs(results):
    """Kill a sweep (parent and workers) with SIGKILL mid-way; the rerun executes exactly the
    runs that are not stored, recomputes none, loses none, and never reads a torn file."""
    args = [
        "sweep",
        *TINY,
        "population.n_residents=300",
        "steps=25",
        "experiment.name=killed",
        "experiment.replications=8",
        "~experiment.design.params",
        "+experiment.design.params={strategy.political: [0.0, 0.25, 0.5, 0.75, 1.0]}",
        "experiment.batch.runs_per_job=4",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "--results-dir",
        str(results),
        "--no-report",
    ]
    parts = results / "killed" / "parts"
    proc = subprocess.Popen(
        subprocess_cmd(*args),
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if parts.is_dir() and len(_finished(parts)) >= 8:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: parent and workers
    finally:
        proc.wait(timeout=30)
    _wait_group_gone(proc.pid)  # a SIGKILLed worker takes a moment to exit under load
    planned = 5 * 8
    done_before = _finished(parts)
    assert 8 <= len(done_before) < planned
    # A torn part file under a final name (e.g. damaged on disk) is never read as finished.
    victim = sorted(parts.glob("part-*.parquet"))[0]
    victim_ids = set(pq.read_table(victim, columns=["run_id"]).column(0).to_pylist())
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    done_before = _finished(parts)
    assert not (victim_ids & done_before)
    missing = planned - len(done_before)

    launches_before = set((results / "killed" / "launches").iterdir())
    rerun = [a for a in args if a not in ("hydra/launcher=joblib", "hydra.launcher.n_jobs=2")]
    assert govsim(*rerun, "hydra/launcher=basic") == 0
    (new,) = set((results / "killed" / "launches").iterdir()) - launches_before
    summary = json.loads((new / "summary.json").read_text())
    assert summary["done"] == missing  # executed on rerun = runs missing
    assert summary["skipped"] == len(done_before)  # every finished run skipped
    assert summary["failed"] == summary["not_run"] == 0
    plan = json.loads((new / "plan.json").read_text())
    assert {r["run_id"] for r in plan["runs"]}.isdisjoint(done_before)  # none recomputed
    # every planned run stored exactly once (the torn file aside)
    victim.unlink()
    from experiments.store import ResultStore

    rows = ResultStore(parts, failures=parts.parent / "failures").read_all()
    assert rows["run_id"].nunique() == planned
    assert not rows.duplicated(["run_id", "step"]).any()
    # the rerun folded the one-run parts the killed jobs left into parts: a raw read of the
    # dataset (pandas, DuckDB) sees each run once, and no small files stay behind
    assert not list(parts.glob("*.run-*.parquet"))
    # temp files of the killed writers are gone (unless the pid was reused meanwhile)
    from experiments.dataset import _alive

    left = [
        p for p in parts.glob(".*.tmp-*") if not _alive(int(p.name.split(".tmp-")[1].split("-")[0]))
    ]
    assert not left
    raw = pd.read_parquet(parts)
    assert raw["run_id"].nunique() == planned and not raw.duplicated(["run_id", "step"]).any()
    # a third run has nothing to do
    assert govsim(*rerun, "hydra/launcher=basic") == 0


def _split_into_run_parts(part: Path) -> list[Path]:
    """Write each run of a job's part as a one-run part, as the job did before its merge."""
    table = pq.read_table(part)
    out = []
    for rid in sorted(set(table.column("run_id").to_pylist())):
        one = part.with_name(f"{part.stem}.run-{rid[:16]}.parquet")
        rows = table.filter(pc.equal(table.column("run_id"), rid))
        pq.write_table(rows, one)
        out.append(one)
    return out


def _basic_sweep(results: Path, runs_per_job: int) -> tuple[Any, Path]:
    """The 12-run sweep SWEEP in this process, in jobs of ``runs_per_job`` runs."""
    e = experiment_from_config("sweep", {**SWEEP, "batch": {"runs_per_job": runs_per_job}}, BASE, 6)
    summary, root = run_experiment(
        e, results, launcher=["hydra/launcher=basic"], progress=False, echo=None, analyse=False
    )
    assert summary.ok and summary.batches == 12 // runs_per_job
    return e, root


def test_tidy_run_parts_folds_leftovers_and_drops_copies_without_losing_rows(results):
    e, root = _basic_sweep(results, 6)
    parts = ExperimentPaths(root).parts
    want = _table(root)
    first, second = sorted(parts.glob("part-*.parquet"))
    # job 1 was killed between its merge and deleting its one-run parts: every run twice
    copies = _split_into_run_parts(first)
    # job 2 was killed before its merge: only its one-run parts exist
    orphans = _split_into_run_parts(second)
    second.unlink()
    raw = pd.read_parquet(parts)
    assert raw.duplicated(["run_id", "step"]).sum() == len(want) // 2  # seen by a raw read
    # … and one of those runs' files was torn (it is left alone, its run counts as missing)
    torn = orphans.pop()
    torn.write_bytes(torn.read_bytes()[:100])
    assert tidy_run_parts(parts) == (len(orphans), len(copies) + len(orphans))
    assert not [p for p in copies + orphans if p.exists()] and torn.exists()
    torn.unlink()
    got = _table(root)
    lost = set(want["run_id"]) - set(got["run_id"])
    assert len(lost) == 1  # the torn run, nothing else
    pd.testing.assert_frame_equal(
        got, want[want["run_id"].isin(got["run_id"])].reset_index(drop=True), check_exact=True
    )
    # tidying again changes nothing; a rerun runs exactly the lost run and leaves no leftovers
    assert tidy_run_parts(parts) == (0, 0)
    again, _ = run_experiment(
        e, results, launcher=["hydra/launcher=basic"], progress=False, echo=None, analyse=False
    )
    assert again.done == 1 and again.skipped == 11
    pd.testing.assert_frame_equal(_table(root), want, check_exact=True)


def test_tidy_run_parts_never_replaces_a_job_part(tmp_path):
    """A leftover run not in its job's part stays a one-run part (the job may be running)."""
    _, root = _basic_sweep(tmp_path, 12)
    parts = ExperimentPaths(root).parts
    (part,) = parts.glob("part-*.parquet")
    ones = _split_into_run_parts(part)
    table = pq.read_table(part)
    keep = ones[0]
    kept_id = pq.read_table(keep, columns=["run_id"]).column(0)[0].as_py()
    pq.write_table(table.filter(pc.not_equal(table.column("run_id"), kept_id)), part)
    before = part.read_bytes()
    assert tidy_run_parts(parts) == (0, len(ones) - 1)
    assert keep.exists() and part.read_bytes() == before
    assert pd.read_parquet(parts)["run_id"].nunique() == 12


BOOM = """
from sim.strategies import Efforts

class Boom:
    def __init__(self, params):
        self.fail = params.options.get("fail", 0.0) > 0.5

    def efforts(self, model):
        if self.fail and model.steps == 3:
            raise RuntimeError("boom at week 3")
        return Efforts()
"""


def test_a_failed_run_is_recorded_does_not_stop_the_rest_and_fails_the_exit(
    results, tmp_path, capsys
):
    plugin = tmp_path / "boom.py"
    plugin.write_text(BOOM)
    code = govsim(
        "sweep",
        *TINY,
        "experiment.name=boom",
        "experiment.replications=2",
        f"strategy.name={plugin}:Boom",
        "~experiment.design.params",
        "+experiment.design.params={strategy.options.fail: [0.0, 1.0]}",
        "hydra/launcher=basic",
        "--results-dir",
        str(results),
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "4 runs — 2 done, 0 skipped (already stored), 2 failed" in out
    paths = ExperimentPaths(results / "boom")
    failures = [json.loads(p.read_text()) for p in paths.store().failure_paths()]
    assert len(failures) == 2
    assert all("boom at week 3" in f["error"] for f in failures)
    e = json.loads(paths.spec.read_text())
    assert {f["seed"] for f in failures} == set(e["seeds"])
    rows = load_rows(paths.store())
    assert rows["run_id"].nunique() == 2 and (rows["strategy.options.fail"] == 0.0).all()
    assert "failed runs on record: 2" in paths.report.read_text()


def test_report_rebuilds_everything_from_the_store_alone(results, capsys):
    e = experiment_from_config("replicate", {"name": "rep", "replications": 4}, BASE, 8)
    summary, root = run_experiment(
        e, results, launcher=["hydra/launcher=basic"], progress=False, echo=None
    )
    assert summary.ok and len(plan_runs(e)) == 4
    paths = ExperimentPaths(root)
    before = {p.name: p.read_bytes() for p in paths.tables.glob("*.csv")}
    report = paths.report.read_text()
    import shutil

    shutil.rmtree(paths.tables)
    shutil.rmtree(paths.figures)
    paths.report.unlink()
    launches = sorted(paths.launches.iterdir())
    assert govsim("report", str(root)) == 0
    assert sorted(paths.launches.iterdir()) == launches  # nothing was run
    after = {p.name: p.read_bytes() for p in paths.tables.glob("*.csv")}
    assert after == before and paths.report.read_text() == report
    assert (paths.figures / "over_time.png").stat().st_size > 10_000
    table = pd.read_csv(paths.tables / "outcomes.csv").set_index("outcome")
    row = table.loc["final_mean_trust"]
    assert row["t_lo"] <= row["mean"] <= row["t_hi"]
    assert row["boot_lo"] <= row["mean"] <= row["boot_hi"]


def test_a_zombie_writer_is_not_alive():
    """A killed writer not yet reaped (a zombie) writes nothing more: its temp files are orphans."""
    from experiments.dataset import _alive

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        stat = Path(f"/proc/{child.pid}/stat")
        while time.monotonic() < deadline:
            if not stat.exists() or stat.read_text().rpartition(")")[2].split()[0] == "Z":
                break
            time.sleep(0.01)
        if stat.exists():  # a zombie until we reap it below
            assert not _alive(child.pid)
    finally:
        child.wait()
    assert not _alive(child.pid) and _alive(os.getpid())
