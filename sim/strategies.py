"""Leadership strategies: objects that set the four lever efforts each week.

The protocol is one method: ``efforts(model) -> Efforts``. The engine calls it once at the start
of every week; the mechanisms then read ``model.effort``. A researcher writes a strategy in a
file of their own::

    # my_strategies.py
    from sim.strategies import Efforts, register_strategy

    @register_strategy("late_smart")
    class LateSmart:
        def __init__(self, params):            # params: sim.params.StrategyParams
            self.level = params.options.get("level", 1.0)

        def efforts(self, model):
            return Efforts(smart=self.level if model.steps > 20 else 0.0)

and selects it with ``strategy.name="my_strategies.py:LateSmart"`` (a file), or
``strategy.name="my_pkg.my_strategies:LateSmart"`` (an importable module), or by its registered
name once the module is imported. Names joined by ``+`` compose (``"ideological+smart"``): the
efforts add up, clipped to 1. ``strategy.start_step`` / ``end_step`` switch any strategy on and
off in time (a campaign).

Each strategy declares its own parameters: a typed record (a frozen dataclass whose fields are
``strategy.*`` names), given to :func:`register_strategy` as ``params=``, and the levers whose
own parameters (``levers.<lever>.*``) it can use, as ``levers=``. The factory is called with
that record only (``Budgeted`` gets a :class:`BudgetedParams`, ``ideological`` an
``IdeologicalStrategyParams`` with the one field ``ideological``). A ``strategy.*`` field the
chosen strategy does not declare, set away from its default, is refused by
:func:`sim.params.build_params` with a message naming the strategies that read it. A strategy
registered without ``params=`` (and any ``module:Class`` / ``file.py:Class``) gets the whole
:class:`sim.params.StrategyParams` and is taken to read every field and every lever::

    @dataclass(frozen=True)
    class LateSmartParams:
        smart: float = 0.0

    @register_strategy("late_smart", params=LateSmartParams, levers=("smart",))
    class LateSmart:
        def __init__(self, params: LateSmartParams): ...
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .costs import COST_UNIT, CostParams, effort_for_cost, efforts_cost, split_cost, water_fill
from .schema import param as p

if TYPE_CHECKING:
    from .model import GovernanceModel

__all__ = [
    "COST_STRATEGIES",
    "LEVERS",
    "STRATEGIES",
    "Adaptive",
    "AdaptiveParams",
    "Budgeted",
    "BudgetedParams",
    "Composite",
    "Efforts",
    "Fixed",
    "LeverEfforts",
    "NoLeadership",
    "NoParams",
    "Strategy",
    "StrategyParams",
    "Window",
    "make_strategy",
    "reads_costs",
    "register_strategy",
    "strategy_reads",
]

LEVERS: tuple[str, ...] = ("ideological", "political", "organizational", "smart")


@dataclass(frozen=True)
class Efforts:
    """Efforts of the four levers this week, each in [0, 1]."""

    ideological: float = 0.0
    political: float = 0.0
    organizational: float = 0.0
    smart: float = 0.0

    def __post_init__(self) -> None:
        for lever in LEVERS:
            v = float(getattr(self, lever))
            if not np.isfinite(v):
                raise ValueError(f"effort {lever}={v!r}: must be a finite number in [0, 1]")
            object.__setattr__(self, lever, min(1.0, max(0.0, v)))

    @classmethod
    def from_array(cls, x: np.ndarray) -> Efforts:
        """Build from a length-4 array in :data:`LEVERS` order."""
        return cls(*(float(v) for v in x))

    def as_array(self) -> np.ndarray:
        """The four efforts in :data:`LEVERS` order."""
        return np.array([getattr(self, lever) for lever in LEVERS])

    @property
    def total(self) -> float:
        """Sum of the four efforts (total effort)."""
        return float(self.as_array().sum())


@runtime_checkable
class Strategy(Protocol):
    """What a leadership strategy must do."""

    def efforts(self, model: GovernanceModel) -> Efforts:
        """Return this week's lever efforts."""
        ...


@dataclass(frozen=True)
class StrategyParams:
    """The leadership strategy: which object sets the four lever efforts each week."""

    name: str = p(
        "none",
        "Strategy name: none, ideological, political, organizational, smart, integrated, "
        "campaign, budgeted, adaptive, 'a+b' to compose, or 'module:Class' / 'file.py:Class'",
    )
    ideological: float = p(0.0, "Ideological effort", unit="effort", lo=0.0, hi=1.0)
    political: float = p(0.0, "Political effort", unit="effort", lo=0.0, hi=1.0)
    organizational: float = p(0.0, "Organizational effort", unit="effort", lo=0.0, hi=1.0)
    smart: float = p(0.0, "Smart effort", unit="effort", lo=0.0, hi=1.0)
    start_step: int = p(
        0,
        "Week the strategy starts (a campaign); before it all efforts are 0",
        unit="week",
        lo=0,
        hi=1e9,
    )
    end_step: int = p(-1, "Week the strategy stops (−1 = never)", unit="week", lo=-1, hi=1e9)
    budget: float = p(
        20.0,
        "Total cost of the levers under the budgeted and adaptive strategies (costs.*)",
        unit=COST_UNIT,
        lo=0.0,
        hi=1e4,
    )
    adapt_every: int = p(
        10, "Adaptive strategy: weeks between re-allocations", unit="weeks", lo=1, hi=1000
    )
    adapt_step: float = p(
        0.1,
        "Adaptive strategy: share of budget moved per re-allocation",
        unit="fraction",
        lo=0.0,
        hi=1.0,
    )
    options: dict[str, float] = p(
        None, "Free numeric options for user-written strategies", factory=dict
    )


StrategyFactory = Callable[[StrategyParams], Strategy]

#: Registered strategies by name.
STRATEGIES: dict[str, StrategyFactory] = {}

#: What each registered strategy reads: (its parameter record or None for "everything",
#: the levers whose parameters it can use).
_DECLARED: dict[str, tuple[type | None, tuple[str, ...]]] = {}

#: Registered strategies that spend ``strategy.budget`` through the cost model
#: (:mod:`sim.costs`): their factory is called with ``costs=`` (the ``costs`` section), and they
#: are the readers of ``costs.*``.
COST_STRATEGIES: set[str] = set()

#: ``strategy.*`` fields that :func:`make_strategy` itself reads for every strategy.
COMMON_FIELDS: tuple[str, ...] = ("name", "start_step", "end_step")


def register_strategy(
    name: str,
    *,
    params: type | None = None,
    levers: tuple[str, ...] = LEVERS,
    costs: bool = False,
) -> Callable[[StrategyFactory], StrategyFactory]:
    """Class decorator: make a strategy selectable as ``strategy.name=<name>``.

    Args:
        name: The registered name.
        params: The strategy's parameter record: a dataclass whose fields are fields of
            :class:`sim.params.StrategyParams`; the factory is called with one. ``None``: the
            factory gets the whole ``StrategyParams`` and is taken to read all of it.
        levers: The levers whose own parameters (``levers.<lever>.*``) it can use.
        costs: Whether it spends a budget through the cost model: the factory is then called
            as ``factory(record, costs=CostParams)`` and the strategy reads ``costs.*``.
    """
    if params is not None:
        known = {f.name for f in dataclasses.fields(StrategyParams)}
        extra = [f.name for f in dataclasses.fields(params) if f.name not in known]
        if extra:
            raise ValueError(
                f"register_strategy({name!r}): {params.__name__} has fields that are not "
                f"strategy parameters: {', '.join(extra)} (use strategy.options for your own)"
            )
    bad = [lever for lever in levers if lever not in LEVERS]
    if bad:
        raise ValueError(f"register_strategy({name!r}): unknown levers {bad}; levers: {LEVERS}")

    def deco(factory: StrategyFactory) -> StrategyFactory:
        STRATEGIES[name] = factory
        _DECLARED[name] = (params, tuple(levers))
        if costs:
            COST_STRATEGIES.add(name)
        else:
            COST_STRATEGIES.discard(name)
        return factory

    return deco


@dataclass(frozen=True)
class NoParams:
    """Parameters of a strategy that reads none (``none``)."""


@dataclass(frozen=True)
class LeverEfforts:
    """Parameters of ``integrated`` and ``campaign``: the four lever efforts."""

    ideological: float = 0.0
    political: float = 0.0
    organizational: float = 0.0
    smart: float = 0.0


@dataclass(frozen=True)
class BudgetedParams:
    """Parameters of ``budgeted``: the total cost and the four lever weights."""

    budget: float = 20.0
    ideological: float = 0.0
    political: float = 0.0
    organizational: float = 0.0
    smart: float = 0.0


@dataclass(frozen=True)
class AdaptiveParams:
    """Parameters of ``adaptive``: the budget and how it is re-allocated."""

    budget: float = 20.0
    adapt_every: int = 10
    adapt_step: float = 0.1


def _record(name: str, params: StrategyParams) -> object:
    """The parameter record strategy ``name`` is built with (all of ``params`` if undeclared)."""
    record, _ = _DECLARED.get(name, (None, LEVERS))
    if record is None:
        return params
    return record(**{f.name: getattr(params, f.name) for f in dataclasses.fields(record)})


def strategy_reads(
    params: StrategyParams,
) -> tuple[set[str], set[str], Callable[[str], list[str]]] | None:
    """What the strategy ``params.name`` selects reads.

    Returns:
        ``(strategy fields, levers, readers)``: the ``strategy.*`` fields it reads, the levers
        whose ``levers.<lever>.*`` parameters it can use, and ``readers(field)``, the registered
        strategies that read a field. ``None`` when a part of the name is unknown (then
        :func:`make_strategy` reports it).
    """
    fields, levers = set(COMMON_FIELDS), set()
    all_fields = {f.name for f in dataclasses.fields(StrategyParams)}
    for part in params.name.split("+"):
        part = part.strip()
        if ":" in part:  # user code: cannot tell what it reads
            return all_fields, set(LEVERS), _readers
        if part not in STRATEGIES:
            return None
        record, lv = _DECLARED.get(part, (None, LEVERS))
        fields |= all_fields if record is None else {f.name for f in dataclasses.fields(record)}
        levers |= set(lv)
    return fields, levers, _readers


def reads_costs(params: StrategyParams) -> bool:
    """Whether the strategy ``params.name`` selects reads ``costs.*`` (spends a budget through
    the cost model; user code ``module:Class`` is taken to read everything)."""
    return any(":" in part or part.strip() in COST_STRATEGIES for part in params.name.split("+"))


def _readers(field_name: str) -> list[str]:
    out = []
    for name, (record, _) in _DECLARED.items():
        if record is not None and field_name in {f.name for f in dataclasses.fields(record)}:
            out.append(name)
    if field_name == "options":
        out.append("'module:Class' or 'file.py:Class' (your own strategy)")
    return out


@register_strategy("none", params=NoParams, levers=())
class NoLeadership:
    """Weak-leadership baseline: all four levers at zero."""

    def __init__(self, params: NoParams | StrategyParams | None = None) -> None:
        pass

    def efforts(self, model: GovernanceModel) -> Efforts:
        """All zero."""
        return Efforts()


class Fixed:
    """Constant efforts for the chosen levers (the others stay at zero)."""

    def __init__(self, params: object, levers: tuple[str, ...] = LEVERS) -> None:
        self.levers = levers
        self._efforts = Efforts(**{lever: getattr(params, lever) for lever in levers})

    def efforts(self, model: GovernanceModel) -> Efforts:
        """The configured efforts."""
        return self._efforts


def _single(lever: str) -> StrategyFactory:
    def factory(params: object) -> Strategy:
        return Fixed(params, (lever,))

    factory.__doc__ = f"The {lever} lever alone, at effort strategy.{lever}."
    return factory


for _lever in LEVERS:
    _rec = dataclasses.make_dataclass(
        f"{_lever.capitalize()}StrategyParams",
        [(_lever, float, dataclasses.field(default=0.0))],
        frozen=True,
        namespace={"__doc__": f"Parameters of the {_lever} strategy: its one effort."},
    )
    _rec.__module__ = __name__
    register_strategy(_lever, params=_rec, levers=(_lever,))(_single(_lever))


@register_strategy("integrated", params=LeverEfforts)
def _integrated(params: LeverEfforts) -> Strategy:
    """All four levers at their configured efforts."""
    return Fixed(params)


@register_strategy("campaign", params=LeverEfforts)
def _campaign(params: LeverEfforts) -> Strategy:
    """All four levers, switched on at ``start_step`` (and off at ``end_step``).

    This is ``integrated`` under a second name, on purpose: every strategy takes
    ``start_step``/``end_step``, so ``strategy.name=integrated strategy.start_step=50`` runs the
    same weeks. The name is kept because configs, presets (``campaign_week50``) and stored
    results label their runs ``campaign``, and the name is part of a run's identity: removing it
    would rename their stored runs. New configs should prefer ``integrated`` with a window.
    """
    return Fixed(params)


@register_strategy("budgeted", params=BudgetedParams, costs=True)
class Budgeted:
    """A fixed total cost (``budget``, staff-hours a week per 1,000 residents) split across
    the levers in proportion to weights, through the cost model (:mod:`sim.costs`).

    The weights are the four lever fields (all zero = equal split). The split is made in
    cost: lever ``i`` gets ``budget × w_i / Σw`` staff-hours, capped at its cost at full
    effort (``costs.<lever>``), the excess re-distributed to the others; each lever's effort
    is the one its share buys (:func:`sim.costs.effort_for_cost`). Two budgeted strategies
    with the same budget therefore cost the same, whatever their weights.
    """

    def __init__(
        self, params: BudgetedParams | StrategyParams, costs: CostParams | None = None
    ) -> None:
        w = np.array([getattr(params, lever) for lever in LEVERS], dtype=float)
        self.costs = costs if costs is not None else CostParams()
        self._efforts = Efforts.from_array(split_cost(params.budget, w, self.costs))

    @property
    def cost(self) -> float:
        """Total weekly cost of the split (at most ``budget``)."""
        return efforts_cost(self._efforts, self.costs)

    def efforts(self, model: GovernanceModel) -> Efforts:
        """The budget split."""
        return self._efforts


def split_budget(budget: float, weights: np.ndarray) -> np.ndarray:
    """Split ``budget`` by ``weights`` with each share capped at 1 (water-filling in effort,
    not cost; :func:`sim.costs.split_cost` splits a cost budget)."""
    return water_fill(budget, np.asarray(weights, dtype=float), np.ones(len(weights)))


@register_strategy("adaptive", params=AdaptiveParams, costs=True)
class Adaptive:
    """Moves effort to whichever outcome lags (an adaptive leadership).

    ``budget`` is a cost (staff-hours a week per 1,000 residents, :mod:`sim.costs`), held in
    cost shares: it starts from an equal split of the cost, and the lever efforts are what each
    share buys. Every ``adapt_every`` weeks it scores each lever
    by the outcome it serves most directly — ideological: closeness to the agenda
    (1 − distance), political: need resolution rate, organizational: share of closed disputes
    that were mediated, smart: participation rate — and moves ``adapt_step`` × budget (in
    cost) from the lever whose outcome is best to the one whose outcome lags most, up to the
    lagging lever's full cost.
    """

    def __init__(
        self, params: AdaptiveParams | StrategyParams, costs: CostParams | None = None
    ) -> None:
        self.costs = costs if costs is not None else CostParams()
        self.caps = np.array([float(getattr(self.costs, lever)) for lever in LEVERS])
        self.budget = params.budget
        self.every = params.adapt_every
        self.step_size = params.adapt_step * params.budget
        self.alloc = water_fill(self.budget, np.ones(4), self.caps)

    @staticmethod
    def scores(model: GovernanceModel) -> np.ndarray:
        """Current level of the outcome each lever serves, in [0, 1]."""
        from .metrics import evaluate  # pandas/scipy: keeps `import sim.params` light

        v = evaluate(
            model,
            ("agenda_distance", "resolution_rate", "mediation_rate", "participation_rate"),
        )
        return np.array(
            [
                1.0 - v["agenda_distance"],
                v["resolution_rate"],
                v["mediation_rate"],
                v["participation_rate"],
            ]
        )

    def efforts(self, model: GovernanceModel) -> Efforts:
        """Re-allocate every ``adapt_every`` weeks, else keep the current split."""
        if model.steps > 0 and model.steps % self.every == 0:
            s = self.scores(model)
            s = np.where(np.isfinite(s), s, 0.5)
            lag, best = int(np.argmin(s)), int(np.argmax(s))
            if lag != best:
                move = min(self.step_size, self.alloc[best], self.caps[lag] - self.alloc[lag])
                self.alloc[best] -= move
                self.alloc[lag] += move
        return Efforts(
            **{
                lever: effort_for_cost(lever, max(0.0, float(c)), self.costs)
                for lever, c in zip(LEVERS, self.alloc, strict=True)
            }
        )


class Composite:
    """Several strategies at once: their efforts add up, clipped to 1 per lever."""

    def __init__(self, parts: list[Strategy]) -> None:
        self.parts = parts

    def efforts(self, model: GovernanceModel) -> Efforts:
        """Sum of the parts' efforts."""
        total = np.zeros(4)
        for s in self.parts:
            total += s.efforts(model).as_array()
        return Efforts.from_array(np.minimum(total, 1.0))


class Window:
    """Switches a strategy on at ``start`` and off at ``end`` (−1 = never)."""

    def __init__(self, inner: Strategy, start: int, end: int) -> None:
        self.inner, self.start, self.end = inner, start, end

    def efforts(self, model: GovernanceModel) -> Efforts:
        """The inner strategy's efforts inside the window, zero outside."""
        t = model.steps
        if t < self.start or (self.end >= 0 and t >= self.end):
            return Efforts()
        return self.inner.efforts(model)


def _load_object(spec: str) -> StrategyFactory:
    target, _, attr = spec.rpartition(":")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ValueError(f"parameter strategy.name={spec!r}: file {target!r} not found")
        mod_name = f"govsim_user_strategy_{abs(hash(str(path.resolve())))}"
        module = sys.modules.get(mod_name)
        if module is None:
            loader_spec = importlib.util.spec_from_file_location(mod_name, path)
            if loader_spec is None or loader_spec.loader is None:  # pragma: no cover
                raise ValueError(f"parameter strategy.name={spec!r}: cannot import {target!r}")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[mod_name] = module
            loader_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ValueError(
                f"parameter strategy.name={spec!r}: cannot import module {target!r} ({exc})"
            ) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(
            f"parameter strategy.name={spec!r}: {target!r} has no attribute {attr!r}"
        ) from None


def _make_one(name: str, params: StrategyParams, costs: CostParams | None) -> Strategy:
    name = name.strip()
    if ":" in name:
        factory = _load_object(name)
    elif name in STRATEGIES:
        factory = STRATEGIES[name]
    else:
        import difflib

        close = difflib.get_close_matches(name, list(STRATEGIES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"parameter strategy.name={name!r}: unknown strategy{hint}; allowed: "
            f"{', '.join(sorted(STRATEGIES))}, 'a+b', 'module:Class' or 'file.py:Class'"
        )
    if ":" in name:
        strategy = factory(params)
    elif name in COST_STRATEGIES:
        strategy = factory(_record(name, params), costs=costs)  # type: ignore[call-arg]
    else:
        strategy = factory(_record(name, params))
    if not callable(getattr(strategy, "efforts", None)):
        raise ValueError(
            f"parameter strategy.name={name!r}: {factory!r} made an object without an "
            "efforts(model) method"
        )
    return strategy


def make_strategy(params: StrategyParams, costs: CostParams | None = None) -> Strategy:
    """Build the strategy object that ``params`` selects.

    Args:
        params: The strategy section of the schema.
        costs: The cost model's parameters (``Params.costs``), given to the strategies that
            spend a budget (:data:`COST_STRATEGIES`); ``None`` = the defaults.

    Returns:
        A :class:`Strategy`, wrapped in a :class:`Window` when start/end steps are set.

    Raises:
        ValueError: Unknown name, missing file or attribute.
    """
    parts = [_make_one(n, params, costs) for n in params.name.split("+")]
    strategy: Strategy = parts[0] if len(parts) == 1 else Composite(parts)
    if params.start_step > 0 or params.end_step >= 0:
        strategy = Window(strategy, params.start_step, params.end_step)
    return strategy
