"""compare: paired tests detect a planted difference and keep the stated rate on a null one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.analysis import compare_table

from .conftest import TINY, govsim


def _runs(rng, n, shift, outcomes=("y1", "y2", "y3")):
    seeds = np.arange(n)
    luck = rng.normal(0.0, 1.0, size=(n, len(outcomes)))  # common random numbers per seed
    rows = []
    for cond, delta in (("a", 0.0), ("b", shift)):
        noise = rng.normal(0.0, 0.5, size=(n, len(outcomes)))
        vals = luck + noise + np.array([delta] + [0.0] * (len(outcomes) - 1))
        for i in range(n):
            rows.append(
                {"condition": cond, "seed": seeds[i], **dict(zip(outcomes, vals[i], strict=True))}
            )
    return pd.DataFrame(rows)


def test_planted_difference_is_detected_and_null_ones_are_not():
    rng = np.random.default_rng(3)
    sims, n = 150, 20
    hits = false_pos = family_errors = 0
    for _ in range(sims):
        t = compare_table(_runs(rng, n, shift=0.6), ["a", "b"], ["y1", "y2", "y3"])
        sig = t.set_index("outcome")["significant"]
        hits += bool(sig["y1"])
        false_pos += int(sig[["y2", "y3"]].sum())
        null = compare_table(_runs(rng, n, shift=0.0), ["a", "b"], ["y1", "y2", "y3"])
        family_errors += bool(null["significant"].any())
    # d_z = 0.6 / sqrt(2 * 0.5²) ≈ 0.85 with 20 pairs: power ≈ 0.96 at α = 0.05 / 3 (Holm)
    assert hits / sims > 0.85
    # Holm keeps the family-wise error rate at or below 5 % (binomial slack for 150 draws)
    assert family_errors / sims <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / sims)
    assert false_pos / (2 * sims) <= 0.05
    cols = {
        "mean_diff",
        "diff_lo",
        "diff_hi",
        "d_z",
        "d_z_lo",
        "d_z_hi",
        "p_ttest",
        "p_wilcoxon",
        "p_ttest_holm",
        "p_wilcoxon_holm",
        "significant",
    }
    assert cols <= set(t.columns)


def test_compare_end_to_end_on_common_seeds(results):
    """The smart lever at full effort against none: platform adoption differs on every
    seed (a planted, certain difference); an identical copy of the baseline differs nowhere."""
    code = govsim(
        "compare",
        *TINY,
        "experiment.name=cmp",
        "experiment.replications=5",
        "experiment.scenarios=[]",
        "experiment.conditions={none: {}, same: {}, smart: {strategy.name: smart, "
        "strategy.smart: 1.0}}",
        "experiment.outcomes=[final_platform_adoption,final_mean_trust]",
        "hydra/launcher=basic",
        "--results-dir",
        str(results),
    )
    assert code == 0
    root = results / "cmp"
    t = pd.read_csv(root / "tables" / "comparison.csv").set_index(["comparison", "outcome"])
    smart = t.loc[("smart − none", "final_platform_adoption")]
    assert smart["significant"] and smart["diff_lo"] > 0 and smart["n"] == 5
    same = t.loc["same − none"]
    assert (same["mean_diff"] == 0).all() and not same["significant"].any()
    md = (root / "tables" / "comparison.md").read_text()
    assert md.startswith("| comparison | outcome | n pairs |")
    assert (root / "figures" / "comparison.png").stat().st_size > 10_000
    # common random numbers: both conditions ran on exactly the same seeds
    runs = pd.read_csv(root / "tables" / "runs.csv")
    seeds = runs.groupby("condition")["seed"].apply(frozenset)
    assert seeds.nunique() == 1
