"""Bit-for-bit check of speed changes: export ``run_one`` tables, compare two exports.

    python benchmarks/identity.py export DIR     # run every case, write DIR/<case>.pkl
    python benchmarks/identity.py compare A B    # every table of every case identical?

A speed change of the array engine must leave the model, group and agent tables of a run
*identical* for the same seed. Export at the commit before the change, export after, compare.
The cases cover every lever, every network kind, contrarians, noise, echo chambers, sticky
participation, backfire, conflicts, turnover with tie rewiring, logit participation, dispute
requests, trust attribution, co-production and the two literature presets, each at two seeds, at
sizes where both the small-N and the large-N code paths of the metrics run.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import preset, run_one
from sim.params import build_params

_LEVERS = {f"strategy.{k}": 0.8 for k in ("ideological", "political", "organizational", "smart")}

#: name -> (preset or None, overrides, residents, weeks). A single-lever strategy is given only
#: its own effort: the others are not read (and are refused since they would be ignored).
CASES: dict[str, tuple[str | None, dict[str, Any], int, int]] = {
    "baseline": (None, {}, 2_000, 30),
    "integrated": (None, {"strategy.name": "integrated", **_LEVERS}, 3_000, 30),
    "integrated_big": (None, {"strategy.name": "integrated", **_LEVERS}, 40_000, 12),
    "ideological": (None, {"strategy.name": "ideological", "strategy.ideological": 0.8}, 2_000, 30),
    "political": (None, {"strategy.name": "political", "strategy.political": 0.8}, 2_000, 30),
    "organizational": (
        None,
        {"strategy.name": "organizational", "strategy.organizational": 0.8},
        2_000,
        30,
    ),
    "smart_echo_scale_free": (
        None,
        {
            "strategy.name": "smart",
            "network.kind": "scale_free",
            "levers.smart.echo_chamber": 0.8,
            "levers.smart.online_share": 0.6,
            "strategy.smart": 0.8,
        },
        3_000,
        30,
    ),
    "small_world_counter_noise": (
        None,
        {
            "strategy.name": "integrated",
            "network.kind": "small_world",
            "opinions.counter_share": 0.05,
            "opinions.noise": 0.01,
            **_LEVERS,
        },
        2_500,
        30,
    ),
    "erdos_renyi_conflicts": (
        None,
        {
            "network.kind": "erdos_renyi",
            "conflicts.rate": 0.02,
            "strategy.name": "campaign",
            "strategy.start_step": 10,
            **_LEVERS,
        },
        2_000,
        30,
    ),
    "adaptive_sticky_backfire": (
        None,
        {
            "strategy.name": "adaptive",
            "participation.sticky": True,
            "levers.ideological.backfire_below": 0.45,
        },
        2_000,
        30,
    ),
    "complete_snapshots": (
        None,
        {
            "network.kind": "complete",
            "engine.collect_agents_every": 10,
            "strategy.name": "integrated",
            **_LEVERS,
        },
        1_000,
        30,
    ),
    "turnover_logit_disputes": (
        None,
        {
            "population.groups.renters.turnover": 0.05,
            "population.groups.newcomers.turnover": 0.03,
            "participation.temperature": 0.3,
            "conflicts.rate": 0.02,
            "trust.attribution_others": 0.5,
            "participation.coproduction": 0.05,
            "strategy.name": "ideological",
            "strategy.ideological": 0.8,
        },
        2_000,
        30,
    ),
    "deffuant": ("deffuant", {}, 5_000, 30),
    "deffuant_big": ("deffuant", {}, 30_000, 15),
    "threshold": ("threshold", {"participation.initial_share": 0.05}, 5_000, 30),
}
SEEDS = (1, 7)


def _params(name: str):
    base, ov, n, _ = CASES[name]
    ov = {"population.n_residents": n, **ov}
    return preset(base, **ov) if base else build_params(None, ov)


def export(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, (_, _, n, steps) in CASES.items():
        for seed in SEEDS:
            r = run_one(_params(name), seed=seed, steps=steps)
            tables = {"model": r.model, "groups": r.groups, "agents": r.agents}
            with open(out / f"{name}_s{seed}.pkl", "wb") as f:
                pickle.dump(tables, f)
            print(f"{name:28s} seed {seed}  N={n:>6,d}  {r.wall_time:6.2f} s", flush=True)


def _diff(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return [f"shape/columns differ: {a.shape} {b.shape}"]
    bad = []
    for c in a.columns:
        x, y = a[c].to_numpy(), b[c].to_numpy()
        if x.dtype.kind == "f":
            same = np.array_equal(x, y, equal_nan=True) and np.array_equal(
                np.signbit(x), np.signbit(y)
            )
        else:
            same = np.array_equal(x, y)
        if not same:
            if x.dtype.kind == "f":
                rel = np.nanmax(np.abs(x - y) / np.maximum(np.abs(x), 1e-300))
                bad.append(f"{c} (max relative difference {rel:.2g})")
            else:
                bad.append(c)
    return bad


def compare(a: Path, b: Path) -> int:
    failures = 0
    files = sorted(p.name for p in a.glob("*.pkl"))
    for fn in files:
        ta = pickle.loads((a / fn).read_bytes())
        tb = pickle.loads((b / fn).read_bytes())
        for t in ("model", "groups", "agents"):
            bad = _diff(ta[t], tb[t])
            if bad:
                failures += 1
                print(f"DIFFERENT  {fn} {t}: {', '.join(bad)}")
    print(f"{len(files)} runs × 3 tables compared, {failures} table(s) differ")
    return 1 if failures else 0


if __name__ == "__main__":
    cmd, *paths = sys.argv[1:]
    if cmd == "export":
        export(Path(paths[0]))
    elif cmd == "compare":
        sys.exit(compare(Path(paths[0]), Path(paths[1])))
    else:
        sys.exit(__doc__)
