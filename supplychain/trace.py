"""Tracing a node upstream: what it takes, from where, and what matters most.

* :func:`requirements`: total requirements ``x = (I - A)^-1 e_j``: every upstream node
  with the amount of it (its own unit) that one unit of ``j`` takes, through all paths.
* :func:`requirements_by_material` and :func:`requirements_by_country`: the same,
  grouped: how many grams of cobalt per server, and from which countries.
* :func:`contributions`: the share of ``j``'s total in a category that comes from each
  upstream node's own impacts, ``x[i] * B[c, i]`` (they add up to the total);
  :func:`edge_contributions`: what flows through each edge, ``x[m] * A[i, m] * H[c, i]``.
* :func:`path_tree`: the supply paths from ``j`` upstream, largest first, cut off below
  a share of the total; cycle-safe and bounded in size.

Examples
--------
>>> from supplychain.io import load
>>> cobalt = requirements_by_country(load("example"), "server-8xa100")
>>> cobalt[cobalt["material"] == "cobalt"][["country", "amount", "unit", "share"]].round(4)
     country  amount unit   share
0        COD  0.0059   kg  0.7419
1        IDN  0.0011   kg  0.1419
2  (unknown)  0.0009   kg  0.1161
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from supplychain.defaults import TRACE_CUTOFF
from supplychain.errors import UnknownNodeError
from supplychain.model import SupplyChain
from supplychain.propagate import Solution, as_solution, category_position, node_position
from supplychain.schema import Kind
from supplychain.solver import plan, solve

__all__ = [
    "requirements",
    "requirements_by_material",
    "requirements_by_country",
    "contributions",
    "edge_contributions",
    "input_contributions",
    "path_tree",
    "requirement_vector",
    "gross_requirement_vector",
    "requirement_vectors",
    "trace_sections",
    "main_category",
    "DEFAULT_CUTOFF",
]

DEFAULT_CUTOFF = TRACE_CUTOFF

_MAX_TREE_ROWS = 500

UNKNOWN_COUNTRY = "(unknown)"


_BATCH_BYTES = 64 * 2**20  # the demands solved together by requirement_vectors


def requirement_vectors(solution: Solution, nodes: Sequence[str]) -> list[np.ndarray]:
    """:func:`requirement_vector` of each of ``nodes``; those not yet known solved together,
    one solve of the whole graph for many demands (an audit of 50 services and devices
    orders and factorises the graph once, not 50 times)."""
    wanted = [node for node in dict.fromkeys(nodes) if node not in solution.requirements]
    if len(wanted) > 1:
        n = len(solution.matrices.nodes)
        positions = [node_position(solution, node) for node in wanted]
        per_batch = max(1, _BATCH_BYTES // (8 * max(n, 1)))
        for start in range(0, len(wanted), per_batch):
            batch = positions[start : start + per_batch]
            demand = np.zeros((n, len(batch)))
            demand[batch, np.arange(len(batch))] = 1.0
            x = solve(solution.requirements_plan, demand)
            for column, node in enumerate(wanted[start : start + per_batch]):
                vector = np.ascontiguousarray(x[:, column])
                vector.setflags(write=False)
                solution.requirements[node] = vector
    return [requirement_vector(solution, node) for node in nodes]


def requirement_vector(solution: Solution, node: str) -> np.ndarray:
    """x: amount of every node (its unit) per unit of ``node``; solved on its upstream only.

    Kept on the solution (a trace asks for it for the requirements, then again for the
    contributions); read-only, since it is shared.
    """
    if node in solution.requirements:
        return solution.requirements[node]
    root = node_position(solution, node)
    A = solution.matrices.A
    upstream = np.sort(breadth_first_order(A.T.tocsr(), root, directed=True)[0])
    sub = A[upstream][:, upstream]
    demand = (upstream == root).astype(float)
    labels = solution.matrices.nodes[upstream]
    x = np.zeros(len(solution.matrices.nodes))
    level = solution.reversed_levels[upstream]
    x[upstream] = solve(plan(sp.csr_array(sub.T), labels=labels, node_level=level), demand)
    x.setflags(write=False)
    solution.requirements[node] = x
    return x


def gross_requirement_vector(solution: Solution, node: str) -> np.ndarray:
    """Like :func:`requirement_vector`, along the positive flows only: what one unit of
    ``node`` takes before any credit is subtracted, the route of mined mass (a credit mines
    nothing, see :func:`~supplychain.propagate.gross_plan`). Without credits, the same."""
    if not solution.signed:
        return requirement_vector(solution, node)
    key = ("gross requirements", None)
    if key not in solution.plans:
        A = solution.matrices.A.copy()
        A.data[A.data < 0] = 0.0
        A.eliminate_zeros()
        solution.plans[key] = plan(
            sp.csr_array(A.T), solution.matrices.nodes, node_level=solution.reversed_levels
        )
    if ("gross", node) not in solution.derived:  # asked for by trace, social, the page ...
        demand = np.zeros(len(solution.matrices.nodes))
        demand[node_position(solution, node)] = 1.0
        x = solve(solution.plans[key], demand)
        x.setflags(write=False)
        solution.derived[("gross", node)] = x
    return solution.derived[("gross", node)]


def requirements(chain: SupplyChain | Solution, node: str) -> pd.DataFrame:
    """Every node upstream of ``node`` and how much of it one unit of ``node`` takes.

    Returns
    -------
    DataFrame
        Columns ``node``, ``kind``, ``name``, ``country``, ``amount`` (in ``unit`` per
        one unit of the traced node, through all paths), ``unit``, ``transparency`` (of
        the node). The traced node itself is left out unless a loop makes it take more
        than one unit of itself (then ``amount`` is that gross amount). Amounts are net,
        as Brightway's supply array: a credit (a negative amount) is subtracted, and a node
        only credited has a negative amount. Sorted by kind, upstream first, then by
        amount.

    Raises
    ------
    UnknownNodeError
        If ``node`` is not in the graph.
    """
    solution = as_solution(chain)
    x = requirement_vector(solution, node)
    root = node_position(solution, node)
    nodes = solution.chain.nodes
    keep = x != 0  # a node only credited is there too, with a negative amount
    if np.isclose(x[root], 1.0, rtol=1e-12, atol=0):
        keep[root] = False
    frame = nodes.loc[keep, ["id", "kind", "name", "country", "unit", "transparency"]].copy()
    frame.insert(4, "amount", x[keep])
    frame = frame.rename(columns={"id": "node"})
    order = {kind.value: i for i, kind in enumerate(Kind)}
    frame["_kind"] = frame["kind"].map(order)
    frame = frame.sort_values(["_kind", "amount"], ascending=[True, False], kind="stable")
    return frame.drop(columns="_kind").reset_index(drop=True)


def _material_links(chain: SupplyChain) -> dict[str, list[str]]:
    """For each material node, the material nodes it feeds (material -> material edges)."""
    kind = chain.nodes.set_index("id")["kind"]
    edges = chain.edges[
        chain.edges["source"].map(kind).eq("material")
        & chain.edges["target"].map(kind).eq("material")
    ]
    return edges.groupby("source")["target"].agg(list).to_dict()


def _used_materials(chain: SupplyChain) -> pd.Index:
    """Material nodes as they are used: those that feed something other than a material.

    A material that only feeds other materials (an unknown-origin pool, an ore before its
    metal) is a form on the way, not a second material, so it is not counted twice.
    """
    kind = chain.nodes.set_index("id")["kind"]
    edges = chain.edges[chain.edges["source"].map(kind).eq("material")]
    used = edges.loc[~edges["target"].map(kind).eq("material"), "source"]
    unused = chain.nodes.loc[(chain.nodes["kind"] == "material"), "id"]
    unused = unused[~unused.isin(edges["source"])]  # end materials: nothing downstream
    return pd.Index(used.unique()).union(pd.Index(unused))


def _mine_materials(chain: SupplyChain, mines: pd.Series) -> pd.Series:
    """The used material(s) each of ``mines`` ends up in, joined with '+' (by mine id).

    Follows material -> material links (e.g. mine -> unknown-origin pool -> cobalt).
    """
    kind = chain.nodes.set_index("id")["kind"]
    first = chain.edges[
        chain.edges["source"].isin(mines) & chain.edges["target"].map(kind).eq("material")
    ]
    links, used = _material_links(chain), set(_used_materials(chain))

    def end_materials(start: str) -> set[str]:
        ends, seen, stack = set(), {start}, [start]
        while stack:  # iterative walk: material chains may be long, and loops are allowed
            material = stack.pop()
            if material in used or material not in links:
                ends.add(material)
            for target in links.get(material, ()):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return ends or {start}

    ends = {t: end_materials(t) for t in first["target"].unique()}
    return first.groupby("source")["target"].agg(
        lambda targets: "+".join(sorted(set().union(*(ends[t] for t in targets))))
    )


def requirements_by_material(chain: SupplyChain | Solution, node: str) -> pd.DataFrame:
    """The materials one unit of ``node`` takes, through all paths.

    Only materials as they are used count: a material node that feeds nothing but other
    materials (an unknown-origin pool, an ore before its metal) is not listed, so no
    kilogram is counted twice.

    Returns
    -------
    DataFrame
        Columns ``material`` (node id), ``name``, ``amount`` (in ``unit`` per unit of the
        traced node), ``unit``, ``transparency`` (of the material node); largest first.
    """
    solution = as_solution(chain)
    found = requirements(solution, node)
    materials = found[
        (found["kind"] == "material") & found["node"].isin(_used_materials(solution.chain))
    ]
    frame = materials[["node", "name", "amount", "unit", "transparency"]].rename(
        columns={"node": "material"}
    )
    return frame.sort_values("amount", ascending=False, kind="stable").reset_index(drop=True)


def requirements_by_country(chain: SupplyChain | Solution, node: str) -> pd.DataFrame:
    """Mined material per unit of ``node``, by material and country of the mine.

    Returns
    -------
    DataFrame
        Columns ``material`` (the material node(s) the mines feed), ``country``
        (``(unknown)`` where the mine names none), ``amount`` (mined output in ``unit``
        per unit of the traced node, along positive flows: a credit mines nothing, as in
        :func:`~supplychain.social.mined_mass`), ``unit``, ``share`` (of that material's
        mined total), ``mines`` (how many mine nodes).
    """
    solution = as_solution(chain)
    nodes = solution.chain.nodes
    x = gross_requirement_vector(solution, node)
    is_mine = (nodes["kind"] == "mine").to_numpy() & (x > 0)
    mines = nodes.loc[is_mine, ["id", "country", "unit"]].rename(columns={"id": "node"})
    mines.insert(2, "amount", x[is_mine])
    mines["material"] = mines["node"].map(_mine_materials(solution.chain, mines["node"]))
    mines["material"] = mines["material"].astype(object).fillna("")
    mines["country"] = mines["country"].replace("", UNKNOWN_COUNTRY)
    grouped = (
        mines.groupby(["material", "country", "unit"], sort=False)
        .agg(amount=("amount", "sum"), mines=("node", "size"))
        .reset_index()
    )
    totals = grouped.groupby(["material", "unit"])["amount"].transform("sum")
    grouped["share"] = grouped["amount"] / totals
    grouped = grouped.sort_values(["material", "amount"], ascending=[True, False], kind="stable")
    return grouped[["material", "country", "amount", "unit", "share", "mines"]].reset_index(
        drop=True
    )


def contributions(chain: SupplyChain | Solution, node: str, category: str) -> pd.DataFrame:
    """Where the total of ``node`` in ``category`` comes from: each node's own impacts.

    Returns
    -------
    DataFrame
        Columns ``node``, ``kind``, ``country``, ``amount`` (of it per unit of the traced
        node, its unit), ``unit``, ``direct`` (its own impact times ``amount``, in the
        category's unit per unit of the traced node), ``share`` (of the total; the shares
        add up to 1, and a credit's is negative, so with credits a share may lie outside
        [0, 1]), ``transparency`` (of its direct impact in this category). Largest first
        by size; nodes contributing nothing are left out.
    """
    solution = as_solution(chain)
    c = category_position(solution, category)
    x = requirement_vector(solution, node)
    direct = x * solution.matrices.B[[c]].toarray().ravel()
    total = solution.H[node_position(solution, node), c]
    nodes = solution.chain.nodes
    impacts = solution.chain.impacts
    level = impacts[impacts["category"] == category].set_index("node")["transparency"]
    keep = direct != 0  # a credit contributes too, with a negative share
    frame = nodes.loc[keep, ["id", "kind", "country", "unit"]].rename(columns={"id": "node"})
    frame.insert(3, "amount", x[keep])
    frame["direct"] = direct[keep]
    frame["share"] = direct[keep] / total if total != 0 else np.nan
    frame["transparency"] = frame["node"].map(level).astype(object).fillna("")
    size = frame["direct"].abs()
    return frame.iloc[np.argsort(-size.to_numpy(), kind="stable")].reset_index(drop=True)


def edge_contributions(chain: SupplyChain | Solution, node: str, category: str) -> pd.DataFrame:
    """What flows through each edge upstream of ``node``, per unit of ``node``.

    Returns
    -------
    DataFrame
        Columns ``source``, ``target``, ``flow`` (amount of ``source``, its unit, going
        into ``target`` per unit of the traced node), ``unit``, ``impact`` (``flow`` times
        the total of ``source``: everything upstream that comes through this edge, in the
        category's unit), ``share`` (of the traced node's total), ``transparency`` (of
        the edge). Largest first; edges carrying nothing are left out.
    """
    solution = as_solution(chain)
    c = category_position(solution, category)
    x = requirement_vector(solution, node)
    m = solution.matrices
    flow = x[m.edge_consumer] * m.edge_amount
    impact = flow * solution.H[m.edge_supplier, c]
    total = solution.H[node_position(solution, node), c]
    edges = solution.chain.edges
    unit = solution.chain.nodes["unit"].to_numpy()[m.edge_supplier]
    frame = pd.DataFrame(
        {
            "source": edges["source"],
            "target": edges["target"],
            "flow": flow,
            "unit": unit,
            "impact": impact,
            "share": impact / total if total != 0 else np.nan,
            "transparency": edges["transparency"],
        }
    )
    frame = frame[frame["flow"] != 0]  # a credit's edge carries a negative flow
    size = frame["impact"].abs().to_numpy()
    return frame.iloc[np.argsort(-size, kind="stable")].reset_index(drop=True)


def input_contributions(chain: SupplyChain | Solution, node: str) -> pd.DataFrame:
    """What each direct input of ``node`` carries into its total, in every category.

    Returns
    -------
    DataFrame
        Columns ``input`` (the supplier), ``amount`` (per unit of ``node``, the input's
        ``unit``), ``category``, ``impact`` (the input's total times ``amount``: all that
        comes through it, in the category's unit per unit of ``node``), ``share`` (of the
        node's total in the category; with the node's own impacts the shares add up to 1).
        Inputs carrying nothing in a category are left out of it.

    Examples
    --------
    >>> from supplychain.tables import from_tables
    >>> chain = from_tables(
    ...     nodes=[{"id": "power", "kind": "energy", "unit": "kWh"},
    ...            {"id": "training", "kind": "service", "unit": "item"},
    ...            {"id": "chat", "kind": "service", "unit": "query"}],
    ...     edges=[{"source": "power", "target": "chat", "amount": 3.0},
    ...            {"source": "training", "target": "chat", "amount": 0.001}],
    ...     impacts=[{"node": "power", "category": "gwp", "value": 0.5},
    ...              {"node": "training", "category": "gwp", "value": 500.0}])
    >>> found = input_contributions(chain, "chat")
    >>> [(r.input, r.share) for r in found.itertuples()]
    [('power', 0.75), ('training', 0.25)]
    """
    solution = as_solution(chain)
    m = solution.matrices
    position = node_position(solution, node)
    into = np.flatnonzero(m.edge_consumer == position)
    supplier = m.edge_supplier[into]
    amount = m.edge_amount[into]
    ids = solution.chain.nodes["id"].to_numpy()
    units = solution.chain.nodes["unit"].to_numpy()
    rows = []
    for c, category in enumerate(m.categories):
        total = solution.H[position, c]
        impact = amount * solution.H[supplier, c]
        for s, a, i in zip(supplier.tolist(), amount.tolist(), impact.tolist(), strict=True):
            if i != 0:  # a credit carries a negative impact and share
                share = i / total if total != 0 else float("nan")
                rows.append((ids[s], a, units[s], category, i, share))
    columns = ["input", "amount", "unit", "category", "impact", "share"]
    return pd.DataFrame(rows, columns=columns)


def path_tree(
    chain: SupplyChain | Solution,
    node: str,
    category: str,
    cutoff: float = DEFAULT_CUTOFF,
    max_rows: int = _MAX_TREE_ROWS,
) -> pd.DataFrame:
    """The supply paths upstream of ``node``, largest contribution first.

    A depth-first walk from ``node`` to its suppliers, theirs, and so on. Each row is one
    path; it is expanded only if its share of the total is at least ``cutoff``. A node
    already on the path is not expanded again (a loop). The tree stops after ``max_rows``
    paths; a last row noted ``cut off`` then shows the next path left out.

    Returns
    -------
    DataFrame
        Columns ``depth`` (0 for the traced node), ``node``, ``kind``, ``country``,
        ``amount`` (of it per unit of the traced node along this path, in ``unit``),
        ``unit``, ``impact`` (``amount`` times its total: all that comes through this
        path, in the category's unit), ``share`` (of the traced node's total),
        ``direct_share`` (the node's own impacts on this path), ``transparency`` (of the
        edge into the path's parent), ``note`` (``loop`` where a node repeats, ``cut
        off`` where the tree was stopped).
    """
    solution = as_solution(chain)
    c = category_position(solution, category)
    root = node_position(solution, node)
    m = solution.matrices
    H = solution.H[:, c]
    B = m.B[[c]].toarray().ravel()
    total = H[root]
    if total == 0 or not np.isfinite(total):
        raise UnknownNodeError(f"{node!r} has no total in {category!r}: no path contributes")
    nodes = solution.chain.nodes
    kinds, countries, units = (nodes[col].to_numpy() for col in ("kind", "country", "unit"))
    edge_levels = solution.chain.edges["transparency"].to_numpy()
    into = m.edges_into
    row_of = _TreeRow(m.nodes, kinds, countries, units, H, B, total)
    rows: list[dict] = []
    stack = [(root, 1.0, 0, (root,), "")]
    while stack:
        position, amount, depth, path, level = stack.pop()
        if len(rows) >= max_rows:
            rows.append(row_of(depth, position, amount, level, "cut off"))
            break
        repeated = position in path[:-1]
        rows.append(row_of(depth, position, amount, level, "loop" if repeated else ""))
        if repeated:
            continue
        start, end = into.indptr[position], into.indptr[position + 1]
        edge_rows = into.data[start:end].astype(np.int64) - 1
        child_amounts = amount * m.edge_amount[edge_rows]
        child_shares = child_amounts * H[into.indices[start:end]] / total
        for k in np.argsort(np.abs(child_shares), kind="stable"):  # smallest pushed first
            if abs(child_shares[k]) >= cutoff:  # a credit's path by its size
                supplier = int(into.indices[start + k])
                stack.append(
                    (
                        supplier,
                        child_amounts[k],
                        depth + 1,
                        (*path, supplier),
                        edge_levels[edge_rows[k]],
                    )
                )
    return pd.DataFrame(rows)


class _TreeRow:
    """Makes the rows of :func:`path_tree` from the arrays of one solution."""

    def __init__(self, ids, kinds, countries, units, H, B, total):
        self.ids, self.kinds, self.countries, self.units = ids, kinds, countries, units
        self.H, self.B, self.total = H, B, total

    def __call__(self, depth: int, position: int, amount: float, level: str, note: str) -> dict:
        return {
            "depth": depth,
            "node": self.ids[position],
            "kind": self.kinds[position],
            "country": self.countries[position],
            "amount": amount,
            "unit": self.units[position],
            "impact": amount * self.H[position],
            "share": amount * self.H[position] / self.total,
            "direct_share": amount * self.B[position] / self.total,
            "transparency": level,
            "note": note,
        }


def main_category(solution: Solution | pd.Index) -> str | None:
    """The category to rank by: ``gwp`` when the graph (or an index of the categories
    with data) has data for it, else the first category with data, else None."""
    categories = list(solution if isinstance(solution, pd.Index) else solution.matrices.categories)
    if "gwp" in categories:
        return "gwp"
    return categories[0] if categories else None


_GROUPINGS = {
    "node": requirements,
    "material": requirements_by_material,
    "country": requirements_by_country,
}


def trace_sections(
    chain: SupplyChain | Solution,
    node: str,
    by: str = "node",
    category: str | None = None,
    cutoff: float = DEFAULT_CUTOFF,
) -> dict[str, pd.DataFrame]:
    """Everything ``supplychain trace`` shows, by title: the requirements grouped ``by``
    node, material or country, then (if the node has a total in ``category``, default
    :func:`main_category`) the path tree and the top ten hotspots."""
    solution = as_solution(chain)
    sections = {f"requirements per unit of {node} (by {by})": _GROUPINGS[by](solution, node)}
    category = category or main_category(solution)
    if category is None:
        return sections
    c = category_position(solution, category)
    if solution.H[node_position(solution, node), c] != 0:
        title = f"supply paths by share of {category} (cut off below {cutoff:g})"
        sections[title] = path_tree(solution, node, category, cutoff=cutoff)
        sections[f"hotspots in {category}"] = contributions(solution, node, category).head(10)
    return sections
