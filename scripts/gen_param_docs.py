"""Regenerate docs/parameters.md from the one parameter schema (sim.params).

Usage: python scripts/gen_param_docs.py   (tests/engine/test_docs.py checks it is current)
"""

from __future__ import annotations

from pathlib import Path

from sim.params import parameter_table_markdown

HEADER = """# Parameters

Generated from the schema in `sim/params.py` by `python scripts/gen_param_docs.py`; do not edit
by hand. Every parameter can be set by its dotted name: in Python
`GovernanceModel(**{"opinions.mu": 0.2})`, on the command line `govsim run opinions.mu=0.2`.
Group traits are addressed as `population.groups.<group>.<trait>`. Ranges are checked at
construction; shares of the groups must sum to 1. See [odd.md](odd.md) for what each
mechanism does with them.

*Time scale* is what the default means in weeks: 1/rate for a per-week rate or probability
(the mean waiting time), the value itself for a number of weeks. *Where the default comes
from* (the schema's `source` metadata): **sourced** — a cited figure (only the Party-member
share, ≈ 7 %, is sourced today); **stylised fact** — a regularity found widely, whose size here
is still a guess; **literature convention** — the value the cited models use; **setting** — a
choice of scenario or of the engine, not a claim about communities; **assumed** — a guess,
with the reasoning. Every "assumed" default is a candidate for calibration or sensitivity
analysis (`govsim sweep experiment=sensitivity`).

"""


def render() -> str:
    """The whole page."""
    return HEADER + parameter_table_markdown()


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "docs" / "parameters.md"
    out.write_text(render(), encoding="utf-8")
    print(f"wrote {out}")
