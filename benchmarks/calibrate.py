"""Calibration speed: ABC-SMC of 6 parameters against 6 patterns (1,000 residents, 150 weeks).

Not a timed test: a script that prints (and with ``--json`` writes) its figures.

    python benchmarks/calibrate.py             # the budget of configs/experiment/calibrate.yaml
    python benchmarks/calibrate.py --population 20 --generations 2      # a short measurement
    python benchmarks/calibrate.py --twice     # two root seeds: are the intervals stable?

It calibrates the six priors of ``configs/experiment/calibrate.yaml`` against the six targets of
``configs/targets/urban_china.yaml`` with pyabc's multicore sampler on ``--procs`` worker
processes (2 by default: the target machine), each run into a fresh folder, and prints

* simulations, wall time and simulations per second (of the whole ABC run: sampling, pyabc's
  bookkeeping and its SQLite history included), and the seconds one simulation takes
  (measured alone first, in this process);
* with ``--twice``, the 90 % credible intervals of both runs and, per parameter, how far the
  two medians are apart and how much the two widths differ, each relative to the mean interval
  width — the criterion of "stable credible intervals" (both below 0.25 for every parameter,
  our choice) — and the largest shift of an interval end (reported, not part of the criterion);
* the load average before and after (the machine may be shared: figures are then slower than
  on an idle machine).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=None, help="particles per generation")
    ap.add_argument("--generations", type=int, default=None)
    ap.add_argument("--max-simulations", type=int, default=None)
    ap.add_argument("--procs", type=int, default=2, help="worker processes (multicore sampler)")
    ap.add_argument("--residents", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--twice", action="store_true", help="two runs with root seeds 0 and 1")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = ap.parse_args(argv)

    import pandas as pd
    import pyabc  # noqa: F401  (the optional extra: fail before any work)
    import yaml

    from experiments.kinds.calibrate import (
        credible_intervals,
        load_posterior,
        parse_settings,
        run_abc,
    )
    from sim.params import build_params
    from sim.run import run_one

    cfg = yaml.safe_load((REPO / "configs/experiment/calibrate.yaml").read_text())["calibrate"]
    cfg["sampler"] = {"kind": "multicore", "n_procs": args.procs}
    for key, val in (
        ("population_size", args.population),
        ("generations", args.generations),
        ("max_simulations", args.max_simulations),
    ):
        if val is not None:
            cfg[key] = val
    base = build_params(None, {"population.n_residents": args.residents})
    s = parse_settings(cfg, base)
    load0 = os.getloadavg()
    run_one(base, seed=0, steps=5)  # compile the engine once
    t = time.perf_counter()
    run_one(base, seed=1, steps=args.steps)
    one = time.perf_counter() - t
    print(
        f"calibrate benchmark: {len(s.priors)} parameters, {len(s.target_set.components)} "
        f"patterns, {args.residents} residents × {args.steps} weeks; population "
        f"{s.population_size}, ≤ {s.generations} generations, "
        f"≤ {s.max_simulations or '∞'} simulations, {args.procs} worker processes"
    )
    print(f"  one simulation alone: {one:.2f} s;  load average at start {load0[0]:.1f}")
    out: dict = {"one_simulation_s": one, "load_start": load0, "runs": []}
    seeds = (0, 1) if args.twice else (0,)
    cis = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            state = run_abc(s, base, args.steps, seed, Path(tmp), echo=None)
            wall = time.perf_counter() - t
            post = load_posterior(tmp)
            ci = credible_intervals(post, s.priors, s.level)
        n = state["simulations"]
        print(
            f"  root seed {seed}: {state['generations']} generations, {n} simulations in "
            f"{wall:.0f} s = {n / wall:.2f} simulations/s; epsilon "
            + " → ".join(f"{e:.3g}" for e in state["epsilon"])
        )
        print(ci[["parameter", "median", "lo", "hi", "width_ratio", "identified"]].to_string())
        cis.append(ci)
        out["runs"].append(
            {
                "seed": seed,
                "wall_s": wall,
                "simulations": n,
                "state": state,
                "ci": ci.to_dict(orient="list"),
            }
        )
    if len(cis) == 2:
        a, b = cis
        wa, wb = a["hi"] - a["lo"], b["hi"] - b["lo"]
        mean_w = (wa + wb) / 2
        shift = (a["median"] - b["median"]).abs() / mean_w
        widths = (wa - wb).abs() / mean_w
        ends = pd.concat([(a["lo"] - b["lo"]).abs(), (a["hi"] - b["hi"]).abs()], axis=1).max(axis=1)
        ends = ends / mean_w
        stable = bool((shift < 0.25).all() and (widths < 0.25).all())
        print(
            "  between the seeds, relative to the mean interval width: median shift, width "
            "difference, largest end shift; identification verdicts"
        )
        for i, name in enumerate(a["parameter"]):
            print(
                f"    {name}: {shift[i]:.2f}  {widths[i]:.2f}  {ends[i]:.2f}  "
                f"{a['identified'][i]} / {b['identified'][i]}"
            )
        verdict = "yes" if stable else "no"
        print(f"  stable (median shift and width difference all < 0.25): {verdict}")
        out["stable"] = stable
        out["shift"] = shift.tolist()
        out["width_difference"] = widths.tolist()
        out["end_shift"] = ends.tolist()
    load1 = os.getloadavg()
    out["load_end"] = load1
    print(f"  load average at end {load1[0]:.1f} (a shared machine runs slower than an idle one)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
