"""Shared helpers for the experiment-runner tests: tiny communities, in-process CLI calls."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: A tiny community so a run takes a few hundredths of a second.
TINY = ["population.n_residents=120", "steps=10", "progress=false"]


def govsim(*args: str) -> int:
    """Run ``govsim ARGS`` in this process; returns the exit status."""
    from govsim.cli import main

    return main(list(args))


def subprocess_cmd(*args: str) -> list[str]:
    """The command line of ``govsim ARGS`` in a child Python process."""
    code = "import sys; from govsim.cli import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code, *args]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results root inside the test's temporary folder."""
    return tmp_path / "results"
