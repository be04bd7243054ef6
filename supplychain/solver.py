"""The linear algebra under every total: one recurrence, solved for all nodes at once.

For a sparse non-negative matrix ``M`` (n x n) and right-hand sides ``R`` (n x k), find
``Y`` (n x k) with

    Y[j] = R[j] + sum_i M[i, j] * Y[i]        for every node j,

that is ``Y = (I - M^T)^-1 R``. With ``M = A`` (amount of i per unit of j) and ``R = B^T``
(direct impacts) the rows of ``Y`` are the total impacts of every node in every category:
``H = B (I - A)^-1`` transposed. With ``M = A^T`` and ``R = e_j`` it gives the total
requirements of node j.

How (see ``DESIGN.md``, "The computation"):

1. **Levels.** Nodes are ordered by a vectorised topological sort (Kahn's algorithm, one
   numpy step per level). Where cycles stop it, the nodes with the fewest unresolved
   inputs are released and the edges that then point backwards are set aside as *back
   edges*. An acyclic graph has none.
2. **Sweep.** Level by level, ``Y[level] = R[level] + M_forward[:, level]^T Y``: one sparse
   product per level, vectorised over all k columns. Without back edges this is exact in
   one sweep.
3. **Loops.** With back edges, sweeps repeat (Gauss-Seidel: forward edges use this
   sweep's values, back edges the last sweep's) until the error left, bounded from the
   rate at which the changes shrink, is below ``tolerance`` relative to every value. A
   column of ones rides along as a probe: if the loops need one unit or more of
   themselves (spectral radius of ``M`` at or above 1), the probe never settles.
4. **Fallback.** Where sweeps converge too slowly (or not at all), or the graph is too
   deep for level sweeps to be quick, the system is solved exactly block by block in the
   order of its strongly connected components, each loop by a sparse LU factorisation of
   its own block. A block whose solution is not positive
   for a positive right-hand side, or that is singular, needs one unit or more of itself:
   it is refused with :class:`DivergentLoopError` naming its nodes.

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> M = sp.csr_array(np.array([[0.0, 2.0], [0.25, 0.0]]))  # node 1 takes 2 of node 0,
>>> R = np.array([[1.0], [0.0]])                            # node 0 takes 0.25 of node 1
>>> solve(plan(M), R).ravel().round(12).tolist()          # y0 = 1 + 0.25 y1, y1 = 2 y0
[2.0, 4.0]

A loop that needs one unit or more of itself (here 2 x 0.5 = 1) has no meaning:

>>> solve(plan(sp.csr_array([[0.0, 2.0], [0.5, 0.0]]), labels=["a", "b"]), R)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
supplychain.errors.DivergentLoopError: the loop a, b needs one unit or more of itself ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from supplychain.errors import DivergentLoopError, NumericRangeError

__all__ = ["Plan", "plan", "solve", "DEFAULT_TOLERANCE"]

DEFAULT_TOLERANCE = 1e-12
"""Loop sweeps stop once the error left in every value, relative to it, is below this."""

_MAX_SWEEPS = 200
_LEVELS_FOR_DIRECT = 5_000  # deeper than this, one sparse triangular solve beats sweeps


@dataclass(frozen=True)
class Plan:
    """The ordering of a system, made once and used for any number of right-hand sides.

    The sweeps work in *level order*: node ``order[k]`` is row ``k``, so that each level
    is a contiguous slice of rows.

    Attributes
    ----------
    n : int
        Number of nodes.
    node_level : ndarray of int
        Level of every node (to order another system on the same nodes alike).
    order : ndarray of int
        Nodes in level order; ``inverse[order] == arange(n)``.
    inverse : ndarray of int
        Position of every node in level order.
    bounds : ndarray of int
        Level ``l`` holds the rows ``bounds[l]:bounds[l + 1]`` in level order.
    forward_edges : scipy.sparse.csr_array
        ``M^T`` in level order, forward edges only (their columns are all in lower
        levels); :attr:`forward` cuts it by level.
    back : scipy.sparse.csr_array
        ``M^T`` in level order, back edges only (including self-loops); empty if acyclic.
    transposed : scipy.sparse.csr_array
        ``M^T`` in the nodes' own order (for the exact fallback).
    labels : sequence of str or None
        Node names for error messages.
    """

    n: int
    node_level: np.ndarray
    order: np.ndarray
    inverse: np.ndarray
    bounds: np.ndarray
    forward_edges: sp.csr_array
    back: sp.csr_array
    transposed: sp.csr_array
    labels: Sequence[str] | None = None

    @property
    def acyclic(self) -> bool:
        return self.back.nnz == 0

    @property
    def deep(self) -> bool:
        """Too many levels for level sweeps to be quick (a long chain): solved directly."""
        return len(self.bounds) - 1 > _LEVELS_FOR_DIRECT

    @cached_property
    def forward(self) -> list[sp.csr_array]:
        """Per level, its rows of :attr:`forward_edges` (cut once, when first swept)."""
        edges, bounds = self.forward_edges, self.bounds
        return [edges[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


def _out_edges(indptr: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Positions in a CSR index array of the entries of rows ``nodes`` (vectorised)."""
    starts, ends = indptr[nodes], indptr[nodes + 1]
    counts = ends - starts
    if counts.sum() == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return offsets + np.arange(counts.sum())


_SMALL_FRONTIER = 64  # below this many nodes, a level is resolved in Python, not numpy


def _levels(M: sp.csr_array) -> np.ndarray:
    """Level of every node: Kahn's algorithm, releasing the least-blocked nodes at cycles.

    Each level costs time in proportion to its own edges, not to the graph: wide levels
    are resolved with numpy, narrow ones (a chain of 10^5 nodes has 10^5 levels of one
    node) node by node, where a numpy call would cost more than the work.
    """
    n = M.shape[0]
    rows = np.repeat(np.arange(n), np.diff(M.indptr))
    not_self = rows != M.indices
    waiting = np.bincount(M.indices[not_self], minlength=n)  # unresolved inputs per node
    level = np.full(n, -1, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    frontier = np.flatnonzero(waiting == 0)
    settled = 0
    current = 0
    indptr, indices = M.indptr, M.indices
    python_view = None  # the CSR arrays as lists, made the first time a level is narrow
    while True:
        if len(frontier) == 0:
            if settled == n:
                return level
            remaining = np.flatnonzero(~done)
            fewest = waiting[remaining].min()  # a cycle: release its least-blocked nodes
            frontier = remaining[waiting[remaining] == fewest]
        if len(frontier) < _SMALL_FRONTIER:
            if python_view is None:
                python_view = (indptr.tolist(), indices.tolist())
            frontier, current, settled = _narrow_levels(
                frontier.tolist(), current, settled, python_view, waiting, done, level
            )
            continue
        level[frontier] = current
        done[frontier] = True
        settled += len(frontier)
        current += 1
        consumers = indices[_out_edges(indptr, frontier)]
        consumers = consumers[~done[consumers]]
        touched, resolved = np.unique(consumers, return_counts=True)
        waiting[touched] -= resolved
        frontier = touched[waiting[touched] == 0]


def _narrow_levels(
    frontier: list[int],
    current: int,
    settled: int,
    csr: tuple[list[int], list[int]],
    waiting: np.ndarray,
    done: np.ndarray,
    level: np.ndarray,
) -> tuple[np.ndarray, int, int]:
    """Kahn's levels node by node while they stay narrow (in place on ``waiting``,
    ``done``, ``level``); return the next frontier, level and count of settled nodes."""
    pointers, targets = csr
    while frontier and len(frontier) < _SMALL_FRONTIER:
        following = []
        for node in frontier:
            level[node] = current
            done[node] = True
        for node in frontier:
            for consumer in targets[pointers[node] : pointers[node + 1]]:
                if not done[consumer]:
                    waiting[consumer] -= 1
                    if waiting[consumer] == 0:
                        following.append(consumer)
        settled += len(frontier)
        current += 1
        frontier = following
    return np.array(frontier, dtype=np.int64), current, settled


def plan(
    M: sp.sparray | sp.spmatrix,
    labels: Sequence[str] | None = None,
    node_level: np.ndarray | None = None,
) -> Plan:
    """Order the system ``Y = R + M^T Y`` for sweeping (see the module docstring).

    Parameters
    ----------
    M : sparse matrix, shape (n, n), non-negative
        ``M[i, j]``: how much of node i one unit of node j takes.
    labels : sequence of str, optional
        Node names, used to name loops in errors.
    node_level : ndarray of int, optional
        Levels from the plan of a system with the same nodes and more edges (e.g. all the
        edges, when ``M`` holds only the disclosed ones, or a part of the graph): any level
        order stays valid for fewer edges, which saves ordering again.
    """
    M = sp.csr_array(M)
    M.sum_duplicates()
    n = M.shape[0]
    if node_level is None:
        level = _levels(M)
    else:  # levels of a bigger system may leave gaps here: ranks close them
        level = np.unique(node_level, return_inverse=True)[1].reshape(-1).astype(np.int64)
    transposed = sp.csr_array(M.T)  # row j: the suppliers of j
    order = np.argsort(level, kind="stable")
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    bounds = np.searchsorted(level[order], np.arange(level.max(initial=-1) + 2))
    in_order = transposed[order]  # rows in level order ...
    in_order = sp.csr_array(  # ... and columns too
        (in_order.data, inverse[in_order.indices], in_order.indptr), shape=(n, n)
    )
    row = np.repeat(np.arange(n), np.diff(in_order.indptr))
    sorted_level = level[order]
    forward = sorted_level[in_order.indices] < sorted_level[row]
    forward_t = _rows_where(in_order, row, forward)
    return Plan(
        n=n,
        node_level=level,
        order=order,
        inverse=inverse,
        bounds=bounds,
        forward_edges=forward_t,
        back=_rows_where(in_order, row, ~forward),
        transposed=transposed,
        labels=labels,
    )


def _rows_where(matrix: sp.csr_array, row: np.ndarray, keep: np.ndarray) -> sp.csr_array:
    """The entries of a CSR matrix where ``keep`` holds (``row``: each entry's row)."""
    n = matrix.shape[0]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row[keep], minlength=n))))
    return sp.csr_array((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def _sweep(p: Plan, start: np.ndarray) -> np.ndarray:
    """One forward sweep in level order (``start`` in level order): exact for the forward
    edges, in place."""
    for low, high, block in zip(p.bounds[:-1], p.bounds[1:], p.forward, strict=True):
        if block.nnz:
            start[low:high] += block @ start
    return start


def solve(p: Plan, R: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """Solve ``Y = R + M^T Y`` for all columns of ``R`` at once.

    Parameters
    ----------
    p : Plan
        From :func:`plan`.
    R : ndarray, shape (n, k) or (n,)
        Right-hand sides (direct impacts per node, or a unit demand).
    tolerance : float
        Relative error at which loop sweeps stop (acyclic systems are exact).

    Returns
    -------
    ndarray, shape of ``R``

    Raises
    ------
    DivergentLoopError
        If a loop needs one unit or more of itself (no finite, positive solution).
    """
    R = np.asarray(R, dtype=float)
    flat = R.ndim == 1
    R2 = R.reshape(p.n, -1)
    deep = p.deep
    with np.errstate(over="ignore", invalid="ignore"):  # refused by name below
        if p.acyclic:
            Y = _triangular(p, R2) if deep else _sweep(p, R2[p.order])[p.inverse]
        else:
            with_probe = np.column_stack([R2, np.ones(p.n)])
            Y = None if deep else _loop_sweeps(p, with_probe[p.order], tolerance)
            Y = _by_components(p, with_probe) if Y is None else Y[p.inverse]
            Y = Y[:, :-1]
    beyond = ~np.isfinite(Y).all(axis=1)
    if beyond.any():
        raise NumericRangeError(_loop_names(p, np.flatnonzero(beyond)))
    return Y.ravel() if flat else Y


class _Stopping:
    """The stopping rule of loop sweeps, for one system or for many samples at once.

    The sweeps contract the error by a ratio ``q`` (estimated from successive changes);
    the error left after a change ``d`` is at most ``d q / (1 - q)``, so a system has
    settled when that bound is below ``tolerance`` relative to every value, and ``d``
    itself is too (in a loop whose nodes take turns, the changes can shrink only every
    other sweep, so one small ratio alone does not bound the error). From the fifth sweep,
    a system whose changes do not shrink, or shrink too slowly to settle within
    :data:`_MAX_SWEEPS`, is given up: it is solved exactly instead.
    """

    def __init__(self, systems: int, tolerance: float):
        self.tolerance = tolerance
        self.previous = np.full(systems, np.nan)
        self.settled = np.zeros(systems, dtype=bool)
        self.given_up = np.zeros(systems, dtype=bool)

    def update(self, sweep: int, change: np.ndarray) -> None:
        """Take the largest relative change of each system in sweep ``sweep`` (from 1)."""
        tol = self.tolerance
        open_ = ~(self.settled | self.given_up)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = change / self.previous
            bound = change * ratio / (1.0 - ratio)
        self.given_up |= open_ & ~np.isfinite(change)
        self.settled |= open_ & (change == 0.0)
        open_ = ~(self.settled | self.given_up)
        settled = (ratio < 1.0) & (change <= tol) & (bound <= tol)
        self.settled |= open_ & settled
        open_ = ~(self.settled | self.given_up)
        if sweep >= 5:
            with np.errstate(divide="ignore", invalid="ignore"):
                needed = np.log(tol / change) / np.log(ratio)
            self.given_up |= open_ & ((ratio >= 1.0) | (needed > _MAX_SWEEPS - sweep))
        if sweep >= _MAX_SWEEPS:
            self.given_up |= ~self.settled
        self.previous = change

    @property
    def done(self) -> bool:
        return bool(np.all(self.settled | self.given_up))


def _loop_sweeps(p: Plan, R: np.ndarray, tolerance: float) -> np.ndarray | None:
    """Gauss-Seidel sweeps until settled (:class:`_Stopping`); None if they are too slow
    or diverge."""
    Y = _sweep(p, R.copy())
    rule = _Stopping(1, tolerance)
    for sweep in range(1, _MAX_SWEEPS + 1):
        previous = Y
        Y = _sweep(p, R + p.back @ previous)
        rule.update(sweep, np.array([_largest_relative_change(previous, Y)]))
        if rule.settled[0]:
            return Y
        if rule.given_up[0]:
            return None
    return None


def _largest_relative_change(previous: np.ndarray, current: np.ndarray) -> float:
    """max |current - previous| / |current| over all entries (few temporaries)."""
    difference = current - previous
    np.abs(difference, out=difference)
    size = np.abs(current)
    np.maximum(size, np.finfo(float).tiny, out=size)
    np.divide(difference, size, out=difference)
    return float(difference.max(initial=0.0))


def _triangular(p: Plan, R: np.ndarray) -> np.ndarray:
    """An acyclic system too deep for level sweeps: one sparse LU in level order.

    In level order ``I - M^T`` is lower triangular, so the factorisation without pivoting
    has no fill-in (L is the matrix itself, U the identity).
    """
    order = p.order
    system = (sp.identity(p.n, format="csr") - p.transposed)[order][:, order].tocsc()
    factor = splu(system, permc_spec="NATURAL", diag_pivot_thresh=0.0)
    Y = np.empty_like(R)
    Y[order] = factor.solve(R[order])
    return Y


def _by_components(p: Plan, R: np.ndarray) -> np.ndarray:
    """Exact block solve in the order of strongly connected components.

    Components are levelled like nodes (their condensation is acyclic); at each level the
    single nodes are solved together, each loop by its own sparse LU. The last column of
    ``R`` must be the all-ones probe: each loop's probe solution must be positive, else
    the loop needs one unit or more of itself.
    """
    MT = p.transposed
    count, component = connected_components(MT, directed=True, connection="strong")
    consumer = np.repeat(np.arange(p.n), np.diff(MT.indptr))
    supplier = MT.indices
    between = component[supplier] != component[consumer]
    condensed = sp.csr_array(
        (np.ones(int(between.sum())), (component[supplier[between]], component[consumer[between]])),
        shape=(count, count),
    )
    sizes = np.bincount(component, minlength=count)
    self_loop = np.zeros(count, dtype=bool)
    self_loop[component[supplier[supplier == consumer]]] = True
    is_loop = (sizes > 1) | self_loop
    node_level = _levels(condensed)[component]
    Y = np.zeros_like(R)
    for level in range(node_level.max(initial=-1) + 1):
        at_level = np.flatnonzero(node_level == level)
        single = at_level[~is_loop[component[at_level]]]
        if len(single):
            Y[single] = R[single] + MT[single] @ Y
        for c in np.unique(component[at_level[is_loop[component[at_level]]]]):
            nodes = np.flatnonzero(component == c)
            rows = MT[nodes]
            inside = np.isin(rows.indices, nodes)
            outside = sp.csr_array(
                (np.where(inside, 0.0, rows.data), rows.indices, rows.indptr), shape=rows.shape
            )
            Y[nodes] = _solve_loop(p, nodes, rows[:, nodes], R[nodes] + outside @ Y)
    return Y


def _solve_loop(p: Plan, nodes: np.ndarray, block: sp.csr_array, rhs: np.ndarray) -> np.ndarray:
    """Solve one strongly connected block ``(I - block) y = rhs``, refusing divergent loops."""
    system = sp.identity(len(nodes), format="csc") - block.tocsc()
    try:
        solution = splu(system).solve(rhs)
    except RuntimeError:  # exactly singular
        raise DivergentLoopError(_loop_names(p, nodes), _spectral_radius(block)) from None
    probe = solution[:, -1]
    if not np.all(np.isfinite(probe)) or np.any(probe <= 0):
        raise DivergentLoopError(_loop_names(p, nodes), _spectral_radius(block))
    return solution  # a loop that converges; totals too large for floats are refused later


def _loop_names(p: Plan, nodes: np.ndarray) -> list[str]:
    return [str(p.labels[i]) if p.labels is not None else str(i) for i in nodes]


def _spectral_radius(block: sp.csr_array) -> float | None:
    """Largest eigenvalue modulus of a small block (None for blocks over 2000 nodes)."""
    if block.shape[0] > 2000:
        return None
    return float(np.max(np.abs(np.linalg.eigvals(block.toarray()))))
