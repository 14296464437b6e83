"""The experiment verbs of the ``govsim`` command (a plugin of :mod:`govsim.cli`).

``govsim replicate | sweep | compare | sensitivity | optimise [key=value ...]`` compose the
config exactly like ``govsim run`` (scenario, strategy, network, population, any dotted model
parameter), plus an ``experiment=<name>`` config from ``configs/experiment/`` (each verb has a
default: ``experiment=<verb>``) and a Hydra launcher (``hydra/launcher=joblib`` by default,
``=basic`` in-process, ``=ray``, ``=submitit_slurm``; ``hydra.launcher.*`` settings too).
``govsim report results/<name>`` rewrites an experiment's tables, figures and report from its
stored results.

Exit status: 0 all runs stored; 1 some run failed or was not run (rerun the command to resume);
2 bad configuration (reported in one line before any run).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from govsim.cli import EXIT_ERROR, EXIT_OK, command, say
from govsim.config import ConfigError, check_results_dir

__all__ = ["split_launcher", "verb"]

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


def verb(kind: str, args: argparse.Namespace) -> int:
    """Run experiment verb ``kind`` from parsed arguments; returns the exit status."""
    from govsim.config import resolve, scenario_params

    from .design import ExperimentConfigError
    from .launch import launcher_config
    from .runners import experiment_from_config, run_experiment

    model_ov, launcher_ov = split_launcher(args.overrides)
    if not any(_is_exp(o) for o in model_ov):
        model_ov = [f"experiment={kind}", *model_ov]
    # The launcher's name is checked here; its settings (hydra.launcher.n_jobs=4, ...) belong
    # to the launcher the batches run on (joblib unless hydra/launcher= says otherwise) and are
    # checked by launcher_config below.
    r = resolve([*model_ov, *(o for o in launcher_ov if o.startswith("hydra/launcher="))])
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
    try:
        launcher_config(launcher_ov)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    passthrough = [
        o
        for o in model_ov
        if o.lstrip("+~").split("=", 1)[0].split(".")[0] not in ("scenario", "experiment")
    ]

    def params_of(name: str):
        return scenario_params(name, passthrough) if passthrough else scenario_params(name)

    try:
        e = experiment_from_config(
            kind,
            r.experiment_config,
            r.params,
            r.steps,
            scenario=r.scenario,
            scenario_params=params_of,
        )
        if kind != "optimise":
            from .runners import plan_runs

            n = len(plan_runs(e))
        else:
            n = 0
    except ExperimentConfigError as exc:
        raise ConfigError(str(exc)) from None
    echo = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    say(
        args,
        f"govsim {kind}: {e.name} — base scenario {r.scenario}, {r.params.population.n_residents} "
        f"residents, {e.steps} weeks, {len(e.seeds)} replications"
        + (f", {n} runs" if n else "")
        + f" → {results_dir / e.name}",
    )
    try:
        summary, _ = run_experiment(
            e,
            results_dir,
            launcher=launcher_ov,
            progress=False if args.quiet else r.progress,
            echo=echo,
            analyse=not args.no_report,
        )
    except ExperimentConfigError as exc:  # stored runs of another model version, refused
        raise ConfigError(str(exc)) from None
    return EXIT_OK if summary.ok else EXIT_ERROR


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


@command(
    "replicate",
    help="R seeds of one configuration: means and confidence intervals over time and at the end",
    description="Run one configuration on R replicate seeds (spawned from one root "
    "SeedSequence) and report the mean and t and bootstrap confidence intervals of every "
    "outcome over time and at the end, with a plot of CI bands." + _COMMON.format(verb="replicate"),
    examples="""
        govsim replicate scenario=fragmented experiment.replications=20
        govsim replicate scenario=credibility_crisis strategy=political hydra.launcher.n_jobs=2
    """,
    configure=_options,
)
def _replicate(args: argparse.Namespace) -> int:
    return verb("replicate", args)


@command(
    "sweep",
    help="full factorial or Latin-hypercube sweep over any parameters, R replications per point",
    description="Sweep parameters (experiment.design: kind factorial or lhs, params "
    "{dotted.name: [values]} or {dotted.name: [lo, hi]}) with R replications per point, in "
    "batches through a Hydra launcher; one tidy Parquet table per experiment; heatmaps / line "
    "plots of outcomes over the swept parameters." + _COMMON.format(verb="sweep"),
    examples="""
        govsim sweep                                    # configs/experiment/sweep.yaml
        govsim sweep experiment=lever_sweep population.n_residents=500
        govsim sweep 'experiment.design.params={strategy.smart: [0, 0.5, 1]}'
        govsim sweep hydra/launcher=submitit_slurm hydra.launcher.partition=cpu
    """,
    configure=_options,
)
def _sweep(args: argparse.Namespace) -> int:
    return verb("sweep", args)


@command(
    "compare",
    help="two or more strategies/scenarios on the same seeds: paired tests, effect sizes, Holm",
    description="Compare conditions (experiment.scenarios=[a,b,…] or experiment.conditions: "
    "{label: {dotted.name: value}}) run on common random numbers: paired t and Wilcoxon "
    "signed-rank tests, mean differences and Cohen's d_z with confidence intervals, Holm "
    "correction across outcomes; a Markdown + CSV table and a forest plot."
    + _COMMON.format(verb="compare"),
    examples="""
        govsim compare                                  # configs/experiment/compare.yaml
        govsim compare 'experiment.scenarios=[weak_baseline,political_only,integrated]'
        govsim compare experiment=levers_compare experiment.replications=30
    """,
    configure=_options,
)
def _compare(args: argparse.Namespace) -> int:
    return verb("compare", args)


@command(
    "sensitivity",
    help="global sensitivity (SALib): Sobol S1/ST with CIs, or Morris mu*/sigma",
    description="Global sensitivity analysis with SALib over chosen parameters "
    "(experiment.sensitivity: method sobol or morris, params {dotted.name: [lo, hi]}, n_base "
    "or trajectories, outcomes), outcomes averaged over the R replications of each design "
    "point; bar chart (Sobol) or mu*-sigma plot (Morris)." + _COMMON.format(verb="sensitivity"),
    examples="""
        govsim sensitivity                              # Sobol, configs/experiment/sensitivity.yaml
        govsim sensitivity experiment=morris_screening
    """,
    configure=_options,
)
def _sensitivity(args: argparse.Namespace) -> int:
    return verb("sensitivity", args)


@command(
    "optimise",
    help="best split of a fixed leadership budget across the four levers (and the Pareto front)",
    description="Find the split of strategy.budget over the ideological, political, "
    "organizational and smart levers (strategy.name=budgeted) that maximises participation, "
    "consensus or a weighted pair (experiment.optimise.objective), with SciPy's differential "
    "evolution on common random numbers; objective=pareto reports the participation–consensus "
    "trade-off front. The winners are replicated on fresh seeds before they are reported."
    + _COMMON.format(verb="optimise"),
    examples="""
        govsim optimise                                 # participation, budget 1
        govsim optimise experiment.optimise.objective=consensus
        govsim optimise experiment.optimise.objective=pareto experiment.optimise.budget=1.5
    """,
    configure=_options,
)
def _optimise(args: argparse.Namespace) -> int:
    return verb("optimise", args)


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="an experiment folder, e.g. results/lever_sweep")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")


@command(
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
)
def _report(args: argparse.Namespace) -> int:
    from .analysis import analyse
    from .design import ExperimentConfigError

    folder = Path(args.folder)
    if not folder.is_dir():
        raise ConfigError(f"{args.folder}: no such folder (expected results/<experiment>)")
    try:
        analyse(folder, echo=(lambda line: None) if args.quiet else print)
    except ExperimentConfigError as exc:
        raise ConfigError(str(exc)) from None
    return EXIT_OK


def _study_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "study", help="the study: a config in configs/experiment/ (e.g. source-claims)"
    )
    _options(parser)


@command(
    "study",
    help="the source's claims as hypotheses: paired comparisons, a verdict each",
    description="Run a study (configs/experiment/<study>.yaml, kind: study): every hypothesis "
    "is a paired comparison of a treatment and a control on common random numbers in each of "
    "its community types (scenario presets); verdicts are Holm-corrected across the study and "
    "written with effect sizes, confidence intervals and figures to "
    "results/<study>/report.md. Resumable like any sweep: rerun the same command."
    + _COMMON.format(verb="study"),
    examples="""
        govsim study source-claims
        govsim study source-claims experiment.replications=10 population.n_residents=500
        govsim study source-claims hydra.launcher.n_jobs=16
    """,
    configure=_study_options,
)
def _study(args: argparse.Namespace) -> int:
    from govsim.config import resolve, scenario_params

    from .design import ExperimentConfigError
    from .launch import launcher_config
    from .study import plan_study, run_study, spec_from_config

    name = args.study.replace("-", "_")
    model_ov, launcher_ov = split_launcher(args.overrides)
    r = resolve([f"experiment={name}", *model_ov])
    exp = r.experiment_config
    if exp.get("kind") != "study":
        raise ConfigError(
            f"study {args.study!r}: configs/experiment/{name}.yaml is not a study (kind: study)"
        )
    try:
        launcher_config(launcher_ov)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    passthrough = [
        o
        for o in [*_experiment_overrides(exp.get("overrides")), *model_ov]
        if o.lstrip("+~").split("=", 1)[0].split(".")[0] not in ("scenario", "experiment")
    ]
    results_dir = (
        check_results_dir(args.results_dir, "--results-dir")
        if args.results_dir
        else check_results_dir(r.results_dir)
    )
    try:
        spec = spec_from_config(exp, r.steps)
        plan = plan_study(spec, lambda c: scenario_params(c, passthrough))
    except ExperimentConfigError as exc:
        raise ConfigError(str(exc)) from None
    echo = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    n_res = plan.runs[0].overrides.get("population.n_residents", "default")
    say(
        args,
        f"govsim study: {spec.name} — {len(spec.hypotheses)} hypotheses, {len(plan.arms)} arms, "
        f"{len(plan.runs)} distinct runs ({spec.replications} seeds, {spec.steps} weeks, "
        f"{n_res} residents) → {results_dir / spec.name}",
    )
    if plan.work is not None and plan.work.large():
        say(args, plan.work.line())
    try:
        summary, _ = run_study(
            plan,
            results_dir,
            launcher=launcher_ov,
            progress=False if args.quiet else r.progress,
            echo=echo,
            analyse=not args.no_report,
        )
    except ExperimentConfigError as exc:  # stored runs of another model version, refused
        raise ConfigError(str(exc)) from None
    return EXIT_OK if summary.ok else EXIT_ERROR
