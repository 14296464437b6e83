"""Resumable, crash-safe result storage for parameter sweeps.

Layout of one experiment's store (``root``)::

    root/
        part-....parquet          completed part files, each with rows of many runs
        .part-....parquet.tmp-*   in-flight (or orphaned) temp files -- never read
        failures/<run_id>.json    one small record per failed run

Design:

* A run's identity is :func:`run_id` -- a SHA-256 of the canonical JSON of its parameters and
  seed (:func:`run_key`) and of the model and metric versions it was computed with
  (:data:`sim.version.MODEL_VERSION`, :data:`sim.version.METRICS_VERSION`) -- never its
  position in a sweep, so sweeps can be reordered, extended or split across workers and still
  resume correctly, and runs of another model version are never taken for this one's.
* Every file is written with :func:`atomic_write_parquet` / :func:`atomic_write_bytes`: data go
  to a hidden temp name in the same directory, are flushed and ``fsync``-ed, then moved into
  place with :func:`os.replace` (atomic on POSIX and Windows), and the directory is ``fsync``-ed.
  Readers therefore see either nothing or a complete file; a writer killed mid-way leaves only a
  temp file, which is ignored (and can be reaped with :meth:`ResultStore.remove_stale_temp`).
* Readers (:meth:`ResultStore.scan`, :meth:`~ResultStore.finished_ids`,
  :meth:`~ResultStore.read_all`) skip unreadable part files and
  report them (log warning + :class:`ScanReport`) instead of crashing, so one corrupt file
  (say, copied in by hand, or damaged on disk) costs only the runs it holds: they are re-run.

References:
    POSIX.1-2017, ``rename()``: "If the link named by the new argument exists, it shall be
        removed and old renamed to new [...] there shall be no point at which the link named
        by new does not exist"; see also the Python docs of :func:`os.replace`.
    Pillai, T. S. et al. (2014). All file systems are not created equal: on the complexity of
        crafting crash-consistent applications. OSDI '14 (why file *and* directory fsync).
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import logging
import math
import os
import re
import secrets
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.version import METRICS_VERSION, MODEL_VERSION

__all__ = [
    "RUN_ID_VERSION",
    "ResultStore",
    "ScanReport",
    "atomic_write_bytes",
    "atomic_write_parquet",
    "canonical_json",
    "current_versions",
    "fsync_dir",
    "run_id",
    "run_key",
    "versioned_id",
]

log = logging.getLogger(__name__)

#: Bumped whenever the canonical form changes, so old and new identities never collide.
RUN_ID_VERSION = 1

_PART_SUFFIX = ".parquet"
_FAILURE_DIR = "failures"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# --------------------------------------------------------------------------------------------
# Run identity
# --------------------------------------------------------------------------------------------


def _canon_float(x: float, digits: int, round_floats: bool) -> float | int | str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if round_floats:
        x = float(f"{x:.{digits}g}")
        if x.is_integer() and abs(x) < 2**53:
            return int(x)  # 1.0 == 1, and -0.0 == 0
    return x


def _canon(value: Any, round_floats: bool) -> Any:
    """Convert ``value`` to a JSON-ready structure with a single spelling per value."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _canon_float(float(value), np.finfo(value.dtype).precision, round_floats)
    if isinstance(value, float):
        return _canon_float(value, 15, round_floats)
    if isinstance(value, enum.Enum):
        return _canon(value.value, round_floats)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = str(_canon(k, round_floats)) if not isinstance(k, str) else k
            if key in out:
                raise ValueError(f"parameter keys collide after conversion to str: {key!r}")
            out[key] = _canon(v, round_floats)
        return out
    if isinstance(value, np.ndarray):
        return [_canon(v, round_floats) for v in value.tolist()]
    if isinstance(value, set | frozenset):
        items = [_canon(v, round_floats) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_canon(v, round_floats) for v in value]
    if isinstance(value, np.generic):
        return _canon(value.item(), round_floats)
    raise TypeError(f"cannot canonicalise parameter value of type {type(value).__name__}")


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    return int(seed)


def canonical_json(params: Mapping[str, Any], seed: int) -> str:
    """The canonical JSON text hashed by :func:`run_id`.

    Keys are sorted; separators are minimal; floats are rounded to the decimal precision of their
    type (15 significant digits for ``float``/``float64``, 6 for ``float32``) so that spellings
    such as ``0.1``, ``0.1000``, ``np.float64(0.1)``, ``np.float32(0.1)`` and float noise such as
    ``0.1 + 0.2`` vs ``0.3`` agree; integral floats become ints (``1.0 == 1``, ``-0.0 == 0``);
    numpy scalars and arrays, tuples, paths and enums are converted to plain JSON values;
    NaN/±inf are spelled ``"NaN"``/``"Infinity"``/``"-Infinity"``. Booleans stay booleans
    (``True != 1``).

    Args:
        params: Parameter mapping (nested mappings and sequences allowed).
        seed: Integer seed of the run.

    Returns:
        Canonical JSON text.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, got {type(params).__name__}")
    payload = {"v": RUN_ID_VERSION, "params": _canon(params, True), "seed": _check_seed(seed)}
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def current_versions() -> dict[str, str]:
    """The versions a run computed now depends on: ``{"model": ..., "metrics": ...}``."""
    return {"model": str(MODEL_VERSION), "metrics": str(METRICS_VERSION)}


def run_key(params: Mapping[str, Any], seed: int) -> str:
    """Version-free part of a run's identity: SHA-256 of :func:`canonical_json` ``(params, seed)``.

    It depends only on the parameter values and the seed -- never on dict order, on the
    position of the run in a sweep, or on how a float was spelled. (It is also the whole
    identity that stores written before model versions existed used.)
    """
    return _sha256(canonical_json(params, seed))


def versioned_id(key: str, versions: Mapping[str, str] | None) -> str:
    """The identity of the run with version-free ``key`` computed under ``versions``.

    ``versions=None`` stands for a store written before versions were recorded: its
    identities are the keys themselves.
    """
    if versions is None:
        return key
    text = json.dumps(
        {"key": key, "metrics": str(versions["metrics"]), "model": str(versions["model"])},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return _sha256(text)


def run_id(
    params: Mapping[str, Any], seed: int, versions: Mapping[str, str] | str | None = "current"
) -> str:
    """Stable identity of a run: its parameters, its seed and the model and metric versions.

    The identity is :func:`versioned_id` of :func:`run_key` -- so it never depends on dict
    order, position in a sweep or float spelling, and the same parameters and seed computed by
    another model version (:data:`sim.version.MODEL_VERSION`) or under other metric definitions
    (:data:`sim.version.METRICS_VERSION`) have another identity: a resumed experiment never
    takes an old model's run for a new one's.

    Args:
        params: Parameter mapping.
        seed: Integer seed.
        versions: ``{"model": ..., "metrics": ...}``; ``"current"`` (default): this code's
            (:func:`current_versions`); None: the version-free identity of old stores.

    Returns:
        64-character lowercase hex string.
    """
    if isinstance(versions, str):
        versions = current_versions()
    return versioned_id(run_key(params, seed), versions)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --------------------------------------------------------------------------------------------
# Atomic writes
# --------------------------------------------------------------------------------------------


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def fsync_dir(directory: Path) -> None:
    """``fsync`` a directory, so that a rename inside it survives a crash (best effort)."""
    # Makes the rename itself durable on POSIX; not possible (nor needed) on Windows.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _publish_no_clobber(tmp: Path, path: Path) -> None:
    """Atomically give ``tmp`` the name ``path`` unless ``path`` already exists."""
    try:
        os.link(tmp, path)  # atomic, fails if ``path`` exists
    except FileExistsError:
        raise FileExistsError(f"refusing to overwrite existing file {path}") from None
    except OSError:  # hard links unsupported: best effort check-then-replace
        if path.exists():
            raise FileExistsError(f"refusing to overwrite existing file {path}") from None
        os.replace(tmp, path)
    else:
        tmp.unlink()


def _atomic_write(
    path: Path | str, write: Callable[[BinaryIO], None], overwrite: bool, durable: bool = True
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(path)
    try:
        with open(tmp, "xb") as fh:
            write(fh)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _publish_no_clobber(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(path.parent)
    return path


def atomic_write_bytes(data: bytes, path: Path | str, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same dir, fsync, rename).

    Args:
        data: File contents.
        path: Destination.
        overwrite: If False, raise :class:`FileExistsError` instead of replacing ``path``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    return _atomic_write(path, lambda fh: fh.write(data), overwrite)


def atomic_write_parquet(
    df: pd.DataFrame | pa.Table,
    path: Path | str,
    *,
    index: bool | None = None,
    overwrite: bool = True,
    durable: bool = True,
) -> Path:
    """Write a DataFrame (or Arrow table) to Parquet so readers never see a partial file.

    The data are written to ``.{name}.tmp-{pid}-{random}`` in the destination directory,
    flushed and ``fsync``-ed, then renamed over ``path`` with :func:`os.replace` and the
    directory is ``fsync``-ed. Temp names start with a dot and do not end in ``.parquet``, so
    globbing ``*.parquet`` never matches them. On any error the temp file is removed.

    Args:
        df: Data to write.
        path: Destination ``.parquet`` path.
        index: Passed to :meth:`pandas.DataFrame.to_parquet` (``None``: store a non-default
            index as columns, e.g. Mesa's ``(Step, AgentID)`` MultiIndex).
        overwrite: If False, raise :class:`FileExistsError` rather than replace ``path``
            (no-clobber publication via :func:`os.link`, atomic where hard links exist).
        durable: ``fsync`` the file and its directory (default). Without it the write is
            still atomic for every reader and survives the writer being killed (the data are
            in the OS page cache), but not a power loss or OS crash — use it for frequent
            interim rewrites that a final durable write follows.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    if isinstance(df, pa.Table):

        def write(fh: BinaryIO) -> None:
            pq.write_table(df, fh)

    else:

        def write(fh: BinaryIO) -> None:
            df.to_parquet(fh, engine="pyarrow", index=index)

    return _atomic_write(path, write, overwrite, durable)


# --------------------------------------------------------------------------------------------
# Store
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanReport:
    """What :meth:`ResultStore.scan` found.

    Attributes:
        run_ids: Run ids present in readable part files.
        parts: Readable part files.
        corrupt: ``(path, error message)`` for part files that could not be read.
        temp: Temp files left in the store (in-flight or from killed writers).
        n_rows: Total number of rows in readable parts.
    """

    run_ids: frozenset[str]
    parts: tuple[Path, ...]
    corrupt: tuple[tuple[Path, str], ...] = field(default=())
    temp: tuple[Path, ...] = field(default=())
    n_rows: int = 0


def _error_text(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        return "".join(traceback.format_exception(error))
    return str(error)


class ResultStore:
    """Append-only store of one experiment's results, made of atomically written part files.

    Each part file holds the rows of many runs and has a string ``run_id`` column. Writers
    (possibly several processes: the jobs of :func:`experiments.execute.run_batch`) each publish
    their own parts with :func:`atomic_write_parquet`; a resumed sweep skips every run in
    :meth:`finished_ids`. Failed runs are recorded separately (:meth:`record_failure`) and are
    *not* finished -- whether to retry them is the runner's decision.

    Args:
        root: Directory of the experiment (created if missing).
        failures: Directory of the failure records (default ``root/failures``). Put it outside
            ``root`` to keep ``root`` a pure Parquet dataset that ``pandas.read_parquet(root)``
            and ``duckdb``'s ``read_parquet('root/*.parquet')`` read as one table.

    Example:
        >>> store = ResultStore(tmp_path / "sweep")               # doctest: +SKIP
        >>> todo = [(p, s) for p, s in specs if run_id(p, s) not in store.finished_ids()]
    """

    def __init__(self, root: Path | str, *, failures: Path | str | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._failure_dir = Path(failures) if failures is not None else self.root / _FAILURE_DIR

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    @property
    def failure_dir(self) -> Path:
        """Directory holding one JSON record per failed run."""
        return self._failure_dir

    # ---- listing ------------------------------------------------------------------------

    def part_paths(self) -> list[Path]:
        """Completed part files (``*.parquet`` not starting with a dot), sorted by name."""
        return sorted(
            p
            for p in self.root.glob(f"*{_PART_SUFFIX}")
            if not p.name.startswith(".") and p.is_file()
        )

    def temp_paths(self) -> list[Path]:
        """Temp files of in-flight or killed writers (parts and failure records)."""
        found = list(self.root.glob(".*.tmp-*"))
        if self.failure_dir.is_dir():
            found += self.failure_dir.glob(".*.tmp-*")
        return sorted(found)

    def scan(self) -> ScanReport:
        """Read the ``run_id`` column of every completed part; report unreadable ones.

        Only Parquet footers and the ``run_id`` column are read, so this is cheap. A part that
        cannot be read (truncated, not Parquet, no ``run_id`` column, ...) is logged as a
        warning and listed in :attr:`ScanReport.corrupt`; its runs count as not finished.
        """
        ids: set[str] = set()
        good: list[Path] = []
        bad: list[tuple[Path, str]] = []
        n_rows = 0
        for path in self.part_paths():
            try:
                col = pq.read_table(path, columns=["run_id"]).column("run_id")
                values = col.to_pylist()
            except Exception as exc:  # any unreadable file is reported, never fatal
                msg = f"{type(exc).__name__}: {exc}"
                log.warning("skipping unreadable result part %s (%s)", path, msg)
                bad.append((path, msg))
                continue
            if any(v is None for v in values):
                msg = "null run_id values"
                log.warning("skipping result part %s (%s)", path, msg)
                bad.append((path, msg))
                continue
            ids.update(str(v) for v in values)
            good.append(path)
            n_rows += len(values)
        return ScanReport(
            run_ids=frozenset(ids),
            parts=tuple(good),
            corrupt=tuple(bad),
            temp=tuple(self.temp_paths()),
            n_rows=n_rows,
        )

    def finished_ids(self) -> set[str]:
        """Run ids with rows in a completed, readable part file (see :meth:`scan`)."""
        return set(self.scan().run_ids)

    def pending(
        self, specs: Iterable[tuple[Mapping[str, Any], int]]
    ) -> list[tuple[str, Mapping[str, Any], int]]:
        """Filter ``(params, seed)`` pairs down to those not yet finished.

        Args:
            specs: Runs of the sweep, in any order (duplicates are dropped).

        Returns:
            ``(run_id, params, seed)`` for each unfinished run, in input order.
        """
        done = self.finished_ids()
        out: list[tuple[str, Mapping[str, Any], int]] = []
        seen: set[str] = set()
        for params, seed in specs:
            rid = run_id(params, seed)
            if rid not in done and rid not in seen:
                seen.add(rid)
                out.append((rid, params, seed))
        return out

    # ---- writing ------------------------------------------------------------------------

    def record_failure(
        self,
        run_id: str,
        seed: int,
        params: Mapping[str, Any],
        error: BaseException | str,
    ) -> Path:
        """Atomically write ``failures/<run_id>.json`` (replacing an older record of that run).

        Args:
            run_id: Identity of the failed run (see :func:`run_id`).
            seed: Its seed.
            params: Its parameters (stored as JSON, numpy values converted, floats unrounded).
            error: The exception (its traceback is stored) or an error message.

        Returns:
            Path of the record.
        """
        if not _SAFE_NAME.match(run_id):
            raise ValueError(f"unsafe run id {run_id!r}")
        record = {
            "run_id": run_id,
            "seed": _check_seed(seed),
            "params": json.dumps(_canon(dict(params), False), sort_keys=True, allow_nan=False),
            "error": _error_text(error),
            "time": datetime.now(UTC).isoformat(),
        }
        data = json.dumps(record, indent=1).encode("utf-8")
        return atomic_write_bytes(data, self.failure_dir / f"{run_id}.json")

    def failure_paths(self) -> list[Path]:
        """Completed failure records."""
        if not self.failure_dir.is_dir():
            return []
        return sorted(p for p in self.failure_dir.glob("*.json") if not p.name.startswith("."))

    def failed_ids(self) -> set[str]:
        """Run ids with a failure record (may overlap :meth:`finished_ids` after a retry)."""
        return {p.stem for p in self.failure_paths()}

    def clear_failures(self, run_ids: Iterable[str]) -> int:
        """Delete the failure records of ``run_ids`` (e.g. after successful retries).

        Returns:
            Number of records removed.
        """
        removed = 0
        for rid in run_ids:
            with contextlib.suppress(FileNotFoundError):
                (self.failure_dir / f"{rid}.json").unlink()
                removed += 1
        return removed

    def remove_stale_temp(self, max_age_s: float = 3600.0) -> list[Path]:
        """Delete temp files older than ``max_age_s`` (orphans of killed writers).

        Younger temp files may belong to live writers and are left alone.

        Returns:
            The paths removed.
        """
        now = time.time()
        removed = []
        for path in self.temp_paths():
            with contextlib.suppress(FileNotFoundError):
                if now - path.stat().st_mtime > max_age_s:
                    path.unlink()
                    removed.append(path)
        return removed

    # ---- reading ------------------------------------------------------------------------

    def read_all(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Concatenate all readable part files into one pandas DataFrame.

        Unreadable parts are skipped with a logged warning (see :meth:`scan`). Parts may have
        different column sets (missing values become NaN).

        Args:
            columns: Subset of columns to read (default: all).

        Returns:
            DataFrame with a fresh ``RangeIndex``; empty if the store has no readable parts.
        """
        frames = []
        for path in self.scan().parts:
            try:
                table = pq.read_table(path, columns=list(columns) if columns else None)
            except Exception as exc:  # corrupt data pages behind a readable footer
                log.warning("skipping unreadable result part %s (%s)", path, exc)
                continue
            frames.append(table.to_pandas())
        non_empty = [f for f in frames if len(f)]
        if not non_empty:
            return frames[0] if frames else pd.DataFrame(columns=list(columns or []))
        return pd.concat(non_empty, ignore_index=True)
