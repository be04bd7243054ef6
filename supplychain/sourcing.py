"""Sourcing mixes: which edges share out one consumer's supply, read by one rule.

Only sourcing is a mix: mines supplying anything, and materials supplying a material (the
unknown-origin node of a metal, a refinery's output). A bill of materials (metals in a
board, parts in a device) is not a mix and need not add up to 1. The sourcing inputs of
one consumer, each counted in the consumer's own unit (``t`` of ore into ``kg`` of metal
is converted; an input in another dimension is no share), are its mix: ``validate``
warns when two or more of them do not add up to 1 (within :data:`MIX_TOLERANCE`), and
the Monte Carlo draws the shares of a mix that does add up to 1 together (Dirichlet), so
that they keep adding up to 1.

>>> import numpy as np
>>> share = sourcing_shares(
...     np.array(["mine", "material", "material"]), np.array(["material"] * 3),
...     np.array(["t", "kg", "kg"]), np.array(["kg"] * 3), np.array([0.0003, 0.7, 0.2]),
... )
>>> share.round(6).tolist()
[0.3, 0.7, 0.2]
>>> mix_totals(np.array([5, 5, 5]), share)
(array([5]), array([1.2]), array([3]))
"""

from __future__ import annotations

import numpy as np

from supplychain.errors import SupplyChainError
from supplychain.schema import Kind
from supplychain.units import rate_factor

__all__ = ["MIX_TOLERANCE", "is_sourcing", "sourcing_shares", "mix_totals"]

MIX_TOLERANCE = 0.005
"""How far from 1 the shares of a sourcing mix may add up (rounded published shares)."""


def is_sourcing(supplier_kind: np.ndarray, consumer_kind: np.ndarray) -> np.ndarray:
    """Whether each edge is sourcing: from a mine into anything, or from a material into a
    material."""
    supplier_kind, consumer_kind = np.asarray(supplier_kind), np.asarray(consumer_kind)
    return (supplier_kind == Kind.MINE) | (
        (supplier_kind == Kind.MATERIAL) & (consumer_kind == Kind.MATERIAL)
    )


def sourcing_shares(
    supplier_kind: np.ndarray,
    consumer_kind: np.ndarray,
    supplier_unit: np.ndarray,
    consumer_unit: np.ndarray,
    amount: np.ndarray,
) -> np.ndarray:
    """The share of its consumer's unit that each sourcing edge brings (dimensionless);
    NaN for an edge that is not sourcing, is a credit (negative) or whose units do not
    convert.

    ``amount`` is the converted amount of each edge: supplier units per consumer unit.
    """
    amount = np.asarray(amount, dtype=float)
    share = np.full(len(amount), np.nan)
    # a credit (a negative amount) is no share of a supply
    sourcing = is_sourcing(supplier_kind, consumer_kind) & np.isfinite(amount) & (amount >= 0)
    if not sourcing.any():
        return share
    pairs = np.char.add(
        np.char.add(np.asarray(supplier_unit, dtype=str)[sourcing], "\x1f"),
        np.asarray(consumer_unit, dtype=str)[sourcing],
    )
    distinct, pair_of_edge = np.unique(pairs, return_inverse=True)
    factors = np.array([_factor(*pair.split("\x1f")) for pair in distinct])
    share[sourcing] = amount[sourcing] * factors[pair_of_edge]
    return share


def mix_totals(
    consumer: np.ndarray, share: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each consumer that has sourcing inputs, the sum of their shares and their count
    (edges with a NaN share left out), consumers in increasing order."""
    counted = np.isfinite(share)
    consumers, group = np.unique(np.asarray(consumer)[counted], return_inverse=True)
    totals = np.bincount(group, weights=share[counted], minlength=len(consumers))
    return consumers, totals, np.bincount(group, minlength=len(consumers))


def _factor(supplier_unit: str, consumer_unit: str) -> float:
    """How many consumer units one supplier unit is; NaN if they do not convert."""
    try:
        return rate_factor(supplier_unit, consumer_unit, consumer_unit)
    except SupplyChainError:  # another dimension: not part of a mix
        return np.nan
