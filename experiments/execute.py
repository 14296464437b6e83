"""Plan, launch and account for the runs of an experiment — resumably.

Every verb (replicate, sweep, compare, sensitivity, optimise) turns its configuration into a
list of :class:`RunSpec` (parameters relative to a base, a seed, descriptive tags) and hands it
to :func:`execute`, which

1. drops every run already in the result store (a run's identity is
   :func:`run_identity` — its full parameters, its number of steps and its seed — never its
   position in the experiment, so reordering, extending or re-planning an experiment reuses
   what is stored);
2. groups the remaining runs into batches big enough that a job's fixed cost (a Hydra job costs
   ~0.15 s and writes 4 files) stays a few per cent of its work, measured with a short pilot;
3. writes the plan file and launches one Hydra job per batch (:mod:`experiments.launch`);
4. in each job, runs the batch and publishes *each* finished run at once as a one-run Parquet
   part (temp name + rename), so a SIGKILL loses at most the runs in flight and a partly
   written file is never read; at its end the job merges them into the batch's part. A run
   that raises is recorded in ``failures/`` with its error and seed, and the batch goes on.
   What killed jobs leave (unmerged one-run parts, or copies of merged ones) is tidied before
   the next launch (:func:`tidy_run_parts`);
5. shows a progress bar over runs with ETA (by watching the store), and prints one summary
   line: runs done, skipped, failed, wall time.

The store of an experiment is ``results/<name>/parts/``: a Parquet dataset with one tidy table
(``run_id``, tags, varied parameters, ``seed``, ``step``, one column per outcome) that
``pandas.read_parquet`` and DuckDB read directly. Before each launch, under the experiment's
lock, :func:`experiments.dataset.prepare` keeps it the current design, each run once, in one
schema (runs of earlier designs or other model versions move to ``archive/``).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.engines import make_model
from sim.metrics import MODEL_METRICS
from sim.params import Params, build_params, flatten, to_dict
from sim.run import run_one

from .dataset import (
    Prepared,
    arrow_value,
    build_schema,
    column_types,
    experiment_lock,
    field_docs,
    prepare,
)
from .launch import launch_batches, launcher_config, workers_of
from .provenance import provenance
from .store import (
    ResultStore,
    atomic_write_bytes,
    atomic_write_parquet,
    current_versions,
    run_key,
    versioned_id,
)

__all__ = [
    "IN_PROCESS_BELOW_S",
    "JOB_OVERHEAD_S",
    "WORKER_STARTUP_S",
    "ExecutionSummary",
    "ExperimentPaths",
    "RunSpec",
    "column_types",
    "execute",
    "free_cores",
    "identity_key",
    "make_runs",
    "prefer_in_process",
    "run_batch",
    "run_identity",
    "tidy_run_parts",
]


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentPaths:
    """Where one experiment keeps its files (``results/<name>/``)."""

    root: Path

    @property
    def parts(self) -> Path:
        """The Parquet dataset of per-step rows (one part file per batch)."""
        return self.root / "parts"

    @property
    def manifest(self) -> Path:
        """The runs of the current design (``run_id``, ``stored_id``, seed, versions)."""
        return self.root / "manifest.parquet"

    @property
    def archive(self) -> Path:
        """Stored runs the current design does not contain (experiments.dataset)."""
        return self.root / "archive"

    @property
    def failures(self) -> Path:
        """One JSON record per failed run (error, traceback, seed, parameters)."""
        return self.root / "failures"

    @property
    def launches(self) -> Path:
        """One folder per launch: plan, Hydra job folders, summary."""
        return self.root / "launches"

    @property
    def tables(self) -> Path:
        """Aggregated tables (CSV, Markdown, Parquet)."""
        return self.root / "tables"

    @property
    def figures(self) -> Path:
        """Figures (PNG)."""
        return self.root / "figures"

    @property
    def spec(self) -> Path:
        """The experiment's resolved configuration (what ``govsim report`` re-reads)."""
        return self.root / "experiment.json"

    @property
    def report(self) -> Path:
        """The Markdown report."""
        return self.root / "report.md"

    def store(self) -> ResultStore:
        """The experiment's result store."""
        return ResultStore(self.parts, failures=self.failures)


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSpec:
    """One run to do: parameters (as overrides of the experiment's base), seed, tags.

    Attributes:
        run_id: Identity (:func:`run_identity`: parameters, weeks, seed, model versions).
        seed: Integer seed (``run_one(params, seed=seed)`` reproduces the run).
        overrides: ``{dotted name: value}`` relative to the base parameters.
        tags: Descriptive columns of the tidy table (``point``, ``replicate``, ``condition``, …).
        key: The version-free part of the identity (:func:`experiments.store.run_key`), to
            find the same run stored by another model version.
    """

    run_id: str
    seed: int
    overrides: dict[str, Any]
    tags: dict[str, Any] = field(default_factory=dict)
    key: str = ""


#: Engine settings that change neither outcomes nor random numbers (left out of identities).
#: ``engine.kind`` stays in: another engine draws other random numbers for the same seed.
NOT_IN_IDENTITY = ("engine.agent_views_max", "engine.collect_agents_every")


def _identity_params(params: Params, steps: int) -> dict[str, Any]:
    flat = {k: v for k, v in flatten(params).items() if k not in NOT_IN_IDENTITY}
    flat["_steps"] = int(steps)
    return flat


def identity_key(params: Params, seed: int, steps: int) -> str:
    """The version-free part of :func:`run_identity` (:attr:`RunSpec.key`)."""
    return run_key(_identity_params(params, steps), int(seed))


def run_identity(params: Params, seed: int, steps: int) -> str:
    """A run's identity: hash of its full parameters (view/snapshot settings aside), steps, seed
    and the model and metric versions (:mod:`sim.version`)."""
    return versioned_id(identity_key(params, seed, steps), current_versions())


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def make_runs(
    base: Params,
    points: Sequence[Mapping[str, Any]],
    point_params: Sequence[Params],
    seeds: Sequence[int],
    steps: int,
    tags: Sequence[Mapping[str, Any]] | None = None,
    *,
    replicate_overrides: Sequence[Mapping[str, Any]] | None = None,
) -> list[RunSpec]:
    """Cross design points with replicate seeds (common random numbers across points).

    Args:
        base: The base parameters.
        points: Overrides of each point.
        point_params: The validated parameters of each point (from
            :func:`experiments.design.validate_points`).
        seeds: Replicate seeds (the same for every point).
        steps: Weeks per run.
        tags: Extra tags per point (``point`` and ``replicate`` are always set).
        replicate_overrides: Overrides of each replicate under every point's own (one per
            seed): the posterior draws of ``experiment.posterior``
            (:mod:`experiments.posterior`). Replicate ``r`` of every point then runs the base
            with draw ``r`` and the point's settings on top.

    Returns:
        One :class:`RunSpec` per (point, replicate), point-major.

    Raises:
        ValueError: ``replicate_overrides`` of another length than ``seeds``, or a
            combination of a draw and a point that the schema refuses.
    """
    runs = []
    versions = current_versions()
    if replicate_overrides is not None and len(replicate_overrides) != len(seeds):
        raise ValueError(
            f"make_runs: {len(replicate_overrides)} replicate overrides for {len(seeds)} seeds"
        )
    for i, (ov, params) in enumerate(zip(points, point_params, strict=True)):
        flat = _identity_params(params, steps)
        extra = dict(tags[i]) if tags else {}
        clean = {k: _plain(v) for k, v in ov.items()}
        for r, seed in enumerate(seeds):
            run_ov = clean
            if replicate_overrides is not None:
                run_ov = {**{k: _plain(v) for k, v in replicate_overrides[r].items()}, **clean}
                full = build_params(base, run_ov, unread="reset")
                key = run_key(_identity_params(full, steps), int(seed))
            else:
                key = run_key(flat, int(seed))
            runs.append(
                RunSpec(
                    run_id=versioned_id(key, versions),
                    seed=int(seed),
                    overrides=run_ov,
                    tags={"point": i, "replicate": r, **extra},
                    key=key,
                )
            )
    return runs


def _schema_of(plan: Mapping[str, Any]) -> pa.Schema:
    meta = plan.get("schema_meta") or {}
    return build_schema(plan["columns"], plan["metrics"], **meta)


def _rows(spec: Mapping[str, Any], model: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    n = len(model)
    data: dict[str, Any] = {}
    values = {**spec["overrides"], **spec["tags"]}
    for f in schema:
        name = f.name
        if name == "run_id":
            data[name] = pa.array([spec["run_id"]] * n, pa.string())
        elif name == "seed":
            data[name] = pa.array([spec["seed"]] * n, pa.int64())
        elif name == "step":
            data[name] = pa.array(model["step"].to_numpy(dtype=np.int64), pa.int64())
        elif name in model.columns:
            data[name] = pa.array(model[name].to_numpy(dtype=np.float64), pa.float64())
        elif f.type == pa.float64() and name in MODEL_METRICS:
            data[name] = pa.nulls(n, pa.float64())
        else:
            data[name] = pa.array([arrow_value(values.get(name), f.type)] * n, f.type)
    return pa.table(data, schema=schema)


# --------------------------------------------------------------------------------------------
# The worker side
# --------------------------------------------------------------------------------------------

_PLAN_CACHE: dict[str, tuple[float, dict, Params]] = {}


def _load_plan(path: str) -> tuple[dict, Params]:
    mtime = os.stat(path).st_mtime
    hit = _PLAN_CACHE.get(path)
    if hit and hit[0] == mtime:
        return hit[1], hit[2]
    with open(path, encoding="utf-8") as fh:
        plan = json.load(fh)
    base = build_params(plan["base"])
    _PLAN_CACHE.clear()
    _PLAN_CACHE[path] = (mtime, plan, base)
    return plan, base


def run_batch(plan_path: str, batch: int) -> dict:
    """Run batch ``batch`` of a plan file; store rows after every run; record failures.

    Safe to run twice (a launcher that re-submits a job): the runs already in the batch's part
    file are kept and not run again.

    Returns:
        ``{"batch", "done", "failed", "work_s", "write_s", "wall_s", "started", "ended"}``
        (the last two: wall-clock times, seconds since the epoch, of the job's start and end).
    """
    t_start = time.perf_counter()
    started = time.time()
    plan, base = _load_plan(plan_path)
    store = ResultStore(plan["parts"], failures=plan["failures"])
    schema = _schema_of(plan)
    name = f"part-{plan['launch']}-{batch:05d}"
    part = Path(plan["parts"]) / f"{name}.parquet"
    tables: list[pa.Table] = []
    have: set[str] = set()
    # What an earlier attempt of this job stored (a re-submitted job): the batch's part and the
    # one-run parts it had not yet merged. Unreadable files are skipped: their runs run again.
    earlier = [part] if part.exists() else []
    earlier += sorted(Path(plan["parts"]).glob(f"{name}.run-*.parquet"))
    for f in earlier:
        try:
            old = pq.read_table(f).cast(schema)
        except Exception:
            continue
        ids = set(old.column("run_id").to_pylist())
        if not ids <= have:
            tables.append(old)
            have |= ids
    done = failed = 0
    work = write = 0.0
    run_parts: list[Path] = []
    todo = [i for i in plan["batches"][batch] if plan["runs"][i]["run_id"] not in have]
    for idx in todo:
        spec = plan["runs"][idx]
        t0 = time.perf_counter()
        try:
            params = (
                build_params(base, spec["overrides"], unread="reset") if spec["overrides"] else base
            )
            result = run_one(params, seed=int(spec["seed"]), steps=int(plan["steps"]))
            table = _rows(spec, result.model, schema)
        except Exception as exc:
            work += time.perf_counter() - t0
            store.record_failure(
                spec["run_id"],
                int(spec["seed"]),
                {"overrides": spec["overrides"], "tags": spec["tags"], "steps": plan["steps"]},
                exc,
            )
            failed += 1
            continue
        t1 = time.perf_counter()
        work += t1 - t0
        tables.append(table)
        # Every finished run is published at once as a one-run part (atomic rename: a killed
        # job loses only the run in flight); the job merges them into its part at the end.
        one = Path(plan["parts"]) / f"{name}.run-{spec['run_id'][:16]}.parquet"
        atomic_write_parquet(table, one, durable=False)
        run_parts.append(one)
        if spec["run_id"] in plan.get("retry", ()):
            store.clear_failures([spec["run_id"]])
        write += time.perf_counter() - t1
        done += 1
    t1 = time.perf_counter()
    if done or len(earlier) > 1:
        # One durable part per job; then the one-run parts go (readers drop the duplicate
        # rows of the moment in between: a run is identified by run_id and step).
        atomic_write_parquet(pa.concat_tables(tables), part)
        for f in {*run_parts, *earlier} - {part}:
            f.unlink(missing_ok=True)
    write += time.perf_counter() - t1
    return {
        "batch": batch,
        "done": done,
        "failed": failed,
        "work_s": work,
        "write_s": write,
        "wall_s": time.perf_counter() - t_start,
        "started": started,
        "ended": time.time(),
    }


def batch_task(cfg: Any) -> dict:
    """Hydra task function of one job: run batch ``cfg.batch`` of plan ``cfg.plan``."""
    return run_batch(str(cfg.plan), int(cfg.batch))


def _ids(path: Path) -> set[str] | None:
    try:
        return set(pq.read_table(path, columns=["run_id"]).column(0).to_pylist())
    except Exception:  # unreadable: left for ResultStore.scan to report
        return None


def tidy_run_parts(parts: Path | str) -> tuple[int, int]:
    """Fold the one-run parts that killed jobs left behind into parts; delete stored copies.

    A job publishes each finished run as ``<job>.run-<id>.parquet`` and, at its end, merges them
    into ``<job>.parquet`` and deletes them. A job killed before its merge leaves its one-run
    parts (valid results, one small file each); one killed between the merge and the deletions
    leaves each of those runs stored twice. Called before every launch, this

    * writes the one-run parts of a job that has no ``<job>.parquet`` into that file (never
      replacing one: a job still running elsewhere writes it itself, with every run it has
      done, so whichever write lands last holds these runs), then
    * deletes each one-run part whose runs are all in ``<job>.parquet``.

    Rows are never lost: a one-run part goes only once a readable part holds its runs.

    Returns:
        ``(folded, removed)``: one-run parts written into a job part, one-run parts deleted.
    """
    root = Path(parts)
    groups: dict[str, list[Path]] = {}
    for path in root.glob("part-*.run-*.parquet"):
        if not path.name.startswith("."):
            groups.setdefault(path.name.split(".run-", 1)[0], []).append(path)
    folded = removed = 0
    for stem, ones in sorted(groups.items()):
        job = root / f"{stem}.parquet"
        if not job.exists():
            tables = []
            for path in sorted(ones):
                try:
                    tables.append(pq.read_table(path))
                except Exception:
                    continue
            if tables:
                try:
                    merged = pa.concat_tables(tables, promote_options="default")
                    atomic_write_parquet(merged, job, overwrite=False)
                    folded += len(tables)
                except FileExistsError:  # its job (or another launch) wrote it just now
                    pass
                except Exception:  # different schemas, a full disk …: leave them as they are
                    continue
        stored = _ids(job) if job.exists() else None
        if not stored:
            continue
        for path in ones:
            mine = _ids(path)
            if mine is not None and mine <= stored:
                path.unlink(missing_ok=True)
                removed += 1
    return folded, removed


# --------------------------------------------------------------------------------------------
# The launching side
# --------------------------------------------------------------------------------------------


@dataclass
class ExecutionSummary:
    """The accounting of one :func:`execute` call (also written to the launch's ``summary.json``).

    Run counts: ``planned`` (distinct runs asked for), ``skipped`` (already stored), ``done``,
    ``failed``, ``not_run`` (lost with a job or a launcher error). Times, in seconds:
    ``wall_s`` (the whole call), ``launch_s`` (the launcher's part of it), ``startup_s`` (from
    launching until the first job began: starting worker processes), and summed over jobs
    ``work_s`` (simulating), ``write_s`` (storing rows) and ``job_wall_s`` (whole jobs).
    ``in_process``: a short joblib launch ran in the calling process (see :func:`execute`).
    """

    planned: int
    skipped: int
    done: int
    failed: int
    not_run: int
    wall_s: float
    batches: int = 0
    runs_per_job: int = 0
    launcher: str = ""
    job_errors: list[str] = field(default_factory=list)
    launch_error: str = ""
    launch_dir: str = ""
    work_s: float = 0.0
    write_s: float = 0.0
    job_wall_s: float = 0.0
    launch_s: float = 0.0
    startup_s: float = 0.0
    in_process: bool = False

    @property
    def ok(self) -> bool:
        """Whether every planned run is now in the store."""
        return self.failed == 0 and self.not_run == 0 and not self.launch_error

    def line(self, name: str) -> str:
        """The one-line summary printed at the end."""
        rate = self.done / self.wall_s if self.wall_s > 0 else float("nan")
        text = (
            f"{name}: {self.planned} runs — {self.done} done, {self.skipped} skipped "
            f"(already stored), {self.failed} failed"
        )
        if self.not_run:
            text += f", {self.not_run} not run"
        text += f"; wall {self.wall_s:.1f} s"
        if self.done:
            where = f"{self.launcher}, in this process" if self.in_process else self.launcher
            jobs = f"{self.batches} job{'' if self.batches == 1 else 's'}"
            text += f" ({rate:.2f} runs/s, {jobs} on {where})"
        return text


def _launcher_name(launcher: Mapping[str, Any]) -> str:
    target = str(launcher.get("_target_", "?")).rsplit(".", 1)[-1]
    return target.replace("Launcher", "").lower() or "?"


#: Below this many seconds of estimated work a joblib launch always runs in the calling
#: process. ``experiment.batch.in_process_below_s`` sets it (0: never in this process).
IN_PROCESS_BELOW_S = 3.0

#: Seconds from launching joblib workers until they run their first job: each is a fresh
#: interpreter importing Mesa, pandas, Hydra and govsim, the workers at once on the machine's
#: cores. Assumed, between what ``benchmarks/startup.py`` and ``sweep_throughput.py`` measured
#: on a 2-core machine: 1.3–1.8 s idle, 11.5–17.3 s at load 4–8 (benchmarks/README.md).
WORKER_STARTUP_S = 6.0

#: Seconds one Hydra job costs beyond its runs (``benchmarks/sweep_throughput.py``).
JOB_OVERHEAD_S = 0.15


def prefer_in_process(
    n_runs: int,
    run_s: float,
    workers: int,
    *,
    startup_s: float = WORKER_STARTUP_S,
    job_overhead_s: float = JOB_OVERHEAD_S,
    always_below_s: float = IN_PROCESS_BELOW_S,
    target_job_s: float = 10.0,
    free_cores: float | None = None,
) -> bool:
    """Whether a joblib launch finishes sooner in this process than on ``workers`` workers.

    In this process: ``n_runs × run_s`` plus the jobs' overhead (this process is warm: the
    pilot ran here). On workers: their start-up, then the work and the jobs shared among the
    ``w = min(workers, free_cores)`` cores they can actually use:
    ``startup_s + ⌈jobs / workers⌉ × job_overhead_s + n_runs × run_s / w``. Work below
    ``always_below_s`` stays here whatever the estimate; ``always_below_s = 0`` never does.

    Args:
        n_runs: Runs to do.
        run_s: Seconds per run (the pilot's estimate).
        workers: Worker processes the launcher would start.
        startup_s: Seconds until the workers run their first job.
        job_overhead_s: Fixed seconds per Hydra job.
        always_below_s: Work (s) below which this process is always chosen; 0: never.
        target_job_s: Seconds of work per job (as :func:`plan_batches`).
        free_cores: Cores not busy with other processes (:func:`free_cores`); ``None``: as
            many as ``workers``. With one or fewer, workers cannot be faster.

    Returns:
        True to run in this process (one job runner, no workers).
    """
    if always_below_s <= 0:
        return False
    if workers <= 1 or n_runs <= 0:
        return True
    total = n_runs * max(run_s, 0.0)
    if total < always_below_s:
        return True
    usable = float(workers) if free_cores is None else min(float(workers), free_cores)
    if usable <= 1.0:
        return True
    serial_jobs = plan_batches(n_runs, run_s, 1, target_job_s=target_job_s)
    jobs = plan_batches(n_runs, run_s, workers, target_job_s=target_job_s)
    serial = total + serial_jobs * job_overhead_s
    parallel = startup_s + math.ceil(jobs / workers) * job_overhead_s + total / usable
    return serial <= parallel


def free_cores() -> float:
    """Cores not busy with other processes: the core count less the 1-minute load average
    beyond the one this process (its pilot just ran) accounts for; ``inf`` where unknown."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return math.inf
    return max(0.0, cores - max(0.0, load - 1.0))


def pilot_seconds(base: Params, overrides: Mapping[str, Any], steps: int) -> float:
    """Estimated seconds of one run: build a model and time a few steps (after a warm-up)."""
    params = build_params(base, dict(overrides), unread="reset")
    make_model(params, rng=0).step()  # warm caches / compiled kernels
    t0 = time.perf_counter()
    model = make_model(params, rng=1)
    t1 = time.perf_counter()
    k = min(3, max(1, steps))
    for _ in range(k):
        model.step()
    t2 = time.perf_counter()
    return (t1 - t0) + steps * (t2 - t1) / k


def plan_batches(
    n_runs: int,
    run_seconds: float,
    workers: int,
    *,
    target_job_s: float = 10.0,
    runs_per_job: int | None = None,
) -> int:
    """Number of jobs for ``n_runs`` runs of ``run_seconds`` each on ``workers`` workers.

    Each job should hold about ``target_job_s`` of work, so the ~0.15 s a Hydra job costs stays
    near 1–2 % of it, yet there should be at least one job per worker (and a whole number of
    rounds of ``workers`` jobs) so every worker has work until the end.
    """
    if n_runs <= 0:
        return 0
    if runs_per_job:
        return max(1, math.ceil(n_runs / int(runs_per_job)))
    total = max(run_seconds, 1e-6) * n_runs
    jobs = max(math.ceil(total / target_job_s), min(workers, n_runs))
    if jobs > workers:
        jobs = math.ceil(jobs / workers) * workers
    return min(jobs, n_runs)


class _Progress:
    """A progress bar over runs, fed by watching this launch's part files and failures."""

    def __init__(self, paths: ExperimentPaths, launch: str, ids: set[str], show: bool) -> None:
        self.paths, self.launch, self.ids = paths, launch, ids
        self.cache: dict[Path, tuple[int, int, frozenset[str]]] = {}
        self.stop = threading.Event()
        self.bar = None
        if show:
            from tqdm import tqdm

            self.bar = tqdm(total=len(ids), unit="run", file=sys.stderr, dynamic_ncols=True)
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def count(self) -> tuple[int, int]:
        done: set[str] = set()
        for path in self.paths.parts.glob(f"part-{self.launch}-*.parquet"):
            try:
                st = path.stat()
            except OSError:  # merged and deleted since the listing
                continue
            key = (st.st_mtime_ns, st.st_size)
            hit = self.cache.get(path)
            if hit is None or hit[:2] != key:
                ids = _ids(path)
                if ids is None:  # replaced or half-visible: counted at the next poll
                    continue
                self.cache[path] = (*key, frozenset(ids))
            done |= self.cache[path][2]
        failed = 0
        if self.paths.failures.is_dir():
            failed = sum(1 for p in self.paths.failures.glob("*.json") if p.stem in self.ids)
        return len(done & self.ids), failed

    def _loop(self) -> None:
        while not self.stop.wait(0.5):
            self.update()

    def update(self) -> None:
        if self.bar is None:
            return
        done, failed = self.count()
        self.bar.n = done + failed
        if failed:
            self.bar.set_postfix_str(f"{failed} failed", refresh=False)
        self.bar.refresh()

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.bar is not None:
            self.thread.join()
            self.update()
            self.bar.close()


def _show_progress(progress: bool | str) -> bool:
    if isinstance(progress, str):
        if progress == "auto":
            return sys.stderr.isatty()
        return progress.lower() in ("true", "1", "yes", "on")
    return bool(progress)


def execute(
    name: str,
    paths: ExperimentPaths,
    base: Params,
    steps: int,
    runs: Sequence[RunSpec],
    *,
    launcher: Sequence[str] = (),
    progress: bool | str = "auto",
    target_job_s: float = 10.0,
    runs_per_job: int | None = None,
    in_process_below_s: float = IN_PROCESS_BELOW_S,
    worker_startup_s: float = WORKER_STARTUP_S,
    echo: Callable[[str], None] | None = print,
    columns: Mapping[str, str] | None = None,
    on_model_change: str = "refuse",
    full_design: bool = True,
    before_launch: Callable[[], None] | None = None,
) -> ExecutionSummary:
    """Run every run of ``runs`` that is not in the store yet, through a Hydra launcher.

    Args:
        name: The experiment's name (for messages).
        paths: Its folders.
        base: Base parameters the runs' overrides apply to.
        steps: Weeks per run.
        runs: The experiment's runs (finished ones are skipped).
        launcher: Hydra overrides choosing the launcher (``["hydra/launcher=ray"]``, …);
            default joblib with one worker per core.
        progress: Progress bar: ``"auto"`` (on a terminal), True or False.
        target_job_s: Seconds of work per job (batches are sized for it).
        runs_per_job: Fixed batch size instead.
        in_process_below_s: A joblib launch whose estimated work (pilot × runs) is below this
            runs in this process (one job, no worker processes to start); above it, it does
            when that is sooner than starting workers (:func:`prefer_in_process`); 0: never.
            Not with ``runs_per_job`` (no pilot) nor with other launchers.
        worker_startup_s: Seconds joblib workers take to start (for that choice).
        echo: Where the summary line goes (None: nowhere).
        columns: Arrow types of tag/parameter columns (default: from the parameter schema).
        on_model_change: What to do with stored runs of another model version
            (:data:`experiments.dataset.ON_MODEL_CHANGE`; default: refuse in one line).
        full_design: ``runs`` is the experiment's whole design: stored runs outside it move to
            ``archive/`` (False for the optimiser, whose design grows generation by generation).
        before_launch: Called once the store is checked and tidied, before any run (the
            experiment's ``experiment.json`` is written there, so a refused launch changes
            nothing).

    Returns:
        The accounting; ``summary.ok`` is False if a run failed or was not run.

    Raises:
        ExperimentConfigError: Stored runs of the design come from another model version and
            ``on_model_change`` is ``refuse``.
    """
    with experiment_lock(paths.root, echo=echo):
        return _execute(
            name,
            paths,
            base,
            steps,
            runs,
            launcher=launcher,
            progress=progress,
            target_job_s=target_job_s,
            runs_per_job=runs_per_job,
            in_process_below_s=in_process_below_s,
            worker_startup_s=worker_startup_s,
            echo=echo,
            columns=columns,
            on_model_change=on_model_change,
            full_design=full_design,
            before_launch=before_launch,
        )


def _execute(
    name: str,
    paths: ExperimentPaths,
    base: Params,
    steps: int,
    runs: Sequence[RunSpec],
    *,
    launcher: Sequence[str],
    progress: bool | str,
    target_job_s: float,
    runs_per_job: int | None,
    in_process_below_s: float,
    worker_startup_s: float,
    echo: Callable[[str], None] | None,
    columns: Mapping[str, str] | None,
    on_model_change: str,
    full_design: bool,
    before_launch: Callable[[], None] | None,
) -> ExecutionSummary:
    t0 = time.perf_counter()
    store = paths.store()
    unique: dict[str, RunSpec] = {}
    for r in runs:
        unique.setdefault(r.run_id, r)
    cols = dict(columns) if columns is not None else column_types(list(unique.values()), base)
    metrics = list(MODEL_METRICS)
    schema_meta = {
        "experiment": name,
        "docs": field_docs([*cols, *metrics], base),
        "versions": current_versions(),
    }
    tidy_run_parts(paths.parts)
    prepared: Prepared = prepare(
        paths,
        list(unique.values()),
        build_schema(cols, metrics, **schema_meta),
        design_cols=cols,
        on_model_change=on_model_change,
        full_design=full_design,
    )
    if echo is not None and prepared.line():
        echo(f"{name}: {prepared.line()}")
    if before_launch is not None:
        before_launch()
    finished = store.finished_ids() | set(prepared.reused)
    pending = [r for rid, r in unique.items() if rid not in finished]
    skipped = len(unique) - len(pending)
    lcfg = launcher_config(launcher)
    summary = ExecutionSummary(
        planned=len(unique),
        skipped=skipped,
        done=0,
        failed=0,
        not_run=0,
        wall_s=0.0,
        launcher=_launcher_name(lcfg),
    )
    if pending:
        est = 0.0 if runs_per_job else pilot_seconds(base, pending[0].overrides, steps)
        workers = workers_of(lcfg)
        if (
            "joblib" in str(lcfg.get("_target_", "")).lower()
            and workers > 1
            and not runs_per_job
            and prefer_in_process(
                len(pending),
                est,
                workers,
                always_below_s=in_process_below_s,
                startup_s=worker_startup_s,
                free_cores=free_cores(),
                target_job_s=target_job_s,
            )
        ):
            launcher = [*launcher, "hydra.launcher.n_jobs=1"]  # joblib runs one worker inline
            workers = 1
            summary.in_process = True
        n_jobs = plan_batches(
            len(pending),
            est,
            workers,
            target_job_s=target_job_s,
            runs_per_job=runs_per_job,
        )
        launch_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        launch_dir = paths.launches / launch_id
        launch_dir.mkdir(parents=True, exist_ok=True)
        failed_before = store.failed_ids()
        prov = provenance(launch=launch_id, experiment=name)
        atomic_write_bytes(
            json.dumps(prov, indent=1, default=str).encode("utf-8"), launch_dir / "provenance.json"
        )
        schema_meta["provenance"] = {
            "launch": launch_id,
            "git": prov["git"],
            "command": prov["command"],
            "versions": prov["versions"],
        }
        plan = {
            "name": name,
            "launch": launch_id,
            "parts": str(paths.parts.resolve()),
            "failures": str(paths.failures.resolve()),
            "steps": int(steps),
            "base": to_dict(base),
            "columns": cols,
            "metrics": metrics,
            "schema_meta": schema_meta,
            "runs": [asdict(r) for r in pending],
            "batches": [list(range(b, len(pending), n_jobs)) for b in range(n_jobs)],
            "retry": sorted(failed_before & {r.run_id for r in pending}),
        }
        plan_path = launch_dir / "plan.json"
        atomic_write_bytes(json.dumps(plan).encode("utf-8"), plan_path)
        summary.batches = n_jobs
        summary.runs_per_job = math.ceil(len(pending) / n_jobs)
        summary.launch_dir = str(launch_dir)
        ids = {r.run_id for r in pending}
        launched = time.time()
        with _Progress(paths, launch_id, ids, _show_progress(progress)):
            try:
                outcomes = launch_batches(
                    plan_path.resolve(),
                    n_jobs,
                    (launch_dir / "jobs").resolve(),
                    launcher,
                    task_function=batch_task,
                )
            except Exception as exc:  # a killed worker, a refused submission, …
                outcomes = []
                summary.launch_error = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
        summary.launch_s = time.time() - launched
        starts = [
            float(o.value["started"])
            for o in outcomes
            if o.ok and isinstance(o.value, Mapping) and "started" in o.value
        ]
        summary.startup_s = max(0.0, min(starts) - launched) if starts else 0.0
        for o in outcomes:
            if o.ok and isinstance(o.value, Mapping):
                summary.work_s += float(o.value.get("work_s", 0.0))
                summary.write_s += float(o.value.get("write_s", 0.0))
                summary.job_wall_s += float(o.value.get("wall_s", 0.0))
            elif not o.ok:
                summary.job_errors.append(f"job {o.batch}: {o.error}")
        now_done = store.finished_ids() & ids
        now_failed = (store.failed_ids() & ids) - now_done
        summary.done = len(now_done)
        summary.failed = len(now_failed)
        summary.not_run = len(ids) - len(now_done) - len(now_failed)
    summary.wall_s = time.perf_counter() - t0
    if summary.launch_dir:
        record = {**asdict(summary), "ok": summary.ok}
        atomic_write_bytes(
            json.dumps(record, indent=1).encode("utf-8"), Path(summary.launch_dir) / "summary.json"
        )
    if echo is not None:
        echo(summary.line(name))
        if summary.failed:
            echo(f"  {summary.failed} failed runs: errors and seeds in {paths.failures}/")
        for err in summary.job_errors[:5]:
            echo(f"  {err}")
        if summary.launch_error:
            echo(f"  launcher error: {summary.launch_error}")
        if summary.not_run or summary.failed or summary.launch_error:
            echo(f"  rerun the same command to resume: finished runs are kept ({paths.parts}/)")
    return summary
