"""Encounters in order, as layers of disjoint pairs (shared by the opinion rules).

Applying the layers in order, each layer at once, equals applying the encounters one by one:
the vectorised opinion updates of :mod:`sim.mechanisms.opinions` and :mod:`sim.mechanisms.rules`
use it so that numpy and the compiled loops agree bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["disjoint_layers"]


def disjoint_layers(a: np.ndarray, b: np.ndarray, n: int) -> Iterator[np.ndarray]:
    """Split an ordered sequence of encounters into layers of disjoint pairs.

    Encounter ``j`` falls in the first layer after all earlier encounters that share a resident
    with it, so applying the layers in order (each layer simultaneously) equals applying the
    encounters one by one in sequence order.

    Args:
        a, b: The two residents of each encounter, in sequence order (``a[j] != b[j]``).
        n: Number of residents.

    Yields:
        Index arrays into ``a``/``b``, one per layer, in order.
    """
    remaining = np.arange(a.size)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    while remaining.size:
        ra, rb = a[remaining], b[remaining]
        pos = np.arange(remaining.size, dtype=np.int64)
        np.minimum.at(first, ra, pos)
        np.minimum.at(first, rb, pos)
        free = (first[ra] == pos) & (first[rb] == pos)
        first[ra] = np.iinfo(np.int64).max
        first[rb] = np.iinfo(np.int64).max
        yield remaining[free]
        remaining = remaining[~free]
