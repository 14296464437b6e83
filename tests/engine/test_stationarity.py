"""The burn-in / stationarity diagnostic on processes whose answer is known analytically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import run_one
from sim.stationarity import geweke_z, long_run_variance, mser_truncation, steady_state


def _ar1(phi: float, n: int, rng: np.random.Generator) -> np.ndarray:
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - phi**2)  # started in its stationary distribution
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def test_long_run_variance_of_ar1_is_the_analytic_spectral_density() -> None:
    """AR(1) with unit innovations: S(0) = 1 / (1 − φ)²."""
    rng = np.random.default_rng(0)
    for phi in (0.0, 0.5, 0.9):
        s = np.mean([long_run_variance(_ar1(phi, 4000, rng)) for _ in range(20)])
        assert s == pytest.approx(1 / (1 - phi) ** 2, rel=0.15)


@pytest.mark.parametrize("phi", [0.0, 0.8])
def test_geweke_z_is_standard_normal_under_stationarity(phi) -> None:
    """White noise and AR(1): |z| > 1.96 in about 5 % of series, z centred on 0."""
    rng = np.random.default_rng(1)
    z = np.array([geweke_z(_ar1(phi, 800, rng)) for _ in range(400)])
    assert abs(z.mean()) < 0.2
    assert 0.5 < z.std() < 1.4
    assert 0.01 <= np.mean(np.abs(z) > 1.96) <= 0.12


def test_geweke_z_sees_a_trend() -> None:
    rng = np.random.default_rng(2)
    x = np.linspace(0, 3, 800) + rng.standard_normal(800)
    assert abs(geweke_z(x)) > 5


def test_mser_finds_the_end_of_a_transient() -> None:
    """Exponential transient (time constant 40) then white noise: truncated near its end."""
    rng = np.random.default_rng(3)
    t = np.arange(1000)
    x = 5 * np.exp(-t / 40) + 0.2 * rng.standard_normal(1000)
    d, inside = mser_truncation(x)
    assert inside and 80 <= d <= 300
    d0, inside0 = mser_truncation(0.2 * rng.standard_normal(1000))
    assert inside0 and d0 < 100
    _, inside_trend = mser_truncation(np.linspace(0, 1, 1000))
    assert not inside_trend  # still moving: no steady state in this run


def _table(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"step": np.arange(n), **cols})


def test_steady_state_flags_and_window() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(1001)
    transient = 0.5 + 0.4 * np.exp(-t / 50) + 0.01 * rng.standard_normal(t.size)
    flat = 0.3 + 0.01 * rng.standard_normal(t.size)
    out = steady_state(_table({"participation_rate": transient, "mean_trust": flat}))
    assert out["stationary"] == 1.0
    assert 100 <= out["burn_in"] <= 400
    window = transient[int(out["burn_in"]) + 1 :]
    assert out["steady_participation_rate"] == pytest.approx(window.mean())
    assert abs(out["steady_participation_rate"] - 0.5) < 0.01  # the level, not the transient
    drifting = steady_state(_table({"participation_rate": 0.001 * t + flat}))
    assert drifting["stationary"] == 0.0


def test_run_summary_reports_steady_outcomes_beside_transients() -> None:
    r = run_one(None, seed=1, steps=60, **{"population.n_residents": 200})
    s = r.summary
    assert {"burn_in", "stationary", "steady_participation_rate"} <= set(s)
    w = r.model[r.model["step"] > s["burn_in"]]
    assert s["steady_participation_rate"] == pytest.approx(w["participation_rate"].mean())


def test_stored_run_outcomes_match_the_run_summary() -> None:
    from experiments.tables import outcome_names, run_outcomes

    r = run_one(None, seed=2, steps=50, **{"population.n_residents": 200})
    rows = r.model.assign(run_id="x")
    out = run_outcomes(rows).iloc[0]
    for k in ("burn_in", "stationary", "steady_agenda_distance", "steady_mean_trust"):
        assert out[k] == pytest.approx(r.summary[k], nan_ok=True)
        assert k in outcome_names()
