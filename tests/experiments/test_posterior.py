"""Experiments over posterior draws (experiments.posterior, make_runs' replicate overrides)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.design import ExperimentConfigError, validate_points
from experiments.execute import make_runs, run_identity
from experiments.posterior import draw_posterior, read_posterior, replicate_bases
from sim.params import build_params


def _posterior(folder, weights=(0.0, 0.25, 0.75)):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"needs.rate": [0.01, 0.02, 0.04], "weight": list(weights), "generation": 3}
    ).to_parquet(folder / "posterior.parquet")
    return folder


def test_draws_follow_the_weights_and_are_deterministic(tmp_path):
    post = read_posterior(_posterior(tmp_path / "c"))
    d = draw_posterior(post, 4000, seed=7)
    assert d == draw_posterior(post, 4000, seed=7)
    vals = np.array([x["needs.rate"] for x in d])
    assert not np.any(vals == 0.01)  # weight 0 is never drawn
    assert np.mean(vals == 0.04) == pytest.approx(0.75, abs=0.03)
    assert draw_posterior(post, 50, seed=8) != draw_posterior(post, 50, seed=7)


def test_missing_or_unfitting_posterior_is_one_line(tmp_path):
    with pytest.raises(ExperimentConfigError, match=r"no posterior\.parquet there"):
        read_posterior(tmp_path)
    folder = tmp_path / "bad"
    folder.mkdir()
    pd.DataFrame({"needs.rat": [0.02], "weight": [1.0]}).to_parquet(folder / "posterior.parquet")
    with pytest.raises(ExperimentConfigError, match=r"does not fit this base.*needs\.rat"):
        replicate_bases(folder, build_params(None, {}), 3, 0)


def test_each_replicate_runs_its_draw_under_the_points_settings(tmp_path):
    base = build_params(None, {"population.n_residents": 50})
    draws = replicate_bases(_posterior(tmp_path / "c"), base, 3, 0)
    points = [{}, {"needs.rate": 0.05}, {"trust.memory": 0.5}]
    params = validate_points(base, points, "point")
    seeds = [11, 12, 13]
    runs = make_runs(base, points, params, seeds, 10, replicate_overrides=draws)
    assert len(runs) == 9
    for run in runs:
        p, r = run.tags["point"], run.tags["replicate"]
        expected = {**draws[r], **points[p]}
        assert run.overrides == expected
        assert run.run_id == run_identity(build_params(base, expected), seeds[r], 10)
    # the point's own setting wins over the draw: point 1 runs needs.rate=0.05 in every replicate
    assert {run.overrides["needs.rate"] for run in runs if run.tags["point"] == 1} == {0.05}
    # without draws: unchanged behaviour
    plain = make_runs(base, points, params, seeds, 10)
    assert [r.overrides for r in plain] == [p for p in points for _ in seeds]
    with pytest.raises(ValueError, match="2 replicate overrides for 3 seeds"):
        make_runs(base, points, params, seeds, 10, replicate_overrides=draws[:2])
