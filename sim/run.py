"""A run is a function: ``run_one(params, seed, steps) -> RunResult``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .engines import make_model
from .metrics import GROUP_METRICS, MODEL_METRICS, summarise
from .model import GovernanceModel
from .params import Params, build_params, check_seed, check_steps
from .stationarity import steady_state

__all__ = ["RunResult", "model_tables", "run_one"]


@dataclass
class RunResult:
    """The tables of one run.

    Attributes:
        model: One row per week (``step`` 0 … steps), one column per model metric.
        groups: One row per week and group (``step``, ``group``, one column per group metric).
        agents: Final per-resident state (plus ``step`` snapshots if requested).
        params: The validated parameters.
        seed: The seed the run was started with.
        summary: Run-level outcomes: :func:`sim.metrics.summarise` (``final_*``, ``mean_*``)
            and :func:`sim.stationarity.steady_state` (``burn_in``, ``stationary``,
            ``steady_*`` over the weeks after the burn-in).
        wall_time: Seconds the run took.
    """

    model: pd.DataFrame
    groups: pd.DataFrame
    agents: pd.DataFrame
    params: Params
    seed: Any
    summary: dict[str, float] = field(default_factory=dict)
    wall_time: float = 0.0


def model_tables(model: GovernanceModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-step model and per-group tables from a model's DataCollector."""
    raw = model.datacollector.model_vars
    steps = np.arange(len(raw["participation_rate"]), dtype=np.int64)
    mdf = pd.DataFrame({"step": steps})
    for name in MODEL_METRICS:
        mdf[name] = np.asarray(raw[name], dtype=np.float64)
    groups = raw["_groups"]
    ng = len(model.group_names)
    gdf = pd.DataFrame(
        {
            "step": np.repeat(steps, ng),
            "group": pd.Categorical(
                np.tile(np.asarray(model.group_names, dtype=object), steps.size),
                categories=list(model.group_names),
            ),
        }
    )
    for name in GROUP_METRICS:
        gdf[name] = np.concatenate([g[name] for g in groups]).astype(np.float64)
    return mdf, gdf


def _agents_table(model: GovernanceModel) -> pd.DataFrame:
    frames = [pd.DataFrame(s).assign(step=t) for t, s in model.snapshots]
    if not frames or frames[-1]["step"].iloc[0] != model.steps:
        frames.append(pd.DataFrame(model.agent_state()).assign(step=model.steps))
    df = pd.concat(frames, ignore_index=True)
    cols = ["step"] + [c for c in df.columns if c != "step"]
    return df[cols]


def run_one(
    params: Params | dict | None = None,
    seed: int | np.random.SeedSequence | None = 0,
    steps: int = 100,
    *,
    on_step: Callable[[GovernanceModel], None] | None = None,
    until_settled: bool = False,
    settle_tol: float = 1e-9,
    settle_weeks: int = 1,
    **overrides: Any,
) -> RunResult:
    """Run one simulation and return its tables.

    Args:
        params: Parameters (schema object, nested mapping, or ``None`` for defaults).
        seed: The run's seed: an int ≥ 0, a ``SeedSequence`` or ``None`` (fresh entropy); see
            :class:`GovernanceModel`. (The CLI and experiments, which store seeds in tables,
            take 0 … 2⁶³ − 1, :data:`sim.params.MAX_SEED`.)
        steps: Number of weeks, 0 … :data:`sim.params.MAX_STEPS` (with ``until_settled``, the
            most weeks).
        on_step: Called with the model after every week (e.g. a progress bar); it must not
            change the model.
        until_settled: Stop early once the residents' state has settled
            (:meth:`GovernanceModel.run_until_settled`): no participation decision changed and
            no opinion moved by more than ``settle_tol`` for ``settle_weeks`` weeks in a row.
            The tables then end at the week the stop was detected.
        settle_tol: Largest opinion move that still counts as settled (with ``until_settled``).
        settle_weeks: Quiet weeks in a row needed (with ``until_settled``).
        **overrides: Dotted-name overrides (``**{"strategy.name": "integrated"}``).

    Returns:
        The run's tables.

    Raises:
        ValueError: A bad parameter, seed, number of steps or ``on_step``; the message names it.
    """
    steps = check_steps(steps)
    if on_step is not None and not callable(on_step):
        raise ValueError(f"on_step={on_step!r}: expected a function of the model, or None")
    if not isinstance(seed, np.random.SeedSequence) and seed is not None:
        seed = check_seed(seed, stored=False)
    if not until_settled and (settle_tol != 1e-9 or settle_weeks != 1):
        raise ValueError("settle_tol and settle_weeks are read only with until_settled=True")
    p = build_params(params, overrides)  # the one validation of this run
    t0 = time.perf_counter()
    model = make_model(p, rng=seed)  # on the engine p selects; p is not checked again
    if until_settled:
        if on_step is not None:
            raise ValueError("run_one: on_step is not supported with until_settled=True")
        model.run_until_settled(int(steps), tol=settle_tol, weeks=settle_weeks)
    elif on_step is None:
        model.run(int(steps))
    else:
        for _ in range(int(steps)):
            model.step()
            on_step(model)
    mdf, gdf = model_tables(model)
    return RunResult(
        model=mdf,
        groups=gdf,
        agents=_agents_table(model),
        params=p,
        seed=seed,
        summary={**summarise(mdf), **steady_state(mdf, metrics=list(MODEL_METRICS))},
        wall_time=time.perf_counter() - t0,
    )
