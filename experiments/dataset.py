"""An experiment's dataset: one lock, one schema, each run once, only the current design.

``results/<name>/parts/`` is the Parquet dataset every report and every raw query reads. Before
each launch, under the experiment's lock (:func:`experiment_lock`, an ``flock`` on
``results/<name>/.lock``: a second launch into the same folder waits for the first, then finds
its runs stored and skips them), :func:`prepare` makes sure that

* **each run is stored once**: rows of a run already held by an earlier part (two launches that
  raced before the lock existed, a job killed between its merge and its clean-up) and repeated
  ``(run_id, step)`` rows are dropped;
* **parts/ is the current design**: rows of runs that the current design does not contain (an
  earlier design, runs of another model version) move to ``results/<name>/archive/``, and move
  back when a later design contains them again, so ``read_parquet('parts/*.parquet')`` and
  ``report.md`` agree; ``results/<name>/manifest.parquet`` lists the design's runs;
* **every part has one Arrow schema**: the parameter columns are typed by the parameter schema
  (:mod:`sim.params`: ``float`` → ``double``, ``int`` → ``int64``, …), tags by the design, and each
  field carries its unit and description; a part of another schema (a sweep over ``[0, 1]``
  stored as ``int64`` and then extended with ``0.5``) is rewritten to it, and its tags
  (``point``, …) are those of the current design;
* **runs of another model version are never taken silently** (run identities include
  :data:`sim.version.MODEL_VERSION` and :data:`~sim.version.METRICS_VERSION`): when stored runs
  of the design were computed by another version the launch refuses in one line, unless
  ``experiment.on_model_change`` is ``recompute`` (archive them, run again) or ``reuse`` (count
  them as this version's);
* temp files left by killed writers (``.*.tmp-<pid>-*``) are removed.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.metrics import MODEL_METRICS
from sim.params import Params, iter_fields

from .design import ExperimentConfigError, param_kind
from .store import atomic_write_parquet, current_versions, versioned_id

if TYPE_CHECKING:
    from .execute import ExperimentPaths, RunSpec

__all__ = [
    "ON_MODEL_CHANGE",
    "Prepared",
    "arrow_value",
    "build_schema",
    "column_types",
    "experiment_lock",
    "field_docs",
    "prepare",
    "read_manifest",
    "remove_orphan_temps",
]

#: What a launch does with stored runs of its design computed by another model version.
ON_MODEL_CHANGE = ("refuse", "recompute", "reuse")

LOCK_NAME = ".lock"
MANIFEST_NAME = "manifest.parquet"

META_EXPERIMENT = b"govsim.experiment"
META_VERSIONS = b"govsim.versions"
META_PROVENANCE = b"govsim.provenance"

_FIXED = {
    "run_id": ("", "identity of the run: hash of its parameters, weeks, seed, model version"),
    "seed": ("", "seed of the run: sim.run_one(params, seed=seed) reproduces it"),
    "step": ("weeks", "week of the row (0 = initial state)"),
    "point": ("", "index of the design point / condition in the current design"),
    "replicate": ("", "index of the replicate seed"),
    "condition": ("", "label of the compared condition"),
    "phase": ("", "optimiser phase (search or validate)"),
    "candidate": ("", "optimiser candidate (a lever split)"),
    "generation": ("", "optimiser generation"),
    "community": ("", "community type (scenario preset) of a study arm"),
    "arm_of": ("", "hypothesis/arm of a study run"),
}


# --------------------------------------------------------------------------------------------
# Lock
# --------------------------------------------------------------------------------------------

_HELD: dict[str, list[int]] = {}
_HELD_GUARD = threading.Lock()


def _try_lock(fd: int, block: bool) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                if not block:
                    return False
                time.sleep(0.2)
    flags = fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB)
    try:
        fcntl.flock(fd, flags)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def experiment_lock(
    root: Path | str, *, echo: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the experiment's lock (``root/.lock``) for the block; wait if another launch has it.

    Re-entrant within a process. The lock file records who holds it (pid, host, time), which
    the waiting launch prints in its one line.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    path = (root / LOCK_NAME).resolve()
    key = str(path)
    with _HELD_GUARD:
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
    if held is not None:
        try:
            yield
        finally:
            with _HELD_GUARD:
                held[1] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd, block=False):
            try:
                holder = path.read_text(encoding="utf-8").strip() or "unknown"
            except OSError:
                holder = "unknown"
            if echo is not None:
                echo(
                    f"{root}: another launch is writing this experiment ({holder}); waiting "
                    "for it to finish, then its stored runs are skipped (Ctrl-C to stop)"
                )
            _try_lock(fd, block=True)
        import platform

        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        os.write(fd, f"pid {os.getpid()} on {platform.node()} since {stamp}\n".encode())
        with _HELD_GUARD:
            _HELD[key] = [fd, 1]
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            _unlock(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------------------------
# Temp files of killed writers
# --------------------------------------------------------------------------------------------

_TMP_PID = re.compile(r"\.tmp-(\d+)-[0-9a-f]+$")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie — killed, not yet reaped — does not:
    it can write nothing more)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    try:  # Linux: the state letter follows the parenthesised command name
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def remove_orphan_temps(folders: Iterable[Path], *, max_age_s: float = 3600.0) -> list[Path]:
    """Delete temp files (``.<name>.tmp-<pid>-<hex>``) whose writer is gone.

    Called under the experiment's lock, so no launch of this experiment is writing: a temp file
    is an orphan when its writer's process no longer runs on this host, or when it is older
    than ``max_age_s`` (a writer on another node of a cluster).

    Returns:
        The paths removed.
    """
    now = time.time()
    removed = []
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for path in Path(folder).glob(".*.tmp-*"):
            m = _TMP_PID.search(path.name)
            try:
                old = now - path.stat().st_mtime > max_age_s
            except FileNotFoundError:
                continue
            if old or (m is not None and not _alive(int(m.group(1)))):
                with contextlib.suppress(FileNotFoundError):
                    if path.is_dir():
                        import shutil

                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink()
                    removed.append(path)
    return removed


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def _value_type(values: Iterable[Any]) -> str:
    kinds = set()
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, bool | np.bool_):
            kinds.add("bool")
        elif isinstance(v, int | np.integer):
            kinds.add("int64")
        elif isinstance(v, float | np.floating):
            kinds.add("float64")
        else:
            kinds.add("string")
    if kinds == {"bool"}:
        return "bool"
    if kinds == {"int64"}:
        return "int64"
    if kinds <= {"int64", "float64"} and kinds:
        return "float64"
    return "string" if kinds else "float64"


_KIND_TYPES = {"int": "int64", "float": "float64", "bool": "bool", "str": "string"}


def _param_type(base: Params | None, name: str, values: Sequence[Any]) -> str:
    try:
        kind = param_kind(base if base is not None else _default_params(), name)
    except (ValueError, TypeError):
        kind = ""
    return _KIND_TYPES.get(kind, "string" if kind else _value_type(values))


def _default_params() -> Params:
    return Params()


def column_types(runs: Sequence[RunSpec], base: Params | None = None) -> dict[str, str]:
    """Arrow types of the tag and parameter columns of an experiment's table.

    A parameter column takes its type from the parameter schema (``float`` parameters are
    ``float64`` even when every level is written as an integer), so extending a design never
    changes a column's type; tags take theirs from their values. Structured overrides (group
    maps, tuples) stay out of the table.
    """
    tags: dict[str, list[Any]] = {}
    for r in runs:
        for k, v in r.tags.items():
            tags.setdefault(k, []).append(v)
    params: dict[str, list[Any]] = {}
    for r in runs:
        for k, v in r.overrides.items():
            if k in tags or isinstance(v, list | dict | tuple):
                continue
            params.setdefault(k, []).append(v)
    out = {k: _value_type(v) for k, v in tags.items()}
    for k, vals in params.items():
        out[k] = _param_type(base, k, vals)
    return out


def field_docs(columns: Iterable[str], base: Params | None = None) -> dict[str, dict[str, str]]:
    """``{column: {"unit", "description"}}`` from the parameter schema and metric registry."""
    infos = {f.name: f for f in iter_fields(base if base is not None else _default_params())}
    out: dict[str, dict[str, str]] = {}
    for name in columns:
        if name in _FIXED:
            unit, doc = _FIXED[name]
        elif name in infos:
            unit, doc = infos[name].unit or "", infos[name].doc or ""
        elif name in MODEL_METRICS:
            unit, doc = "", MODEL_METRICS[name].doc
        elif name.startswith("strategy.options."):
            unit, doc = "", "numeric option of a user-written strategy"
        else:
            unit, doc = "", ""
        out[name] = {"unit": unit, "description": doc}
    return out


_PA = {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}


def build_schema(
    columns: Mapping[str, str],
    metrics: Sequence[str],
    *,
    experiment: str = "",
    docs: Mapping[str, Mapping[str, str]] | None = None,
    versions: Mapping[str, str] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> pa.Schema:
    """The one Arrow schema of an experiment's parts, with units, descriptions and provenance.

    Columns: ``run_id``, the tag and parameter columns (``columns``: name → type), ``seed``,
    ``step``, one ``double`` per metric. Each field's metadata holds ``unit`` and
    ``description``; the schema's metadata holds ``govsim.experiment`` (the experiment's name),
    ``govsim.versions`` (model and metric versions of the rows) and ``govsim.provenance``.
    """
    docs = dict(docs or {})

    def field(name: str, tp: pa.DataType) -> pa.Field:
        d = docs.get(name, {})
        meta = {"unit": str(d.get("unit", "")), "description": str(d.get("description", ""))}
        return pa.field(name, tp, metadata=meta)

    fields = [field("run_id", pa.string())]
    fields += [field(k, _PA[t]) for k, t in columns.items() if k not in ("seed", "step")]
    fields += [field("seed", pa.int64()), field("step", pa.int64())]
    fields += [field(m, pa.float64()) for m in metrics]
    meta = {META_EXPERIMENT: json.dumps({"experiment": experiment}).encode()}
    meta[META_VERSIONS] = json.dumps(dict(versions or current_versions())).encode()
    if provenance:
        meta[META_PROVENANCE] = json.dumps(dict(provenance), default=str).encode()
    return pa.schema(fields, metadata=meta)


def arrow_value(value: Any, tp: pa.DataType) -> Any:
    """A tag/parameter value as stored in a column of type ``tp``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, list | dict | tuple):
        value = json.dumps(value)
    if value is None:
        return None
    if tp == pa.string():
        return str(value)
    if tp == pa.float64():
        return float(value)
    if tp == pa.int64() and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _versions_of(schema: pa.Schema) -> dict[str, str] | None:
    md = schema.metadata or {}
    if META_VERSIONS not in md:
        return None
    try:
        v = json.loads(md[META_VERSIONS])
        return {"model": str(v["model"]), "metrics": str(v["metrics"])}
    except (ValueError, KeyError, TypeError):
        return None


def _vkey(v: Mapping[str, str] | None) -> tuple[str, str] | None:
    return None if v is None else (v["model"], v["metrics"])


def _same_fields(a: pa.Schema, b: pa.Schema) -> bool:
    if a.names != b.names:
        return False
    for fa, fb in zip(a, b, strict=True):
        if fa.type != fb.type or (fa.metadata or {}) != (fb.metadata or {}):
            return False
    return (a.metadata or {}).get(META_EXPERIMENT) == (b.metadata or {}).get(META_EXPERIMENT)


def _with_meta(target: pa.Schema, source: pa.Schema) -> pa.Schema:
    """``target``'s fields with the versions and provenance of ``source`` (an existing part)."""
    meta = {META_EXPERIMENT: (target.metadata or {}).get(META_EXPERIMENT, b"{}")}
    for k in (META_VERSIONS, META_PROVENANCE):
        if k in (source.metadata or {}):
            meta[k] = source.metadata[k]
    return target.with_metadata(meta)


def _conform(
    table: pa.Table,
    schema: pa.Schema,
    design_cols: set[str],
    values: Mapping[str, Mapping[str, Any]] | None,
) -> pa.Table:
    """``table``'s rows in ``schema``: design columns from ``values``, one row per (run, step)."""
    ids = pd.Series(table.column("run_id").to_pylist(), dtype=object).astype(str)
    steps = pd.Series(table.column("step").to_numpy(zero_copy_only=False))
    first = ~pd.DataFrame({"r": ids, "s": steps}).duplicated().to_numpy()
    if not first.all():
        table = table.filter(pa.array(first))
        ids = ids[first].reset_index(drop=True)
    codes, uniq = pd.factorize(ids)
    take = pa.array(codes.astype(np.int64))
    cols = []
    for f in schema:
        if f.name == "run_id":
            cols.append(pa.array(ids.tolist(), pa.string()))
        elif f.name in design_cols and values is not None:
            per_run = [arrow_value(values[i].get(f.name), f.type) for i in uniq]
            cols.append(pa.array(per_run, f.type).take(take))
        elif f.name in table.column_names:
            col = table.column(f.name)
            try:
                cols.append(col.cast(f.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                cols.append(pa.array([arrow_value(v, f.type) for v in col.to_pylist()], f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


# --------------------------------------------------------------------------------------------
# Preparing the store before a launch
# --------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """What :func:`prepare` did.

    Attributes:
        reused: Planned run id → stored id of the same run under another model version
            (``experiment.on_model_change=reuse``): counted as done.
        archived: Runs moved from ``parts/`` to ``archive/`` (not in the current design).
        restored: Runs moved back from ``archive/`` (in the design again).
        duplicates: Copies of runs dropped (a run stored in two parts).
        rewritten: Parts rewritten (schema, tags, duplicates).
        temp_removed: Orphaned temp files deleted.
    """

    reused: dict[str, str]
    archived: int = 0
    restored: int = 0
    duplicates: int = 0
    rewritten: int = 0
    temp_removed: int = 0

    def line(self) -> str:
        """One line for the launch's output ("" when nothing was done)."""
        bits = []
        if self.duplicates:
            bits.append(f"dropped {self.duplicates} duplicate copies of runs")
        if self.archived:
            bits.append(f"moved {self.archived} runs not in this design to archive/")
        if self.restored:
            bits.append(f"restored {self.restored} runs from archive/")
        if self.reused:
            bits.append(f"reusing {len(self.reused)} runs of another model version")
        if self.temp_removed:
            bits.append(f"removed {self.temp_removed} temp files of killed writers")
        if self.rewritten and not bits:
            bits.append(f"rewrote {self.rewritten} parts to the design's schema")
        return "; ".join(bits)


@dataclass
class _Part:
    path: Path
    schema: pa.Schema
    versions: dict[str, str] | None
    ids: list[str]
    steps: np.ndarray


def _read_parts(paths: Iterable[Path]) -> list[_Part]:
    out = []
    for p in paths:
        try:
            schema = pq.read_schema(p)
            t = pq.read_table(p, columns=["run_id", "step"])
            ids = [str(x) for x in t.column("run_id").to_pylist()]
            steps = np.asarray(t.column("step").to_numpy(zero_copy_only=False), dtype=np.int64)
        except Exception:  # unreadable: ResultStore.scan reports it, its runs are redone
            continue
        out.append(_Part(p, schema, _versions_of(schema), ids, steps))
    return out


def _describe(v: tuple[str, str] | None) -> str:
    if v is None:
        return "a govsim from before model versions were recorded"
    return f"model version {v[0]} / metrics version {v[1]}"


def _values(r: RunSpec) -> dict[str, Any]:
    return {**r.overrides, **r.tags, "seed": r.seed}


def _stem(name: str) -> str:
    return name[: -len(".parquet")] if name.endswith(".parquet") else name


def prepare(
    paths: ExperimentPaths,
    runs: Sequence[RunSpec],
    schema: pa.Schema,
    *,
    design_cols: Iterable[str],
    on_model_change: str = "refuse",
    full_design: bool = True,
) -> Prepared:
    """Tidy ``parts/`` for a launch of ``runs`` (call under :func:`experiment_lock`).

    Args:
        paths: The experiment's folders.
        runs: The runs of the launch; with ``full_design`` the whole current design.
        schema: The design's schema (:func:`build_schema`).
        design_cols: Tag and parameter columns (their values come from ``runs``).
        on_model_change: ``refuse`` | ``recompute`` | ``reuse`` (see :data:`ON_MODEL_CHANGE`).
        full_design: ``runs`` is the whole design: what else is stored is archived. False for
            an optimiser, whose design grows with each generation: nothing is archived but runs
            of another model version under ``recompute``.

    Raises:
        ExperimentConfigError: Stored runs of the design come from another model version and
            ``on_model_change`` is ``refuse`` (one line naming the option).
    """
    if on_model_change not in ON_MODEL_CHANGE:
        raise ExperimentConfigError(
            f"experiment.on_model_change={on_model_change!r}: allowed: {', '.join(ON_MODEL_CHANGE)}"
        )
    store = paths.store()
    archive = paths.archive
    removed = remove_orphan_temps([paths.parts, paths.failures, paths.root, archive])
    design_cols = set(design_cols)
    parts = _read_parts(store.part_paths())
    current = _vkey(current_versions())
    planned = {r.run_id: r for r in runs}
    other = {_vkey(p.versions): p.versions for p in parts if _vkey(p.versions) != current}
    alias: dict[str, str] = {}  # stored id of another version -> planned id
    for v in other.values():
        for r in runs:
            if r.key:
                alias[versioned_id(r.key, v)] = r.run_id
    stored_current = {i for p in parts if _vkey(p.versions) == current for i in p.ids}
    old_version: dict[str, tuple[str, str] | None] = {}
    for p in parts:
        if _vkey(p.versions) != current:
            for i in p.ids:
                old_version.setdefault(i, _vkey(p.versions))
    if full_design:
        overlap = {i for i in old_version if i in alias and alias[i] not in stored_current}
    else:
        overlap = set(old_version)
    if overlap and on_model_change == "refuse":
        seen = sorted({old_version[i] for i in overlap}, key=str)
        raise ExperimentConfigError(
            f"{paths.parts}: {len(overlap)} stored runs of this experiment were computed by "
            f"{', '.join(_describe(v) for v in seen)}, not by this code's "
            f"{_describe(current)}; set experiment.on_model_change=recompute to run them "
            "again (the old runs move to archive/), =reuse to count the old runs as this "
            "version's, or choose another experiment.name"
        )
    reused: dict[str, str] = {}
    if on_model_change == "reuse":
        for i in sorted(overlap):
            if i in alias and alias[i] not in stored_current:
                reused.setdefault(alias[i], i)
    wanted: dict[str, dict[str, Any]] | None = None
    if full_design:
        wanted = {rid: _values(r) for rid, r in planned.items()}
        wanted.update({old: _values(planned[new]) for new, old in reused.items()})
    drop = overlap if on_model_change == "recompute" else set()
    result = Prepared(reused=reused, temp_removed=len(removed))
    kept = _consolidate(parts, schema, design_cols, wanted, drop, archive, result)
    if wanted is not None:
        _restore(set(wanted) - kept, archive, paths.parts, schema, design_cols, wanted, result)
    _write_manifest(
        paths, runs, reused, {new: old_version[old] for new, old in reused.items()}, full_design
    )
    return result


def _consolidate(
    parts: list[_Part],
    schema: pa.Schema,
    design_cols: set[str],
    wanted: Mapping[str, Mapping[str, Any]] | None,
    drop: set[str],
    archive: Path,
    result: Prepared,
) -> set[str]:
    seen: set[str] = set()
    for part in parts:
        uniq = set(part.ids)
        dup = uniq & seen
        out = {i for i in uniq - dup if i in drop or (wanted is not None and i not in wanted)}
        keep = uniq - dup - out
        # without the whole design (an optimiser's generation) a part keeps its own schema
        target = _with_meta(schema, part.schema) if wanted is not None else part.schema
        needs = bool(dup or out) or not _same_fields(part.schema, target)
        if not needs:
            needs = bool(pd.DataFrame({"r": part.ids, "s": part.steps}).duplicated().any())
        if not needs and wanted is not None:
            needs = not _tags_match(part, target, design_cols, wanted)
        if needs:
            try:
                table = pq.read_table(part.path)
            except Exception:  # damaged data pages behind a readable footer
                continue
            ids = table.column("run_id").cast(pa.string())
            if out:
                mask = pc.is_in(ids, value_set=pa.array(sorted(out), pa.string()))
                dest = archive / f"{_stem(part.path.name)}-{secrets.token_hex(3)}.parquet"
                atomic_write_parquet(table.filter(mask), dest)
                result.archived += len(out)
            if keep:
                mask = pc.is_in(ids, value_set=pa.array(sorted(keep), pa.string()))
                new = _conform(table.filter(mask), target, design_cols, wanted)
                atomic_write_parquet(new, part.path, overwrite=True)
            else:
                part.path.unlink(missing_ok=True)
            result.rewritten += 1
            result.duplicates += len(dup)
        seen |= keep
    return seen


def _tags_match(
    part: _Part, schema: pa.Schema, design_cols: set[str], wanted: Mapping[str, Mapping[str, Any]]
) -> bool:
    cols = [c for c in schema.names if c in design_cols]
    if not cols:
        return True
    try:
        t = pq.read_table(part.path, columns=["run_id", *cols])
    except Exception:
        return True
    # tags and parameters are constant within a run: compare one row per distinct run/value
    df = t.to_pandas().drop_duplicates()
    if df["run_id"].duplicated().any():
        return False
    for c in cols:
        tp = schema.field(c).type
        for i, v in zip(df["run_id"], df[c].tolist(), strict=True):
            want = arrow_value(wanted[str(i)].get(c), tp)
            if want != v and not (_missing(want) and _missing(v)):
                return False
    return True


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _restore(
    missing: set[str],
    archive: Path,
    parts_dir: Path,
    schema: pa.Schema,
    design_cols: set[str],
    wanted: Mapping[str, Mapping[str, Any]],
    result: Prepared,
) -> None:
    if not missing or not archive.is_dir():
        return
    for path in sorted(archive.glob("*.parquet")):
        if path.name.startswith("."):
            continue
        try:
            table = pq.read_table(path)
            src = pq.read_schema(path)
        except Exception:
            continue
        ids = [str(x) for x in table.column("run_id").to_pylist()]
        back = set(ids) & missing
        if not back:
            continue
        mask = pa.array([i in back for i in ids])
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        dest = parts_dir / f"part-restored-{stamp}-{secrets.token_hex(4)}.parquet"
        target = _with_meta(schema, src)
        atomic_write_parquet(_conform(table.filter(mask), target, design_cols, wanted), dest)
        rest = table.filter(pa.array([i not in back for i in ids]))
        if rest.num_rows:
            atomic_write_parquet(rest, path, overwrite=True)
        else:
            path.unlink(missing_ok=True)
        missing -= back
        result.restored += len(back)


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------


def _write_manifest(
    paths: ExperimentPaths,
    runs: Sequence[RunSpec],
    reused: Mapping[str, str],
    reused_versions: Mapping[str, tuple[str, str] | None],
    full: bool,
) -> None:
    here = _vkey(current_versions())
    rows = {}
    for r in runs:
        v = reused_versions.get(r.run_id, here) if r.run_id in reused else here
        rows[r.run_id] = {
            "run_id": r.run_id,
            "stored_id": reused.get(r.run_id, r.run_id),
            "seed": int(r.seed),
            "model_version": v[0] if v else None,
            "metrics_version": v[1] if v else None,
        }
    path = paths.manifest
    if not full and path.is_file():
        try:
            old = pq.read_table(path).to_pylist()
        except Exception:
            old = []
        rows = {**{o["run_id"]: o for o in old}, **rows}
    schema = pa.schema(
        [
            pa.field("run_id", pa.string()),
            pa.field("stored_id", pa.string()),
            pa.field("seed", pa.int64()),
            pa.field("model_version", pa.string()),
            pa.field("metrics_version", pa.string()),
        ],
        metadata={META_EXPERIMENT: json.dumps({"experiment": paths.root.name}).encode()},
    )
    table = pa.Table.from_pylist(list(rows.values()), schema=schema)
    atomic_write_parquet(table, path, overwrite=True)


def read_manifest(root: Path | str) -> dict[str, str]:
    """``{planned run id: stored run id}`` of the experiment's current design ({} if none)."""
    path = Path(root) / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        t = pq.read_table(path, columns=["run_id", "stored_id"])
    except Exception:
        return {}
    return dict(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))
