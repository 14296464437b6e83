"""Tests for experiments.store: run identity, atomic writes, crash-safe resumable store."""

import hashlib
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments.store as store_mod
from experiments.store import (
    ResultStore,
    atomic_write_bytes,
    atomic_write_parquet,
    canonical_json,
    current_versions,
    run_id,
    run_key,
    versioned_id,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
PARAMS = {"n_agents": 100, "leadership": "servant", "trust0": 0.5, "weights": [0.25, 0.75]}


def _publish(store: ResultStore, df: pd.DataFrame, name: str) -> Path:
    """Publish a part as the jobs do (experiments.execute.run_batch): atomic_write_parquet."""
    return atomic_write_parquet(df, store.root / f"{name}.parquet", overwrite=False)


def _batch(ids: list[str], steps: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": np.repeat(ids, steps),
            "step": np.tile(np.arange(steps), len(ids)),
            "mean_trust": np.linspace(0.0, 1.0, steps * len(ids)),
        }
    )


# ------------------------------------------------------------------------------------ run_id


def test_run_id_is_pinned():
    """Golden value: changing the canonical form silently would orphan every stored result."""
    text = (
        '{"params":{"leadership":"servant","n_agents":100,"trust0":0.5,'
        '"weights":[0.25,0.75]},"seed":42,"v":1}'
    )
    assert canonical_json(PARAMS, 42) == text
    # the version-free key: the whole identity of stores written before model versions
    assert run_key(PARAMS, 42) == hashlib.sha256(text.encode()).hexdigest()
    assert run_key(PARAMS, 42) == "8952f1f886a301e39306e9a04dbfdd0c2bb26fe5654e049cb3ec0d416f35fc85"
    assert run_id(PARAMS, 42, versions=None) == run_key(PARAMS, 42)
    v1 = {"model": "1", "metrics": "1"}
    assert run_id(PARAMS, 42, versions=v1) == (
        "c3809e3bce90dd3e680020c88e19ca574070d09ccac4080f9bd275acfd6bde8f"
    )


def test_run_id_includes_the_model_and_metric_versions():
    """The same parameters and seed under another model or metric version are another run."""
    from sim.version import METRICS_VERSION, MODEL_VERSION

    assert current_versions() == {"model": MODEL_VERSION, "metrics": METRICS_VERSION}
    here = run_id(PARAMS, 42)
    assert here == run_id(PARAMS, 42, versions=current_versions())
    assert here == versioned_id(run_key(PARAMS, 42), current_versions())
    other_model = {**current_versions(), "model": MODEL_VERSION + "-next"}
    other_metrics = {**current_versions(), "metrics": METRICS_VERSION + "-next"}
    ids = {here, run_id(PARAMS, 42, other_model), run_id(PARAMS, 42, other_metrics)}
    assert len(ids) == 3 and run_key(PARAMS, 42) not in ids


def test_run_id_ignores_spelling_and_order():
    base = run_id({"a": 0.1, "b": 2, "c": [1.0, 0.3]}, 7)
    same = [
        ({"c": (1, 0.1 + 0.2), "b": 2.0, "a": float("0.1000")}, 7),
        ({"a": np.float64(0.1), "b": np.int64(2), "c": np.array([1.0, 0.3])}, np.int32(7)),
        ({"a": np.float32(0.1), "b": 2, "c": [np.float32(1.0), np.float32(0.3)]}, 7),
    ]
    for params, seed in same:
        assert run_id(params, seed) == base


def test_run_id_distinguishes_what_matters():
    class Mode(Enum):
        A = "a"

    ids = {
        run_id({"x": 0.1}, 1),
        run_id({"x": 0.1}, 2),  # seed
        run_id({"x": 0.11}, 1),  # value
        run_id({"y": 0.1}, 1),  # key
        run_id({"x": 0.1, "z": None}, 1),  # extra key
        run_id({"x": True}, 1),
        run_id({"x": 1}, 1),  # True != 1
        run_id({"x": {"nested": 1}}, 1),
        run_id({"x": Mode.A}, 1),
        run_id({"x": "b"}, 1),
    }
    assert len(ids) == 10
    assert run_id({"x": Mode.A}, 1) == run_id({"x": "a"}, 1)
    assert len(run_id({"x": 1}, 1)) == 64


@pytest.mark.parametrize("seed", [1.0, "1", True, None])
def test_run_id_rejects_non_integer_seed(seed):
    with pytest.raises(TypeError):
        run_id({"x": 1}, seed)


def test_run_id_rejects_unhashable_values():
    with pytest.raises(TypeError):
        run_id({"x": object()}, 1)
    with pytest.raises(TypeError):
        run_id([("x", 1)], 1)


# ----------------------------------------------------------------------------- atomic writes


def test_atomic_write_parquet_roundtrip_and_no_leftovers(tmp_path):
    df = _batch(["a", "b"])
    path = atomic_write_parquet(df, tmp_path / "sub" / "x.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), df)
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.parquet"]


def test_atomic_write_no_clobber(tmp_path):
    path = tmp_path / "x.parquet"
    atomic_write_parquet(_batch(["a"]), path)
    with pytest.raises(FileExistsError):
        atomic_write_parquet(_batch(["b"]), path, overwrite=False)
    assert set(pd.read_parquet(path)["run_id"]) == {"a"}
    assert [p.name for p in tmp_path.iterdir()] == ["x.parquet"]
    atomic_write_parquet(_batch(["b"]), path)  # overwrite=True replaces
    assert set(pd.read_parquet(path)["run_id"]) == {"b"}


def test_failed_write_leaves_neither_temp_nor_target(tmp_path, monkeypatch):
    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(store_mod.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(b"data", tmp_path / "f.json")
    assert list(tmp_path.iterdir()) == []


def test_killed_writer_leaves_only_an_ignored_temp_file(tmp_path):
    """A real process dies (os._exit, no cleanup) after writing + fsync but before the rename.

    Readers must see no part file; the orphan temp is reported and can be reaped.
    """
    store = ResultStore(tmp_path / "exp")
    _publish(store, _batch(["done"]), "part-0")
    code = textwrap.dedent(
        f"""
        import os
        import pandas as pd
        import experiments.store as s
        die = lambda *a, **k: os._exit(9)   # killed right before publishing
        s.os.link = s.os.replace = die
        df = pd.DataFrame({{"run_id": ["lost"], "x": [1.0]}})
        s.atomic_write_parquet(df, s.Path({str(store.root)!r}) / "part-1.parquet")
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *sys.path])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, timeout=60)
    assert proc.returncode == 9
    temps = store.temp_paths()
    assert len(temps) == 1 and temps[0].name.startswith(".part-1.parquet.tmp-")
    assert not (store.root / "part-1.parquet").exists()
    report = store.scan()
    assert report.run_ids == {"done"} and report.temp == tuple(temps) and not report.corrupt
    assert store.finished_ids() == {"done"}
    assert set(store.read_all()["run_id"]) == {"done"}
    assert store.remove_stale_temp(max_age_s=3600) == []  # might belong to a live writer
    assert store.remove_stale_temp(max_age_s=-1) == temps
    assert store.temp_paths() == []


# ------------------------------------------------------------------------------------- store


def test_finished_ids_ignores_temp_and_truncated_files(tmp_path, caplog):
    store = ResultStore(tmp_path)
    good = _publish(store, _batch(["r1", "r2"]), "part-a")
    _publish(store, _batch(["r3"]), "part-b")
    # leftovers of a killed writer: a half-written temp file ...
    data = good.read_bytes()
    (tmp_path / ".part-c.parquet.tmp-999-deadbeef").write_bytes(data[: len(data) // 2])
    # ... and a truncated part under a final name (e.g. written non-atomically by hand)
    (tmp_path / "part-d.parquet").write_bytes(data[: len(data) // 2])
    (tmp_path / "part-e.parquet").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="experiments.store"):
        ids = store.finished_ids()
    assert ids == {"r1", "r2", "r3"}
    assert "part-d.parquet" in caplog.text and "part-e.parquet" in caplog.text
    report = store.scan()
    assert {p.name for p, _ in report.corrupt} == {"part-d.parquet", "part-e.parquet"}
    assert [p.name for p in report.temp] == [".part-c.parquet.tmp-999-deadbeef"]
    assert report.n_rows == 9
    assert len(store.read_all()) == 9


def test_part_without_run_id_column_is_reported(tmp_path):
    store = ResultStore(tmp_path)
    atomic_write_parquet(pd.DataFrame({"x": [1.0]}), tmp_path / "stray.parquet")
    _publish(store, _batch(["ok"]), "part-ok")
    report = store.scan()
    assert report.run_ids == {"ok"}
    assert [p.name for p, _ in report.corrupt] == ["stray.parquet"]


def test_resume_with_pending(tmp_path):
    store = ResultStore(tmp_path)
    specs = [({"p": p}, s) for p in (0.1, 0.2) for s in range(3)]
    todo = store.pending(specs)
    assert len(todo) == 6
    first = todo[:4]
    _publish(store, _batch([rid for rid, _, _ in first]), "b0")
    # a resumed, reordered sweep with a duplicate spelling skips finished runs
    again = store.pending([*reversed(specs), ({"p": 0.2000}, np.int64(2))])
    assert {rid for rid, _, _ in again} == {rid for rid, _, _ in todo[4:]}
    assert [(p, s) for _, p, s in again] == [({"p": 0.2}, 2), ({"p": 0.2}, 1)]


def test_failures_are_recorded_separately(tmp_path):
    store = ResultStore(tmp_path)
    params = {"alpha": np.float64(0.25), "n": np.int64(3)}
    rid = run_id(params, 5)
    try:
        raise RuntimeError("engine exploded")
    except RuntimeError as exc:
        path = store.record_failure(rid, 5, params, exc)
    assert path == tmp_path / "failures" / f"{rid}.json"
    rec = json.loads(path.read_text())
    assert rec["seed"] == 5 and json.loads(rec["params"]) == {"alpha": 0.25, "n": 3}
    assert "RuntimeError: engine exploded" in rec["error"] and "Traceback" in rec["error"]
    store.record_failure(run_id({"x": 1}, 1), 1, {"x": 1}, "plain message")
    (store.failure_dir / "broken.json").write_text("{not json")
    assert store.failed_ids() == {rid, run_id({"x": 1}, 1), "broken"}
    readable = [json.loads(p.read_text()) for p in store.failure_paths() if p.stem != "broken"]
    assert {r["run_id"] for r in readable} == {rid, run_id({"x": 1}, 1)}
    assert store.finished_ids() == set()  # failures never count as finished
    assert store.clear_failures([rid, "absent"]) == 1
    assert rid not in store.failed_ids()
    with pytest.raises(ValueError):
        store.record_failure("../x", 1, {}, "e")


def test_read_all_and_the_documented_duckdb_query(tmp_path):
    store = ResultStore(tmp_path)
    assert store.read_all().empty
    a = _batch(["r1", "r2"]).assign(leadership="servant")
    b = _batch(["r3"]).assign(leadership="autocratic", extra=1.5)  # schema evolution
    _publish(store, a, "p1")
    _publish(store, b, "p2")
    df = store.read_all()
    assert len(df) == 9 and df["extra"].isna().sum() == 6
    assert list(store.read_all(columns=["run_id"]).columns) == ["run_id"]
    duckdb = pytest.importorskip("duckdb")
    q = duckdb.sql(  # as the query help of every report.md shows it
        "SELECT leadership, count(*) AS rows, avg(mean_trust) AS m FROM read_parquet("
        f"'{tmp_path}/*.parquet', union_by_name = true) GROUP BY leadership ORDER BY leadership"
    ).df()
    ref = df.groupby("leadership")["mean_trust"].agg(["count", "mean"])
    assert list(q["leadership"]) == ["autocratic", "servant"]
    np.testing.assert_array_equal(q["rows"], ref["count"])
    np.testing.assert_allclose(q["m"], ref["mean"])


def test_concurrent_writers_and_reader(tmp_path):
    """Readers scanning while writers publish never see partial files or errors."""
    store = ResultStore(tmp_path)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(w: int) -> None:
        try:
            for i in range(10):
                _publish(store, _batch([f"w{w}-{i}"], steps=50), f"part-w{w}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                report = store.scan()
                assert not report.corrupt
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    r = threading.Thread(target=reader)
    r.start()
    writers = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    r.join()
    assert not errors
    assert len(store.finished_ids()) == 30 and store.temp_paths() == []
