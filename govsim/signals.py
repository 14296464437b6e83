"""Ctrl-C and SIGTERM that always stop a command, even when a library swallowed them.

Python raises ``KeyboardInterrupt`` where the main thread happens to be when the signal comes.
If that is inside a C callback — numba compiling a kernel calls back into Python through
ctypes, and an exception there is only printed ("Exception ignored on calling ctypes callback
function") — the interrupt is lost and a long run goes on. :func:`stop_signals` records every
signal as well as raising it, and :func:`check` (called once a simulated week) raises it again.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Any

__all__ = ["check", "stop_signals"]

_pending: list[int] = []


def _raise(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _handler(signum: int, frame: Any) -> None:
    _pending.append(signum)
    _raise(signum)


def check() -> None:
    """Raise again a signal that arrived and was swallowed (a no-op otherwise)."""
    if _pending:
        _raise(_pending[-1])


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """SIGINT → ``KeyboardInterrupt``, SIGTERM → ``SystemExit(143)``, both recorded for
    :func:`check`, so that staged folders are cleaned up and the command stops."""
    _pending.clear()
    try:
        previous = {s: signal.signal(s, _handler) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _pending.clear()
