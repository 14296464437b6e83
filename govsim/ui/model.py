"""The classroom model: a scenario preset plus what the teacher set, and live levers.

:class:`ClassroomModel` is a :class:`sim.GovernanceModel` built from a scenario preset
(``configs/scenario/``, via :mod:`govsim.config`) with the classroom controls on top
(:mod:`govsim.ui.controls`). Mesa's SolaraViz re-creates it on Reset as
``type(model)(**model_params)``, so every argument has a default. :func:`classroom_model`
builds it on the engine its scenario selects (``engine.kind``; :func:`sim.engines.engine_class`),
and Reset keeps that class.

Levers on a running model: :func:`set_levers` replaces the model's strategy object (public API:
:func:`sim.strategies.make_strategy`) with fixed efforts. The engine reads
``model.strategy`` at the start of every week, so the change acts from the next step. This is
the teacher taking over: the scenario's own timing (a campaign's start week, an adaptive
strategy's re-allocations) stops there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol

from govsim.config import DEFAULT_SCENARIO, get_scenario, scenario_params
from sim import GovernanceModel
from sim.engines import engine_class
from sim.params import Params, build_params
from sim.strategies import LEVERS, Efforts, make_strategy

from .controls import community_overrides

__all__ = [
    "ClassroomModel",
    "Settings",
    "classroom_model",
    "lever_preview",
    "manual_strategy",
    "set_levers",
]


class Settings(Protocol):
    """What the app's per-session state gives a new model (see ``govsim.ui.app``)."""

    def model_kwargs(self) -> dict[str, Any]:
        """``scenario``, ``seed``, ``levers`` and the community controls' values."""
        ...


def manual_strategy(levers: Mapping[str, float]) -> dict[str, Any]:
    """Strategy overrides for fixed lever efforts from week 0 on (missing levers: 0)."""
    unknown = set(levers) - set(LEVERS)
    if unknown:
        raise ValueError(f"unknown lever(s) {sorted(unknown)}; levers: {', '.join(LEVERS)}")
    return {
        "strategy.name": "integrated",
        "strategy.start_step": 0,
        "strategy.end_step": -1,
        **{f"strategy.{lever}": float(levers.get(lever, 0.0)) for lever in LEVERS},
    }


def lever_preview(params: Params, model: GovernanceModel) -> Efforts:
    """The efforts the scenario's strategy applies once it is running.

    That is its efforts at week 0 with any start/end window removed: a campaign shows the
    efforts it switches on later, a budgeted or adaptive strategy its (initial) split,
    ``none`` zeros. What the lever sliders show after a scenario is picked.
    """
    sp = dataclasses.replace(params.strategy, start_step=0, end_step=-1)
    try:
        return make_strategy(sp, params.costs).efforts(model)
    except Exception:  # a user strategy that cannot be asked outside a run
        return Efforts(**{lever: getattr(sp, lever) for lever in LEVERS})


def set_levers(model: GovernanceModel, levers: Mapping[str, float]) -> None:
    """Run ``model`` with fixed lever efforts from its next step on.

    Replaces ``model.strategy`` (read by the engine at the start of every week) and keeps
    ``model.params`` describing what runs. Records the week in ``model.manual_since`` (the first
    week that uses the new efforts).
    """
    current = {lever: getattr(model.params.strategy, lever) for lever in LEVERS}
    manual = manual_strategy({**current, **levers})
    model.set_strategy({k.split(".", 1)[1]: v for k, v in manual.items()})
    model.manual_since = model.steps + 1


class ClassroomModel(GovernanceModel):
    """A scenario preset with the classroom controls applied.

    Args:
        scenario: A scenario preset name (``govsim list scenario``).
        seed: The run's seed.
        levers: Fixed lever efforts from week 0 (``{"smart": 0.5, ...}``; missing levers 0),
            replacing the scenario's strategy; ``None`` keeps the scenario's strategy.
        settings: The app's per-session state. When given, it supplies all of the above and
            the community values, and the other keyword arguments are ignored: Mesa passes
            its widgets' values on Reset, and those widgets are bound to the same state.
        **kwargs: Community controls by key (:data:`govsim.ui.controls.COMMUNITY`, e.g.
            ``population__n_residents=1000``, ``initial_trust=0.3``); ``None`` keeps the
            scenario's value.

    Attributes:
        scenario: The scenario's name.
        scenario_info: The :class:`govsim.config.Scenario` (description, claim, ...).
        seed: The seed used.
        overrides: The dotted-name overrides applied to the scenario (community controls,
            and the levers when set from week 0).
        manual_since: First week run with levers set by hand, or ``None``.
    """

    def __init__(
        self,
        scenario: str = DEFAULT_SCENARIO,
        *,
        seed: int = 0,
        levers: Mapping[str, float] | None = None,
        settings: Settings | None = None,
        **kwargs: Any,
    ) -> None:
        if settings is not None:
            given = settings.model_kwargs()
            scenario = given.pop("scenario")
            seed = given.pop("seed")
            levers = given.pop("levers")
            kwargs = given
        base = scenario_params(scenario)
        overrides = community_overrides(base, kwargs)
        if levers is not None:
            overrides.update(manual_strategy(levers))
        # A scenario's settings that the teacher's choices leave unread (its strategy budget
        # once the levers are set by hand, its homophily on another network kind) go back to
        # their defaults; a teacher's own setting that nothing reads is still refused.
        params = build_params(base, overrides, unread="reset") if overrides else base
        super().__init__(params, rng=int(seed))
        self.scenario = scenario
        self.scenario_info = get_scenario(scenario)
        self.seed = int(seed)
        self.overrides = overrides
        self.manual_since: int | None = 0 if levers is not None else None


def classroom_model(
    scenario: str = DEFAULT_SCENARIO, *, settings: Settings | None = None, **kwargs: Any
) -> ClassroomModel:
    """A :class:`ClassroomModel` (same arguments) on the engine its scenario selects.

    The class computing the classroom model on a reference-engine scenario
    (``engine.kind="reference"``) is :func:`sim.engines.engine_class`'s subclass of both; Mesa's
    Reset re-creates the model by its class, so it stays on that engine.
    """
    name = settings.model_kwargs()["scenario"] if settings is not None else scenario
    cls = engine_class(scenario_params(name).engine.kind, ClassroomModel)
    return cls(scenario, settings=settings, **kwargs)
