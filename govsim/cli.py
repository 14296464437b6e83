"""The ``govsim`` command: run scenarios, list and show configurations, run the demo.

Usage::

    govsim run [key=value ...]       one run → results/<experiment>/<run>/
    govsim list [group]              scenarios, strategies, networks, ... with descriptions
    govsim show [key=value ...]      the resolved parameters with their documentation
    govsim demo [key=value ...]      weak vs integrated leadership, a few seeds, a comparison

``key=value`` arguments are Hydra overrides: a config group option (``scenario=fragmented``,
``strategy=integrated``, ``network=small_world``), a run setting (``steps=200``, ``seed=3``,
``results_dir=out``) or any model parameter by its dotted name (``opinions.mu=0.2``,
``population.groups.elderly.share=0.3``). Bad input prints one line on stderr and exits 2.

Adding a command
----------------
Commands live in a small registry, :data:`COMMANDS` (name → :class:`Command`). To add one
(``report``, ``ui``, ...), write a handler and register it with :func:`command`, here or in your
own module (the experiment verbs — ``replicate``, ``sweep``, ``compare``, ... — are registered
by :mod:`govsim.commands.experiments`, one per experiment kind: add a kind, not a command)::

    # govsim/commands/mine.py
    from govsim.cli import command, resolve_args, say
    from govsim.config import resolve

    def _options(parser):                      # optional: extra --options
        parser.add_argument("--jobs", type=int, default=1, help="parallel jobs")

    @command(
        "replicate",
        help="run one scenario over many seeds",
        examples="govsim replicate scenario=fragmented experiment.seeds=[0,1,2,3]",
        configure=_options,
    )
    def replicate(args) -> int:                # args.overrides: the key=value list
        base = resolve_args(args)              # a validated govsim.config.Resolved
        for seed in base.experiment_config["seeds"]:
            run = resolve([*args.overrides, f"seed={seed}"])
            ...
        say(args, "done")
        return 0                               # the exit code

A module outside this file is found when its name is listed in :data:`PLUGINS` (one line to
add); it is imported only if it exists, and a plugin that fails to import is reported and
skipped. Raise :class:`govsim.config.ConfigError` for bad input: :func:`main` prints it as one
line on stderr and exits 2. Keep heavy imports inside the handler so ``govsim --help`` stays
fast.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import difflib
import importlib
import importlib.util
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.strategies import STRATEGIES

from .config import (
    DEFAULT_SCENARIO,
    ConfigError,
    check_results_dir,
    describe_params,
    get_scenario,
    list_options,
    list_scenarios,
    resolve,
)
from .signals import stop_signals

__all__ = [
    "COMMANDS",
    "PLUGINS",
    "Command",
    "command",
    "main",
    "resolve_args",
    "say",
]

#: Modules that may register more commands (imported only when they exist).
PLUGINS: tuple[str, ...] = ("govsim.ui.cli", "govsim.commands.experiments")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Command:
    """A ``govsim`` sub-command.

    Attributes:
        name: The verb (``govsim <name>``).
        help: One line for ``govsim --help``.
        handler: ``handler(args) -> exit code``; ``args.overrides`` holds the key=value list.
        description: Longer text for ``govsim <name> --help``.
        examples: Example command lines, one per line.
        configure: ``configure(parser)`` adds the command's own options.
        overrides: Whether the command takes key=value overrides.
    """

    name: str
    help: str
    handler: Callable[[argparse.Namespace], int]
    description: str = ""
    examples: str = ""
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    overrides: bool = True


#: The registry of commands, in the order ``govsim --help`` lists them.
COMMANDS: dict[str, Command] = {}


def command(
    name: str,
    *,
    help: str,
    description: str = "",
    examples: str = "",
    configure: Callable[[argparse.ArgumentParser], None] | None = None,
    overrides: bool = True,
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Decorator: register ``handler`` as ``govsim <name>``."""

    def deco(handler: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
        COMMANDS[name] = Command(
            name=name,
            help=help,
            handler=handler,
            description=description or (handler.__doc__ or help).strip(),
            examples=textwrap.dedent(examples).strip(),
            configure=configure,
            overrides=overrides,
        )
        return handler

    return deco


# --------------------------------------------------------------------------------------------
# Helpers for handlers
# --------------------------------------------------------------------------------------------


def say(args: argparse.Namespace, *lines: str) -> None:
    """Print to stdout unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line, flush=True)


def _progress_on(setting: str) -> bool:
    if setting == "auto":
        return sys.stderr.isatty()
    return setting == "true"


def resolve_args(args: argparse.Namespace, extra: Sequence[str] = ()) -> Any:
    """Resolve ``args.overrides`` (+ ``extra``) and ``--results-dir`` into a validated run.

    Returns:
        A :class:`govsim.config.Resolved`.

    Raises:
        ConfigError: Bad input (one line).
    """
    resolved = resolve([*getattr(args, "overrides", []), *extra])
    results_dir = getattr(args, "results_dir", None)
    if results_dir:
        path = check_results_dir(results_dir, "--results-dir")
        config = {**resolved.config, "results_dir": str(path)}
        resolved = dataclasses.replace(resolved, results_dir=path, config=config)
    elif getattr(args, "_command", None) is not None and args._command.name != "show":
        check_results_dir(resolved.results_dir, "results_dir")
    return resolved


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


#: Outcomes printed after a run: (metric, label).
HEADLINE: tuple[tuple[str, str], ...] = (
    ("participation_rate", "participation rate"),
    ("participation_gap", "participation gap (a group vs the rest, largest)"),
    ("agenda_distance", "distance to the shared agenda"),
    ("opinion_variance", "opinion variance"),
    ("polarization", "polarization (Duclos–Esteban–Ray)"),
    ("opinion_clusters", "opinion clusters"),
    ("mean_trust", "mean trust"),
    ("resolution_rate", "needs resolution rate (so far)"),
    ("resolution_rate_week", "needs resolution rate (this week)"),
    ("platform_adoption", "platform adoption"),
)


# --------------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------------


def _common_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results-dir",
        metavar="DIR",
        help="results root (default: results_dir= override, env GOVSIM_RESULTS, or ./results)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")


@command(
    "run",
    help="run one scenario and write its tables, plots and provenance",
    description=(
        "Run one configuration and write results/<experiment>/<run>/: model.parquet and "
        "model.csv (one row per week), groups.parquet (per group and week), agents.parquet "
        "(final state of every resident), summary.json (final and time-averaged outcomes; "
        "written last — a folder without it is incomplete), config.yaml (every resolved "
        "parameter), provenance.json (versions, git commit, seed, times, command line) and "
        "plots/{participation,consensus,trust,needs}.png.\n\n"
        "The experiment folder is experiment.name (default: the scenario's name); the run "
        "folder is run_name (default: <date>-<time>-seed<seed>)."
    ),
    examples="""
        govsim run
        govsim run scenario=fragmented
        govsim run scenario=fragmented strategy=ideological seed=3 steps=200
        govsim run scenario=credibility_crisis strategy=political run_name=crisis-political
        govsim run opinions.mu=0.2 population.n_residents=5000
        govsim run population.groups.elderly.share=0.3 population.groups.long_term.share=0.25
        govsim run scenario=digital_divide population.n_residents=5000 --results-dir /tmp/out
    """,
    configure=_common_output_options,
)
def _run(args: argparse.Namespace) -> int:
    """Run one configuration."""
    from .runs import default_run_name, save_run  # imports Mesa: only `govsim run` needs it

    r = resolve_args(args)
    name = r.run_name or default_run_name(r.seed)
    dest = r.run_dir(name)
    label = f"{r.scenario} seed {r.seed}"
    c = r.choices
    say(
        args,
        f"govsim run: scenario {r.scenario} (strategy {c['strategy']}, network {c['network']}, "
        f"population {c['population']}), seed {r.seed}, {r.steps} weeks, "
        f"{r.params.population.n_residents} residents",
    )
    folder, _, summary = save_run(
        dest,
        params=r.params,
        seed=r.seed,
        steps=r.steps,
        config=r.config,
        meta={
            "scenario": r.scenario,
            "experiment": r.experiment,
            "run": dest.name,
            "label": label,
            "choices": r.choices,
            "overrides": list(r.overrides),
        },
        plots=r.plots,
        progress=_progress_on(r.progress) and not getattr(args, "quiet", False),
    )
    rows = [
        f"  {label:<34} {_fmt(summary['final'].get(m)):>10} {_fmt(summary['mean'].get(m)):>12}"
        for m, label in HEADLINE
    ]
    say(
        args,
        f"  {'outcome':<34} {'last week':>10} {'mean of weeks 1–' + str(r.steps):>22}",
        *rows,
        f"wrote {_display(folder)}{os.sep}",
        "  tables: model.parquet, model.csv, groups.parquet, agents.parquet",
        "  summary.json, config.yaml, provenance.json"
        + (", plots/{participation,consensus,trust,needs}.png" if r.plots else ""),
    )
    return EXIT_OK


def _display(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    return str(path)


# --------------------------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------------------------

_LIST_SECTIONS = {
    "scenarios": "scenario",
    "strategies": "strategy",
    "networks": "network",
    "populations": "population",
    "experiments": "experiment",
    "launchers": "hydra/launcher",
}


def _list_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "what",
        nargs="?",
        choices=[*_LIST_SECTIONS, "all"],
        default="all",
        help="what to list (default: all)",
    )
    parser.add_argument("--claims", action="store_true", help="also print each scenario's claim")


def _wrap(text: str, indent: int, width: int = 100) -> str:
    return textwrap.fill(
        " ".join(text.split()),
        width=width,
        initial_indent=" " * indent,
        subsequent_indent=" " * indent,
    )


@command(
    "list",
    help="list scenarios, strategies, networks, populations, experiments and launchers",
    description="List the options of every config group with their descriptions. Choose one "
    "with group=option on the command line, e.g. `govsim run scenario=silos network=small_world`.",
    examples="""
        govsim list
        govsim list scenarios --claims
        govsim list strategies
    """,
    configure=_list_options,
    overrides=False,
)
def _list(args: argparse.Namespace) -> int:
    """List config group options."""
    sections = list(_LIST_SECTIONS) if args.what == "all" else [args.what]
    out: list[str] = []
    for section in sections:
        group = _LIST_SECTIONS[section]
        out.append(f"{section} ({group}=NAME):")
        if group == "scenario":
            for s in list_scenarios():
                tag = "  [default]" if s.name == DEFAULT_SCENARIO else ""
                out.append(f"  {s.name}{tag}  ({s.steps} weeks; {_choices_text(s.choices)})")
                out.append(_wrap(s.description, 6))
                if args.claims:
                    out.append(_wrap("Claim: " + s.claim, 6))
        else:
            for o in list_options(group):
                out.append(f"  {o.name}")
                if o.description:
                    out.append(_wrap(o.description, 6))
        if group == "strategy":
            out.append(
                "  engine strategies (strategy.name=NAME; 'a+b' composes; 'file.py:Class' "
                "loads your own): " + ", ".join(sorted(STRATEGIES))
            )
        out.append("")
    print("\n".join(out).rstrip())
    return EXIT_OK


def _choices_text(choices: dict[str, str]) -> str:
    keys = ("strategy", "network", "population")
    return ", ".join(f"{k} {choices[k]}" for k in keys if k in choices)


# --------------------------------------------------------------------------------------------
# show
# --------------------------------------------------------------------------------------------


def _show_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--changed", action="store_true", help="only parameters that differ from the defaults"
    )
    parser.add_argument("--yaml", action="store_true", help="print the resolved config as YAML")


@command(
    "show",
    help="print the resolved parameters with their documentation",
    description="Resolve a configuration exactly as `govsim run` would and print every "
    "parameter with its value, unit, allowed range and meaning; * marks values that differ "
    "from the engine defaults. Nothing is run or written.",
    examples="""
        govsim show
        govsim show scenario=credibility_crisis --changed
        govsim show scenario=fragmented strategy=ideological opinions.mu=0.2
        govsim show scenario=digital_divide --yaml > my_config.yaml
    """,
    configure=_show_options,
)
def _show(args: argparse.Namespace) -> int:
    """Show the resolved configuration."""
    r = resolve_args(args)
    if args.yaml:
        from omegaconf import OmegaConf

        print(OmegaConf.to_yaml(OmegaConf.create(r.config)), end="")
        return EXIT_OK
    s = get_scenario(r.scenario)
    lines = [
        f"scenario: {r.scenario}  ({s.source})",
        _wrap(s.description, 2),
        _wrap("Claim: " + s.claim, 2),
        "choices: " + ", ".join(f"{k}={v}" for k, v in r.choices.items()),
        f"run: steps={r.steps} seed={r.seed} → "
        f"{r.results_dir / r.experiment}{os.sep}{r.run_name or '<date>-<time>-seed' + str(r.seed)}",
        "",
        "parameters (* = differs from the engine default; (allowed) meaning):",
        describe_params(r.params, only_changed=args.changed),
    ]
    print("\n".join(lines))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# Parser and main
# --------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _load_plugins(wanted: str | None = None) -> None:
    """Import the plugins; with ``wanted``, stop at the first that registers that command (the
    experiment verbs import every experiment kind, which ``govsim run`` does not need)."""
    if wanted in COMMANDS:
        return
    for name in PLUGINS:
        if wanted is not None and wanted in COMMANDS:
            return
        try:
            if importlib.util.find_spec(name) is None:
                continue
            importlib.import_module(name)
        except Exception as exc:  # a broken plugin must not break the CLI
            print(f"govsim: warning: plugin {name} not loaded: {exc}", file=sys.stderr)


_OVERVIEW = """\
Agent-based simulation of urban community governance under four kinds of leadership
(ideological, political, organizational, smart).

examples:
  govsim demo                                    weak vs integrated leadership (< 1 minute)
  govsim list                                    scenarios, strategies, networks, ...
  govsim run scenario=fragmented                 one run → results/fragmented/<run>/
  govsim run scenario=fragmented strategy=ideological seed=3 opinions.mu=0.2
  govsim show scenario=credibility_crisis --changed

key=value arguments choose config group options (scenario=, strategy=, network=,
population=, experiment=), run settings (steps=, seed=, results_dir=, run_name=,
progress=, plots=) or set any model parameter by its dotted name (see `govsim show`).
Documentation: docs/cli.md."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
    parser = _Parser(
        prog="govsim",
        description=_OVERVIEW,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from importlib import metadata

    try:
        version = metadata.version("govsim")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "unknown"
    parser.add_argument("--version", action="version", version=f"govsim {version}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for cmd in COMMANDS.values():
        epilog = "examples:\n" + textwrap.indent(cmd.examples, "  ") if cmd.examples else None
        p = sub.add_parser(
            cmd.name,
            help=cmd.help,
            description=cmd.description,
            epilog=epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if cmd.configure is not None:
            cmd.configure(p)
        if cmd.overrides:
            p.add_argument(
                "overrides",
                nargs="*",
                metavar="key=value",
                help="config group choices, run settings and model parameters "
                "(e.g. scenario=fragmented steps=200 opinions.mu=0.2)",
            )
        p.set_defaults(_command=cmd)
    return parser


def _unknown_command(word: str) -> str:
    names = list(COMMANDS)
    if "=" in word:
        return (
            f"govsim: error: missing command before {word!r}; e.g. `govsim run {word}` "
            f"(commands: {', '.join(names)})"
        )
    close = difflib.get_close_matches(word, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"govsim: error: unknown command {word!r}{hint}; commands: {', '.join(names)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``govsim`` command; returns the exit code.

    Args:
        argv: Arguments without the program name (default ``sys.argv[1:]``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    _load_plugins(argv[0] if argv and not argv[0].startswith("-") else None)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        print(_unknown_command(argv[0]), file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    try:
        # key=value arguments may come before and after --options: collect the rest in order.
        args, extra = parser.parse_known_args(argv)
        cmd: Command | None = getattr(args, "_command", None)
        if not hasattr(args, "overrides"):
            args.overrides = []
        unknown = [a for a in extra if a.startswith("-") or cmd is None or not cmd.overrides]
        if unknown:
            prog = f"govsim {cmd.name}" if cmd else "govsim"
            print(
                f"{prog}: error: unrecognized arguments: {' '.join(unknown)} (see {prog} --help)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        args.overrides = [*args.overrides, *extra]
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if cmd is None:
        parser.print_help()
        return EXIT_OK
    try:
        with stop_signals():
            return int(cmd.handler(args) or EXIT_OK)
    except ConfigError as exc:
        print(f"govsim {cmd.name}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"govsim {cmd.name}: interrupted; no incomplete run was kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_ERROR
        if code == 128 + signal.SIGTERM:
            print(f"govsim {cmd.name}: terminated; no incomplete run was kept", file=sys.stderr)
        return code
    except Exception as exc:
        if os.environ.get("GOVSIM_DEBUG"):
            raise
        print(
            f"govsim {cmd.name}: error: {type(exc).__name__}: {exc} "
            "(set GOVSIM_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
