"""Fixtures for the CLI and configuration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def small() -> list[str]:
    """Overrides for a small, fast run."""
    return ["population.n_residents=150", "steps=4"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, with no GOVSIM_RESULTS in the environment."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("GOVSIM_RESULTS", raising=False)
    return cwd


def _complete_runs(root: Path) -> list[Path]:
    return sorted(
        p.parent
        for p in Path(root).rglob("summary.json")
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


@pytest.fixture
def complete_runs() -> Callable[[Path], list[Path]]:
    """Folders under a root that look like complete runs (non-hidden, with summary.json)."""
    return _complete_runs
