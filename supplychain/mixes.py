"""Sourcing mixes written from the production table, so that country mixes come from data.

A material whose supplier is not disclosed is modelled as in DESIGN.md: the material node
takes 1 kg per kg from an explicit **unknown-origin** node (transparency ``missing``), and
that node's prior is the world production mix: one edge per producing country, in the
shares of ``data/mine_production.csv``. Each country is a ``mine`` node (a country
aggregate, not a named mine) that carries the cradle-to-gate impacts of the metal from
``data/metal_impacts.csv``, the listings of ``data/child_forced_labour.csv`` and the
``conflict`` level of ``data/conflict_minerals.csv``.

A user who learns part of the real origin adds an edge from the disclosed supplier into
the material node and lowers the unknown-origin amount by the same share.

Examples
--------
>>> shares = production_shares("cobalt", year=2025, min_share=0.05)
>>> shares[["node", "share"]].round(3)
                  node  share
0    cobalt-mining-cod  0.731
1    cobalt-mining-idn  0.140
2  cobalt-mining-other  0.129
>>> layer = mine_layer(["cobalt"], min_share=0.05)
>>> list(layer["edges"]["target"].unique())
['cobalt-unknown-origin', 'cobalt']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from supplychain.citations import cited_ids, split_ids
from supplychain.defaults import DEFAULT_YEAR
from supplychain.errors import SupplyChainError
from supplychain.reference import read_table
from supplychain.schema import ROW_MODELS

__all__ = [
    "production_shares",
    "mine_layer",
    "mine_node_id",
    "cited_sources",
    "conflict_scope",
    "listing_scope",
    "DEFAULT_YEAR",
]


_SHARE_COLUMNS = [
    "material",
    "node",
    "country",
    "country_name",
    "production",
    "unit",
    "share",
    "source",
    "note",
    "site",
]


def mine_node_id(material: str, country: str) -> str:
    """Id of the country-aggregate mine node of ``material`` (``""`` country: the rest).

    >>> mine_node_id("cobalt", "COD"), mine_node_id("cobalt", "")
    ('cobalt-mining-cod', 'cobalt-mining-other')
    """
    return f"{material}-mining-{country.lower() or 'other'}"


def _production_rows(production: pd.DataFrame, material: str, year: int) -> pd.DataFrame:
    """The country and rest-of-world rows of ``material`` in ``year`` with a production > 0."""
    rows = production[(production["material"] == material) & (production["year"] == year)]
    if rows.empty:
        known = sorted(production["material"].unique())
        raise SupplyChainError(
            f"mine_production.csv has no rows for material {material!r} in {year};"
            f" materials: {', '.join(known)}"
        )
    listed = rows[rows["row_type"].isin(["country", "other"]) & (rows["production"] > 0)]
    if listed.empty:
        raise SupplyChainError(
            f"mine_production.csv gives no production figure for {material!r} in {year}"
            " (the figures are marked missing): no mix can be written from data"
        )
    return listed


def production_shares(
    material: str,
    year: int = DEFAULT_YEAR,
    min_share: float = 0.0,
    production: pd.DataFrame | None = None,
    countries: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Country shares of the world production of ``material`` in ``year``.

    Shares are of the sum of the listed rows (countries plus USGS's "Other countries"),
    so that they add up to exactly 1 (USGS world totals are rounded). Countries below
    ``min_share`` are folded into the rest-of-world row. A named mine of
    ``data/mine_sites.csv`` with a comparable figure for the same year becomes a row of
    its own, carved out of its country's row.

    Parameters
    ----------
    material : str
        A material id of ``data/mine_production.csv`` (``cobalt``, ``rare-earths`` ...).
    year : int
        Production year.
    min_share : float
        Countries with a smaller share join the rest-of-world row (0: keep all).
    production, countries, sites : DataFrame, optional
        The tables to use instead of the shipped ``mine_production``, ``countries`` and
        ``mine_sites``.

    Returns
    -------
    DataFrame
        ``material, node, country, country_name, production, unit, share, source, note,
        site``: one row per named mine and per country (largest share first), then the
        rest of the world (country ``""``) if any; ``production`` in ``unit`` (e.g. t of
        metal content); ``share`` a fraction (sums to 1); ``site`` true for a named mine.

    Raises
    ------
    SupplyChainError
        If the table has no production figure for the material and year.
    """
    production = read_table("mine_production") if production is None else production
    countries = read_table("countries") if countries is None else countries
    sites = read_table("mine_sites") if sites is None else sites
    listed = _production_rows(production, material, year).copy()
    named = _named_sites(sites, listed, material, year)
    carved = named.groupby("country")["production"].sum()
    listed["production"] -= listed["country"].map(carved).fillna(0).to_numpy()
    listed = pd.concat([listed, named], ignore_index=True)
    total = float(listed["production"].sum())
    share = listed["production"].to_numpy(dtype=float) / total
    is_site = (listed["row_type"] == "site").to_numpy()
    is_country = (listed["row_type"] == "country").to_numpy() & (share >= min_share) | is_site
    usual = countries["usgs_name"] if "usgs_name" in countries else countries["name"]
    names = dict(zip(countries["iso3"], usual.where(usual != "", countries["name"]), strict=True))
    kept = listed[is_country].assign(share=share[is_country])
    kept = kept.sort_values(["share", "country"], ascending=[False, True], kind="stable")
    unit = str(listed["unit"].iloc[0])
    frame = pd.DataFrame(
        {
            "material": material,
            "node": np.where(
                kept["row_type"] == "site",
                kept.get("id", ""),
                [mine_node_id(material, c) for c in kept["country"]],
            ),
            "country": kept["country"].to_numpy(),
            "country_name": [names.get(c, c) for c in kept["country"]],
            "production": kept["production"].to_numpy(dtype=float),
            "unit": unit,
            "share": kept["share"].to_numpy(dtype=float),
            "source": kept["source"].to_numpy(),
            "note": np.where(
                kept["country"].isin(carved.index) & (kept["row_type"] == "country"),
                "after the named mines of the country are taken out (the rest may be"
                " rounding where USGS rounds)",
                "",
            ),
            "site": (kept["row_type"] == "site").to_numpy(),
        }
    )
    rest = listed[~is_country]
    if not rest.empty:
        folded = sorted(names.get(c, c) for c in rest["country"] if c)
        has_other = (rest["row_type"] == "other").any()
        parts = (['USGS "Other countries"'] if has_other else []) + folded
        frame.loc[len(frame)] = {
            "material": material,
            "node": mine_node_id(material, ""),
            "country": "",
            "country_name": "rest of the world",
            "production": float(rest["production"].sum()),
            "unit": unit,
            "share": float(share[~is_country].sum()),
            "source": ";".join(sorted(set(rest["source"]))),
            "note": "together: " + ", ".join(parts),
            "site": False,
        }
    return frame[_SHARE_COLUMNS]


def _named_sites(
    sites: pd.DataFrame, listed: pd.DataFrame, material: str, year: int
) -> pd.DataFrame:
    """The comparable named mines of ``material`` in ``year``, as production rows.

    Raises
    ------
    SupplyChainError
        If the named mines of a country produce more than the country's row.
    """
    chosen = sites[
        (sites["material"] == material)
        & (sites["year"] == year)
        & (sites["comparable"].str.lower() == "true")
    ]
    rows = chosen.assign(row_type="site")[
        ["id", "material", "country", "year", "production", "unit", "row_type", "source"]
    ]
    country = listed.set_index("country")["production"]
    for place, made in rows.groupby("country")["production"].sum().items():
        if place not in country.index or made > country[place]:
            raise SupplyChainError(
                f"mine_sites.csv: the named {material} mines of {place} produce {made:g}"
                f" in {year}, more than mine_production.csv gives for the country"
            )
    return rows


def _without_figures(production: pd.DataFrame, material: str, year: int) -> bool:
    """Whether the table lists ``material`` in ``year`` but gives no production figure."""
    rows = production[(production["material"] == material) & (production["year"] == year)]
    return not rows.empty and not (rows["production"] > 0).any()


def _no_prior(material: str, unknown: str, production: pd.DataFrame) -> pd.DataFrame:
    """The share table of a material without figures: all of it from the unknown origin."""
    rows = production[production["material"] == material]
    listed = not rows.empty
    return pd.DataFrame(
        {
            "material": [material],
            "node": [unknown],
            "country": [""],
            "country_name": ["unknown"],
            "production": [np.nan],
            "unit": [rows["unit"].iloc[0] if listed else "t"],
            "share": [1.0],
            "source": [rows["source"].iloc[0] if listed else ""],
            "note": [
                (rows["note"].iloc[0] or "marked missing")
                if listed
                else "the production table does not cover this material"
            ],
            "site": [False],
        }
    )


def _unweighed_listings(
    material: str, unknown: str, labour: pd.DataFrame, edition: str, conflict: pd.DataFrame
) -> list[dict]:
    """``unknown`` levels for an origin without a prior whose material the DOL list or the
    conflict minerals rule names: the listings exist, but no production mix says how much
    of them to expect."""
    listed = labour[labour["material"] == material]
    named = {
        indicator: (
            f"The DOL list ({edition})",
            sorted(listed.loc[listed[column].str.lower() == "true", "country"]),
        )
        for indicator, column in (
            ("child_labour", "child_labour"),
            ("forced_labour", "forced_labour"),
        )
    }
    covered = conflict[[material in split_ids(m) for m in conflict["materials"]]]
    named["conflict"] = ("The US conflict minerals rule", sorted(covered["country"]))
    rows = []
    for indicator, (who, countries) in named.items():
        if countries:
            rows.append(
                {
                    "node": unknown,
                    "indicator": indicator,
                    "level": "unknown",
                    "transparency": "missing",
                    "note": f"{who} names {material} from {len(countries)} countries for this"
                    f" ({', '.join(countries)}), but there are no production figures to weigh"
                    " them: the level of this origin is unknown.",
                }
            )
    return rows


def _site_node(sites: pd.DataFrame, node: str, material: str, year: int) -> dict:
    """The node of a named mine, from its row of ``data/mine_sites.csv``."""
    site = sites[sites["id"] == node].iloc[0]
    located = np.isfinite(site["lat"]) and np.isfinite(site["lon"])
    return {
        "id": node,
        "kind": "mine",
        "unit": "kg",
        "name": f"{site['name']} ({material.replace('-', ' ')} mine)",
        "country": site["country"],
        "lat": float(site["lat"]) if located else None,
        "lon": float(site["lon"]) if located else None,
        "transparency": site["transparency"],
        "source": site["source"],
        "note": f"{site['production']:.6g} {site['unit']} ({site['basis']}) in {year}, carved"
        " out of its country's production. The DOL list names countries, not mines, so its"
        " listings are not applied to this site.",
        "operator": site["operator"],
    }


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(ROW_MODELS[table].model_fields))


def _labour_rows(
    material: str, shares: pd.DataFrame, labour: pd.DataFrame, edition: str
) -> list[dict]:
    """Social rows: one ``high`` level per DOL listing of ``material`` in a mine's country.

    The list names countries, not mines: it goes on the country node, not on a named mine.
    """
    shares = shares[~shares["site"]]
    listed = labour[(labour["material"] == material) & labour["country"].isin(shares["country"])]
    node_of = dict(zip(shares["country"], shares["node"], strict=True))
    rows = []
    for entry in listed.itertuples(index=False):
        for indicator, column, words in (
            ("child_labour", "child_labour", "Child Labor"),
            ("forced_labour", "forced_labour", "Forced Labor"),
        ):
            if str(getattr(entry, column)).strip().lower() == "true":
                rows.append(
                    {
                        "node": node_of[entry.country],
                        "indicator": indicator,
                        "level": "high",
                        "transparency": "published",
                        "source": entry.source,
                        "note": f"Listed in the DOL list ({edition}): {entry.country_name},"
                        f" {entry.good}, {words}. `high` is this project's reading of a"
                        " listing, not a DOL rating; it applies to the country's production"
                        " as a whole, not to every mine.",
                    }
                )
    return rows


def conflict_scope(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    social: pd.DataFrame | None = None,
    conflict: pd.DataFrame | None = None,
    metals: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Social rows of the ``conflict`` level that the US rule's scope gives and ``social``
    lacks: every mine and every smelter or refiner (a ``material`` node with a country)
    in a country that ``conflict`` (default ``data/conflict_minerals.csv``) covers, for
    the rule's materials it supplies (the material nodes of those ids it reaches
    downstream through mines and materials, and ``metals``: the metal a node is known to
    make where its edges do not say it, such as a smelter a reporting template declares).

    The scope follows the country of origin, so a named mine keeps it when carved out of
    its country; a smelter in a covered country carries it for the metal that passes it,
    whatever that metal's origin (``social.exposure`` then counts the mined mass through
    it). Either way the level is this project's reading of the law's scope, not a finding
    about the site: the note says so.

    Returns
    -------
    DataFrame
        The columns of a graph's ``social`` table, one row per node in scope.

    Examples
    --------
    >>> nodes = pd.DataFrame({"id": ["tin-smelter-rw", "tin"], "kind": ["material"] * 2,
    ...                       "country": ["RWA", ""]})
    >>> edges = pd.DataFrame({"source": ["tin-smelter-rw"], "target": ["tin"]})
    >>> conflict_scope(nodes, edges)[["node", "indicator", "level"]].values.tolist()
    [['tin-smelter-rw', 'conflict', 'high']]
    """
    conflict = read_table("conflict_minerals") if conflict is None else conflict
    rule = conflict.set_index("country")
    in_rule = {m for text in conflict["materials"] for m in split_ids(text)}
    kind = dict(zip(nodes["id"], nodes["kind"], strict=True))
    places = nodes["country"] if "country" in nodes else pd.Series("", index=nodes.index)
    # "cod" is the DR Congo as "COD" is: ISO codes are matched whatever their case
    country = dict(zip(nodes["id"], places.astype(str).str.strip().str.upper(), strict=True))
    onward: dict[str, list[str]] = {}
    for source, target in zip(edges["source"], edges["target"], strict=True):
        if kind.get(target) in ("mine", "material"):
            onward.setdefault(source, []).append(target)

    def supplies(node: str) -> set[str]:
        seen, todo, found = {node}, [node], set()
        while todo:
            for target in onward.get(todo.pop(), []):
                if target in in_rule:
                    found.add(target)
                elif target not in seen:
                    seen.add(target)
                    todo.append(target)
        return found

    has = set()
    if social is not None and len(social):
        has = set(social.loc[social["indicator"] == "conflict", "node"])
    rows = []
    for node, what in kind.items():
        place = country.get(node)
        if what not in ("mine", "material") or node in in_rule or node in has:
            continue
        if not isinstance(place, str) or place not in rule.index:
            continue
        entry = rule.loc[place]
        made = supplies(node) | ({metals[node]} if metals and node in metals else set())
        covered = sorted(made & set(split_ids(entry["materials"])))
        if not covered:
            continue
        role = (
            "a mine"
            if what == "mine"
            else "a smelter or refiner: the rule concerns where the ore was mined, so this"
            " flags the metal that passes it for due diligence, whatever its origin"
        )
        rows.append(
            {
                "node": node,
                "indicator": "conflict",
                "level": entry["conflict"],
                "transparency": entry["transparency"],
                "source": entry["source"],
                "note": f"{entry['country_name']} ({entry['role']}), {role}: its"
                f" {', '.join(covered)} is a conflict mineral under Dodd-Frank Sec. 1502. The"
                " level is this project's reading of the law's scope, not a finding about"
                " this site.",
            }
        )
    return pd.DataFrame.from_records(rows, columns=list(ROW_MODELS["social"].model_fields))


ASSEMBLED_GOODS = ("electronics",)
"""Goods of the DOL list that are made in factories, not mined: their listing goes on the
component and device nodes of the country."""


def listing_scope(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    social: pd.DataFrame | None = None,
    labour: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Social rows of the child and forced labour levels that the DOL list gives beyond
    the mines, and ``social`` lacks: a good made in factories (``electronics``) on every
    ``component`` and ``device`` node of a listed country, a processed material
    (``silicon``: polysilicon) on every ``material`` node of a listed country that supplies
    that material (the node of its id, reached downstream through materials). Mines get
    their listings from :func:`mine_layer`.

    Like a mine's, the level is ``high``: this project's reading of a listing of the
    country's production of the good, not a finding about the factory; the note says so.

    Examples
    --------
    >>> nodes = pd.DataFrame({"id": ["board-cn", "board-my"], "kind": ["component"] * 2,
    ...                       "country": ["CHN", "MYS"]})
    >>> rows = listing_scope(nodes, pd.DataFrame({"source": [], "target": []}))
    >>> sorted(zip(rows["node"], rows["indicator"]))
    [('board-cn', 'child_labour'), ('board-cn', 'forced_labour'), ('board-my', 'forced_labour')]
    """
    labour = read_table("child_forced_labour") if labour is None else labour
    kind = dict(zip(nodes["id"], nodes["kind"], strict=True))
    places = nodes["country"] if "country" in nodes else pd.Series("", index=nodes.index)
    # "cod" is the DR Congo as "COD" is: ISO codes are matched whatever their case
    country = dict(zip(nodes["id"], places.astype(str).str.strip().str.upper(), strict=True))
    onward: dict[str, list[str]] = {}
    for source, target in zip(edges["source"], edges["target"], strict=True):
        if kind.get(target) == "material":
            onward.setdefault(source, []).append(target)

    def supplies(node: str, material: str) -> bool:
        seen, todo = {node}, [node]
        while todo:
            for target in onward.get(todo.pop(), []):
                if target == material:
                    return True
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return False

    has = set()
    if social is not None and len(social):
        has = set(zip(social["node"], social["indicator"], strict=True))
    rows = []
    for entry in labour.itertuples(index=False):
        assembled = entry.material in ASSEMBLED_GOODS
        for node, what in kind.items():
            if country.get(node) != entry.country:
                continue
            if assembled and what not in ("component", "device"):
                continue
            if not assembled and (what != "material" or node == entry.material):
                continue
            if not assembled and not supplies(node, entry.material):
                continue
            for indicator, column, words in (
                ("child_labour", "child_labour", "Child Labor"),
                ("forced_labour", "forced_labour", "Forced Labor"),
            ):
                listed = str(getattr(entry, column)).strip().lower() == "true"
                if not listed or (node, indicator) in has:
                    continue
                has.add((node, indicator))
                rows.append(
                    {
                        "node": node,
                        "indicator": indicator,
                        "level": "high",
                        "transparency": entry.transparency,
                        "source": entry.source,
                        "note": f"Listed in the DOL list ({entry.edition}): {entry.country_name},"
                        f" {entry.good}, {words}. `high` is this project's reading of a listing"
                        " of the country's production of the good, not a finding about this"
                        " site.",
                    }
                )
    return pd.DataFrame.from_records(rows, columns=list(ROW_MODELS["social"].model_fields))


def mine_layer(
    materials: Iterable[str],
    year: int = DEFAULT_YEAR,
    min_share: float = 0.0,
    allow_no_prior: bool = False,
    impact_proxies: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The graph tables of the mining layer of ``materials``, written from ``data/``.

    For each material: a ``mine`` node per producing country (and one for the rest of the
    world), an unknown-origin ``material`` node whose inputs are those mines in their
    production shares (the prior), and the material node itself, which takes 1 kg per kg
    from the unknown origin. Mines carry the metal's cradle-to-gate impacts, the DOL
    listings of their country and, for 3TG from the DRC and its neighbours, a ``conflict``
    level (``data/conflict_minerals.csv``); named mines take none of the DOL's country
    listings but keep the rule's scope, which follows the country of origin
    (:func:`conflict_scope`).

    A material without production figures (gold and germanium in the shipped table) gets
    an unknown-origin ``mine`` node with no prior mix; so does, with ``allow_no_prior``,
    a material the table does not list at all (silver, palladium, aluminium ...).

    ``impact_proxies`` maps a material without impact figures to one whose figures stand
    in (e.g. ``{"rare-earths": "neodymium"}``); such rows are marked as proxies.

    Returns
    -------
    dict of DataFrame
        ``nodes, edges, impacts, social, sources`` in the columns of the graph format
        (see :mod:`supplychain.schema`); load them with
        :func:`supplychain.tables.from_tables`.

    Raises
    ------
    SupplyChainError
        If a material has no production figures.
    """
    production, countries = read_table("mine_production"), read_table("countries")
    sites = read_table("mine_sites")
    metals, labour = read_table("metal_impacts"), read_table("child_forced_labour")
    conflict = read_table("conflict_minerals")
    bibliography = read_table("sources")
    tables: dict[str, list[dict]] = {t: [] for t in ("nodes", "edges", "impacts", "social")}
    for material in dict.fromkeys(materials):
        unknown = f"{material}-unknown-origin"
        label = material.replace("-", " ").capitalize()
        unlisted = allow_no_prior and not (production["material"] == material).any()
        if unlisted or _without_figures(production, material, year):
            shares = _no_prior(material, unknown, production)
        else:
            shares = production_shares(material, year, min_share, production, countries, sites)
        material_rows = production[production["material"] == material]
        bases = set(material_rows["basis"]) if "basis" in material_rows else set()
        stage, refined = "mining", ""
        if bases == {"refinery"}:  # copper in the USGS extract: where it was refined
            stage = "refining"
            refined = (
                " USGS gives refinery, not mine, production of this material in"
                " data/mine_production.csv, so this is the country that refined it, standing"
                " in for where it was mined (which may be elsewhere)."
            )
        country_sources = ";".join(sorted(set(shares.loc[~shares["site"], "source"])))
        for row in shares[shares["node"] != unknown].itertuples(index=False):
            where = row.country_name if row.country else "rest of the world"
            if row.site:
                tables["nodes"].append(_site_node(sites, row.node, material, year))
            else:
                whole = "The rest of the" if row.note else "All"
                tables["nodes"].append(
                    {
                        "id": row.node,
                        "kind": "mine",
                        "unit": "kg",
                        "name": f"{label} {stage}, {where} (country aggregate)",
                        "country": row.country,
                        "transparency": "published",
                        "source": row.source,
                        "note": (
                            f"{whole} {stage} output of the country, {row.production:.6g}"
                            f" {row.unit} in {year}; no individual site is modelled here."
                            if row.country
                            else f"Output not attributed to a listed country ({row.note})."
                        )
                        + refined,
                    }
                )
            tables["edges"].append(
                {
                    "source": row.node,
                    "target": unknown,
                    "amount": row.share,
                    "unit": "kg",
                    "transparency": "estimated",
                    "source_ref": f"{row.source};{country_sources}" if row.site else row.source,
                    "note": f"Share of world production in {year}: {row.production:.6g} of"
                    f" {shares['production'].sum():.6g} {row.unit} listed. The world mix is"
                    " the prior for an origin no supplier disclosed.",
                }
            )
        prior = shares["node"].iloc[0] != unknown
        tables["nodes"] += [
            {
                "id": unknown,
                "kind": "material" if prior else "mine",
                "unit": "kg",
                "name": f"{label}, origin not disclosed"
                + (" (world production mix as prior)" if prior else " (no prior)"),
                "transparency": "missing",
                "note": "No supplier or smelter disclosed where this material comes from;"
                + (
                    f" its inputs are the world production shares of {year}, a prior, not a"
                    " fact about this supply chain."
                    if prior
                    else f" data/mine_production.csv has no production figures for {year}"
                    f" either ({shares['note'].iloc[0]}), so there is no prior mix: the node"
                    " stands for mines in unknown countries."
                ),
            },
            {
                "id": material,
                "kind": "material",
                "unit": "kg",
                "name": f"{label} (as used by the components)",
                "transparency": "estimated" if prior else "missing",
                "source": country_sources if prior else "",
                "note": "The material as bought: disclosed suppliers would enter here as"
                " edges beside the unknown origin."
                + ("" if prior else " Nothing is known of where it comes from."),
            },
        ]
        tables["edges"].append(
            {
                "source": unknown,
                "target": material,
                "amount": 1.0,
                "unit": "kg",
                "transparency": "missing",
                "note": "No supplier disclosed: all of it is of unknown origin.",
            }
        )
        proxy = (impact_proxies or {}).get(material)
        metal = metals[metals["material"] == (proxy or material)]
        stands_in = f"{proxy} standing in for {material}, " if proxy else ""
        for row in shares.itertuples(index=False):
            for category in ("gwp", "energy"):
                if metal.empty or np.isnan(metal[category].iloc[0]):
                    continue
                tables["impacts"].append(
                    {
                        "node": row.node,
                        "category": category,
                        "value": float(metal[category].iloc[0]),
                        "unit": metal[f"{category}_unit"].iloc[0],
                        "transparency": "estimated",
                        "source": metal["source"].iloc[0],
                        "note": "Cradle-to-gate global average of the refined metal ("
                        f"{stands_in}check: {metal['check'].iloc[0]}), standing in for this"
                        " country's production.",
                    }
                )
        edition = ", ".join(sorted(set(labour["edition"]))) if "edition" in labour else ""
        tables["social"] += _labour_rows(material, shares, labour, edition)
        if not prior:
            tables["social"] += _unweighed_listings(material, unknown, labour, edition, conflict)
    frames = {
        table: pd.DataFrame.from_records(rows, columns=list(ROW_MODELS[table].model_fields))
        if rows
        else _empty(table)
        for table, rows in tables.items()
    }
    scope = conflict_scope(frames["nodes"], frames["edges"], frames["social"], conflict)
    frames["social"] = pd.concat([frames["social"], scope], ignore_index=True)
    frames["sources"] = cited_sources(frames, bibliography)
    return frames


def cited_sources(
    tables: Mapping[str, pd.DataFrame], bibliography: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The rows of ``bibliography`` (default: ``data/sources.csv``) that ``tables`` cite,
    in the graph's ``sources`` columns (``year`` an integer or empty)."""
    bibliography = read_table("sources") if bibliography is None else bibliography
    sources = bibliography[bibliography["id"].isin(cited_ids(tables))].reset_index(drop=True)
    return sources.assign(year=sources["year"].astype("Int64"))
