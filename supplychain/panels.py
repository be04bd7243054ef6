"""What the page's panel shows of each node: totals with P5-P95, social levels upstream,
direct impacts and social entries with their sources, cited as ``title (year) [id]``.

>>> from supplychain.io import load
>>> from supplychain.propagate import solve_chain
>>> panel = node_details(solve_chain(load("example")), np.array(["cobalt-mining-cod"]), None, 0, 0)
>>> panel["cobalt-mining-cod"]["direct"][0]["value"]  # kg CO2e per kg of cobalt
8.3
>>> panel["cobalt-mining-cod"]["sources"]
['Mineral Commodity Summaries 2026: Cobalt (2026) [usgs-mcs2026-cobalt]']
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from supplychain.citations import split_ids
from supplychain.propagate import totals
from supplychain.social import worst_levels
from supplychain.sourcing import sourcing_shares
from supplychain.uncertainty import monte_carlo, uncertainty_summary

__all__ = ["node_details"]


def node_details(
    solution, shown: np.ndarray, category: str | None, samples: int, seed: int, run=None
) -> dict:
    """The panel's fields of every shown node (``run``: a Monte Carlo run to reuse)."""
    chain = solution.chain
    found = totals(solution)
    found = found[found["node"].isin(shown)]
    if samples and len(shown):
        mc = run if run is not None else monte_carlo(chain, samples, seed, nodes=list(shown))
        spread = uncertainty_summary(mc, solution=solution)
        found = found.merge(
            spread[["node", "category", "p5", "p95"]], on=["node", "category"], how="left"
        )
    else:
        found = found.assign(p5=np.nan, p95=np.nan)
    by_node = {node: group for node, group in found.groupby("node", sort=False)}
    social = worst_levels(chain)
    social_levels = {
        node: [
            {"indicator": indicator, "level": level}
            for indicator, level in zip(social.columns, row, strict=True)
            if level != "unknown"
        ]
        for node, row in zip(shown, social.loc[list(shown)].to_numpy(), strict=True)
    }
    titles = dict(zip(chain.sources["id"], chain.sources["title"], strict=True))
    years = dict(zip(chain.sources["id"], chain.sources["year"], strict=True))
    wanted = set(shown)
    category_units = dict(zip(chain.categories["id"], chain.categories["unit"], strict=True))
    node_units = dict(zip(chain.nodes["id"], chain.nodes["unit"], strict=True))
    direct: dict[str, list] = {}
    for r in chain.impacts[chain.impacts["node"].isin(wanted)].itertuples(index=False):
        direct.setdefault(r.node, []).append(
            {
                "category": r.category,
                "value": _number(r.converted_value),
                # the converted value is in the category's unit per the node's unit
                "unit": f"{category_units.get(r.category, '')} per {node_units.get(r.node, '')}",
                "transparency": r.transparency,
                "source": _cite(r.source, titles, years),
            }
        )
    own_social: dict[str, list] = {}
    for r in chain.social[chain.social["node"].isin(wanted)].itertuples(index=False):
        own_social.setdefault(r.node, []).append(
            {
                "indicator": r.indicator,
                "level": r.level,
                "source": _cite(r.source, titles, years),
            }
        )
    suppliers = _suppliers(chain, wanted)
    nodes = chain.nodes[chain.nodes["id"].isin(wanted)]
    details = {}
    for entry in nodes.itertuples(index=False):
        node = entry.id
        rows = by_node.get(node)
        details[str(node)] = {
            "id": str(node),
            "name": str(entry.name),
            "kind": str(entry.kind),
            "unit": str(entry.unit),
            "country": str(entry.country),
            "transparency": str(entry.transparency),
            "operator": str(entry.operator),
            "facility_id": str(entry.facility_id),
            "suppliers": suppliers.get(node, []),
            "note": str(entry.note),
            "sources": [_cite(s, titles, years) for s in split_ids(entry.source)],
            "totals": []
            if rows is None
            else [
                {
                    "category": r.category,
                    "value": _number(r.value),
                    "p5": _number(r.p5),
                    "p95": _number(r.p95),
                    "unit": f"{r.unit} per {r.per}",
                    "opacity": _number(r.opacity),
                }
                for r in rows.itertuples(index=False)
                if pd.notna(r.value) and (r.value != 0 or (pd.notna(r.p95) and r.p95 != 0))
            ],
            "direct": direct.get(node, []),
            "social": social_levels.get(node, []),
            "own_social": own_social.get(node, []),
        }
    return details


def _suppliers(chain, wanted: set) -> dict[str, list]:
    """Where each of ``wanted`` comes from: its inputs, largest first, with the amount in
    the supplier's unit per unit of the node and, for a sourcing mix, each input's share."""
    units = dict(zip(chain.nodes["id"], chain.nodes["unit"], strict=True))
    kinds = dict(zip(chain.nodes["id"], chain.nodes["kind"], strict=True))
    edges = chain.edges[chain.edges["target"].isin(wanted)]
    share = sourcing_shares(
        edges["source"].map(kinds).to_numpy(),
        edges["target"].map(kinds).to_numpy(),
        edges["source"].map(units).to_numpy(),
        edges["target"].map(units).to_numpy(),
        edges["converted_amount"].to_numpy(dtype=float),
    )
    found: dict[str, list] = {}
    for row, mix_share in zip(edges.itertuples(index=False), share, strict=True):
        found.setdefault(row.target, []).append(
            {
                "id": row.source,
                "amount": _number(row.converted_amount),
                "unit": f"{units[row.source]} per {units[row.target]}",
                "share": None if mix_share != mix_share else _number(mix_share),
                "transparency": row.transparency,
            }
        )
    for inputs in found.values():
        inputs.sort(key=lambda i: -(i["share"] if i["share"] is not None else -1))
    return found


def _cite(sources: str, titles: dict, years: dict) -> str:
    """Each source id of the cell ``sources`` as ``title (year) [id]``, joined by ``; ``
    (an empty cell: empty)."""
    return "; ".join(_reference(source, titles, years) for source in split_ids(sources))


def _reference(source: str, titles: dict, years: dict) -> str:
    year = years.get(source)
    when = f" ({int(year)})" if year is not None and pd.notna(year) else ""
    return f"{titles.get(source, source)}{when} [{source}]"


def _number(value: object) -> float | None:
    return (
        None
        if value is None or (isinstance(value, float) and not math.isfinite(value))
        else float(value)
    )
