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
``normal(sd=s)``           normal with mean ``value``, cut at 0 (a figure never
                           changes sign: a credit stays a credit)
``uniform(min, max)``      uniform
``triangular(min, ..)``    triangular, mode ``value`` unless given
``range(min, max)``        log-uniform when ``min > 0`` (nothing is known but the
                           bounds, so every order of magnitude between them is as
                           likely), log-uniform in size when ``max < 0`` (a credit),
                           uniform when the range holds 0
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
>>> from supplychain.tables import from_tables
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

import hashlib
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
from supplychain.defaults import (
    DEFAULT_PERCENTILES,
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    MAX_RESULT_BYTES,
)
from supplychain.distributions import (
    Choice,
    Lognormal,
    Normal,
    Range,
    Triangular,
    parse_uncertainty,
)
from supplychain.errors import SupplyChainError
from supplychain.model import SupplyChain
from supplychain.propagate import Solution, category_position, node_position, totals
from supplychain.solver import Schedule, plan, schedule, solve_samples
from supplychain.sourcing import MIX_TOLERANCE, mix_totals, sourcing_shares

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
    "uniforms",
    "stream_keys",
    "SAMPLERS",
    "MonteCarlo",
    "monte_carlo",
    "divergence_note",
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


CHUNK_BYTES = 64 * 2**20
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
    keys : ndarray of uint64
        The key of each parameter's random stream, from its identity (the edge's supplier
        and consumer, the impact's node and category): its draws are the same in any run
        with the same seed, whatever else the run draws.
    sampler : ndarray of int8
        How each parameter is drawn (a position in :data:`SAMPLERS`).
    arguments : ndarray, shape (parameters, 3)
        The sampler's arguments (see :func:`draw`).
    choices : tuple of ndarray
        ``(values, offsets, counts)`` of ``choice`` parameters (``arguments[:, 0]`` is the
        offset of a parameter's values in ``values``, ``arguments[:, 1]`` their count).
    mix : ndarray of int64
        The sourcing mix a parameter's share is drawn in (-1: none).
    edges : int
        Number of edges (parameters ``0 .. edges - 1``).
    """

    table: pd.DataFrame
    keys: np.ndarray
    sampler: np.ndarray
    arguments: np.ndarray
    choices: np.ndarray
    mix: np.ndarray
    edges: int

    def __len__(self) -> int:
        return len(self.table)


SAMPLERS = (
    "fixed",
    "lognormal",
    "normal",
    "uniform",
    "loguniform",
    "negloguniform",
    "triangular",
    "choice",
)
SAMPLERS += ("dirichlet",)
"""The ways a parameter is drawn; :attr:`Parameters.sampler` holds positions here."""


def _mixes(chain: SupplyChain) -> pd.DataFrame:
    """Edges that form complete sourcing mixes (the rule of :mod:`supplychain.sourcing`):
    ``edge``, ``mix`` (consumer position), ``share`` (of the consumer's unit).

    The sourcing inputs of a consumer are drawn as one mix when their shares add up to 1
    within :data:`~supplychain.sourcing.MIX_TOLERANCE` and none of them gives its own
    uncertainty.
    """
    kind, unit = chain.nodes["kind"].to_numpy(), chain.nodes["unit"].to_numpy()
    s, c = chain.index.edge_supplier, chain.index.edge_consumer
    amount = chain.edges["converted_amount"].to_numpy(dtype=float)
    share = sourcing_shares(kind[s], kind[c], unit[s], unit[c], amount)
    consumers, total, _ = mix_totals(c, share)
    given = np.zeros(len(kind), dtype=bool)  # a sourcing input gives its own uncertainty
    given[c[np.isfinite(share) & (chain.edges["uncertainty"].to_numpy() != "")]] = True
    whole = np.zeros(len(kind), dtype=bool)
    whole[consumers] = np.abs(total - 1) <= MIX_TOLERANCE
    member = np.flatnonzero(np.isfinite(share) & whole[c] & ~given[c])
    return pd.DataFrame({"edge": member, "mix": c[member], "share": share[member]})


def _spec_text(spec: object, value: float) -> str:
    if isinstance(spec, Lognormal):
        return f"lognormal(gsd={spec.gsd:g})"
    if isinstance(spec, Normal):
        return f"normal(sd={spec.sd:.6g}) cut at 0"
    if isinstance(spec, Range):
        shape = "log-uniform" if spec.min > 0 else "uniform"
        if spec.max < 0:  # a credit, drawn log-uniform in size (see parameters)
            shape = "negative log-uniform"
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
    code = {name: number for number, name in enumerate(SAMPLERS)}
    sampler = np.zeros(len(value), dtype=np.int8)
    arguments = np.zeros((len(value), 3))
    choice_values: list[np.ndarray] = []
    choice_count = 0
    mixes = _mixes(chain)
    in_mix = np.zeros(len(value), dtype=bool)
    in_mix[mixes["edge"].to_numpy()] = True

    def use(p: int, name: str, *args: float) -> None:
        sampler[p] = code[name]
        arguments[p, : len(args)] = args

    zero = ~in_mix & (value == 0)
    sampler[zero] = code["fixed"]  # arguments stay 0
    described[zero] = "fixed (zero)"
    default = ~in_mix & (value != 0) & (texts == "")  # most rows: a spread by transparency
    gsd = pd.Series(level[default]).map(DEFAULT_GSD).to_numpy(dtype=float)
    sampler[default] = code["lognormal"]
    arguments[default, 0], arguments[default, 1] = value[default], np.log(gsd)
    described[default] = [
        f"lognormal(gsd={g:g}), default for {lvl}"
        for g, lvl in zip(gsd, level[default], strict=True)
    ]
    for p in np.flatnonzero(~in_mix & ~zero & ~default):
        v, text = value[p], texts[p]
        spec, f = parse_uncertainty(text), factor[p]
        described[p] = _spec_text(spec, v / f)
        if isinstance(spec, Lognormal):
            use(p, "lognormal", v, np.log(spec.gsd))
        elif isinstance(spec, Normal):
            use(p, "normal", v, spec.sd * f)
        elif isinstance(spec, Triangular):
            mode = v if spec.mode is None else spec.mode * f
            use(p, "triangular", spec.min * f, mode, spec.max * f)
        elif isinstance(spec, Choice):
            choice_values.append(np.asarray(spec.values, dtype=float) * f)
            use(p, "choice", choice_count, len(spec.values))
            choice_count += len(spec.values)
        elif isinstance(spec, Range) and spec.min > 0:
            use(p, "loguniform", np.log(spec.min * f), np.log(spec.max * f))
        elif isinstance(spec, Range) and spec.max < 0:  # a credit: log-uniform in size
            use(p, "negloguniform", np.log(-spec.max * f), np.log(-spec.min * f))
        else:
            use(p, "uniform", spec.min * f, spec.max * f)
    mix = np.full(len(value), -1, dtype=np.int64)
    if len(mixes):
        mixes = mixes.sort_values(["mix", "edge"], kind="stable")
        positions = mixes["edge"].to_numpy()
        starts = np.flatnonzero(np.r_[True, np.diff(mixes["mix"].to_numpy()) != 0])
        worst = pd.Series(level[positions]).map(LEVELS.index).to_numpy()
        group_level = np.maximum.reduceat(worst, starts)
        concentration = np.array([MIX_CONCENTRATION[LEVELS[g]] for g in group_level])
        sizes = np.diff(np.r_[starts, len(positions)])
        mix[positions] = np.repeat(mixes["mix"].to_numpy()[starts], sizes)
        sampler[positions] = code["dirichlet"]
        share = mixes["share"].to_numpy()
        arguments[positions, 0] = share * np.repeat(concentration, sizes)
        scale = np.divide(value[positions], share, out=np.ones(len(share)), where=share > 0)
        arguments[positions, 1] = scale  # amount per share: 1, or a unit conversion
        for start, size, k in zip(starts, sizes, concentration, strict=True):
            text = "fixed: the whole mix" if size == 1 else f"dirichlet share (concentration {k:g})"
            described[positions[start : start + size]] = text
        single = np.repeat(sizes == 1, sizes)
        sampler[positions[single]] = code["fixed"]  # a mix of one supplier is the whole
        arguments[positions[single], 0] = value[positions[single]]
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
    identities = np.r_[
        ("edge\x1f" + edges["source"] + "\x1f" + edges["target"]).to_numpy(object),
        ("impact\x1f" + impacts["node"] + "\x1f" + impacts["category"]).to_numpy(object),
    ]
    flat = np.concatenate(choice_values) if choice_values else np.empty(0)
    return Parameters(table, stream_keys(identities), sampler, arguments, flat, mix, E)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser (Steele, Lea & Flood 2014), in place on uint64."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def stream_keys(identities: Sequence[str]) -> np.ndarray:
    """A 64-bit key for each text (BLAKE2b): the same on every machine and in every run.

    >>> keys = stream_keys(["edge\x1fore\x1fmetal", "edge\x1fore\x1fmetal", "impact\x1fore\x1fgwp"])
    >>> bool(keys[0] == keys[1]), bool(keys[0] == keys[2])
    (True, False)
    """
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b(str(text).encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                "little",
            )
            for text in identities
        ],
        dtype=np.uint64,
    )


def uniforms(keys: np.ndarray, seed: int, start: int, size: int) -> np.ndarray:
    """Uniform numbers in (0, 1), one row per key, for samples ``start .. start+size-1``.

    Each key runs its own SplitMix64 stream, started from the key and the seed: sample
    ``s`` of a parameter is the same number whatever the chunk, whatever other parameters
    are drawn, and whatever the order they come in.

    >>> u = uniforms(stream_keys(["a", "b"]), seed=0, start=0, size=5)
    >>> bool(((u > 0) & (u < 1)).all()), np.array_equal(u[:, 2:], uniforms(
    ...     stream_keys(["a", "b"]), 0, 2, 3))
    (True, True)
    """
    seed_word = _mix64(np.array([(seed * int(_GOLDEN) + 1) % 2**64], dtype=np.uint64))
    with np.errstate(over="ignore"):
        base = _mix64(np.asarray(keys, dtype=np.uint64) ^ seed_word)
        steps = (np.arange(start, start + size, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
        x = _mix64(base[:, None] + steps[None, :])
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def _uniform_points(keys: np.ndarray, samples: np.ndarray, seed: int, stream: int) -> np.ndarray:
    """Uniforms in (0, 1) of stream ``stream`` of each key, at each sample (point by point):
    stream 0 is :func:`uniforms`'s, the others are further streams of the same parameter."""
    seed_word = _mix64(np.array([(seed * int(_GOLDEN) + 1) % 2**64], dtype=np.uint64))
    offset = _mix64(np.array([(stream * 0xD1B54A32D192ED03) % 2**64], dtype=np.uint64))
    with np.errstate(over="ignore"):
        base = _mix64(np.asarray(keys, dtype=np.uint64) ^ seed_word)
        if stream:
            base = _mix64(base ^ offset)
        x = _mix64(base + (np.asarray(samples, dtype=np.uint64) + np.uint64(1)) * _GOLDEN)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def _log_gamma(
    alpha: np.ndarray, keys: np.ndarray, u: np.ndarray, seed: int, start: int
) -> np.ndarray:
    """Logarithms of Gamma(alpha, 1) draws (rows: one shape and key each; columns: samples
    from ``start``), exact: Marsaglia & Tsang's method (2000), each try from the
    parameter's own further streams, and for ``alpha < 1`` their boost by ``u ** (1 /
    alpha)`` with ``u`` the parameter's first uniforms. Logarithms, so that the shares of
    a mix of tiny shapes never underflow to 0 / 0."""
    rows, size = u.shape
    boosted = alpha < 1.0
    d = np.where(boosted, alpha + 1.0, alpha) - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.empty((rows, size))
    pending = np.arange(rows * size)
    attempt = 0
    while len(pending):
        row, column = np.divmod(pending, size)
        key, sample = keys[row], start + column
        z = ndtri(_uniform_points(key, sample, seed, 2 * attempt + 1))
        w = _uniform_points(key, sample, seed, 2 * attempt + 2)
        v = (1.0 + c[row] * z) ** 3
        with np.errstate(invalid="ignore", divide="ignore"):
            log_v = np.log(v)
            accept = (v > 0) & (np.log(w) < 0.5 * z * z + d[row] - d[row] * v + d[row] * log_v)
        out.flat[pending[accept]] = np.log(d[row[accept]]) + log_v[accept]
        pending = pending[~accept]
        attempt += 1
    out[boosted] += np.log(u[boosted]) / alpha[boosted][:, None]
    return out


def draw(params: Parameters, positions: np.ndarray, seed: int, start: int, size: int) -> np.ndarray:
    """Draw parameters ``positions`` in samples ``start .. start + size - 1``: an array
    (positions x samples). Every draw inverts one uniform of the parameter's own stream
    (:func:`uniforms`), so it depends on the parameter, the seed and the sample only.

    Examples
    --------
    >>> from supplychain.tables import from_tables
    >>> chain = from_tables(nodes=[{"id": "a", "kind": "mine", "unit": "kg"}],
    ...                     impacts=[{"node": "a", "category": "gwp", "value": 2,
    ...                               "uncertainty": "uniform(1, 3)"}])
    >>> values = draw(parameters(chain), np.arange(1), seed=0, start=0, size=10000)
    >>> bool(values.min() >= 1 and values.max() <= 3), round(float(values.mean()), 1)
    (True, 2.0)
    """
    positions = np.asarray(positions, dtype=np.int64)
    in_mix = params.mix[positions] >= 0
    if in_mix.any():  # a share is drawn with the rest of its mix
        mates = np.flatnonzero(np.isin(params.mix, np.unique(params.mix[positions[in_mix]])))
        wanted = np.union1d(positions[~in_mix], mates)
        drawn = draw_each(params, wanted, seed, start, size)
        return drawn[np.searchsorted(wanted, positions)]
    return draw_each(params, positions, seed, start, size)


def draw_each(params, positions, seed, start, size) -> np.ndarray:
    """:func:`draw` of ``positions`` that hold every member of any mix among them."""
    u = uniforms(params.keys[positions], seed, start, size)
    kind = params.sampler[positions]
    a, b, c = (params.arguments[positions, i][:, None] for i in range(3))
    out = np.empty_like(u)
    for number, name in enumerate(SAMPLERS):
        rows = np.flatnonzero(kind == number)
        if not len(rows):
            continue
        if len(rows) == len(kind):  # one sampler for all (the usual case): no copies
            rows = slice(None)
        x, p0, p1, p2 = u[rows], a[rows], b[rows], c[rows]
        if name == "fixed":
            out[rows] = np.broadcast_to(p0, x.shape)
        elif name == "lognormal":
            value = ndtri(x)
            value *= p1
            np.exp(value, out=value)
            value *= p0
            out[rows] = value
        elif name == "normal":  # cut at 0: a figure's sign is never drawn the other way
            safe = np.where(p1 > 0, p1, 1.0)
            low = ndtr(-np.abs(p0) / safe)
            magnitude = np.abs(p0) + safe * ndtri(low + (1 - low) * x)  # |figure|'s, cut
            out[rows] = np.where(p1 > 0, np.where(p0 < 0, -magnitude, magnitude), p0)
        elif name == "uniform":
            out[rows] = p0 + (p1 - p0) * x
        elif name == "loguniform":
            out[rows] = np.exp(p0 + (p1 - p0) * x)
        elif name == "negloguniform":
            out[rows] = -np.exp(p0 + (p1 - p0) * x)
        elif name == "triangular":
            span = np.where(p2 > p0, p2 - p0, 1.0)
            cut = (p1 - p0) / span
            out[rows] = np.where(
                x < cut,
                p0 + np.sqrt(x * span * (p1 - p0)),
                p2 - np.sqrt((1 - x) * span * (p2 - p1)),
            )
        elif name == "choice":
            pick = p0.astype(np.int64) + np.minimum(
                (x * p1).astype(np.int64), p1.astype(np.int64) - 1
            )
            out[rows] = params.choices[pick]
        else:  # dirichlet: gamma draws, each mix's normalised to shares
            members = positions[rows]
            logs = _log_gamma(p0[:, 0], params.keys[members], x, seed, start)
            _, inverse = np.unique(params.mix[members], return_inverse=True)
            peak = np.full((inverse.max() + 1, size), -np.inf)
            np.maximum.at(peak, inverse, logs)
            scaled = np.exp(logs - peak[inverse])
            sums = np.zeros_like(peak)
            np.add.at(sums, inverse, scaled)
            out[rows] = scaled / sums[inverse] * p1  # shares, as amounts in their units
    return out


# ------------------------------------------------------------------------- propagation


def _schedule(chain: SupplyChain) -> tuple[Schedule, pd.Index, pd.Index]:
    """The sweep of ``chain``'s totals for sampled values (the solver's), its node ids and
    its categories."""
    m = to_matrices(chain)
    p = plan(m.A, labels=m.nodes)
    found = schedule(
        p, m.edge_supplier, m.edge_consumer, m.impact_node, m.impact_category, len(m.categories)
    )
    return found, m.nodes, m.categories


def _upstream_part(chain: SupplyChain, nodes: Sequence[str]) -> SupplyChain:
    """The part of ``chain`` upstream of ``nodes``, as a graph of its own."""
    ids = pd.Index(chain.nodes["id"])
    A = to_matrices(chain).A
    reach = np.zeros(len(ids), dtype=bool)
    reversed_graph = A.T.tocsr()
    for node in dict.fromkeys(nodes):
        start = ids.get_loc(node)
        if not reach[start]:
            reach[breadth_first_order(reversed_graph, start, directed=True)[0]] = True
    if reach.all():
        return chain
    edges = np.flatnonzero(reach[chain.index.edge_consumer])
    impacts = np.flatnonzero(reach[chain.index.impact_node])
    return replace(
        chain,
        nodes=chain.nodes[reach].reset_index(drop=True),
        edges=chain.edges.iloc[edges].reset_index(drop=True),
        impacts=chain.impacts.iloc[impacts].reset_index(drop=True),
        social=chain.social[chain.social["node"].isin(ids[reach])].reset_index(drop=True),
    )


@dataclass(frozen=True, eq=False)
class MonteCarlo:
    """The outcome of :func:`monte_carlo`.

    Attributes
    ----------
    chain : SupplyChain
        The graph drawn: the whole graph, or the part upstream of the nodes asked for.
    nodes : pandas.Index
        The nodes whose results were kept (ids).
    categories : pandas.Index
    results : ndarray, shape (nodes, categories, samples)
        Total per unit of each kept node, in the category's unit, per sample; NaN in the
        samples whose draws make a loop need one unit or more of itself.
    params : Parameters
        The parameters of ``chain``; their draws are made again on demand
        (:meth:`draws`): they are keyed, so they are the run's.
    seed : int
    divergent : ndarray of bool, shape (samples,)
        The samples whose own draws make a loop need one unit or more of itself: left out
        of every statistic.
    loops : list of tuple of str
        The loops that diverged in those samples.
    """

    chain: SupplyChain
    nodes: pd.Index
    categories: pd.Index
    results: np.ndarray
    params: Parameters
    seed: int
    divergent: np.ndarray
    loops: list[tuple[str, ...]]

    @property
    def samples(self) -> int:
        return self.results.shape[2]

    def draws(self, positions: Sequence[int] | np.ndarray) -> np.ndarray:
        """The draws of the parameters at ``positions`` in this run (positions x samples)."""
        positions = np.asarray(positions, dtype=np.int64)
        return draw(self.params, positions, self.seed, 0, self.samples)


def divergence_note(mc: MonteCarlo) -> str:
    """A sentence on the samples whose own draws made a loop need itself ("" if none).

    >>> from supplychain.tables import from_tables
    >>> chain = from_tables(nodes=[{"id": "a", "kind": "material", "unit": "kg"}],
    ...                     edges=[{"source": "a", "target": "a", "amount": 0.9,
    ...                             "uncertainty": "uniform(0.8, 1.1)"}])
    >>> divergence_note(monte_carlo(chain, 100, seed=0))[:60]
    '34 of 100 samples draw amounts with which a loop needs one u'
    """
    count = int(mc.divergent.sum())
    if not count:
        return ""
    loops = "; ".join(
        ", ".join(loop[:6]) + (" ..." if len(loop) > 6 else "") for loop in mc.loops[:3]
    )
    return (
        f"{count} of {mc.samples} samples draw amounts with which a loop needs one unit or"
        f" more of itself ({loops}); they have no finite total and are left out of the"
        " statistics"
    )


def monte_carlo(
    chain: SupplyChain,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    nodes: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MonteCarlo:
    """Draw every parameter ``samples`` times and propagate all draws through the graph.

    Parameters
    ----------
    chain : SupplyChain
    samples : int
        Number of samples (at least 2).
    seed : int
        The same seed gives the same numbers: each parameter's draws come from its own
        stream, keyed by the parameter and the seed (:func:`uniforms`), so a node's
        numbers do not depend on which other nodes are asked for, nor on the chunking.
    nodes : sequence of str, optional
        The nodes whose totals to keep (default: all). Only the part of the graph
        upstream of them is drawn and solved (the rest cannot move their totals).
    progress : callable, optional
        Called as ``progress(done, samples)`` after each chunk.

    The propagation is the solver's (:func:`supplychain.solver.solve_samples`): level
    sweeps vectorised over the samples, loops swept to the tolerance of the totals and
    solved exactly where sweeps do not settle. A sample whose own draws make a loop need
    one unit or more of itself is not an error of the graph: it is counted in
    :attr:`MonteCarlo.divergent` and left out of the statistics.

    Raises
    ------
    UnknownNodeError
        If a node is not in the graph.
    SupplyChainError
        If ``samples`` is below 2, or every sample diverges.
    """
    if samples < 2:
        raise SupplyChainError(f"Monte Carlo needs at least 2 samples, not {samples}")
    all_ids = pd.Index(chain.nodes["id"])
    for node in nodes or ():
        node_position(all_ids, node)  # names an unknown node
    if nodes is not None:  # only what is upstream of them can move their totals
        chain = _upstream_part(chain, nodes)
    params = parameters(chain)
    sweep, ids, categories = _schedule(chain)
    keep = np.arange(len(ids)) if nodes is None else ids.get_indexer(list(dict.fromkeys(nodes)))

    def values(positions: np.ndarray, start: int, size: int) -> np.ndarray:
        return draw(params, positions, seed, start, size)

    found = solve_samples(sweep, values, samples, keep, chunk_bytes=CHUNK_BYTES, progress=progress)
    if found.divergent.all():
        loops = "; ".join(", ".join(loop) for loop in found.loops[:3])
        raise SupplyChainError(
            f"every one of the {samples} samples draws a loop that needs one unit or more of"
            f" itself ({loops}): the uncertainty given on its amounts allows no finite total"
        )
    return MonteCarlo(
        chain=chain,
        nodes=pd.Index(ids[keep]),
        categories=categories,
        results=found.totals,
        params=params,
        seed=seed,
        divergent=found.divergent,
        loops=found.loops,
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
    flat = flat[:, ~mc.divergent]  # samples whose loop diverged have no total
    names = [f"p{q:g}" for q in percentiles]
    with np.errstate(over="ignore", invalid="ignore"):  # a spread beyond floats is inf
        frame = _statistics(mc, flat, k, percentiles, names)
    joined = frame.join(base, on=["node", "category"], how="inner")
    no_data = joined["value"].isna()  # nothing upstream has a figure: no spread either
    joined.loc[no_data, ["mean", "median", "sd", *names]] = np.nan
    columns = SUMMARY_COLUMNS[:7] + names + SUMMARY_COLUMNS[7:]
    return joined[columns].reset_index(drop=True)


def _statistics(mc: MonteCarlo, flat: np.ndarray, k: int, percentiles, names) -> pd.DataFrame:
    n = len(mc.nodes)
    return pd.DataFrame(
        {
            "node": np.repeat(mc.nodes.to_numpy(), k),
            "category": np.tile(mc.categories.to_numpy(), n),
            "mean": flat.mean(axis=1),
            "median": np.median(flat, axis=1),
            "sd": flat.std(axis=1, ddof=1),
            **dict(zip(names, np.percentile(flat, list(percentiles), axis=1), strict=True)),
        }
    )


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


_SENSITIVITY_BYTES = 64 * 2**20  # draws ranked at a time by sensitivity


def sensitivity(mc: MonteCarlo, node: str, category: str) -> pd.DataFrame:
    """The parameters that drive the spread of ``node``'s total in ``category``.

    Spearman rank correlation between each upstream parameter's draws and the node's
    total; ``variance_share`` is its square over the sum of squares (a first-order share
    of the variance explained, adding up to 1). Correlations within sampling noise (below
    :func:`noise_floor` of the samples and parameters) are left out: with thousands of
    parameters, chance alone gives some of them a correlation of 0.1. The draws are made
    again, a block of parameters at a time (they are keyed: the run's own draws), so that
    a node with 10^5 parameters upstream needs no draws kept in memory.

    Returns
    -------
    DataFrame
        ``parameter, kind, transparency, distribution, value, rank_correlation,
        variance_share``, largest share first. Parameters that do not vary, and direct
        impacts in other categories, are left out.
    """
    row = node_position(mc.nodes, node)
    column = category_position(mc.categories, category)
    valid = ~mc.divergent
    result = mc.results[row, column][valid]
    positions = upstream_parameters(mc.chain, node)
    own = mc.params.table["category"].to_numpy()[positions]
    positions = positions[(own == "") | (own == category)]
    if len(positions) == 0 or not result.max() > result.min():  # std() overflows near 1e154
        return pd.DataFrame(columns=SENSITIVITY_COLUMNS)
    target = rankdata(result)
    target -= target.mean()
    target /= np.linalg.norm(target)
    block = max(1, _SENSITIVITY_BYTES // (8 * mc.samples))
    rho, varying = np.zeros(len(positions)), np.zeros(len(positions), dtype=bool)
    for first in range(0, len(positions), block):
        draws = mc.draws(positions[first : first + block])[:, valid]
        spread = draws.max(axis=1) > draws.min(axis=1)
        ranked = rankdata(draws, axis=1)
        ranked -= ranked.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(ranked, axis=1)
        part = np.divide(ranked @ target, norms, out=np.zeros(len(draws)), where=norms > 0)
        rho[first : first + block], varying[first : first + block] = part, spread
    rho, positions = rho[varying], positions[varying]
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
