"""Where results came from: versions, git commit, command line, host — one helper for all.

Single runs (``govsim run``, :func:`govsim.runs.save_run`) and experiments (each launch's
``launches/<id>/provenance.json``, ``experiment.json`` and the metadata of every Parquet part)
record the same :func:`provenance` record, so any stored number can be traced to the code,
the packages and the command that produced it.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.version import METRICS_VERSION, MODEL_VERSION

__all__ = ["PACKAGES", "git_state", "package_versions", "provenance"]

#: Distributions whose versions every provenance record lists (None: not installed).
PACKAGES = (
    "govsim",
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "networkx",
    "numba",
    "hydra-core",
    "omegaconf",
    "tqdm",
    "SALib",
    "duckdb",
)

_ROOT = Path(__file__).resolve().parent.parent


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_state(root: Path | None = None) -> dict[str, Any]:
    """``{"commit", "dirty", "repo"}`` of the checkout govsim runs from (None where unknown)."""
    root = root or _ROOT
    commit = _git(root, "rev-parse", "HEAD")
    dirty = None
    if commit:
        status = _git(root, "status", "--porcelain", "--untracked-files=no")
        dirty = bool(status) if status is not None else None
    return {"commit": commit, "dirty": dirty, "repo": str(root) if commit else None}


def package_versions() -> dict[str, str | None]:
    """Python's version and the installed version of each of :data:`PACKAGES`."""
    from importlib import metadata

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _seed(seed: Any) -> Any:
    if isinstance(seed, bool):
        return repr(seed)
    if isinstance(seed, int | np.integer):
        return int(seed)
    return None if seed is None else repr(seed)


def provenance(
    *,
    seed: Any = None,
    started: datetime | None = None,
    ended: datetime | None = None,
    command: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Where a result came from: model/metric versions, git commit, packages, command, host.

    Args:
        seed: The run's seed (omitted for an experiment: its seeds are in its plan).
        started, ended: Wall-clock times (their difference is ``duration_s``).
        command: The command line (default ``sys.argv``).
        **extra: More fields (scenario, experiment, launch, ...).
    """
    record: dict[str, Any] = {}
    if seed is not None:
        record["seed"] = _seed(seed)
    if started is not None:
        record["started"] = started.isoformat(timespec="seconds")
        record["ended"] = ended.isoformat(timespec="seconds") if ended else None
        record["duration_s"] = round((ended - started).total_seconds(), 3) if ended else None
    record.update(
        {
            "model_version": MODEL_VERSION,
            "metrics_version": METRICS_VERSION,
            "command": command if command is not None else list(sys.argv),
            "cwd": os.getcwd(),
            "git": git_state(),
            "versions": package_versions(),
            "platform": {
                "system": platform.system(),
                "release": platform.release(),
                "machine": platform.machine(),
                "host": platform.node(),
                "cpus": os.cpu_count(),
            },
            **extra,
        }
    )
    return record
