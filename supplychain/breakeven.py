"""One multi-purpose model trained once against several task-specific ones: at how many
queries per task does each cost less over its life?

Over ``T`` tasks of ``N`` queries each (``N`` in units of the services, e.g. 1,000
queries), a general-purpose model costs its training run ``E_G`` once plus ``N g_i`` for
each task, and the task-specific models cost their training runs ``E_i`` plus ``N s_i``:

    general  = E_G + N sum(g_i)          specific = sum(E_i) + N sum(s_i)

They weigh the same at ``N* = (sum(E_i) - E_G) / (sum(g_i) - sum(s_i))``. Where the
general model is dearer per query (the usual case, *Power Hungry Processing*), it is the
cheaper choice only below ``N*``, and never when its own run outweighs all the others'
(``N* <= 0``). ``g_i`` and ``s_i`` are the services' totals less what reaches them through
their own training run, so a graph that already shares a run over requests gives the same
answer as one that does not.

Examples
--------
>>> from supplychain.tables import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "power", "kind": "energy", "unit": "kWh"},
...            {"id": "big-run", "kind": "service", "unit": "item"},
...            {"id": "small-run", "kind": "service", "unit": "item"},
...            {"id": "chat-qa", "kind": "service", "unit": "query"},
...            {"id": "bert-qa", "kind": "service", "unit": "query"}],
...     edges=[{"source": "power", "target": "big-run", "amount": 1000.0},
...            {"source": "power", "target": "small-run", "amount": 10.0},
...            {"source": "power", "target": "chat-qa", "amount": 0.01},
...            {"source": "power", "target": "bert-qa", "amount": 0.001}],
...     impacts=[{"node": "power", "category": "gwp", "value": 0.5}])
>>> found = break_even(chain, [("chat-qa", "bert-qa")], "big-run", {"bert-qa": "small-run"})
>>> row = found.iloc[0]
>>> float(row["general_training"]), float(row["specific_training"]), row["general_cheaper"]
(500.0, 5.0, 'never')
>>> round(float(row["mean_specific_run_needed"]), 6)
500.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from supplychain.errors import IncomparableError
from supplychain.model import SupplyChain
from supplychain.propagate import Solution, as_solution, node_position
from supplychain.trace import input_contributions

__all__ = ["break_even"]


def _inference_part(solution: Solution, service: str, run: str | None) -> np.ndarray:
    """A service's totals per unit in every category, less what its own training ``run``
    carries into them (nothing if the run does not feed it)."""
    total = solution.H[node_position(solution, service)].copy()
    if run is None:
        return total
    inputs = input_contributions(solution, service)
    through = inputs[inputs["input"] == run].groupby("category")["impact"].sum()
    for c, category in enumerate(solution.matrices.categories):
        total[c] -= float(through.get(category, 0.0))
    return total


def break_even(
    chain: SupplyChain | Solution,
    tasks: Sequence[tuple[str, str]],
    general_training: str,
    specific_training: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Queries per task at which one general-purpose model, trained once, and one
    task-specific model per task cost the same, in every category.

    ``tasks``: ``(general service, task-specific service)`` pairs, one per task, all in
    one unit (the ``N`` of the answer is in it). ``general_training``: the node of the
    general model's training run, whose total per unit (one run) is counted once.
    ``specific_training``: the run of each task-specific service, where known; a service
    without one is counted as trained for nothing and ``specific_runs_known`` says so.

    Returns
    -------
    DataFrame
        One row per category with a total: ``category``, ``unit``, ``per`` (the
        services' unit), ``tasks``, ``general_training`` and ``specific_training`` (whole
        runs, the category's unit), ``specific_runs_known`` (how many of the ``tasks``
        have a run), ``general_per_unit`` and ``specific_per_unit`` (inference of all
        tasks together, per unit of each service), ``break_even`` (``N*``, units of the
        services per task; NaN where the lines never cross), ``general_cheaper``
        (``below N*``, ``above N*``, ``never`` or ``always``) and
        ``mean_specific_run_needed`` (what the task-specific runs would have to cost on
        average for the general model to be cheaper at any ``N``: ``E_G / T``; NaN where
        it is cheaper per query anyway).

    Raises
    ------
    IncomparableError
        If no task is given, a service stands on both sides or its units differ.
    UnknownNodeError
        If a node is not in the graph.
    """
    specific_training = dict(specific_training or {})
    if not tasks:
        raise IncomparableError("name at least one task: a general and a task-specific service")
    solution = as_solution(chain)
    nodes = solution.chain.nodes.set_index("id")
    general = [g for g, _ in tasks]
    specific = [s for _, s in tasks]
    named = [*general, *specific, general_training, *specific_training, *specific_training.values()]
    for node in named:
        node_position(solution, node)  # an unknown node is named, with the closest ids
    both = sorted(set(general) & set(specific))
    if both:
        raise IncomparableError(f"{both[0]!r} is named as both a general and a specific service")
    units = {node: nodes.loc[node, "unit"] for node in [*general, *specific]}
    if len(set(units.values())) > 1:
        listed = ", ".join(f"{node} per {unit}" for node, unit in units.items())
        raise IncomparableError(f"the services must share one unit to be compared: {listed}")
    general_per = sum(
        _inference_part(solution, g, general_training) for g in dict.fromkeys(general)
    )
    specific_per = sum(_inference_part(solution, s, specific_training.get(s)) for s in specific)
    runs = list(dict.fromkeys(specific_training[s] for s in specific if s in specific_training))
    run_total = sum(
        (solution.H[node_position(solution, r)] for r in runs), np.zeros(len(general_per))
    )
    general_run = solution.H[node_position(solution, general_training)]
    category_units = solution.chain.categories.set_index("id")["unit"]
    count = len(tasks)
    known = sum(s in specific_training for s in specific)
    rows = []
    for c, category in enumerate(solution.matrices.categories):
        e_g, e_s = float(general_run[c]), float(run_total[c])
        g, s = float(general_per[c]), float(specific_per[c])
        if e_g == 0 and e_s == 0 and g == 0 and s == 0:
            continue
        slope = g - s
        crossing = (e_s - e_g) / slope if slope else np.nan
        if slope > 0:
            verdict = "below N*" if crossing > 0 else "never"
        elif slope < 0:
            verdict = "above N*" if crossing > 0 else "always"
        else:
            verdict = "always" if e_s > e_g else "never"
        rows.append(
            {
                "category": category,
                "unit": category_units.get(category, ""),
                "per": units[general[0]],
                "tasks": count,
                "general_training": e_g,
                "specific_training": e_s,
                "specific_runs_known": known,
                "general_per_unit": g,
                "specific_per_unit": s,
                "break_even": crossing if crossing > 0 else np.nan,
                "general_cheaper": verdict,
                "mean_specific_run_needed": e_g / count if slope > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)
