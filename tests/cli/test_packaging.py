"""A wheel carries the Hydra configs: govsim works installed from it, without a source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_ships_configs_and_finds_them_outside_the_source_tree(tmp_path):
    # build from a clean copy: setuptools reuses a build/ folder left in the tree
    src = tmp_path / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "build", "dist", "results", "*.egg-info", "__pycache__", ".*cache", "tests"
        ),
    )
    out = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = out.glob("govsim-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "site")
    want = {
        "govsim/_configs/" + p.relative_to(REPO / "configs").as_posix()
        for p in (REPO / "configs").rglob("*.yaml")
    }
    assert want and want <= names
    # the unpacked wheel first on the path, run from a folder with no configs/ around it
    code = (
        "import govsim.config as c, sys; d = c.config_dir(); "
        "assert d.name == '_configs', d; "
        "print(d, len(c.list_scenarios()))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVSIM_CONFIG")}
    env["PYTHONPATH"] = str(tmp_path / "site")
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert res.returncode == 0, res.stderr[-2000:]
    where, n = res.stdout.split()
    assert Path(where).is_relative_to(tmp_path / "site") and int(n) >= 15
