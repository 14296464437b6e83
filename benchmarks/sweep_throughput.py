"""Sweep throughput: runs/s on 1 core and on all cores, speed-up, per-job overhead.

Not a timed test: a script that prints (and with ``--json`` writes) its figures.

    python benchmarks/sweep_throughput.py                 # default community, 96 runs
    python benchmarks/sweep_throughput.py --runs 48 --residents 1000 --steps 52

It runs the same factorial sweep twice through the default Hydra launcher (joblib), with
``hydra.launcher.n_jobs=1`` and with one worker per core, each into a fresh results folder,
and reports:

* throughput (runs/s) = runs / wall time of the whole ``execute`` call (planning, pilot,
  launching, the runs, storing, accounting) and the speed-up of all cores over one;
* per-job overhead as % of work = (jobs × the fixed cost of one Hydra job + time inside jobs
  not spent simulating: loading the plan, writing parts) / time spent simulating. The fixed
  cost of a Hydra job is measured by launching empty jobs with Hydra's basic launcher.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def hydra_job_cost(n: int = 20) -> float:
    """Seconds of one Hydra job that runs nothing (config composition, job dir, 4 files)."""
    from experiments.launch import launch_batches
    from experiments.store import atomic_write_bytes

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        parts = Path(tmp) / "parts"
        atomic_write_bytes(
            json.dumps(
                {
                    "launch": "x",
                    "parts": str(parts),
                    "failures": str(Path(tmp) / "f"),
                    "steps": 1,
                    "base": {},
                    "columns": {},
                    "metrics": [],
                    "runs": [],
                    "batches": [[] for _ in range(n)],
                }
            ).encode(),
            plan,
        )
        launch_batches(plan, 1, Path(tmp) / "warm", ["hydra/launcher=basic"])
        t0 = time.perf_counter()
        launch_batches(plan, n, Path(tmp) / "jobs", ["hydra/launcher=basic"])
        return (time.perf_counter() - t0) / n


def sweep(results: Path, n_jobs: int, args: argparse.Namespace) -> dict:
    from experiments.runners import experiment_from_config, run_experiment
    from sim.params import build_params

    base = build_params(
        None, {"population.n_residents": args.residents, "strategy.name": "integrated"}
    )
    points = 8
    exp = {
        "name": f"bench-{n_jobs}",
        "replications": max(1, args.runs // points),
        "root_seed": 0,
        "design": {
            "kind": "factorial",
            "params": {
                "strategy.political": [0.0, 1.0],
                "strategy.smart": [0.0, 1.0],
                "opinions.mu": [0.2, 0.4],
            },
        },
    }
    e = experiment_from_config("sweep", exp, base, args.steps)
    summary, _ = run_experiment(
        e,
        results,
        launcher=["hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}"],
        progress=False,
        echo=None,
        analyse=False,
    )
    assert summary.ok, summary
    return {
        "n_jobs": n_jobs,
        "runs": summary.done,
        "jobs": summary.batches,
        "wall_s": summary.wall_s,
        "runs_per_s": summary.done / summary.wall_s,
        "work_s": summary.work_s,
        "in_job_overhead_s": summary.job_wall_s - summary.work_s,
        "write_s": summary.write_s,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=96, help="runs per sweep (8 points × R)")
    ap.add_argument("--residents", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    cost = hydra_job_cost()
    with tempfile.TemporaryDirectory() as tmp:
        one = sweep(Path(tmp) / "one", 1, args)
        many = sweep(Path(tmp) / "all", cores, args)
    out = {
        "machine": f"{platform.machine()}, {cores} cores, {platform.processor() or '?'}",
        "load_average_before": load,
        "python": platform.python_version(),
        "config": f"{args.residents} residents, {args.steps} weeks, {one['runs']} runs",
        "hydra_job_cost_s": cost,
        "one_core": one,
        "all_cores": many,
        "speedup": many["runs_per_s"] / one["runs_per_s"],
    }
    for key in ("one_core", "all_cores"):
        r = out[key]
        r["overhead_pct_of_work"] = 100 * (r["jobs"] * cost + r["in_job_overhead_s"]) / r["work_s"]
    print(f"machine: {out['machine']}; {out['config']}")
    print(
        f"load average (1 min) before: {out['load_average_before']:.2f}, after: "
        f"{os.getloadavg()[0]:.2f} — other processes on the machine slow the parallel sweep"
    )
    print(f"one Hydra job (basic launcher, no runs): {cost * 1000:.0f} ms")
    for key, label in (("one_core", "1 core"), (("all_cores"), f"{cores} cores")):
        r = out[key]
        print(
            f"{label:>8}: {r['runs_per_s']:.2f} runs/s ({r['runs']} runs in {r['wall_s']:.1f} s, "
            f"{r['jobs']} jobs); per-job overhead {r['overhead_pct_of_work']:.1f} % of work "
            f"(writes {100 * r['write_s'] / r['work_s']:.1f} %)"
        )
    print(f"speed-up: {out['speedup']:.2f}× on {cores} cores")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
