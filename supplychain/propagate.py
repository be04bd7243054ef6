"""Total impacts of every node in every category, and how much of each rests on undisclosed data.

``H = B (I - A)^-1``: the total of node j in category c is its own direct impact plus
what it takes of every supplier times that supplier's total. All nodes and categories are
solved at once (:mod:`supplychain.solver`).

**Opacity** is the share of a total that rests on data that nobody disclosed. The system
is solved again with only the edges and direct impacts at least as transparent as each
level: ``H_disclosed`` (disclosed data only), ``H_published`` (disclosed and published),
``H_estimated`` (all but missing) and ``H`` (all). Then

* ``opacity = 1 - H_disclosed / H``
* ``published_share = (H_published - H_disclosed) / H``, and likewise
  ``estimated_share`` and ``missing_share``; the three add up to the opacity.

A part of a total counts at the level of the least transparent datum it rests on: an
estimated amount of a published impact is an estimated part.

With **credits** (negative amounts or impacts: avoided products, recycling credits,
uptakes) the total stays exact and signed, but a ratio of signed totals means nothing (a
credit could make a part larger than the whole). The opacity solves then count every part
at its size: ``|B| (I - |A|)^-1`` by level, and ``opacity = 1 - |H|_disclosed / |H|``:
the share of the absolute flows that rests on undisclosed data. Without credits this is
the definition above, unchanged.

Examples
--------
>>> from supplychain.tables import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "ore", "kind": "mine", "unit": "kg"},
...            {"id": "metal", "kind": "material", "unit": "kg"}],
...     edges=[{"source": "ore", "target": "metal", "amount": 2, "transparency": "estimated",
...             "source_ref": "s"}],
...     impacts=[{"node": "ore", "category": "gwp", "value": 3, "transparency": "disclosed",
...               "source": "s"},
...              {"node": "metal", "category": "gwp", "value": 4, "transparency": "disclosed",
...               "source": "s"}],
...     sources=[{"id": "s", "title": "A source"}],
... )
>>> totals(chain)[["node", "value", "opacity", "estimated_share"]].round(12)
    node  value  opacity  estimated_share
0    ore    3.0      0.0              0.0
1  metal   10.0      0.6              0.6
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from supplychain.build import LEVELS, Matrices, to_matrices
from supplychain.errors import UnknownCategoryError, UnknownNodeError
from supplychain.model import SupplyChain
from supplychain.solver import Plan, plan, solve

__all__ = [
    "Solution",
    "solve_chain",
    "totals",
    "TOTALS_COLUMNS",
    "node_position",
    "category_position",
    "plan_up_to",
    "gross_plan",
]

TOTALS_COLUMNS = [
    "node",
    "kind",
    "category",
    "value",
    "unit",
    "per",
    "opacity",
    "published_share",
    "estimated_share",
    "missing_share",
]


@dataclass(frozen=True, eq=False)
class Solution:
    """Everything solved for a graph, to reuse across questions about it.

    Attributes
    ----------
    chain : SupplyChain
    matrices : Matrices
    plan : Plan
        The ordering of ``A`` (reused for requirements and further solves).
    H : ndarray, shape (n, k)
        Total impact of node ``i`` (row) in category ``c`` (column), in the category's
        unit per unit of the node.
    H_up_to : dict of int to ndarray or None
        ``H_up_to[l]``: totals from the data at transparency level ``l`` or better
        (positions in :data:`supplychain.build.LEVELS`); None when opacity was not asked.
    requirements : dict of str to ndarray
        Total requirements of the nodes traced so far (filled by :mod:`supplychain.trace`).
    plans : dict of int or tuple to Plan
        Plans of the system with only the edges at a transparency level or better (see
        :func:`plan_up_to`), and of its positive flows (keyed ``("gross", level)``, see
        :func:`gross_plan`).
    with_figures : ndarray of bool, shape (n, k)
        Whether a total rests on any figure at all (else it is no data, not zero).
    """

    chain: SupplyChain
    matrices: Matrices
    plan: Plan
    H: np.ndarray
    H_up_to: dict[int, np.ndarray] | None
    requirements: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    plans: dict[int | tuple[str, int | None], Plan] = field(default_factory=dict, repr=False)
    derived: dict[object, object] = field(default_factory=dict, repr=False)
    """Results of analyses that hold for every node (social exposure of all nodes ...),
    kept so that asking for many nodes solves them once."""

    @cached_property
    def with_figures(self) -> np.ndarray:
        """Whether each node (row) has a direct impact in each category (column), its own
        or upstream of it through edges with a positive amount (solved once, on demand)."""
        m = self.matrices
        own = np.zeros((len(m.nodes), len(m.categories)))
        own[m.impact_node, m.impact_category] = 1.0
        return solve(self.absolute_plan if self.signed else self.plan, own) > 0

    @cached_property
    def signed(self) -> bool:
        """Whether any amount or direct impact is negative (a credit)."""
        m = self.matrices
        return bool((m.A.data < 0).any() or (m.B.data < 0).any())

    @cached_property
    def absolute_plan(self) -> Plan:
        """The plan of ``|A|``: every flow counted at its size, whatever its sign (the
        opacity of a graph with credits rests on it)."""
        return plan(abs(self.matrices.A), self.matrices.nodes, node_level=self.plan.node_level)

    @cached_property
    def reversed_levels(self) -> np.ndarray:
        """A level order for systems on ``A^T`` (requirements, which flow upstream): the
        totals' levels turned around, so that no such system is ordered again."""
        level = self.plan.node_level
        return level.max(initial=0) - level

    @cached_property
    def requirements_plan(self) -> Plan:
        """The plan of ``A^T``, for requirements ``x = (I - A)^-1 d`` of any demands ``d``."""
        A_T = self.matrices.A.T.tocsr()
        return plan(A_T, self.matrices.nodes, node_level=self.reversed_levels)


def as_solution(chain: SupplyChain | Solution) -> Solution:
    """``chain`` itself if it is solved already, else its totals solved here (without the
    opacity solves): pass the Solution of a run to every analysis to solve it once."""
    return chain if isinstance(chain, Solution) else solve_chain(chain, opacity=False)


def plan_up_to(solution: Solution, level: int) -> Plan:
    """The plan of ``A`` with only the edges at transparency ``level`` or better (a
    position in :data:`~supplychain.build.LEVELS`), made once per solution."""
    if level not in solution.plans:
        solution.plans[level] = plan(
            solution.matrices.technology(level),
            solution.matrices.nodes,
            node_level=solution.plan.node_level,
        )
    return solution.plans[level]


def gross_plan(solution: Solution, up_to: int | None = None) -> Plan:
    """The plan of the flows that carry mined mass and its risks, made once per solution:
    with credits (negative amounts), only the positive flows, since mining avoided
    elsewhere does not undo what was mined for this chain; else the plan itself.
    ``up_to``: only the edges at that transparency level or better (a position in
    :data:`~supplychain.build.LEVELS`)."""
    if not solution.signed:
        return solution.plan if up_to is None else plan_up_to(solution, up_to)
    key = ("gross", up_to)
    if key not in solution.plans:
        m = solution.matrices
        keep = m.edge_amount > 0
        if up_to is not None:
            keep &= m.edge_level <= up_to
        n = len(m.nodes)
        entries = (m.edge_amount[keep], (m.edge_supplier[keep], m.edge_consumer[keep]))
        A = sp.csr_array(sp.coo_array(entries, shape=(n, n)))
        solution.plans[key] = plan(A, m.nodes, node_level=solution.plan.node_level)
    return solution.plans[key]


def solve_chain(chain: SupplyChain, opacity: bool = True) -> Solution:
    """Solve a graph: totals of every node in every category, and the opacity solves.

    Raises
    ------
    DivergentLoopError
        If a loop needs one unit or more of itself, naming its nodes.
    """
    matrices = to_matrices(chain)
    labels = matrices.nodes
    full = plan(matrices.A, labels=labels)
    H = solve(full, matrices.B.T.toarray())
    solution = Solution(chain, matrices, full, H, {} if opacity else None)
    if opacity:
        # with credits, the parts are counted at their size: |B| (I - |A|)^-1 by level
        size = abs if solution.signed else (lambda matrix: matrix)
        for level in range(len(LEVELS) - 1):
            partial = (
                plan(size(matrices.technology(level)), labels, node_level=full.node_level)
                if solution.signed
                else plan_up_to(solution, level)
            )
            direct = size(matrices.direct(level)).T.toarray()
            solution.H_up_to[level] = solve(partial, direct)
        whole = size(matrices.B).T.toarray()
        last = len(LEVELS) - 1
        solution.H_up_to[last] = solve(solution.absolute_plan, whole) if solution.signed else H
    return solution


def _shares(solution: Solution) -> dict[str, np.ndarray]:
    """Opacity and its split by level, each (n, k); NaN where the total is zero."""
    H = solution.H if solution.H_up_to is None else solution.H_up_to[len(LEVELS) - 1]
    positive = H > 0  # with credits: the absolute parts, so opacity lies in [0, 1]

    def share_of(part: np.ndarray) -> np.ndarray:
        return np.divide(part, H, out=np.full(H.shape, np.nan), where=positive)

    if solution.H_up_to is None:
        nothing = np.full(H.shape, np.nan)
        return {name: nothing for name in ("opacity", *(f"{lvl}_share" for lvl in LEVELS[1:]))}
    cumulative = [solution.H_up_to[level] for level in range(len(LEVELS))]
    shares = {"opacity": np.clip(1.0 - share_of(cumulative[0]), 0.0, 1.0)}
    for level in range(1, len(LEVELS)):
        added = np.clip(cumulative[level] - cumulative[level - 1], 0.0, None)
        shares[f"{LEVELS[level]}_share"] = share_of(added)
    return shares


def totals(
    chain: SupplyChain | Solution,
    node: str | None = None,
    category: str | None = None,
) -> pd.DataFrame:
    """Total impacts per unit of every node (or one) in every category (or one).

    Parameters
    ----------
    chain : SupplyChain or Solution
        The graph (solved here, with opacity) or a solution of it.
    node, category : str, optional
        Keep only this node, this category.

    Returns
    -------
    DataFrame
        One row per node and category, nodes in graph order, with columns

        * ``node``, ``kind``, ``category``
        * ``value``: total impact, in ``unit`` per ``per``; empty (NaN) where neither the
          node nor anything upstream of it has a figure in the category: no data, which
          is not the same as zero
        * ``unit``: the category's unit (e.g. ``kg CO2e``); ``per``: the node's unit
        * ``opacity``: share of ``value`` resting on data not disclosed (0..1; empty
          when ``value`` is 0)
        * ``published_share``, ``estimated_share``, ``missing_share``: the opacity split
          by the least transparent level each part rests on (they add up to ``opacity``)

    Raises
    ------
    UnknownNodeError
        If ``node`` or ``category`` is not in the graph.
    """
    solution = chain if isinstance(chain, Solution) else solve_chain(chain)
    graph = solution.chain
    m = solution.matrices
    rows = np.arange(len(m.nodes))
    columns = np.arange(len(m.categories))
    if node is not None:
        rows = np.array([node_position(solution, node)])
    if category is not None:
        columns = np.array([category_position(solution, category)])
    shares = _shares(solution)
    unit_of = graph.categories.drop_duplicates("id").set_index("id")["unit"]
    grid_rows, grid_columns = np.repeat(rows, len(columns)), np.tile(columns, len(rows))
    frame = pd.DataFrame(
        {
            "node": m.nodes[grid_rows],
            "kind": graph.nodes["kind"].to_numpy()[grid_rows],
            "category": m.categories[grid_columns],
            "value": np.where(
                solution.with_figures[grid_rows, grid_columns],
                solution.H[grid_rows, grid_columns],
                np.nan,
            ),
            "unit": unit_of.reindex(m.categories).to_numpy()[grid_columns],
            "per": graph.nodes["unit"].to_numpy()[grid_rows],
        }
    )
    for name, values in shares.items():
        frame[name] = values[grid_rows, grid_columns]
    return frame[TOTALS_COLUMNS]


def node_position(solution: Solution | pd.Index, node: str) -> int:
    """Position of ``node`` in the matrices (or in an index of node ids); raises
    UnknownNodeError with a hint."""
    nodes = solution if isinstance(solution, pd.Index) else solution.matrices.nodes
    if node not in nodes:
        close = difflib.get_close_matches(node, list(nodes[:100_000]), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownNodeError(f"no node {node!r} in the graph{hint}")
    return int(nodes.get_loc(node))


def category_position(solution: Solution | pd.Index, category: str) -> int:
    """Row of ``category`` in the matrices (or in an index of categories); raises
    UnknownCategoryError naming those with data."""
    categories = solution if isinstance(solution, pd.Index) else solution.matrices.categories
    if category not in categories:
        known = ", ".join(categories) or "none"
        raise UnknownCategoryError(
            f"no direct impacts in category {category!r} (with data: {known})"
        )
    return int(categories.get_loc(category))
