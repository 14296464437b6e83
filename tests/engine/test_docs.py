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


def _project_files() -> list[Path]:
    import subprocess

    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout.decode()
        return [ROOT / f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every source file
        skip = {".git", "results", "build", "dist", "__pycache__", "_artifacts"}
        return [
            p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
        ]


def test_the_source_is_cited_inside_the_repository():
    """docs/source.md is the project's account of its source; nothing points outside the repo."""
    # spelled apart so that this test does not find itself
    outside, rendering = "shared" + "/seed", "translation" + ".md"
    source = ROOT / "docs" / "source.md"
    text = source.read_text(encoding="utf-8")
    for i, claim in enumerate(("Ideological", "Political", "Organizational", "Smart"), 1):
        assert f"### {i}. {claim} leadership" in text, claim
    assert "Zhejiang Online" in text and "4 January 2021" in text
    offenders = []
    for path in _project_files():
        if path == source or not path.is_file():
            continue
        try:
            content = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if outside in content or rendering in content:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"cite docs/source.md instead of {outside}: {offenders}"


def test_every_parameter_named_in_the_source_page_exists():
    import re

    from sim.params import iter_fields

    names = {f.name for f in iter_fields()}
    groups = {n.split(".")[-1] for n in names if n.startswith("population.groups.")}
    text = (ROOT / "docs" / "source.md").read_text(encoding="utf-8")
    for ref in re.findall(r"`([a-z_]+\.[a-z_.*]+)`", text):
        ref = ref.removesuffix(".*")
        assert ref in names or any(n.startswith(ref + ".") for n in names), ref
    for trait in re.findall(r"groups' `([a-z_]+)`", text):
        assert trait in groups, trait
