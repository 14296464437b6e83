"""The experiment verbs of the ``govsim`` command, one per registered experiment kind.

``govsim <kind> [key=value ...]`` for every kind of :mod:`experiments.kinds` (replicate, sweep,
compare, sensitivity, optimise, calibrate, discover, study, and any kind a module adds); the
verbs, their help and their examples come from the kinds' attributes
(:func:`experiments.kinds.kind_infos`, read without importing the kinds, so that
``govsim --help`` starts in a fraction of a second). What a verb does when it runs is
:func:`govsim.commands.verbs.verb`, imported then. ``govsim report results/<name>`` rewrites an
experiment's tables, figures and report from its stored results.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from experiments.kinds import KindInfo, kind_infos
from govsim.cli import command

__all__ = ["register_verbs"]


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results-dir",
        metavar="DIR",
        help="results root (default: results_dir= override, env GOVSIM_RESULTS, or ./results)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument(
        "--no-report", action="store_true", help="only run; write the report later (govsim report)"
    )


_COMMON = (
    "\n\nkey=value arguments: experiment=<name> (configs/experiment/<name>.yaml; default "
    "experiment={verb}), experiment.<setting>=…, scenario/strategy/network/population options "
    "and any dotted model parameter (they set the base of every run), steps=…, progress=…, and "
    "the Hydra launcher: hydra/launcher=joblib (default, one worker per core; "
    "hydra.launcher.n_jobs=N), basic (in this process), ray (hydra.launcher.ray.init.address=auto "
    "for an existing cluster), submitit_slurm (hydra.launcher.partition=…), or the configs' "
    "local/serial/slurm.\n\nRerunning the same command resumes: runs already stored "
    "(results/<name>/parts/) are skipped, failed or missing ones are run. Exit status 0 when "
    "every run is stored, 1 when some failed or were not run, 2 for a bad configuration. "
    "See docs/experiments.md."
)


def _configure(kind: KindInfo) -> Callable[[argparse.ArgumentParser], None]:
    def configure(parser: argparse.ArgumentParser) -> None:
        if kind.config_arg:
            parser.add_argument(
                kind.config_arg,
                help=f"the {kind.name}: a config in configs/experiment/ (kind: {kind.name})",
            )
        _options(parser)

    return configure


def _run(kind: KindInfo, args: argparse.Namespace) -> int:
    from govsim.commands.verbs import verb  # the experiment layer: only when a verb runs

    return verb(kind, args)


def _report(args: argparse.Namespace) -> int:
    from govsim.commands.verbs import report  # the experiment layer: only when it runs

    return report(args)


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="an experiment folder, e.g. results/lever_sweep")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")


def register_verbs() -> None:
    """Register ``govsim <kind>`` for every kind (in ``govsim --help`` order)."""
    for kind in kind_infos():
        command(
            kind.name,
            help=kind.help or kind.name,
            description=(kind.description or kind.help) + _COMMON.format(verb=kind.name),
            examples=kind.examples,
            configure=_configure(kind),
        )(lambda args, kind=kind: _run(kind, args))


register_verbs()
command(
    "report",
    help="rewrite an experiment's tables, figures and report.md from its stored results",
    description="Regenerate every table (tables/), figure (figures/) and the Markdown report "
    "(report.md) of an experiment from its stored results alone — experiment.json and the "
    "Parquet parts — without simulating anything.",
    examples="""
        govsim report results/lever_sweep
    """,
    configure=_report_options,
    overrides=False,
)(_report)
