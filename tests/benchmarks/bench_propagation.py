"""Benchmark: total impacts of every node of a generated supply chain, against the alternatives.

What it measures
----------------
A generated layered graph (:func:`generate_graph`: mines -> materials -> components ->
devices -> services, about five inputs per node from the layer directly upstream, direct
impacts in three categories ``gwp``, ``water``, ``energy``, random transparency levels) at
each size, in two variants: acyclic, and with 1% recycling back edges (devices and services
feeding mines and materials, small amounts, spectral radius well below 1). On each:

* **load/validate (in memory)**: ``supplychain.tables.from_tables`` on DataFrames.
* **ours**: ``supplychain.propagate.solve_chain(chain, opacity=False)``, the totals of all
  nodes in all three categories (matrices, plan, solve); again with ``opacity=True``
  (three more solves, one per transparency level).
* **networkx**: the obvious propagation, node by node in topological order (acyclic variant
  only: a cyclic graph has no topological order; up to ``--networkx-max`` nodes).
* **bw2calc** (optional, ``pip install bw2calc``): Brightway's engine on the same system, two
  ways. ``FastScoresOnlyMultiLCA(direction="adjoint")`` solves the transposed system once
  per category and gives the score of every product at once: the same all-node totals,
  measured (it needs pypardiso or scikit-umfpack). The classic route, one ``LCA`` with one
  factorisation and then one solve per node, is timed on 50 demands and extrapolated to all
  nodes; those rows say so. Both rest on a sparse LU factorisation, whose fill-in grows
  quickly on this graph (random links between large layers): a bw2calc case stopped after
  ``--bw-timeout`` seconds gives a lower bound, and bw2calc is then not run on larger graphs.
* **command line end to end** (sizes from 10^5): ``python -m supplychain impacts FOLDER
  --format csv`` (read the CSV tables, validate, build, solve, write the CSV of totals);
  ``validate`` instead, with a note, where the ``impacts`` command does not exist yet.
  Beside it, on the same CSV files of the acyclic graph, the obvious alternative
  (``pandas_networkx_totals.py``: pandas reads, networkx propagates in topological order,
  pandas writes the totals), timed the same way; its ``x`` is over the command line.

First, on 10^4-node graphs, ours is checked against networkx, scipy's ``spsolve`` and
bw2calc (maximum relative difference over all nodes and categories).

How to run
----------
From the project root (``PYTHONPATH=.`` unless the package is installed)::

    python tests/benchmarks/bench_propagation.py                     # 10^4, 10^5, 10^6: ~10 min
    python tests/benchmarks/bench_propagation.py --sizes 10000 100000 --skip-cli --json out.json

Caveats
-------
* One core: the script pins itself, and so every process it starts, to the first core it
  may use (``os.sched_setaffinity``, where the system has it) and sets the OpenMP,
  OpenBLAS and MKL thread counts to 1 before numpy is imported. The targets are for one core.
* Every case runs in a fresh child process. Its time is the wall time of the computation
  alone (``time.perf_counter``, one run; generating, pickling and writing the graph are
  not timed); its peak memory is ``ru_maxrss`` of that child (``os.wait4``): the resident
  high-water mark of the whole process, with Python, the imports and the input it holds
  (for ours: the validated graph), not only what the computation added.
* A child that runs longer than ``--case-timeout`` (bw2calc: ``--bw-timeout``) or grows
  past ``--memory-limit`` is stopped and reported as such.
* ``x ours``: the time of a case over the time of ours (all-node totals) on the same graph.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"  # one thread, set before numpy and scipy load their BLAS

import numpy as np  # noqa: E402  (after the thread settings, on purpose)
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402

PROJECT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------------------ the graph

LAYERS = [  # kind, unit, share of the nodes; each layer takes its inputs from the one above
    ("mine", "kg", 0.25),
    ("material", "kg", 0.15),
    ("component", "item", 0.30),
    ("device", "h", 0.20),
    ("service", "1000 queries", 0.10),
]
CATEGORIES = ("gwp", "water", "energy")
LEVELS = ("disclosed", "published", "estimated", "missing")
LEVEL_SHARES = (0.3, 0.3, 0.3, 0.1)
SOURCES = pd.DataFrame(
    {
        "id": [f"src-{level}" for level in LEVELS[:3]],
        "title": ["Company reports", "LCA database", "Expert estimate"],
        "transparency": list(LEVELS[:3]),
    }
)
MINE_IMPACTS = {"gwp": (0.5, 20.0), "water": (0.005, 0.5), "energy": (5.0, 200.0)}
PROCESS_IMPACTS = {"gwp": (0.1, 5.0), "energy": (1.0, 50.0)}  # on a few other nodes
PROCESS_IMPACT_SHARE = 0.05
RECYCLED_AMOUNT = (0.001, 0.02)  # per unit of the mine or material that takes it back


@dataclass
class GeneratedGraph:
    """A generated graph as arrays (node positions, not ids); tables made on request.

    Edge ``e`` means node ``consumer[e]`` takes ``amount[e]`` units of ``supplier[e]`` per
    unit; the first ``n_edges - back_edges`` edges point downstream, the rest are recycling.
    Levels are positions in :data:`LEVELS`, categories positions in :data:`CATEGORIES`.
    """

    node_ids: np.ndarray
    kinds: np.ndarray
    units: np.ndarray
    supplier: np.ndarray
    consumer: np.ndarray
    amount: np.ndarray
    edge_level: np.ndarray
    impact_node: np.ndarray
    impact_category: np.ndarray
    impact_value: np.ndarray
    impact_level: np.ndarray
    back_edges: int

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.supplier)

    def technology_matrix(self) -> sp.csr_array:
        """``A[i, j]``: amount of node i per unit of node j."""
        n = self.n_nodes
        return sp.csr_array((self.amount, (self.supplier, self.consumer)), shape=(n, n))

    def direct_impacts(self) -> np.ndarray:
        """``B^T`` (n x 3): direct impact of every node in every category."""
        direct = np.zeros((self.n_nodes, len(CATEGORIES)))
        direct[self.impact_node, self.impact_category] = self.impact_value
        return direct

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables of README "The file format", for ``from_tables`` or CSV files."""
        ids = self.node_ids
        transparency = np.array([*LEVELS[:3], ""], dtype=object)  # missing: no level, no source
        citation = np.array([*SOURCES["id"], ""], dtype=object)
        return {
            "nodes": pd.DataFrame({"id": ids, "kind": self.kinds, "unit": self.units}),
            "edges": pd.DataFrame(
                {
                    "source": ids[self.supplier],
                    "target": ids[self.consumer],
                    "amount": self.amount,
                    "transparency": transparency[self.edge_level],
                    "source_ref": citation[self.edge_level],
                }
            ),
            "impacts": pd.DataFrame(
                {
                    "node": ids[self.impact_node],
                    "category": np.array(CATEGORIES, dtype=object)[self.impact_category],
                    "value": self.impact_value,
                    "transparency": transparency[self.impact_level],
                    "source": citation[self.impact_level],
                }
            ),
            "sources": SOURCES.copy(),
        }

    def write_csv(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for table, frame in self.tables().items():
            frame.to_csv(folder / f"{table}.csv", index=False)


def _layer_sizes(n_nodes: int) -> np.ndarray:
    sizes = np.maximum(1, np.round([share for *_, share in LAYERS] * np.array(n_nodes)))
    sizes = sizes.astype(np.int64)
    sizes[2] += n_nodes - sizes.sum()  # the rounding rest goes to the components
    return sizes


def _inputs_from_layer_above(rng, first_consumer, consumers, first_supplier, suppliers, mean):
    """Distinct random suppliers for each consumer: ``mean`` on average, vectorised.

    Consumer ``c`` takes ``k`` suppliers ``start, start + step, ...`` (mod the layer size),
    with ``k * step <= suppliers``, so no supplier is drawn twice for one consumer.
    """
    k = np.floor(mean) + (rng.random(consumers) < mean % 1)
    k = np.minimum(k.astype(np.int64), suppliers)
    owner = np.repeat(np.arange(consumers), k)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(k) - k, k)
    start = rng.integers(0, suppliers, consumers)
    step = rng.integers(1, np.maximum(suppliers // np.maximum(k, 1), 1) + 1)
    supplier = first_supplier + (start[owner] + position * step[owner]) % suppliers
    return supplier, first_consumer + owner, owner


def _amounts(rng, owner: np.ndarray, consumers: int, mix: bool) -> np.ndarray:
    """Random shares per consumer adding up to 1 (a sourcing mix) or to 0.3 .. 0.9."""
    weight = rng.uniform(0.2, 1.0, len(owner))
    weight /= np.bincount(owner, weight, consumers)[owner]
    return weight if mix else weight * rng.uniform(0.3, 0.9, consumers)[owner]


def _recycling_edges(rng, starts: np.ndarray, count: int):
    """Back edges from devices and services to mines and materials, without duplicates."""
    supplier = rng.integers(starts[3], starts[5], count)
    consumer = rng.integers(starts[0], starts[2], count)
    pairs = np.unique(np.column_stack([supplier, consumer]), axis=0)
    amount = rng.uniform(*RECYCLED_AMOUNT, len(pairs))
    return pairs[:, 0], pairs[:, 1], amount


def _direct_impacts(rng, starts: np.ndarray, n_nodes: int):
    """All three categories on every mine; gwp and energy on a few other nodes."""
    nodes, categories, values = [], [], []
    mines = np.arange(starts[0], starts[1])
    others = np.arange(starts[1], n_nodes)
    emitting = others[rng.random(len(others)) < PROCESS_IMPACT_SHARE]
    for where, ranges in ((mines, MINE_IMPACTS), (emitting, PROCESS_IMPACTS)):
        for category, (low, high) in ranges.items():
            nodes.append(where)
            categories.append(np.full(len(where), CATEGORIES.index(category)))
            values.append(rng.uniform(low, high, len(where)))
    return np.concatenate(nodes), np.concatenate(categories), np.concatenate(values)


def generate_graph(
    n_nodes: int, recycling: float = 0.0, seed: int = 0, inputs_per_node: float = 5.0
) -> GeneratedGraph:
    """A layered supply chain of ``n_nodes`` nodes and about ``inputs_per_node * n_nodes``
    downstream edges, plus ``recycling`` times as many back edges.

    Every non-mine node takes its inputs from the layer directly upstream: a material's
    mines are a sourcing mix (shares add up to 1, so the graph validates without
    warnings), other nodes take 0.3 .. 0.9 units in all. Back edges take 0.001 .. 0.02
    units of a device or service per unit of a mine or material; a loop then gains at most
    a few per cent per round (spectral radius well below 1), so the system is well posed.
    """
    rng = np.random.default_rng(seed)
    sizes = _layer_sizes(n_nodes)
    starts = np.concatenate(([0], np.cumsum(sizes)))
    kinds = np.repeat(np.array([kind for kind, *_ in LAYERS], dtype=object), sizes)
    units = np.repeat(np.array([unit for _, unit, _ in LAYERS], dtype=object), sizes)
    node_ids = (pd.Series(kinds) + "-" + pd.Series(np.arange(n_nodes)).astype(str)).to_numpy()
    mean_inputs = inputs_per_node * n_nodes / (n_nodes - sizes[0])  # mines take no inputs
    supplier, consumer, amount = [], [], []
    for layer in range(1, len(LAYERS)):
        s, c, owner = _inputs_from_layer_above(
            rng, starts[layer], sizes[layer], starts[layer - 1], sizes[layer - 1], mean_inputs
        )
        supplier.append(s)
        consumer.append(c)
        amount.append(_amounts(rng, owner, sizes[layer], mix=LAYERS[layer][0] == "material"))
    back_edges = 0
    if recycling > 0:
        s, c, a = _recycling_edges(rng, starts, round(recycling * sum(map(len, supplier))))
        supplier.append(s)
        consumer.append(c)
        amount.append(a)
        back_edges = len(s)
    supplier, consumer, amount = map(np.concatenate, (supplier, consumer, amount))
    impact_node, impact_category, impact_value = _direct_impacts(rng, starts, n_nodes)
    return GeneratedGraph(
        node_ids=node_ids,
        kinds=kinds,
        units=units,
        supplier=supplier,
        consumer=consumer,
        amount=amount,
        edge_level=rng.choice(len(LEVELS), len(supplier), p=LEVEL_SHARES).astype(np.int8),
        impact_node=impact_node,
        impact_category=impact_category,
        impact_value=impact_value,
        impact_level=rng.choice(len(LEVELS), len(impact_node), p=LEVEL_SHARES).astype(np.int8),
        back_edges=back_edges,
    )


def generate_chain(n_nodes: int, seed: int = 0) -> GeneratedGraph:
    """A supply chain as deep as it is long: node ``i`` takes 0.9 .. 1.1 units of node
    ``i - 1`` and nothing else, so it has ``n_nodes`` levels of one node each (the kinds
    follow the layers' shares, upstream to downstream). Every node has a direct impact in
    every category. The opposite of :func:`generate_graph`: depth, not width.
    """
    rng = np.random.default_rng(seed)
    sizes = _layer_sizes(n_nodes)
    kinds = np.repeat(np.array([kind for kind, *_ in LAYERS], dtype=object), sizes)
    units = np.repeat(np.array([unit for _, unit, _ in LAYERS], dtype=object), sizes)
    node_ids = (pd.Series(kinds) + "-" + pd.Series(np.arange(n_nodes)).astype(str)).to_numpy()
    supplier = np.arange(n_nodes - 1)
    impact_node = np.repeat(np.arange(n_nodes), len(CATEGORIES))
    return GeneratedGraph(
        node_ids=node_ids,
        kinds=kinds,
        units=units,
        supplier=supplier,
        consumer=supplier + 1,
        amount=rng.uniform(0.9, 1.1, n_nodes - 1),
        edge_level=rng.choice(len(LEVELS), n_nodes - 1, p=LEVEL_SHARES).astype(np.int8),
        impact_node=impact_node,
        impact_category=np.tile(np.arange(len(CATEGORIES)), n_nodes),
        impact_value=rng.uniform(0.1, 5.0, len(impact_node)),
        impact_level=rng.choice(len(LEVELS), len(impact_node), p=LEVEL_SHARES).astype(np.int8),
        back_edges=0,
    )


# ------------------------------------------------------------------- the alternatives


def networkx_graph(graph: GeneratedGraph):
    """A DiGraph with edge attribute ``amount`` and node attribute ``direct`` (a vector)."""
    import networkx as nx

    digraph = nx.DiGraph()
    direct = graph.direct_impacts()
    digraph.add_nodes_from(
        (node, {"direct": direct[i]}) for i, node in enumerate(graph.node_ids.tolist())
    )
    ids = graph.node_ids
    digraph.add_edges_from(
        (source, target, {"amount": amount})
        for source, target, amount in zip(
            ids[graph.supplier].tolist(),
            ids[graph.consumer].tolist(),
            graph.amount.tolist(),
            strict=True,
        )
    )
    return digraph


def networkx_totals(digraph) -> dict:
    """total[node] = direct[node] + sum(amount * total[supplier]), in topological order."""
    import networkx as nx

    total = {}
    for node in nx.topological_sort(digraph):
        value = digraph.nodes[node]["direct"].copy()
        for supplier, edge in digraph.pred[node].items():
            value += edge["amount"] * total[supplier]
        total[node] = value
    return total


def bw2calc_backend() -> str | None:
    """The sparse solver bw2calc uses here, or None if bw2calc is not installed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import bw2calc
    except ImportError:
        return None
    if bw2calc.PYPARDISO:
        return "pypardiso"
    return "umfpack" if bw2calc.UMFPACK else "scipy SuperLU"


def bw_datapackage(graph: GeneratedGraph):
    """The graph as a bw_processing datapackage.

    Technosphere: 1 on the diagonal (each node produces one unit of itself) and ``-amount``
    for each input. Biosphere: one flow per category, the direct impacts. Characterisation:
    one method per category with factor 1 for its flow, so a method's score is the
    category's total, and a node's inventory of the three flows is its three totals.
    """
    import bw_processing as bwp

    def indices(rows, columns) -> np.ndarray:
        array = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
        array["row"], array["col"] = rows, columns
        return array

    products = np.arange(graph.n_nodes)
    flows = graph.n_nodes + np.arange(len(CATEGORIES))
    package = bwp.create_datapackage()
    package.add_persistent_vector(
        matrix="technosphere_matrix",
        name="technosphere",
        indices_array=indices(
            np.concatenate([products, graph.supplier]), np.concatenate([products, graph.consumer])
        ),
        data_array=np.concatenate([np.ones(graph.n_nodes), -graph.amount]),
    )
    package.add_persistent_vector(
        matrix="biosphere_matrix",
        name="biosphere",
        indices_array=indices(flows[graph.impact_category], graph.impact_node),
        data_array=graph.impact_value,
    )
    for position, category in enumerate(CATEGORIES):
        package.add_persistent_vector(
            matrix="characterization_matrix",
            name=f"characterization-{category}",
            identifier=[category],
            indices_array=indices([flows[position]], [0]),
            data_array=np.ones(1),
        )
    return package


def bw2calc_adjoint_totals(package, n_nodes: int) -> np.ndarray:
    """All-node totals (n x 3) from ``FastScoresOnlyMultiLCA(direction="adjoint")``."""
    import bw2calc

    lca = bw2calc.FastScoresOnlyMultiLCA(
        demands={"first node": {0: 1.0}},
        method_config={"impact_categories": [(category,) for category in CATEGORIES]},
        data_objs=[package],
        direction="adjoint",
    )
    lca.calculate()
    scores = lca.product_scores  # [category, product id]
    order = [str((category,)) for category in CATEGORIES]
    by_product = scores.sel(LCIA=order).values.T
    totals = np.empty((n_nodes, len(CATEGORIES)))
    totals[np.asarray(scores.coords["products"].values, dtype=np.int64)] = by_product
    return totals


class PerNodeLCA:
    """The classic route: one ``LCA``, factorised once, then one solve per demanded node."""

    def __init__(self, package, n_nodes: int):
        import bw2calc

        self.lca = bw2calc.LCA({0: 1.0}, data_objs=[package])
        self.lca.lci(factorize=True)
        self.n_nodes = n_nodes
        self.flow_rows = [self.lca.dicts.biosphere[n_nodes + c] for c in range(len(CATEGORIES))]

    def totals(self, node: int) -> np.ndarray:
        """The three totals of one unit of ``node``: one solve, then ``B @ supply``."""
        demand = np.zeros(self.n_nodes)
        demand[self.lca.dicts.product[node]] = 1.0
        supply = self.lca.solve_linear_system(demand)
        return (self.lca.biosphere_matrix @ supply)[self.flow_rows]


# -------------------------------------------------------------- cases (in a child process)


def _load(path: Path):
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _ours_columns(solution) -> np.ndarray:
    """Our totals (n x 3) in the order of :data:`CATEGORIES`."""
    return solution.H[:, solution.matrices.categories.get_indexer(list(CATEGORIES))]


def case_load(graph_file: Path, chain_file: Path) -> dict:
    """Time ``from_tables`` and keep the validated graph for the solve cases."""
    from supplychain.tables import from_tables

    tables = _load(graph_file).tables()
    gc.collect()
    start = time.perf_counter()
    chain = from_tables(name=graph_file.stem, **tables)
    seconds = time.perf_counter() - start
    with open(chain_file, "wb") as handle:
        pickle.dump(chain, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"seconds": seconds, "warnings": len(chain.warnings)}


def case_ours(chain_file: Path, opacity: bool) -> dict:
    from supplychain.propagate import solve_chain

    chain = _load(chain_file)
    gc.collect()
    start = time.perf_counter()
    solve_chain(chain, opacity=opacity)
    return {"seconds": time.perf_counter() - start}


def case_networkx(graph_file: Path) -> dict:
    digraph = networkx_graph(_load(graph_file))
    gc.collect()
    start = time.perf_counter()
    networkx_totals(digraph)
    return {"seconds": time.perf_counter() - start}


def case_bw2calc_adjoint(graph_file: Path) -> dict:
    graph = _load(graph_file)
    package = bw_datapackage(graph)
    gc.collect()
    start = time.perf_counter()
    bw2calc_adjoint_totals(package, graph.n_nodes)
    return {"seconds": time.perf_counter() - start}


def case_bw2calc_per_node(graph_file: Path, demands: int, seed: int) -> dict:
    """Factorise once, time ``demands`` single-node solves, extrapolate to all nodes."""
    graph = _load(graph_file)
    package = bw_datapackage(graph)
    gc.collect()
    start = time.perf_counter()
    per_node = PerNodeLCA(package, graph.n_nodes)
    setup = time.perf_counter() - start
    sample = np.random.default_rng(seed).choice(graph.n_nodes, demands, replace=False)
    start = time.perf_counter()
    for node in sample:
        per_node.totals(int(node))
    per_solve = (time.perf_counter() - start) / demands
    return {
        "seconds": setup + per_solve * graph.n_nodes,
        "setup_seconds": setup,
        "per_solve_seconds": per_solve,
        "demands_timed": demands,
    }


def _max_relative_difference(ours: np.ndarray, reference: np.ndarray) -> float:
    scale = np.maximum(np.abs(reference), np.finfo(float).tiny)
    return float(np.max(np.abs(ours - reference) / scale))


def _spectral_radius(A: sp.csr_array) -> float:
    from scipy.sparse.linalg import eigs

    return float(np.abs(eigs(A, k=1, which="LM", return_eigenvectors=False, tol=1e-8)).max())


def case_verify(graph_file: Path, seed: int) -> dict:
    """Our totals against networkx (acyclic), scipy's spsolve and bw2calc (if installed)."""
    from scipy.sparse.linalg import spsolve

    from supplychain.propagate import solve_chain
    from supplychain.tables import from_tables

    graph = _load(graph_file)
    ours = _ours_columns(solve_chain(from_tables(**graph.tables()), opacity=False))
    A = graph.technology_matrix()
    system = (sp.identity(graph.n_nodes, format="csc") - A.T).tocsc()
    checks = {
        "scipy spsolve": _max_relative_difference(ours, spsolve(system, graph.direct_impacts()))
    }
    if graph.back_edges == 0:
        totals = networkx_totals(networkx_graph(graph))
        by_node = np.array([totals[node] for node in graph.node_ids])
        checks["networkx"] = _max_relative_difference(ours, by_node)
    else:
        checks["spectral radius of A"] = _spectral_radius(A)
    if bw2calc_backend() is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            package = bw_datapackage(graph)
            if bw2calc_backend() != "scipy SuperLU":
                adjoint = bw2calc_adjoint_totals(package, graph.n_nodes)
                checks["bw2calc adjoint"] = _max_relative_difference(ours, adjoint)
            per_node = PerNodeLCA(package, graph.n_nodes)
            sample = np.random.default_rng(seed).choice(graph.n_nodes, 20, replace=False)
            solved = np.array([per_node.totals(int(node)) for node in sample])
            checks["bw2calc per node (20 nodes)"] = _max_relative_difference(ours[sample], solved)
    return {"checks": checks}


CASES = {
    "load": lambda a: case_load(a.graph, a.chain),
    "ours": lambda a: case_ours(a.chain, opacity=False),
    "ours_opacity": lambda a: case_ours(a.chain, opacity=True),
    "networkx": lambda a: case_networkx(a.graph),
    "bw2calc_adjoint": lambda a: case_bw2calc_adjoint(a.graph),
    "bw2calc_per_node": lambda a: case_bw2calc_per_node(a.graph, a.demands, a.seed),
    "verify": lambda a: case_verify(a.graph, a.seed),
}


def child_main(argv: list[str]) -> None:
    """``bench_propagation.py _child CASE --graph G --result R``: run one case, write JSON."""
    parser = argparse.ArgumentParser(prog="bench_propagation.py _child")
    parser.add_argument("case", choices=CASES)
    parser.add_argument("--graph", type=Path)
    parser.add_argument("--chain", type=Path)
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--demands", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # bw2calc's advice to install pypardiso, and the like
    args.result.write_text(json.dumps(CASES[args.case](args)), encoding="utf-8")


# ------------------------------------------------------------ running children, measuring


@dataclass
class ChildRun:
    """What a child process did: its exit, its peak memory, why it was stopped if it was."""

    exit_code: int
    peak_mb: float
    wall_seconds: float
    stopped: str = ""  # "", "time" or "memory"


def child_environment() -> dict[str, str]:
    """This environment, with the project importable (the thread limits are set already)."""
    environment = dict(os.environ)
    path = environment.get("PYTHONPATH", "")
    environment["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT), path) if p)
    return environment


def _resident_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_child(command: list[str], stdout, log: Path, timeout: float, limit_mb: float) -> ChildRun:
    """Run ``command``; stop it past ``timeout`` s or ``limit_mb`` MiB; peak from wait4."""
    with open(log, "wb") as errors:
        process = subprocess.Popen(
            command, stdout=stdout, stderr=errors, env=child_environment(), cwd=PROJECT
        )
    start = time.perf_counter()
    stopped = ""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            stopped = "time"
        elif _resident_mb(process.pid) > limit_mb:
            stopped = "memory"
        if stopped:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.02)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return ChildRun(process.returncode, usage.ru_maxrss / 1024, wall, stopped)


def _outcome(run: ChildRun, log: Path, timeout: float, limit_mb: float) -> dict:
    """What to report of a child that did not succeed."""
    if run.stopped == "time":
        return {"failed": f"stopped after {timeout:g} s", "at_least": timeout}
    if run.stopped == "memory":
        return {"failed": f"stopped above {limit_mb:,.0f} MiB"}
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return {"failed": f"failed (exit {run.exit_code}): {lines[-1] if lines else 'no message'}"}


# --------------------------------------------------------------------------- the table


@dataclass
class Row:
    """One case on one graph. ``at_least``: stopped, so ``seconds`` is a lower bound."""

    nodes: int
    variant: str
    edges: int
    case: str
    seconds: float | None = None
    peak_mb: float | None = None
    vs_ours: float | None = None
    at_least: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)


CASE_LABELS = {
    "load": "load/validate (in memory)",
    "ours": "ours: all-node totals",
    "ours_opacity": "ours: totals + opacity",
    "networkx": "networkx topological sweep",
    "bw2calc_adjoint": "bw2calc adjoint, all nodes",
    "bw2calc_per_node": "bw2calc 1 solve per node *",
    "cli": "CLI end to end",
    "pandas_networkx": "pandas + networkx from CSV",
}
BW2CALC_CASES = ("bw2calc_adjoint", "bw2calc_per_node")
HEADER = (
    f"{'nodes':>9}  {'variant':<12} {'edges':>9}  {'case':<28} {'time s':>9} "
    f"{'peak MiB':>9} {'x ours':>10}  note"
)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 100 else f"{value:,.0f}"


def format_row(row: Row) -> str:
    bound = ">" if row.at_least else ""
    ratio = f"{bound}{row.vs_ours:,.1f}x" if row.vs_ours is not None else ""
    peak = f"{row.peak_mb:,.0f}" if row.peak_mb is not None else "-"
    seconds = bound + _seconds(row.seconds)
    return (
        f"{row.nodes:>9,}  {row.variant:<12} {row.edges:>9,}  {CASE_LABELS[row.case]:<28} "
        f"{seconds:>9} {peak:>9} {ratio:>10}  {row.note}"
    )


# ------------------------------------------------------------------------- the targets

TARGET_SECONDS_1M = {"acyclic": 1.0, "1% recycling": 2.0}
TARGET_PEAK_MB_1M = 4096
TARGET_VS_NETWORKX = 20.0
TARGET_VS_BW2CALC = 10.0
TARGET_CLI_SECONDS_1M = 30.0
TARGET_CLI_PEAK_MB_1M = 6144
TARGET_CLI_VS_BASELINE = 3.0


def _find(rows: list[Row], nodes: int, variant: str, case: str) -> Row | None:
    """The row of a case with a time (measured, or a lower bound), if there is one."""
    for row in rows:
        if (row.nodes, row.variant, row.case) == (nodes, variant, case) and row.seconds:
            return row
    return None


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _ours_target(rows: list[Row], variant: str) -> str:
    target = TARGET_SECONDS_1M.get(variant, max(TARGET_SECONDS_1M.values()))
    text = f"10^6 nodes, {variant}: totals < {target:g} s and < 4 GiB peak"
    ours = _find(rows, 10**6, variant, "ours")
    if ours is None:
        return f"{text}: not measured"
    ok = ours.seconds < target and ours.peak_mb < TARGET_PEAK_MB_1M
    return f"{text}: {_verdict(ok)} ({ours.seconds:.2f} s, {ours.peak_mb:,.0f} MiB)"


def _ratio_target(rows: list[Row], variant: str, cases: tuple[str, ...], target: float) -> str:
    """Ours at least ``target`` times faster than the fastest of ``cases`` at 10^5."""
    name = "networkx" if cases == ("networkx",) else "bw2calc"
    text = f"10^5 nodes, {variant}: >= {target:g}x faster than {name}"
    measured = [row for case in cases if (row := _find(rows, 10**5, variant, case))]
    measured = [row for row in measured if row.vs_ours is not None]
    if not measured:
        return f"{text}: not measured"
    best = min(measured, key=lambda row: row.seconds)
    how = "extrapolated" if best.case == "bw2calc_per_node" else "measured"
    if best.at_least:
        how = f"a lower bound: stopped after {best.seconds:.0f} s"
    route = f" against {CASE_LABELS[best.case].rstrip(' *')}" if name == "bw2calc" else ""
    bound = ">" if best.at_least else ""
    ok = best.vs_ours >= target
    return f"{text}: {_verdict(ok)} ({bound}{best.vs_ours:,.1f}x{route}, {how})"


def _cli_target(rows: list[Row], variant: str, cli_note: str) -> str:
    text = f"CLI 10^6 nodes, {variant}: < {TARGET_CLI_SECONDS_1M:g} s and < 6 GiB peak"
    cli = _find(rows, 10**6, variant, "cli")
    if cli_note or cli is None or cli.at_least:
        return f"{text}: not measured{f' ({cli_note})' if cli_note else ''}"
    ok = cli.seconds < TARGET_CLI_SECONDS_1M and cli.peak_mb < TARGET_CLI_PEAK_MB_1M
    return f"{text}: {_verdict(ok)} ({cli.seconds:.1f} s, {cli.peak_mb:,.0f} MiB)"


def _cli_ratio_target(rows: list[Row]) -> str:
    text = (
        f"CLI 10^5 nodes, acyclic: >= {TARGET_CLI_VS_BASELINE:g}x faster than pandas + networkx"
        " from the same CSV"
    )
    baseline = _find(rows, 10**5, "acyclic", "pandas_networkx")
    if baseline is None or baseline.vs_ours is None:
        return f"{text}: not measured"
    ok = baseline.vs_ours >= TARGET_CLI_VS_BASELINE
    return f"{text}: {_verdict(ok)} ({baseline.vs_ours:.2f}x)"


def target_lines(rows: list[Row], variants: list[str], cli_note: str) -> list[str]:
    lines = [_ours_target(rows, variant) for variant in variants]
    lines.append(_ratio_target(rows, "acyclic", ("networkx",), TARGET_VS_NETWORKX))
    lines += [_ratio_target(rows, v, BW2CALC_CASES, TARGET_VS_BW2CALC) for v in variants]
    lines += [_cli_target(rows, variant, cli_note) for variant in variants]
    lines.append(_cli_ratio_target(rows))
    return lines


# ---------------------------------------------------------------------- the benchmark


@dataclass
class Settings:
    workdir: Path
    timeout: float
    bw_timeout: float
    limit_mb: float
    demands: int
    seed: int


def run_case(case: str, settings: Settings, graph_file: Path, chain_file: Path) -> dict:
    """Run one case in a child: its result and ``peak_mb``, or ``failed`` saying why."""
    result = settings.workdir / f"{case}.json"
    log = settings.workdir / f"{case}.log"
    result.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "_child",
        case,
        f"--graph={graph_file}",
        f"--chain={chain_file}",
        f"--result={result}",
        f"--demands={settings.demands}",
        f"--seed={settings.seed}",
    ]
    timeout = settings.bw_timeout if case in BW2CALC_CASES else settings.timeout
    run = run_child(command, subprocess.DEVNULL, log, timeout, settings.limit_mb)
    if run.exit_code != 0 or run.stopped or not result.exists():
        return {**_outcome(run, log, timeout, settings.limit_mb), "peak_mb": run.peak_mb}
    return {**json.loads(result.read_text(encoding="utf-8")), "peak_mb": run.peak_mb}


def impacts_command_available() -> bool:
    command = [sys.executable, "-m", "supplychain", "impacts", "--help"]
    done = subprocess.run(command, capture_output=True, env=child_environment(), cwd=PROJECT)
    return done.returncode == 0


def run_cli(settings: Settings, graph: GeneratedGraph, impacts: bool) -> dict[str, dict]:
    """Write the CSV tables (not timed), then time the command line on them and, on an
    acyclic graph, the obvious alternative (``pandas_networkx_totals.py``) on the same
    files: ``{"cli": result, "pandas_networkx": result}``."""
    folder = settings.workdir / "graph-csv"
    shutil.rmtree(folder, ignore_errors=True)
    graph.write_csv(folder)
    command = ["impacts", str(folder), "--format", "csv"] if impacts else ["validate", str(folder)]
    results = {"cli": _timed_command(settings, [sys.executable, "-m", "supplychain", *command])}
    if graph.back_edges:
        results["pandas_networkx"] = {"failed": "not run: a cyclic graph has no topological order"}
    else:
        script = Path(__file__).resolve().parent / "pandas_networkx_totals.py"
        output = settings.workdir / "baseline-output.csv"
        results["pandas_networkx"] = _timed_command(
            settings, [sys.executable, str(script), str(folder), str(output)], output
        )
    shutil.rmtree(folder, ignore_errors=True)
    return results


def _timed_command(settings: Settings, command: list[str], written: Path | None = None) -> dict:
    """Wall time and peak of one command, and the lines it wrote (to stdout or ``written``)."""
    output = settings.workdir / "command-output.csv"
    log = settings.workdir / "command.log"
    with open(output, "wb") as stdout:
        run = run_child(command, stdout, log, settings.timeout, settings.limit_mb)
    if run.exit_code != 0 or run.stopped:
        return {**_outcome(run, log, settings.timeout, settings.limit_mb), "peak_mb": run.peak_mb}
    with open(written or output, "rb") as handle:
        lines = sum(1 for _ in handle)
    return {"seconds": run.wall_seconds, "peak_mb": run.peak_mb, "output_lines": lines}


@dataclass
class Plan:
    """Which cases run, and why the others do not."""

    sizes: list[int]
    variants: dict[str, float]  # name -> share of recycling back edges
    networkx_max: int
    bw_backend: str | None
    skip_bw: bool
    skip_cli: bool
    cli_min: int
    impacts_available: bool
    bw_stopped_at: int | None = None  # the size at which a bw2calc case was stopped

    def skipped(self, case: str, nodes: int, cyclic: bool, bw_stopped_here: bool) -> str:
        """Why ``case`` is not run on this graph ("" if it is)."""
        if case == "networkx" and cyclic:
            return "not run: a cyclic graph has no topological order"
        if case == "networkx" and nodes > self.networkx_max:
            return f"not run above --networkx-max {self.networkx_max:,}"
        if case not in BW2CALC_CASES:
            return ""
        if self.skip_bw:
            return "skipped (--skip-bw)"
        if self.bw_backend is None:
            return "bw2calc not installed: pip install bw2calc (optional)"
        if case == "bw2calc_adjoint" and self.bw_backend == "scipy SuperLU":
            return "needs pypardiso or scikit-umfpack"
        if bw_stopped_here:
            return "not run: it needs the factorisation that did not finish above"
        if self.bw_stopped_at is not None and nodes > self.bw_stopped_at:
            return f"not run: bw2calc was stopped at {self.bw_stopped_at:,} nodes already"
        return ""


def variant_rows(plan: Plan, settings: Settings, nodes: int, variant: str) -> list[Row]:
    """Generate one graph and measure every case on it, printing rows as they come."""
    graph = generate_graph(nodes, plan.variants[variant], seed=settings.seed)
    graph_file = settings.workdir / f"graph-{nodes}-{variant}.pkl"
    chain_file = settings.workdir / f"chain-{nodes}-{variant}.pkl"
    with open(graph_file, "wb") as handle:
        pickle.dump(graph, handle, protocol=pickle.HIGHEST_PROTOCOL)
    base = {"nodes": nodes, "variant": variant, "edges": graph.n_edges}
    rows: list[Row] = []
    ours_seconds = cli_seconds = None
    by_command: dict[str, dict] = {}
    bw_stopped_here = False
    for case in CASE_LABELS:
        if case in ("cli", "pandas_networkx"):
            if plan.skip_cli or nodes < plan.cli_min:
                continue
            if case == "cli":
                by_command = run_cli(settings, graph, plan.impacts_available)
            result = by_command[case]
        elif reason := plan.skipped(case, nodes, graph.back_edges > 0, bw_stopped_here):
            result = {"failed": reason}
        elif case.startswith("ours") and not chain_file.exists():
            result = {"failed": "not run: the graph did not load"}
        else:
            result = run_case(case, settings, graph_file, chain_file)
        row = _row(base, case, result, ours_seconds, settings.demands)
        if case == "ours":
            ours_seconds = row.seconds
        if case == "cli":
            cli_seconds = row.seconds
        if case == "pandas_networkx" and row.seconds and cli_seconds:
            row.vs_ours = row.seconds / cli_seconds
            row.note = "x = over the CLI end to end"
        if case == "cli" and not plan.impacts_available and "failed" not in result:
            row.note = "'impacts' not available: timed 'validate' instead"
        if case in BW2CALC_CASES and row.at_least:
            bw_stopped_here = True
            plan.bw_stopped_at = min(nodes, plan.bw_stopped_at or nodes)
        rows.append(row)
        print(format_row(row), flush=True)
    graph_file.unlink(missing_ok=True)
    chain_file.unlink(missing_ok=True)
    return rows


def _row(base: dict, case: str, result: dict, ours: float | None, demands: int) -> Row:
    """The table row of a case's result (``failed``: the note, and a lower bound if any)."""
    row = Row(**base, case=case, peak_mb=result.get("peak_mb"))
    if "failed" in result:
        row.note = result["failed"]
        row.seconds = result.get("at_least")
        row.at_least = row.seconds is not None
    else:
        row.seconds = result["seconds"]
        row.extra = {k: v for k, v in result.items() if k not in ("seconds", "peak_mb")}
    if ours and row.seconds and case not in ("load", "ours", "cli", "pandas_networkx"):
        row.vs_ours = row.seconds / ours
    if case == "load" and result.get("warnings"):
        row.note = f"{result['warnings']:,} warnings"
    if case == "bw2calc_per_node" and "per_solve_seconds" in result:
        row.note = (
            f"* extrapolated from {demands} of {base['nodes']:,} demands "
            f"({result['per_solve_seconds'] * 1e3:.2f} ms per solve"
            f" after {result['setup_seconds']:.2f} s setup and factorisation)"
        )
    if case in ("cli", "pandas_networkx") and "output_lines" in result:
        row.note = f"{result['output_lines'] - 1:,} result rows written"
    return row


def verify(plan: Plan, settings: Settings) -> list[dict]:
    """The correctness checks on 10^4-node graphs, printed and returned."""
    print("Correctness on 10^4 nodes (max relative difference over all nodes and categories):")
    checks = []
    for variant, recycling in plan.variants.items():
        graph = generate_graph(10**4, recycling, seed=settings.seed)
        graph_file = settings.workdir / f"verify-{variant}.pkl"
        with open(graph_file, "wb") as handle:
            pickle.dump(graph, handle, protocol=pickle.HIGHEST_PROTOCOL)
        result = run_case("verify", settings, graph_file, settings.workdir / "unused.pkl")
        if "failed" in result:
            print(f"  {variant}: {result['failed']}")
            continue
        for name, value in result["checks"].items():
            if name.startswith("spectral"):
                print(f"  {variant:<12} {name:<36} {value:.3g}")
                continue
            good = value <= 1e-9 if name == "networkx" else value <= 1e-6
            mark = "ok" if good else "DIFFERS"
            print(f"  {variant:<12} ours vs {name:<28} {value:.2e}  {mark}")
            checks.append({"variant": variant, "against": name, "max_relative": value})
        graph_file.unlink(missing_ok=True)
    if plan.skip_bw or plan.bw_backend is None:
        print(
            "  (bw2calc not compared: " + ("--skip-bw" if plan.skip_bw else "not installed") + ")"
        )
    print()
    return checks


# ----------------------------------------------------------------------------- main


def pin_to_one_core() -> str:
    """Pin this process (and its future children) to the first core it may use."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here): other cores may be used"
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {allowed[0]})
    return f"pinned to core {allowed[0]} (of {len(allowed)} allowed; children inherit it)"


def machine_description(pinning: str, backend: str | None) -> dict:
    import networkx
    import scipy

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    revision = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=PROJECT
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "pinning": pinning,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "networkx": networkx.__version__,
        "bw2calc": _bw2calc_version(backend),
        "supplychain revision": revision or "unknown",
    }


def _bw2calc_version(backend: str | None) -> str:
    if backend is None:
        return "not installed (optional: pip install bw2calc)"
    import bw2calc

    return f"{bw2calc.__version__}, sparse solver {backend}"


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the all-node totals of a generated supply chain against networkx"
        " and bw2calc, and the command line end to end (see the module docstring)."
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument("--recycling", type=float, default=0.01, help="share of back edges")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-cli", action="store_true", help="do not time the command line")
    parser.add_argument("--skip-bw", action="store_true", help="do not run bw2calc")
    parser.add_argument("--networkx-max", type=int, default=10**5, metavar="N")
    parser.add_argument("--cli-min", type=int, default=10**5, metavar="N")
    parser.add_argument("--demands", type=int, default=50, help="bw2calc per-node demands timed")
    parser.add_argument("--case-timeout", type=float, default=300.0, metavar="S")
    parser.add_argument(
        "--bw-timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="bw2calc cases; once stopped, bw2calc is not run on larger graphs",
    )
    parser.add_argument("--memory-limit", type=float, default=16.0, metavar="GIB")
    parser.add_argument("--json", type=Path, metavar="FILE", help="save all figures here")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    pinning = pin_to_one_core()
    backend = bw2calc_backend()
    variants = {"acyclic": 0.0}
    if args.recycling > 0:
        variants[f"{args.recycling:.0%} recycling"] = args.recycling
    plan = Plan(
        sizes=sorted(args.sizes),
        variants=variants,
        networkx_max=args.networkx_max,
        bw_backend=backend,
        skip_bw=args.skip_bw,
        skip_cli=args.skip_cli,
        cli_min=args.cli_min,
        impacts_available=not args.skip_cli and impacts_command_available(),
    )
    machine = machine_description(pinning, backend)
    print("supplychain propagation benchmark")
    for key, value in machine.items():
        print(f"  {key}: {value}")
    print("  threads: OMP/OPENBLAS/MKL_NUM_THREADS=1; peak = ru_maxrss of each case's process")
    print()
    workdir = Path(tempfile.mkdtemp(prefix="bench_propagation-"))
    settings = Settings(
        workdir=workdir,
        timeout=args.case_timeout,
        bw_timeout=args.bw_timeout,
        limit_mb=args.memory_limit * 1024,
        demands=args.demands,
        seed=args.seed,
    )
    try:
        checks = verify(plan, settings)
        print(HEADER)
        rows = []
        for nodes in plan.sizes:
            for variant in plan.variants:
                rows += variant_rows(plan, settings, nodes, variant)
            print()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cli_note = ""
    if not plan.skip_cli and not plan.impacts_available:
        cli_note = "the 'impacts' command is not available; 'validate' was timed instead"
        print(f"Note: {cli_note}.")
    print("x ours: time of the case / time of ours (all-node totals) on the same graph.")
    print("Targets (one core):")
    targets = target_lines(rows, list(plan.variants), cli_note)
    for line in targets:
        print(f"  {line}")
    if args.json:
        figures = {
            "machine": machine,
            "checks": checks,
            "rows": [asdict(row) for row in rows],
            "targets": targets,
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
        print(f"Figures saved to {args.json}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        child_main(sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
