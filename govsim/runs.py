"""Running one configuration and writing its run folder, crash-safely.

A run folder ``results/<experiment>/<run>/`` holds::

    model.parquet     one row per week (step 0 … steps), one column per model metric
    model.csv         the same table as CSV (small; for spreadsheets)
    groups.parquet    one row per week and resident group, one column per group metric
    agents.parquet    the final state of every resident (plus snapshots if requested)
    config.yaml       the fully resolved configuration (every model parameter)
    provenance.json   versions, git commit, seed, start/end time, command line
    plots/*.png       participation, consensus, trust and needs over time
    summary.json      final and time-averaged outcomes — written LAST

Everything is written into a hidden temporary folder (``.<run>.tmp-<pid>-<hex>``) beside the
final one; ``summary.json`` is written last (itself atomically), then the folder is renamed into
place. A run folder is therefore complete exactly when it exists and has ``summary.json``; a run
that is interrupted leaves at most a hidden ``.tmp`` folder (removed on Ctrl-C / SIGTERM, left
behind by SIGKILL), never a folder that looks complete.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.provenance import provenance
from experiments.store import atomic_write_bytes, fsync_dir
from sim.metrics import GROUP_METRICS, MODEL_METRICS
from sim.model import GovernanceModel
from sim.params import Params
from sim.run import RunResult, run_one

from .config import params_from_config
from .signals import check

__all__ = [
    "SUMMARY",
    "LoadedRun",
    "Staging",
    "default_run_name",
    "is_complete",
    "list_runs",
    "load_run",
    "provenance",
    "save_run",
    "simulate",
    "staging_dir",
    "summary_dict",
]

#: The file that marks a run folder as complete.
SUMMARY = "summary.json"
#: Version of the run-folder layout (in summary.json).
LAYOUT_VERSION = 1


# --------------------------------------------------------------------------------------------
# Simulating with a progress callback
# --------------------------------------------------------------------------------------------


def simulate(
    params: Params,
    seed: int,
    steps: int,
    *,
    progress: bool = False,
    desc: str = "",
    on_step: Callable[[int], None] | None = None,
) -> RunResult:
    """Run the model like :func:`sim.run_one`, with an optional progress bar.

    The tables are identical to ``run_one(params, seed, steps)``'s (tested).

    Args:
        params: Validated parameters.
        seed: The run's seed.
        steps: Weeks.
        progress: Show a tqdm progress bar on stderr.
        desc: Label of the progress bar.
        on_step: Called with the week number after every week.
    """
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=steps, desc=desc or None, unit="wk", file=sys.stderr, leave=False)

    def each_week(model: GovernanceModel) -> None:
        check()  # a Ctrl-C that numba's compiler swallowed still stops the run
        if bar is not None:
            bar.update(1)
        if on_step is not None:
            on_step(model.steps)

    try:
        return run_one(params, seed, steps, on_step=each_week)
    finally:
        if bar is not None:
            bar.close()


def _agents_table(model: GovernanceModel) -> pd.DataFrame:
    # Same table as sim.run's: snapshots (if any) plus the final state, `step` first.
    frames = [pd.DataFrame(s).assign(step=t) for t, s in model.snapshots]
    if not frames or frames[-1]["step"].iloc[0] != model.steps:
        frames.append(pd.DataFrame(model.agent_state()).assign(step=model.steps))
    df = pd.concat(frames, ignore_index=True)
    return df[["step"] + [c for c in df.columns if c != "step"]]


# --------------------------------------------------------------------------------------------
# Summary and provenance
# --------------------------------------------------------------------------------------------


def _num(x: Any) -> Any:
    """JSON-safe number: NaN/inf become None, numpy scalars plain Python."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def summary_dict(result: RunResult, **meta: Any) -> dict[str, Any]:
    """The content of ``summary.json``: final and time-averaged outcomes, by group too.

    Keys: ``layout``, the ``meta`` given (scenario, experiment, run, ...), ``seed``, ``steps``,
    ``n_residents``, ``wall_time_s``, ``final`` and ``mean`` (metric → value; ``mean`` is the
    average over weeks 1 … steps), ``time_to_consensus`` (week, or null when the run ends
    outside consensus: censored), ``consensus_reached`` (1 or 0), ``final_by_group``
    (group → metric → value) and ``metrics`` (metric → description). NaN is written as null.
    """
    s = result.summary
    final = {m: _num(s.get(f"final_{m}")) for m in MODEL_METRICS if f"final_{m}" in s}
    mean = {m: _num(s.get(f"mean_{m}")) for m in MODEL_METRICS if f"mean_{m}" in s}
    g = result.groups
    last = g[g["step"] == g["step"].max()]
    by_group = {
        str(row["group"]): {m: _num(float(row[m])) for m in GROUP_METRICS}
        for _, row in last.iterrows()
    }
    return {
        "layout": LAYOUT_VERSION,
        **meta,
        "seed": _num(result.seed) if isinstance(result.seed, int | np.integer) else None,
        "steps": int(result.model["step"].max()),
        "n_residents": result.params.population.n_residents,
        "wall_time_s": round(result.wall_time, 4),
        "final": final,
        "mean": mean,
        "time_to_consensus": _num(s.get("time_to_consensus")),
        "consensus_reached": _num(s.get("consensus_reached")),
        "final_by_group": by_group,
        "metrics": {m.name: m.doc for m in MODEL_METRICS.values()},
    }


# --------------------------------------------------------------------------------------------
# Atomic writing
# --------------------------------------------------------------------------------------------


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n"


def default_run_name(seed: int, when: datetime | None = None) -> str:
    """``<YYYYmmdd>-<HHMMSS>-seed<seed>`` (local time)."""
    when = when or datetime.now()
    return f"{when:%Y%m%d-%H%M%S}-seed{seed}"


@dataclass
class Staging:
    """A staged run folder: write into ``path``; ``final`` is set once it is published."""

    path: Path
    dest: Path
    final: Path | None = None


@contextlib.contextmanager
def staging_dir(dest: Path, *, replace: bool = False) -> Iterator[Staging]:
    """A hidden temporary folder that becomes ``dest`` when the block finishes.

    On an exception (including KeyboardInterrupt / SystemExit) the temporary folder is removed
    and ``dest`` is untouched. If ``dest`` exists: with ``replace`` it is swapped out and
    deleted; otherwise the folder is published as ``dest-2``, ``dest-3``, … The published path
    is ``staging.final``.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    tmp.mkdir()
    staging = Staging(tmp, dest)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    staging.final = _publish(tmp, dest, replace=replace)


def _publish(tmp: Path, dest: Path, *, replace: bool) -> Path:
    if replace and dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
        os.rename(dest, old)
        os.rename(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
        fsync_dir(dest.parent)
        return dest
    final, k = dest, 1
    while True:
        try:
            # rename() onto an existing non-empty folder fails, so this never clobbers a run.
            if final.exists():
                raise FileExistsError(final)
            os.rename(tmp, final)
            fsync_dir(final.parent)
            return final
        except OSError:
            if not final.exists():
                raise
            k += 1
            final = dest.with_name(f"{dest.name}-{k}")


# --------------------------------------------------------------------------------------------
# Saving and loading a run folder
# --------------------------------------------------------------------------------------------


def _write_tables(result: RunResult, folder: Path) -> None:
    result.model.to_parquet(folder / "model.parquet", index=False)
    result.model.to_csv(folder / "model.csv", index=False, float_format="%.6g")
    result.groups.to_parquet(folder / "groups.parquet", index=False)
    result.agents.to_parquet(folder / "agents.parquet", index=False)


def _write_plots(result: RunResult, folder: Path, title: str) -> list[str]:
    from . import plots  # matplotlib: only for a run that draws plots (plots=true)

    out = []
    (folder / "plots").mkdir(exist_ok=True)
    for name, fig in plots.run_figures(result.model, result.groups, title=title).items():
        path = folder / "plots" / f"{name}.png"
        plots.save_figure(fig, path)
        out.append(str(path.relative_to(folder)))
    return out


def _yaml(data: Mapping[str, Any]) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(OmegaConf.create(dict(data)))


def save_run(
    dest: Path,
    *,
    params: Params,
    seed: int,
    steps: int,
    config: Mapping[str, Any],
    meta: Mapping[str, Any] | None = None,
    plots: bool = True,
    progress: bool = False,
    command: list[str] | None = None,
    replace: bool = False,
    on_result: Callable[[RunResult], None] | None = None,
    on_step: Callable[[int], None] | None = None,
) -> tuple[Path, RunResult, dict[str, Any]]:
    """Run one configuration and write its complete run folder (crash-safe).

    The folder is staged under a hidden temporary name from the start (config first), the
    model runs, tables and plots are written, ``summary.json`` last, then it is renamed to
    ``dest`` (or ``dest-2`` … when ``dest`` exists and not ``replace``).

    Args:
        dest: Final run folder.
        params, seed, steps: What to run.
        config: The fully resolved configuration (written as config.yaml).
        meta: Extra fields for summary.json and provenance.json (scenario, experiment, ...).
        plots: Write PNG plots.
        progress: Show a progress bar.
        command: The command line (default ``sys.argv``).
        replace: Replace an existing ``dest``.
        on_result: Called with the result before anything but the config is written.
        on_step: Called with the week number after every simulated week.

    Returns:
        ``(folder, result, summary)``.
    """
    meta = dict(meta or {})
    started = datetime.now(UTC).astimezone()
    with staging_dir(dest, replace=replace) as staging:
        tmp = staging.path
        atomic_write_bytes(_yaml(config).encode("utf-8"), tmp / "config.yaml")
        result = simulate(
            params, seed, steps, progress=progress, desc=meta.get("label", ""), on_step=on_step
        )
        if on_result is not None:
            on_result(result)
        _write_tables(result, tmp)
        figures = _write_plots(result, tmp, meta.get("label", "")) if plots else []
        ended = datetime.now(UTC).astimezone()
        prov = provenance(seed=seed, started=started, ended=ended, command=command, **meta)
        atomic_write_bytes(_json(prov).encode("utf-8"), tmp / "provenance.json")
        summary = summary_dict(result, **meta)
        summary["files"] = {
            "model": "model.parquet",
            "model_csv": "model.csv",
            "groups": "groups.parquet",
            "agents": "agents.parquet",
            "config": "config.yaml",
            "provenance": "provenance.json",
            "plots": figures,
        }
        atomic_write_bytes(_json(summary).encode("utf-8"), tmp / SUMMARY)
    assert staging.final is not None
    return staging.final, result, summary


def is_complete(folder: Path) -> bool:
    """A run folder is complete when it is not a hidden temp folder and has summary.json."""
    folder = Path(folder)
    return not folder.name.startswith(".") and (folder / SUMMARY).is_file()


def list_runs(root: Path) -> list[Path]:
    """Every complete run folder under ``root`` (recursively), sorted."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for summary in root.rglob(SUMMARY):
        folder = summary.parent
        rel = folder.relative_to(root).parts
        if not any(part.startswith(".") for part in rel):
            out.append(folder)
    return sorted(out)


@dataclass
class LoadedRun:
    """A run folder read back."""

    path: Path
    model: pd.DataFrame
    groups: pd.DataFrame
    agents: pd.DataFrame
    summary: dict[str, Any]
    config: dict[str, Any]
    provenance: dict[str, Any]

    @property
    def params(self) -> Params:
        """The run's parameters (re-validated by the engine)."""
        return params_from_config(self.config)


def load_run(folder: Path) -> LoadedRun:
    """Read a complete run folder.

    Raises:
        FileNotFoundError: Not a complete run folder (no summary.json).
    """
    from omegaconf import OmegaConf

    folder = Path(folder)
    if not is_complete(folder):
        raise FileNotFoundError(f"{folder}: not a complete run folder (no {SUMMARY})")
    config = OmegaConf.to_container(OmegaConf.load(folder / "config.yaml"), resolve=False)
    return LoadedRun(
        path=folder,
        model=pd.read_parquet(folder / "model.parquet"),
        groups=pd.read_parquet(folder / "groups.parquet"),
        agents=pd.read_parquet(folder / "agents.parquet"),
        summary=json.loads((folder / SUMMARY).read_text(encoding="utf-8")),
        config=config,  # type: ignore[arg-type]
        provenance=json.loads((folder / "provenance.json").read_text(encoding="utf-8")),
    )
