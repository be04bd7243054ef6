"""The flows of mined mass into one node, for the page's Sankey view.

Each edge ``u -> v`` upstream of the node carries ``x[v] * a[u, v] * m[u]`` kilograms of
mined material per unit of the node, where ``x`` is the node's requirement along positive
flows and ``m`` the mined mass per unit of each supplier (:func:`supplychain.social.mined_mass`):
the links into the node add up to its mined mass, and every other node passes on what it
receives. Credits carry no mined mass and are not drawn. Edges inside a loop are left out
(a Sankey draws no cycle) and counted, so the page can say so. Where more than
``group_over`` mines feed the node, the mines of one country are one box.

>>> from supplychain.tables import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "ore-a", "kind": "mine", "unit": "kg", "country": "COD"},
...            {"id": "ore-b", "kind": "mine", "unit": "kg", "country": "RWA"},
...            {"id": "metal", "kind": "material", "unit": "kg"},
...            {"id": "part", "kind": "component", "unit": "item"}],
...     edges=[{"source": "ore-a", "target": "metal", "amount": 0.75},
...            {"source": "ore-b", "target": "metal", "amount": 0.25},
...            {"source": "metal", "target": "part", "amount": 0.002}])
>>> flows = mass_flows(chain, "part")
>>> [(link["source"], link["target"], round(link["value"], 6)) for link in flows["links"]]
[('ore-a', 'metal', 0.0015), ('ore-b', 'metal', 0.0005), ('metal', 'part', 0.002)]
>>> flows["total"]
0.002
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import connected_components

from supplychain.model import SupplyChain
from supplychain.propagate import Solution, as_solution, node_position
from supplychain.social import mined_mass
from supplychain.text import short_label
from supplychain.trace import gross_requirement_vector

__all__ = ["mass_flows", "GROUP_MINES_OVER"]

GROUP_MINES_OVER = 30
"""More mines than this feeding a node: the Sankey groups them by country."""


def mass_flows(
    chain: SupplyChain | Solution, node: str, group_over: int = GROUP_MINES_OVER
) -> dict:
    """The Sankey of mined mass into ``node`` (see the module docstring).

    Returns
    -------
    dict
        ``node``, ``total`` (kg of mined material per unit of it), ``unit`` (``kg``),
        ``per`` (its unit), ``nodes`` (``id``, ``name``, ``kind``, ``country``),
        ``links`` (``source``, ``target``, ``value`` in kg per unit of ``node``,
        ``transparency`` of the edge), ``grouped`` (whether mines are grouped by country)
        and ``loop_edges`` (edges inside loops, left out).
    """
    solution = as_solution(chain)
    chain_ = solution.chain
    m = solution.matrices
    target = node_position(solution, node)
    x = gross_requirement_vector(solution, node)
    mass = mined_mass(solution)
    value = x[m.edge_consumer] * m.edge_amount * mass[m.edge_supplier]
    keep = (value > 0) & (m.edge_amount > 0) & (x[m.edge_consumer] > 0)
    n = len(m.nodes)
    _, component = connected_components(
        _adjacency(m.edge_supplier[keep], m.edge_consumer[keep], n),
        directed=True,
        connection="strong",
    )
    in_loop = component[m.edge_supplier] == component[m.edge_consumer]
    loop_edges = int((keep & in_loop).sum())
    keep &= ~in_loop
    nodes = chain_.nodes
    kinds = nodes["kind"].to_numpy()
    ids = nodes["id"].to_numpy().astype(object)
    box = ids.copy()
    mines = np.unique(m.edge_supplier[keep & (kinds[m.edge_supplier] == "mine")])
    grouped = len(mines) > group_over
    countries = nodes["country"].to_numpy()
    if grouped:
        for mine in mines:
            box[mine] = f"mines {countries[mine] or '(unknown country)'}"
    levels = chain_.edges["transparency"].to_numpy()
    links: dict[tuple[str, str], dict] = {}
    for e in np.flatnonzero(keep):
        key = (box[m.edge_supplier[e]], box[m.edge_consumer[e]])
        link = links.setdefault(
            key, {"source": key[0], "target": key[1], "value": 0.0, "transparency": levels[e]}
        )
        link["value"] += float(value[e])
        if _worse(levels[e], link["transparency"]):
            link["transparency"] = levels[e]  # a box of mines: its least transparent edge
    used = {b for key in links for b in key} | {ids[target]}
    names = nodes["name"].to_numpy()
    shown = []
    for position in np.flatnonzero(np.isin(box, list(used))):
        if box[position] != ids[position]:
            continue
        shown.append(
            {"id": ids[position], "name": names[position] or ids[position],
             "short": short_label(names[position] or ids[position], 24),
             "kind": kinds[position], "country": countries[position]}
        )  # fmt: skip
    for group in sorted({b for b in used if str(b).startswith("mines ")}):
        shown.append(
            {"id": group, "name": group, "short": group, "kind": "mine", "country": group[6:]}
        )
    return {
        "node": node,
        "total": float(mass[target]),
        "unit": "kg",
        "per": nodes["unit"].iloc[target],
        "nodes": shown,
        "links": list(links.values()),
        "grouped": grouped,
        "loop_edges": loop_edges,
    }


_ORDER = ["disclosed", "published", "estimated", "missing"]


def _worse(level: str, than: str) -> bool:
    return _ORDER.index(level) > _ORDER.index(than) if than in _ORDER else True


def _adjacency(suppliers: np.ndarray, consumers: np.ndarray, n: int):
    import scipy.sparse as sp  # noqa: PLC0415

    data = np.ones(len(suppliers))
    return sp.csr_array(sp.coo_array((data, (suppliers, consumers)), shape=(n, n)))
