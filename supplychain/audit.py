"""The data-gap audit: how complete a chain is, what rests on undisclosed data, what to close first.

For the audited nodes (by default every service and device) :func:`audit` gives:

* **coverage**: the mined mass per unit of the node traced to a named mine, to a country
  only, or of unknown origin. Mass counts as traced only along edges that are not
  ``missing``: what reaches the node through an unknown origin's prior mix is of unknown
  origin, whatever countries the prior names. Mass travels along positive flows only, as
  in :func:`~supplychain.social.mined_mass`: a credit mines nothing.
* **transparency**: each total split by the transparency of the data it rests on
  (``disclosed_share`` is ``1 - opacity``; the four shares add up to 1).
* **gaps**: every undisclosed edge and direct impact upstream of the node, ranked by the
  share of the node's total that flows through it (and, with ``samples``, by its share
  of the variance), each with what would close it. Shares of direct impacts add up with
  the disclosed ones to 1; shares of edges overlap (a chain of edges carries the same
  flow), like the contributions of supply-chain links in Brightway. With credits a share
  is signed (a credit's is negative) and gaps are ranked by the share's size.
* **checks**: completeness of the data itself (see :data:`CHECKS`), each finding with its
  table and row as a spreadsheet shows the CSV file (the header is row 1).

Examples
--------
>>> from supplychain.tables import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "grid", "kind": "energy", "unit": "kWh"},
...            {"id": "chip", "kind": "component", "unit": "item"}],
...     edges=[{"source": "grid", "target": "chip", "amount": 2, "transparency": "estimated",
...             "source_ref": "s"}],
...     impacts=[{"node": "grid", "category": "gwp", "value": 0.4, "transparency": "disclosed",
...               "source": "s"}],
...     sources=[{"id": "s", "title": "A source", "year": 2024}],
... )
>>> audit(chain, ["chip"]).gaps[["gap", "transparency", "share"]]
            gap transparency  share
0  grid -> chip    estimated    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from supplychain.build import LEVELS
from supplychain.citations import cited_ids, cites_anything, per_citation
from supplychain.mixes import conflict_scope, listing_scope
from supplychain.model import SupplyChain
from supplychain.propagate import (
    Solution,
    category_position,
    gross_plan,
    node_position,
    solve_chain,
    totals,
)
from supplychain.social import mine_kilograms, mined_mass
from supplychain.solver import solve
from supplychain.trace import main_category, requirement_vector, requirement_vectors
from supplychain.uncertainty import (
    DEFAULT_SEED,
    monte_carlo,
    sensitivity,
)

__all__ = [
    "Audit",
    "audit",
    "audit_sections",
    "top_gaps",
    "threshold_failures",
    "CHECKS",
    "audited_nodes",
]

CHECKS = {
    "no-own-impact": "a node of a kind that normally has its own impact in the category has none",
    "unsourced": "a figure without a source (read as missing)",
    "never-cited": "a source that no figure cites",
    "mix-not-one": "a sourcing mix whose shares do not add up to 1",
    "old-figure": "a figure whose source is older than the year asked",
    "converted-unit": "a figure given in another unit than the one it counts in",
    "conflict-scope": "a mine or smelter in a country the US conflict minerals rule covers,"
    " supplying a metal it covers, with no conflict level",
    "listed-good": "a factory (component, device) or processor (material) in a country the DOL"
    " list names for its good (electronics, polysilicon), without that listing's level",
}
"""The completeness checks of the data, by code."""

GAP_COLUMNS = [
    "node",
    "rank",
    "gap",
    "kind",
    "transparency",
    "category",
    "share",
    "variance_share",
    "close_with",
    "source",
]


@dataclass(frozen=True)
class Audit:
    """The outcome of :func:`audit` (see the module docstring); each a DataFrame."""

    coverage: pd.DataFrame
    transparency: pd.DataFrame
    gaps: pd.DataFrame
    checks: pd.DataFrame
    category: str | None = None


MAX_AUDITED = 50
"""An audit without nodes covers every service and device, or this many of them: the
services, then the devices, with the largest totals in the ranked category."""


def audited_nodes(
    solution: Solution, category: str | None = None, limit: int = MAX_AUDITED
) -> list[str]:
    """Services, then devices, largest total in ``category`` first; at most ``limit``
    (the default nodes of an audit, see :data:`MAX_AUDITED`). A graph with neither (a
    mining layer, a bill of materials) gives its end products instead: the nodes that
    nothing in the graph uses."""
    nodes = solution.chain.nodes
    used = np.zeros(len(nodes), dtype=bool)
    used[solution.chain.index.edge_supplier] = True
    groups = [(nodes["kind"] == kind).to_numpy() for kind in ("service", "device")]
    if not any(group.any() for group in groups):
        groups = [~used]
    chosen: list[str] = []
    for group in groups:
        of_kind = np.flatnonzero(group)
        if category is not None and len(of_kind):
            column = category_position(solution, category)
            of_kind = of_kind[np.argsort(-solution.H[of_kind, column], kind="stable")]
        chosen.extend(nodes["id"].to_numpy()[of_kind])
    return chosen[:limit]


def _coverage(solution: Solution, nodes: Sequence[str]) -> pd.DataFrame:
    chain = solution.chain
    kg = mine_kilograms(chain)
    mines = chain.nodes["kind"].to_numpy() == "mine"
    named = (
        mines
        & (
            (chain.nodes["operator"] != "")
            | (chain.nodes["facility_id"] != "")
            | chain.nodes["lat"].notna()
        ).to_numpy()
    )
    country = mines & ~named & (chain.nodes["country"] != "").to_numpy()
    all_mass = mined_mass(solution)
    # not through missing edges, and along positive flows as mined_mass (credits mine nothing)
    traced = gross_plan(solution, LEVELS.index("estimated"))
    named_mass, country_mass = solve(traced, np.column_stack([named * kg, country * kg])).T
    position = pd.Index(chain.nodes["id"]).get_indexer(nodes)
    total = all_mass[position]
    with np.errstate(invalid="ignore", divide="ignore"):
        named_share = np.where(total > 0, named_mass[position] / total, np.nan)
        country_share = np.where(total > 0, country_mass[position] / total, np.nan)
    return pd.DataFrame(
        {
            "node": list(nodes),
            "mined": total,
            "unit": "kg",
            "per": chain.nodes["unit"].to_numpy()[position],
            "named_mine_share": named_share,
            "country_only_share": country_share,
            "unknown_origin_share": 1 - named_share - country_share,
        }
    )


def _transparency(solution: Solution, nodes: Sequence[str]) -> pd.DataFrame:
    found = totals(solution)
    found = found[found["node"].isin(nodes)].copy()
    found["disclosed_share"] = 1 - found["opacity"]
    columns = ["node", "category", "value", "unit", "per", "disclosed_share"]
    columns += ["published_share", "estimated_share", "missing_share"]
    order = {node: i for i, node in enumerate(nodes)}
    found = found.sort_values("node", key=lambda s: s.map(order), kind="stable")
    return found[columns].reset_index(drop=True)


def _kind_of_gap(kinds, levels, source: str, target: str, facilities=frozenset()) -> str:
    if levels.get(source) == "missing" and kinds.get(target) == "material":
        return "unknown origin"
    if source in facilities and kinds.get(target) == "material":
        return "smelter share"
    if kinds.get(source) == "mine" and kinds.get(target) == "material":
        return "origin share"
    return "edge"


def _close_with(kind: str, source: str, target: str, kinds, category: str = "") -> str:
    """What disclosure would close a gap, in words."""
    what, into = kinds.get(source, ""), kinds.get(target, "")
    if kind == "impact":
        if what == "energy":
            return f"the supplier's own {category} factor for {source} (its contract or grid)"
        if what == "mine":
            return f"the mine's own {category} figure for {source} (sustainability report)"
        return f"a disclosed {category} figure for {source} (EPD or product carbon footprint)"
    if kind == "unknown origin":
        return f"the smelter and mine list behind the {target} that the chain buys"
    if kind == "smelter share":
        return f"the share of {source} in the {target} bought (volumes by smelter)"
    if kind == "origin share":
        return f"the real share of {source} in the {target} bought (a sourcing disclosure)"
    if what == "material" and into in ("component", "device"):
        return f"a full material declaration of {target}: grams of {source} per unit"
    if what == "component" and into in ("component", "device"):
        return f"the bill of materials of {target}: {source} per unit"
    if what == "energy" and into == "energy":
        return f"the measured {source} per unit of {target} (e.g. a data centre's PUE)"
    if what == "energy":
        return f"measured {source} per unit of {target} from its operator"
    if what == "device" and into in ("device", "service"):
        return f"the operator's use of {source} per unit of {target} (hours, lifetime)"
    return f"a disclosed amount of {source} per unit of {target}"


def _gaps(
    solution: Solution,
    node: str,
    category: str,
    variance: pd.Series | None,
    top: int | None = None,
    kinds: dict[str, str] | None = None,
    levels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The undisclosed edges and direct impacts upstream of ``node``, ranked; the first
    ``top`` of them (all if None). Vectorised over the whole graph, texts for the kept.
    ``kinds``, ``levels``: each node's kind and transparency by id (made once by the
    caller of many nodes)."""
    chain, m = solution.chain, solution.matrices
    c = category_position(solution, category)
    x = requirement_vector(solution, node)
    total = solution.H[node_position(solution, node), c]
    flow = x[m.edge_consumer] * m.edge_amount
    edge_part = flow * solution.H[m.edge_supplier, c]
    own_part = x * m.B[[c]].toarray().ravel()
    # signed shares of the total (a credit's is negative); ranked by size, like trace
    edge_share = edge_part / total if total != 0 else flow * np.nan
    own_share = own_part / total if total != 0 else x * np.nan
    impact_rows = np.flatnonzero(m.impact_category == c)
    edge_rows = np.flatnonzero((flow != 0) & (m.edge_level > 0))
    impact_rows = impact_rows[
        (own_part[m.impact_node[impact_rows]] != 0) & (m.impact_level[impact_rows] > 0)
    ]
    shares = np.r_[edge_share[edge_rows], own_share[m.impact_node[impact_rows]]]
    sources, targets = (
        chain.edges["source"].to_numpy(object),
        chain.edges["target"].to_numpy(object),
    )
    impact_nodes = chain.impacts["node"].to_numpy(object)

    def names_of(positions: np.ndarray) -> np.ndarray:
        """Names of the gaps at ``positions`` (edges first, then impacts)."""
        edge_part, impact_part = (
            positions[positions < len(edge_rows)],
            positions[positions >= len(edge_rows)],
        )
        named = np.empty(len(positions), dtype=object)
        e, i = edge_rows[edge_part], impact_rows[impact_part - len(edge_rows)]
        named[positions < len(edge_rows)] = sources[e] + " -> " + targets[e]
        named[positions >= len(edge_rows)] = impact_nodes[i] + f": {category}"
        return named

    everything = np.arange(len(shares))
    if variance is not None:  # ranked by the spread first: every gap's name is needed
        spread = pd.Series(names_of(everything)).map(variance).to_numpy(dtype=float)
        order = np.lexsort((-np.abs(np.nan_to_num(shares)), -np.nan_to_num(spread, nan=-1.0)))
    else:
        spread = np.full(len(shares), np.nan)
        order = np.argsort(-np.abs(np.nan_to_num(shares)), kind="stable")
    if top:
        order = order[:top]
    names = np.empty(len(shares), dtype=object)
    names[order] = names_of(order)
    if kinds is None or levels is None:
        kinds = dict(zip(chain.nodes["id"], chain.nodes["kind"], strict=True))
        levels = dict(zip(chain.nodes["id"], chain.nodes["transparency"], strict=True))
    n_edges = len(edge_rows)
    is_edge = order < n_edges
    facilities = frozenset(chain.nodes.loc[chain.nodes["facility_id"] != "", "id"])
    e, i = edge_rows[order[is_edge]], impact_rows[order[~is_edge] - n_edges]
    source = np.empty(len(order), dtype=object)
    target = np.full(len(order), "", dtype=object)
    transparency = np.empty(len(order), dtype=object)
    cited = np.empty(len(order), dtype=object)
    source[is_edge], target[is_edge] = sources[e], targets[e]
    source[~is_edge] = impact_nodes[i]
    transparency[is_edge] = chain.edges["transparency"].to_numpy(object)[e]
    transparency[~is_edge] = chain.impacts["transparency"].to_numpy(object)[i]
    cited[is_edge] = chain.edges["source_ref"].to_numpy(object)[e]
    cited[~is_edge] = chain.impacts["source"].to_numpy(object)[i]
    kind = [
        _kind_of_gap(kinds, levels, s, t, facilities) if edge else "impact"
        for s, t, edge in zip(source, target, is_edge, strict=True)
    ]
    return pd.DataFrame(
        {
            "node": node,
            "rank": np.arange(1, len(order) + 1),
            "gap": names[order],
            "kind": kind,
            "transparency": transparency,
            "category": category,
            "share": shares[order],
            "variance_share": spread[order],
            "close_with": [
                _close_with(k, s, t, kinds, category)
                for k, s, t in zip(kind, source, target, strict=True)
            ],
            "source": cited,
        },
        columns=GAP_COLUMNS,
    )


def _found(check: str, table: str, positions: np.ndarray, items, details) -> pd.DataFrame:
    """Findings of one check: rows at ``positions`` of ``table`` (0-based)."""
    count = len(positions)
    return pd.DataFrame(
        {
            "check": [check] * count,
            "table": [table] * count,
            "row": np.asarray(positions, dtype=np.int64),
            "item": np.asarray(items, dtype=object) if count else [],
            "detail": np.broadcast_to(np.asarray(details, dtype=object), (count,)),
        }
    )


def _checks(chain: SupplyChain, category: str | None, older_than: int | None) -> pd.DataFrame:
    """The completeness checks, each on whole columns (a graph of 10^5 rows in a second)."""
    found = []
    nodes, edges, impacts = chain.nodes, chain.edges, chain.impacts
    names = {
        "edges": (edges["source"] + " -> " + edges["target"]).to_numpy(dtype=object),
        "impacts": (impacts["node"] + ": " + impacts["category"]).to_numpy(dtype=object),
    }
    if category is not None:
        kind = nodes.set_index("id")["kind"]
        supplier_kind = edges["source"].map(kind)
        made_of_parts = nodes["id"].isin(
            edges.loc[supplier_kind.isin(["component", "device"]), "target"]
        )
        made_of_energy = nodes["id"].isin(edges.loc[supplier_kind == "energy", "target"])
        expected = (
            (nodes["kind"] == "mine")
            | ((nodes["kind"] == "energy") & ~made_of_energy)  # not a PUE on a grid
            | (nodes["kind"].isin(["component", "device"]) & ~made_of_parts)
        )
        has_own = nodes["id"].isin(impacts.loc[impacts["category"] == category, "node"])
        lacking = np.flatnonzero((expected & ~has_own).to_numpy())
        found.append(
            _found(
                "no-own-impact",
                "nodes",
                lacking,
                nodes["id"].to_numpy()[lacking],
                f"no own {category}",
            )  # fmt: skip
        )
    for table, frame, column in (("edges", edges, "source_ref"), ("impacts", impacts, "source")):
        unsourced = np.flatnonzero(~cites_anything(frame[column]))
        found.append(
            _found("unsourced", table, unsourced, names[table][unsourced], "no source: missing")
        )
    cited = cited_ids({"nodes": nodes, "edges": edges, "impacts": impacts, "social": chain.social})
    never = np.flatnonzero(~chain.sources["id"].isin(list(cited)).to_numpy())
    found.append(
        _found(
            "never-cited",
            "sources",
            never,
            chain.sources["id"].to_numpy()[never],
            "cited by no figure",
        )  # fmt: skip
    )
    mixes = [w for w in chain.warnings if w.code == "mix-not-one"]
    found.append(
        pd.DataFrame(
            {
                "check": "mix-not-one",
                "table": [w.table for w in mixes],
                "row": [w.row - 2 for w in mixes],  # the warning's row is a spreadsheet row
                "item": "",
                "detail": [w.message for w in mixes],
            }
        )
    )
    if older_than is not None:
        year = chain.sources.set_index("id")["year"].dropna().astype(int).to_dict()

        def newest(ids: list[str]) -> float:
            return max((year[i] for i in ids if i in year), default=np.nan)

        citing = (("edges", edges, "source_ref"), ("impacts", impacts, "source"))
        for table, frame, column in citing:
            years = per_citation(frame[column], newest).astype(float).to_numpy()
            old = np.flatnonzero(years < older_than)  # NaN: no year, never old
            details = [f"source of {int(y)}" for y in years[old]]
            found.append(_found("old-figure", table, old, names[table][old], details))
    for table, frame, given, counted in (
        ("edges", edges, "amount", "converted_amount"),
        ("impacts", impacts, "value", "converted_value"),
    ):
        changed = np.flatnonzero(
            ~np.isclose(frame[given].astype(float), frame[counted].astype(float), rtol=1e-12)
        )
        details = ["given in " + unit for unit in frame["unit"].to_numpy()[changed]]
        found.append(_found("converted-unit", table, changed, names[table][changed], details))
    scopes = (("conflict-scope", conflict_scope, ":"), ("listed-good", listing_scope, ". "))
    for check, scope, stop in scopes:
        unflagged = scope(nodes, edges, chain.social).drop_duplicates("node")
        where = dict(zip(unflagged["node"], unflagged["note"], strict=True))
        rows = np.flatnonzero(nodes["id"].isin(unflagged["node"]).to_numpy())
        ids = nodes["id"].to_numpy()[rows]
        details = [f"in scope: {where[i].split(stop)[0]}" for i in ids]
        found.append(_found(check, "nodes", rows, ids, details))
    frame = (
        pd.concat([f for f in found if len(f)], ignore_index=True)
        if any(map(len, found))
        else (_found("", "", np.empty(0, dtype=np.int64), [], ""))
    )
    frame["meaning"] = frame["check"].map(CHECKS)
    frame["row"] = frame["row"].astype("Int64") + 2  # rows as a spreadsheet numbers them
    return frame


def audit(
    chain: SupplyChain | Solution,
    nodes: Sequence[str] | None = None,
    category: str | None = None,
    samples: int | None = None,
    seed: int = DEFAULT_SEED,
    older_than: int | None = None,
    top: int | None = None,
    checks: bool = True,
) -> Audit:
    """Audit the data gaps of ``nodes`` (default: every service and device).

    Parameters
    ----------
    chain : SupplyChain or Solution
    nodes : sequence of str, optional
        Default: :func:`audited_nodes`.
    category : str, optional
        The category whose total the gaps are ranked by (default: ``gwp`` if present).
    samples : int, optional
        Run a Monte Carlo of this many samples and rank gaps by their share of the
        variance of each node's total (the rank correlation of :mod:`supplychain.uncertainty`).
    seed : int
    older_than : int, optional
        Flag figures whose sources are all older than this year.
    top : int, optional
        Keep the first ``top`` gaps of each node (default: all).
    checks : bool
        Run the completeness checks (they read the whole graph).

    Raises
    ------
    UnknownNodeError
        If a node or the category is not in the graph.
    """
    solution = chain if isinstance(chain, Solution) else solve_chain(chain)
    graph = solution.chain
    category = category or main_category(solution)
    nodes = audited_nodes(solution, category) if nodes is None else list(nodes)
    for node in nodes:
        node_position(solution, node)  # names an unknown node
    gaps = []
    if category is not None:
        category_position(solution, category)
        requirement_vectors(solution, nodes)  # all at once: one solve, not one per node
        kinds = dict(zip(graph.nodes["id"], graph.nodes["kind"], strict=True))
        levels = dict(zip(graph.nodes["id"], graph.nodes["transparency"], strict=True))
        for node in nodes:
            variance = None
            if samples:
                mc = monte_carlo(graph, samples, seed, [node])
                drivers = sensitivity(mc, node, category)
                variance = drivers.set_index("parameter")["variance_share"]
            gaps.append(_gaps(solution, node, category, variance, top, kinds, levels))
    gap_frame = pd.concat(gaps, ignore_index=True) if gaps else pd.DataFrame(columns=GAP_COLUMNS)
    return Audit(
        coverage=_coverage(solution, nodes),
        transparency=_transparency(solution, nodes),
        gaps=gap_frame,
        checks=_checks(graph, category, older_than)
        if checks
        else pd.DataFrame(columns=["check", "table", "row", "item", "detail", "meaning"]),
        category=category,
    )


def top_gaps(found: Audit, top: int = 10) -> pd.DataFrame:
    """The gaps that matter most anywhere: each gap once, at the node where its share is
    largest; columns as :attr:`Audit.gaps`, ``rank`` anew, and ``totals_reached``: of how
    many audited nodes' ranked gaps it is one (a gap under every service counts for all)."""
    reached = found.gaps.groupby("gap", sort=False)["node"].nunique()
    gaps = found.gaps.sort_values("share", ascending=False, kind="stable")
    gaps = gaps.drop_duplicates("gap").head(top).copy()
    gaps["rank"] = np.arange(1, len(gaps) + 1)
    gaps.insert(gaps.columns.get_loc("share") + 1, "totals_reached", gaps["gap"].map(reached))
    return gaps.reset_index(drop=True)


def _gaps_title(gaps: pd.DataFrame) -> str:
    """The title of the ranked gaps: by variance where a Monte Carlo ranked them."""
    if gaps["variance_share"].notna().any():
        return (
            "data gaps, ranked by their share of the variance (where above sampling noise),"
            " then by the share of the total that flows through them"
        )
    return "data gaps, ranked by the share of the total that flows through them"


def audit_sections(found: Audit, top: int = 10, limit: int = 0) -> dict[str, pd.DataFrame]:
    """Titled tables of an audit: coverage, transparency, the top gaps of each node, checks.

    ``top``: gaps per node (0: all); ``limit``: rows per check (0: all).
    """
    gaps = found.gaps
    if top:
        gaps = gaps[gaps["rank"] <= top]
    checks = found.checks
    if limit:
        checks = checks.groupby("check", sort=False).head(limit)
    counts = (
        found.checks.groupby("check", sort=False).size().rename("count").reset_index()
        if len(found.checks)
        else pd.DataFrame(columns=["check", "count"])
    )
    counts["meaning"] = counts["check"].map(CHECKS)
    return {
        "coverage of mined mass per unit (traced along edges that are not missing)": found.coverage,
        "what each total rests on (shares add up to 1)": found.transparency,
        _gaps_title(found.gaps): gaps.reset_index(drop=True),
        "completeness checks: counts": counts,
        "completeness checks": checks.reset_index(drop=True),
    }


def threshold_failures(
    found: Audit,
    max_opacity: float | None = None,
    max_unknown_origin: float | None = None,
    max_missing: float | None = None,
) -> list[str]:
    """Why the audit fails the thresholds asked (empty: it passes). Opacity and missing
    share are those of the totals in the audit's category."""
    failures = []
    for column, limit, what in (
        ("disclosed_share", max_opacity, "opacity"),
        ("missing_share", max_missing, "missing share"),
    ):
        if limit is None:
            continue
        frame = found.transparency[found.transparency["category"] == found.category]
        value = 1 - frame[column] if column == "disclosed_share" else frame[column]
        for entry, v in zip(frame.itertuples(index=False), value, strict=True):
            if v > limit + 1e-12:
                failures.append(
                    f"{entry.node} {entry.category}: {what} {v:.1%} is above {limit:.1%}"
                )
    if max_unknown_origin is not None:
        for entry in found.coverage.itertuples(index=False):
            if entry.unknown_origin_share > max_unknown_origin + 1e-12:
                failures.append(
                    f"{entry.node}: {entry.unknown_origin_share:.1%} of the mined mass is of"
                    f" unknown origin, above {max_unknown_origin:.1%}"
                )
    return failures
