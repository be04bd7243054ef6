"""The supply chain as an interactive HTML page that works offline: pyvis (vis-network), inlined.

The page is one file. vis-network's script and style come from the pyvis package and are
written into it; nothing is loaded from the network (a Content-Security-Policy forbids it
too), and every name, note and source is data, shown as text: the graph travels as JSON
in a ``<script type="application/json">`` block with ``<``, ``>`` and ``&`` escaped, and the
page builds labels, tooltips and panels with ``textContent``.

What the page shows (:func:`page_data`):

* **Layout** (:mod:`supplychain.layout`): columns upstream to downstream (mines,
  materials, components, devices, services), energy just before its first consumer;
  within a column, nodes ordered by their neighbours (barycentre sweeps), so the same
  graph gives the same picture.
* **Colour** by kind; **size** by the share of the shown total that flows through the node
  (the focus node's total, or the total of every service and device), **edge width** by
  the share that flows through the edge. **Dashes** mark undisclosed data: a node or edge
  from a proxy (``estimated``) is dashed, a placeholder (``missing``) dashed in red;
  published data is solid grey, disclosed data solid and dark.
* **Tooltips** and a panel on click (:mod:`supplychain.panels`): unit, country, totals
  per unit with P5-P95 (Monte Carlo) and opacity, social risk levels upstream, the
  direct impacts and sources.
* **Search** and **filters** by kind, country and transparency.
* A large graph is pruned to the nodes through which most of the total flows, and the page
  says how many it hides; ``focus`` shows only what is upstream of one node.

Examples
--------
>>> from supplychain.io import load
>>> data = page_data(load("example"), focus="image-generation", samples=0)
>>> sorted(n["id"] for n in data["nodes"] if n["id"].endswith("-cod"))
['cobalt-mining-cod', 'tantalum-mining-cod']
>>> data["meta"]["note"].split(". ")[0]
'1 of 13 nodes are hidden: below 0.1% of the total of image-generation and of its mined mass'

"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from supplychain.defaults import PAGE_SAMPLES
from supplychain.errors import OutputExistsError
from supplychain.files import atomic_write, check_target
from supplychain.layout import node_positions
from supplychain.model import SupplyChain
from supplychain.origins import origins
from supplychain.panels import node_details
from supplychain.propagate import (
    Solution,
    category_position,
    node_position,
    solve_chain,
)
from supplychain.sankey import mass_flows
from supplychain.social import evidence, mined_mass
from supplychain.solver import solve
from supplychain.text import short_label
from supplychain.trace import gross_requirement_vector, main_category
from supplychain.uncertainty import (
    DEFAULT_SEED,
    MonteCarlo,
    affordable_samples,
)

__all__ = [
    "page_data",
    "shown_nodes",
    "render_page",
    "write_page",
    "DEFAULT_CUTOFF",
    "MAX_NODES",
    "PAGE_MARK",
    "KIND_COLOURS",
]

DEFAULT_CUTOFF = 0.001
"""With a focus: hide nodes through which less than this share of its total flows."""

MAX_NODES = 1500
"""More nodes than this are pruned to the ones through which most of the total flows."""


PAGE_MARK = "<!-- supplychain page -->"
"""First line of every page; a file that starts with it may be replaced by a new page."""

KIND_COLOURS = {
    "mine": "#8c564b",
    "material": "#ff7f0e",
    "component": "#1f77b4",
    "device": "#9467bd",
    "service": "#2ca02c",
    "energy": "#c9a100",
}
"""Colour of each kind of node."""

_STYLE = {  # transparency -> (border or line colour, dashes, width)
    "disclosed": ("#222222", False, 1.5),
    "published": ("#777777", False, 1.5),
    "estimated": ("#777777", [6, 4], 1.5),
    "missing": ("#d62728", [3, 3], 3.0),
}


# ------------------------------------------------------------------------- what to show


MAX_HEADLINES = 50
"""Without a focus, shares are the largest over this many services and devices at most
(beyond, over their sum)."""


def _flows(solution, focus: str | None, category: str | None) -> tuple:
    """Share of the shown total(s) through every node and every edge, what it is of, and
    (with a focus) the share of the focus's mined mass that comes through every node.

    With a focus, shares of its total; without, the largest share of the total of any
    service or device (each is its own 100 %).
    """
    chain, matrices = solution.chain, solution.matrices
    n = len(matrices.nodes)
    if focus is not None:
        targets = np.array([node_position(solution, focus)])
        of = f"the total of {focus}"
    else:
        targets = np.flatnonzero(chain.nodes["kind"].isin(["service", "device"]).to_numpy())
        of = "the total of a service or device"
        if len(targets) == 0:
            targets = np.arange(n)
            of = "the total of a node"
    weight = (
        np.ones(n) if category is None else solution.H[:, category_position(solution, category)]
    )
    if len(targets) > MAX_HEADLINES:  # one demand of all of them
        demand = np.zeros((n, 1))
        demand[targets, 0] = 1.0
    else:
        demand = np.zeros((n, len(targets)))
        demand[targets, np.arange(len(targets))] = 1.0
    x = solve(solution.requirements_plan, demand)  # requirements, one per column
    of_mass = np.zeros(n)
    if focus is not None:  # mines matter for the mass they supply, whatever its GWP
        mass = mined_mass(solution)
        if mass[targets[0]] > 0:
            of_mass = gross_requirement_vector(solution, focus) * mass / mass[targets[0]]
    total = (demand * weight[:, None]).sum(axis=0)
    if not (total != 0).any():  # nothing in this category: shares of the amounts
        weight, total = np.ones(n), demand.sum(axis=0)
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total != 0)
    through = _largest_in_size(x * weight[:, None] * scale)
    s, c = matrices.edge_supplier, matrices.edge_consumer
    edge = _largest_in_size(x[c] * matrices.edge_amount[:, None] * weight[s][:, None] * scale)
    return through, edge, of, of_mass


def _largest_in_size(shares: np.ndarray) -> np.ndarray:
    """Per row, the share (signed: a credit's is negative) of the largest size."""
    if shares.shape[1] == 0:
        return np.zeros(shares.shape[0])
    return shares[np.arange(shares.shape[0]), np.abs(shares).argmax(axis=1)]


def _visible(solution, share, of_mass, focus, cutoff, max_nodes) -> tuple[np.ndarray, float]:
    """Which nodes the page shows (a mask), and the share below which the rest are hidden."""
    n = len(share)
    if focus is not None:  # a mine stays if it supplies enough of the mass, however clean
        threshold = DEFAULT_CUTOFF if cutoff is None else cutoff
        size = np.abs(share)  # a credit is shown by its size, like any contribution
        visible = ((size >= threshold) & (size > 0)) | ((of_mass >= threshold) & (of_mass > 0))
        visible[node_position(solution, focus)] = True
        evidence = _evidence_positions(solution, focus)
        visible[evidence] = True
    else:
        threshold = 0.0 if cutoff is None else cutoff
        visible = np.abs(share) >= threshold if threshold > 0 else np.ones(n, dtype=bool)
    if visible.sum() > max_nodes:
        ranked = np.argsort(-np.abs(share), kind="stable")[:max_nodes]
        visible = np.zeros(n, dtype=bool)
        visible[ranked] = True
        if focus is not None:  # the evidence of the node's social levels stays, whatever
            visible[evidence] = True
    return visible, threshold


def _evidence_positions(solution, focus: str) -> np.ndarray:
    """Positions of the nodes behind ``focus``'s known social levels, as ``social`` and the
    report name them (each indicator's evidence, at most 10), and of every node on their
    heaviest paths to it: a focused page keeps them whatever their share of the impact."""
    chain = solution.chain
    known = chain.social[chain.social["level"] != "unknown"]["indicator"].unique()
    ids: set[str] = set()
    for indicator in sorted(known):
        found = evidence(solution, focus, indicator)
        ids.update(found["source_node"])
        for path in found["path"]:
            ids.update(path.split(" > "))
    return np.flatnonzero(chain.nodes["id"].isin(ids).to_numpy())


def shown_nodes(
    solution: Solution,
    focus: str | None = None,
    category: str | None = None,
    cutoff: float | None = None,
    max_nodes: int = MAX_NODES,
) -> list[str]:
    """The ids of the nodes :func:`page_data` shows with these options (to run one Monte
    Carlo for a report and its page)."""
    category = category or main_category(solution)
    share, _, _, of_mass = _flows(solution, focus, category)
    visible, _ = _visible(solution, share, of_mass, focus, cutoff, max_nodes)
    return solution.chain.nodes["id"].to_numpy()[visible].tolist()


def _scaled(dashes: list[int] | bool, width: float) -> list[float] | bool:
    """A dash pattern that stays visible on a wide line (gaps at least 1.5 line widths)."""
    if not dashes or width <= 2:
        return dashes
    return [round(d * width / 2, 1) for d in dashes]


def page_data(
    chain: SupplyChain,
    focus: str | None = None,
    category: str | None = None,
    cutoff: float | None = None,
    samples: int = PAGE_SAMPLES,
    seed: int = DEFAULT_SEED,
    max_nodes: int = MAX_NODES,
    solution: Solution | None = None,
    run: MonteCarlo | None = None,
) -> dict:
    """Everything the page draws, as JSON-ready data.

    ``solution``: ``chain`` solved already (with opacity), e.g. by the report, so that the
    page shows the very numbers printed beside it and nothing is solved twice. The panel's
    P5-P95 come from a Monte Carlo run of the shown nodes with ``samples`` and ``seed``:
    its draws are keyed by parameter, so they are the report's and ``uncertainty``'s for
    the same seed and sample count. ``run``: that Monte Carlo run already made (it must
    keep every shown node; ``samples`` and ``seed`` are then its own).

    Returns
    -------
    dict
        ``nodes`` and ``edges`` (vis-network items built with pyvis), ``details`` (by node
        id: the panel's fields), ``meta`` (graph name, category, focus, what sizes are a
        share of, the pruning note, counts).
    """
    from pyvis.network import Network  # noqa: PLC0415  (imported only to draw)

    solution = solve_chain(chain) if solution is None else solution
    category = category or main_category(solution)
    if category is not None:
        category_position(solution, category)
    if focus is not None:
        node_position(solution, focus)
    share, edge_share, of, of_mass = _flows(solution, focus, category)
    n = len(chain.nodes)
    ids = chain.nodes["id"].to_numpy()
    visible, threshold = _visible(solution, share, of_mass, focus, cutoff, max_nodes)
    keep = np.flatnonzero(visible)
    hidden = n - len(keep)
    note = ""
    if hidden:
        mass_too = " and of its mined mass" if focus is not None else ""
        reason = (
            f"below {100 * threshold:.3g}% of {of}{mass_too}"
            if len(keep) < max_nodes
            else f"beyond the {max_nodes} nodes through which most of {of} flows"
        )
        note = f"{hidden} of {n} nodes are hidden: {reason}."
        if focus is not None:
            note += " The nodes behind its social levels are kept, whatever their share."
    x, y = node_positions(chain, keep)
    samples = affordable_samples(chain, samples) if samples else 0
    if run is not None and set(ids[keep]) <= set(run.nodes):
        samples, seed = run.samples, run.seed
    else:
        run = None
    details = node_details(solution, ids[keep], category, samples, seed, run)
    network = Network(directed=True)
    biggest = max(float(np.abs(share[keep]).max(initial=0.0)), 1e-300)
    kinds = chain.nodes["kind"].to_numpy()
    levels = chain.nodes["transparency"].to_numpy()
    for position, (px, py) in zip(keep, zip(x, y, strict=True), strict=True):
        colour, dashes, width = _STYLE[levels[position]]
        network.add_node(
            str(ids[position]),
            label=_label(chain.nodes["name"].iloc[position] or ids[position]),
            short=_label(chain.nodes["name"].iloc[position] or ids[position], 22),
            x=float(px),
            y=float(py),
            physics=False,
            shape="dot",
            size=float(10 + 30 * math.sqrt(abs(share[position]) / biggest)),
            color={"background": KIND_COLOURS[kinds[position]], "border": colour},
            borderWidth=width,
            shapeProperties={"borderDashes": dashes},
        )
    positions = np.full(n, -1)
    positions[keep] = np.arange(len(keep))
    matrices = solution.matrices
    edge_levels = chain.edges["transparency"].to_numpy()
    units = chain.nodes["unit"].to_numpy()
    widest = max(float(np.abs(edge_share).max(initial=0.0)), 1e-300)
    for e in np.flatnonzero(
        (positions[matrices.edge_supplier] >= 0) & (positions[matrices.edge_consumer] >= 0)
    ):
        colour, dashes, _ = _STYLE[edge_levels[e]]
        width = float(0.5 + 9.5 * math.sqrt(abs(edge_share[e]) / widest))
        network.add_edge(
            str(ids[matrices.edge_supplier[e]]),
            str(ids[matrices.edge_consumer[e]]),
            width=width,
            dashes=_scaled(dashes, width),
            color={"color": colour, "opacity": 0.8},
            arrows="to",
            transparency=str(edge_levels[e]),
            share=float(edge_share[e]),
            amount=float(matrices.edge_amount[e]),
            unit=str(units[matrices.edge_supplier[e]]),  # the amount's: the supplier's unit
            per=str(units[matrices.edge_consumer[e]]),
        )
    nodes, edges, *_ = network.get_network_data()
    flows_of = _sankey_node(solution, focus)
    return {
        "nodes": nodes,
        "edges": edges,
        "details": details,
        "sankey": mass_flows(solution, flows_of),
        "origins": origins(solution, flows_of),
        "meta": {
            "graph": chain.name,
            "category": category or "",
            "focus": focus or "",
            "of": of,
            "note": note,
            "shown": len(keep),
            "total": n,
            "samples": samples,
            "seed": seed,
            "kinds": dict(KIND_COLOURS),
            "lines": {
                level: {"colour": colour, "dash": " ".join(map(str, dashes)) if dashes else ""}
                for level, (colour, dashes, _) in _STYLE.items()
            },
        },
    }


def _sankey_node(solution: Solution, focus: str | None) -> str:
    """The node whose mined mass the Sankey shows: the focus, else the service or device
    with the most mined mass per unit (else any node with the most)."""
    if focus is not None:
        return focus
    mass = mined_mass(solution)
    kinds = solution.chain.nodes["kind"].isin(["service", "device"]).to_numpy()
    pool = np.flatnonzero(kinds) if kinds.any() else np.arange(len(mass))
    return str(solution.chain.nodes["id"].iloc[pool[np.argmax(mass[pool])]])


def _label(text: str, width: int = 28) -> str:
    """A short label for the canvas: :func:`supplychain.text.short_label`."""
    return short_label(text, width)


# ------------------------------------------------------------------------- the page


def _safe_json(data: object) -> str:
    """JSON that cannot end its ``<script>`` block nor open a tag: ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _asset(name: str) -> str:
    import pyvis  # noqa: PLC0415

    return (Path(pyvis.__file__).parent / "lib" / "vis-9.1.2" / name).read_text(encoding="utf-8")


def _vendor(name: str) -> str:
    """A file of ``supplychain/vendor/`` (see its licences there), made safe to inline."""
    text = (Path(__file__).parent / "vendor" / name).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script")


def render_page(data: dict) -> str:
    """The HTML page of :func:`page_data` (one self-contained file)."""
    script = _asset("vis-network.min.js").replace("</script", "<\\/script")
    style = _asset("vis-network.css").replace("</style", "<\\/style")
    template = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")
    return (
        template.replace("/*VIS_STYLE*/", style)
        .replace("/*VIS_SCRIPT*/", script)
        .replace("/*D3_SANKEY*/", _vendor("d3-sankey.bundle.js"))
        .replace("/*D3_GEO*/", _vendor("d3-geo.bundle.js"))
        .replace("/*WORLD*/", _vendor("countries-110m.json"))
        .replace("/*GRAPH_DATA*/", _safe_json(data))
    )


def _starts_with_mark(path: Path) -> bool:
    """Whether the file at ``path`` is a page this module wrote."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(PAGE_MARK)) == PAGE_MARK.encode()
    except OSError:
        return False


def write_page(
    chain: SupplyChain,
    path: str | os.PathLike,
    overwrite: bool = False,
    protect: tuple[Path, ...] = (),
    **options: object,
) -> Path:
    """Render the page of ``chain`` into ``path`` and return it.

    A file that exists is replaced only if ``overwrite`` is true or it is a page this
    function wrote (it starts with :data:`PAGE_MARK`); never inside ``protect`` (the input),
    never a folder, and only in a folder that exists.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and may not be replaced, or lies in the input.
    WriteError
        If it cannot be written (the file is then unchanged).
    """
    target = Path(path)
    ours = target.is_file() and _starts_with_mark(target)
    check_target(target, True, protect)
    if target.exists() and not (overwrite or ours):
        raise OutputExistsError(
            f"{target} exists and is not a supplychain page; choose another file or allow"
            " overwriting"
        )
    html = render_page(page_data(chain, **options))
    atomic_write(target, lambda path: path.write_text(html, encoding="utf-8"))
    return target
