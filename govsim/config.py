"""Hydra configuration of govsim: scenarios, option groups, and the path from text to ``Params``.

The one parameter schema is the engine's :class:`sim.params.Params`. Hydra composes into its
unfrozen, generated mirror (:mod:`govsim.schema`, registered here as the structured config
``govsim_schema``). The resident groups (``population.groups``) are an untyped mapping in the
mirror, filled by the ``population/`` option group: Hydra merges mappings key by key, so a group
set that *replaces* the default groups must come from a population option, not from a merge.

At the boundary every composed config is converted back with :func:`sim.params.build_params`,
which validates it and gives the engine's own error messages.

Config groups (``configs/``, plus generated options)::

    scenario/     community situations from the source text (description + claim + overrides)
    strategy/     leadership strategies (lever efforts)
    network/      resident network generators
    population/   resident groups (``default`` and ``empty`` are generated from the engine)
    experiment/   multi-run settings (results folder name, seeds, scenarios to compare)
    hydra/launcher/  where Hydra --multirun sweeps run (serial, local joblib, slurm)

The ``deffuant`` and ``threshold`` scenarios are generated from :data:`sim.presets.PRESETS`.

Python API (used by the CLI, the UI and the experiment runners)::

    from govsim.config import list_scenarios, scenario_params, resolve
    for s in list_scenarios():
        print(s.name, s.description, s.claim, s.overrides)
    params = scenario_params("fragmented", {"opinions.mu": 0.2})    # -> sim.params.Params
    run = resolve(["scenario=fragmented", "strategy=ideological", "seed=3"])
    run.params, run.steps, run.seed, run.run_dir()

Every error is a :class:`ConfigError` (a ``ValueError``) whose message is one line naming the
key, the value and what is allowed.

The module is a façade over three of one job each: :mod:`govsim.schema` (the Hydra mirror of
the parameter schema), :mod:`govsim.compose` (config folders, generated options, composing and
diagnosing, :func:`resolve`) and :mod:`govsim.catalogue` (scenarios, options, parameter tables).
Import from here; the three are free to move things between them.
"""

from __future__ import annotations

from .catalogue import (
    Option,
    Scenario,
    clear_caches,
    describe_params,
    get_scenario,
    list_options,
    list_scenarios,
    scenario_params,
)
from .compose import (
    CONFIG_DIR,
    DEFAULT_SCENARIO,
    GROUPS,
    MAX_NAME_LENGTH,
    ConfigError,
    Resolved,
    check_option_file,
    check_results_dir,
    compose_config,
    config_dir,
    extra_config_dirs,
    override_string,
    params_from_config,
    register_configs,
    resolve,
)
from .schema import RUN_SETTINGS, root_dataclass, schema_dataclass

__all__ = [
    "CONFIG_DIR",
    "DEFAULT_SCENARIO",
    "GROUPS",
    "MAX_NAME_LENGTH",
    "RUN_SETTINGS",
    "ConfigError",
    "Option",
    "Resolved",
    "Scenario",
    "check_option_file",
    "check_results_dir",
    "clear_caches",
    "compose_config",
    "config_dir",
    "describe_params",
    "extra_config_dirs",
    "get_scenario",
    "list_options",
    "list_scenarios",
    "override_string",
    "params_from_config",
    "register_configs",
    "resolve",
    "root_dataclass",
    "scenario_params",
    "schema_dataclass",
]
