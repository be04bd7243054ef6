"""Benchmark: every command of the command line on a generated 10^5-node graph.

Writes a generated graph as CSV tables, runs each command in a fresh process pinned to one
core, and prints its wall time and peak memory (``ru_maxrss`` of the process: Python, the
imports, the graph and the work). Two shapes: ``layered`` (``bench_propagation.
generate_graph``: 10^5 nodes, 5 x 10^5 edges in five wide layers, three categories) and
``chain`` (``generate_chain``: 10^5 nodes in one line, 10^5 levels deep). Run from the
project root::

    PYTHONPATH=. python3 tests/benchmarks/bench_cli.py                  # about 2 minutes
    PYTHONPATH=. python3 tests/benchmarks/bench_cli.py --shape chain
    PYTHONPATH=. python3 tests/benchmarks/bench_cli.py --nodes 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_propagation import generate_chain, generate_graph  # noqa: E402


def timed(argv: list[str]) -> tuple[float, float, int]:
    """Seconds, peak MiB and exit code of ``python -m supplychain argv`` on one core."""
    environment = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "supplychain", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment,
        preexec_fn=(lambda: os.sched_setaffinity(0, {0}))
        if hasattr(os, "sched_setaffinity")
        else None,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--shape", choices=("layered", "chain"), default="layered")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "graph"
        make = generate_graph if args.shape == "layered" else generate_chain
        graph = make(args.nodes, seed=0)
        graph.write_csv(folder)
        ids = graph.node_ids
        service = str(ids[graph.kinds == "service"][-1])
        device = str(ids[graph.kinds == "device"][-1])
        print(f"{args.shape}: {graph.n_nodes} nodes, {graph.n_edges} edges; one core; one run each")
        print(f"{'command':<62} {'time':>8} {'peak':>9}")
        page = str(Path(scratch) / "page.html")
        for argv in (
            ["validate", folder],
            ["impacts", folder, "--format", "csv"],
            ["trace", folder, service],
            ["uncertainty", folder, "--node", service],
            ["uncertainty", folder],
            ["social", folder, device],
            ["audit", folder],
            ["audit", folder, service, "--samples", "200"],
            ["viz", folder, "-o", page, "--overwrite"],
            ["viz", folder, "--focus", service, "-o", page, "--overwrite"],
            ["report", folder, "--page", page],
            ["export", folder, "--to", "json", "-o", Path(scratch) / "graph.json", "--overwrite"],
        ):
            seconds, peak, code = timed([str(a) for a in argv])
            shown = (
                " ".join(str(a) for a in argv).replace(str(folder), "GRAPH").replace(scratch, ".")
            )
            status = "" if code == 0 else f"  (exit {code})"
            print(f"{shown:<62} {seconds:7.2f}s {peak:6.0f} MiB{status}")


if __name__ == "__main__":
    main()
