"""Experiment runners for govsim: statistics, resumable result storage and sensitivity analysis.

This package is deliberately independent of the simulation engine in :mod:`sim`. Everything in
it works against a generic run function (``run_one(params, seed, steps) -> RunResult``) or a
generic batch evaluator (``evaluate(X) -> Y``), so it can be tested without the engine.

Modules:
    stats: confidence intervals, CI bands over time, paired comparisons, Holm adjustment.
    store: stable run identities (parameters, seed, model versions) and an atomic, resumable
        Parquet result store.
    dataset: an experiment's lock, one schema, the current design only (archive, manifest).
    provenance: versions, git commit, packages and command line of every result.
    sensitivity: SALib pipelines (Sobol' / Saltelli, Morris) with tidy outputs and plots.
"""
