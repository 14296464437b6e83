"""Tests for experiments.stats (warnings are errors via pyproject, so "no warnings" is checked)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.stats import holm, mean_ci, paired_compare, summarise_over_time

# ---------------------------------------------------------------------------------- mean_ci


def test_mean_ci_t_matches_scipy_interval():
    x = np.array([2.1, 3.4, 1.9, 5.0, 4.2, 3.3])
    m, lo, hi = mean_ci(x, level=0.9)
    ref = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(x.mean())
    assert (lo, hi) == pytest.approx(ref)


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_mean_ci_degenerate_cases_do_not_warn(method):
    assert all(math.isnan(v) for v in mean_ci([], method=method))
    m, lo, hi = mean_ci([4.2], method=method)
    assert m == 4.2 and math.isnan(lo) and math.isnan(hi)
    assert mean_ci([3.0, 3.0, 3.0, 3.0], method=method, rng=0) == (3.0, 3.0, 3.0)
    # NaNs are omitted
    m, lo, hi = mean_ci([1.0, np.nan, 3.0, 2.0], method=method, rng=0)
    assert m == 2.0 and lo < 2.0 < hi


def test_mean_ci_bootstrap_is_reproducible_and_brackets_mean():
    x = np.random.default_rng(3).exponential(size=40)
    a = mean_ci(x, method="bootstrap", n_boot=999, rng=7)
    b = mean_ci(x, method="bootstrap", n_boot=999, rng=7)
    assert a == b
    assert a[1] < a[0] < a[2]
    p = mean_ci(x, method="bootstrap", n_boot=999, rng=7, boot_method="percentile")
    assert p[1] < p[0] < p[2] and p != a


@pytest.mark.parametrize("kwargs", [{"level": 0.0}, {"level": 1.5}, {"method": "z"}])
def test_mean_ci_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], **kwargs)


def test_mean_ci_rejects_2d_input():
    with pytest.raises(ValueError):
        mean_ci(np.ones((2, 2)))


def test_t_interval_coverage_is_nominal():
    """2000 seeded normal samples: the 95% t-interval covers the true mean ~95% of the time.

    Binomial sd of the coverage estimate is sqrt(.95*.05/2000) ~ 0.0049; the band 0.95 ± 0.025
    is ~5 sd wide on each side, so the test is not flaky yet catches e.g. a z-interval (0.92
    expected at n = 8).
    """
    rng = np.random.default_rng(20240601)
    mu, n, reps = 3.0, 8, 2000
    hits = 0
    for _ in range(reps):
        _, lo, hi = mean_ci(rng.normal(mu, 2.0, size=n), level=0.95)
        hits += lo <= mu <= hi
    assert abs(hits / reps - 0.95) < 0.025


def test_bootstrap_interval_coverage_is_roughly_nominal():
    """BCa bootstrap coverage at n = 25 is close to, typically a little below, nominal."""
    rng = np.random.default_rng(99)
    mu, n, reps = -1.0, 25, 300
    hits = 0
    for _ in range(reps):
        _, lo, hi = mean_ci(rng.normal(mu, 1.0, size=n), method="bootstrap", n_boot=999, rng=rng)
        hits += lo <= mu <= hi
    assert 0.88 <= hits / reps <= 0.99


# ------------------------------------------------------------------------- summarise_over_time


def _replicated_frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for cond in ["a", "b"]:
        for seed in range(6):
            for step in range(4):
                rows.append(
                    {
                        "cond": cond,
                        "seed": seed,
                        "step": step,
                        "participation_rate": rng.uniform(),
                        "mean_trust": rng.normal(1.0 if cond == "a" else 2.0),
                        "const": 0.5,
                    }
                )
    df = pd.DataFrame(rows)
    df.loc[3, "mean_trust"] = np.nan  # a missing value is omitted, not propagated
    return df


def test_summarise_over_time_matches_per_group_mean_ci():
    df = _replicated_frame()
    out = summarise_over_time(df, by=["cond"], level=0.9)
    assert list(out.columns) == [
        "cond",
        "step",
        "variable",
        "n",
        "mean",
        "sd",
        "se",
        "lo",
        "hi",
    ]
    # default value columns: float columns only (seed is int and is never averaged)
    assert set(out["variable"]) == {"participation_rate", "mean_trust", "const"}
    assert len(out) == 2 * 4 * 3
    for row in out.itertuples(index=False):
        sel = df[(df["cond"] == row.cond) & (df["step"] == row.step)][row.variable]
        m, lo, hi = mean_ci(sel.to_numpy(), level=0.9)
        assert row.n == sel.notna().sum()
        assert row.mean == pytest.approx(m)
        assert row.lo == pytest.approx(lo)
        assert row.hi == pytest.approx(hi)
    const = out[out["variable"] == "const"]
    assert (const["lo"] == 0.5).all() and (const["hi"] == 0.5).all()


def test_summarise_over_time_single_replication_and_no_step():
    df = _replicated_frame()
    one = summarise_over_time(df[df["seed"] == 0], by="cond", value_cols="mean_trust")
    assert (one["n"] <= 1).all()
    assert one["lo"].isna().all() and one["hi"].isna().all() and one["sd"].isna().all()

    final = summarise_over_time(
        df[df["step"] == 3], by=["cond"], value_cols=["mean_trust"], step_col=None
    )
    assert list(final["cond"]) == ["a", "b"]
    assert list(final["n"]) == [5, 6]  # row 3 (cond a, seed 0, step 3) is missing


def test_summarise_over_time_rejects_missing_columns():
    df = _replicated_frame()
    with pytest.raises(KeyError):
        summarise_over_time(df, by=["nope"])
    with pytest.raises(KeyError):
        summarise_over_time(df, value_cols=["nope"])


# ----------------------------------------------------------------------------- paired_compare


def test_paired_compare_matches_scipy():
    rng = np.random.default_rng(11)
    a = rng.normal(size=15)
    b = a + rng.normal(0.4, 1.0, size=15)
    res = paired_compare(a, b, level=0.95)
    d = a - b
    tt = stats.ttest_rel(a, b)
    ci = tt.confidence_interval(0.95)
    assert res.n == 15
    assert res.mean_diff == pytest.approx(d.mean())
    assert (res.diff_lo, res.diff_hi) == pytest.approx((ci.low, ci.high))
    assert res.p_ttest == pytest.approx(tt.pvalue)
    assert res.p_wilcoxon == pytest.approx(stats.wilcoxon(d).pvalue)
    assert res.d_z == pytest.approx(d.mean() / d.std(ddof=1))
    assert res.d_z_lo < res.d_z < res.d_z_hi
    # the noncentral-t bounds are where the observed t sits at the 97.5% / 2.5% quantiles
    t_obs, df = res.d_z * math.sqrt(15), 14
    assert stats.nct.cdf(t_obs, df, res.d_z_lo * math.sqrt(15)) == pytest.approx(0.975)
    assert stats.nct.cdf(t_obs, df, res.d_z_hi * math.sqrt(15)) == pytest.approx(0.025)
    rec = res.to_dict()
    assert rec["n"] == 15 and set(rec) >= {"p_ttest", "p_wilcoxon", "d_z_lo", "d_z_hi"}


def test_paired_compare_degenerate_inputs_do_not_warn():
    same = paired_compare([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same.p_ttest == 1.0 and same.p_wilcoxon == 1.0
    assert same.mean_diff == 0.0 and (same.diff_lo, same.diff_hi) == (0.0, 0.0)
    assert math.isnan(same.d_z)

    shifted = paired_compare([2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert shifted.p_ttest == 0.0 and shifted.d_z == math.inf
    assert shifted.p_wilcoxon == pytest.approx(1 / 32)  # exact: all 6 signs positive

    single = paired_compare([1.0], [0.0])
    assert single.n == 1 and single.mean_diff == 1.0 and math.isnan(single.p_ttest)

    # pairwise omission of missing values
    res = paired_compare([1.0, np.nan, 3.0, 4.0], [0.0, 1.0, np.nan, 2.5])
    assert res.n == 2 and res.mean_diff == pytest.approx(1.25)


def test_paired_compare_rejects_length_mismatch():
    with pytest.raises(ValueError):
        paired_compare([1.0, 2.0], [1.0])


def test_paired_compare_detects_planted_difference():
    """Common random numbers: both arms share a run-level effect; B is shifted by 0.8 sd of
    the paired noise, n = 30, so the t-test power is ~0.99 at alpha = 0.05."""
    rng = np.random.default_rng(7)
    reps, n, hits_t, hits_w = 200, 30, 0, 0
    for _ in range(reps):
        shared = rng.normal(0.0, 3.0, size=n)
        a = shared + rng.normal(0.0, 1.0 / math.sqrt(2), size=n)
        b = shared + 0.8 + rng.normal(0.0, 1.0 / math.sqrt(2), size=n)
        res = paired_compare(a, b)
        hits_t += res.p_ttest < 0.05
        hits_w += res.p_wilcoxon < 0.05
        assert res.mean_diff < 0
    assert hits_t / reps > 0.95
    assert hits_w / reps > 0.9


def test_paired_compare_null_rejection_rate_is_nominal():
    """Under H0 both tests reject at about alpha = 0.05 (1000 seeded repeats: binomial sd of
    the rate ~ 0.007, tolerance ± 0.02); the d_z CI covers 0 at about 95%."""
    rng = np.random.default_rng(2024)
    reps, n = 1000, 20
    rej_t = rej_w = cover = 0
    for _ in range(reps):
        shared = rng.normal(size=n)
        res = paired_compare(shared + rng.normal(size=n), shared + rng.normal(size=n))
        rej_t += res.p_ttest < 0.05
        rej_w += res.p_wilcoxon < 0.05
        cover += res.d_z_lo <= 0.0 <= res.d_z_hi
    assert abs(rej_t / reps - 0.05) < 0.02
    assert abs(rej_w / reps - 0.05) < 0.02
    assert abs(cover / reps - 0.95) < 0.02


def test_dz_interval_coverage_for_nonzero_effect():
    rng = np.random.default_rng(31)
    delta, n, reps, cover = 0.6, 12, 300, 0
    for _ in range(reps):
        d = rng.normal(delta, 1.0, size=n)
        res = paired_compare(d, np.zeros(n))
        cover += res.d_z_lo <= delta <= res.d_z_hi
    assert 0.91 <= cover / reps <= 0.985


# ------------------------------------------------------------------------------------- holm


def test_holm_hand_computed_example():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> cummax 0.06
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])
    # ...which is not Benjamini-Hochberg (scipy's false_discovery_control)
    assert not np.allclose(holm(p), stats.false_discovery_control(p))


def test_holm_caps_at_one_keeps_shape_and_nans():
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])
    out = holm(np.array([[0.01, np.nan], [0.02, 0.9]]))
    assert out.shape == (2, 2) and np.isnan(out[0, 1])
    np.testing.assert_allclose(out[~np.isnan(out)], [0.03, 0.04, 0.9])
    assert holm([]).shape == (0,)
    with pytest.raises(ValueError):
        holm([0.1, 1.2])


def test_holm_is_monotone_and_equals_sequential_rejection():
    rng = np.random.default_rng(0)
    for _ in range(50):
        m = int(rng.integers(1, 30))
        p = np.round(rng.uniform(0, 0.2, size=m) ** 2, 4)  # includes ties
        adj = holm(p)
        order = np.argsort(p, kind="stable")
        assert np.all(np.diff(adj[order]) >= 0)
        assert np.all(adj >= p) and np.all(adj <= 1)
        for alpha in (0.01, 0.05):
            # Holm (1979): reject H_(1..k-1) where k is the first i with p_(i) > alpha/(m-i+1)
            reject = np.zeros(m, bool)
            for i, idx in enumerate(order):
                if p[idx] > alpha / (m - i):
                    break
                reject[idx] = True
            np.testing.assert_array_equal(reject, adj <= alpha)


def test_two_pairs_with_a_huge_d_z_leave_its_interval_undefined_not_an_error():
    """Two seeds whose differences agree to 1e-7 (d_z ≈ 1.4e7, one degree of freedom): the
    noncentral t cannot be inverted (its cdf is NaN long before the bracket closes), which
    used to stop a whole report (the demo on two seeds); the d_z bounds are NaN instead and
    everything else is reported."""
    r = paired_compare(np.array([1.0, 1.0000001]), np.zeros(2))
    assert r.n == 2 and r.d_z > 1e6
    assert math.isnan(r.d_z_lo) and math.isnan(r.d_z_hi)
    assert r.diff_lo < r.mean_diff < r.diff_hi and r.p_ttest < 1e-5
    ok = paired_compare(np.array([0.4, 0.41]), np.zeros(2))  # large but invertible
    assert 0 < ok.d_z_lo < ok.d_z < ok.d_z_hi
