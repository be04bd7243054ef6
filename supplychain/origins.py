"""Where one node's mined material comes from, by country, for the page's map.

The mined mass per unit of the node by country is :func:`supplychain.trace.requirements_by_country`
summed over the materials (the numbers of ``trace --by country``); each country is coloured
by the worst known social level of its mines upstream of the node, and named mines with a
latitude and longitude are points of their own.

>>> from supplychain.tables import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "ore", "kind": "mine", "unit": "kg", "country": "COD"},
...            {"id": "metal", "kind": "material", "unit": "kg"}],
...     edges=[{"source": "ore", "target": "metal", "amount": 1.0}],
...     social=[{"node": "ore", "indicator": "child_labour", "level": "high"}])
>>> found = origins(chain, "metal")
>>> row = found["countries"][0]
>>> row["country"], row["numeric"], row["mined"], row["worst"], row["indicator"]
('COD', '180', 1.0, 'high', 'child_labour')
"""

from __future__ import annotations

from supplychain.model import SupplyChain
from supplychain.propagate import Solution, as_solution
from supplychain.reference import read_table
from supplychain.social import KNOWN_LEVELS, mined_mass
from supplychain.trace import UNKNOWN_COUNTRY, gross_requirement_vector, requirements_by_country

__all__ = ["origins"]


def origins(chain: SupplyChain | Solution, node: str) -> dict:
    """The origins of ``node``'s mined material.

    Returns
    -------
    dict
        ``node``, ``unit`` (``kg``), ``per`` (the node's unit), ``countries``: one per
        country (``country`` alpha-3, ``numeric`` ISO code, ``name``, ``mined`` kg per unit
        of the node, ``share`` of all mined mass with a country, ``worst`` social level of
        its mines upstream or ``unknown``, and that level's ``indicator``), ``unknown``:
        the kg from mines of no country, ``mines``: named mines with coordinates
        (``id``, ``name``, ``lat``, ``lon``, ``mined``).
    """
    solution = as_solution(chain)
    nodes = solution.chain.nodes
    by_country = requirements_by_country(solution, node)
    mined = by_country.groupby("country")["amount"].sum()
    unknown = float(mined.get(UNKNOWN_COUNTRY, 0.0))
    mined = mined.drop(UNKNOWN_COUNTRY, errors="ignore")
    total = float(mined.sum())
    iso = read_table("iso3166").set_index("alpha3")
    x = gross_requirement_vector(solution, node)
    upstream = set(nodes["id"].to_numpy()[x > 0])
    social = solution.chain.social
    mines = nodes[(nodes["kind"] == "mine") & nodes["id"].isin(upstream)]
    country_of = dict(zip(mines["id"], mines["country"].str.upper(), strict=True))
    rank = {level: i for i, level in enumerate(KNOWN_LEVELS)}
    worst: dict[str, tuple[int, str, str]] = {}
    for row in social[social["node"].isin(country_of)].itertuples(index=False):
        if row.level not in rank:
            continue
        place = country_of[row.node]
        if place not in worst or rank[row.level] > worst[place][0]:
            worst[place] = (rank[row.level], row.level, row.indicator)
    countries = []
    for country, kilograms in mined.sort_values(ascending=False).items():
        code = str(country).upper()
        level = worst.get(code)
        countries.append(
            {
                "country": code,
                "numeric": str(iso["numeric"].get(code, "")),
                "name": str(iso["name"].get(code, code)),
                "mined": float(kilograms),
                "share": float(kilograms) / total if total > 0 else 0.0,
                "worst": level[1] if level else "unknown",
                "indicator": level[2] if level else "",
            }
        )
    located = mines[mines["lat"].notna() & mines["lon"].notna()]
    position = {n: i for i, n in enumerate(nodes["id"])}
    mass = mined_mass(solution)
    points = [
        {
            "id": row.id,
            "name": row.name or row.id,
            "lat": float(row.lat),
            "lon": float(row.lon),
            "mined": float(x[position[row.id]] * mass[position[row.id]]),
        }
        for row in located.itertuples(index=False)
    ]
    return {
        "node": node,
        "unit": "kg",
        "per": str(nodes.set_index("id").loc[node, "unit"]),
        "countries": countries,
        "unknown": unknown,
        "mines": points,
    }
