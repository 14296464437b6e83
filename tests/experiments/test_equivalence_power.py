"""TOST and power against analytic and independently computed values (experiments/stats.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from experiments.stats import paired_t_power, pairs_for_power, tost_paired, tost_power


def _power_by_integration(n: int, d: float, alpha: float) -> float:
    """Two-sided paired t power by integrating over the sample sd (independent of nct)."""
    df = n - 1
    c = stats.t.ppf(1 - alpha / 2, df)
    rn = math.sqrt(n)

    def f(s: float) -> float:
        dens = 2.0 * s * df * stats.chi2.pdf(df * s * s, df)
        # reject when |mean| > c s / √n, mean ~ N(d, 1/n)
        k = c * s
        return (stats.norm.sf(k - d * rn) + stats.norm.cdf(-k - d * rn)) * dens

    return integrate.quad(f, 0, 10, limit=200)[0]


@pytest.mark.parametrize(
    ("n", "d", "alpha"),
    [(30, 0.5, 0.05), (30, 1.0, 0.05 / 86), (10, 0.8, 0.01), (100, 0.2, 0.05), (8, 2.0, 1e-4)],
)
def test_paired_power_matches_integration(n, d, alpha):
    p = paired_t_power(n, d, alpha)
    assert np.isfinite(p)
    assert p == pytest.approx(_power_by_integration(n, d, alpha), abs=1e-6)


def test_paired_power_known_values_and_limits():
    assert paired_t_power(30, 0.0, 0.05) == pytest.approx(0.05, abs=1e-9)  # size under H0
    assert paired_t_power(30, -0.5) == pytest.approx(paired_t_power(30, 0.5))  # two-sided
    assert paired_t_power(34, 0.5) == pytest.approx(0.808, abs=0.001)
    assert pairs_for_power(0.5) == 34
    # normal approximation with its small-sample term: (z_.975 + z_.8)²/d² + z²/2 ≈ 33.3
    z = stats.norm.ppf
    approx = (z(0.975) + z(0.8)) ** 2 / 0.25 + z(0.975) ** 2 / 2
    assert abs(pairs_for_power(0.5) - approx) < 1.5
    # the NaN case at the first Holm step
    assert paired_t_power(30, 1.0, 5.8e-4) == pytest.approx(0.929, abs=0.001)
    assert math.isnan(paired_t_power(1, 1.0))


def test_tost_by_hand():
    # mean 0.1, sd 1, n = 25: SE 0.2; bounds ±0.5 → t_low = 3, t_high = −2, df 24
    rng = np.random.default_rng(1)
    z = rng.standard_normal(25)
    d = (z - z.mean()) / z.std(ddof=1) + 0.1
    r = tost_paired(d, -0.5, 0.5)
    assert r.t_low == pytest.approx(3.0) and r.t_high == pytest.approx(-2.0)
    assert r.p_low == pytest.approx(stats.t.sf(3.0, 24))
    assert r.p_high == pytest.approx(stats.t.cdf(-2.0, 24))
    assert r.p == pytest.approx(max(r.p_low, r.p_high)) == pytest.approx(0.02847, abs=1e-4)


def test_tost_agrees_with_the_90_percent_interval():
    # duality: TOST at α rejects iff the (1 − 2α) CI lies inside the bounds
    rng = np.random.default_rng(2)
    for _ in range(200):
        d = rng.normal(rng.uniform(-0.3, 0.3), rng.uniform(0.1, 1.0), size=15)
        m, se = d.mean(), d.std(ddof=1) / math.sqrt(15)
        half = stats.t.ppf(0.95, 14) * se
        inside = (m - half > -0.25) and (m + half < 0.25)
        assert (tost_paired(d, -0.25, 0.25).p < 0.05) == inside


def test_tost_degenerate_and_bad_bounds():
    assert tost_paired(np.full(5, 0.1), -0.5, 0.5).p == 0.0
    assert tost_paired(np.full(5, 0.9), -0.5, 0.5).p == 1.0
    with pytest.raises(ValueError, match="low < high"):
        tost_paired([1.0, 2.0], 0.5, -0.5)


@pytest.mark.parametrize(("n", "bound", "true"), [(30, 0.5, 0.0), (30, 0.5, 0.2), (15, 1.0, 0.0)])
def test_tost_power_matches_monte_carlo(n, bound, true):
    rng = np.random.default_rng(3)
    x = rng.normal(true, 1.0, size=(40_000, n))
    m, se = x.mean(axis=1), x.std(axis=1, ddof=1) / math.sqrt(n)
    c = stats.t.ppf(0.95, n - 1)
    sim = np.mean(((m + bound) / se > c) & ((m - bound) / se < -c))
    assert tost_power(n, bound, 0.05, true) == pytest.approx(sim, abs=0.008)


def test_tost_power_normal_limit():
    n, b = 2000, 0.1
    approx = 2 * stats.norm.cdf(math.sqrt(n) * b - stats.norm.ppf(0.95)) - 1
    assert tost_power(n, b) == pytest.approx(approx, abs=1e-3)
