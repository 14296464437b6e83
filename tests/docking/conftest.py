"""The docking tests compare the compiled kernels with the numpy path, so they call the compiled
kernels from the first week (a process otherwise switches to them only after enough work:
``sim._jit.active``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def compiled_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim import _jit

    monkeypatch.setattr(_jit, "_MODE", "always")
    monkeypatch.setattr(_jit, "_ACTIVE", [])
