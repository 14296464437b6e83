"""Experiment runners for govsim: statistics, resumable result storage and sensitivity analysis.

This package is deliberately independent of the simulation engine in :mod:`sim`. Everything in
it works against a generic run function (``run_one(params, seed, steps) -> RunResult``) or a
generic batch evaluator (``evaluate(X) -> Y``), so it can be tested without the engine.

Modules:
    stats: confidence intervals, CI bands over time, paired comparisons, Holm adjustment.
    store: stable run identities and an atomic, resumable Parquet result store.
    sensitivity: SALib pipelines (Sobol' / Saltelli, Morris) with tidy outputs and plots.
"""
