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

import functools
import importlib.util
import os
import sys
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

HAVE_NUMBA = os.environ.get("GOVSIM_NO_NUMBA", "") in ("", "0") and (
    importlib.util.find_spec("numba") is not None
)
_numba: Any = None  # the numba module, imported by _load() when a kernel is first needed
_KERNELS: list[Kernel] = []
_LOAD_FAILED: list[str] = []


class Kernel:
    """A function numba compiles when it is first called — numba itself is imported then.

    Importing numba costs a process ≈ 0.3 s (more on a busy machine), so ``import sim`` does
    not: :func:`njit` returns this stand-in, and the first call of any kernel (or
    :func:`active` turning true) imports numba, makes every kernel's dispatcher and rebinds the
    module-level names that held stand-ins to the dispatchers — the names compiled kernels
    call each other by, which numba resolves when it compiles (or loads) a caller.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.py_func = fn
        self.dispatcher: Any = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        if self.dispatcher is None:
            _load()
        return self.dispatcher(*args)

    @property
    def signatures(self) -> list[Any]:
        """The signatures compiled or loaded so far (none before the first call)."""
        return [] if self.dispatcher is None else list(self.dispatcher.signatures)


def njit(fn: Callable[..., Any]) -> Kernel | None:
    """``fn`` to be compiled with ``numba.njit(cache=True)``; ``None`` without numba."""
    if not HAVE_NUMBA:
        return None
    kernel = Kernel(fn)
    _KERNELS.append(kernel)
    return kernel


def _load() -> bool:
    """Import numba and make every kernel's dispatcher (once); False if numba fails to load."""
    global _numba
    if _numba is not None:
        return True
    if _LOAD_FAILED:
        return False
    try:
        import numba
    except Exception as exc:  # pragma: no cover - a broken numba install
        _LOAD_FAILED.append(f"{type(exc).__name__}: {exc}")
        return False
    _numba = numba
    _register_prefetch(numba)
    for kernel in _KERNELS:
        # No fastmath: IEEE semantics, so results equal the numpy path bit for bit.
        kernel.dispatcher = numba.njit(cache=True, nogil=True)(kernel.py_func)
    for kernel in _KERNELS:
        module = sys.modules.get(kernel.py_func.__module__)
        if module is not None:
            for name, value in list(vars(module).items()):
                if value is kernel:
                    setattr(module, name, kernel.dispatcher)
    return True


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
    if (_MODE == "always" or _WORK[0] >= threshold()) and _load():
        _ACTIVE.append(True)
        return True
    return False


def prefetch(arr: Any, i: Any) -> None:
    """Hint that ``arr[i]`` will be read soon (compiled: a cache prefetch; Python: nothing).

    In a loop over pre-drawn random residents (the DW encounters), prefetching a few
    iterations ahead lets the memory system fetch several residents at once instead of
    waiting for each; at 10⁶ residents the encounter loop runs ≈ 15 % faster.
    """


_PREFETCH_OK: list[bool] = []


def prefetch_works() -> bool:
    """Whether compiled code gets a real prefetch (checked once, by compiling a probe).

    Asked only when a kernel that uses :func:`prefetch` is compiled — kernels loaded from
    numba's on-disk cache never ask — so importing ``sim`` stays free of compilation.
    """
    if not HAVE_NUMBA or not _load():
        return False
    if not _PREFETCH_OK:  # pragma: no cover - depends on numba/llvmlite versions
        import numpy as np

        try:
            _prefetch_probe(np.zeros(1))
            _PREFETCH_OK.append(True)
        except Exception:  # any failure (numba or LLVM version): fall back to the no-op
            _PREFETCH_OK.append(False)
    return _PREFETCH_OK[0]


def _prefetch_probe_py(x: Any) -> Any:  # pragma: no cover - compiled by numba
    _llvm_prefetch(x, 0)  # defined by _register_prefetch
    return x[0]


_prefetch_probe = njit(_prefetch_probe_py)


def _register_prefetch(numba: Any) -> None:  # pragma: no cover - depends on numba/llvmlite
    """Teach numba :func:`prefetch`: an LLVM prefetch where it compiles, else nothing."""
    global _llvm_prefetch
    from numba.extending import intrinsic, overload

    @intrinsic
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

    @overload(prefetch)
    def _prefetch_overload(arr: Any, i: Any) -> Callable[..., None]:
        if prefetch_works():

            def impl(arr: Any, i: Any) -> None:
                _llvm_prefetch(arr, i)

        else:

            def impl(arr: Any, i: Any) -> None:
                pass

        return impl
