"""Shared helpers for the engine tests."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import run_one

#: Every lever on, every mechanism on, counter-currents present: a context in which every
#: schema parameter has something to act on.
ALL_ON = {
    "population.n_residents": 300,
    "strategy.name": "integrated",
    "strategy.ideological": 0.6,
    "strategy.political": 0.6,
    "strategy.organizational": 0.6,
    "strategy.smart": 0.6,
    "opinions.counter_share": 0.05,
    "opinions.noise": 0.01,
    "levers.smart.echo_chamber": 0.3,
    "conflicts.rate": 0.01,
}


def fit_all_on(overrides: dict) -> dict:
    """``overrides`` without the ALL_ON settings that nothing reads under them.

    ALL_ON switches on every lever under the integrated strategy; a test that chooses another
    strategy or switches a mechanism off would have those settings refused as unread.
    """
    import re

    from sim.params import build_params

    out = dict(overrides)
    while True:
        try:
            build_params(None, out)
            return out
        except ValueError as exc:
            m = re.match(r"parameter ([\w.]+)=", str(exc))
            key = m.group(1) if m else None
            if key not in ALL_ON or ALL_ON[key] != out.get(key) or "read" not in str(exc):
                raise
            del out[key]


def tables_equal(a, b) -> bool:
    """Whether two RunResults have identical tables (NaN equal to NaN)."""
    for name in ("model", "groups", "agents"):
        x, y = getattr(a, name), getattr(b, name)
        if x.shape != y.shape or list(x.columns) != list(y.columns):
            return False
        try:
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        except AssertionError:
            return False
    return True


@pytest.fixture(scope="session")
def all_on_run():
    """One run with every lever on (shared by several tests)."""
    return run_one(None, seed=7, steps=30, **ALL_ON)
