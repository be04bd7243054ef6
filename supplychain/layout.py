"""Where each node of the page stands: columns upstream to downstream, order within them.

Columns follow the kinds (mines, materials, components, devices, services), energy half a
column before its first consumer; within a column, nodes are ordered by their neighbours
(barycentre sweeps, ties by id), so the same graph always gives the same picture. A
column taller than :data:`MAX_ROWS` wraps into side-by-side sub-columns.

>>> from supplychain.io import load
>>> chain = load("example")
>>> x, y = node_positions(chain, np.arange(len(chain.nodes)))
>>> at = dict(zip(chain.nodes["id"], x))
>>> bool(at["cobalt-mining-cod"] < at["cobalt"] < at["gpu-a100"])
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplychain.model import SupplyChain
from supplychain.schema import Kind

__all__ = ["node_columns", "order_in_columns", "node_positions", "MAX_ROWS"]

_COLUMN = {"mine": 0, "material": 1, "component": 2, "device": 3, "service": 5}
_X_GAP, _Y_GAP = 380.0, 46.0
_SUB_COLUMN_GAP = 150.0  # pixels between the sub-columns of a tall column

MAX_ROWS = 30
"""Most nodes in one column of the page; a longer column wraps into sub-columns."""


def node_columns(chain: SupplyChain) -> np.ndarray:
    """Column of every node: its kind's (services leave a column free for the energy that
    feeds them); energy half a column before its first consumer."""
    kind = chain.nodes["kind"].to_numpy()
    column = np.array([_COLUMN.get(k, np.nan) for k in kind], dtype=float)
    s, c = chain.index.edge_supplier, chain.index.edge_consumer
    energy = np.flatnonzero(kind == Kind.ENERGY)
    for _ in range(len(energy) + 1):  # energy feeding energy: settle from downstream
        before = column.copy()
        for position in energy:
            consumers = c[s == position]
            places = column[consumers] - 0.5
            places = places[np.isfinite(places)]
            column[position] = places.min() if len(places) else 4.5
        if np.array_equal(before, column, equal_nan=True):
            break
    return column


def order_in_columns(
    column: np.ndarray, s: np.ndarray, c: np.ndarray, ids: np.ndarray
) -> np.ndarray:
    """y rank of every node within its column: barycentre sweeps, ties by id (stable)."""
    n = len(column)
    y = np.zeros(n)
    for value in np.unique(column):
        members = np.flatnonzero(column == value)
        y[members[np.argsort(ids[members], kind="stable")]] = np.arange(len(members))
    values = np.unique(column)
    for _ in range(4):
        for sweep in (values[::-1], values):  # downstream first, then upstream
            for value in sweep:
                members = np.flatnonzero(column == value)
                total = np.zeros(n)
                count = np.zeros(n)
                for a, b in ((s, c), (c, s)):  # neighbours on both sides
                    np.add.at(total, a, y[b])
                    np.add.at(count, a, 1)
                centre = np.where(
                    count[members] > 0, total[members] / np.maximum(count[members], 1), y[members]
                )
                order = np.lexsort((ids[members], y[members], centre))
                y[members[order]] = np.arange(len(members))
    return y


def node_positions(chain: SupplyChain, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y (pixels) of the kept nodes.

    A column of more than ``MAX_ROWS`` nodes (the 98 mines of ``ai-inference``) is laid out
    as a grid of side-by-side sub-columns, read row by row in the column's order, so the
    page keeps a readable shape instead of one column thousands of pixels tall.
    """
    column = node_columns(chain)[keep]
    positions = np.full(len(chain.nodes), -1)
    positions[keep] = np.arange(len(keep))
    s, c = chain.index.edge_supplier, chain.index.edge_consumer
    inside = (positions[s] >= 0) & (positions[c] >= 0)
    ids = chain.nodes["id"].to_numpy()[keep]
    rank = order_in_columns(column, positions[s[inside]], positions[c[inside]], ids)
    size = pd.Series(rank).groupby(column).transform("size").to_numpy()
    across = np.ceil(size / MAX_ROWS)  # sub-columns of each node's column
    row, sub = np.divmod(rank, across)
    rows = np.ceil(size / across)
    y_gap = _Y_GAP if rows.max(initial=0) > 30 else 1.6 * _Y_GAP  # room for big dots
    gap = max(_X_GAP, 0.4 * y_gap * float(rows.max(initial=0)))  # keep a wide page wide
    width = pd.Series((across - 1) * _SUB_COLUMN_GAP).groupby(column).max()
    shift = width.cumsum().reindex(column).to_numpy()  # room for the grids up to here
    x = column * gap + shift - (across - 1 - sub) * _SUB_COLUMN_GAP
    return x, (row - (rows - 1) / 2) * y_gap
