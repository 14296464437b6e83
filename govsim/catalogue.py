"""The scenario catalogue: scenario presets, the options of each config group, parameter tables.

What ``govsim list``, ``govsim show``, the UI's scenario picker and the experiment runners read
about the configs: :func:`list_scenarios` / :func:`get_scenario` (each preset composed and
validated once, then cached), :func:`scenario_params` (a preset's :class:`~sim.params.Params`
with overrides on top), :func:`list_options` (a group's options with the description from
each file's header comment) and :func:`describe_params` (every parameter with unit, range and
meaning). It sits on :mod:`govsim.compose` (Hydra composition and diagnosis) and is part of the
public façade :mod:`govsim.config`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.params import Params, build_params, check_steps, diff, flatten, iter_fields
from sim.presets import PRESETS

from .compose import (
    DEFAULT_SCENARIO,
    GROUPS,
    ConfigError,
    _first_line,
    _group_options,
    _hydra,
    _suggest,
    compose_config,
    config_dir,
    extra_config_dirs,
    params_from_config,
    resolve,
)

__all__ = [
    "Option",
    "Scenario",
    "clear_caches",
    "describe_params",
    "get_scenario",
    "list_options",
    "list_scenarios",
    "scenario_params",
]


def clear_caches() -> None:
    """Forget cached options and scenarios (after editing or adding config files)."""
    _group_options.cache_clear()
    _scenario.cache_clear()
    _scenario_base.cache_clear()


_GENERATED_INFO: dict[tuple[str, str], str] = {
    ("population", "empty"): "No groups: the scenario or the command line gives every group "
    "(+population.groups.NAME={share: …, …}).",
}


def _default_population_info() -> str:
    groups = Params().population.groups
    parts = ", ".join(f"{k.replace('_', ' ')} {g.share:.0%}" for k, g in groups.items())
    return f"The engine's default community (sim.params defaults): {parts}."


# --------------------------------------------------------------------------------------------
# Options and their descriptions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option of a config group."""

    group: str
    name: str
    description: str


def _header_comment(path: Path) -> str:
    """The description of an option file: its leading comment lines (not ``# @package``)."""
    lines = []
    with contextlib.suppress(OSError):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line.startswith("#"):
                break
            text = line.lstrip("#").strip()
            if text.startswith("@package"):
                continue
            lines.append(text)
    return " ".join(t for t in lines if t)


def _option_description(group: str, name: str) -> str:
    if group == "scenario":
        return get_scenario(name).description
    if (group, name) == ("population", "default"):
        return _default_population_info()
    if (group, name) in _GENERATED_INFO:
        return _GENERATED_INFO[(group, name)]
    for folder in (config_dir(), *extra_config_dirs()):
        path = folder / group / f"{name}.yaml"
        if path.is_file():
            return _header_comment(path)
    return "Hydra built-in" if group.startswith("hydra/") else ""


def list_options(group: str) -> list[Option]:
    """The options of a config group, with their descriptions.

    Args:
        group: One of :data:`GROUPS`.

    Raises:
        ConfigError: Unknown group.
    """
    if group not in GROUPS:
        raise ConfigError(
            f"config group {group!r}: unknown{_suggest(group, list(GROUPS))}; "
            f"allowed: {', '.join(GROUPS)}"
        )
    return [Option(group, n, _option_description(group, n)) for n in _group_options(group)]


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A scenario preset.

    Attributes:
        name: Option name (``scenario=<name>``).
        description: What community situation it represents.
        claim: Which claim of the source text it lets a user examine, and how.
        overrides: ``{dotted name: value}`` relative to the engine defaults, such that
            ``build_params(None, overrides) == scenario_params(name)``. When a scenario replaces
            the resident groups, the whole ``population.groups`` mapping is one entry.
        steps: Weeks the scenario is meant to run.
        choices: The option of every other group it selects (strategy, network, population).
        source: ``configs/scenario/<name>.yaml`` or ``sim.presets.PRESETS[<name>]``.
    """

    name: str
    description: str
    claim: str
    overrides: dict[str, Any]
    steps: int
    choices: dict[str, str]
    source: str


@functools.cache
def _scenario(name: str) -> Scenario:
    try:
        cfg, choices = compose_config([f"scenario={name}"])
        params = params_from_config(cfg)
        steps = check_steps(cfg.get("steps"))
    except ValueError as exc:
        raise ConfigError(f"scenario {name}: {exc}") from None
    files = [d / "scenario" / f"{name}.yaml" for d in (config_dir(), *extra_config_dirs())]
    found = next((f for f in files if f.is_file()), None)
    if found is None and name in PRESETS:
        overrides = dict(PRESETS[name])
        source = f"sim.presets.PRESETS[{name!r}]"
    else:
        overrides = diff(Params(), params)
        source = str(found)
        with contextlib.suppress(ValueError):
            source = found.relative_to(config_dir().parent).as_posix()
    return Scenario(
        name=name,
        description=str(cfg.scenario.description).strip(),
        claim=str(cfg.scenario.claim).strip(),
        overrides=overrides,
        steps=steps,
        choices={k: v for k, v in choices.items() if k not in ("scenario", "experiment")},
        source=source,
    )


def _scenarios() -> tuple[Scenario, ...]:
    with _hydra():
        return tuple(_scenario(n) for n in _group_options("scenario"))


def list_scenarios() -> list[Scenario]:
    """Every scenario preset (composed and validated once, then cached).

    The default scenario comes first, then the others alphabetically, the engine presets last.
    """
    items = list(_scenarios())

    def order(s: Scenario) -> tuple[int, str]:
        return (0 if s.name == DEFAULT_SCENARIO else 2 if s.name in PRESETS else 1, s.name)

    return [dataclasses.replace(s, overrides=dict(s.overrides)) for s in sorted(items, key=order)]


def get_scenario(name: str) -> Scenario:
    """One scenario by name.

    Raises:
        ConfigError: Unknown name (with a close-match suggestion).
    """
    names = _group_options("scenario")
    if name not in names:
        raise ConfigError(
            f"scenario={name!r}: unknown scenario{_suggest(name, names)}; "
            f"allowed: {', '.join(names)}"
        )
    s = _scenario(name)
    return dataclasses.replace(s, overrides=dict(s.overrides))


def scenario_params(
    name: str = DEFAULT_SCENARIO,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> Params:
    """The parameters of scenario ``name`` with overrides on top.

    Args:
        name: Scenario name.
        overrides: Either ``{dotted name: value}`` (applied with :func:`sim.params.build_params`)
            or command-line strings (``["strategy=integrated", "opinions.mu=0.2"]``), which may
            also choose options of the other groups.

    Returns:
        Validated parameters.

    Raises:
        ConfigError: Unknown scenario, key or value (one line).
    """
    if isinstance(overrides, Mapping):
        base = _scenario_base(name)
        try:
            return build_params(base, dict(overrides))
        except ValueError as exc:
            raise ConfigError(_first_line(exc)) from None
    if isinstance(overrides, str):
        raise ConfigError(f"overrides={overrides!r}: expected a mapping or a list of key=value")
    if overrides:
        return resolve([f"scenario={name}", *overrides]).params
    return _scenario_base(name)


@functools.cache
def _scenario_base(name: str) -> Params:
    get_scenario(name)  # a friendly error for unknown names
    cfg, _ = compose_config([f"scenario={name}"])
    return params_from_config(cfg)


# --------------------------------------------------------------------------------------------
# Documentation of resolved parameters
# --------------------------------------------------------------------------------------------


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def describe_params(params: Params, *, only_changed: bool = False) -> str:
    """A plain-text table of every parameter: value, unit, allowed values and meaning.

    Values that differ from the engine default are marked ``*`` with the default in brackets.
    """
    defaults = flatten(Params())
    hints = typing.get_type_hints(Params)
    lines: list[str] = []
    section = None
    rows = list(iter_fields(params))
    width = max(len(i.name) for i in rows) + 2
    for info in rows:
        top = info.name.split(".")[0]
        value = info.default
        default = defaults.get(info.name, None)
        changed = info.name not in defaults or default != value
        if only_changed and not changed:
            continue
        if top != section:
            section = top
            doc = (hints[top].__doc__ or "").strip().splitlines()[0]
            lines += ["", f"{top} — {doc}"]
        mark = "*" if changed else " "
        val = _short(value)
        was = f" [default {_short(default)}]" if changed and info.name in defaults else ""
        unit = f" {info.unit}" if info.unit else ""
        lines.append(f" {mark}{info.name:<{width}}= {val}{unit}{was}   ({info.allowed}) {info.doc}")
    return "\n".join(lines).lstrip("\n")
