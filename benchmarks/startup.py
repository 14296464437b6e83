"""Start-up: what a user waits for before the first result, and what a sweep's workers cost.

Not a timed test: a script that prints its figures, each beside the baseline it is compared
with, and the ratio. Every figure is measured in fresh processes (a cold start is the point).

    python benchmarks/startup.py             # import, first runs, worker start-up, a 27-run sweep
    python benchmarks/startup.py --cold      # also with numba's cache empty (a fresh clone; ~1 min)
    python benchmarks/startup.py --reps 5    # more repetitions (median is printed)

Figures:

* **import** — ``from sim import run_one`` in a fresh interpreter.
* **first / second run** — one run of the default community (2,000 residents, 52 weeks) right
  after the import, then a second one, in the same fresh process. *Baseline*: the compiled
  kernels from the first call (``GOVSIM_JIT=always``, what the engine always did before);
  *now*: the default (``auto``: numpy until the process has simulated enough to earn back
  loading numba, ``sim._jit``). With ``--cold`` the same with an empty numba cache
  (``NUMBA_CACHE_DIR``), as on a fresh clone, where the baseline compiles every kernel.
* **govsim --help / govsim sweep --help** — the command line's start-up in a fresh process
  (``from govsim.cli import main``). The experiment verbs come from the kinds' metadata, read
  without importing the kinds (:func:`experiments.kinds.kind_infos`); compare with
  ``--baseline <ref>`` to see a change.
* **worker start-up** — as many fresh interpreters as cores, started at once, each importing
  what a joblib worker imports before its first job (govsim's runners, Hydra, the engine):
  seconds until the last is ready. ``experiments.execute.WORKER_STARTUP_S`` comes from here.
* **27-run sweep** — a 3 × 3 × 3 factorial sweep of 2,000-resident, 52-week runs through the
  default launcher (joblib, one worker per core). *Baseline*: on the workers
  (``experiment.batch.in_process_below_s=0``, what the earlier rule picked for it); *now*:
  whatever :func:`experiments.execute.prefer_in_process` picks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIRST_RUNS = """
import json, time
t0 = time.perf_counter()
from sim import run_one
t1 = time.perf_counter()
run_one(None, seed=1, steps=52)
t2 = time.perf_counter()
run_one(None, seed=2, steps=52)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_s": t2 - t1, "second_s": t3 - t2}))
"""

WORKER_IMPORTS = (
    "import experiments.launch, experiments.execute, experiments.runners, sim.run, hydra; "
    "print('ready', flush=True)"
)


def _env(tree: Path = ROOT, **extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def export_tree(ref: str, dest: Path) -> Path:
    """The source tree of git ``ref`` (the baseline code) unpacked under ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def first_runs(reps: int, tree: Path = ROOT, **env: str) -> dict[str, float]:
    """Median import, first- and second-run seconds in fresh processes (code of ``tree``)."""
    rows = []
    for _ in range(reps):
        proc = subprocess.run(
            [sys.executable, "-c", FIRST_RUNS],
            capture_output=True,
            text=True,
            env=_env(tree, **env),
            timeout=600,
            cwd=tree,
        )
        if proc.returncode:
            raise SystemExit(proc.stderr[-3000:])
        out = proc.stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


CLI = "import sys; from govsim.cli import main; sys.exit(main(sys.argv[1:]))"


def cli_seconds(reps: int, args: list[str], tree: Path = ROOT, **env: str) -> float:
    """Median wall seconds of ``govsim ARGS`` (code of ``tree``) in fresh processes."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CLI, *args],
            capture_output=True,
            text=True,
            env=_env(tree, **env),
            timeout=600,
            cwd=tree,
        )
        times.append(time.perf_counter() - t0)
        if proc.returncode:
            raise SystemExit(proc.stderr[-3000:])
    return statistics.median(times)


def worker_startup(reps: int, workers: int) -> float:
    """Median seconds until ``workers`` fresh interpreters started at once have imported."""
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER_IMPORTS], stdout=subprocess.PIPE, env=_env()
            )
            for _ in range(workers)
        ]
        for p in procs:
            p.communicate(timeout=600)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sweep_27(results: Path, forced_workers: bool) -> dict[str, float | bool]:
    """Wall seconds of a 27-run sweep, and whether it ran in this process."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from sweep_throughput import stop_worker_pool

    from experiments.runners import experiment_from_config, run_experiment
    from sim.params import build_params

    stop_worker_pool()
    exp = {
        "name": f"startup-27-{'workers' if forced_workers else 'auto'}",
        "replications": 1,
        "root_seed": 0,
        "design": {
            "kind": "factorial",
            "params": {
                "strategy.political": [0.0, 0.5, 1.0],
                "strategy.smart": [0.0, 0.5, 1.0],
                "opinions.mu": [0.2, 0.3, 0.4],
            },
        },
        "batch": {"in_process_below_s": 0} if forced_workers else {},
    }
    base = build_params(None, {"strategy.name": "integrated"})
    e = experiment_from_config("sweep", exp, base, 52)
    t0 = time.perf_counter()
    summary, _ = run_experiment(e, results, progress=False, echo=None, analyse=False)
    wall = time.perf_counter() - t0
    assert summary.ok and summary.done == 27, summary
    return {"wall_s": wall, "in_process": summary.in_process, "startup_s": summary.startup_s}


def _row(name: str, base: float, now: float, unit: str = "s") -> str:
    ratio = base / now if now > 0 else float("nan")
    return f"{name:<34s} {base:9.2f} {unit}  {now:9.2f} {unit}  {ratio:6.2f}×"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="also with an empty numba cache")
    ap.add_argument("--no-sweep", action="store_true", help="skip the 27-run sweep")
    ap.add_argument(
        "--baseline",
        metavar="GIT_REF",
        help="baseline = the code of this git ref (default: this code with GOVSIM_JIT=always)",
    )
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({cores} cores)")
    tmp_base = Path(tempfile.mkdtemp(prefix="govsim-startup-"))
    if args.baseline:
        base_tree, base_env = export_tree(args.baseline, tmp_base / "tree"), {}
        print(f"baseline: the code of {args.baseline} ({base_tree})")
    else:
        base_tree, base_env = ROOT, {"GOVSIM_JIT": "always"}
        print("baseline: this code with GOVSIM_JIT=always (compiled kernels from the first call)")
    # numba's caches warm (every kernel compiled once in each tree), as after a first run
    first_runs(1, base_tree, **{**base_env, "GOVSIM_JIT": "always"})
    first_runs(1, GOVSIM_JIT="always")
    # alternate baseline and now, so that a change in the machine's load hits both alike
    pairs = [
        (first_runs(1, base_tree, **base_env), first_runs(1, GOVSIM_JIT="auto"))
        for _ in range(args.reps)
    ]
    before, now = (
        {k: statistics.median(p[i][k] for p in pairs) for k in pairs[0][i]} for i in (0, 1)
    )
    head = f"figure (median of {args.reps})"
    print(f"{head:<34s} {'baseline':>11s}  {'now':>11s}  ratio")
    print(_row("import sim (from sim import run_one)", before["import_s"], now["import_s"]))
    print(_row("first run (2,000 × 52 weeks)", before["first_s"], now["first_s"]))
    print(_row("second run", before["second_s"], now["second_s"]))
    b_total = before["import_s"] + before["first_s"]
    n_total = now["import_s"] + now["first_s"]
    print(_row("import + first run", b_total, n_total))
    for cli in (["--help"], ["sweep", "--help"]):
        label = "govsim " + " ".join(cli)
        b, n = cli_seconds(args.reps, cli, base_tree), cli_seconds(args.reps, cli)
        print(_row(label, b, n))
    if args.cold:
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            cb = first_runs(1, base_tree, **base_env, NUMBA_CACHE_DIR=a)
            cn = first_runs(1, GOVSIM_JIT="auto", NUMBA_CACHE_DIR=b)
        print(_row("first run, empty numba cache", cb["first_s"], cn["first_s"]))
    ws = worker_startup(args.reps, cores)
    print(f"{'worker start-up (' + str(cores) + ' at once)':<34s} {ws:9.2f} s")
    if not args.no_sweep:
        with tempfile.TemporaryDirectory() as tmp:
            forced = sweep_27(Path(tmp) / "a", forced_workers=True)
            auto = sweep_27(Path(tmp) / "b", forced_workers=False)
        where = "this process" if auto["in_process"] else f"{cores} workers"
        print(_row(f"27-run sweep (now: {where})", forced["wall_s"], auto["wall_s"]))
        print(f"{'  workers ran their first job after':<34s} {forced['startup_s']:9.2f} s")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
