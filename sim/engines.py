"""Which engine computes a model: the one way to build one (:func:`make_model`).

The array engine (:class:`sim.model.GovernanceModel`) and the reference engine
(:class:`sim.reference.ReferenceModel`, a subclass) are chosen by ``engine.kind``. This module
sits above both, so neither imports the other's chooser.
"""

from __future__ import annotations

import functools
from typing import Any

from .model import GovernanceModel
from .params import ENGINE_KINDS, Params, build_params
from .reference import ReferenceModel

__all__ = ["engine_class", "make_model"]


def make_model(
    params: Params | dict | None = None,
    *,
    rng: Any = None,
    cls: type[GovernanceModel] | None = None,
    **overrides: Any,
) -> GovernanceModel:
    """Build the model on the engine ``engine.kind`` selects — the one way to pick an engine.

    The parameters are validated once, here (:func:`sim.params.build_params`); the model is
    given the validated :class:`~sim.params.Params` and does not check them again.

    Args:
        params: A :class:`sim.params.Params`, a nested mapping, or ``None`` for the defaults.
        rng: The run's seed (see :class:`GovernanceModel`).
        cls: The model class to build on that engine (default :class:`GovernanceModel`; a
            subclass keeps its own methods on top of the engine, see :func:`engine_class`).
        **overrides: Parameters by dotted name, as for :class:`GovernanceModel`.

    Returns:
        A :class:`GovernanceModel` (``engine.kind="array"``) or a
        :class:`sim.reference.ReferenceModel` (``"reference"``), an instance of ``cls``.

    Raises:
        ValueError: Bad parameters, before anything is built.
    """
    p = build_params(params, overrides)
    return engine_class(p.engine.kind, cls or GovernanceModel)(p, rng=rng)


@functools.cache
def engine_class(kind: str, cls: type | None = None) -> type:
    """The class that computes model class ``cls`` (default :class:`GovernanceModel`) on
    engine ``kind`` (one of :data:`sim.params.ENGINE_KINDS`).

    ``"array"`` gives ``cls`` itself. ``"reference"`` gives
    :class:`sim.reference.ReferenceModel` for :class:`GovernanceModel`, and for a subclass
    (the classroom model) a subclass of both, made once, so that its own methods run on top of
    the reference engine.
    """
    cls = cls or GovernanceModel
    if kind == "array":
        if issubclass(cls, ReferenceModel):
            raise ValueError(f"engine.kind='array': {cls.__name__} is a reference-engine class")
        return cls
    if kind != "reference":
        raise ValueError(f"engine.kind={kind!r}: allowed: {', '.join(ENGINE_KINDS)}")
    if issubclass(cls, ReferenceModel):
        return cls
    if cls is GovernanceModel:
        return ReferenceModel
    return type(cls.__name__, (cls, ReferenceModel), {"__module__": cls.__module__})
