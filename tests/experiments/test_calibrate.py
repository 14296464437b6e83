"""ABC-SMC calibration (experiments.kinds.calibrate): settings, posterior summaries with
analytic values, parameter recovery on synthetic data, resume after kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("pyabc")

from experiments.design import ExperimentConfigError
from experiments.kinds.calibrate import (
    Prior,
    Simulator,
    credible_intervals,
    fit_table,
    load_posterior,
    parse_settings,
    posterior_draws,
    preset_yaml,
    run_abc,
    weighted_quantile,
)
from experiments.targets import parse_targets, target_statistics
from sim.params import build_params
from sim.run import run_one

REPO = Path(__file__).resolve().parents[2]
SMALL = {"population.n_residents": 40}
STEPS = 12


def _targets(tmp: Path, value: float, name: str = "t.yaml") -> Path:
    p = tmp / name
    p.write_text(
        yaml.safe_dump(
            {
                "targets": [
                    {
                        "name": "needs",
                        "statistic": "needs_created",
                        "summary": "mean",
                        "window": [1, STEPS],
                        "value": float(value),
                        "source": "synthetic: simulated at a known needs.rate",
                    }
                ]
            }
        )
    )
    return p


def test_weighted_quantile_and_intervals_analytic():
    x = np.arange(1.0, 6.0)
    assert weighted_quantile(x, np.ones(5), [0.5])[0] == pytest.approx(3.0)
    # all weight on 5: every quantile is 5
    assert weighted_quantile(x, np.array([0, 0, 0, 0, 1.0]), [0.1, 0.9]).tolist() == [5.0, 5.0]
    # a uniform sample on [0, 1] under a uniform(0, 1) prior: width ratio ≈ 1, "open"
    u = np.linspace(0, 1, 2001)
    post = pd.DataFrame({"a": u, "weight": np.full(u.size, 1 / u.size)})
    ci = credible_intervals(post, [Prior("a", "uniform", 0.0, 1.0)], 0.9).iloc[0]
    assert ci["lo"] == pytest.approx(0.05, abs=1e-3) and ci["hi"] == pytest.approx(0.95, abs=1e-3)
    assert ci["width_ratio"] == pytest.approx(1.0, abs=0.01) and ci["identified"] == "open"
    narrow = post.assign(a=0.5 + 0.1 * (u - 0.5))
    ci = credible_intervals(narrow, [Prior("a", "uniform", 0.0, 1.0)], 0.9).iloc[0]
    assert ci["width_ratio"] == pytest.approx(0.1, abs=0.01) and ci["identified"] == "pinned"


def _settings(path: Path, **kw):
    raw = {"targets": str(path), "priors": {"needs.rate": [0.005, 0.08]}, **kw}
    return parse_settings(raw, build_params(None, SMALL))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"priors": {"needs.rat": [0, 1]}}, "needs.rat"),
        ({"priors": {"needs.rate": [0.5, 0.1]}}, "lo must be below hi"),
        ({"priors": {"needs.rate": [0.1, 9.0]}}, "leaves the parameter's range"),
        ({"priors": {"needs.max_wait": [2, 9]}}, "is a int parameter; calibrate continuous"),
        ({"priors": {"needs.rate": {"gamma": [1, 2]}}}, "expected [lo, hi] or one of"),
        ({"priors": {"needs.rate": {"loguniform": [0, 1]}}}, "loguniform needs lo > 0"),
        ({"priors": {}}, "expected a mapping dotted parameter"),
        ({"popsize": 3}, "experiment.calibrate.popsize: unknown setting"),
        ({"population_size": 1}, "population_size=1: expected an integer ≥ 2"),
        ({"sampler": {"kind": "slurm"}}, "experiment.calibrate.sampler="),
        ({"sampler": {"kind": "single", "n_procs": 2}}, "sampler.n_procs: not read by sampler"),
        ({"targets": None}, "targets: not set"),
        ({"targets": "nowhere.yaml"}, "no such targets file"),
    ],
)
def test_bad_settings_are_one_line(tmp_path, raw, message):
    full = {"targets": str(_targets(tmp_path, 1.0)), "priors": {"needs.rate": [0.005, 0.08]}}
    full.update(raw)
    full = {k: v for k, v in full.items() if v is not None}
    with pytest.raises(ExperimentConfigError) as exc:
        parse_settings(full, build_params(None, SMALL))
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_a_target_of_a_missing_group_is_refused(tmp_path):
    p = tmp_path / "g.yaml"
    p.write_text(
        "targets: [{name: a, statistic: participation_rate, group: students, summary: final,"
        " value: 0.1, source: 'assumed: x'}]"
    )
    with pytest.raises(ExperimentConfigError, match="group 'students' is not a resident group"):
        _settings(p)


def test_simulator_goes_through_run_one_and_is_reproducible(tmp_path):
    s = _settings(_targets(tmp_path, 1.0))
    base = build_params(None, SMALL)
    sim = Simulator(base, s.names, STEPS, s.target_set, root_seed=3)
    theta = {"needs.rate": 0.03}
    seed = sim.seed(theta)
    assert seed == sim.seed(dict(theta))  # a function of the parameters and the root seed
    assert seed != Simulator(base, s.names, STEPS, s.target_set, root_seed=4).seed(theta)
    r = run_one(build_params(base, theta), seed=seed, steps=STEPS)
    assert sim(theta)["needs"] == pytest.approx(r.model["needs_created"].iloc[1:].mean())
    # common random numbers: every parameter vector gets one of K seeds
    crn = Simulator(base, s.names, STEPS, s.target_set, root_seed=3, common_seeds=2)
    assert len({crn.seed({"needs.rate": v}) for v in np.linspace(0.01, 0.07, 30)}) == 2


RECOVERY = {"population.n_residents": 120}  # ≈ 4 needs a week: a clear signal in 12 weeks


def _calibrate(tmp: Path, value: float, folder: str, seed: int = 0):
    raw = {
        "targets": str(_targets(tmp, value, f"{folder}.yaml")),
        "priors": {"needs.rate": [0.005, 0.08]},
        "population_size": 16,
        "generations": 3,
        "sampler": {"kind": "multicore", "n_procs": 2},
    }
    base = build_params(None, RECOVERY)
    s = parse_settings(raw, base)
    state = run_abc(s, base, STEPS, seed, tmp / folder, echo=None)
    post = load_posterior(tmp / folder)
    return s, state, credible_intervals(post, s.priors, 0.9).iloc[0]


def test_recovers_a_known_parameter_and_follows_a_shifted_target(tmp_path):
    """Synthetic data: the mean number of needs raised per week, simulated at needs.rate=0.03
    (mean of 4 seeds); calibrated on a reduced budget, the 90 % interval holds 0.03; a target
    1.6 × higher moves the posterior median up (by more than 10 %)."""
    true = 0.03
    base = build_params(None, RECOVERY)
    obs = np.mean(
        [
            run_one(build_params(base, {"needs.rate": true}), seed=k, steps=STEPS)
            .model["needs_created"]
            .iloc[1:]
            .mean()
            for k in range(4)
        ]
    )
    _, state, ci = _calibrate(tmp_path, obs, "true")
    assert state["generations"] == 3 and state["simulations"] >= 48
    assert ci["lo"] <= true <= ci["hi"], ci.to_dict()
    assert ci["width_ratio"] < 0.8  # the target narrows the prior
    _, _, shifted = _calibrate(tmp_path, 1.6 * obs, "shifted")
    assert shifted["median"] > ci["median"] * 1.1, (shifted.to_dict(), ci.to_dict())
    # draws and preset from the posterior
    draws = posterior_draws(tmp_path / "true", 5, seed=1)
    assert draws == posterior_draws(tmp_path / "true", 5, seed=1)
    assert all(0.005 <= d["needs.rate"] <= 0.08 for d in draws)
    text = preset_yaml(base, {"needs.rate": float(ci["median"])}, "calibrated")
    assert text.startswith("# @package _global_\n")
    loaded = yaml.safe_load(text)
    assert loaded["needs"]["rate"] == pytest.approx(float(ci["median"]))
    assert loaded["population"]["n_residents"] == 120


def test_fit_table_verdicts():
    ts = parse_targets(
        {
            "targets": [
                {
                    "name": "a",
                    "statistic": "mean_trust",
                    "summary": "final",
                    "value": 0.5,
                    "source": "assumed",
                },
                {
                    "name": "b",
                    "statistic": "mean_trust",
                    "summary": "final",
                    "interval": [0.8, 0.9],
                    "source": "assumed",
                },
            ]
        }
    )
    ppc = pd.DataFrame(
        {
            "kind": ["draw"] * 11 + ["central"],
            "a": np.r_[np.linspace(0.4, 0.6, 11), 0.5],
            "b": np.r_[np.linspace(0.4, 0.6, 11), 0.5],
        }
    )
    ft = fit_table(ts, ppc, 0.9).set_index("target")
    assert bool(ft.loc["a", "fits"]) and not bool(ft.loc["b", "fits"])
    assert ft.loc["a", "pred_median"] == pytest.approx(0.5)
    assert ft.loc["b", "z"] < -5  # 0.5 vs 0.85 with sd 0.05/1.645


_SCRIPT = """
import sys
from pathlib import Path
from sim.params import build_params
from experiments.kinds.calibrate import parse_settings, run_abc
base = build_params(None, {"population.n_residents": 40})
s = parse_settings({"targets": sys.argv[1], "priors": {"needs.rate": [0.005, 0.08]},
                    "population_size": 8, "generations": int(sys.argv[3]),
                    "sampler": {"kind": "single"}}, base)
run_abc(s, base, 10, 0, Path(sys.argv[2]), echo=print)
"""


def _generations(db: Path) -> list[tuple[int, float]]:
    if not db.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        rows = con.execute("SELECT t, epsilon FROM populations WHERE t >= 0 ORDER BY t").fetchall()
        con.close()
        return rows
    except sqlite3.Error:
        return []


def test_resumes_after_kill_9_with_nothing_lost(tmp_path):
    """A calibration killed with SIGKILL after its first finished generation keeps it; the same
    command goes on from the next generation (the stored ones unchanged)."""
    targets = _targets(tmp_path, 1.5)
    folder = tmp_path / "cal"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", _SCRIPT, str(targets), str(folder)]
    proc = subprocess.Popen([*cmd, "30"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    db = folder / "abc.db"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(_generations(db)) < 1:
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _generations(db)
    assert 1 <= len(before) < 30, "the kill must land after a finished generation"
    particles = load_posterior(folder, t=0)
    out = subprocess.run(
        [*cmd, str(len(before) + 1)], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "resuming" in out.stdout
    after = _generations(db)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    pd.testing.assert_frame_equal(load_posterior(folder, t=0), particles)


def test_a_folder_of_another_calibration_is_refused(tmp_path):
    s = _settings(
        _targets(tmp_path, 1.0), population_size=4, generations=1, sampler={"kind": "single"}
    )
    base = build_params(None, SMALL)
    run_abc(s, base, 5, 0, tmp_path / "c", echo=None)
    other = parse_settings(
        {
            "targets": str(_targets(tmp_path, 2.0, "u.yaml")),
            "priors": {"needs.rate": [0.01, 0.08]},
            "population_size": 4,
            "generations": 1,
            "sampler": {"kind": "single"},
        },
        base,
    )
    with pytest.raises(ExperimentConfigError, match="holds a calibration with other"):
        run_abc(other, base, 5, 0, tmp_path / "c", echo=None)


@pytest.mark.slow
def test_recovers_two_parameters_on_a_larger_budget(tmp_path):
    """Two parameters, two patterns (needs raised per week; the elderly's participation),
    synthetic data from 200 residents × 40 weeks at known values: both lie in the 90 %
    intervals, and both intervals are narrower than the prior's."""
    base = build_params(None, {"population.n_residents": 200})
    true = {"needs.rate": 0.03, "population.groups.elderly.threshold_mean": 0.7}
    spec = [
        {"name": "needs", "statistic": "needs_created", "summary": "mean", "window": [1, 40]},
        {
            "name": "elderly",
            "statistic": "participation_rate",
            "group": "elderly",
            "summary": "mean",
            "window": [10, 40],
        },
    ]
    ts0 = parse_targets({"targets": [{**t, "value": 0.0, "source": "synthetic"} for t in spec]})
    runs = [run_one(build_params(base, true), seed=k, steps=40) for k in range(4)]
    obs = {
        c: float(np.mean([target_statistics(ts0, r.model, r.groups, r.summary)[c] for r in runs]))
        for c in ts0.components
    }
    p = tmp_path / "t.yaml"
    p.write_text(
        yaml.safe_dump(
            {"targets": [{**t, "value": obs[t["name"]], "source": "synthetic"} for t in spec]}
        )
    )
    s = parse_settings(
        {
            "targets": str(p),
            "priors": {
                "needs.rate": [0.005, 0.08],
                "population.groups.elderly.threshold_mean": [0.2, 1.2],
            },
            "population_size": 60,
            "generations": 5,
            "sampler": {"kind": "multicore", "n_procs": 2},
        },
        base,
    )
    run_abc(s, base, 40, 0, tmp_path / "c", echo=None)
    ci = credible_intervals(load_posterior(tmp_path / "c"), s.priors, 0.9).set_index("parameter")
    for name, value in true.items():
        assert ci.loc[name, "lo"] <= value <= ci.loc[name, "hi"], ci
        assert ci.loc[name, "width_ratio"] < 0.8, ci
