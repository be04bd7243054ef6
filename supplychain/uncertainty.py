"""Monte Carlo: how wide each total really is, and which uncertain figure makes it so.

Every edge amount and every direct impact is a parameter. Its distribution is the one its
row gives (``uncertainty`` column, see :mod:`supplychain.distributions`), or else a default
that follows from its transparency: the less transparent, the wider (:data:`DEFAULT_GSD`).
Sourcing mixes, the several mines or materials that make up one material, are drawn
together, as shares that always add up to the whole: a Dirichlet distribution around the
given shares (:data:`MIX_CONCENTRATION`). An unknown origin whose prior is the world
production mix thus spreads over the producing countries as it should.

How the draws are read:

=========================  ==========================================================
specification              draw (``value`` is the figure in the row)
=========================  ==========================================================
``lognormal(gsd=g)``       ``value * exp(ln(g) * Z)``: median ``value``
``normal(sd=s)``           normal with mean ``value``, cut at 0 (amounts and impacts
                           are never negative)
``uniform(min, max)``      uniform
``triangular(min, ..)``    triangular, mode ``value`` unless given
``range(min, max)``        log-uniform when ``min > 0`` (nothing is known but the
                           bounds, so every order of magnitude between them is as
                           likely), uniform when ``min`` is 0
``choice(a, b, ...)``      one of the values, each as likely
(none)                     lognormal with median ``value`` and the GSD of the row's
                           transparency, :data:`DEFAULT_GSD`
a sourcing mix             Dirichlet shares with mean the given shares
=========================  ==========================================================

All parameters are drawn at once with numpy (seeded: the same seed gives the same
numbers, sample by sample, whatever the chunking), and a whole batch of samples is
propagated together with the sweep of the totals (levels in topological order, loops by
Gauss-Seidel sweeps to tolerance), vectorised over the sample axis. The sample axis is
cut into chunks so that memory stays bounded (:data:`CHUNK_BYTES`).

Examples
--------
>>> from supplychain.model import from_tables
>>> chain = from_tables(
...     nodes=[{"id": "ore", "kind": "mine", "unit": "kg"},
...            {"id": "metal", "kind": "material", "unit": "kg"}],
...     edges=[{"source": "ore", "target": "metal", "amount": 2, "uncertainty": "lognormal(1.2)",
...             "transparency": "published", "source_ref": "s"}],
...     impacts=[{"node": "ore", "category": "gwp", "value": 3, "uncertainty": "normal(sd=0.3)",
...               "transparency": "published", "source": "s"}],
...     sources=[{"id": "s", "title": "A source"}],
... )
>>> spread = uncertainty_summary(monte_carlo(chain, samples=4000, seed=1))
>>> spread.set_index("node").loc["metal", ["value", "median"]].round(1).tolist()
[6.0, 6.0]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import breadth_first_order
from scipy.special import ndtr, ndtri
from scipy.stats import rankdata

from supplychain.build import LEVELS, to_matrices
from supplychain.distributions import (
    Choice,
    Lognormal,
    Normal,
    Range,
    Triangular,
    parse_uncertainty,
)
from supplychain.errors import DivergentLoopError, NumericRangeError, SupplyChainError
from supplychain.model import SupplyChain
from supplychain.propagate import Solution, category_position, node_position, totals
from supplychain.solver import plan
from supplychain.validate import MIX_TOLERANCE

__all__ = [
    "noise_floor",
    "DEFAULT_GSD",
    "MIX_CONCENTRATION",
    "DEFAULT_SAMPLES",
    "DEFAULT_SEED",
    "DEFAULT_PERCENTILES",
    "Parameters",
    "parameters",
    "draw",
    "MonteCarlo",
    "monte_carlo",
    "uncertainty_summary",
    "sensitivity",
    "upstream_parameters",
    "timed_progress",
    "affordable_samples",
    "MAX_RESULT_BYTES",
]

DEFAULT_GSD: dict[str, float] = {
    "disclosed": 1.1,
    "published": 1.2,
    "estimated": 1.5,
    "missing": 3.0,
}
"""Geometric standard deviation of a figure that gives no uncertainty, by transparency.

A convention in the spirit of the pedigree approach of ecoinvent (Weidema et al. 2013):
primary data of the actor itself within about 10 %, secondary data within 20 %, a proxy
within a factor of 1.5, a placeholder within a factor of 3 (one GSD; 95 % of draws lie
within a factor ``gsd ** 2`` of the median)."""

MIX_CONCENTRATION: dict[str, float] = {
    "disclosed": 1000.0,
    "published": 200.0,
    "estimated": 50.0,
    "missing": 10.0,
}
"""Dirichlet concentration of a sourcing mix by its least transparent share: a share
``p`` varies with standard deviation ``sqrt(p (1 - p) / (concentration + 1))``, e.g. the
DRC's 73 % of cobalt in an estimated mix by 6 percentage points."""

DEFAULT_SAMPLES = 1000
DEFAULT_SEED = 0
DEFAULT_PERCENTILES = (5.0, 95.0)
MAX_RESULT_BYTES = 512 * 2**20
"""The command line keeps every node's samples only while they fit in this much memory
(nodes x categories x samples x 8 bytes); beyond, it keeps the largest services and
devices. The library keeps the ``nodes`` it is given."""

CHUNK_BYTES = 16 * 2**20
"""Largest temporary array of a batch; the sample axis is cut into chunks to respect it."""

WORK_BUDGET = 1e8
"""Draws times parameters that :func:`affordable_samples` allows (about 5 s on one core)."""


def affordable_samples(chain: SupplyChain, requested: int, floor: int = 100) -> int:
    """Samples for a run that must stay quick (report, page): ``requested``, fewer on a
    big graph, at least ``floor``.

    >>> from supplychain.io import load
    >>> affordable_samples(load("example"), 1000)
    1000
    """
    size = len(chain.edges) + len(chain.impacts) + len(chain.nodes)
    return int(min(requested, max(floor, WORK_BUDGET // max(size, 1))))


DRAW_BLOCK = 8
"""Samples drawn by one generator: block ``b`` is seeded with ``(seed, b)``, so that sample
``s`` has the same values whatever the chunk size and the number of samples."""

_LOOP_TOLERANCE = 1e-10
_MAX_SWEEPS = 500

# ------------------------------------------------------------------------- parameters


@dataclass(frozen=True, eq=False)
class Parameters:
    """The uncertain inputs of a graph: every edge amount, then every direct impact.

    Attributes
    ----------
    table : DataFrame
        One row per parameter: ``parameter`` (``"a -> b"`` or ``"node: category"``),
        ``kind`` (``edge`` or ``impact``), ``row`` (position in its table), ``value``
        (converted, as in the totals), ``transparency``, ``distribution`` (as drawn).
    groups : list of tuple
        ``(sampler, positions, arguments)``: how to draw each group of parameters.
    edges : int
        Number of edges (parameters ``0 .. edges - 1``).
    """

    table: pd.DataFrame
    groups: list[tuple[str, np.ndarray, tuple[np.ndarray, ...]]]
    edges: int

    def __len__(self) -> int:
        return len(self.table)


def _mixes(chain: SupplyChain) -> pd.DataFrame:
    """Edges that form complete sourcing mixes: ``edge``, ``mix`` (consumer position).

    A mix is supply from mines (into anything), or from materials into a material, in
    the consumer's own unit, adding up to 1 within :data:`MIX_TOLERANCE`, with no
    uncertainty given on any of its edges.
    """
    nodes, edges = chain.nodes, chain.edges
    kind, unit = nodes["kind"].to_numpy(), nodes["unit"].to_numpy()
    s, c = chain.index.edge_supplier, chain.index.edge_consumer
    sourcing = (kind[s] == "mine") | ((kind[s] == "material") & (kind[c] == "material"))
    same_unit = unit[s] == unit[c]
    frame = pd.DataFrame(
        {
            "edge": np.arange(len(edges)),
            "mix": c,
            "amount": edges["converted_amount"].to_numpy(dtype=float),
            "given": edges["uncertainty"].to_numpy() != "",
        }
    )[sourcing & same_unit]
    grouped = frame.groupby("mix")
    whole = (grouped["amount"].transform("sum") - 1).abs() <= MIX_TOLERANCE
    free = ~grouped["given"].transform("any")
    return frame[whole & free][["edge", "mix"]]


def _spec_text(spec: object, value: float) -> str:
    if isinstance(spec, Lognormal):
        return f"lognormal(gsd={spec.gsd:g})"
    if isinstance(spec, Normal):
        return f"normal(sd={spec.sd:.6g}) cut at 0"
    if isinstance(spec, Range):
        shape = "log-uniform" if spec.min > 0 else "uniform"
        return f"{shape}(min={spec.min:.6g}, max={spec.max:.6g})"
    if isinstance(spec, Triangular):
        mode = value if spec.mode is None else spec.mode
        return f"triangular(min={spec.min:.6g}, mode={mode:.6g}, max={spec.max:.6g})"
    if isinstance(spec, Choice):
        return f"one of {len(spec.values)} values, {spec.min:.6g} to {spec.max:.6g}"
    return f"uniform(min={spec.min:.6g}, max={spec.max:.6g})"


def parameters(chain: SupplyChain) -> Parameters:
    """Every uncertain input of ``chain`` with the distribution it is drawn from.

    Bounds given in a row's unit are converted like its figure (``500 g`` with
    ``range(400, 600)`` per kg becomes 0.4-0.6 kg).
    """
    edges, impacts = chain.edges, chain.impacts
    E = len(edges)
    value = np.concatenate(
        [
            edges["converted_amount"].to_numpy(dtype=float),
            impacts["converted_value"].to_numpy(dtype=float),
        ]
    )
    given = np.concatenate([edges["amount"], impacts["value"]]).astype(float)
    factor = np.divide(value, given, out=np.ones_like(value), where=given != 0)
    texts = np.concatenate([edges["uncertainty"], impacts["uncertainty"]]).astype(object)
    level = np.concatenate([edges["transparency"], impacts["transparency"]]).astype(object)
    described = np.empty(len(value), dtype=object)
    buckets: dict[str, list[tuple[int, tuple[float, ...]]]] = {
        name: [] for name in ("lognormal", "normal", "uniform", "loguniform", "triangular")
    }
    choices: list[tuple[int, np.ndarray]] = []
    fixed: list[int] = []
    mixes = _mixes(chain)
    in_mix = np.zeros(len(value), dtype=bool)
    in_mix[mixes["edge"].to_numpy()] = True
    for p in range(len(value)):
        if in_mix[p]:
            continue
        v, text = value[p], texts[p]
        if v == 0:
            fixed.append(p)
            described[p] = "fixed (zero)"
            continue
        if not text:
            gsd = DEFAULT_GSD[level[p]]
            buckets["lognormal"].append((p, (v, np.log(gsd))))
            described[p] = f"lognormal(gsd={gsd:g}), default for {level[p]}"
            continue
        spec, f = parse_uncertainty(text), factor[p]
        described[p] = _spec_text(spec, v / f)
        if isinstance(spec, Lognormal):
            buckets["lognormal"].append((p, (v, np.log(spec.gsd))))
        elif isinstance(spec, Normal):
            buckets["normal"].append((p, (v, spec.sd * f)))
        elif isinstance(spec, Triangular):
            mode = v if spec.mode is None else spec.mode * f
            buckets["triangular"].append((p, (spec.min * f, mode, spec.max * f)))
        elif isinstance(spec, Choice):
            choices.append((p, np.asarray(spec.values, dtype=float) * f))
        elif isinstance(spec, Range) and spec.min > 0:
            buckets["loguniform"].append((p, (np.log(spec.min * f), np.log(spec.max * f))))
        else:
            buckets["uniform"].append((p, (spec.min * f, spec.max * f)))
    groups = [
        (
            name,
            np.array([p for p, _ in items]),
            tuple(np.array(a) for a in zip(*[x for _, x in items], strict=True)),
        )
        for name, items in buckets.items()
        if items
    ]
    if fixed:
        groups.append(("fixed", np.array(fixed), (value[fixed],)))
    if choices:
        counts = np.array([len(v) for _, v in choices])
        offsets = np.r_[0, np.cumsum(counts)[:-1]]
        flat = np.concatenate([v for _, v in choices])
        groups.append(("choice", np.array([p for p, _ in choices]), (flat, offsets, counts)))
    if len(mixes):
        mixes = mixes.sort_values(["mix", "edge"], kind="stable")
        positions = mixes["edge"].to_numpy()
        starts = np.flatnonzero(np.r_[True, np.diff(mixes["mix"].to_numpy()) != 0])
        worst = pd.Series(level[positions]).map(LEVELS.index).to_numpy()
        group_level = np.maximum.reduceat(worst, starts)
        concentration = np.array([MIX_CONCENTRATION[LEVELS[g]] for g in group_level])
        sizes = np.diff(np.r_[starts, len(positions)])
        alpha = value[positions] * np.repeat(concentration, sizes)
        groups.append(("dirichlet", positions, (alpha, starts)))
        for start, size, k in zip(starts, sizes, concentration, strict=True):
            text = "fixed: the whole mix" if size == 1 else f"dirichlet share (concentration {k:g})"
            described[positions[start : start + size]] = text
    names = np.concatenate(
        [
            (edges["source"] + " -> " + edges["target"]).to_numpy(dtype=object),
            (impacts["node"] + ": " + impacts["category"]).to_numpy(dtype=object),
        ]
    )
    table = pd.DataFrame(
        {
            "parameter": names,
            "kind": ["edge"] * E + ["impact"] * len(impacts),
            "category": np.r_[np.full(E, "", dtype=object), impacts["category"].to_numpy(object)],
            "row": np.r_[np.arange(E), np.arange(len(impacts))],
            "value": value,
            "transparency": level,
            "distribution": described,
        }
    )
    return Parameters(table, groups, E)


def draw(params: Parameters, samples: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``samples`` values of every parameter: an array (parameters x samples).

    Examples
    --------
    >>> from supplychain.model import from_tables
    >>> chain = from_tables(nodes=[{"id": "a", "kind": "mine", "unit": "kg"}],
    ...                     impacts=[{"node": "a", "category": "gwp", "value": 2,
    ...                               "uncertainty": "uniform(1, 3)"}])
    >>> values = draw(parameters(chain), 10000, np.random.default_rng(0))
    >>> bool(values.min() >= 1 and values.max() <= 3), round(float(values.mean()), 1)
    (True, 2.0)
    """
    out = np.empty((len(params), samples))
    for sampler, positions, arguments in params.groups:
        m = len(positions)
        if sampler == "lognormal":
            median, sigma = arguments
            out[positions] = median[:, None] * np.exp(
                sigma[:, None] * rng.standard_normal((m, samples))
            )
        elif sampler == "normal":
            mean, sd = (a[:, None] for a in arguments)
            safe = np.where(sd > 0, sd, 1.0)
            low = ndtr(-mean / safe)  # the share of the normal below 0, cut away
            u = low + (1 - low) * rng.random((m, samples))
            out[positions] = np.where(sd > 0, mean + safe * ndtri(u), mean)
        elif sampler == "uniform":
            low, high = (a[:, None] for a in arguments)
            out[positions] = low + (high - low) * rng.random((m, samples))
        elif sampler == "loguniform":
            low, high = (a[:, None] for a in arguments)
            out[positions] = np.exp(low + (high - low) * rng.random((m, samples)))
        elif sampler == "triangular":
            low, mode, high = (a[:, None] for a in arguments)
            u = rng.random((m, samples))
            width = np.where(high > low, high - low, 1.0)
            cut = (mode - low) / width
            left = low + np.sqrt(u * width * (mode - low))
            right = high - np.sqrt((1 - u) * width * (high - mode))
            out[positions] = np.where(high > low, np.where(u < cut, left, right), low)
        elif sampler == "fixed":
            out[positions] = arguments[0][:, None]
        elif sampler == "choice":
            flat, offsets, counts = arguments
            picked = (rng.random((m, samples)) * counts[:, None]).astype(np.int64)
            out[positions] = flat[offsets[:, None] + np.minimum(picked, counts[:, None] - 1)]
        else:  # dirichlet: gamma draws normalised within each mix
            alpha, starts = arguments
            gammas = rng.standard_gamma(np.repeat(alpha[:, None], samples, axis=1))
            totals_ = np.add.reduceat(gammas, starts, axis=0)
            sizes = np.diff(np.r_[starts, len(positions)])
            out[positions] = gammas / np.repeat(totals_, sizes, axis=0)
    return out


def _draws(params: Parameters, seed: int, start: int, size: int) -> np.ndarray:
    """Draws of samples ``start .. start + size - 1`` (``start`` a multiple of the block)."""
    with np.errstate(over="ignore", invalid="ignore"):  # refused by name below
        blocks = [
            draw(params, DRAW_BLOCK, np.random.default_rng([seed, first // DRAW_BLOCK]))
            for first in range(start, start + size, DRAW_BLOCK)
        ]
    drawn = np.concatenate(blocks, axis=1)[:, :size]  # whole blocks: a shorter run is a prefix
    beyond = ~np.isfinite(drawn).all(axis=1)
    if beyond.any():
        names = params.table["parameter"].to_numpy()[beyond].tolist()
        raise NumericRangeError(names, " in some draws of these parameters")
    return drawn


# ------------------------------------------------------------------------- propagation


@dataclass(frozen=True, eq=False)
class _Batch:
    """The sweep of the totals, as index arrays, for values that change per sample."""

    n: int
    k: int
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    back: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    impact_node: np.ndarray
    impact_category: np.ndarray
    labels: pd.Index
    widest: int


def _grouped(edge: np.ndarray, supplier: np.ndarray, consumer: np.ndarray) -> tuple:
    """Edges sorted by consumer: (edges, suppliers, consumers with input, group starts)."""
    order = np.argsort(consumer, kind="stable")
    consumer = consumer[order]
    starts = np.flatnonzero(np.r_[True, np.diff(consumer) != 0]) if len(consumer) else consumer
    return edge[order], supplier[order], consumer[starts], starts


def _batch(chain: SupplyChain) -> _Batch:
    matrices = to_matrices(chain)
    system = plan(matrices.A, labels=matrices.nodes)
    level = system.node_level
    s, c = matrices.edge_supplier, matrices.edge_consumer
    edge = np.arange(len(s))
    back = level[s] >= level[c]
    levels = []
    forward = edge[~back]
    by_level = pd.Series(forward).groupby(level[c[forward]]).indices
    for lvl in sorted(by_level):
        chosen = forward[by_level[lvl]]
        levels.append(_grouped(chosen, s[chosen], c[chosen]))
    widest = max([len(x[0]) for x in levels] + [int(back.sum()), 1])
    return _Batch(
        n=len(matrices.nodes),
        k=len(matrices.categories),
        levels=levels,
        back=_grouped(edge[back], s[back], c[back]) if back.any() else None,
        impact_node=matrices.impact_node,
        impact_category=matrices.impact_category,
        labels=matrices.nodes,
        widest=widest,
    )


def _flow(Y: np.ndarray, amounts: np.ndarray, group: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Sum over each consumer's inputs of amount x supplier total, per sample."""
    edge, supplier, consumer, starts = group
    contribution = amounts[edge][:, None, :] * Y[supplier]
    return consumer, np.add.reduceat(contribution, starts, axis=0)


def _sweep(batch: _Batch, R: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    Y = R
    for group in batch.levels:
        consumer, inflow = _flow(Y, amounts, group)
        Y[consumer] += inflow
    return Y


def _propagate(batch: _Batch, amounts: np.ndarray, impacts: np.ndarray) -> np.ndarray:
    """Totals (nodes x categories x samples) for one batch of sampled values."""
    samples = amounts.shape[1] if amounts.size else impacts.shape[1]
    R = np.zeros((batch.n, batch.k, samples))
    R[batch.impact_node, batch.impact_category] = impacts
    with np.errstate(over="ignore", invalid="ignore"):  # both refused by name below
        Y = _sweep(batch, R, amounts) if batch.back is None else _loop_sweeps(batch, R, amounts)
    beyond = ~np.isfinite(Y).all(axis=(1, 2))
    if beyond.any():
        raise NumericRangeError(list(batch.labels[beyond]), " in some Monte Carlo samples")
    return Y


def _loop_sweeps(batch: _Batch, R: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Gauss-Seidel sweeps over the back edges until every sample has converged."""
    Y = _sweep(batch, R.copy(), amounts)
    for _ in range(_MAX_SWEEPS):
        consumer, inflow = _flow(Y, amounts, batch.back)
        start = R.copy()
        start[consumer] += inflow
        previous, Y = Y, _sweep(batch, start, amounts)
        scale = np.maximum(np.abs(Y), np.finfo(float).tiny)
        if not np.all(np.isfinite(Y)):
            break
        if float((np.abs(Y - previous) / scale).max(initial=0.0)) <= _LOOP_TOLERANCE:
            return Y
    loop = sorted(set(batch.labels[batch.back[1]]) | set(batch.labels[batch.back[2]]))
    raise DivergentLoopError(loop)


def _upstream_part(
    chain: SupplyChain, nodes: Sequence[str], kept: np.ndarray
) -> tuple[SupplyChain, np.ndarray]:
    """The part of ``chain`` upstream of ``nodes`` (a graph of its own), and the positions
    ``kept`` (edges, then impacts, of the whole graph) in it."""
    ids = pd.Index(chain.nodes["id"])
    A = to_matrices(chain).A
    reach = np.zeros(len(ids), dtype=bool)
    reversed_graph = A.T.tocsr()
    for node in dict.fromkeys(nodes):
        start = ids.get_loc(node)
        if not reach[start]:
            reach[breadth_first_order(reversed_graph, start, directed=True)[0]] = True
    if reach.all():
        return chain, kept
    edges = np.flatnonzero(reach[chain.index.edge_consumer])
    impacts = np.flatnonzero(reach[chain.index.impact_node])
    new_position = np.full(len(chain.edges) + len(chain.impacts), -1)
    new_position[edges] = np.arange(len(edges))
    new_position[len(chain.edges) + impacts] = len(edges) + np.arange(len(impacts))
    part = replace(
        chain,
        nodes=chain.nodes[reach].reset_index(drop=True),
        edges=chain.edges.iloc[edges].reset_index(drop=True),
        impacts=chain.impacts.iloc[impacts].reset_index(drop=True),
        social=chain.social[chain.social["node"].isin(ids[reach])].reset_index(drop=True),
    )
    moved = new_position[kept]
    return part, moved[moved >= 0]


@dataclass(frozen=True, eq=False)
class MonteCarlo:
    """The outcome of :func:`monte_carlo`.

    Attributes
    ----------
    chain : SupplyChain
    nodes : pandas.Index
        The nodes whose results were kept (ids).
    categories : pandas.Index
    results : ndarray, shape (nodes, categories, samples)
        Total per unit of each kept node, in the category's unit, per sample.
    params : Parameters
    kept : ndarray of int
        Positions of the parameters whose draws were kept (for :func:`sensitivity`).
    draws : ndarray, shape (kept, samples)
    seed : int
    """

    chain: SupplyChain
    nodes: pd.Index
    categories: pd.Index
    results: np.ndarray
    params: Parameters
    kept: np.ndarray
    draws: np.ndarray
    seed: int

    @property
    def samples(self) -> int:
        return self.results.shape[2]


def monte_carlo(
    chain: SupplyChain,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    nodes: Sequence[str] | None = None,
    keep_draws: Sequence[int] | np.ndarray = (),
    progress: Callable[[int, int], None] | None = None,
) -> MonteCarlo:
    """Draw every parameter ``samples`` times and propagate all draws through the graph.

    Parameters
    ----------
    chain : SupplyChain
    samples : int
        Number of samples (at least 2).
    seed : int
        Seed of numpy's generator: the same seed gives the same numbers.
    nodes : sequence of str, optional
        The nodes whose totals to keep (default: all).
    keep_draws : sequence of int
        Parameter positions whose draws to keep (for :func:`sensitivity`).
    progress : callable, optional
        Called as ``progress(done, samples)`` after each chunk.

    With ``nodes``, only the part of the graph upstream of them is drawn and solved (the
    rest cannot move their totals): the same seed and the same nodes give the same numbers.

    Raises
    ------
    DivergentLoopError
        If a loop needs one unit or more of itself in some sample.
    SupplyChainError
        If ``samples`` is below 2.
    """
    if samples < 2:
        raise SupplyChainError(f"Monte Carlo needs at least 2 samples, not {samples}")
    all_ids = pd.Index(chain.nodes["id"])
    for node in nodes or ():
        node_position(all_ids, node)  # names an unknown node
    kept = np.asarray(keep_draws, dtype=np.int64)
    if nodes is not None:  # only what is upstream of them can move their totals
        chain, kept = _upstream_part(chain, nodes, kept)
    params = parameters(chain)
    batch = _batch(chain)
    keep = np.arange(batch.n) if nodes is None else pd.Index(batch.labels).get_indexer(nodes)
    per_sample = 8 * max(batch.widest, batch.n) * max(batch.k, 1) * 3
    chunk = max(1, min(samples, CHUNK_BYTES // per_sample) // DRAW_BLOCK) * DRAW_BLOCK
    results = np.empty((len(keep), batch.k, samples))
    draws = np.empty((len(kept), samples))
    E = params.edges
    for start in range(0, samples, chunk):
        size = min(chunk, samples - start)
        values = _draws(params, seed, start, size)
        Y = _propagate(batch, values[:E], values[E:])
        results[:, :, start : start + size] = Y[keep]
        draws[:, start : start + size] = values[kept]
        if progress is not None:
            progress(start + size, samples)
    return MonteCarlo(
        chain=chain,
        nodes=pd.Index(batch.labels[keep]),
        categories=to_matrices(chain).categories,
        results=results,
        params=params,
        kept=kept,
        draws=draws,
        seed=seed,
    )


# ------------------------------------------------------------------------- results

SUMMARY_COLUMNS = [
    "node",
    "kind",
    "category",
    "value",
    "mean",
    "median",
    "sd",
    "unit",
    "per",
    "opacity",
]


def uncertainty_summary(
    mc: MonteCarlo,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    solution: Solution | None = None,
) -> pd.DataFrame:
    """Spread of every kept node's total in every category.

    ``solution``: the graph already solved (with opacity), so that its totals are not
    solved again.

    Returns
    -------
    DataFrame
        ``node, kind, category, value`` (the deterministic total), ``mean, median, sd``,
        one column per percentile (``p5``, ``p95`` ...), ``unit, per, opacity`` (as in
        :func:`supplychain.propagate.totals`), for the rows that ``totals`` lists.
    """
    base = totals(mc.chain if solution is None else solution).set_index(["node", "category"])
    n, k, samples = mc.results.shape
    flat = mc.results.reshape(n * k, samples)  # not -1: a graph may have no category
    names = [f"p{q:g}" for q in percentiles]
    frame = pd.DataFrame(
        {
            "node": np.repeat(mc.nodes.to_numpy(), k),
            "category": np.tile(mc.categories.to_numpy(), n),
            "mean": flat.mean(axis=1),
            "median": np.median(flat, axis=1),
            "sd": flat.std(axis=1, ddof=1),
            **dict(zip(names, np.percentile(flat, list(percentiles), axis=1), strict=True)),
        }
    )
    joined = frame.join(base, on=["node", "category"], how="inner")
    no_data = joined["value"].isna()  # nothing upstream has a figure: no spread either
    joined.loc[no_data, ["mean", "median", "sd", *names]] = np.nan
    columns = SUMMARY_COLUMNS[:7] + names + SUMMARY_COLUMNS[7:]
    return joined[columns].reset_index(drop=True)


def upstream_parameters(chain: SupplyChain, node: str) -> np.ndarray:
    """Positions of the parameters that can change the total of ``node``."""
    from supplychain.trace import requirements  # noqa: PLC0415  (trace imports propagate)

    found = requirements(chain, node)
    inside = set(found["node"]) | {node}
    edges = chain.edges["target"].isin(inside).to_numpy()
    impacts = chain.impacts["node"].isin(inside).to_numpy()
    return np.flatnonzero(np.r_[edges, impacts])


SENSITIVITY_COLUMNS = [
    "parameter",
    "kind",
    "transparency",
    "distribution",
    "value",
    "rank_correlation",
    "variance_share",
]


def sensitivity(mc: MonteCarlo, node: str, category: str) -> pd.DataFrame:
    """The parameters that drive the spread of ``node``'s total in ``category``.

    Spearman rank correlation between each kept parameter's draws and the node's total;
    ``variance_share`` is its square over the sum of squares (a first-order share of the
    variance explained, adding up to 1). Correlations within sampling noise (below
    :func:`noise_floor` of the samples and parameters) are left out: with thousands of
    parameters, chance alone gives some of them a correlation of 0.1. Run
    :func:`monte_carlo` with ``keep_draws`` set to :func:`upstream_parameters` of the node.

    Returns
    -------
    DataFrame
        ``parameter, kind, transparency, distribution, value, rank_correlation,
        variance_share``, largest share first. Parameters that do not vary, and direct
        impacts in other categories, are left out.
    """
    row = node_position(mc.nodes, node)
    column = category_position(mc.categories, category)
    result = mc.results[row, column]
    own = mc.params.table["category"].to_numpy()[mc.kept]
    varying = (mc.draws.std(axis=1) > 0) & ((own == "") | (own == category))
    draws, positions = mc.draws[varying], mc.kept[varying]
    if len(positions) == 0 or result.std() == 0:
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    ranked = rankdata(draws, axis=1)
    target = rankdata(result)
    ranked -= ranked.mean(axis=1, keepdims=True)
    target -= target.mean()
    rho = (ranked @ target) / (np.linalg.norm(ranked, axis=1) * np.linalg.norm(target))
    above = np.abs(rho) > noise_floor(result.size, len(rho))
    frame = mc.params.table.iloc[positions[above]][SENSITIVITY_COLUMNS[:5]].copy()
    frame["rank_correlation"] = rho[above]
    frame["variance_share"] = rho[above] ** 2 / (rho[above] ** 2).sum()
    frame = frame.sort_values("variance_share", ascending=False, kind="stable")
    return frame.reset_index(drop=True)


def noise_floor(samples: int, parameters: int, alpha: float = 0.05) -> float:
    """The rank correlation that ``parameters`` unrelated draws exceed by chance, all
    together, with probability ``alpha`` (Bonferroni): below it, a correlation is noise.

    Spearman's rho of independent samples is about normal with sd ``1 / sqrt(n - 1)``.

    >>> round(noise_floor(1000, 1), 3), round(noise_floor(1000, 10_000), 3)
    (0.062, 0.144)
    """
    if samples < 3 or parameters < 1:
        return 1.0
    return float(-ndtri(alpha / (2 * parameters)) / math.sqrt(samples - 1))


def timed_progress(write: Callable[[str], None], after: float = 1.0) -> Callable[[int, int], None]:
    """A progress callback that writes ``\\r`` lines once a run has taken ``after`` seconds."""
    began = time.monotonic()
    shown = [False]

    def report(done: int, total: int) -> None:
        if time.monotonic() - began < after and not shown[0]:
            return
        shown[0] = True
        bar = "#" * int(30 * done / total)
        write(f"\rMonte Carlo {done:>7}/{total} samples [{bar:<30}]")
        if done == total:
            write("\n")

    return report
