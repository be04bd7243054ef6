"""Social risk carried through the quantities of a supply chain: levels and exposed mass.

Social data sits on nodes (``social.csv``: a ``level`` of an ``indicator``, with its
source). It is carried downstream in two ways (DESIGN.md, "Impacts"):

* **Level**: a node inherits, per indicator, the worst level reachable upstream through
  positive flows. The evidence is which upstream nodes carry that level, their country,
  how much of them one unit of the node takes, and the heaviest path from them. Nodes
  without data are not read as ``none``: if no node upstream has a known level, the
  level is ``unknown``, and the number of upstream mines without data is always given.
* **Exposure**: kilograms of mined material per unit of the node that pass through at
  least one node at ``high`` or above (:data:`EXPOSED_FROM`), and its share of all mined
  material in the chain. Mined mass is 1 kg per kg of every mine's output; a flagged
  node exposes all the mined mass upstream of it, counted once even where a path passes
  several flagged nodes (their inputs are cut in the system that counts it). An unknown
  origin whose inputs are the world production mix carries the *expected* exposure of
  that mix; ``expected_share`` is the part of the exposure that flows through data
  marked ``missing`` (such a prior), as the opacity does for impacts.

Indicators are the built-in ones (:data:`supplychain.schema.INDICATORS`) and any category
a graph defines with group ``social``.

Examples
--------
>>> from supplychain.tables import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "mine-cd", "kind": "mine", "unit": "kg", "country": "COD"},
...            {"id": "mine-au", "kind": "mine", "unit": "kg", "country": "AUS"},
...            {"id": "cobalt", "kind": "material", "unit": "kg"},
...            {"id": "battery", "kind": "component", "unit": "item"}],
...     edges=[{"source": "mine-cd", "target": "cobalt", "amount": 0.75},
...            {"source": "mine-au", "target": "cobalt", "amount": 0.25},
...            {"source": "cobalt", "target": "battery", "amount": 8, "unit": "g"}],
...     social=[{"node": "mine-cd", "indicator": "child_labour", "level": "high"}],
... )
>>> exposure(chain, "battery")[["indicator", "exposed", "mined", "share"]].head(2)
       indicator  exposed  mined  share
0   child_labour    0.006  0.008   0.75
1  forced_labour      NaN  0.008    NaN
>>> child = risk_levels(chain, "battery").iloc[0]
>>> child["level"], child["worst_node"], int(child["unknown_mines"])
('high', 'mine-cd', 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from supplychain.build import LEVELS
from supplychain.errors import UnitError, UnknownIndicatorError
from supplychain.model import SupplyChain
from supplychain.propagate import (
    Solution,
    as_solution,
    gross_plan,
    node_position,
)
from supplychain.schema import RiskLevel, indicator_ids
from supplychain.solver import plan, solve
from supplychain.trace import gross_requirement_vector
from supplychain.units import conversion_factor

__all__ = [
    "KNOWN_LEVELS",
    "EXPOSED_FROM",
    "indicators",
    "mined_mass",
    "mine_kilograms",
    "risk_levels",
    "evidence",
    "exposure",
    "social_sections",
    "social_risks",
    "worst_levels",
]

KNOWN_LEVELS = ["none", "low", "medium", "high", "very_high"]
"""Known levels, least severe first; ``unknown`` is not among them."""

EXPOSED_FROM = "high"
"""Mined mass counts as exposed where it passes a node at this level or above."""


def indicators(chain: SupplyChain) -> list[str]:
    """The indicators of a graph: the built-in ones, then its own ``social`` categories.

    >>> from supplychain.tables import from_tables
    >>> indicators(from_tables(nodes=[{"id": "a", "kind": "mine", "unit": "kg"}]))[:2]
    ['child_labour', 'forced_labour']
    """
    return indicator_ids(chain.categories.loc[chain.categories["group"] == "social", "id"])


def mine_kilograms(chain: SupplyChain) -> np.ndarray:
    """Kilograms per unit of output of every node that is a mine (0 elsewhere)."""
    kg = np.zeros(len(chain.nodes))
    for unit, rows in chain.nodes.groupby("unit").indices.items():
        mines = rows[chain.nodes["kind"].to_numpy()[rows] == "mine"]
        if len(mines) == 0:
            continue
        try:
            kg[mines] = conversion_factor(unit, "kg")
        except UnitError:  # a mine counted in items or hours has no mass to expose
            continue
    return kg


def mined_mass(chain: SupplyChain | Solution) -> np.ndarray:
    """Kilograms of mined material per unit of every node, through all paths.

    >>> from supplychain.tables import from_tables
    >>> chain = from_tables(nodes=[{"id": "ore", "kind": "mine", "unit": "t"},
    ...                            {"id": "metal", "kind": "material", "unit": "kg"}],
    ...                     edges=[{"source": "ore", "target": "metal", "amount": 0.002}])
    >>> mined_mass(chain).tolist()
    [1000.0, 2.0]
    """
    solution = as_solution(chain)
    return solve(gross_plan(solution), mine_kilograms(solution.chain))


def _at_levels(chain: SupplyChain, indicator: str, levels: Sequence[str]) -> np.ndarray:
    """Whether each node has a level of ``indicator`` among ``levels``."""
    social = chain.social[chain.social["indicator"] == indicator]
    return pd.Index(chain.nodes["id"]).isin(social.loc[social["level"].isin(levels), "node"])


def _exposed_mass(
    solution: Solution, flagged: np.ndarray, mass: np.ndarray, up_to: int
) -> np.ndarray:
    """Mined kg per unit of every node that passed a flagged node, from the edges at
    transparency ``up_to`` or better: flagged nodes take the whole mass upstream of them,
    and their own inputs are cut so that no kilogram counts twice."""
    matrices = solution.matrices
    keep = (matrices.edge_level <= up_to) & ~flagged[matrices.edge_consumer]
    keep &= matrices.edge_amount > 0  # a credit carries no mined mass (see gross_plan)
    n = len(matrices.nodes)
    A = sp.csr_array(
        sp.coo_array(
            (
                matrices.edge_amount[keep],
                (matrices.edge_supplier[keep], matrices.edge_consumer[keep]),
            ),
            shape=(n, n),
        )
    )
    start = np.where(flagged, mass, 0.0)
    return solve(plan(A, node_level=solution.plan.node_level), start)


def exposure(chain: SupplyChain | Solution, node: str) -> pd.DataFrame:
    """Mined mass per unit of ``node`` exposed to each indicator, and its share.

    Returns
    -------
    DataFrame
        ``indicator``, ``exposed`` (kg of mined material per unit of ``node`` that passed
        a node at ``high`` or above), ``mined`` (all mined kg per unit of ``node``),
        ``share`` (exposed / mined), ``expected_share`` (the part of ``exposed`` resting
        on ``missing`` data, such as an unknown origin's prior mix), ``unassessed_share``
        (the share of mined mass from mines with no known level of the indicator: what the
        exposure cannot see), ``unit`` (``kg``), ``per`` (the node's unit). Where no node
        upstream has a known level of an indicator, its ``exposed`` and ``share`` are NaN:
        unknown, not zero.
    """
    solution = as_solution(chain)
    chain_ = solution.chain
    position = node_position(solution, node)
    mass = mined_mass(solution)
    upstream = _through(solution, node) > 0
    names = indicators(chain_)
    assessed, unassessed_all, exposed_all = _exposure_of_all(solution)
    unassessed = unassessed_all[position]
    rows = []
    for column, indicator in enumerate(names):
        exposed = known = 0.0
        if not (assessed[:, column] & upstream).any():
            exposed = np.nan  # nobody looked: unknown, never none
        elif exposed_all[indicator] is not None:
            exposed = exposed_all[indicator][0][position]
            known = exposed_all[indicator][1][position]
        mined = mass[position]
        rows.append(
            {
                "indicator": indicator,
                "exposed": exposed,
                "mined": mined,
                "share": exposed / mined if mined > 0 else np.nan,
                "expected_share": 1 - known / exposed if exposed > 0 else np.nan,
                "unassessed_share": unassessed[column] / mined if mined > 0 else np.nan,
                "unit": "kg",
                "per": chain_.nodes["unit"].iloc[position],
            }
        )
    return pd.DataFrame(rows)


def _exposure_of_all(solution: Solution) -> tuple[np.ndarray, np.ndarray, dict]:
    """For every node at once, solved once per solution: whether each node has a known
    level of each indicator, the unassessed mined mass per indicator, and per indicator
    the exposed mass and the part of it through edges that are not missing (None where
    no node is flagged)."""
    if "exposure" not in solution.derived:
        chain = solution.chain
        names = indicators(chain)
        assessed = np.column_stack([_at_levels(chain, i, KNOWN_LEVELS) for i in names])
        mine_kg = mine_kilograms(chain)[:, None]
        unassessed = solve(gross_plan(solution), np.where(assessed, 0.0, mine_kg))
        mass, known_mass = mined_mass(solution), _known_mass(solution)
        severe = KNOWN_LEVELS[KNOWN_LEVELS.index(EXPOSED_FROM) :]
        exposed: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        for indicator in names:
            flagged = _at_levels(chain, indicator, severe)
            exposed[indicator] = (
                (
                    _exposed_mass(solution, flagged, mass, up_to=3),
                    _exposed_mass(solution, flagged, known_mass, up_to=2),
                )
                if flagged.any()
                else None
            )
        solution.derived["exposure"] = (assessed, unassessed, exposed)
    return solution.derived["exposure"]


def _known_mass(solution: Solution) -> np.ndarray:
    """Mined mass per unit of every node through edges that are not ``missing``."""
    gross = gross_plan(solution, LEVELS.index("estimated"))
    return solve(gross, mine_kilograms(solution.chain))


def _through(solution: Solution, node: str) -> np.ndarray:
    """Amount of every node per unit of ``node`` along positive flows (a credit mines
    nothing, as in :func:`mined_mass`), the node itself counted at least once."""
    x = gross_requirement_vector(solution, node).copy()
    position = node_position(solution, node)
    x[position] = max(x[position], 1.0)
    return x


def _check_indicator(chain: SupplyChain, indicator: str) -> None:
    """Raise :class:`UnknownIndicatorError` naming the known indicators if ``indicator`` is
    none."""
    known = indicators(chain)
    if indicator not in known:
        raise UnknownIndicatorError(f"no indicator {indicator!r} (known: {', '.join(known)})")


def _levels_of(chain: SupplyChain, indicator: str) -> pd.Series:
    """Level of ``indicator`` by node id, for the nodes that have a row."""
    social = chain.social[chain.social["indicator"] == indicator]
    return social.set_index("node")["level"]


def _worst(levels: Iterable[str]) -> str:
    known = [level for level in levels if level in KNOWN_LEVELS]
    return max(known, key=KNOWN_LEVELS.index) if known else RiskLevel.UNKNOWN.value


def risk_levels(chain: SupplyChain | Solution, node: str) -> pd.DataFrame:
    """The worst level of each indicator upstream of ``node`` (itself included).

    Returns
    -------
    DataFrame
        ``indicator``, ``level`` (worst known level upstream through positive flows, or
        ``unknown`` where no node upstream has one), ``nodes_at_level`` (how many carry
        it), ``worst_node`` (the one of them that one unit of ``node`` takes the most
        mined mass from), ``country``, ``unknown_mines`` (upstream mines with no known
        level: the result may be worse than it says), ``mines`` (all upstream mines).
    """
    solution = as_solution(chain)
    chain_ = solution.chain
    x = _through(solution, node)
    ids = chain_.nodes["id"].to_numpy()
    upstream = pd.Index(ids[x > 0])
    mines = upstream[chain_.nodes["kind"].to_numpy()[x > 0] == "mine"]
    mass = mined_mass(solution)
    weight = pd.Series(x * mass, index=ids)
    country = chain_.nodes.set_index("id")["country"]
    rows = []
    for indicator in indicators(chain_):
        levels = _levels_of(chain_, indicator)
        here = levels[levels.index.isin(upstream)]
        level = _worst(here)
        carriers = here[here == level].index if level != "unknown" else pd.Index([])
        top = weight[carriers].idxmax() if len(carriers) else ""
        known_mines = here[here.isin(KNOWN_LEVELS)].index
        rows.append(
            {
                "indicator": indicator,
                "level": level,
                "nodes_at_level": len(carriers),
                "worst_node": top,
                "country": country.get(top, "") if top else "",
                "unknown_mines": int((~mines.isin(known_mines)).sum()),
                "mines": len(mines),
            }
        )
    return pd.DataFrame(rows)


def _heaviest_path(solution: Solution, source: str, node: str) -> list[str]:
    """The path from ``source`` down to ``node`` that carries most of ``source``'s output.

    Walks upstream from ``node``, each step to the supplier through which the most of
    ``source`` arrives (amount of source per unit of each node from one sweep).
    """
    matrices = solution.matrices
    start = node_position(solution, source)
    target = node_position(solution, node)
    demand = np.zeros(len(matrices.nodes))
    demand[start] = 1.0
    carried = solve(solution.plan, demand)  # amount of source per unit of every node
    into = matrices.A.tocsc()
    path, current, seen = [target], target, {target}
    while current != start:
        suppliers = into.indices[into.indptr[current] : into.indptr[current + 1]]
        amounts = into.data[into.indptr[current] : into.indptr[current + 1]]
        flows = amounts * carried[suppliers]
        choice = [i for i in np.argsort(-flows, kind="stable") if suppliers[i] not in seen]
        if not choice or flows[choice[0]] <= 0:
            break
        current = int(suppliers[choice[0]])
        seen.add(current)
        path.append(current)
    return [str(matrices.nodes[i]) for i in reversed(path)]


def evidence(
    chain: SupplyChain | Solution, node: str, indicator: str, top: int = 10
) -> pd.DataFrame:
    """The upstream nodes behind ``node``'s level of ``indicator``, heaviest first.

    Returns
    -------
    DataFrame
        ``indicator``, ``source_node`` (a node at ``high`` or above, or at the worst
        level found if lower), ``level``, ``country``, ``mined`` (kg of mined material
        per unit of ``node`` that comes through it), ``path`` (the heaviest path from it
        to ``node``, ``a > b > c``), ``transparency`` and ``source`` (of its level).
    """
    solution = as_solution(chain)
    chain_ = solution.chain
    _check_indicator(chain_, indicator)
    x = _through(solution, node)
    ids = chain_.nodes["id"].to_numpy()
    mass = pd.Series(x * mined_mass(solution), index=ids)
    social = chain_.social[
        (chain_.social["indicator"] == indicator) & chain_.social["node"].isin(ids[x > 0])
    ]
    level = _worst(social["level"])
    threshold = (
        min(KNOWN_LEVELS.index(EXPOSED_FROM), KNOWN_LEVELS.index(level))
        if level != "unknown"
        else None
    )
    columns = [
        "indicator",
        "source_node",
        "level",
        "country",
        "mined",
        "path",
        "transparency",
        "source",
    ]
    if threshold is None:
        return pd.DataFrame(columns=columns)
    chosen = social[
        social["level"].map(lambda v: KNOWN_LEVELS.index(v) if v in KNOWN_LEVELS else -1)
        >= threshold
    ]
    chosen = (
        chosen.assign(mined=chosen["node"].map(mass))
        .sort_values("mined", ascending=False, kind="stable")
        .head(top)
    )
    country = chain_.nodes.set_index("id")["country"]
    frame = pd.DataFrame(
        {
            "indicator": indicator,
            "source_node": chosen["node"].to_numpy(),
            "level": chosen["level"].to_numpy(),
            "country": chosen["node"].map(country).to_numpy(),
            "mined": chosen["mined"].to_numpy(dtype=float),
            "path": [" > ".join(_heaviest_path(solution, s, node)) for s in chosen["node"]],
            "transparency": chosen["transparency"].to_numpy(),
            "source": chosen["source"].to_numpy(),
        }
    )
    return frame[columns]


def social_sections(
    chain: SupplyChain | Solution, node: str, indicator: str | None = None
) -> dict[str, pd.DataFrame]:
    """The sections of ``supplychain social``: levels, exposure, evidence per indicator."""
    solution = as_solution(chain)
    levels = risk_levels(solution, node)
    exposed = exposure(solution, node)
    if indicator is not None:
        _check_indicator(solution.chain, indicator)
        levels = levels[levels["indicator"] == indicator]
        exposed = exposed[exposed["indicator"] == indicator]
    sections = {
        f"social risk levels upstream of {node}": levels.reset_index(drop=True),
        f"mined mass per unit of {node} exposed (at {EXPOSED_FROM} or above)": exposed.reset_index(
            drop=True
        ),
    }
    at_risk = levels[levels["level"].isin(KNOWN_LEVELS[KNOWN_LEVELS.index(EXPOSED_FROM) :])]
    for name in at_risk["indicator"]:
        sections[f"evidence: {name}"] = evidence(solution, node, name)
    return sections


SOCIAL_RISK_COLUMNS = [
    "node",
    "indicator",
    "level",
    "exposed",
    "share",
    "expected_share",
    "unassessed_share",
    "unit",
    "per",
    "worst_node",
    "country",
    "unknown_mines",
    "mines",
]


def social_risks(chain: SupplyChain | Solution, nodes: Iterable[str]) -> pd.DataFrame:
    """For each of ``nodes``, the indicators at a known level with exposure and evidence.

    Returns
    -------
    DataFrame
        ``node, indicator, level, exposed`` (kg of mined material per unit of the node
        from sources at high or above), ``share`` (of all mined mass), ``expected_share``,
        ``unit, per, worst_node, country, unknown_mines, mines``; worst level first. An
        indicator at ``unknown`` is left out here (see :func:`risk_levels`).
    """
    solution = as_solution(chain)
    frames = []
    for node in nodes:
        levels = risk_levels(solution, node)
        exposed = exposure(solution, node).drop(columns="mined")
        joined = levels.merge(exposed, on="indicator").assign(node=node)
        joined = joined[joined["level"] != RiskLevel.UNKNOWN.value]
        joined = joined.assign(_rank=joined["level"].map(KNOWN_LEVELS.index))
        frames.append(joined.sort_values(["_rank", "exposed"], ascending=False, kind="stable"))
    if not frames:
        return pd.DataFrame(columns=SOCIAL_RISK_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SOCIAL_RISK_COLUMNS]


def worst_levels(chain: SupplyChain) -> pd.DataFrame:
    """The worst known level of every indicator upstream of every node, all at once.

    Levels are carried along every edge with a positive amount, sweep after sweep until
    nothing changes (loops included: a level can only rise, so this ends).

    Returns
    -------
    DataFrame
        Index: node ids; one column per indicator; values: levels, ``unknown`` where no
        node upstream has a known level.

    Examples
    --------
    >>> from supplychain.tables import from_tables
    >>> chain = from_tables(
    ...     nodes=[{"id": "mine", "kind": "mine", "unit": "kg"},
    ...            {"id": "metal", "kind": "material", "unit": "kg"}],
    ...     edges=[{"source": "mine", "target": "metal", "amount": 1}],
    ...     social=[{"node": "mine", "indicator": "conflict", "level": "medium"}],
    ... )
    >>> worst_levels(chain).loc["metal", ["conflict", "child_labour"]].tolist()
    ['medium', 'unknown']
    """
    ids = pd.Index(chain.nodes["id"])
    names = indicators(chain)
    codes = np.full((len(ids), len(names)), -1, dtype=np.int8)
    social = chain.social[chain.social["level"].isin(KNOWN_LEVELS)]
    rows = ids.get_indexer(social["node"])
    columns = pd.Index(names).get_indexer(social["indicator"])
    np.maximum.at(codes, (rows, columns), social["level"].map(KNOWN_LEVELS.index).to_numpy())
    flows = chain.edges["converted_amount"].to_numpy(dtype=float) > 0
    s, c = chain.index.edge_supplier[flows], chain.index.edge_consumer[flows]
    for _ in range(len(ids) + 1):
        carried = codes.copy()
        np.maximum.at(carried, c, codes[s])
        if np.array_equal(carried, codes):
            break
        codes = carried
    labels = np.array([*KNOWN_LEVELS, RiskLevel.UNKNOWN.value], dtype=object)
    return pd.DataFrame(labels[codes], index=ids, columns=names)
