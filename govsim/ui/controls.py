"""The classroom UI's parameter controls, derived from the one schema (``sim.params``).

Every slider's range and default comes from :func:`sim.params.iter_fields` and from the chosen
scenario's parameters; nothing here repeats a range or a default of the schema. What this module
adds is only what a slider needs on top: a label, a step, and for two parameters whose schema
range is far wider than a classroom machine can animate (10⁷ residents, 10⁴ needs per 1,000) a
narrower *window* inside that range.

Two kinds of controls:

* **levers** (``live=True``): the four efforts ``strategy.<lever>``. They act on the running
  model from the next week (:func:`govsim.ui.model.set_levers`).
* **community parameters**: take effect when the model is (re-)created (Reset, or picking a
  scenario). Most set one schema field; ``initial_trust`` and ``tolerance`` set a trait that every
  resident group has: the slider shows the population-weighted mean over the groups, and moving it
  shifts every group's value by the same amount (clipped to the field's range), so differences
  between groups are kept.

This module imports neither solara nor Mesa's visualization.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.params import NETWORK_READERS, FieldInfo, Params, get, iter_fields
from sim.strategies import LEVERS

__all__ = [
    "COMMUNITY",
    "CONTROLS",
    "LEVER_CONTROLS",
    "SEED",
    "Control",
    "community_overrides",
    "control_values",
    "exact_value",
    "on_grid",
]


def _schema_fields() -> dict[str, FieldInfo]:
    return {f.name: f for f in iter_fields(Params())}


_FIELDS = _schema_fields()


def _group_field(trait: str) -> FieldInfo:
    """The schema entry of a per-group trait (the same for every group)."""
    for name, info in _FIELDS.items():
        if name.startswith("population.groups.") and name.endswith("." + trait):
            return info
    raise KeyError(f"no per-group trait {trait!r} in the schema")  # pragma: no cover


@dataclass(frozen=True)
class Control:
    """One slider or selector of the classroom UI.

    Attributes:
        key: The keyword the model takes (:class:`govsim.ui.model.ClassroomModel`), also the
            Mesa ``model_params`` key: ``a__b`` form of the dotted field, a lever name, or
            ``initial_trust`` / ``tolerance`` / ``seed``.
        label: What the slider says.
        field: The schema field (dotted name); for a group trait the trait's name after
            ``population.groups.*.``; empty for the seed.
        doc: The schema's documentation of the field.
        kind: ``"int"``, ``"float"`` or ``"choice"``.
        lo, hi: Slider range (the schema's, or a window inside it).
        step: Slider step.
        choices: For ``"choice"``.
        live: A lever (acts on the running model) rather than a parameter of a new model.
        group_trait: The value is the group-weighted mean of a per-group trait.
    """

    key: str
    label: str
    field: str
    doc: str
    kind: str
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    choices: tuple[Any, ...] = ()
    live: bool = False
    group_trait: bool = False

    def mesa_param(self, value: Any) -> dict[str, Any]:
        """The entry of Mesa's ``model_params`` for this control, showing ``value``."""
        if self.kind == "choice":
            return {"type": "Select", "label": self.label, "value": value,
                    "values": list(self.choices)}  # fmt: skip
        return {
            "type": "SliderInt" if self.kind == "int" else "SliderFloat",
            "label": self.label,
            "value": value,
            "min": self.lo,
            "max": self.hi,
            "step": self.step,
        }

    def snap(self, value: Any) -> Any:
        """``value`` moved onto the slider's grid (``lo + k·step``) and into its range."""
        if self.kind == "choice":
            return value
        v = min(max(float(value), self.lo), self.hi)
        v = self.lo + round((v - self.lo) / self.step) * self.step
        v = min(max(v, self.lo), self.hi)
        if self.kind == "int":
            return int(round(v))
        decimals = max(0, -math.floor(math.log10(self.step)) + 1)
        return round(v, decimals)


def _schema_control(
    key: str,
    field: str,
    label: str,
    step: float,
    *,
    window: tuple[float, float] | None = None,
    live: bool = False,
) -> Control:
    info = _FIELDS[field]
    if info.choices:
        return Control(key, label, field, info.doc, "choice", choices=tuple(info.choices))
    assert info.lo is not None and info.hi is not None, f"{field} has no range in the schema"
    lo, hi = float(info.lo), float(info.hi)
    if window is not None:  # a narrower window inside the schema's range, never outside it
        lo, hi = max(lo, float(window[0])), min(hi, float(window[1]))
    kind = "int" if info.type == "int" else "float"
    if kind == "int":
        lo, hi, step = int(lo), int(hi), int(step)
    return Control(key, label, field, info.doc, kind, lo, hi, step, live=live)


def _trait_control(key: str, trait: str, label: str, step: float) -> Control:
    info = _group_field(trait)
    assert info.lo is not None and info.hi is not None
    doc = f"{info.doc}: mean over the groups; moving it shifts every group by the same amount"
    return Control(
        key, label, trait, doc, "float", float(info.lo), float(info.hi), step, group_trait=True
    )


#: The four lever efforts, in :data:`sim.strategies.LEVERS` order.
LEVER_CONTROLS: tuple[Control, ...] = tuple(
    _schema_control(lever, f"strategy.{lever}", f"{lever.capitalize()} leadership", 0.05, live=True)
    for lever in LEVERS
)

#: The community parameters shown in the UI (applied when a model is created).
COMMUNITY: tuple[Control, ...] = (
    # The schema allows 2 … 10⁷ residents; the classroom slider stays where a step redraws
    # quickly on a laptop.
    _schema_control(
        "population__n_residents", "population.n_residents", "Residents", 100, window=(100, 5000)
    ),
    _schema_control(
        "population__party_share", "population.party_share", "Party member share", 0.01
    ),
    _trait_control("initial_trust", "trust_mean", "Initial trust (all groups)", 0.01),
    _trait_control("tolerance", "tolerance", "Tolerance ε (all groups)", 0.01),
    _schema_control("network__kind", "network.kind", "Network", 0),
    _schema_control("network__homophily", "network.homophily", "Homophily (block model)", 0.05),
    _schema_control(
        "opinions__counter_share", "opinions.counter_share", "Contrarians ('bad trends')", 0.01
    ),
    # The schema allows up to 10⁴; above ~50 per 1,000 every need is served at once.
    _schema_control(
        "needs__capacity_per_1000",
        "needs.capacity_per_1000",
        "Service capacity per 1,000",
        1,
        window=(0, 50),
    ),
)

#: The run's seed (a run setting, not a model parameter: any integer ≥ 0 is valid).
SEED = Control("seed", "Seed", "", "The run's seed: the same seed gives the same run", "int",
               0, 999, 1)  # fmt: skip

#: Every control, in the order the UI shows them.
CONTROLS: tuple[Control, ...] = (*LEVER_CONTROLS, *COMMUNITY, SEED)


def _group_mean(params: Params, trait: str) -> float:
    groups = params.population.groups
    total = sum(g.share for g in groups.values()) or 1.0
    return sum(g.share * getattr(g, trait) for g in groups.values()) / total


def exact_value(control: Control, params: Params) -> Any:
    """The value ``params`` gives the control's field (a group mean for group traits)."""
    if control.group_trait:
        return _group_mean(params, control.field)
    return get(params, control.field)


def control_values(params: Params) -> dict[str, Any]:
    """What each community control shows for ``params`` (on the slider grid)."""
    return {c.key: c.snap(exact_value(c, params)) for c in COMMUNITY}


def on_grid(control: Control, value: Any, exact: Any) -> bool:
    """Whether the slider value ``value`` stands for ``exact`` (within half a step)."""
    if control.kind == "choice":
        return value == exact
    return abs(float(value) - float(exact)) <= control.step / 2 + 1e-9


def community_overrides(params: Params, values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted-name overrides that turn ``params`` into what the community controls show.

    A control whose value stands for the scenario's own value (within half a slider step) sets
    nothing, so an untouched control never changes a scenario.

    Raises:
        ValueError: A key that is not a community control.
    """
    by_key = {c.key: c for c in COMMUNITY}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        control = by_key.get(key)
        if control is None:
            allowed = ", ".join(by_key)
            raise ValueError(f"unknown classroom parameter {key!r}; allowed: {allowed}")
        exact = exact_value(control, params)
        if on_grid(control, value, exact):
            continue
        if control.group_trait:
            info = _group_field(control.field)
            shift = float(value) - float(exact)
            for name, group in params.population.groups.items():
                v = min(max(getattr(group, control.field) + shift, info.lo), info.hi)
                out[f"population.groups.{name}.{control.field}"] = round(v, 6)
        else:
            out[control.field] = int(value) if control.kind == "int" else value
    return out


def active_values(params: Params, values: Mapping[str, Any]) -> dict[str, Any]:
    """The community controls' values without the network sliders the chosen kind ignores.

    The sidebar keeps every slider, but the homophily slider means nothing once the class picks
    a small world (only the block model reads it): such a slider is inactive, so the app passes
    ``None`` for it (unset) instead of a setting the model would refuse as unread.

    Args:
        params: The scenario's parameters (their network kind, if the controls leave it).
        values: Control key -> value, as :func:`community_overrides` takes them.
    """
    kind = values.get("network__kind") or params.network.kind
    out = dict(values)
    for name, kinds in NETWORK_READERS.items():
        if kind not in kinds and f"network__{name}" in out:
            out[f"network__{name}"] = None
    return out
