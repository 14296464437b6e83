"""The experiment's dataset: one schema, the current design only, model versions, provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import experiments.store as store_mod
from experiments.design import ExperimentConfigError
from experiments.execute import ExperimentPaths
from experiments.runners import experiment_from_config, run_experiment
from sim.params import build_params

from .conftest import TINY, govsim

duckdb = pytest.importorskip("duckdb")

# The integrated strategy reads every lever effort the designs below vary.
BASE = build_params(None, {"population.n_residents": 60, "strategy.name": "integrated"})


def _sweep(results: Path, levels: list, *, name: str = "ext", r: int = 2, **extra):
    e = experiment_from_config(
        "sweep",
        {
            "name": name,
            "replications": r,
            "design": {"kind": "factorial", "params": {"strategy.political": levels}},
            **extra,
        },
        BASE,
        4,
    )
    return run_experiment(e, results, launcher=["hydra/launcher=basic"], progress=False, echo=None)


def _sql(root: Path, query: str) -> pd.DataFrame:
    parts = f"read_parquet('{root}/parts/*.parquet')"  # no union_by_name
    return duckdb.sql(query.format(parts=parts)).df()


def test_extending_a_sweep_keeps_one_schema_typed_by_the_parameter_schema(results):
    """Levels [0, 1] and then [0, 0.5, 1]: one float column in every part; pandas and DuckDB
    (without union_by_name) read all parts and get 0.5 back."""
    _sweep(results, [0, 1])
    summary, root = _sweep(results, [0, 0.5, 1])
    assert summary.ok and summary.done == 2 and summary.skipped == 4
    parts = sorted((root / "parts").glob("*.parquet"))
    assert len(parts) == 2
    schemas = [pq.read_schema(p) for p in parts]
    assert all(s.equals(schemas[0]) for s in schemas)  # names, types and field metadata
    assert str(schemas[0].field("strategy.political").type) == "double"
    df = pd.read_parquet(root / "parts")
    assert sorted(df["strategy.political"].unique()) == [0.0, 0.5, 1.0]
    got = _sql(
        root,
        'SELECT "strategy.political" AS x, count(DISTINCT run_id) AS n FROM {parts} '
        "GROUP BY 1 ORDER BY 1",
    )
    assert got["x"].tolist() == [0.0, 0.5, 1.0] and got["n"].tolist() == [2, 2, 2]
    # the tags are the current design's: point 1 is now 0.5, point 2 is 1.0
    points = df.groupby("point")["strategy.political"].unique().map(list).to_dict()
    assert points == {0: [0.0], 1: [0.5], 2: [1.0]}
    # files carry units, descriptions and the experiment's id
    f = schemas[0].field("strategy.political")
    assert f.metadata[b"unit"] and f.metadata[b"description"]
    assert schemas[0].field("participation_rate").metadata[b"description"]
    assert json.loads(schemas[0].metadata[b"govsim.experiment"]) == {"experiment": "ext"}


def test_an_old_int64_part_is_rewritten_to_the_design_schema(results):
    """A store written by an earlier govsim (levels [0, 1] stored as int64, no metadata) is
    brought to the design's schema on the next launch, so all parts read as one table."""
    _, root = _sweep(results, [0, 1])
    (part,) = (root / "parts").glob("*.parquet")
    t = pq.read_table(part)
    i = t.schema.get_field_index("strategy.political")
    old = t.set_column(i, "strategy.political", t.column(i).cast("int64"))
    pq.write_table(old.replace_schema_metadata(t.schema.metadata), part)
    _sweep(results, [0, 0.5, 1])
    df = pd.read_parquet(root / "parts")  # fails with parts of two schemas
    assert sorted(df["strategy.political"].unique()) == [0.0, 0.5, 1.0]
    assert df["run_id"].nunique() == 6


def test_parts_hold_the_current_design_so_raw_queries_agree_with_the_report(results):
    _sweep(results, [0, 0.5, 1])
    summary, root = _sweep(results, [0.5])  # the design shrinks
    assert summary.done == 0 and summary.skipped == 2
    raw = _sql(root, 'SELECT DISTINCT run_id, "strategy.political" AS x FROM {parts}')
    assert raw["x"].tolist() == [0.5, 0.5]
    runs = pd.read_csv(root / "tables" / "runs.csv")
    assert set(runs["run_id"]) == set(raw["run_id"])
    q = _sql(root, "SELECT avg(participation_rate) AS p FROM {parts} WHERE step = 4")
    assert q["p"].iloc[0] == pytest.approx(runs["final_participation_rate"].mean())
    manifest = pd.read_parquet(root / "manifest.parquet")
    assert set(manifest["run_id"]) == set(raw["run_id"])
    assert len(list((root / "archive").glob("*.parquet"))) >= 1  # the other runs are kept
    # growing the design again brings them back without recomputing anything
    summary, _ = _sweep(results, [0, 0.5, 1])
    assert summary.done == 0 and summary.skipped == 6
    assert pd.read_parquet(root / "parts")["run_id"].nunique() == 6
    assert not list((root / "archive").glob("*.parquet"))


def test_resuming_after_a_model_change_refuses_in_one_line(results, monkeypatch, capsys):
    _sweep(results, [0, 1], name="ver")
    paths = ExperimentPaths(results / "ver")
    spec_before = paths.spec.read_bytes()
    parts_before = sorted(p.name for p in paths.parts.iterdir())
    stored_version = store_mod.MODEL_VERSION
    monkeypatch.setattr(store_mod, "MODEL_VERSION", stored_version + "-test")
    with pytest.raises(ExperimentConfigError, match="on_model_change=recompute") as info:
        _sweep(results, [0, 1], name="ver")
    assert "\n" not in str(info.value)
    assert f"model version {stored_version}" in str(info.value)
    assert paths.spec.read_bytes() == spec_before  # nothing rewritten, nothing moved
    assert sorted(p.name for p in paths.parts.iterdir()) == parts_before


def test_a_model_change_on_the_command_line_is_exit_2_in_one_line(results, monkeypatch, capsys):
    args = [
        "sweep",
        *TINY,
        "population.n_residents=60",
        "steps=4",
        "experiment.name=ver",
        "experiment.replications=2",
        "~experiment.design.params",
        "+experiment.design.params={strategy.political: [0, 1]}",
        "hydra/launcher=basic",
        "--results-dir",
        str(results),
        "--no-report",
    ]
    assert govsim(*args) == 0
    monkeypatch.setattr(store_mod, "MODEL_VERSION", "2-test")
    capsys.readouterr()
    code = govsim(*args)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "on_model_change" in err
    assert govsim(*args, "experiment.on_model_change=recompute") == 0


def test_recompute_archives_the_old_runs_and_reuse_counts_them(results, monkeypatch):
    _, root = _sweep(results, [0, 1], name="rec")
    old_ids = set(pd.read_parquet(root / "parts")["run_id"])
    monkeypatch.setattr(store_mod, "MODEL_VERSION", "2-test")
    again, _ = _sweep(results, [0, 1], name="rec", on_model_change="recompute")
    assert again.done == 4 and again.skipped == 0
    now = pd.read_parquet(root / "parts")
    assert now["run_id"].nunique() == 4 and not set(now["run_id"]) & old_ids
    versions = {
        json.loads(pq.read_schema(p).metadata[b"govsim.versions"])["model"]
        for p in (root / "parts").glob("*.parquet")
    }
    assert versions == {"2-test"}
    assert set(pd.read_parquet(root / "archive")["run_id"]) == old_ids
    # reuse: another folder's old runs count as this version's, nothing runs
    monkeypatch.setattr(store_mod, "MODEL_VERSION", "1")
    _sweep(results, [0, 1], name="reu")
    monkeypatch.setattr(store_mod, "MODEL_VERSION", "2-test")
    reused, root2 = _sweep(results, [0, 1], name="reu", on_model_change="reuse")
    assert reused.done == 0 and reused.skipped == 4 and reused.ok
    manifest = pd.read_parquet(root2 / "manifest.parquet")
    assert (manifest["stored_id"] != manifest["run_id"]).all()
    assert set(manifest["model_version"]) == {"1"}
    assert pd.read_csv(root2 / "tables" / "runs.csv")["run_id"].nunique() == 4


def test_bad_on_model_change_is_refused(results):
    with pytest.raises(ExperimentConfigError, match="on_model_change='sometimes'"):
        _sweep(results, [0], on_model_change="sometimes")


def test_experiments_record_provenance(results):
    _, root = _sweep(results, [0, 1], name="prov")
    spec = json.loads((root / "experiment.json").read_text())
    prov = spec["provenance"]
    assert prov["model_version"] and prov["metrics_version"]
    assert prov["versions"]["numpy"] and prov["versions"]["pyarrow"]
    assert "command" in prov and "commit" in prov["git"]
    (launch,) = (root / "launches").iterdir()
    lp = json.loads((launch / "provenance.json").read_text())
    assert lp["launch"] == launch.name and lp["git"] == prov["git"]
    (part,) = (root / "parts").glob("*.parquet")
    meta = json.loads(pq.read_schema(part).metadata[b"govsim.provenance"])
    assert meta["launch"] == launch.name and meta["versions"]["mesa"]


def test_an_optimiser_rerun_finds_every_run_and_keeps_one_schema(results):
    """The optimiser's design grows per generation: tidying the store never archives its runs
    nor narrows its parts to one generation's columns."""
    base = build_params(None, {"population.n_residents": 60, "strategy.name": "budgeted"})
    settings = {
        "name": "opt",
        "replications": 2,
        "optimise": {"popsize": 2, "maxiter": 1, "validation_replications": 2},
    }
    e = experiment_from_config("optimise", settings, base, 4)
    launcher = ["hydra/launcher=basic"]
    first, root = run_experiment(e, results, launcher=launcher, progress=False, echo=None)
    again, _ = run_experiment(e, results, launcher=launcher, progress=False, echo=None)
    assert first.ok and again.done == 0 and again.skipped == first.planned
    schemas = [pq.read_schema(p) for p in (root / "parts").glob("*.parquet")]
    assert len(schemas) > 1 and all(s.equals(schemas[0]) for s in schemas)
    assert {"candidate", "phase", "generation"} <= set(schemas[0].names)
    assert not (root / "archive").exists()
