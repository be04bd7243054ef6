"""The main job, ``supplychain report``: the results a reader of a graph wants first.

The report is a sequence of titled tables: what the graph holds
(:mod:`supplychain.summary`), the headline totals of its services and devices with their
opacity and their P5-P95 range (a Monte Carlo run of :data:`REPORT_SAMPLES` samples, seed
:data:`supplychain.uncertainty.DEFAULT_SEED`), the hotspots behind them, and their
social risks (worst level upstream, mined mass exposed, the heaviest source), and the top
data gaps (:func:`supplychain.audit.top_gaps`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from supplychain.audit import audit, audited_nodes, top_gaps
from supplychain.errors import IncomparableError
from supplychain.model import SupplyChain
from supplychain.propagate import Solution, node_position, solve_chain, totals
from supplychain.social import KNOWN_LEVELS, exposure, social_risks
from supplychain.summary import summary_sections
from supplychain.trace import (
    contributions,
    input_contributions,
    main_category,
    requirement_vectors,
    requirements_by_country,
)
from supplychain.uncertainty import (
    DEFAULT_SEED,
    MonteCarlo,
    affordable_samples,
    monte_carlo,
    uncertainty_summary,
)

__all__ = [
    "summary_lines",
    "report_summary",
    "scenario_sections",
    "report_sections",
    "report_samples",
    "headline_nodes",
    "headline_totals",
    "hotspots",
    "service_sections",
    "training_balance",
    "comparison_sections",
]

MAX_HEADLINE_NODES = 20
HOTSPOTS_PER_NODE = 3
REPORT_SAMPLES = 1000
TOP_GAPS = 10


def headline_nodes(solution: Solution) -> list[str]:
    """Services, then devices, largest total in the main category first (at most 20)."""
    return audited_nodes(solution, main_category(solution), MAX_HEADLINE_NODES)


def headline_totals(
    solution: Solution, samples: int = REPORT_SAMPLES, run: MonteCarlo | None = None
) -> pd.DataFrame:
    """Totals with opacity and P5-P95 of the headline nodes, every category with data.

    Columns as :func:`supplychain.propagate.totals`, with ``p5`` and ``p95`` (Monte
    Carlo, ``samples`` samples or fewer on a big graph, see
    :func:`~supplychain.uncertainty.affordable_samples`; seed
    :data:`~supplychain.uncertainty.DEFAULT_SEED`) after ``value``. ``run``: a Monte
    Carlo run that keeps every headline node, to use instead of running one.
    """
    everything = totals(solution)
    chosen = headline_nodes(solution)
    rank = everything["node"].map({node: i for i, node in enumerate(chosen)})
    picked = everything[rank.notna()].assign(_rank=rank[rank.notna()])  # not the whole index
    picked = picked.sort_values("_rank", kind="stable").drop(columns="_rank")
    if chosen:
        if run is None or not set(chosen) <= set(run.nodes):
            samples = affordable_samples(solution.chain, samples)
            run = monte_carlo(solution.chain, samples, DEFAULT_SEED, nodes=chosen)
        spread = uncertainty_summary(run, solution=solution)
        spread = spread[spread["node"].isin(chosen)][["node", "category", "p5", "p95"]]
        picked = picked.merge(spread, on=["node", "category"], how="left")
    else:
        picked = picked.assign(p5=pd.Series(dtype=float), p95=pd.Series(dtype=float))
    columns = list(picked.columns)
    for name in ("p95", "p5"):
        columns.insert(columns.index("value") + 1, columns.pop(columns.index(name)))
    return picked[columns].reset_index(drop=True)


def hotspots(solution: Solution, top: int = HOTSPOTS_PER_NODE) -> pd.DataFrame:
    """The largest contributors (own impacts) to each headline node's main-category total.

    Columns: ``node``, ``category``, ``hotspot`` (the contributing node), ``kind``,
    ``country``, ``direct`` (its impact per unit of ``node``, category unit), ``share``
    (of the node's total), ``transparency`` (of the hotspot's direct impact).
    """
    category = main_category(solution)
    columns = ["node", "category", "hotspot", "kind", "country", "direct", "share", "transparency"]
    if category is None:
        return pd.DataFrame(columns=columns)
    frames = []
    requirement_vectors(solution, headline_nodes(solution))  # one solve for all of them
    for node in headline_nodes(solution):
        found = contributions(solution, node, category).head(top)
        found = found.rename(columns={"node": "hotspot"}).assign(node=node, category=category)
        frames.append(found)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def report_samples(chain: SupplyChain) -> int:
    """The samples of the report's Monte Carlo run, and of its page (fewer on big graphs)."""
    return affordable_samples(chain, REPORT_SAMPLES)


def report_sections(
    chain: SupplyChain, solution: Solution | None = None, run: MonteCarlo | None = None
) -> dict[str, pd.DataFrame]:
    """Every section of the report, by title, in reading order (``solution``: ``chain``
    solved already, with opacity; ``run``: its Monte Carlo run, see
    :func:`headline_totals`)."""
    solution = solve_chain(chain) if solution is None else solution
    sections = summary_sections(chain)
    warnings = sections.pop("validation warnings")
    samples = report_samples(chain)
    title = (
        "headline totals per unit (services and devices, or else the end products), with"
        f" P5-P95 ({samples} samples)"
    )
    sections[f"{title} and opacity"] = headline_totals(solution, samples, run)
    category = main_category(solution)
    sections[f"hotspots: largest own contributions to {category or 'no category'}"] = hotspots(
        solution
    )
    headline = headline_nodes(solution)
    risks = social_risks(solution, headline)
    sections[
        "social risks of the services and devices: worst level upstream, mined mass exposed"
    ] = risks
    found = audit(solution, headline, top=TOP_GAPS, checks=False)
    gaps = top_gaps(found, TOP_GAPS)
    sections["top data gaps: where the totals rest most on undisclosed data"] = gaps
    sections["validation warnings"] = warnings
    totals_title = f"{title} and opacity"
    summary = report_summary(
        sections[totals_title], sections[next(t for t in sections if t.startswith("hotspots"))],
        risks, found, category,
    )  # fmt: skip
    return {f"summary, in {category or 'no category'}": summary, **sections}


SUMMARY_COLUMNS = [
    "node",
    "value",
    "p5",
    "p95",
    "unit",
    "per",
    "opacity",
    "main_contributor",
    "contributor_share",
    "mined",
    "worst_risk",
    "first_gap",
]
"""Columns of :func:`report_summary`."""


SUMMARY_NODES = 5
"""How many headline nodes the report's opening summary describes (the tables have all)."""


def summary_lines(
    summary: pd.DataFrame, width: int | None, limit: int = SUMMARY_NODES
) -> list[str]:
    """The report's opening summary in words, three lines or so per node of ``summary``
    (:func:`report_summary`), the first ``limit`` of them, wrapped to ``width``.

    >>> frame = pd.DataFrame([{"node": "chat", "value": 1.5, "p5": 1.0, "p95": 2.5,
    ...     "unit": "kg CO2e", "per": "1000 queries", "opacity": 1.0,
    ...     "main_contributor": "grid", "contributor_share": 0.6, "mined": 0.0004,
    ...     "worst_risk": "unknown", "first_gap": "grid -> chat"}])
    >>> print("\\n".join(summary_lines(frame, 72)))
    chat: 1.5 kg CO2e per 1000 queries (P5-P95 1 to 2.5), opacity 100%
      largest part: grid (60.0%); mined 0.4 g; worst social risk: unknown
      first gap to close: grid -> chat
    """
    import textwrap  # noqa: PLC0415

    lines = []
    wrap = width or 10_000
    for row in summary.head(limit).itertuples(index=False):
        spread = "" if pd.isna(row.p5) else f" (P5-P95 {row.p5:.3g} to {row.p95:.3g})"
        head = (
            f"{row.node}: {row.value:.4g} {row.unit} per {row.per}{spread},"
            f" opacity {row.opacity:.0%}"
        )
        part = (
            f"largest part: {row.main_contributor} ({row.contributor_share:.1%})"
            if row.main_contributor
            else "no part"
        )
        mined = "" if pd.isna(row.mined) else f"; mined {_grams(row.mined)}"
        body = f"{part}{mined}; worst social risk: {row.worst_risk}"
        lines += textwrap.wrap(head, wrap, subsequent_indent="  ")
        lines += textwrap.wrap(body, wrap, initial_indent="  ", subsequent_indent="    ")
        if row.first_gap:
            gap = f"first gap to close: {row.first_gap}"
            lines += textwrap.wrap(gap, wrap, initial_indent="  ", subsequent_indent="    ")
    if len(summary) > limit:
        lines.append(f"... and {len(summary) - limit} more nodes in the tables below")
    return lines


def _grams(kilograms: float) -> str:
    """A mass for a person: g below 1 kg, else kg."""
    return f"{kilograms * 1000:.3g} g" if abs(kilograms) < 1 else f"{kilograms:.3g} kg"


def report_summary(
    headline: pd.DataFrame,
    hotspots_found: pd.DataFrame,
    risks: pd.DataFrame,
    found,
    category: str | None,
) -> pd.DataFrame:
    """One line per headline node, read from the report's own sections (nothing solved
    again): its total in ``category`` with P5-P95 and opacity, its largest own contributor
    and that one's share, its mined mass (kg per unit), the worst social level upstream
    (indicator, level and the share of mined mass exposed) and the first gap to close.

    Columns :data:`SUMMARY_COLUMNS`; ``found`` is the report's :class:`~supplychain.audit.Audit`.
    """
    if category is None or headline.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    rows = headline[headline["category"] == category]
    top = hotspots_found.drop_duplicates("node").set_index("node")
    mined = found.coverage.set_index("node")["mined"]
    gaps = found.gaps[found.gaps["category"] == category].drop_duplicates("node").set_index("node")
    order = {level: i for i, level in enumerate(KNOWN_LEVELS)}
    known = risks[risks["level"].isin(order)]
    known = known.assign(_rank=known["level"].map(order), _share=known["share"].fillna(0))
    known = known.sort_values(["_rank", "_share"], ascending=False, kind="stable")
    worst = known.drop_duplicates("node").set_index("node")

    def risk(node: str) -> str:
        if node not in worst.index:
            return "unknown"
        row = worst.loc[node]
        share = "" if pd.isna(row["share"]) else f", {row['share']:.1%} of mined mass"
        return f"{row['indicator']} {row['level']} ({row['worst_node']}{share})"

    return pd.DataFrame(
        {
            "node": rows["node"].to_numpy(),
            "value": rows["value"].to_numpy(),
            "p5": rows["p5"].to_numpy(),
            "p95": rows["p95"].to_numpy(),
            "unit": rows["unit"].to_numpy(),
            "per": rows["per"].to_numpy(),
            "opacity": rows["opacity"].to_numpy(),
            "main_contributor": [
                top.loc[n, "hotspot"] if n in top.index else "" for n in rows["node"]
            ],
            "contributor_share": [
                top.loc[n, "share"] if n in top.index else np.nan for n in rows["node"]
            ],
            "mined": [mined.get(n, np.nan) for n in rows["node"]],
            "worst_risk": [risk(n) for n in rows["node"]],
            "first_gap": [gaps.loc[n, "gap"] if n in gaps.index else "" for n in rows["node"]],
        },
        columns=SUMMARY_COLUMNS,
    )


def training_balance(solution: Solution, service: str, training: str, queries: int) -> pd.DataFrame:
    """How much of a service's total is its share of a training run, in every category,
    and at how many lifetime requests training and inference would weigh the same.

    ``training``: the training node feeding ``service``; ``queries``: the lifetime
    requests its run is shared over (the edge's amount is ``1000 / queries`` per 1,000).

    Returns
    -------
    DataFrame
        ``node``, ``category``, ``inference`` and ``training`` (their parts of the total,
        per unit of the service), ``unit``, ``training_share``, ``queries`` (as given) and
        ``equal_at_queries`` (lifetime requests at which the two parts would be equal:
        ``queries x training / inference``).
    """
    inputs = input_contributions(solution, service)
    per = solution.chain.nodes.set_index("id").loc[service, "unit"]
    units = solution.chain.categories.set_index("id")["unit"]
    rows = []
    for c, category in enumerate(solution.matrices.categories):
        total = solution.H[node_position(solution, service), c]
        found = inputs[(inputs["input"] == training) & (inputs["category"] == category)]
        trained = float(found["impact"].sum())
        if total <= 0:
            continue
        inference = total - trained
        rows.append(
            {
                "node": service,
                "category": category,
                "inference": inference,
                "training": trained,
                "unit": units.get(category, ""),
                "per": per,
                "training_share": trained / total,
                "queries": queries,
                "equal_at_queries": queries * trained / inference if inference > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def service_sections(
    chain: SupplyChain,
    nodes: Sequence[str],
    samples: int = REPORT_SAMPLES,
    seed: int = DEFAULT_SEED,
    training: Mapping[str, tuple[str, int]] | None = None,
) -> dict[str, pd.DataFrame]:
    """What some services rest on: their totals in every category with P5-P95 and opacity
    (one Monte Carlo run of ``samples`` that keeps ``nodes``; keyed streams give the same
    figures as ``uncertainty --node``), their mined mass by material and country, and their
    social exposure. One solve, passed to each.

    Titles: ``totals per unit (P5-P95, opacity)``, ``what each input carries`` (the share
    of each total that comes through each direct input: electricity, server hours,
    training), ``mined mass by country``, ``social exposure``; columns as
    :func:`supplychain.uncertainty.uncertainty_summary`,
    :func:`supplychain.trace.input_contributions`,
    :func:`supplychain.trace.requirements_by_country` and
    :func:`supplychain.social.exposure`, the last three led by ``node`` when there are
    several. ``training`` maps a service to its training node and lifetime requests: it
    adds ``training against inference`` (:func:`training_balance`).
    """
    solution = solve_chain(chain)
    run = monte_carlo(chain, samples, seed, list(nodes))
    spread = uncertainty_summary(run, solution=solution)

    def each(table) -> pd.DataFrame:
        frames = [table(node) for node in nodes]
        if len(nodes) == 1:
            return frames[0]
        return pd.concat(
            [
                f.assign(node=node)[["node", *f.columns]]
                for node, f in zip(nodes, frames, strict=True)
            ],
            ignore_index=True,
        )

    def by_country(node: str) -> pd.DataFrame:
        found = requirements_by_country(solution, node)
        return found.sort_values("amount", ascending=False, kind="stable").reset_index(drop=True)

    sections = {
        "totals per unit (P5-P95, opacity)": spread[spread["node"].isin(nodes)].reset_index(
            drop=True
        ),
        "what each input carries": each(lambda node: input_contributions(solution, node)),
        "mined mass by country": each(by_country),
        "social exposure": each(lambda node: exposure(solution, node)),
    }
    if training:
        sections["training against inference"] = pd.concat(
            [training_balance(solution, node, *training[node]) for node in training],
            ignore_index=True,
        )
    return sections


def _carried_by_kind(solution: Solution, node: str) -> pd.DataFrame:
    """``category``, ``through`` (the kind of the direct input, or ``own`` for the node's
    own impacts) and ``impact``, per unit of ``node``."""
    inputs = input_contributions(solution, node)
    kinds = solution.chain.nodes.set_index("id")["kind"]
    inputs = inputs.assign(through=inputs["input"].map(kinds))
    carried = inputs.groupby(["category", "through"], sort=False)["impact"].sum().reset_index()
    position = node_position(solution, node)
    own = solution.matrices.B[:, position].toarray().ravel()
    categories = list(solution.matrices.categories)
    mine = pd.DataFrame({"category": categories, "through": "own", "impact": own})
    return pd.concat([carried, mine[mine["impact"] != 0]], ignore_index=True)  # uptakes too


DRIVER_COLUMNS = [
    "node",
    "category",
    "through",
    "impact",
    "first",
    "difference",
    "share_of_difference",
    "unit",
]
"""Columns of the ``what drives the difference`` table of a comparison."""


def _has_figures(solution: Solution, node: str) -> dict[str, bool]:
    """Whether ``node``'s total rests on any figure, by category (else unknown, not 0)."""
    figures = solution.with_figures[node_position(solution, node)]
    return dict(zip(solution.matrices.categories, figures, strict=True))


def _drivers(first: tuple, other: tuple) -> pd.DataFrame:
    """Per category and kind of direct input (:func:`_carried_by_kind`), what ``other``
    carries, what ``first`` does and its share of the difference of their totals. Each is
    ``(solution, node, totals by category)``; a node with no figure in a category has NaN
    there (unknown, not 0)."""
    (first_solution, first_node, first_total), (solution, node, total) = first, other
    base = _carried_by_kind(first_solution, first_node).set_index(["category", "through"])
    carried = _carried_by_kind(solution, node).set_index(["category", "through"])
    base, carried = base["impact"], carried["impact"]
    first_has, node_has = _has_figures(first_solution, first_node), _has_figures(solution, node)
    units = solution.chain.categories.set_index("id")["unit"]
    rows = []
    for category, through in dict.fromkeys([*base.index, *carried.index]):
        mine = carried.get((category, through), 0.0) if node_has.get(category) else np.nan
        theirs = base.get((category, through), 0.0) if first_has.get(category) else np.nan
        gap = total.get(category, np.nan) - first_total.get(category, np.nan)
        difference = mine - theirs + 0.0  # + 0.0: no -0 printed
        size = max(abs(total.get(category, 0.0)), abs(first_total.get(category, 0.0)))
        if abs(difference) <= 1e-12 * size:  # rounding of two solves, not a difference
            difference = 0.0
        if abs(gap) <= 1e-12 * size:
            gap = 0.0
        rows.append(
            {
                "node": node,
                "category": category,
                "through": through,
                "impact": mine,
                "first": theirs,
                "difference": difference,
                "share_of_difference": difference / gap + 0.0 if gap else np.nan,
                "unit": units.get(category, ""),
            }
        )
    return pd.DataFrame(rows, columns=DRIVER_COLUMNS)


def comparison_sections(
    chain: SupplyChain,
    nodes: Sequence[str],
    samples: int = REPORT_SAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, pd.DataFrame]:
    """Some nodes side by side: their totals with P5-P95 and opacity and the ratio of each to
    the first, and what drives the difference: per category, how much of each node's total
    comes through each kind of direct input (``energy``: electricity, ``device``: hardware
    hours, ``service``: training or another service, ``component``, ``material``, ``own``)
    and how much of its difference from the first node each carries.

    Titles ``side by side`` (columns of
    :func:`supplychain.uncertainty.uncertainty_summary` and ``ratio``) and ``what drives the
    difference`` (``node``, ``category``, ``through``, ``impact``, ``first`` (the first
    node's), ``difference``, ``share_of_difference``, ``unit``; NaN where a node has no
    figure in the category: unknown, not 0). One solve and one Monte
    Carlo run (keyed streams: the figures of ``uncertainty --node``).

    Raises
    ------
    IncomparableError
        If the nodes are not all per the same unit.
    """
    nodes = list(dict.fromkeys(nodes))
    units = chain.nodes.set_index("id")["unit"].reindex(nodes)
    if units.nunique(dropna=False) > 1:
        listed = ", ".join(f"{node} per {unit}" for node, unit in units.items())
        raise IncomparableError(f"the nodes must share one unit to be compared: {listed}")
    solution = solve_chain(chain)
    run = monte_carlo(chain, samples, seed, nodes)
    spread = uncertainty_summary(run, solution=solution)
    spread = spread[spread["node"].isin(nodes)]
    order = {node: i for i, node in enumerate(nodes)}
    spread = spread.sort_values(
        ["category", "node"], key=lambda c: c.map(order) if c.name == "node" else c
    )
    first = spread[spread["node"] == nodes[0]].set_index("category")["value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = spread["value"] / spread["category"].map(first)
    side = spread.assign(ratio=ratio).reset_index(drop=True)
    first_total = dict(first)
    drivers = pd.concat(
        [
            _drivers(
                (solution, nodes[0], first_total),
                (
                    solution,
                    node,
                    dict(spread[spread["node"] == node].set_index("category")["value"]),
                ),
            )
            for node in nodes[1:]
        ],
        ignore_index=True,
    )
    return {"side by side": side, "what drives the difference": drivers}


def scenario_sections(
    chain: SupplyChain,
    scenarios: Mapping[str, SupplyChain],
    nodes: Sequence[str],
    samples: int = REPORT_SAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, pd.DataFrame]:
    """The base graph and each of its ``scenarios`` (graphs made by
    :func:`supplychain.scenarios.scenario_chains`) side by side, for each of ``nodes``.

    Titles ``base and scenarios`` (``scenario`` (``base`` first), then the columns of
    :func:`supplychain.uncertainty.uncertainty_summary`, ``difference`` from the base and
    ``ratio`` to it) and ``what drives the difference`` (``scenario``, then the columns of
    :data:`DRIVER_COLUMNS` with ``first`` named ``base``). One Monte Carlo run per graph
    with the same seed: a parameter no scenario changes is drawn alike in all of them
    (keyed streams), so a difference of percentiles is the scenario's, not the draws'.
    """
    nodes = list(dict.fromkeys(nodes))
    graphs = {"base": chain, **scenarios}
    solutions = {name: solve_chain(graph) for name, graph in graphs.items()}
    spreads = []
    for name, graph in graphs.items():
        run = monte_carlo(graph, samples, seed, nodes)
        spread = uncertainty_summary(run, solution=solutions[name])
        spreads.append(spread[spread["node"].isin(nodes)].assign(scenario=name))
    side = pd.concat(spreads, ignore_index=True)
    base = side[side["scenario"] == "base"].set_index(["node", "category"])["value"]
    keys = pd.MultiIndex.from_frame(side[["node", "category"]])
    first = base.reindex(keys).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        side["difference"] = side["value"].to_numpy() - first + 0.0
        side["ratio"] = side["value"].to_numpy() / first
    order = {name: i for i, name in enumerate(graphs)}
    place = {node: i for i, node in enumerate(nodes)}
    side = side.sort_values(
        ["node", "category", "scenario"],
        key=lambda c: (
            c.map(place) if c.name == "node" else c.map(order) if c.name == "scenario" else c
        ),
        kind="stable",
    )
    side = side[["scenario", *[c for c in side.columns if c != "scenario"]]].reset_index(drop=True)
    totals_of = {
        (name, node): dict(frame[frame["node"] == node].set_index("category")["value"])
        for name, frame in zip(graphs, spreads, strict=True)
        for node in nodes
    }
    drivers = pd.concat(
        [
            _drivers(
                (solutions["base"], node, totals_of[("base", node)]),
                (solutions[name], node, totals_of[(name, node)]),
            ).assign(scenario=name)
            for name in scenarios
            for node in nodes
        ],
        ignore_index=True,
    )
    drivers = drivers[["scenario", *DRIVER_COLUMNS]].rename(columns={"first": "base"})
    return {"base and scenarios": side, "what drives the difference": drivers}
