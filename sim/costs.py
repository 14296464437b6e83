"""The common cost model of the four levers: what an effort costs, so that "equal effort"
means equal cost.

Every lever's effort ``e`` (in [0, 1], the number the mechanisms read from ``model.effort``)
has a cost in one unit, :data:`sim.params.COST_UNIT` — staff-hours a week per 1,000
residents::

    cost(lever, e) = costs.<lever> × e ** costs.<lever>_exponent

``costs.<lever>`` is the cost at full effort, the exponent the shape of the curve. The
exponents are chosen so that each lever's *direct dose* — what the staff time buys, before any
resident responds — is proportional to its cost (:func:`dose`):

* **ideological** — ``frequency·e`` activities a week, each reaching ``reach·e`` of residents:
  attendances grow as e², so the cost does (exponent 2): a staff-hour buys the same number of
  attendances at any effort;
* **political** — the leading organization's added capacity and resources
  (``capacity_gain·e``), the mass-line probability and the participation-cost cut: all grow as
  e (exponent 1);
* **organizational** — co-building links above the base density, routing, pooling and the
  extra mediation probability: all grow as e (exponent 1);
* **smart** — the weekly adoption probability and shared-data discovery: both grow as e
  (exponent 1).

What residents then do with the dose is the model's, not the cost model's, and is not linear:
adoption is permanent, so the platform saturates (docs/study.md, "The cost model", measures it).
The costs at full effort are assumed equal (``sim.params`` ``CostParams``: no source gives the
levers' relative costs); a comparison at equal cost holds under that assumption, and a study can
vary ``costs.*`` to see whether it survives another one.

Public API (small on purpose; the classroom app and the experiment kinds use it):

* :func:`lever_cost` — the cost of one lever at an effort;
* :func:`effort_for_cost` — its inverse (the effort a cost buys, at most 1);
* :func:`efforts_cost` — the total cost of four efforts (an :class:`~sim.strategies.Efforts`
  or a mapping);
* :func:`split_cost` — split a budget over the levers by weights, capped at full effort, and
  return the efforts it buys;
* :func:`full_cost` and :func:`dose`.

``params`` may be a whole :class:`sim.params.Params` or its ``costs`` section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .schema import param as p

if TYPE_CHECKING:
    from .params import Params

__all__ = [
    "COST_UNIT",
    "LEVERS",
    "CostParams",
    "dose",
    "effort_for_cost",
    "efforts_cost",
    "full_cost",
    "lever_cost",
    "split_cost",
]

#: Unit of every lever cost and of ``strategy.budget`` (:mod:`sim.costs`).
COST_UNIT = "staff-hours/week per 1,000 residents"


@dataclass(frozen=True)
class CostParams:
    """The common cost model of the levers (:mod:`sim.costs`).

    A lever at effort ``e`` costs ``hours × e^exponent`` staff-hours a week per 1,000
    residents; the budgeted and adaptive strategies split ``strategy.budget`` (the same unit)
    so that equal budgets buy equal costs. Each exponent makes the lever's direct dose
    proportional to its cost (see :func:`sim.costs.dose`).
    """

    ideological: float = p(
        20.0, "Cost of the ideological lever at full effort", unit=COST_UNIT, lo=0.01, hi=1e4
    )
    political: float = p(
        20.0, "Cost of the political lever at full effort", unit=COST_UNIT, lo=0.01, hi=1e4
    )
    organizational: float = p(
        20.0, "Cost of the organizational lever at full effort", unit=COST_UNIT, lo=0.01, hi=1e4
    )
    smart: float = p(
        20.0, "Cost of the smart lever at full effort", unit=COST_UNIT, lo=0.01, hi=1e4
    )
    ideological_exponent: float = p(
        2.0,
        "Shape of the ideological cost curve: cost = hours × effort^exponent",
        unit="exponent",
        lo=0.1,
        hi=10.0,
    )
    political_exponent: float = p(
        1.0, "Shape of the political cost curve", unit="exponent", lo=0.1, hi=10.0
    )
    organizational_exponent: float = p(
        1.0, "Shape of the organizational cost curve", unit="exponent", lo=0.1, hi=10.0
    )
    smart_exponent: float = p(
        1.0, "Shape of the smart cost curve", unit="exponent", lo=0.1, hi=10.0
    )


#: The four levers, in the order of :data:`sim.strategies.LEVERS`.
LEVERS: tuple[str, ...] = ("ideological", "political", "organizational", "smart")

#: What :func:`dose` returns for each lever.
DOSES: dict[str, str] = {
    "ideological": "expected attendances of value-guidance activities a week per 1,000 "
    "residents (frequency·e × reach·e × 1,000)",
    "political": "service capacity added to the leading organization, needs a week per 1,000 "
    "residents (capacity_gain·e × leader_capacity_share × capacity_per_1000)",
    "organizational": "weekly probability that a misrouted need is passed on (routing·e)",
    "smart": "weekly adoption probability of a fully literate resident with no adopting "
    "neighbours (adoption_rate·e)",
}


def _costs(params: Params | CostParams | None) -> CostParams:
    """The ``costs`` section of ``params`` (the defaults for ``None``)."""
    if params is None:
        return CostParams()
    if isinstance(params, CostParams):
        return params
    return params.costs


def _check_lever(lever: str) -> None:
    if lever not in LEVERS:
        raise ValueError(f"lever {lever!r}: unknown; levers: {', '.join(LEVERS)}")


def full_cost(lever: str, params: Params | CostParams | None = None) -> float:
    """Cost of ``lever`` at full effort (``costs.<lever>``), in :data:`COST_UNIT`."""
    _check_lever(lever)
    return float(getattr(_costs(params), lever))


def _exponent(lever: str, c: CostParams) -> float:
    return float(getattr(c, f"{lever}_exponent"))


def lever_cost(lever: str, effort: float, params: Params | CostParams | None = None) -> float:
    """Cost of ``lever`` at ``effort`` (in [0, 1]): ``costs.<lever> × effort^exponent``.

    Args:
        lever: One of :data:`LEVERS`.
        effort: The lever's effort, in [0, 1].
        params: The parameters (or their ``costs`` section); ``None`` = the defaults.

    Returns:
        Staff-hours a week per 1,000 residents.

    Raises:
        ValueError: Unknown lever, or an effort outside [0, 1].
    """
    _check_lever(lever)
    e = float(effort)
    if not 0.0 <= e <= 1.0:
        raise ValueError(f"effort {lever}={effort!r}: must be in [0, 1]")
    c = _costs(params)
    return float(getattr(c, lever)) * e ** _exponent(lever, c)


def effort_for_cost(lever: str, cost: float, params: Params | CostParams | None = None) -> float:
    """The effort that ``cost`` buys on ``lever``: the inverse of :func:`lever_cost`, at most 1.

    A cost above the lever's full cost buys full effort (1); the rest is not spent.

    Raises:
        ValueError: Unknown lever or a negative / non-finite cost.
    """
    _check_lever(lever)
    x = float(cost)
    if not np.isfinite(x) or x < 0:
        raise ValueError(f"cost {lever}={cost!r}: must be a finite number ≥ 0 ({COST_UNIT})")
    c = _costs(params)
    share = min(1.0, x / float(getattr(c, lever)))
    return float(share ** (1.0 / _exponent(lever, c)))


def efforts_cost(efforts: Any, params: Params | CostParams | None = None) -> float:
    """Total cost of four efforts (an ``Efforts``, a mapping lever → effort, or a sequence in
    :data:`LEVERS` order)."""
    if isinstance(efforts, Mapping):
        values = [float(efforts.get(lever, 0.0)) for lever in LEVERS]
    elif hasattr(efforts, "as_array"):
        values = [float(v) for v in efforts.as_array()]
    else:
        values = [float(v) for v in efforts]
    return float(sum(lever_cost(lever, v, params) for lever, v in zip(LEVERS, values, strict=True)))


def split_cost(
    budget: float, weights: Sequence[float], params: Params | CostParams | None = None
) -> np.ndarray:
    """Split ``budget`` over the levers in proportion to ``weights``; return the efforts.

    The split is made in cost, not effort: lever ``i`` gets ``budget × w_i / Σw`` staff-hours,
    capped at its full cost, and whatever a capped lever cannot use is re-distributed over the
    others in proportion to their weights (water-filling). All weights zero = equal split.

    Args:
        budget: Total cost, in :data:`COST_UNIT`.
        weights: Four non-negative weights in :data:`LEVERS` order.
        params: The parameters (or their ``costs`` section).

    Returns:
        The four efforts (in [0, 1], :data:`LEVERS` order). Their :func:`efforts_cost` equals
        ``min(budget, Σ full costs of levers with weight > 0)``.
    """
    w = np.asarray(weights, dtype=float)
    if w.shape != (4,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights {list(weights)!r}: expected four finite numbers ≥ 0")
    if w.sum() <= 0:
        w = np.ones(4)
    caps = np.array([full_cost(lever, params) for lever in LEVERS])
    spend = water_fill(float(budget), w, caps)
    return np.array(
        [effort_for_cost(lever, s, params) for lever, s in zip(LEVERS, spend, strict=True)]
    )


def water_fill(budget: float, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Split ``budget`` by ``weights`` with share ``i`` capped at ``caps[i]`` (water-filling)."""
    w = np.asarray(weights, dtype=float)
    cap = np.asarray(caps, dtype=float)
    out = np.zeros_like(w)
    free = w > 0
    remaining = min(float(budget), float(cap[free].sum()))
    while remaining > 1e-12 * max(1.0, float(budget)) and free.any():
        share = remaining * w / w[free].sum()
        share[~free] = 0.0
        capped = free & (out + share >= cap)
        if not capped.any():
            out += share
            break
        remaining -= float((cap[capped] - out[capped]).sum())
        out[capped] = cap[capped]
        free &= ~capped
    return out


def dose(lever: str, effort: float, params: Params) -> float:
    """The lever's direct dose at ``effort`` (what :data:`DOSES` says), from the parameters.

    With the default exponents the dose is proportional to :func:`lever_cost` — the property
    the exponents are chosen for (tests/engine/test_costs.py checks it, and checks it against
    the engine's own counts).
    """
    _check_lever(lever)
    e = float(effort)
    lv = params.levers
    if lever == "ideological":
        return lv.ideological.frequency * e * min(1.0, lv.ideological.reach * e) * 1000.0
    if lever == "political":
        return (
            lv.political.capacity_gain
            * e
            * params.organizations.leader_capacity_share
            * params.needs.capacity_per_1000
        )
    if lever == "organizational":
        return lv.organizational.routing * e
    return lv.smart.adoption_rate * e
