"""Experiments on the govsim engine: kinds of experiments, resumable execution, statistics.

This package sits between the engine (:mod:`sim`, which it imports: parameters, ``run_one``,
metrics) and the command line (:mod:`govsim`, which it never imports: the config folder and the
scenario composer are passed in as arguments). Its statistics (:mod:`experiments.stats`,
:mod:`experiments.sensitivity`) work on plain arrays and need no engine.

Modules:
    kinds: the registry of experiment kinds (replicate, sweep, compare, sensitivity, optimise,
        study, …), one module each; ``get_kind(name)``.
    runners: validate, plan, run and report an experiment of any kind.
    analysis: ``analyse(folder)``, the report of a stored experiment (``govsim report``).
    spec: the :class:`~experiments.spec.Experiment` record and the validation all kinds share.
    report: tables, figures and Markdown helpers of the reports.
    execute / launch: resumable execution of planned runs through a Hydra launcher.
    store / dataset: stable run identities and the atomic, resumable Parquet result store.
    design / tables / figures: designs, run-level outcome tables, plots.
    stats: confidence intervals, CI bands over time, paired comparisons, Holm adjustment.
    sensitivity: SALib pipelines (Sobol' / Saltelli, Morris) with tidy outputs and plots.
    optimise / study / claims: the domain logic of the optimise and study kinds.
    provenance: versions, git commit, packages and command line of every result.
"""
