"""Posterior draws of a calibration, for experiments that run over them instead of one point.

``govsim calibrate`` writes its posterior sample to ``<folder>/posterior.parquet`` (one row per
particle: the calibrated parameters and a ``weight``). Any experiment given
``experiment.posterior=<folder>`` gives replicate *r* of every design point the parameters of
posterior draw *r* (resampled by weight, deterministic given the experiment's root seed), with
the point's own settings on top; so a study's verdict carries the parameter uncertainty the
calibration left. This module reads the file only (no pyabc needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.params import Params, build_params

from .design import ExperimentConfigError

__all__ = [
    "POSTERIOR_FILE",
    "check_draws",
    "draw_posterior",
    "draw_summary",
    "read_posterior",
    "replicate_bases",
]

POSTERIOR_FILE = "posterior.parquet"
_NOT_PARAMS = ("weight", "generation")


def read_posterior(folder: Path | str) -> pd.DataFrame:
    """The posterior sample of a calibration folder (weights summing to 1).

    Raises:
        ExperimentConfigError: No posterior there, or an unusable one (one line).
    """
    path = Path(folder) / POSTERIOR_FILE
    if not path.is_file():
        raise ExperimentConfigError(
            f"experiment.posterior={str(folder)!r}: no {POSTERIOR_FILE} there; give the folder "
            "of a finished `govsim calibrate` (results/<name>)"
        )
    df = pd.read_parquet(path)
    if "weight" not in df or not len(df) or not np.all(np.isfinite(df["weight"])):
        raise ExperimentConfigError(f"experiment.posterior: {path} has no usable weights")
    return df.assign(weight=df["weight"] / df["weight"].sum())


def draw_posterior(
    post: pd.DataFrame, n: int, seed: int, *, stream: int = 16
) -> list[dict[str, float]]:
    """``n`` parameter vectors resampled by weight with replacement (deterministic given
    ``seed``), as dotted-name overrides.

    ``stream`` names an independent stream of ``seed`` (``SeedSequence`` spawn key): 16 for
    the replicates' draws of ``experiment.posterior``, 17 for the contexts of ``govsim
    discover``, so the two never reuse each other's random numbers.
    """
    names = [c for c in post.columns if c not in _NOT_PARAMS]
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(2**31, stream)))
    idx = rng.choice(len(post), size=int(n), replace=True, p=post["weight"].to_numpy())
    return [{k: float(post[k].iloc[i]) for k in names} for i in idx]


def replicate_bases(folder: Path | str, base: Params, n: int, seed: int) -> list[dict[str, Any]]:
    """The overrides of each replicate's posterior draw, checked against ``base``.

    Raises:
        ExperimentConfigError: A draw the schema refuses with this base (one line).
    """
    draws = draw_posterior(read_posterior(folder), n, seed)
    check_draws(draws, base)
    return draws


def check_draws(draws: list[dict[str, Any]], base: Params) -> None:
    """Check that the first and last draw fit ``base`` (the schema accepts them there).

    Raises:
        ExperimentConfigError: A draw the schema refuses with this base (one line).
    """
    for i, d in enumerate(draws[:1] + draws[-1:]):
        try:
            build_params(base, d, unread="reset")
        except ValueError as exc:
            which = "first" if i == 0 else "last"
            raise ExperimentConfigError(
                f"experiment.posterior: the {which} draw does not fit this base: {exc}"
            ) from None


def draw_summary(draws: list[Mapping[str, Any]]) -> tuple[list[str], int]:
    """The parameters the draws set (sorted) and how many distinct particles they are."""
    names = sorted({k for d in draws for k in d})
    return names, len({tuple(sorted(d.items())) for d in draws})


def merged(draw: Mapping[str, Any], point: Mapping[str, Any]) -> dict[str, Any]:
    """A replicate's overrides: the posterior draw, then the design point's own settings."""
    return {**dict(draw), **dict(point)}
