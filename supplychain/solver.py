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

from collections.abc import Callable, Sequence
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
    def triangular_factor(self):
        """The factors of a deep acyclic system, made once for all its right-hand sides."""
        return _triangular_factor(self, self.transposed)

    @cached_property
    def components(self) -> _Components:
        """Strongly connected components, levelled, for the exact block solve."""
        return _components(self)

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


def _triangular(p: Plan, R: np.ndarray, MT: sp.csr_array | None = None) -> np.ndarray:
    """An acyclic system too deep for level sweeps: one sparse LU in level order.

    In level order ``I - M^T`` is lower triangular, so the factorisation without pivoting
    has no fill-in (L is the matrix itself, U the identity). ``MT``: ``M^T`` with other
    values on the plan's structure (a Monte Carlo sample); default the plan's own.
    """
    order = p.order
    factor = p.triangular_factor if MT is None else _triangular_factor(p, MT)
    Y = np.empty_like(R)
    Y[order] = factor.solve(R[order])
    return Y


def _triangular_factor(p: Plan, MT: sp.csr_array):
    """The LU factors of ``I - M^T`` in level order (no fill-in: see :func:`_triangular`)."""
    order = p.order
    system = (sp.identity(p.n, format="csr") - MT)[order][:, order].tocsc()
    return splu(system, permc_spec="NATURAL", diag_pivot_thresh=0.0)


@dataclass(frozen=True, eq=False)
class _Components:
    """The strongly connected components of a plan's system, levelled (made once)."""

    component: np.ndarray
    node_level: np.ndarray
    is_loop: np.ndarray


def _components(p: Plan) -> _Components:
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
    return _Components(component, _levels(condensed)[component], (sizes > 1) | self_loop)


def _by_components(p: Plan, R: np.ndarray, MT: sp.csr_array | None = None) -> np.ndarray:
    """Exact block solve in the order of strongly connected components.

    Components are levelled like nodes (their condensation is acyclic); at each level the
    single nodes are solved together, each loop by its own sparse LU. The last column of
    ``R`` must be the all-ones probe: each loop's probe solution must be positive, else
    the loop needs one unit or more of itself. ``MT``: as in :func:`_triangular`.
    """
    MT = p.transposed if MT is None else MT
    parts = p.components
    component, node_level, is_loop = parts.component, parts.node_level, parts.is_loop
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
    """Solve one strongly connected block ``(I - block) y = rhs``, refusing divergent loops.

    The block's own probe, ``(I - block) y = 1``, must be positive: a non-negative loop
    converges exactly then. It is solved here, not taken from the propagated probe, since
    a credit (a negative amount) upstream of the loop may lower that one below zero."""
    system = sp.identity(len(nodes), format="csc") - block.tocsc()
    try:
        factor = splu(system)
    except RuntimeError:  # exactly singular
        raise DivergentLoopError(_loop_names(p, nodes), _spectral_radius(block)) from None
    probe = factor.solve(np.ones(len(nodes)))
    if not np.all(np.isfinite(probe)) or np.any(probe <= 0):
        raise DivergentLoopError(_loop_names(p, nodes), _spectral_radius(block))
    return factor.solve(rhs)  # a loop that converges; totals too large are refused later


def _loop_names(p: Plan, nodes: np.ndarray) -> list[str]:
    return [str(p.labels[i]) if p.labels is not None else str(i) for i in nodes]


def _spectral_radius(block: sp.csr_array) -> float | None:
    """Largest eigenvalue modulus of a small block (None for blocks over 2000 nodes)."""
    if block.shape[0] > 2000:
        return None
    return float(np.max(np.abs(np.linalg.eigvals(block.toarray()))))


# ------------------------------------------------------------ many samples of one system


@dataclass(frozen=True, eq=False)
class Schedule:
    """A plan made into index arrays, to sweep values that change from sample to sample.

    The system has ``E`` edges (``supplier[e]`` -> ``consumer[e]``, each pair once) and
    ``I`` direct impacts (``impact_node``, ``impact_category``); its *parameters* are the
    edges ``0 .. E-1`` then the impacts ``E .. E+I-1``, whose values a caller draws per
    sample. Level by level, ``params`` lists the parameters the level needs: its forward
    edges grouped by consumer, then its nodes' impacts; ``param_start[l]`` is where level
    ``l``'s begin. Back edges (loops) come after all levels.

    In an acyclic system a node's total is needed only until its last consumer's level,
    so totals live in reused *slots* (``slot``, ``slots``): a chain of 10^5 nodes sweeps
    with two slots, whatever its depth, and the whole sample axis fits at once.
    """

    plan: Plan
    k: int
    level_nodes: list[np.ndarray]
    level_slots: list[np.ndarray]
    level_edges: list[tuple[np.ndarray, np.ndarray, np.ndarray, int] | None]
    level_impacts: list[tuple[np.ndarray, np.ndarray, int] | None]
    params: np.ndarray
    param_start: np.ndarray
    back: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    slot: np.ndarray
    slots: int
    widest: int
    edges: int
    supplier: np.ndarray
    consumer: np.ndarray


def _grouped_by_consumer(edges: np.ndarray, supplier: np.ndarray, consumer: np.ndarray):
    """Edges sorted by consumer: (edges, their suppliers, the consumers with input, starts)."""
    order = np.argsort(consumer[edges], kind="stable")
    chosen = edges[order]
    c = consumer[chosen]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    return chosen, supplier[chosen], c[starts], starts


def _live_slots(p: Plan, supplier: np.ndarray, consumer: np.ndarray) -> tuple[np.ndarray, int]:
    """A slot for every node of an acyclic system, reused once all its consumers are done."""
    n = p.n
    level = p.node_level
    last = level.copy()  # the level after which a node's total is no longer read
    np.maximum.at(last, supplier, level[consumer])
    dying = np.argsort(last, kind="stable")
    die_bounds = np.searchsorted(last[dying], np.arange(len(p.bounds)))
    slot = np.empty(n, dtype=np.int64)
    free = np.empty(n, dtype=np.int64)  # a stack of free slots
    top, made = 0, 0
    for index in range(len(p.bounds) - 1):
        born = p.order[p.bounds[index] : p.bounds[index + 1]]
        reused = min(top, len(born))
        slot[born[:reused]] = free[top - reused : top]
        top -= reused
        fresh = len(born) - reused
        slot[born[reused:]] = np.arange(made, made + fresh)
        made += fresh
        gone = dying[die_bounds[index] : die_bounds[index + 1]]
        free[top : top + len(gone)] = slot[gone]
        top += len(gone)
    return slot, max(made, 1)


def schedule(
    p: Plan,
    supplier: np.ndarray,
    consumer: np.ndarray,
    impact_node: np.ndarray,
    impact_category: np.ndarray,
    categories: int,
) -> Schedule:
    """The :class:`Schedule` of plan ``p`` for edges and impacts given by node positions
    (the edges of ``p``'s matrix, each supplier-consumer pair once)."""
    level = p.node_level
    E = len(supplier)
    edge = np.arange(E)
    is_back = level[supplier] >= level[consumer]
    forward = edge[~is_back]
    # forward edges by level of their consumer, then by consumer: each level a slice
    forward = forward[np.lexsort((consumer[forward], level[consumer[forward]]))]
    levels = len(p.bounds) - 1
    edge_bounds = np.searchsorted(level[consumer[forward]], np.arange(levels + 1))
    first_of_group = np.flatnonzero(np.r_[True, consumer[forward][1:] != consumer[forward][:-1]])
    group_bounds = np.searchsorted(first_of_group, edge_bounds)
    impact_order = np.argsort(level[impact_node], kind="stable")
    impact_bounds = np.searchsorted(level[impact_node][impact_order], np.arange(levels + 1))
    acyclic = not is_back.any()
    slot, slots = _live_slots(p, supplier, consumer) if acyclic else (np.arange(p.n), p.n)
    supplier_slots, consumer_slots = slot[supplier[forward]], slot[consumer[forward]]
    impact_slots, impact_categories = slot[impact_node[impact_order]], impact_category[impact_order]
    # each level's parameters: its edges, then its impacts
    params = np.concatenate([forward, E + impact_order])
    owner = np.r_[level[consumer[forward]], level[impact_node[impact_order]]]
    second = np.r_[np.zeros(len(forward), np.int8), np.ones(len(impact_order), np.int8)]
    params = params[np.lexsort((second, owner))]
    starts = edge_bounds + impact_bounds  # the level's first parameter
    level_nodes, level_edges, level_impacts = [], [], []
    widest = 1
    for index in range(levels):
        level_nodes.append(p.order[p.bounds[index] : p.bounds[index + 1]])
        low, high = edge_bounds[index], edge_bounds[index + 1]
        if high > low:
            group_starts = first_of_group[group_bounds[index] : group_bounds[index + 1]] - low
            heads = consumer_slots[low:high][group_starts]
            one_each = len(group_starts) == high - low  # no sums: the flows are the inflows
            level_edges.append(
                (supplier_slots[low:high], heads, None if one_each else group_starts, high - low)
            )
            widest = max(widest, int(high - low))
        else:
            level_edges.append(None)
        low, high = impact_bounds[index], impact_bounds[index + 1]
        if high > low:
            level_impacts.append(
                (impact_slots[low:high], impact_categories[low:high], int(high - low))
            )
        else:
            level_impacts.append(None)
    back = None
    if not acyclic:
        chosen, suppliers, consumers, group_starts = _grouped_by_consumer(
            edge[is_back], supplier, consumer
        )
        back = (chosen, suppliers, consumers, group_starts)  # nodes: no slots in a loop
        widest = max(widest, len(chosen))
    return Schedule(
        plan=p,
        k=categories,
        level_nodes=level_nodes,
        level_slots=[slot[nodes] for nodes in level_nodes],
        level_edges=level_edges,
        level_impacts=level_impacts,
        params=params,
        param_start=np.asarray(starts, dtype=np.int64),
        back=back,
        slot=slot,
        slots=slots,
        widest=widest,
        edges=E,
        supplier=supplier,
        consumer=consumer,
    )


@dataclass(frozen=True, eq=False)
class SampledTotals:
    """What :func:`solve_samples` gives.

    Attributes
    ----------
    totals : ndarray, shape (kept nodes, categories, samples)
        NaN in the samples whose own draws make a loop need one unit or more of itself.
    divergent : ndarray of bool, shape (samples,)
        Those samples.
    loops : list of tuple of str
        The loops that diverged in them, each once.
    """

    totals: np.ndarray
    divergent: np.ndarray
    loops: list[tuple[str, ...]]


def solve_samples(
    sch: Schedule,
    values: Callable[[np.ndarray, int, int], np.ndarray],
    samples: int,
    keep: np.ndarray,
    tolerance: float = DEFAULT_TOLERANCE,
    chunk_bytes: int = 16 * 2**20,
    progress: Callable[[int, int], None] | None = None,
) -> SampledTotals:
    """Totals of the nodes ``keep`` in every sample: the recurrence of :func:`solve`, with
    every edge amount and direct impact drawn anew per sample, all samples of a chunk
    swept together (vectorised over the sample axis).

    ``values(params, start, size)`` gives the values of ``params`` (positions as in
    :class:`Schedule`) in samples ``start .. start + size - 1``: an array
    ``(len(params), size)``, the same whatever the chunk (the caller's draws are keyed by
    parameter and sample). Memory stays within about ``chunk_bytes``: the sample axis is
    cut into chunks, and an acyclic system draws its parameters a band of levels at a time.

    Loops are swept with the stopping rule of :func:`solve`, per sample; a sample whose
    sweeps are too slow or do not settle is solved exactly, its loops by sparse LU, and a
    sample whose own draws make a loop need one unit or more of itself is reported in
    :attr:`SampledTotals.divergent`, not raised. Totals beyond the range of floats raise
    :class:`NumericRangeError`.
    """
    p, k = sch.plan, sch.k
    keep = np.asarray(keep, dtype=np.int64)
    totals = np.empty((len(keep), k, samples))
    divergent = np.zeros(samples, dtype=bool)
    loops: dict[tuple[str, ...], None] = {}
    cyclic = sch.back is not None
    columns = k + 1 if cyclic else k  # a loop sweep carries a probe of ones
    if cyclic:
        per_sample = 8 * (3 * p.n * columns + len(sch.params) + len(sch.back[0]))
    else:
        per_sample = 8 * (sch.slots * k + 2 * sch.widest * max(k, 1))
    chunk = int(max(1, min(samples, chunk_bytes // max(per_sample, 1))))
    with np.errstate(over="ignore", invalid="ignore"):  # refused by name below
        for start in range(0, samples, chunk):
            size = min(chunk, samples - start)
            if cyclic:
                part, bad, found = _loop_samples(sch, values, start, size, keep, tolerance)
                divergent[start : start + size] = bad
                loops.update(dict.fromkeys(found))
            else:
                part = _acyclic_samples(sch, values, start, size, keep, chunk_bytes)
            totals[:, :, start : start + size] = part
            if progress is not None:
                progress(start + size, samples)
    beyond = ~np.isfinite(totals[:, :, ~divergent]).all(axis=(1, 2))
    if beyond.any():
        raise NumericRangeError(_loop_names(p, keep[beyond]), " in some Monte Carlo samples")
    return SampledTotals(totals, divergent, list(loops))


def _bands(sch: Schedule, size: int, chunk_bytes: int) -> list[tuple[int, int]]:
    """Runs of levels whose parameters, drawn for ``size`` samples, fit ``chunk_bytes``."""
    budget = max(1, chunk_bytes // (8 * size))
    levels = len(sch.level_nodes)
    cut = np.searchsorted(sch.param_start, np.arange(0, sch.param_start[-1] + 1, budget))
    edges = np.unique(np.clip(np.r_[cut, levels], 0, levels))
    edges = edges[edges > 0] if len(edges) and edges[0] == 0 else edges
    bounds = np.unique(np.r_[0, edges, levels])
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _acyclic_samples(sch, values, start, size, keep, chunk_bytes) -> np.ndarray:
    """One chunk of samples of an acyclic system, in live slots, a band of levels at a time."""
    k, slot = sch.k, sch.slot
    Y = np.zeros((sch.slots, k, size))
    out = np.empty((len(keep), k, size))
    level_of_kept = sch.plan.node_level[keep]
    kept_order = np.argsort(level_of_kept, kind="stable")
    kept_bounds = np.searchsorted(
        level_of_kept[kept_order], np.arange(len(sch.level_nodes) + 1)
    ).tolist()
    kept_slots = slot[keep[kept_order]]
    param_start = sch.param_start.tolist()
    for low, high in _bands(sch, size, chunk_bytes):
        base = param_start[low]
        V = values(sch.params[base : param_start[high]], start, size)
        for index in range(low, high):
            Y[sch.level_slots[index]] = 0.0
            offset = param_start[index] - base
            edges = sch.level_edges[index]
            if edges is not None:
                supplier_slots, consumer_slots, starts, count = edges
                flow = V[offset : offset + count, None, :] * Y[supplier_slots]
                Y[consumer_slots] += flow if starts is None else np.add.reduceat(flow, starts, 0)
                offset += count
            impacts = sch.level_impacts[index]
            if impacts is not None:
                impact_slots, impact_categories, count = impacts
                Y[impact_slots, impact_categories] += V[offset : offset + count]
            first, last = kept_bounds[index], kept_bounds[index + 1]
            if last > first:
                out[kept_order[first:last]] = Y[kept_slots[first:last]]
    return out


def _loop_samples(sch, values, start, size, keep, tolerance):
    """One chunk of samples of a system with loops: Gauss-Seidel sweeps per sample, and
    the exact solve for the samples they do not settle."""
    p, k, n = sch.plan, sch.k, sch.plan.n
    order = np.r_[sch.params, sch.back[0]]
    V = values(order, start, size)
    back_values = V[len(sch.params) :]
    R = np.zeros((n, k + 1, size))
    R[:, k] = 1.0  # the probe: a loop that needs itself never settles on it
    offsets = sch.param_start
    for index, impacts in enumerate(sch.level_impacts):
        if impacts is not None:
            nodes, categories, count = impacts
            edges = sch.level_edges[index]
            first = offsets[index] + (0 if edges is None else edges[3])
            R[nodes, categories] += V[first : first + count]

    def sweep(previous: np.ndarray) -> np.ndarray:
        Y = R.copy()
        _, suppliers, consumers, starts = sch.back
        inflow = back_values[:, None, :] * previous[suppliers]
        Y[consumers] += np.add.reduceat(inflow, starts, axis=0)
        for index, edges in enumerate(sch.level_edges):
            if edges is not None:
                supplier_nodes, consumer_nodes, group_starts, count = edges
                first = offsets[index]
                flow = V[first : first + count, None, :] * Y[supplier_nodes]
                if group_starts is not None:
                    flow = np.add.reduceat(flow, group_starts, axis=0)
                Y[consumer_nodes] += flow
        return Y

    rule = _Stopping(size, tolerance)
    Y = sweep(np.zeros_like(R)) if not p.deep else None
    if Y is not None:
        for number in range(1, _MAX_SWEEPS + 1):
            previous, Y = Y, sweep(Y)
            change = np.abs(Y - previous) / np.maximum(np.abs(Y), np.finfo(float).tiny)
            rule.update(number, change.max(axis=(0, 1), initial=0.0))
            if rule.done:
                break
        exact = ~rule.settled
    else:
        Y = np.empty_like(R)
        exact = np.ones(size, dtype=bool)
    bad = np.zeros(size, dtype=bool)
    found: list[tuple[str, ...]] = []
    if exact.any():
        is_edge = order < sch.edges
        for sample in np.flatnonzero(exact):
            amounts = np.zeros(sch.edges)
            amounts[order[is_edge]] = V[is_edge, sample]
            MT = sp.csr_array((amounts, (sch.consumer, sch.supplier)), shape=(n, n))
            try:
                Y[:, :, sample] = _by_components(p, R[:, :, sample], MT)
            except DivergentLoopError as error:
                bad[sample] = True
                found.append(tuple(error.nodes))
                Y[:, :, sample] = np.nan
    return Y[keep][:, :k], bad, found
