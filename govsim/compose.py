"""Hydra composition of govsim: config folders, generated options, text to ``Params``.

The one parameter schema is the engine's :class:`sim.params.Params`. Hydra composes into its
unfrozen, generated mirror (:mod:`govsim.schema`, registered here as the structured config
``govsim_schema``). The resident groups (``population.groups``) are an untyped mapping in the
mirror, filled by the ``population/`` option group: Hydra merges mappings key by key, so a group
set that *replaces* the default groups must come from a population option, not from a merge.

At the boundary every composed config is converted back with :func:`sim.params.build_params`,
which validates it and gives the engine's own error messages; when composition fails,
the error is diagnosed into one line naming the key, the value and what is allowed
(:class:`ConfigError`).

This module is the composition half of the public façade :mod:`govsim.config`; the scenario
catalogue built on it is :mod:`govsim.catalogue`, the schema mirror :mod:`govsim.schema`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import math
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.params import (
    Params,
    build_params,
    check_seed,
    check_steps,
    to_dict,
)
from sim.presets import PRESETS
from sim.strategies import make_strategy

from .schema import RUN_SETTINGS, root_dataclass

__all__ = [
    "CONFIG_DIR",
    "DEFAULT_SCENARIO",
    "GROUPS",
    "MAX_NAME_LENGTH",
    "ConfigError",
    "Resolved",
    "check_option_file",
    "check_results_dir",
    "compose_config",
    "config_dir",
    "extra_config_dirs",
    "override_string",
    "params_from_config",
    "register_configs",
    "resolve",
]

#: The scenario a plain ``govsim run`` runs.
DEFAULT_SCENARIO = "weak_baseline"

#: Config groups a user chooses from with ``group=option``.
GROUPS: tuple[str, ...] = (
    "scenario",
    "strategy",
    "network",
    "population",
    "experiment",
    "hydra/launcher",
)

_OTHER_ROOT_KEYS = ("scenario", "experiment", "hydra")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_LOCK = threading.RLock()


class ConfigError(ValueError):
    """Bad configuration or command-line input; the message is one line."""


# --------------------------------------------------------------------------------------------
# Where the configs are
# --------------------------------------------------------------------------------------------


#: Where ``configs/`` is: in the source tree (a checkout, ``pip install -e .``), else the copy
#: a wheel carries inside the package (``govsim/_configs``, written by ``setup.py``).
CONFIG_DIR = next(
    (
        d
        for d in (
            Path(__file__).resolve().parent.parent / "configs",
            Path(__file__).resolve().parent / "_configs",
        )
        if (d / "config.yaml").is_file()
    ),
    Path(__file__).resolve().parent.parent / "configs",
)


def config_dir() -> Path:
    """The ``configs/`` folder: env ``GOVSIM_CONFIG_DIR`` (or ``GOVSIM_CONFIGS``), else
    :data:`CONFIG_DIR`."""
    env = os.environ.get("GOVSIM_CONFIG_DIR") or os.environ.get("GOVSIM_CONFIGS")
    path = Path(env) if env else CONFIG_DIR
    if not (path / "config.yaml").is_file():
        raise ConfigError(
            f"config folder {str(path)!r} has no config.yaml; set GOVSIM_CONFIG_DIR to govsim's "
            "configs/ folder (or reinstall govsim: `pip install -e .` from its source tree)"
        )
    return path.resolve()


def extra_config_dirs() -> list[Path]:
    """Folders with your own options (``scenario/my_case.yaml``, ``strategy/…``), from the
    environment variable ``GOVSIM_CONFIG_PATH`` (several separated by ``:``, ``;`` on Windows).

    They are searched after ``configs/``; an option of the same name in ``configs/`` wins.
    """
    raw = os.environ.get("GOVSIM_CONFIG_PATH", "")
    dirs = [Path(d).expanduser().resolve() for d in raw.split(os.pathsep) if d.strip()]
    for d in dirs:
        if not d.is_dir():
            what = "is not a folder" if d.exists() else "no such folder"
            raise ConfigError(
                f"GOVSIM_CONFIG_PATH={raw!r}: {str(d)!r} {what}; point it at folders laid out "
                "like configs/ (scenario/, strategy/, ...), several separated by "
                f"{os.pathsep!r}"
            )
    return dirs


def _searchpath_overrides() -> list[str]:
    dirs = extra_config_dirs()
    if not dirs:
        return []
    return ["hydra.searchpath=[" + ",".join(f"'file://{d.as_posix()}'" for d in dirs) + "]"]


# --------------------------------------------------------------------------------------------
# Generated options and registration
# --------------------------------------------------------------------------------------------

_PRESET_INFO: dict[str, tuple[str, str]] = {
    "deffuant": (
        "The Deffuant–Weisbuch bounded-confidence model exactly (sim.presets.PRESETS['deffuant']):"
        " one group with uniform opinions on [0, 1] and tolerance ε = 0.2, μ = 0.5, everyone can"
        " meet everyone, no Party members, no levers, no needs, trust, conflicts or consultation.",
        "A check of the engine against the literature (Deffuant et al. 2000): with ε = 0.2 "
        "opinions settle into about 1/(2ε) = 2–3 clusters. Vary "
        "population.groups.all.tolerance to see the classic transition to consensus near "
        "ε ≈ 0.25 — the ground the ideological lever acts on.",
    ),
    "threshold": (
        "The threshold model of collective behaviour exactly (sim.presets.PRESETS['threshold']):"
        " participation from social proof only, irreversible, on a random network of mean"
        " degree 4 with 0.1 % initiators and a common threshold of 0.18; nothing else is on.",
        "A check against Granovetter (1978) and Watts (2002): whether a few initiators set off "
        "a community-wide cascade depends on thresholds and network degree. The source's claim "
        "that exemplars 'stimulate residents' initiative to participate' rests on such cascades.",
    ),
}


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        node = out
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = to_dict(value)
    return out


def _preset_node(name: str) -> dict[str, Any]:
    overrides = PRESETS[name]
    desc, claim = _PRESET_INFO.get(
        name, (f"Engine preset {name!r} (sim.presets.PRESETS).", "See sim.presets.")
    )
    defaults: list[Any] = []
    if any(k == "population.groups" for k in overrides):
        defaults.append({"override /population": "empty"})
    defaults.append("_self_")
    return {
        "defaults": defaults,
        "scenario": {"description": desc, "claim": claim},
        **_unflatten(overrides),
    }


_registered = False


def register_configs() -> None:
    """Register the schema and the generated options in Hydra's ConfigStore (idempotent)."""
    global _registered
    with _LOCK:
        if _registered:
            return
        from hydra.core.config_store import ConfigStore

        cs = ConfigStore.instance()
        cs.store(name="govsim_schema", node=root_dataclass())
        cs.store(
            group="population",
            name="default",
            node={"groups": to_dict(Params().population.groups)},
        )
        cs.store(group="population", name="empty", node={"groups": {}})
        for name in PRESETS:
            cs.store(group="scenario", name=name, package="_global_", node=_preset_node(name))
        _registered = True


_depth = 0


@contextlib.contextmanager
def _hydra() -> Iterator[Any]:
    """Initialise Hydra on the config folder (re-entrant); yields its config loader."""
    global _depth
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.initialize import get_gh_backup, restore_gh_from_backup

    register_configs()
    with _LOCK:
        if _depth:
            _depth += 1
            try:
                yield GlobalHydra.instance().config_loader()
            finally:
                _depth -= 1
            return
        # A Hydra application may be running in this process (@hydra.main, --multirun):
        # set its global state aside and put it back afterwards.
        backup = get_gh_backup()
        if GlobalHydra.instance().is_initialized():
            GlobalHydra.instance().clear()
        try:
            with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
                _depth = 1
                try:
                    yield GlobalHydra.instance().config_loader()
                finally:
                    _depth = 0
        finally:
            restore_gh_from_backup(backup)


@functools.cache
def _group_options(group: str) -> tuple[str, ...]:
    with _hydra() as loader:
        return tuple(
            loader.get_group_options(group, config_name="config", overrides=_searchpath_overrides())
        )


# --------------------------------------------------------------------------------------------
# Parsing and composing
# --------------------------------------------------------------------------------------------


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _parse_detail(message: str, text: str) -> str:
    """What Hydra's parser choked on, as words (its message points with a caret line)."""
    lines = message.splitlines()
    if len(lines) > 1 and "^" in lines[1] and lines[0].endswith(text):
        pos = lines[1].index("^") - (len(lines[0]) - len(text))
        if 0 <= pos < len(text):
            return f"unexpected {text[pos]!r} at character {pos + 1}"
    return lines[0] if lines else "syntax error"


def _parse(overrides: Sequence[str]) -> list[Any]:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    parsed = []
    for text in overrides:
        if not isinstance(text, str):
            raise ConfigError(f"override {text!r}: expected a string key=value")
        if "=" not in text and not text.startswith("~"):
            raise ConfigError(
                f"argument {text!r}: expected key=value, e.g. scenario=fragmented or "
                "opinions.mu=0.2"
            )
        key, _, value = text.partition("=")
        if not text.isascii() and value and value[0] not in "'\"[{(" and key.isascii():
            # Hydra's grammar takes non-ASCII text only quoted: quote it for the user.
            text = key + "='" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        try:
            (o,) = parser.parse_overrides([text])
        except OverrideParseException as exc:
            raise ConfigError(
                f"override {text!r}: cannot parse ({_parse_detail(str(exc), text)}); write "
                "key=value with a name of ASCII letters, digits, '_' and '.', and quote values "
                "with spaces or special characters (key='a b')"
            ) from None
        if o.is_sweep_override():
            raise ConfigError(
                f"override {text!r}: a sweep (several values); this command runs one "
                "configuration — give one value"
            )
        parsed.append(o)
    return parsed


def _schema_top() -> list[str]:
    return [f.name for f in dataclasses.fields(Params)]


def _check_keys(parsed: list[Any]) -> None:
    """Reject unknown group options and unknown top-level keys before composing."""
    tops = _schema_top()
    allowed_tops = [*tops, *RUN_SETTINGS, *_OTHER_ROOT_KEYS]
    for o in parsed:
        key = o.key_or_group
        if key in GROUPS:
            if o.is_delete():
                raise ConfigError(f"override {o.input_line!r}: a config group cannot be deleted")
            value = o.value()
            options = _group_options(key)
            if not isinstance(value, str) or value not in options:
                raise ConfigError(
                    f"{key}={value!r}: unknown {key} option{_suggest(str(value), options)}; "
                    f"allowed: {', '.join(options)}"
                )
            continue
        if key.startswith("hydra/") or key.startswith("hydra."):
            continue
        top = key.split(".")[0]
        if top not in allowed_tops:
            hint = _suggest(top, [*allowed_tops, *GROUPS])
            raise ConfigError(
                f"unknown parameter {key!r}{hint}; allowed: config groups "
                f"{', '.join(GROUPS)}, settings {', '.join(RUN_SETTINGS)}, or a model "
                f"parameter under {', '.join(tops)} (see `govsim show`)"
            )


def _hydra_compose(overrides: Sequence[str]) -> Any:
    from hydra import compose
    from omegaconf import open_dict

    with _hydra():
        cfg = compose(
            "config",
            overrides=[*_searchpath_overrides(), *overrides],
            return_hydra_config=True,
        )
    choices = {k: v for k, v in cfg.hydra.runtime.choices.items() if not k.startswith("hydra/")}
    choices["hydra/launcher"] = cfg.hydra.runtime.choices.get("hydra/launcher")
    with open_dict(cfg):
        del cfg["hydra"]
        cfg.scenario.name = choices["scenario"]
    return cfg, choices


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _config_file_error(msg: str) -> str:
    """One line for an error inside a config file (not caused by a command-line override)."""
    lines = [ln.strip() for ln in msg.strip().splitlines() if ln.strip()]
    where = ""
    m = re.match(r"In '([^']+)'", lines[0]) if lines else None
    if m:
        where = f"in configs {m.group(1)}.yaml: "
    detail = [
        ln
        for ln in lines[1:]
        if not ln.startswith(("full_key:", "reference_type", "object_type", "See "))
    ]
    full_key = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("full_key:")), "")
    unknown = re.match(r"Key '([^']+)' not in '([^']+)'", detail[0]) if detail else None
    if unknown and full_key:
        try:
            build_params(None, {full_key: 0})
        except ValueError as err:
            return where + _first_line(err)
    text = detail[0] if detail else (lines[0] if lines else "unknown error")
    if full_key:
        text += f" ({full_key})"
    return f"configuration error: {where}{text}"


def _diagnose(exc: Exception, parsed: list[Any]) -> str:
    """Turn a Hydra composition error into one line naming the key, value and what's allowed."""
    msg = str(exc)
    group_ovs = [o.input_line for o in parsed if o.key_or_group in GROUPS]
    culprit = None
    for o in parsed:
        line = o.input_line
        if f"override {line}" in msg or f"'{o.key_or_group}'" in msg:
            culprit = o
            break
    if culprit is None:
        return _config_file_error(msg)
    key = culprit.key_or_group
    value = culprit.value()
    top = key.split(".")[0]
    if top in _schema_top() and not culprit.is_delete():
        try:
            base_cfg, _ = _hydra_compose(group_ovs)
            base = params_from_config(base_cfg)
            build_params(base, {key: value})
        except ValueError as err:
            text = _first_line(err)
            if "unknown group" in text and not culprit.is_add():
                text += f"; to add a new group: +{key}={_fmt_value(value)}"
            return text
    if top in RUN_SETTINGS:
        return f"{key}={value!r}: {RUN_SETTINGS[top]}"
    cause = exc.__cause__
    detail = _first_line(cause) if cause is not None else _first_line(exc)
    if "To append to your config use" in msg:
        detail = f"not in the configuration; to add it use +{culprit.input_line}"
    return f"{culprit.input_line}: {detail}"


def _fmt_value(value: Any) -> str:
    return str(value).replace("'", "").replace(" ", "")


def override_string(key: str, value: Any) -> str:
    """``key=value`` in Hydra's override syntax, for any schema value.

    Strings are quoted, tuples and lists become ``[a,b]``, mappings ``{k:v}``, booleans
    ``true``/``false``, ``None`` ``null``. (A new key of a mapping such as
    ``strategy.options`` needs Hydra's ``+`` prefix: ``"+" + override_string(...)``.)::

        >>> override_string("needs.category_mix", (1, 2, 3, 4, 5, 6))
        'needs.category_mix=[1,2,3,4,5,6]'
    """
    return f"{key}={_hydra_value(value)}"


def _hydra_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("'", "\\'")
        return f"'{escaped}'"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_hydra_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple | list):
        return "[" + ",".join(_hydra_value(v) for v in value) + "]"
    raise ConfigError(f"{value!r}: cannot be written as a command-line value")


def _option_file(group: str, name: str) -> Path | None:
    for folder in (config_dir(), *extra_config_dirs()):
        path = folder / group / f"{name}.yaml"
        if path.is_file():
            return path
    return None


_PACKAGE_HEADER = re.compile(r"^\s*#\s*@package\s+_global_\s*$")


def check_option_file(group: str, name: str) -> None:
    """Check an option file before Hydra composes it; one line naming the file otherwise.

    Hydra turns malformed YAML into several lines of parser output, places a scenario file
    whose first line is not ``# @package _global_`` under ``scenario:`` (so its settings are
    silently ignored), and reports an unknown option in a ``defaults:`` list without naming it.

    Raises:
        ConfigError: Malformed YAML (tabs included), a missing or misplaced package header in
            a scenario, or an unknown option in its ``defaults:`` list.
    """
    import yaml

    path = _option_file(group, name)
    if path is None:
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{group}={name}: cannot read {str(path)!r} ({exc})") from None
    where = f"{group}={name} ({path})"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or _first_line(exc)
        if "\\t" in problem or "\t" in problem:
            problem = "a tab character; YAML is indented with spaces only"
        raise ConfigError(f"{where}: not valid YAML{at}: {problem}") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
    if group == "scenario":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if not lines or not _PACKAGE_HEADER.match(lines[0]):
            later = any(_PACKAGE_HEADER.match(ln) for ln in lines[1:])
            how = (
                "move '# @package _global_' to the first line (Hydra reads it only before any "
                "other line)"
                if later
                else "its first line must be '# @package _global_'"
            )
            raise ConfigError(f"{where}: {how}; without it the file's settings are ignored")
    for entry in (data or {}).get("defaults") or []:
        if not isinstance(entry, dict):
            continue
        for key, option in entry.items():
            g = str(key).removeprefix("override").strip().lstrip("/")
            if g not in GROUPS or not isinstance(option, str):
                continue
            options = _group_options(g)
            if option not in options:
                raise ConfigError(
                    f"{where}: defaults: {key}: {option!r} is not a {g} option"
                    f"{_suggest(option, options)}; allowed: {', '.join(options)}"
                )


def compose_config(overrides: Sequence[str] = ()) -> tuple[Any, dict[str, str]]:
    """Compose the Hydra config for command-line style overrides.

    Args:
        overrides: ``key=value`` strings: group choices (``scenario=fragmented``), settings
            (``steps=200``) and dotted model parameters (``opinions.mu=0.2``).

    Returns:
        ``(cfg, choices)``: the composed ``DictConfig`` (``scenario.name`` filled in, Hydra's
        own node removed) and the chosen option of every group.

    Raises:
        ConfigError: One line naming the key, the value and what is allowed.
    """
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    parsed = _parse(overrides)
    _check_keys(parsed)
    chosen = {"scenario": DEFAULT_SCENARIO}
    for o in parsed:
        if o.key_or_group in GROUPS and isinstance(o.value(), str):
            chosen[o.key_or_group] = o.value()
    for group, name in chosen.items():
        check_option_file(group, name)
    try:
        return _hydra_compose([o.input_line for o in parsed])
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(_diagnose(exc, parsed)) from None
    except OverflowError as exc:  # OmegaConf converting a 400-digit integer to a float
        for o in parsed:
            if o.key_or_group.split(".")[0] in _schema_top() and not o.is_delete():
                try:
                    build_params(None, {o.key_or_group: o.value()})
                except ValueError as err:
                    raise ConfigError(_first_line(err)) from None
        raise ConfigError(f"a number too large: {_first_line(exc)}") from None


def params_from_config(cfg: Any) -> Params:
    """Validated :class:`Params` from a composed config (or any nested mapping).

    Keys other than the schema's sections (scenario, steps, ...) are ignored.

    Raises:
        ConfigError: The engine's one-line message for a bad value.
    """
    from omegaconf import DictConfig, OmegaConf

    data = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    if not isinstance(data, Mapping):
        raise ConfigError(f"configuration must be a mapping, got {type(data).__name__}")
    sections = {k: v for k, v in data.items() if k in _schema_top()}
    try:
        return build_params(sections)
    except ValueError as exc:
        raise ConfigError(_first_line(exc)) from None


# --------------------------------------------------------------------------------------------
# A resolved run
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """Everything a single run needs, validated.

    Attributes:
        params: The model parameters.
        scenario: Scenario name; ``choices`` has the option of every group.
        steps, seed: Weeks and seed of the run.
        experiment: Results sub-folder (``experiment.name``, default: the scenario name).
        results_dir: Results root.
        run_name: Folder name of the run, or ``None`` for the default.
        progress: ``"auto"``, ``"true"`` or ``"false"``.
        plots: Whether to write PNG plots.
        config: The fully resolved config as plain data (model parameters normalised by the
            engine), ready to be written as YAML.
        overrides: The overrides it was composed from.
        experiment_config: The ``experiment`` node as plain data (seeds, scenarios, ...).
    """

    params: Params
    scenario: str
    choices: dict[str, str]
    steps: int
    seed: int
    experiment: str
    results_dir: Path
    run_name: str | None
    progress: str
    plots: bool
    config: dict[str, Any]
    overrides: tuple[str, ...]
    experiment_config: dict[str, Any]

    def run_dir(self, name: str | None = None) -> Path:
        """``results_dir / experiment / (name or run_name)``; the name must be given somewhere."""
        name = name or self.run_name
        if not name:
            raise ValueError("no run name: pass one or set run_name")
        return self.results_dir / self.experiment / name


def _blame_files(message: str, overrides: Sequence[str], choices: Mapping[str, Any]) -> str:
    """Say which config files set a bad value when no override touched its section."""
    m = re.match(r"parameter ([\w.*]+)", message)
    if not m:
        return message
    section = m.group(1).split(".")[0]
    keys = [o.lstrip("+~").split("=", 1)[0] for o in overrides]
    if any(k.split(".")[0] == section for k in keys):
        return message
    groups = ("scenario", "population", "network", "strategy")
    picked = ", ".join(f"{g}={v}" for g, v in choices.items() if g in groups)
    return f"{message} (set by the config files: {picked})"


def _check_strategy(params: Params) -> None:
    try:
        make_strategy(params.strategy, params.costs)
    except ValueError as exc:
        raise ConfigError(_first_line(exc)) from None


def _bool_setting(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ConfigError(f"{key}={value!r}: expected true or false")


def _name_setting(key: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) > MAX_NAME_LENGTH:
        raise ConfigError(
            f"{key}={value[:20]!r}... ({len(value)} characters): expected a folder name of at "
            f"most {MAX_NAME_LENGTH} characters"
        )
    if not isinstance(value, str) or not _SAFE_NAME.match(value) or value in (".", ".."):
        raise ConfigError(
            f"{key}={value!r}: expected a folder name of letters, digits, '.', '_', '+' or '-' "
            "(not starting with '.' or '-')"
        )
    return value


#: Longest run or experiment folder name: the staging folder adds about 30 characters to it
#: and most file systems allow 255.
MAX_NAME_LENGTH = 200


def check_results_dir(path: str | Path, option: str = "results_dir") -> Path:
    """Check, before anything runs or is printed, that results can be written under ``path``.

    Nothing is left behind: when ``path`` does not exist yet, the nearest existing folder above
    it is probed with a temporary folder that is removed at once.

    Args:
        path: The results root.
        option: How the user gave it (``results_dir``, ``--results-dir``), for the message.

    Raises:
        ConfigError: ``path`` is a file, lies under a file, or cannot be created or written.
    """
    import tempfile

    target = Path(path).expanduser()
    probe = target
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{option}={str(path)!r}: is a file, not a folder; give a folder path")
    if not probe.is_dir():
        raise ConfigError(
            f"{option}={str(path)!r}: cannot create the folder, {str(probe)!r} is a file"
        )
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".govsim-write-test-", dir=probe))
    except OSError as exc:
        what = "not writable" if probe == target else f"cannot be created in {str(probe)!r}"
        raise ConfigError(
            f"{option}={str(path)!r}: {what} ({exc.strerror or exc}); choose another folder"
        ) from None
    return target


def resolve(overrides: Sequence[str] = ()) -> Resolved:
    """Compose, convert and validate a run from command-line style overrides.

    Args:
        overrides: ``key=value`` strings, e.g. ``["scenario=fragmented", "opinions.mu=0.2"]``.

    Returns:
        The validated run (nothing is written).

    Raises:
        ConfigError: One line naming the key, the value and what is allowed.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    cfg, choices = compose_config(overrides)
    try:
        data = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"configuration error: {_first_line(exc)}") from None
    assert isinstance(data, dict)
    try:
        params = params_from_config(data)
    except ConfigError as exc:
        raise ConfigError(_blame_files(str(exc), overrides, choices)) from None
    _check_strategy(params)
    try:
        steps = check_steps(data.get("steps"))
        seed = check_seed(data.get("seed"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    plots = _bool_setting("plots", data.get("plots"))
    progress = data.get("progress")
    progress = str(progress).lower() if isinstance(progress, bool | str) else progress
    if progress not in ("auto", "true", "false"):
        raise ConfigError(f"progress={progress!r}: allowed: auto, true, false")
    results_dir = data.get("results_dir")
    if not isinstance(results_dir, str) or not results_dir.strip():
        raise ConfigError(f"results_dir={results_dir!r}: expected a folder path")
    run_name = _name_setting("run_name", data.get("run_name"))
    exp = dict(data.get("experiment") or {})
    experiment = _name_setting("experiment.name", exp.get("name")) or choices["scenario"]
    config = {
        "scenario": data["scenario"],
        "choices": choices,
        "experiment": exp,
        "steps": steps,
        "seed": seed,
        "results_dir": results_dir,
        "run_name": run_name,
        "progress": progress,
        "plots": plots,
        **params.to_dict(),
    }
    return Resolved(
        params=params,
        scenario=choices["scenario"],
        choices=choices,
        steps=steps,
        seed=seed,
        experiment=experiment,
        results_dir=Path(results_dir).expanduser(),
        run_name=run_name,
        progress=progress,
        plots=plots,
        config=config,
        overrides=tuple(overrides),
        experiment_config=exp,
    )
