"""The experiment-kind registry: built-in kinds, a toy kind added by one file, bad names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from experiments.design import ExperimentConfigError
from experiments.kinds import KINDS, ExperimentKind, get_kind, load_kinds, ordered, register_kind
from experiments.kinds.base import NoSettings

REPO = Path(__file__).resolve().parents[2]

TOY = '''
"""A toy experiment kind, written by a researcher in one file outside the package."""

from dataclasses import dataclass

import pandas as pd

from experiments.kinds.base import ExperimentKind, register_kind
from experiments.report import md_table, write_table
from experiments.spec import design_runs
from experiments.tables import run_outcomes


@dataclass(frozen=True)
class ToySettings:
    levels: tuple = (0.0, 1.0)


@register_kind
class Toy(ExperimentKind):
    name = "toy"
    help = "a toy kind: strategy.political at a few levels"
    description = "Runs strategy.political at experiment.toy.levels and tabulates the means."
    examples = "govsim toy experiment.toy.levels=[0,0.5]"
    settings_key = "toy"
    Settings = ToySettings

    def count_points(self, exp):
        return len((exp.get("toy") or {}).get("levels") or (0, 1))

    def plan(self, e):
        levels = [float(x) for x in e.kind_settings.levels]
        return design_runs(e, pd.DataFrame({"strategy.political": levels}), "level")

    def analyse(self, e, paths, rows):
        runs = run_outcomes(rows, ["point", "strategy.political", "seed"])
        means = runs.groupby("strategy.political")["final_participation_rate"].mean()
        table = means.reset_index()
        write_table(table, paths.tables / "toy")
        return ["## Toy levels", "", md_table(table), ""]
'''


def _govsim(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
        "GOVSIM_KINDS": "toy_kind_module",
    }
    code = "import sys; from govsim.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )


def test_the_built_in_kinds_are_registered_in_cli_order() -> None:
    names = [k.name for k in ordered(KINDS)]
    assert names[:6] == ["demo", "replicate", "sweep", "compare", "sensitivity", "optimise"]
    assert "study" in names
    for kind in KINDS.values():
        assert isinstance(kind, ExperimentKind) and kind.help and kind.description


def test_an_unknown_kind_is_one_line_naming_the_known_ones() -> None:
    with pytest.raises(ExperimentConfigError) as err:
        get_kind("swep")
    text = str(err.value)
    assert "\n" not in text and "'swep'" in text and "sweep" in text and "replicate" in text


def test_a_second_kind_with_the_same_name_is_refused() -> None:
    class Imposter(ExperimentKind):
        name = "sweep"

    with pytest.raises(ValueError, match="registered twice"):
        register_kind(Imposter)
    assert type(KINDS["sweep"]).__name__ == "Sweep"


def test_settings_refuse_a_key_nothing_reads() -> None:
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class S:
        a: int = 1

    class K(ExperimentKind):
        name = "k_settings_only"
        settings_key = "k"
        Settings = S

    assert K().settings({"a": 2}, None) == S(2)
    with pytest.raises(
        ExperimentConfigError, match=r"experiment\.k\.b: unknown setting; allowed: a"
    ):
        K().settings({"b": 2}, None)
    assert isinstance(ExperimentKind().settings({}, None), NoSettings)


def test_a_toy_kind_in_one_module_runs_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "toy_kind_module.py").write_text(textwrap.dedent(TOY))
    out = tmp_path / "results"
    help_text = _govsim(tmp_path, "--help")
    assert help_text.returncode == 0, help_text.stderr
    assert "toy" in help_text.stdout and "a toy kind" in help_text.stdout
    p = _govsim(
        tmp_path,
        "toy",
        "experiment.name=toy_run",
        "+experiment.replications=2",
        "+experiment.toy.levels=[0.0,1.0]",
        "strategy.name=political",
        "population.n_residents=120",
        "steps=6",
        "progress=false",
        "hydra/launcher=basic",
        "--results-dir",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    root = out / "toy_run"
    assert json.loads((root / "experiment.json").read_text())["kind"] == "toy"
    table = pd.read_csv(root / "tables" / "toy.csv")
    assert list(table["strategy.political"]) == [0.0, 1.0]
    report = (root / "report.md").read_text()
    assert report.startswith("# toy: toy_run") and "## Toy levels" in report
    assert "runs stored: 4 of 4 planned" in report
    # the report is rewritten from the store alone, through the same kind
    (root / "report.md").unlink()
    again = _govsim(tmp_path, "report", str(root))
    assert again.returncode == 0, again.stderr
    assert "## Toy levels" in (root / "report.md").read_text()
    # the kind's own settings block is checked: a key nothing reads is refused, exit 2
    bad = _govsim(tmp_path, "toy", "+experiment.toy.level=3", "--results-dir", str(out))
    assert bad.returncode == 2 and "experiment.toy.level: unknown setting" in bad.stderr


def test_discover_imports_a_named_module(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "toy_kind_other.py").write_text(
        textwrap.dedent(TOY).replace('name = "toy"', 'name = "toy_other"')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        load_kinds("toy_kind_other")
        assert get_kind("toy_other").help.startswith("a toy kind")
    finally:
        KINDS.pop("toy_other", None)
        sys.modules.pop("toy_kind_other", None)
