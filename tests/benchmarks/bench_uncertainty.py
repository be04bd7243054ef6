"""Benchmark: Monte Carlo on a generated 10^4-node supply chain, against the alternatives.

What it measures
----------------
The generated layered graph of ``bench_propagation.py`` (10^4 nodes, about 5 x 10^4
edges, three categories, random transparency levels), every edge and impact uncertain:

* **ours**: :func:`supplychain.uncertainty.monte_carlo`, 1,000 samples of every parameter
  (defaults from transparency, Dirichlet shares for the materials' mines), the totals of
  all nodes in all three categories per sample, sampling included.
* **naive loop, our solver**: the same draws, one full solve per sample with our
  deterministic engine (``plan`` + ``solve`` on the sample's matrices): what one gets
  without batching over the sample axis.
* **naive loop, scipy**: one ``scipy.sparse.linalg.spsolve`` of ``(I - A_s^T) Y = B_s^T``
  per sample (timed on a few samples, extrapolated to 1,000; the row says so).
* **bw2calc** (optional extra ``bench``): Brightway's Monte Carlo on the same graph with
  the same lognormal distributions (``use_distributions=True``, one ``next()`` per
  sample): it computes the score of **one** demanded node in one category per sample, a
  far smaller result than ours. Timed on a few samples and extrapolated.

Before timing, the batched results are checked against the naive loop on the first
samples (the same draws must give the same totals).

How to run
----------
From the project root (``PYTHONPATH=.`` unless the package is installed)::

    python tests/benchmarks/bench_uncertainty.py            # about 2 minutes
    python tests/benchmarks/bench_uncertainty.py --nodes 10000 --samples 1000 --bw-samples 10

One core: like ``bench_propagation.py`` the script pins itself to one core and sets the
BLAS thread counts to 1 before numpy is imported. Times are wall times of one run.
"""

from __future__ import annotations

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.sparse.linalg import spsolve  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_propagation import CATEGORIES, generate_graph  # noqa: E402

from supplychain.build import to_matrices  # noqa: E402
from supplychain.solver import plan, solve  # noqa: E402
from supplychain.tables import from_tables  # noqa: E402
from supplychain.uncertainty import draw, monte_carlo, parameters  # noqa: E402


def sample_matrices(chain, values: np.ndarray, E: int):
    """``A`` and ``B^T`` of one sample's values (edges first, then impacts)."""
    n = len(chain.nodes)
    index = chain.index
    A = sp.csr_array((values[:E], (index.edge_supplier, index.edge_consumer)), shape=(n, n))
    categories = list(to_matrices(chain).categories)  # the order of the results
    category = np.array([categories.index(c) for c in chain.impacts["category"]])
    BT = np.zeros((n, len(categories)))
    BT[index.impact_node, category] = values[E:]
    return A, BT


def naive_ours(chain, params, samples: int, seed: int) -> tuple[float, np.ndarray]:
    """One plan + solve per sample; returns seconds and the last sample's totals."""
    began = time.perf_counter()
    values = draw(params, np.arange(len(params)), seed, 0, samples)
    Y = None
    for s in range(samples):
        A, BT = sample_matrices(chain, values[:, s], params.edges)
        Y = solve(plan(A), BT)
    return time.perf_counter() - began, Y


def naive_scipy(chain, params, samples: int, seed: int) -> float:
    """One sparse LU solve of the whole system per sample (seconds for ``samples``)."""
    values = draw(params, np.arange(len(params)), seed, 0, samples)
    n = len(chain.nodes)
    began = time.perf_counter()
    for s in range(samples):
        A, BT = sample_matrices(chain, values[:, s], params.edges)
        spsolve(sp.csc_array(sp.identity(n) - A.T), BT)
    return time.perf_counter() - began


def bw2calc_monte_carlo(graph, params, samples: int) -> float | None:
    """Seconds for ``samples`` iterations of bw2calc's Monte Carlo, or None without it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import bw2calc
            import bw_processing as bwp
    except ImportError:
        return None
    table = params.table
    sigma = np.zeros(len(table))
    for sampler, positions, arguments in params.groups:
        if sampler == "lognormal":
            sigma[positions] = arguments[1]
    with_sd = bwp.create_datapackage()
    n = graph.n_nodes

    def indices(rows, columns) -> np.ndarray:
        array = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
        array["row"], array["col"] = rows, columns
        return array

    def lognormal(values: np.ndarray, spread: np.ndarray, sign: float) -> np.ndarray:
        dist = np.zeros(len(values), dtype=bwp.UNCERTAINTY_DTYPE)
        uncertain = spread > 0
        dist["uncertainty_type"] = np.where(uncertain, 2, 0)
        dist["loc"] = np.where(uncertain, np.log(np.abs(values)), values * sign)
        dist["scale"] = spread
        dist["negative"] = sign < 0
        dist["minimum"] = dist["maximum"] = np.nan
        dist["shape"] = np.nan
        return dist

    E = params.edges
    products = np.arange(n)
    flows = n + np.arange(len(CATEGORIES))
    amounts = table["value"].to_numpy()[:E]
    with_sd.add_persistent_vector(
        matrix="technosphere_matrix",
        name="technosphere",
        indices_array=indices(
            np.concatenate([products, graph.supplier]), np.concatenate([products, graph.consumer])
        ),
        data_array=np.concatenate([np.ones(n), -amounts]),
        distributions_array=np.concatenate(
            [lognormal(np.ones(n), np.zeros(n), 1.0), lognormal(amounts, sigma[:E], -1.0)]
        ),
        flip_array=np.zeros(n + E, dtype=bool),
    )
    impacts = table["value"].to_numpy()[E:]
    with_sd.add_persistent_vector(
        matrix="biosphere_matrix",
        name="biosphere",
        indices_array=indices(flows[graph.impact_category], graph.impact_node),
        data_array=impacts,
        distributions_array=lognormal(impacts, sigma[E:], 1.0),
    )
    with_sd.add_persistent_vector(
        matrix="characterization_matrix",
        name="characterization",
        identifier=["gwp"],
        indices_array=indices([flows[0]], [0]),
        data_array=np.ones(1),
    )
    lca = bw2calc.LCA({n - 1: 1.0}, data_objs=[with_sd], use_distributions=True, seed_override=1)
    lca.lci()
    lca.lcia()
    began = time.perf_counter()
    for _ in range(samples):
        next(lca)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--scipy-samples", type=int, default=5)
    parser.add_argument("--bw-samples", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    graph = generate_graph(args.nodes, seed=args.seed)
    chain = from_tables("generated", **graph.tables())
    params = parameters(chain)
    uncertain = int((params.table["distribution"] != "fixed: the whole mix").sum())
    print(
        f"graph: {graph.n_nodes} nodes, {graph.n_edges} edges, {len(chain.impacts)} impacts;"
        f" {uncertain} uncertain parameters; {args.samples} samples; one core"
    )

    check = monte_carlo(chain, samples=5, seed=args.seed)
    A, BT = sample_matrices(chain, check.draws(np.arange(len(params)))[:, 4], params.edges)
    expected = solve(plan(A), BT)
    difference = np.max(np.abs(check.results[:, :, 4] - expected) / np.maximum(expected, 1e-300))
    print(
        f"check: batched sample = full solve of its draws, max relative difference {difference:.1e}"
    )

    began = time.perf_counter()
    mc = monte_carlo(chain, samples=args.samples, seed=args.seed)
    ours = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"ours (batched):          {ours:8.2f} s  ({mc.results.nbytes / 2**20:.0f} MB of"
        f" results, peak RSS {peak:.0f} MB)"
    )

    naive, _ = naive_ours(chain, params, args.samples, args.seed)
    print(f"naive loop, our solver:  {naive:8.2f} s  {naive / ours:6.1f} x ours")

    few = naive_scipy(chain, params, args.scipy_samples, args.seed)
    scaled = few / args.scipy_samples * args.samples
    print(
        f"naive loop, scipy LU:    {scaled:8.2f} s  {scaled / ours:6.1f} x ours"
        f"  (extrapolated from {args.scipy_samples} samples: {few:.2f} s)"
    )

    bw = bw2calc_monte_carlo(graph, params, args.bw_samples)
    if bw is None:
        print("bw2calc:                 not installed (pip install '.[bench]')")
    else:
        scaled = bw / args.bw_samples * args.samples
        print(
            f"bw2calc Monte Carlo:     {scaled:8.2f} s  {scaled / ours:6.1f} x ours"
            f"  (extrapolated from {args.bw_samples} samples: {bw:.2f} s; one node, one"
            " category per sample)"
        )


if __name__ == "__main__":
    main()
