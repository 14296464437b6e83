"""The documentation matches the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_parameter_page_is_generated_from_the_schema():
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_param_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    current = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert current == mod.render(), "run: python scripts/gen_param_docs.py"


def test_odd_mentions_every_mechanism_and_metric():
    from sim import MODEL_METRICS, PIPELINE

    odd = (ROOT / "docs" / "odd.md").read_text(encoding="utf-8")
    for mech in PIPELINE:
        assert f"`{mech.name}`" in odd, mech.name
    for name in MODEL_METRICS:
        if not name.startswith("effort_"):
            assert f"`{name}`" in odd, name


def test_every_parameter_says_where_its_default_comes_from():
    from sim.params import iter_fields

    kinds = ("sourced", "stylised fact", "literature convention", "setting", "assumed")
    for info in iter_fields():
        assert info.source.startswith(kinds), f"{info.name}: source {info.source!r}"
    sourced = [i.name for i in iter_fields() if i.source.startswith("sourced")]
    assert sourced == ["population.party_share"]  # the one cited figure so far
