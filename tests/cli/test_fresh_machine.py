"""What a newcomer's fresh machine runs: the README's commands, CI's script, the warning policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import warnings

import pytest

# a third-party package deprecating something of its own while our tests are collected
# (pytest 9.2 did exactly this for a generator passed to parametrize)
warnings.warn_explicit(
    "Passing a non-Collection iterable to parametrize is deprecated.",
    pytest.PytestRemovedIn10Warning, "python.py", 1, module="_pytest.python",
)


def test_third_party_deprecation_is_shown_not_raised():
    warnings.warn_explicit("old", DeprecationWarning, "frame.py", 1, module="pandas.core.frame")


def test_a_warning_of_ours_is_an_error():
    warnings.warn_explicit("ours", UserWarning, "sim/model.py", 1, module="sim.model")


def test_a_warning_in_our_tests_is_an_error():
    warnings.warn("in a test", DeprecationWarning)
"""


def test_warnings_are_errors_in_our_code_only(tmp_path):
    (tmp_path / "test_probe.py").write_text(PROBE)
    ini = ["-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path)]
    args = [*ini, "-p", "no:cacheprovider"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    out = proc.stdout + proc.stderr
    assert "error during collection" not in out, out[-3000:]
    assert re.search(r"\b2 failed, 1 passed\b", out), out[-3000:]
    assert "FAILED test_probe.py::test_a_warning_of_ours_is_an_error" in out
    assert "FAILED test_probe.py::test_a_warning_in_our_tests_is_an_error" in out


def _quickstart_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n.*?```bash\n(.*?)```", text, re.S)
    assert block, "README has no Quick start bash block"
    return [ln for ln in block.group(1).splitlines() if ln.strip()]


def test_ci_runs_the_readme_commands_in_a_fresh_venv():
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert commands[0].startswith('pip install -e ".[ui,test]" && govsim demo')
    assert commands[1].startswith('pip install -e ".[ui,test]" && python -m pytest')
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # a fresh venv, never the machine's packages, for the README's commands and for Ray's
    assert "--system-site-packages" not in ci
    assert '"$base_python" -m venv "$1"' in ci
    assert 'fresh_venv "$work/venv"' in ci and 'source "$work/venv/bin/activate"' in ci
    assert 'fresh_venv "$work/ray-venv"' in ci
    # the commands are read from README itself, so CI cannot drift from what a newcomer types
    printed = subprocess.run(
        ["bash", str(REPO / ".ci" / "run"), "--print-quickstart"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()
    assert printed == commands


def test_browser_test_setup_installs_into_the_active_venv():
    script = (REPO / "scripts" / "setup_ui_test_env.sh").read_text(encoding="utf-8")
    assert "VIRTUAL_ENV" in script
    assert "playwright install" not in script.replace("`playwright install`", "")


def test_browser_tests_say_in_one_line_why_they_are_skipped(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "PYTEST_ADDOPTS")
    }
    env.update(GOVSIM_CHROMIUM=str(tmp_path / "no-chromium"), PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "ui", "tests/ui"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    skipped = [ln for ln in out.splitlines() if ln.startswith("SKIPPED")]
    assert len(skipped) == 1, out[-3000:]
    assert "no-chromium" in skipped[0] and "setup_ui_test_env.sh" in skipped[0]
    assert "CI" in skipped[0]
