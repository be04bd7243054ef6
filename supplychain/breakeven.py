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

__all__ = ["break_even", "COLUMNS"]

COLUMNS = [
    "category",
    "unit",
    "per",
    "tasks",
    "general_training",
    "specific_training",
    "specific_runs_known",
    "general_per_unit",
    "specific_per_unit",
    "break_even",
    "general_cheaper",
    "mean_specific_run_needed",
    "no_figure",
]
"""The columns of :func:`break_even`."""


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
        (``below N*``, ``above N*``, ``never``, ``always``, or ``unknown`` where a run or
        service has no figure in the category: unknown, never counted as 0),
        ``mean_specific_run_needed`` (what the task-specific runs would have to cost on
        average for the general model to be cheaper at any ``N``: ``E_G / T``; NaN where
        it is cheaper per query anyway) and ``no_figure`` (the nodes without a figure in
        the category, joined by ``;``). A service named for several tasks counts once per
        task (it serves the queries of each); a run shared by several counts once.

    Raises
    ------
    IncomparableError
        If no task is given, a node plays two parts (a service on both sides, a run that
        is also a service, a run given for no task-specific service) or the units differ.
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
    _check_roles(general, specific, general_training, specific_training)
    units = {node: nodes.loc[node, "unit"] for node in [*general, *specific]}
    if len(set(units.values())) > 1:
        listed = ", ".join(f"{node} per {unit}" for node, unit in units.items())
        raise IncomparableError(f"the services must share one unit to be compared: {listed}")
    # per task: a service named for two tasks serves the queries of both
    general_per = sum(_inference_part(solution, g, general_training) for g in general)
    specific_per = sum(_inference_part(solution, s, specific_training.get(s)) for s in specific)
    runs = list(dict.fromkeys(specific_training[s] for s in specific if s in specific_training))
    run_total = sum(
        (solution.H[node_position(solution, r)] for r in runs), np.zeros(len(general_per))
    )
    general_run = solution.H[node_position(solution, general_training)]
    figures = solution.with_figures
    has_figure = {node: figures[node_position(solution, node)] for node in dict.fromkeys(named)}
    category_units = solution.chain.categories.set_index("id")["unit"]
    count = len(tasks)
    known = sum(s in specific_training for s in specific)
    rows = []
    for c, category in enumerate(solution.matrices.categories):
        e_g, e_s = float(general_run[c]), float(run_total[c])
        g, s = float(general_per[c]), float(specific_per[c])
        if not any(row[c] for row in has_figure.values()):
            continue  # no figure anywhere: nothing to weigh
        lacking = [
            node
            for node in dict.fromkeys([general_training, *runs, *general, *specific])
            if not has_figure[node][c]
        ]
        if lacking:  # a run or service with no figure is unknown here, never free
            rows.append(
                {
                    "category": category,
                    "unit": category_units.get(category, ""),
                    "per": units[general[0]],
                    "tasks": count,
                    "general_training": e_g if has_figure[general_training][c] else np.nan,
                    "specific_training": np.nan if set(lacking) & set(runs) else e_s,
                    "specific_runs_known": known,
                    "general_per_unit": np.nan if set(lacking) & set(general) else g,
                    "specific_per_unit": np.nan if set(lacking) & set(specific) else s,
                    "break_even": np.nan,
                    "general_cheaper": "unknown",
                    "mean_specific_run_needed": np.nan,
                    "no_figure": ";".join(lacking),
                }
            )
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
                "no_figure": "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _check_roles(
    general: Sequence[str],
    specific: Sequence[str],
    general_training: str,
    specific_training: Mapping[str, str],
) -> None:
    """Raise :class:`IncomparableError` if a node plays two parts: a service on both
    sides, a run that is also a service of the tasks, or a run given for a service that
    is no task-specific one."""
    both = sorted(set(general) & set(specific))
    if both:
        raise IncomparableError(f"{both[0]!r} is named as both a general and a specific service")
    services = set(general) | set(specific)
    for run in [general_training, *specific_training.values()]:
        if run in services:
            raise IncomparableError(
                f"{run!r} is named as a training run and as a service of the tasks"
            )
    stray = [service for service in specific_training if service not in set(specific)]
    if stray:
        raise IncomparableError(
            f"a training run is given for {stray[0]!r}, which is no task-specific service of"
            f" the tasks ({', '.join(dict.fromkeys(specific))})"
        )
    if general_training in specific_training.values():
        raise IncomparableError(
            f"{general_training!r} is named as the general run and as a task-specific run"
        )
