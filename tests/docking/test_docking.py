"""Docking: the array engine and the reference engine give the same distribution of outcomes.

See ``docking.py`` for the method (two-sample KS per outcome, Holm over the family at
``ALPHA``) and ``docs/performance.md`` for the design differences the study covers. The fast
study (default test run) uses 20 seeds per engine; ``pytest -m slow`` runs the large one
(200 seeds, more presets) and checks that the study has the power to see a real difference.
"""

from __future__ import annotations

import pytest

from .docking import FAST_RULE_PRESETS, PRESETS, SLOW_PRESETS, report, study


def _assert_docks(comps) -> None:
    text = report(comps)
    print(text)
    rejected = [c for c in comps if c.rejected]
    assert not rejected, "engines differ in distribution:\n" + text


def test_engines_dock_on_every_preset() -> None:
    """20 seeds per engine, 200 residents, 40 weeks, 8 presets (≈ 25 s on one core)."""
    _assert_docks(study(list(PRESETS), seeds=20, n=200, steps=40, table=PRESETS))


def test_engines_dock_with_the_rival_rules() -> None:
    """Every rival rule, node pairing and feuds (4 presets; 20 seeds, 150 residents, 30 weeks;
    the slow study runs each of them alone at full size)."""
    _assert_docks(
        study(list(FAST_RULE_PRESETS), seeds=20, n=150, steps=30, table=FAST_RULE_PRESETS)
    )


def test_docking_sees_a_wrong_rule() -> None:
    """The same study rejects when the reference runs another influence rule."""
    comps = study(
        ["hegselmann_krause"], seeds=20, n=150, steps=30, table=FAST_RULE_PRESETS,
        perturb={"opinions.rule": "deffuant"},
    )  # fmt: skip
    print(report(comps))
    assert any(c.rejected for c in comps)


def test_docking_sees_a_real_difference() -> None:
    """The same small study rejects when the reference runs a slightly different model."""
    comps = study(
        ["baseline"], seeds=20, n=200, steps=40, table=PRESETS,
        perturb={"trust.gain_resolved": 0.05, "participation.w_trust": 0.2},
    )  # fmt: skip
    print(report(comps))
    assert any(c.rejected for c in comps)


@pytest.mark.slow
def test_engines_dock_large_study() -> None:
    """200 seeds per engine, 300 residents, 60 weeks, 18 presets (≈ 20 min on one core for the
    12 classic ones; the six rule presets add about 40 min, estimated from the fast study)."""
    _assert_docks(study(list(SLOW_PRESETS), seeds=200, n=300, steps=60))


@pytest.mark.slow
@pytest.mark.parametrize(
    "perturb",
    [
        pytest.param({"opinions.mu": 0.25}, id="mu"),
        # Below the study's power: at 200 seeds the smallest p-value is 0.012 (participation
        # gap 0.456 vs 0.490, final opinion variance) against a Holm threshold of 3.9·10⁻⁴
        # (run of 2026-11-25, docs/performance.md). Kept to record where the power ends.
        pytest.param(
            {"trust.social_weight": 0.03},
            id="trust_drift",
            marks=pytest.mark.xfail(reason="trust drift 0.05 → 0.03 is below 200 seeds' power"),
        ),
        pytest.param({"trust.social_weight": 0.0}, id="trust_drift_off"),
        pytest.param({"participation.w_social": 0.45}, id="w_social"),
    ],
)
def test_large_study_has_power(perturb) -> None:
    """With 200 seeds, small changes of one rule in the reference are detected (μ 0.3 → 0.25,
    social-proof weight 0.5 → 0.45, trust drift switched off; not trust drift 0.05 → 0.03)."""
    comps = study(["integrated"], seeds=200, n=300, steps=60, perturb=perturb)
    print(report(comps))
    assert any(c.rejected for c in comps)
