"""Optional just-in-time compilation for the few kernels whose *sequential order* is part of
the model (Deffuant–Weisbuch encounters happen one after another) or whose exact numpy
arithmetic would otherwise need many passes over the residents (neighbour means, the metrics).

When numba is installed, :func:`njit` compiles a kernel once and caches the machine code on
disk (``cache=True``), so later runs start without compiling. Without numba (or with the
environment variable ``GOVSIM_NO_NUMBA=1``) it returns ``None`` and the caller uses its
vectorized numpy path, which gives bit-for-bit the same results (tests/docking checks both).

**When the compiled kernels are used** (:func:`active`). Loading them costs a process about a
second even from the cache (numba initialises its code generator on the first compiled call)
and ≈ 20 s when nothing is cached yet (a fresh clone compiles every kernel), while they save
only ≈ 0.1–1 µs per resident-week (``benchmarks/startup.py`` measures both). So a process
starts on the numpy path and switches — for good, and without changing any result — once it
has simulated :data:`JIT_AFTER_WARM` resident-weeks (:data:`JIT_AFTER_COLD` when numba's
cache holds none of govsim's kernels yet), where the saving has paid for the loading. A
classroom run or a short script never waits for numba; a sweep or a district-scale model
switches after a few runs or steps. ``GOVSIM_JIT=always`` (or ``never``) overrides the rule.

:func:`prefetch` is a hint for compiled loops over random residents: "``arr[i]`` will be read
soon". It changes no result; in plain Python it does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = [
    "HAVE_NUMBA",
    "JIT_AFTER_COLD",
    "JIT_AFTER_WARM",
    "account",
    "active",
    "njit",
    "prefetch",
    "prefetch_works",
]

#: Resident-weeks after which a process switches to the compiled kernels, numba's cache warm:
#: ≈ 1 s of loading ÷ ≈ 0.5 µs saved per resident-week (benchmarks/startup.py).
JIT_AFTER_WARM = 2_000_000
#: The same with nothing cached yet: ≈ 20 s of compiling ÷ the same saving.
JIT_AFTER_COLD = 40_000_000

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


_MODE = os.environ.get("GOVSIM_JIT", "auto").strip().lower() or "auto"
if _MODE not in ("auto", "always", "never"):
    raise ValueError(f"GOVSIM_JIT={_MODE!r}: allowed: auto, always, never")
_WORK = [0.0]  # resident-weeks simulated in this process
_ACTIVE: list[bool] = []  # latched: once on, on for good
_THRESHOLD: list[float] = []


def cache_is_warm(root: str | None = None) -> bool:
    """Whether numba's on-disk cache holds govsim kernels (``*.nbi`` index files) already."""
    base = os.environ.get("NUMBA_CACHE_DIR") or root or os.path.dirname(os.path.abspath(__file__))
    for _dirpath, _dirs, files in os.walk(base):
        if any(f.endswith(".nbi") for f in files):
            return True
    return False


def threshold() -> float:
    """Resident-weeks after which this process uses the compiled kernels (mode ``auto``)."""
    if not _THRESHOLD:
        _THRESHOLD.append(float(JIT_AFTER_WARM if cache_is_warm() else JIT_AFTER_COLD))
    return _THRESHOLD[0]


def account(resident_weeks: float) -> None:
    """Count simulated work (the model calls this with N before every week)."""
    _WORK[0] += resident_weeks


def active() -> bool:
    """Whether the kernels made by :func:`njit` are to be called now (see the module doc)."""
    if _ACTIVE:
        return True
    if not HAVE_NUMBA or _MODE == "never":
        return False
    if _MODE == "always" or _WORK[0] >= threshold():
        _ACTIVE.append(True)
        return True
    return False


def prefetch(arr: Any, i: Any) -> None:
    """Hint that ``arr[i]`` will be read soon (compiled: a cache prefetch; Python: nothing).

    In a loop over pre-drawn random residents (the DW encounters), prefetching a few
    iterations ahead lets the memory system fetch several residents at once instead of
    waiting for each; at 10⁶ residents the encounter loop runs ≈ 15 % faster.
    """


if HAVE_NUMBA:  # pragma: no cover - depends on numba/llvmlite versions
    from numba.extending import intrinsic as _intrinsic
    from numba.extending import overload as _overload

    @_intrinsic
    def _llvm_prefetch(typingctx: Any, arr: Any, i: Any) -> Any:
        """``llvm.prefetch(&arr[i], read, keep in all cache levels, data)``."""
        from llvmlite import ir
        from numba import types
        from numba.core import cgutils

        if not isinstance(arr, types.Array) or not isinstance(i, types.Integer):
            return None

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            aryty = signature.args[0]
            ary = context.make_array(aryty)(context, builder, args[0])
            ptr = cgutils.get_item_pointer(
                context, builder, aryty, ary, [args[1]], wraparound=False, boundscheck=False
            )
            i8p = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
            builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
            return context.get_dummy_value()

        return types.void(arr, i), codegen

    @_numba.njit(cache=True)
    def _prefetch_probe(x: Any) -> Any:
        _llvm_prefetch(x, 0)
        return x[0]


_PREFETCH_OK: list[bool] = []


def prefetch_works() -> bool:
    """Whether compiled code gets a real prefetch (checked once, by compiling a probe).

    Asked only when a kernel that uses :func:`prefetch` is compiled — kernels loaded from
    numba's on-disk cache never ask — so importing ``sim`` stays free of compilation.
    """
    if not HAVE_NUMBA:
        return False
    if not _PREFETCH_OK:  # pragma: no cover - depends on numba/llvmlite versions
        import numpy as np

        try:
            _prefetch_probe(np.zeros(1))
            _PREFETCH_OK.append(True)
        except Exception:  # any failure (numba or LLVM version): fall back to the no-op
            _PREFETCH_OK.append(False)
    return _PREFETCH_OK[0]


if HAVE_NUMBA:  # pragma: no cover - compiled code

    @_overload(prefetch)
    def _prefetch_overload(arr: Any, i: Any) -> Callable[..., None]:
        if prefetch_works():

            def impl(arr: Any, i: Any) -> None:
                _llvm_prefetch(arr, i)

        else:

            def impl(arr: Any, i: Any) -> None:
                pass

        return impl
