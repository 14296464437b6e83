"""Resident social networks in compact (CSR) form.

All generators are vectorized numpy code seeded from the run's generator, so that a network of
10⁶ residents builds in about a second. They return an undirected simple graph as a
:class:`Graph` (CSR arrays ``indptr``/``indices`` plus the unique edge list ``u < v``).
networkx is used only to draw (a sample of) the network.

Modelling assumptions (stated as such in the ODD description):

* *Erdős–Rényi* is G(n, M) with M = n·k/2 uniformly drawn pairs, duplicates and self-loops
  removed (Erdős & Rényi 1959).
* *Small-world* is Watts–Strogatz (1998): a ring lattice with k/2 neighbours on each side,
  each edge's far end rewired with probability ``rewire``.
* *Scale-free* is the Chung–Lu (2002) model with power-law expected degrees of exponent γ,
  the static analogue of Barabási–Albert preferential attachment.
* *Block model* (stochastic block model with homophily): each tie of a resident stays in the
  resident's own group with probability ``homophily`` and otherwise goes to a uniformly drawn
  resident (Holland, Laskey & Leinhardt 1983). With homophily h the expected share of
  within-group ties is h + (1 − h)·share.
* *Complete* is handled implicitly (no edge arrays): partners are drawn uniformly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._jit import active as jit_active
from ._jit import njit

__all__ = ["Graph", "make_network"]


def _neighbor_mean_loop(
    indptr: np.ndarray, indices: np.ndarray, degree: np.ndarray, x: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled by numba (coverage cannot see inside)
    """Mean of ``x`` over each node's neighbours, in CSR order (own value where isolated).

    The same arithmetic as ``adjacency @ x`` (scipy's ``csr_matvec``: ``0.0 + 1.0·x[j] + …``
    row by row in CSR order; ``1.0·x`` is ``x`` exactly) followed by the division by the
    degree, so both paths give the same bits. ``x`` may be float64 or a 0/1 ``uint8`` view of a
    bool array (the sum of 0/1 is exact in any order). Indices are read as unsigned (no
    negative-index wraparound code in the inner loop).
    """
    lo = indptr[0]
    for i in range(out.size):
        hi = indptr[i + 1]
        s = 0.0
        for jj in range(lo, hi):
            s += x[np.uint64(indices[jj])]
        lo = hi
        d = degree[i]
        if d > 0:
            out[i] = s / d
        else:
            out[i] = x[i]


def _pick_edges(
    u: np.ndarray, v: np.ndarray, e: np.ndarray, r: np.ndarray, a: np.ndarray, b: np.ndarray
) -> None:  # pragma: no cover - compiled by numba
    """``a, b = (v, u)[e]`` where ``r < 0.5`` else ``(u, v)[e]``: the gathers of sample_edges."""
    for j in range(e.size):
        k = np.uint64(e[j])
        if r[j] < 0.5:
            a[j] = v[k]
            b[j] = u[k]
        else:
            a[j] = u[k]
            b[j] = v[k]


_neighbor_mean_jit = njit(_neighbor_mean_loop)
_pick_edges_jit = njit(_pick_edges)


@dataclass(eq=False)
class Graph:
    """An undirected simple graph over ``n`` residents.

    Attributes:
        n: Number of nodes.
        complete: True for the implicit complete graph (no arrays).
        u, v: Unique edges with ``u < v`` (int32).
        indptr, indices: CSR adjacency (both directions).
        degree: Degree of each node (int32).
    """

    n: int
    complete: bool
    u: np.ndarray
    v: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    degree: np.ndarray
    _adj: sp.csr_array | None = None

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        if self.complete:
            return self.n * (self.n - 1) // 2
        return int(self.u.size)

    @property
    def adjacency(self) -> sp.csr_array:
        """Sparse adjacency matrix (float32 ones), built once."""
        if self._adj is None:
            data = np.ones(self.indices.size, dtype=np.float32)
            self._adj = sp.csr_array((data, self.indices, self.indptr), shape=(self.n, self.n))
        return self._adj

    def neighbor_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum of ``x`` over each node's neighbours."""
        if self.complete:
            return np.sum(x, dtype=np.float64) - x
        return self.adjacency @ x

    def neighbor_mean(self, x: np.ndarray) -> np.ndarray:
        """Mean of ``x`` over each node's neighbours (own value where isolated).

        ``x`` may be a bool array (e.g. who took part): the mean is then the share of
        neighbours for whom it is true. With numba the CSR rows are summed in a compiled loop
        (bool arrays as bytes, no float64 copy); without it, by the sparse adjacency matrix.
        Both give the same bits.
        """
        if _neighbor_mean_jit is not None and not self.complete and jit_active():
            x = np.asarray(x)
            if x.dtype == np.bool_:
                x = x.view(np.uint8)
            elif x.dtype != np.float64:
                x = x.astype(np.float64)
            out = np.empty(self.n, dtype=np.float64)
            _neighbor_mean_jit(self.indptr, self.indices, self.degree, np.ascontiguousarray(x), out)
            return out
        x = np.asarray(x, dtype=np.float64)
        s = self.neighbor_sum(x)
        deg = self.degree
        out = np.array(x, copy=True)
        np.divide(s, deg, out=out, where=deg > 0)
        return out

    def sample_edges(self, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``k`` edges uniformly with replacement, each in a random direction."""
        if self.complete:
            a = rng.integers(0, self.n, size=k)
            b = rng.integers(0, self.n - 1, size=k)
            b = b + (b >= a)  # uniform over the other n-1 nodes
            return a.astype(np.int64), b.astype(np.int64)
        if self.u.size == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        e = rng.integers(0, self.u.size, size=k)
        if _pick_edges_jit is not None and jit_active():
            a = np.empty(k, dtype=np.int64)
            b = np.empty(k, dtype=np.int64)
            _pick_edges_jit(self.u, self.v, e, rng.random(k), a, b)
            return a, b
        flip = rng.random(k) < 0.5
        ue, ve = self.u[e].astype(np.int64), self.v[e].astype(np.int64)
        a = np.where(flip, ve, ue)
        b = np.where(flip, ue, ve)
        return a, b

    def sample_node_pairs(self, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``k`` pairs node-then-neighbour: a uniform node ``a``, then a uniform neighbour.

        An isolated node's turn is void (dropped), so fewer than ``k`` pairs may come back.
        Edge ``{i, j}`` is drawn with probability (1/k_i + 1/k_j)/N per draw, against
        1/E for :meth:`sample_edges`: low-degree residents get as many turns as hubs. On the
        complete graph both schemes coincide, and the draws of :meth:`sample_edges` are used.
        """
        if self.complete:
            return self.sample_edges(k, rng)
        a = rng.integers(0, self.n, size=k)
        r = rng.random(k)
        deg = self.degree[a].astype(np.int64)
        has = deg > 0
        a, r, deg = a[has], r[has], deg[has]
        pick = np.minimum((r * deg).astype(np.int64), deg - 1)
        b = self.indices[self.indptr[a].astype(np.int64) + pick].astype(np.int64)
        return a.astype(np.int64), b

    def sample_pairs(
        self, k: int, rng: np.random.Generator, pairing: str = "edge"
    ) -> tuple[np.ndarray, np.ndarray]:
        """``k`` encounter pairs by ``pairing``: ``"edge"`` (:meth:`sample_edges`) or ``"node"``."""
        if pairing == "node":
            return self.sample_node_pairs(k, rng)
        return self.sample_edges(k, rng)

    def to_networkx(self, nodes: np.ndarray | None = None):  # pragma: no cover - drawing only
        """A networkx graph of the induced subgraph on ``nodes`` (all by default)."""
        import networkx as nx

        g = nx.Graph()
        if nodes is None:
            nodes = np.arange(self.n)
        g.add_nodes_from(int(i) for i in nodes)
        keep = np.zeros(self.n, dtype=bool)
        keep[nodes] = True
        if self.complete:
            nl = np.asarray(nodes)
            g.add_edges_from((int(a), int(b)) for i, a in enumerate(nl) for b in nl[i + 1 :])
        else:
            m = keep[self.u] & keep[self.v]
            g.add_edges_from(zip(self.u[m].tolist(), self.v[m].tolist(), strict=True))
        return g


def _from_pairs(n: int, a: np.ndarray, b: np.ndarray) -> Graph:
    """Build a simple undirected graph from (possibly duplicate) pairs."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    keep = a != b
    lo = np.minimum(a[keep], b[keep])
    hi = np.maximum(a[keep], b[keep])
    key = lo * n + hi
    key.sort()  # sort + mask: the same as np.unique, which hashes and is ~10× slower here
    if key.size:
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    u = (key // n).astype(np.int32)
    v = (key % n).astype(np.int32)
    src = np.concatenate([u, v])
    dst = np.concatenate([v, u])
    order = np.argsort(src, kind="stable")
    indices = dst[order].astype(np.int32)
    degree = np.bincount(src, minlength=n).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    return Graph(n=n, complete=False, u=u, v=v, indptr=indptr, indices=indices, degree=degree)


def complete_graph(n: int) -> Graph:
    """The implicit complete graph."""
    empty = np.empty(0, dtype=np.int32)
    return Graph(
        n=n,
        complete=True,
        u=empty,
        v=empty,
        indptr=np.zeros(n + 1, dtype=np.int64),
        indices=empty,
        degree=np.full(n, n - 1, dtype=np.int32),
    )


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator) -> Graph:
    """G(n, M) with M = n·k/2 random pairs (duplicates, self-loops dropped)."""
    m = int(round(n * mean_degree / 2))
    return _from_pairs(n, rng.integers(0, n, size=m), rng.integers(0, n, size=m))


def watts_strogatz(n: int, mean_degree: float, rewire: float, rng: np.random.Generator) -> Graph:
    """Watts–Strogatz small world (1998)."""
    half = max(1, int(round(mean_degree / 2)))
    half = min(half, (n - 1) // 2) if n > 2 else 1
    base = np.repeat(np.arange(n, dtype=np.int64), half)
    off = np.tile(np.arange(1, half + 1, dtype=np.int64), n)
    tgt = (base + off) % n
    r = rng.random(base.size) < rewire
    tgt[r] = rng.integers(0, n, size=int(r.sum()))
    return _from_pairs(n, base, tgt)


def chung_lu(n: int, mean_degree: float, gamma: float, rng: np.random.Generator) -> Graph:
    """Chung–Lu graph with power-law expected degrees (exponent ``gamma``)."""
    i = np.arange(1, n + 1, dtype=np.float64)
    w = i ** (-1.0 / (gamma - 1.0))
    w = w * (mean_degree * n / w.sum())
    w = np.minimum(w, np.sqrt(w.sum()))  # keep p_ij ≤ 1 (standard cap)
    p = w / w.sum()
    m = int(round(n * mean_degree / 2))
    perm = rng.permutation(n)  # weights are not tied to node index order
    a = perm[rng.choice(n, size=m, p=p)]
    b = perm[rng.choice(n, size=m, p=p)]
    return _from_pairs(n, a, b)


def block_model(
    n: int, mean_degree: float, homophily: float, group: np.ndarray, rng: np.random.Generator
) -> Graph:
    """Stochastic block model with homophily by group."""
    m = int(round(n * mean_degree / 2))
    a = rng.integers(0, n, size=m)
    within = rng.random(m) < homophily
    b = rng.integers(0, n, size=m)
    # Partner from the same group: sort nodes by group and draw inside the block.
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=int(group.max()) + 1 if group.size else 0)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ga = group[a[within]]
    pick = starts[ga] + (rng.random(ga.size) * counts[ga]).astype(np.int64)
    b[within] = order[pick]
    return _from_pairs(n, a, b)


def make_network(
    kind: str,
    n: int,
    mean_degree: float,
    rng: np.random.Generator,
    *,
    rewire: float = 0.1,
    homophily: float = 0.0,
    gamma: float = 2.7,
    group: np.ndarray | None = None,
) -> Graph:
    """Build the resident network.

    Args:
        kind: ``small_world``, ``scale_free``, ``erdos_renyi``, ``complete`` or ``sbm``.
        n: Number of residents.
        mean_degree: Target mean degree.
        rng: Generator to draw from (spawned from the run's seed).
        rewire: Watts–Strogatz rewiring probability.
        homophily: Block-model within-group tie probability.
        gamma: Chung–Lu degree exponent.
        group: Group index of each resident (block model).

    Returns:
        The graph in CSR form.
    """
    if kind == "complete":
        return complete_graph(n)
    if kind == "erdos_renyi":
        return erdos_renyi(n, mean_degree, rng)
    if kind == "small_world":
        return watts_strogatz(n, mean_degree, rewire, rng)
    if kind == "scale_free":
        return chung_lu(n, mean_degree, gamma, rng)
    if kind == "sbm":
        if group is None:
            group = np.zeros(n, dtype=np.int64)
        return block_model(n, mean_degree, homophily, np.asarray(group, dtype=np.int64), rng)
    raise ValueError(
        f"parameter network.kind={kind!r}: allowed: small_world, scale_free, erdos_renyi, "
        "complete, sbm"
    )
