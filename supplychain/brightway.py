"""Brightway: a graph as a Brightway database, and a Brightway activity's supply chain as a
graph (the optional extra ``supplychain[brightway]``: bw2data and bw2calc).

:func:`to_brightway` writes, into the current (or a named) Brightway project:

* a database of one activity per node (its ``unit``, its country as ``location``, ``GLO``
  where it has none), with a production exchange of 1 and a technosphere exchange per
  edge into it (the converted amount: supplier units per unit of the node; a credit is a
  negative amount, as Brightway takes it);
* a biosphere database ``<database> biosphere`` of one flow per impact category, and a
  biosphere exchange per direct impact (the converted value);
* a method ``("supplychain", <database>, <category>)`` per category, characterising its
  flow by 1, in the category's unit.

So ``bw2calc`` scores every node and category as :func:`supplychain.propagate.totals` does,
to the precision at which bw2data stores an exchange (32-bit floats: about 1e-7 of a
figure). :func:`to_datapackages` gives bw2calc the same matrices at full precision (64-bit
``bw_processing`` data packages, no project needed), and its scores agree with ours to
1e-9 and better.
Each activity and exchange also keeps what Brightway has no field for (kind,
transparency, source, uncertainty text, note) under ``supplychain_*`` keys, so
:func:`from_brightway` reads the database back as the same graph. From any other database
(ecoinvent imported with bw2io, say) :func:`from_brightway` reads an activity's supply
chain: every activity upstream of it, the kind given by its unit (mass: ``material``,
energy: ``energy``, else ``component``; Brightway has no kinds), direct impacts from the
biosphere exchanges characterised by the methods asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from supplychain.errors import OutputExistsError, SupplyChainError, UnitError
from supplychain.io import graph_tables
from supplychain.model import SupplyChain
from supplychain.tables import from_tables
from supplychain.units import parse_unit

__all__ = ["to_brightway", "from_brightway", "method_key", "to_datapackages"]

_KEEP_NODE = (
    "kind",
    "name",
    "transparency",
    "source",
    "note",
    "operator",
    "facility_id",
    "location",
)
_KEEP_EDGE = ("uncertainty", "transparency", "source_ref", "note", "unit", "amount")
_KEEP_IMPACT = ("uncertainty", "transparency", "source", "note", "unit", "value")


def _bw():
    """bw2data, or a clear error naming the extra that installs it."""
    try:
        import bw2data  # noqa: PLC0415
    except ImportError:
        raise SupplyChainError(
            "Brightway is not installed: pip install 'supplychain[brightway]' (bw2data, bw2calc)"
        ) from None
    return bw2data


def method_key(database: str, category: str) -> tuple[str, str, str]:
    """The Brightway method of a category of a graph written as ``database``.

    >>> method_key("ai-inference", "gwp")
    ('supplychain', 'ai-inference', 'gwp')
    """
    return ("supplychain", database, category)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def to_brightway(
    chain: SupplyChain, database: str, project: str | None = None, overwrite: bool = False
) -> None:
    """Write ``chain`` as the Brightway database ``database`` (and its biosphere and
    methods, see the module docstring), in ``project`` (default: the current one).

    Raises
    ------
    OutputExistsError
        If the database exists and ``overwrite`` is false.
    SupplyChainError
        If Brightway is not installed.
    """
    bd = _bw()
    if not database.strip():
        raise SupplyChainError("name the Brightway database to write (-o NAME)")
    if project is not None:
        bd.projects.set_current(project)
    biosphere = f"{database} biosphere"
    for name in (database, biosphere):
        if name in bd.databases and not overwrite:
            raise OutputExistsError(
                f"Brightway database {name!r} exists in project {bd.projects.current!r};"
                " name another or pass --overwrite"
            )
    categories = chain.categories.set_index("id")
    used = list(dict.fromkeys(chain.impacts["category"]))
    bd.Database(biosphere).write(
        {
            (biosphere, c): {
                "name": str(categories.loc[c, "name"]),
                "unit": str(categories.loc[c, "unit"]),
                "type": "emission",
                "categories": ("supplychain",),
                "supplychain_category": c,
            }
            for c in used
        }
    )
    inputs: dict[str, list[dict]] = {node: [] for node in chain.nodes["id"]}
    for row, edge in enumerate(chain.edges.itertuples(index=False)):
        inputs[edge.target].append(
            {
                "supplychain_row": row,
                "input": (database, edge.source),
                "amount": float(edge.converted_amount),
                "supplychain_converted": float(edge.converted_amount),
                "type": "technosphere",
                **{f"supplychain_{k}": _text(getattr(edge, k)) for k in _KEEP_EDGE},
            }
        )
    for row, impact in enumerate(chain.impacts.itertuples(index=False)):
        inputs[impact.node].append(
            {
                "supplychain_row": row,
                "input": (biosphere, impact.category),
                "amount": float(impact.converted_value),
                "supplychain_converted": float(impact.converted_value),
                "type": "biosphere",
                **{f"supplychain_{k}": _text(getattr(impact, k)) for k in _KEEP_IMPACT},
            }
        )
    activities = {}
    for row, node in enumerate(chain.nodes.to_dict("records")):
        key = (database, node["id"])
        activities[key] = {
            "supplychain_row": row,
            "name": _text(node["name"]) or node["id"],
            "unit": node["unit"],
            "location": _text(node["country"]) or "GLO",
            "reference product": _text(node["name"]) or node["id"],
            "type": "process",
            "exchanges": [{"input": key, "amount": 1.0, "type": "production"}] + inputs[node["id"]],
            **{f"supplychain_{k}": _text(node.get(k)) for k in _KEEP_NODE},
            "supplychain_lat": _number(node.get("lat")),
            "supplychain_lon": _number(node.get("lon")),
        }
    bd.Database(database).write(activities)
    kept = {
        table: [
            {k: _text(v) for k, v in row.items()}
            for row in graph_tables(chain)[table].to_dict("records")
        ]
        for table in ("social", "sources", "categories")
    }
    bd.databases[database] = {**bd.databases[database], "supplychain_tables": kept}
    bd.databases.flush()
    for c in used:
        method = bd.Method(method_key(database, c))
        if method.name in bd.methods:
            method.deregister()
        method.register(
            unit=str(categories.loc[c, "unit"]), description=str(categories.loc[c, "name"])
        )
        method.write([((biosphere, c), 1.0)])


def _number(value: object) -> float | None:
    """A coordinate as Brightway stores it: a float, or None for none."""
    return None if value is None or value != value else float(value)


def to_datapackages(chain: SupplyChain):
    """The graph as ``bw_processing`` data packages that ``bw2calc.LCA`` takes as
    ``data_objs``, at full (64-bit) precision: ``(inventory, methods, ids)``, where
    ``inventory`` holds the technosphere (a production of 1 per node, an input per edge)
    and biosphere (a flow per category) matrices, ``methods`` a characterisation package
    per category, and ``ids`` the integer id of each node (for the demand).

    Example (needs bw2calc): ``bw2calc.LCA({ids["image-generation"]: 1},
    data_objs=[inventory, methods["gwp"]])``, then ``lci()``, ``lcia()``, ``score``.
    """
    import numpy as np  # noqa: PLC0415

    try:
        import bw_processing as bwp  # noqa: PLC0415
    except ImportError:
        raise SupplyChainError(
            "Brightway is not installed: pip install 'supplychain[brightway]' (bw2data, bw2calc)"
        ) from None
    ids = {node: position + 1 for position, node in enumerate(chain.nodes["id"])}
    categories = list(dict.fromkeys(chain.impacts["category"]))
    flows = {c: len(ids) + 1 + k for k, c in enumerate(categories)}
    n = len(ids)
    production = np.array([(i, i) for i in ids.values()], dtype=bwp.INDICES_DTYPE)
    inputs = np.array(
        list(zip(chain.edges["source"].map(ids), chain.edges["target"].map(ids), strict=True)),
        dtype=bwp.INDICES_DTYPE,
    )
    inventory = bwp.create_datapackage()
    inventory.add_persistent_vector(
        matrix="technosphere_matrix",
        name="technosphere",
        indices_array=np.concatenate([production, inputs]),
        data_array=np.concatenate(
            [np.ones(n), chain.edges["converted_amount"].to_numpy(dtype=float)]
        ),
        flip_array=np.concatenate([np.zeros(n, dtype=bool), np.ones(len(inputs), dtype=bool)]),
    )
    inventory.add_persistent_vector(
        matrix="biosphere_matrix",
        name="biosphere",
        indices_array=np.array(
            list(
                zip(
                    chain.impacts["category"].map(flows),
                    chain.impacts["node"].map(ids),
                    strict=True,
                )
            ),
            dtype=bwp.INDICES_DTYPE,
        ),
        data_array=chain.impacts["converted_value"].to_numpy(dtype=float),
    )
    methods = {}
    for category, flow in flows.items():
        package = bwp.create_datapackage()
        package.add_persistent_vector(
            matrix="characterization_matrix",
            name=f"characterisation {category}",
            indices_array=np.array([(flow, flow)], dtype=bwp.INDICES_DTYPE),
            data_array=np.array([1.0]),
        )
        methods[category] = package
    return inventory, methods, ids


BRIGHTWAY_UNITS = {
    "kilogram": "kg",
    "gram": "g",
    "ton": "t",
    "metric ton": "t",
    "kilowatt hour": "kWh",
    "megajoule": "MJ",
    "kilojoule": "kJ",
    "cubic meter": "m3",
    "square meter": "m2",
    "square meter-year": "m2a",
    "meter": "m",
    "kilometer": "km",
    "litre": "L",
    "liter": "L",
    "hour": "hour",
    "unit": "item",
    "ton kilometer": "tkm",
    "kg CO2-Eq": "kg CO2e",
    "kg CO2-eq": "kg CO2e",
    "kg CO2 eq": "kg CO2e",
    "kg CO2eq": "kg CO2e",
    "kg Sb-Eq": "kg Sb-eq",
    "MJ-Eq": "MJ",
    "m3 world-Eq": "m3 world-eq",
    "m3 world eq. deprived": "m3 world-eq",
}
"""Unit names of Brightway databases (ecoinvent's, as bw2io imports them, and common
method units) and the symbols they are here; other names are used as given."""


def _unit(name: str, what: str) -> str:
    """A Brightway unit as a symbol known here, or a clear error naming ``what`` has it."""
    symbol = BRIGHTWAY_UNITS.get(name.strip(), name.strip())
    try:
        parse_unit(symbol)
    except UnitError as error:
        raise SupplyChainError(
            f"{what} has the unit {name!r}, which is not known here ({error}); add it to"
            " supplychain.brightway.BRIGHTWAY_UNITS or fix it in Brightway"
        ) from None
    return symbol


def _kind_by_unit(unit: str) -> str:
    """A kind for an activity of another database, by the dimension of its unit."""
    try:
        dimension = parse_unit(unit).dimension
    except UnitError:
        return "component"
    return {"mass": "material", "energy": "energy"}.get(dimension, "component")


def from_brightway(
    database: str,
    activity: str | None = None,
    methods: Sequence[tuple[str, ...]] = (),
    project: str | None = None,
) -> SupplyChain:
    """The supply chain of the activity with code ``activity`` of ``database`` (every
    activity upstream of it, through any database), or the whole ``database``, as a
    validated graph named after the database.

    A database written by :func:`to_brightway` reads back as the graph it was. Of any
    other, direct impacts are each biosphere exchange characterised by ``methods`` (a
    category per method, named by its parts joined with ``_`` in lower case, in the
    method's unit), and
    every figure is ``published`` with the database as its source.

    Raises
    ------
    SupplyChainError
        If Brightway is not installed, the database or activity does not exist, or an
        exchange has no production amount to scale by.
    """
    bd = _bw()
    if project is not None:
        if project not in bd.projects:
            names = ", ".join(sorted(p.name for p in bd.projects))
            raise SupplyChainError(f"no Brightway project {project!r} (projects: {names})")
        bd.projects.set_current(project)
    for method in methods:
        if tuple(method) not in bd.methods:
            close = [m for m in bd.methods if method and m[0] == method[0]][:3]
            hint = f"; of {method[0]!r}: {', '.join(map(str, close))}" if close else ""
            raise SupplyChainError(f"no Brightway method {tuple(method)!r}{hint}")
    if database not in bd.databases:
        raise SupplyChainError(
            f"no Brightway database {database!r} in project {bd.projects.current!r}"
            f" (it has: {', '.join(sorted(bd.databases)) or 'none'})"
        )
    if activity is not None:
        try:
            start = [bd.Database(database).get(activity)]
        except Exception:  # bw2data raises its own UnknownObject; name it plainly
            raise SupplyChainError(f"no activity {activity!r} in database {database!r}") from None
    else:
        start = list(bd.Database(database))
    source_id = f"brightway-{re.sub(r'[^a-z0-9]+', '-', database.lower()).strip('-')}"

    def node_id(key: tuple[str, str]) -> str:
        return key[1] if key[0] == database else f"{key[0]}/{key[1]}"

    seen, todo, activities = set(), list(start), []
    while todo:
        act = todo.pop()
        if act.key in seen:
            continue
        seen.add(act.key)
        activities.append(act)
        for exchange in act.technosphere():
            todo.append(exchange.input)
    factors = {
        method: {bd.get_activity(flow).key if not isinstance(flow, tuple) else flow: cf
                 for flow, cf in (row[:2] for row in bd.Method(method).load())}
        for method in methods
    }  # fmt: skip
    nodes, edges, impacts, categories = [], [], [], {}
    for act in activities:
        own = act.get("supplychain_kind")
        production = [e["amount"] for e in act.production()] or [1.0]
        if len(production) != 1 or production[0] == 0:
            raise SupplyChainError(
                f"activity {act.key} has {len(production)} production exchanges or one of 0:"
                " a node makes one product"
            )
        per = float(production[0])
        nodes.append(
            {
                **({"_row": act["supplychain_row"]} if "supplychain_row" in act else {}),
                "id": node_id(act.key),
                "kind": own or _kind_by_unit(_unit(act.get("unit") or "unit", str(act.key))),
                "unit": act.get("unit") if own else _unit(act.get("unit") or "unit", str(act.key)),
                "name": act.get("name", ""),
                "country": "" if act.get("location") in (None, "GLO") else act.get("location"),
                "lat": act.get("supplychain_lat"),
                "lon": act.get("supplychain_lon"),
                **(
                    {k: act.get(f"supplychain_{k}", "") for k in _KEEP_NODE if k != "kind"}
                    if own
                    else {"transparency": "published", "source": source_id,
                          "note": f"Brightway {act.key}; kind from its unit."}
                ),
            }
        )  # fmt: skip
        for exchange in [*act.technosphere(), *act.substitution()]:
            kept = exchange.get("supplychain_amount")
            sign = -1.0 if exchange["type"] == "substitution" else 1.0  # an avoided product
            if kept not in (None, "") and not _same(exchange["amount"], exchange):
                kept = None  # changed in Brightway after export: its amount, not ours
            edges.append(
                {**({"_row": exchange["supplychain_row"]} if "supplychain_row" in exchange
                    else {}),
                 "source": node_id(exchange.input.key), "target": node_id(act.key),
                 **({k: exchange.get(f"supplychain_{k}", "") for k in _KEEP_EDGE}
                    if kept not in (None, "")
                    else {"amount": sign * exchange["amount"] / per, "transparency": "published",
                          "source_ref": source_id})}
            )  # fmt: skip
        for exchange in act.biosphere():
            if exchange.get("supplychain_value") not in (None, "") and _same(
                exchange["amount"], exchange
            ):
                flow = exchange.input
                impacts.append(
                    {"_row": exchange["supplychain_row"],
                     "node": node_id(act.key), "category": flow["supplychain_category"],
                     **{k: exchange.get(f"supplychain_{k}", "") for k in _KEEP_IMPACT}}
                )  # fmt: skip
                continue
            if exchange.get("supplychain_value") not in (None, ""):  # edited in Brightway
                impacts.append(
                    {"_row": exchange["supplychain_row"],
                     "node": node_id(act.key), "category": exchange.input["supplychain_category"],
                     "value": exchange["amount"] / per, "transparency": "estimated",
                     "source": source_id, "note": "Changed in Brightway after export."}
                )  # fmt: skip
                continue
            node_unit = _unit(act.get("unit") or "unit", str(act.key))
            for method, cfs in factors.items():
                cf = cfs.get(exchange.input.key)
                if cf is None:
                    continue
                category = _category_id(method)
                categories[category] = _unit(
                    bd.methods[method].get("unit", "") or "item", f"method {method}"
                )
                impacts.append(
                    {"node": node_id(act.key), "category": category,
                     "value": exchange["amount"] * float(cf) / per,
                     "unit": f"{categories[category]}/{node_unit}",
                     "transparency": "published", "source": source_id}
                )  # fmt: skip
    impacts = _summed(impacts)
    edges = _net(edges)
    for rows in (nodes, edges, impacts):  # a database of ours: in the graph's own order
        if rows and all("_row" in r for r in rows):
            rows.sort(key=lambda r: r["_row"])
        for r in rows:
            r.pop("_row", None)
    kept = bd.databases[database].get("supplychain_tables", {})
    tables = {
        "nodes": nodes,
        "edges": edges,
        "impacts": impacts,
        "social": kept.get("social", []),
        "sources": kept.get("sources", [])
        + [{"id": source_id, "title": f"Brightway database {database}",
            "transparency": "published"}],
        "categories": kept.get("categories", [])
        + [{"id": c, "name": c, "unit": u} for c, u in categories.items()],
    }  # fmt: skip
    return from_tables(database, **tables)


def _same(amount: float, exchange) -> bool:
    """Whether an exchange still has the amount exported with it (not changed since)."""
    written = exchange.get("supplychain_converted")
    if written is None:
        return True
    return abs(float(amount) - float(written)) <= 1e-12 * max(abs(float(written)), 1e-300)


def _category_id(method: tuple[str, ...]) -> str:
    """A category id for a Brightway method: its parts, lower case, joined by ``_``.

    >>> _category_id(("IPCC 2021", "GWP100"))
    'ipcc_2021_gwp100'
    """
    text = re.sub(r"[^a-z0-9]+", "_", "_".join(method).lower()).strip("_")
    return text if text[:1].isalpha() else f"m_{text}"


def _net(edges: list[dict]) -> list[dict]:
    """One edge per supplier and consumer: Brightway may give two exchanges (an input and
    a substitution of the same product), which add up to one net amount."""
    seen: dict[tuple[str, str], dict] = {}
    for edge in edges:
        key = (edge["source"], edge["target"])
        if key in seen:
            first = seen[key]
            first["amount"] = float(first["amount"]) + float(edge["amount"])
            first["note"] = "Several Brightway exchanges of this product, added up."
        else:
            seen[key] = dict(edge)
    return list(seen.values())


def _summed(impacts: list[dict]) -> list[dict]:
    """One row per node and category: several flows characterised into one category add up."""
    if not impacts:
        return impacts
    frame = pd.DataFrame(impacts)
    keyed = frame.duplicated(["node", "category"], keep=False)
    if not keyed.any():
        return impacts
    first = frame.drop_duplicates(["node", "category"]).set_index(["node", "category"])
    first["value"] = frame.groupby(["node", "category"])["value"].sum()
    return first.reset_index().to_dict("records")
