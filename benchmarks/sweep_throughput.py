"""Sweep throughput: runs/s on 1 core and on all cores, speed-up, per-job overhead.

Not a timed test: a script that prints (and with ``--json`` writes) its figures.

    python benchmarks/sweep_throughput.py                 # sweeps of 96 and 960 runs
    python benchmarks/sweep_throughput.py --runs 48 --residents 1000 --steps 52

For each sweep size it runs the same factorial sweep twice through the default Hydra launcher
(joblib), with ``hydra.launcher.n_jobs=1`` and with one worker per core, each into a fresh
results folder and with no worker processes left from an earlier sweep (as a ``govsim sweep``
command finds them), and reports:

* throughput (runs/s) = runs / wall time of the whole ``execute`` call (planning, pilot,
  launching, starting workers, the runs, storing, accounting) and the speed-up of all cores
  over one — the figure a user sees;
* the fixed part of that wall time (everything but the launcher running jobs) and, in it, the
  time from launching until the first job began (worker processes starting: importing Mesa,
  pandas and numba, loading the compiled kernels), and the speed-up once the jobs run;
* per-job overhead as % of work = (jobs × the fixed cost of one Hydra job + time inside jobs
  not spent simulating: loading the plan, writing parts) / time spent simulating. The fixed
  cost of a Hydra job is measured by launching empty jobs with Hydra's basic launcher.

The one-core sweep runs its jobs in this process (joblib with one job does), so it starts no
workers: the start-up is a fixed cost of the parallel sweep alone, and small sweeps show a
lower speed-up than large ones. The speed-up target is read at the largest size.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

if TYPE_CHECKING:
    from sim.params import Params


def hydra_job_cost(n: int = 20) -> float:
    """Seconds of one Hydra job that runs nothing (config composition, job dir, 4 files)."""
    from experiments.execute import batch_task
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
        basic = ["hydra/launcher=basic"]
        launch_batches(plan, 1, Path(tmp) / "warm", basic, task_function=batch_task)
        t0 = time.perf_counter()
        launch_batches(plan, n, Path(tmp) / "jobs", basic, task_function=batch_task)
        return (time.perf_counter() - t0) / n


def base_params(residents: int) -> Params:
    """The community every figure here is measured on: integrated leadership."""
    from sim.params import build_params

    return build_params(None, {"population.n_residents": residents, "strategy.name": "integrated"})


def warm_parent(args: argparse.Namespace) -> None:
    """Import the runners and load the engine's compiled kernels in this process."""
    from experiments.execute import pilot_seconds
    from experiments.runners import run_experiment  # noqa: F401

    pilot_seconds(base_params(args.residents), {}, 3)


def stop_worker_pool() -> None:
    """Shut joblib's reusable worker pool down, so each sweep starts its workers cold.

    Hydra's joblib launcher runs jobs on loky's reusable executor, which outlives a sweep for
    ``idle_worker_timeout`` (300 s): a second sweep in the same process would find warm workers
    — which a ``govsim sweep`` command, a fresh process, never does.
    """
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)
    reusable_executor._executor = None


def sweep(results: Path, n_jobs: int, runs: int, args: argparse.Namespace) -> dict:
    from experiments.runners import experiment_from_config, run_experiment

    stop_worker_pool()
    base = base_params(args.residents)
    points = 8
    exp = {
        "name": f"bench-{runs}-{n_jobs}",
        "replications": max(1, runs // points),
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
    running = max(summary.launch_s - summary.startup_s, 1e-9)
    return {
        "n_jobs": n_jobs,
        "runs": summary.done,
        "jobs": summary.batches,
        "in_process": summary.in_process,
        "wall_s": summary.wall_s,
        "runs_per_s": summary.done / summary.wall_s,
        "fixed_s": summary.wall_s - running,
        "startup_s": summary.startup_s,
        "running_runs_per_s": summary.done / running,
        "work_s": summary.work_s,
        "in_job_overhead_s": summary.job_wall_s - summary.work_s,
        "write_s": summary.write_s,
    }


def _timed_runs(barrier, n: int, residents: int, steps: int, out) -> None:
    from sim.run import run_one

    params = base_params(residents)
    run_one(params, seed=0, steps=2)  # imports done, kernels loaded
    barrier.wait()
    t0 = time.perf_counter()
    for seed in range(1, n + 1):
        run_one(params, seed=seed, steps=steps)
    out.put(time.perf_counter() - t0)


def machine_ceiling(args: argparse.Namespace, cores: int, seconds: float = 3.0) -> float:
    """How many times one process's throughput ``cores`` processes reach side by side.

    Each process warms up, waits at a barrier, then runs the same runs, about ``seconds`` of
    them (no runner, no Hydra, no storing): what the machine allows a sweep at best, right now.
    """
    from experiments.execute import pilot_seconds

    n = min(
        200, max(4, math.ceil(seconds / pilot_seconds(base_params(args.residents), {}, args.steps)))
    )
    ctx = multiprocessing.get_context("spawn")

    def wall(k: int) -> float:
        barrier, out = ctx.Barrier(k), ctx.Queue()
        procs = [
            ctx.Process(target=_timed_runs, args=(barrier, n, args.residents, args.steps, out))
            for _ in range(k)
        ]
        for p in procs:
            p.start()
        times = [out.get() for _ in procs]
        for p in procs:
            p.join()
        return max(times)

    return cores * wall(1) / wall(cores)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--runs",
        type=int,
        nargs="+",
        default=[96, 960],
        help="sweep sizes (runs; 8 points × R each); the speed-up target is read at the largest",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each size this many times (1 core and all cores in turn); the median "
        "speed-up is reported, with the range",
    )
    ap.add_argument("--residents", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    cost = hydra_job_cost()
    warm_parent(args)  # so the first sweep timed does not pay the parent's one-off start-up
    sizes = []
    with tempfile.TemporaryDirectory() as tmp:
        for runs in args.runs:
            pairs = []
            for rep in range(max(1, args.repeat)):
                ceiling = machine_ceiling(args, cores)
                one = sweep(Path(tmp) / f"one-{runs}-{rep}", 1, runs, args)
                many = sweep(Path(tmp) / f"all-{runs}-{rep}", cores, runs, args)
                for r in (one, many):
                    r["overhead_pct_of_work"] = (
                        100 * (r["jobs"] * cost + r["in_job_overhead_s"]) / r["work_s"]
                    )
                pairs.append(
                    {
                        "runs": one["runs"],
                        "one_core": one,
                        "all_cores": many,
                        "speedup": many["runs_per_s"] / one["runs_per_s"],
                        "running_speedup": many["running_runs_per_s"] / one["running_runs_per_s"],
                        "machine_ceiling": ceiling,
                    }
                )
            pairs.sort(key=lambda p: p["speedup"])
            size = dict(pairs[len(pairs) // 2])
            size["speedups"] = [p["speedup"] for p in pairs]
            size["ceilings"] = [p["machine_ceiling"] for p in pairs]
            sizes.append(size)
    out = {
        "machine": f"{platform.machine()}, {cores} cores, {platform.processor() or '?'}",
        "load_average_before": load,
        "load_average_after": os.getloadavg()[0],
        "python": platform.python_version(),
        "config": f"{args.residents} residents, {args.steps} weeks",
        "hydra_job_cost_s": cost,
        "sizes": sizes,
    }
    print(f"machine: {out['machine']}; {out['config']} per run")
    print(
        f"load average (1 min) before: {load:.2f}, after: {out['load_average_after']:.2f} — "
        "other processes on the machine slow the parallel sweep"
    )
    print(f"one Hydra job (basic launcher, no runs): {cost * 1000:.0f} ms")
    for size in sizes:
        reps = len(size["speedups"])
        print(f"sweep of {size['runs']} runs" + (f" (median of {reps}):" if reps > 1 else ":"))
        for key, label in (("one_core", "1 core"), ("all_cores", f"{cores} cores")):
            r = size[key]
            print(
                f"  {label:>8}: {r['runs_per_s']:.2f} runs/s ({r['wall_s']:.1f} s, {r['jobs']} "
                f"jobs{' in this process' if r['in_process'] else ''}; fixed {r['fixed_s']:.2f} s"
                f" of which workers starting "
                f"{r['startup_s']:.2f} s); overhead {r['overhead_pct_of_work']:.1f} % of work "
                f"(writes {100 * r['write_s'] / r['work_s']:.1f} %)"
            )
        spread = ""
        if reps > 1:
            spread = f" [range {min(size['speedups']):.2f}–{max(size['speedups']):.2f}×]"
        print(
            f"  speed-up: {size['speedup']:.2f}× on {cores} cores{spread} "
            f"(once running: {size['running_speedup']:.2f}×; the machine allows "
            f"{size['machine_ceiling']:.2f}×: {cores} processes simulating side by side)"
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
