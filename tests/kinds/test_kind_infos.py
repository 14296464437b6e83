"""What ``govsim --help`` knows of the kinds without importing them (``kind_infos``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import experiments.kinds as kinds_pkg
from experiments.kinds import (
    KINDS,
    KindInfo,
    _class_blocks,
    _read_module,
    _static_infos,
    kind_infos,
)

REPO = Path(__file__).resolve().parents[2]


def test_static_metadata_equals_the_imported_kinds() -> None:
    """Every attribute read from the source equals the imported class's (a drift fails)."""
    static = _static_infos()
    assert static is not None, "a built-in kind's metadata is not literal: --help would import"
    by_name = {i.name: i for i in static}
    assert set(by_name) == set(KINDS)
    for name, kind in KINDS.items():
        assert by_name[name] == KindInfo.of(kind), name
    # inherited attributes resolve through a base class of the package (demo is a compare)
    assert by_name["demo"].refused_overrides and by_name["demo"].config_arg is None
    assert by_name["study"].config_arg == "study"


def test_help_imports_no_heavy_library() -> None:
    """`govsim --help` and `govsim sweep --help` list every kind without pandas, SciPy,
    matplotlib, Mesa or Hydra (what made start-up take seconds)."""
    code = (
        "import sys, json, contextlib, io\n"
        "from govsim.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    rc = main(sys.argv[1:])\n"
        "heavy = [m for m in ('pandas', 'scipy', 'matplotlib', 'mesa', 'hydra', 'numba')"
        " if m in sys.modules]\n"
        "print(json.dumps({'rc': rc, 'heavy': heavy, 'out': out.getvalue()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("GOVSIM_KINDS", None)
    for args in (["--help"], ["sweep", "--help"], ["study", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=120,
        )
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        assert got["rc"] == 0 and got["heavy"] == [], (args, got["heavy"], proc.stderr[-2000:])
        if args == ["--help"]:
            for name in KINDS:
                assert f"    {name} " in got["out"] or f"    {name}\n" in got["out"], name
        else:
            assert "key=value arguments" in got["out"]


def test_a_computed_attribute_makes_the_reader_import(tmp_path: Path) -> None:
    """A kind whose help is not a literal is not guessed at: the module is imported instead."""
    src = tmp_path / "mine.py"
    src.write_text(
        "from experiments.kinds.base import ExperimentKind, register_kind\n"
        "HELP = 'computed'\n"
        "@register_kind\n"
        "class Mine(ExperimentKind):\n"
        "    name = 'mine'\n"
        "    help = HELP.upper()\n",
        encoding="utf-8",
    )
    assert _read_module(src) is None
    src.write_text(
        "from experiments.kinds.base import ExperimentKind, register_kind\n"
        "@register_kind\n"
        "class Mine(ExperimentKind):\n"
        "    name = 'mine'\n"
        "    help = 'literal'\n"
        "    order = 7\n",
        encoding="utf-8",
    )
    classes = _read_module(src)
    attrs = {"name": "mine", "help": "literal", "order": 7}
    assert classes == {"Mine": (["ExperimentKind"], attrs, True)}


def test_fallback_imports_when_static_reading_fails(monkeypatch) -> None:
    """When the source cannot be read statically, kind_infos imports the kinds and agrees."""
    monkeypatch.setattr(kinds_pkg, "_static_infos", lambda: None)
    infos = kind_infos()
    assert [i.name for i in infos] == [k.name for k in kinds_pkg.ordered(KINDS)]
    assert all(i == KindInfo.of(KINDS[i.name]) for i in infos)


def test_the_class_cut_falls_back_to_the_whole_file(tmp_path: Path) -> None:
    """Reading only the class blocks gives what parsing the whole file gives, also where the
    cut cannot work: a header over several lines (no cut is tried), and a string with a line at
    column 0 under a one-line header (the cut ends the block early, does not parse, and the
    whole file is read instead)."""
    src = tmp_path / "k.py"
    head = "from experiments.kinds.base import ExperimentKind, register_kind\nX = 1\n"
    body = "    name = 'a'\n    examples = '''\ngovsim a\n'''\n    order = 3\n"
    attrs = {"name": "a", "examples": "\ngovsim a\n", "order": 3}
    for header, cut in (
        ("@register_kind\nclass A(\n    ExperimentKind\n):\n", False),
        ("@register_kind\nclass A(ExperimentKind):\n", True),
    ):
        src.write_text(head + header + body, encoding="utf-8")
        assert (_class_blocks(src.read_text(encoding="utf-8")) is not None) is cut
        assert _read_module(src) == {"A": (["ExperimentKind"], attrs, True)}
