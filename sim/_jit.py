"""Optional just-in-time compilation for the few kernels whose *sequential order* is part of
the model (Deffuant–Weisbuch encounters happen one after another).

When numba is installed, :func:`njit` compiles a kernel once and caches the machine code on
disk (``cache=True``), so later runs start without compiling. Without numba (or with the
environment variable ``GOVSIM_NO_NUMBA=1``) it returns ``None`` and the caller uses its
vectorized numpy path, which gives bit-for-bit the same results (tests/docking checks both).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = ["HAVE_NUMBA", "njit"]

try:  # pragma: no cover - depends on the environment
    if os.environ.get("GOVSIM_NO_NUMBA", "") not in ("", "0"):
        raise ImportError("disabled by GOVSIM_NO_NUMBA")
    import numba as _numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the environment
    _numba = None
    HAVE_NUMBA = False


def njit(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """Compile ``fn`` with ``numba.njit(cache=True)``; ``None`` when numba is unavailable."""
    if not HAVE_NUMBA:
        return None
    # No fastmath: IEEE semantics, so results equal the numpy path bit for bit.
    return _numba.njit(cache=True, nogil=True)(fn)
