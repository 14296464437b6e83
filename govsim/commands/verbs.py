"""What the experiment verbs of ``govsim`` do when they run (``govsim <kind>``, ``govsim report``).

:mod:`govsim.commands.experiments` registers the verbs from the kinds' metadata without
importing this module (it loads the experiment layer: pandas, SciPy, Hydra, Mesa); a verb's
handler imports it when the verb runs. Composition: the config exactly like ``govsim run``
(scenario, strategy, network, population, any dotted model parameter), plus an
``experiment=<name>`` config from ``configs/experiment/`` (each verb has a default:
``experiment=<verb>``; a kind with ``config_arg`` takes the name as its first argument, e.g.
``govsim study source-claims``) and a Hydra launcher (``hydra/launcher=joblib`` by default,
``=basic`` in-process, ``=ray``, ``=submitit_slurm``; ``hydra.launcher.*`` settings too).

Exit status: 0 all runs stored; 1 some run failed or was not run (rerun the command to resume);
2 bad configuration (reported in one line before any run).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from experiments.analysis import analyse
from experiments.design import ExperimentConfigError
from experiments.kinds import KindInfo, get_kind
from experiments.launch import Launcher, launcher_config
from experiments.runners import experiment_from_config, run_experiment
from govsim.cli import EXIT_ERROR, EXIT_OK, say
from govsim.config import (
    ConfigError,
    check_results_dir,
    config_dir,
    resolve,
    scenario_params,
)
from sim.params import Params

__all__ = ["report", "split_launcher", "verb"]

_LAUNCHER_PREFIXES = ("hydra/launcher=", "hydra.launcher.", "+hydra.launcher.", "~hydra.launcher.")


def split_launcher(overrides: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split command-line overrides into (model/config overrides, launcher overrides)."""
    model, launcher = [], []
    for o in overrides:
        (launcher if o.startswith(_LAUNCHER_PREFIXES) else model).append(o)
    return model, launcher


def _is_exp(text: str) -> bool:
    return text.split("=", 1)[0] == "experiment"


def _experiment_overrides(raw: object) -> list[str]:
    """``experiment.overrides`` as key=value strings (a list of strings or a mapping)."""
    if not raw:
        return []
    if isinstance(raw, dict):
        return [f"{k}={v}" for k, v in raw.items()]
    if isinstance(raw, list | tuple) and all(isinstance(x, str) and "=" in x for x in raw):
        return list(raw)
    raise ConfigError(
        f"experiment.overrides={raw!r}: expected a list of key=value strings, "
        "e.g. [strategy.name=integrated, population.n_residents=500]"
    )


def _has_config(name: str) -> bool:
    """Whether ``configs/experiment/<name>.yaml`` exists (a kind's default settings); a kind
    without one starts from ``experiment=default``."""
    return (config_dir() / "experiment" / f"{name}.yaml").is_file()


def verb(kind: KindInfo, args: argparse.Namespace) -> int:
    """Run experiment kind ``kind`` from parsed arguments; returns the exit status."""
    model_ov, launcher_ov = split_launcher(args.overrides)
    for text in model_ov:
        key = text.lstrip("+~").split("=", 1)[0]
        if key in kind.refused_overrides:
            raise ConfigError(
                f"{text}: not allowed in the {kind.name} — {kind.refused_overrides[key]}"
            )
    if kind.config_arg:
        given = getattr(args, kind.config_arg)
        name = given.replace("-", "_")
        model_ov = [f"experiment={name}", *(o for o in model_ov if not _is_exp(o))]
    elif not any(_is_exp(o) for o in model_ov) and _has_config(kind.name):
        model_ov = [f"experiment={kind.name}", *model_ov]
    # The launcher's name is checked here; its settings (hydra.launcher.n_jobs=4, ...) belong
    # to the launcher the batches run on (joblib unless hydra/launcher= says otherwise) and are
    # checked by launcher_config below.
    r = resolve([*model_ov, *(o for o in launcher_ov if o.startswith("hydra/launcher="))])
    if kind.config_arg and r.experiment_config.get("kind") != kind.name:
        raise ConfigError(
            f"{kind.name} {given!r}: configs/experiment/{name}.yaml is not a {kind.name} "
            f"(kind: {kind.name})"
        )
    exp_ov = _experiment_overrides(r.experiment_config.get("overrides"))
    if exp_ov:  # the experiment's own overrides go first: the command line wins
        model_ov = (
            [model_ov[0], *exp_ov, *model_ov[1:]]
            if _is_exp(model_ov[0])
            else [
                *exp_ov,
                *model_ov,
            ]
        )
        r = resolve(model_ov)
    results_dir = (
        check_results_dir(args.results_dir, "--results-dir")
        if args.results_dir
        else check_results_dir(r.results_dir)
    )
    launcher = Launcher(launcher_ov, config_dir())
    try:
        launcher_config(launcher)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    passthrough = [
        o
        for o in model_ov
        if o.lstrip("+~").split("=", 1)[0].split(".")[0] not in ("scenario", "experiment")
    ]

    def params_of(name: str) -> Params:
        return scenario_params(name, passthrough) if passthrough else scenario_params(name)

    try:
        e = experiment_from_config(
            kind.name,
            r.experiment_config,
            r.params,
            r.steps,
            scenario=r.scenario,
            scenario_params=params_of,
        )
        line = get_kind(kind.name).announce(e, results_dir / e.name)
    except ExperimentConfigError as exc:
        raise ConfigError(str(exc)) from None
    echo = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    say(args, line)
    try:
        summary, _ = run_experiment(
            e,
            results_dir,
            launcher=launcher,
            progress=False if args.quiet else r.progress,
            echo=echo,
            analyse=not args.no_report,
        )
    except ExperimentConfigError as exc:  # stored runs of another model version, refused
        raise ConfigError(str(exc)) from None
    return EXIT_OK if summary.ok else EXIT_ERROR


def report(args: argparse.Namespace) -> int:
    """``govsim report FOLDER``: rewrite an experiment's report from its stored results."""
    folder = Path(args.folder)
    if not folder.is_dir():
        raise ConfigError(f"{args.folder}: no such folder (expected results/<experiment>)")
    try:
        analyse(folder, echo=(lambda line: None) if args.quiet else print)
    except ExperimentConfigError as exc:
        raise ConfigError(str(exc)) from None
    return EXIT_OK
