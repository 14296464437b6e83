"""The structured Hydra schema: an unfrozen mirror of :class:`sim.params.Params`, generated.

Hydra cannot merge into frozen dataclasses (OmegaConf marks their nodes read-only), so
:mod:`govsim.config` registers this *unfrozen mirror* of the engine's schema as the structured
config ``govsim_schema``: generated field by field from the engine's dataclasses (same names,
types, defaults and documentation; never written out by hand). The resident groups
(``population.groups``) are an untyped mapping in the mirror, filled by the ``population/``
option group. The run settings (:data:`RUN_SETTINGS`) sit beside the model parameters at the
root.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import field
from typing import Any

from sim.params import Params

__all__ = ["RUN_SETTINGS", "root_dataclass", "schema_dataclass"]

#: Top-level settings of a run (not model parameters), with their meaning.
RUN_SETTINGS: dict[str, str] = {
    "steps": "weeks simulated (an integer 0 … 100000; a scenario may recommend its own)",
    "seed": "the run's seed (an integer 0 … 2^63-1)",
    "results_dir": "root folder of results/<experiment>/<run>/ (env GOVSIM_RESULTS)",
    "run_name": "folder name of the run (default <date>-<time>-seed<seed>)",
    "progress": "progress bar: auto (terminal only), true or false",
    "plots": "write PNG plots: true or false",
}


def _is_group_map(tp: Any) -> bool:
    if typing.get_origin(tp) is not dict:
        return False
    vt = typing.get_args(tp)[1]
    return isinstance(vt, type) and dataclasses.is_dataclass(vt)


@functools.cache
def schema_dataclass(cls: type = Params) -> type:
    """An unfrozen dataclass generated from the engine's frozen schema class ``cls``.

    Same field names, types, defaults and metadata (documentation); nested schema classes are
    mirrored too. Mappings of schema objects (the resident groups) become ``dict[str, Any]``
    with an empty default: the ``population/`` option group supplies them.
    """
    hints = typing.get_type_hints(cls)
    instance = cls()
    fields: list[tuple[str, Any, Any]] = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        value = getattr(instance, f.name)
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            sub = schema_dataclass(tp)
            spec = field(default_factory=sub, metadata=f.metadata)
            tp = sub
        elif _is_group_map(tp):
            tp = dict[str, Any]
            spec = field(default_factory=dict, metadata=f.metadata)
        elif isinstance(value, dict):
            spec = field(default_factory=functools.partial(dict, value), metadata=f.metadata)
        else:
            spec = field(default=value, metadata=f.metadata)
        fields.append((f.name, tp, spec))
    return dataclasses.make_dataclass(
        cls.__name__,
        fields,
        namespace={"__doc__": cls.__doc__, "__module__": __name__},
    )


@functools.cache
def root_dataclass() -> type:
    """The structured root config: the mirrored schema plus the run settings.

    The settings are typed ``Any`` (their values live in ``configs/config.yaml``) so that
    :func:`resolve` checks them and gives its own one-line messages.
    """
    mirror = schema_dataclass(Params)
    fields: list[tuple[str, Any, Any]] = [
        (f.name, f.type, field(default_factory=f.default_factory, metadata=f.metadata))
        for f in dataclasses.fields(mirror)
    ]
    fields.append(("scenario", dict[str, Any], field(default_factory=dict)))
    fields.append(("experiment", dict[str, Any], field(default_factory=dict)))
    fields += [(name, Any, field(default=None)) for name in RUN_SETTINGS]
    return dataclasses.make_dataclass(
        "GovsimConfig",
        fields,
        namespace={"__doc__": "govsim's root config", "__module__": __name__},
    )
