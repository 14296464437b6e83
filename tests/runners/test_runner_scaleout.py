"""Scale-out: the same experiment through Ray (a local Ray on 127.0.0.1) and SLURM (submitit).

The Ray test needs the ``ray`` extra (``pip install -e '.[ray]'``, ~330 MB installed), the SLURM
test the ``slurm`` extra; each is skipped cleanly without it (set ``GOVSIM_TEST_RAY=1`` to make a
missing Ray an error instead). No cluster is needed: SLURM's ``sbatch`` is
replaced by a stand-in that keeps the submission script submitit wrote and refuses the job.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from experiments.execute import ExperimentPaths
from experiments.runners import experiment_from_config, run_experiment
from sim.params import build_params

BASE = build_params(None, {"population.n_residents": 120})
EXP = {
    "name": "scale",
    "replications": 2,
    "root_seed": 1,
    "design": {"kind": "factorial", "params": {"opinions.mu": [0.2, 0.4]}},
}


def test_slurm_submission_script(tmp_path, monkeypatch):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    pytest.importorskip("submitit")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    copy = tmp_path / "submitted.sh"
    sbatch = bindir / "sbatch"
    sbatch.write_text(
        f'#!/bin/sh\ncp "$1" {copy}\necho "sbatch: error: no cluster here" >&2\nexit 1\n'
    )
    srun = bindir / "srun"  # submitit only checks that it exists
    srun.write_text("#!/bin/sh\nexit 1\n")
    for exe in (sbatch, srun):
        exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    e = experiment_from_config("sweep", EXP, BASE, 5)
    summary, _root = run_experiment(
        e,
        tmp_path / "results",
        launcher=[
            "hydra/launcher=submitit_slurm",
            "hydra.launcher.partition=cpu",
            "hydra.launcher.timeout_min=30",
            "hydra.launcher.cpus_per_task=1",
            "hydra.launcher.array_parallelism=8",
        ],
        progress=False,
        echo=None,
        analyse=False,
    )
    # the refused submission is reported, nothing is lost, and a rerun would resume
    assert not summary.ok and summary.not_run == 4 and "no cluster here" in summary.launch_error
    script = copy.read_text()
    assert script.startswith("#!/bin/bash")
    for line in (
        "#SBATCH --partition=cpu",
        "#SBATCH --time=30",
        "#SBATCH --cpus-per-task=1",
        f"#SBATCH --array=0-{summary.batches - 1}%{min(8, summary.batches)}",
    ):
        assert line in script
    assert "-m submitit.core._submit" in script
    launch = Path(summary.launch_dir)
    assert str(launch / "jobs" / ".submitit") in script  # logs and pickles beside the plan
    plan = json.loads((launch / "plan.json").read_text())
    assert sum(len(b) for b in plan["batches"]) == 4


def _need(module: str):
    """Import ``module`` or skip — unless GOVSIM_TEST_RAY=1 says the extra must be there."""
    if os.environ.get("GOVSIM_TEST_RAY") == "1":
        import importlib

        return importlib.import_module(module)
    return pytest.importorskip(module)


def test_ray_local_cluster(tmp_path):
    ray = _need("ray")
    _need("hydra_plugins.hydra_ray_launcher")
    e = experiment_from_config("sweep", EXP, BASE, 5)
    ray.init(
        address="local",
        _node_ip_address="127.0.0.1",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
    )
    try:
        s_ray, root_ray = run_experiment(
            e,
            tmp_path / "ray",
            launcher=["hydra/launcher=ray"],
            progress=False,
            echo=None,
            analyse=False,
        )
    finally:
        ray.shutdown()
    _s_basic, root_basic = run_experiment(
        e,
        tmp_path / "basic",
        launcher=["hydra/launcher=basic"],
        progress=False,
        echo=None,
        analyse=False,
    )
    assert s_ray.ok and s_ray.launcher == "ray" and s_ray.done == 4
    a = pd.read_parquet(ExperimentPaths(root_ray).parts).sort_values(["run_id", "step"])
    b = pd.read_parquet(ExperimentPaths(root_basic).parts).sort_values(["run_id", "step"])
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
