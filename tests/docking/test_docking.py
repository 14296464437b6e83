"""Docking: the array engine and the reference engine give the same distribution of outcomes.

See ``docking.py`` for the method (two-sample KS per outcome, Holm over the family at
``ALPHA``) and ``docs/performance.md`` for the design differences the study covers. The fast
study (default test run) uses 20 seeds per engine; ``pytest -m slow`` runs the large one
(200 seeds, more presets) and checks that the study has the power to see a real difference.
"""

from __future__ import annotations

import pytest

from .docking import PRESETS, SLOW_PRESETS, report, study


def _assert_docks(comps) -> None:
    text = report(comps)
    print(text)
    rejected = [c for c in comps if c.rejected]
    assert not rejected, "engines differ in distribution:\n" + text


def test_engines_dock_on_every_preset() -> None:
    """20 seeds per engine, 200 residents, 40 weeks, 8 presets (≈ 25 s on one core)."""
    _assert_docks(study(list(PRESETS), seeds=20, n=200, steps=40, table=PRESETS))


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
    """200 seeds per engine, 300 residents, 60 weeks, 12 presets (≈ 20 min on one core)."""
    _assert_docks(study(list(SLOW_PRESETS), seeds=200, n=300, steps=60))


@pytest.mark.slow
@pytest.mark.parametrize(
    "perturb",
    [
        {"opinions.mu": 0.25},
        {"trust.social_weight": 0.03},
        {"participation.w_social": 0.45},
    ],
    ids=["mu", "trust_drift", "w_social"],
)
def test_large_study_has_power(perturb) -> None:
    """With 200 seeds, small changes of one rule in the reference are detected."""
    comps = study(["integrated"], seeds=200, n=300, steps=60, perturb=perturb)
    print(report(comps))
    assert any(c.rejected for c in comps)
