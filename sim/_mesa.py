"""Mesa, imported without changing the caller's multiprocessing start method.

Mesa 3.3.1 runs ``multiprocessing.set_start_method("spawn", force=True)`` when
``mesa.batchrunner`` is imported, which ``import mesa`` does. A program that imports ``sim``
would then start its own worker processes with ``spawn`` instead of the method it chose (or
its platform's default), and a tool whose worker function lives in ``__main__`` (the EMA
workbench's ``MultiprocessingEvaluator`` run from a script, for one) respawns its main module
in every worker. govsim uses no Mesa batch runner, so every module of ``sim`` imports Mesa from
here: the start method (set or unset) is saved before the first import and put back after it.
"""

from __future__ import annotations

import multiprocessing

__all__ = ["mesa"]

_before = multiprocessing.get_start_method(allow_none=True)
try:
    import mesa
finally:
    if multiprocessing.get_start_method(allow_none=True) != _before:
        # ``None`` with force=True unsets it again (the platform default applies)
        multiprocessing.set_start_method(_before, force=True)
