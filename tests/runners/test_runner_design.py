"""Planning: spawned seeds, designs, run identity, batch sizing, bootstrap bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.design import (
    ExperimentConfigError,
    factorial_design,
    lhs_design,
    replicate_seeds,
    validate_points,
)
from experiments.execute import make_runs, plan_batches, run_identity
from experiments.runners import experiment_from_config
from experiments.tables import bootstrap_over_time
from sim.params import build_params

BASE = build_params(None, {"population.n_residents": 120})


def test_seeds_are_spawned_prefix_stable_and_distinct():
    a = replicate_seeds(7, 5)
    b = replicate_seeds(7, 50)
    assert a == b[:5]
    assert len(set(b)) == 50
    assert all(0 <= s < 2**63 for s in b)
    assert replicate_seeds(8, 5) != a
    # seed r is drawn from child r of SeedSequence(root)
    child = np.random.SeedSequence(7).spawn(5)[3]
    assert a[3] == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_replications_below_one_are_rejected(bad):
    with pytest.raises(ExperimentConfigError, match="replications"):
        replicate_seeds(0, bad)


def test_factorial_and_lhs_designs():
    d = factorial_design(
        BASE, {"strategy.political": [0.0, 1.0], "network.kind": ["sbm", "complete"]}
    )
    assert len(d) == 4 and list(d.columns) == ["strategy.political", "network.kind"]
    d = factorial_design(BASE, {"opinions.mu": {"lo": 0.1, "hi": 0.5, "num": 3}})
    assert np.allclose(d["opinions.mu"], [0.1, 0.3, 0.5])
    lhs = lhs_design(BASE, {"opinions.mu": [0.1, 0.5], "population.n_residents": [100, 200]}, 10, 3)
    assert len(lhs) == 10
    assert lhs["population.n_residents"].dtype == np.int64
    # one point per stratum of each axis: a Latin hypercube
    strata = np.floor((lhs["opinions.mu"] - 0.1) / 0.04).astype(int)
    assert sorted(strata) == list(range(10))
    pd.testing.assert_frame_equal(
        lhs,
        lhs_design(BASE, {"opinions.mu": [0.1, 0.5], "population.n_residents": [100, 200]}, 10, 3),
    )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "empty"),
        ({"strategy.politcal": [0, 1]}, "did you mean 'political'"),
        ({"strategy.political": []}, "empty list"),
        ({"opinions.mu": {"lo": 0.1}}, "missing hi, num"),
    ],
)
def test_bad_designs_name_the_problem(params, match):
    with pytest.raises(ExperimentConfigError, match=match):
        factorial_design(BASE, params)


def test_bad_points_are_found_before_any_run():
    with pytest.raises(ExperimentConfigError, match=r"design point 1: parameter opinions.mu=0.9"):
        validate_points(BASE, [{"opinions.mu": 0.2}, {"opinions.mu": 0.9}], "design point")


def test_run_identity_is_parameters_steps_and_seed_not_position():
    p1 = build_params(BASE, {"opinions.mu": 0.2})
    runs_a = make_runs(BASE, [{"opinions.mu": 0.2}, {}], [p1, BASE], [11, 12], 10)
    runs_b = make_runs(BASE, [{}, {"opinions.mu": 0.2}], [BASE, p1], [12, 11], 10)
    assert {r.run_id for r in runs_a} == {r.run_id for r in runs_b}
    assert runs_a[0].run_id == run_identity(p1, 11, 10)
    assert run_identity(p1, 11, 10) != run_identity(p1, 11, 11)
    assert run_identity(p1, 11, 10) != run_identity(BASE, 11, 10)
    # snapshot settings change no outcome, so they do not change identity; the engine kind does
    same = build_params(p1, {"engine.collect_agents_every": 5})
    assert run_identity(same, 11, 10) == run_identity(p1, 11, 10)
    other = build_params(p1, {"engine.kind": "reference"})
    assert run_identity(other, 11, 10) != run_identity(p1, 11, 10)


def test_batches_keep_job_overhead_small_and_workers_busy():
    # 1000 runs of 0.3 s on 2 workers: ~10 s of work per job, an even number of jobs
    jobs = plan_batches(1000, 0.3, 2, target_job_s=10.0)
    assert jobs % 2 == 0 and 28 <= jobs <= 32
    assert 0.15 / (1000 * 0.3 / jobs) < 0.05  # a Hydra job's ~0.15 s is < 5 % of its work
    assert plan_batches(3, 0.3, 8) == 3  # never more jobs than runs
    assert plan_batches(10, 0.01, 4) == 4  # small experiments: one job per worker
    assert plan_batches(10, 1.0, 4, runs_per_job=3) == 4


def test_bootstrap_band_covers_a_known_mean():
    """Per-step percentile-bootstrap intervals over R = 30 replications cover the true mean
    about 95 % of the time (skewed data: exponential with mean 1)."""
    rng = np.random.default_rng(1)
    reps, steps = 30, 400
    data = rng.exponential(1.0, size=(reps, steps))
    rows = pd.DataFrame(
        {
            "run_id": np.repeat([f"r{i}" for i in range(reps)], steps),
            "step": np.tile(np.arange(steps), reps),
            "y": data.ravel(),
        }
    )
    b = bootstrap_over_time(rows, ["y"], n_boot=1000, seed=2)
    cover = ((b["boot_lo"] <= 1.0) & (1.0 <= b["boot_hi"])).mean()
    assert 0.89 <= cover <= 0.98


@pytest.mark.parametrize(
    ("batch", "match"),
    [
        ({"runs_per_jb": 4}, r"experiment\.batch\.runs_per_jb: unknown setting; allowed: "),
        ({"runs_per_job": 0}, r"batch\.runs_per_job"),
        ({"target_seconds": 0}, r"experiment\.batch\.target_seconds=0: expected a number > 0"),
        ({"in_process_below_s": -1}, r"in_process_below_s=-1: expected a number ≥ 0"),
        ({"in_process_below_s": "3"}, r"in_process_below_s='3': expected a number"),
    ],
)
def test_bad_batch_settings_name_the_problem(batch, match):
    exp = {"name": "b", "replications": 2, "batch": batch}
    with pytest.raises(ExperimentConfigError, match=match):
        experiment_from_config("replicate", exp, BASE, 5)
    ok = experiment_from_config("replicate", {**exp, "batch": {"in_process_below_s": 0}}, BASE, 5)
    assert ok.settings["batch"] == {"in_process_below_s": 0}
