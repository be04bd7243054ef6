"""LLM requests as services: energy, latency, GPUs and server hours of a request of N output
tokens, and the graph rows that make it a ``service`` traced to the mines.

The formulas follow EcoLogits's published methodology (``ecologits-methodology`` in
``data/sources.csv``), written here from its equations; the figures are rows of
``data/llm_inference.csv``, ``data/llm_models.csv``, ``data/gpus.csv``,
``data/hardware.csv``, ``data/datacentres.csv`` and ``data/electricity.csv``. Where we
differ: the GPU that serves a request is a choice (its memory sets how many cards a model
needs, its embodied impacts those of the server), not always an H100; the server is a graph
node built of its parts, whose metals are traced to mines; a model whose parameters are a
range, and a data centre whose PUE or WUE is, carry the range as a uniform distribution
into the Monte Carlo instead of reporting two ends.

Examples
--------
Llama 3.1 8B in 16 bits needs 1.2 x 8 x 16 / 8 = 19.2 GB: one 80 GB card.

>>> gpus_needed(weights_memory_gb(8.0, 16, 1.2), 80)
1
>>> gpus_needed(weights_memory_gb(70.0, 16, 1.2), 80)  # 168 GB: 3 cards, rounded to 4
4
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from supplychain.builders import (
    GraphDraft,
    add_parts,
    amortised_hour,
    bounded_estimate,
    datacentre_electricity,
    grid_electricity,
    hardware_impacts,
    material_content,
    one_row,
    placeholder,
    span,
    subtract_materials,
    with_mines,
)
from supplychain.errors import InvalidDataError, SupplyChainError, UnreadableFileError
from supplychain.files import read_regular_file
from supplychain.problems import Problem, Severity
from supplychain.reference import read_table
from supplychain.units import conversion_factor, rate_factor

__all__ = [
    "InferenceConstants",
    "LLMModel",
    "LLMRequest",
    "RequestFigures",
    "UnknownChoiceError",
    "find_model",
    "gpu_energy_per_token_kwh",
    "gpus_needed",
    "inference_constants",
    "latency_per_token_s",
    "LLMGraph",
    "llm_graph",
    "llm_request",
    "read_requests",
    "REQUEST_COLUMNS",
    "request_figures",
    "service_id",
    "weights_memory_gb",
]

GPU_METAL_PROXY = "gpu-a100"
"""The product of ``material_content.csv`` whose metals stand in for every GPU's."""

GPU_PLACEHOLDER_METALS = ("tantalum", "tin", "tungsten", "cobalt")
"""Metals in a GPU with no figure: the midpoint of the bounds ``material_content.csv``
gives (tin, estimated), else 1 g (0.01-10 g, missing)."""

GPU_BOUNDED_METALS = ("tin",)
"""Those of :data:`GPU_PLACEHOLDER_METALS` with bounds in ``material_content.csv``."""

PROXIES = {"rare-earths": "neodymium"}


class UnknownChoiceError(SupplyChainError):
    """A model, GPU, provider or region that the tables do not list; ``column`` names the
    field of a request it is about."""

    def __init__(self, message: str, column: str = ""):
        super().__init__(message)
        self.column = column


# ------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class InferenceConstants:
    """The constants of ``data/llm_inference.csv`` (units as there)."""

    gpu_energy_alpha: float  # Wh/token per billion active parameters
    gpu_energy_beta: float  # per request in the batch
    gpu_energy_gamma: float  # Wh/token
    latency_alpha: float  # s/token per billion active parameters
    latency_beta: float  # s/token per request in the batch
    latency_gamma: float  # s/token
    memory_overhead: float  # ratio
    quantisation_bits: int  # bit
    server_gpus: int  # GPUs in a server
    server_power: float  # kW, the server without its GPUs
    batch_size: int  # requests served together
    hardware_lifetime: float  # years
    fit_max_batch_size: int  # requests: the largest batch the fits were made on


def inference_constants(table: pd.DataFrame | None = None) -> InferenceConstants:
    """The constants from ``table`` (default: the shipped ``llm_inference.csv``), units
    checked: kW, years and bits as the dataclass says."""
    table = read_table("llm_inference") if table is None else table
    value = {}
    for name, kind in InferenceConstants.__annotations__.items():
        found = one_row(table, "llm_inference.csv", parameter=name)
        number = float(found["value"])
        if name == "server_power":
            number *= conversion_factor(found["unit"], "kW")
        elif name == "hardware_lifetime":
            number *= conversion_factor(found["unit"], "year")
        value[name] = int(number) if kind == "int" else number
    return InferenceConstants(**value)


@dataclass(frozen=True)
class LLMModel:
    """A model of ``llm_models.csv``: parameters in billions, each as (low, high)."""

    provider: str
    name: str
    architecture: str
    total_b: tuple[float, float]
    active_b: tuple[float, float]
    transparency: str
    source: str
    tokens_per_s: float | None = None  # measured deployment speed, where EcoLogits has one
    first_token_s: float | None = None  # s to the first token, with it

    @property
    def ranged(self) -> bool:
        """Whether the maker has not published the parameters (a range stands in)."""
        return self.total_b[0] != self.total_b[1] or self.active_b[0] != self.active_b[1]


def _bounds(row: pd.Series, central: str, low: str, high: str) -> tuple[float, float]:
    if math.isfinite(row[low]) and math.isfinite(row[high]):
        return float(row[low]), float(row[high])
    return float(row[central]), float(row[central])


def _suggest(wanted: str, choices: list[str]) -> str:
    close = [c for c in choices if c.lower() == wanted.lower()]
    close = close or [c for c in choices if c.startswith(wanted)][:3]
    close = close or difflib.get_close_matches(wanted, choices, n=3, cutoff=0.6)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def find_model(models: pd.DataFrame, name: str, provider: str | None = None) -> LLMModel:
    """The model called ``name`` (``provider/name`` or a name unique across providers).

    Raises
    ------
    UnknownChoiceError
        Naming the model, with the closest names, if there is none, or the providers if
        the name is not unique.

    >>> find_model(read_table("llm_models"), "open-mixtral-8x7b").active_b
    (12.9, 12.9)
    """
    rows = models[models["model"] == name]
    if rows.empty and "/" in name and name.split("/", 1)[0] in set(models["provider"]):
        provider, name = name.split("/", 1)
        rows = models[models["model"] == name]
    if provider is not None:
        rows = rows[rows["provider"] == provider]
    if rows.empty:
        raise UnknownChoiceError(
            f"unknown model {name!r}"
            + (f" of provider {provider!r}" if provider else "")
            + _suggest(name, list(models["model"]))
            + " (the models are the rows of data/llm_models.csv)",
            "model",
        )
    if len(rows) > 1:
        raise UnknownChoiceError(
            f"model {name!r} is listed by {', '.join(rows['provider'])}: name one with --provider",
            "model",
        )
    row = rows.iloc[0]
    return LLMModel(
        provider=row["provider"],
        name=row["model"],
        architecture=row["architecture"],
        total_b=_bounds(row, "total_params_b", "total_low_b", "total_high_b"),
        active_b=_bounds(row, "active_params_b", "active_low_b", "active_high_b"),
        transparency=row["transparency"],
        source=row["source"],
        tokens_per_s=_measured(row, "tps"),
        first_token_s=_measured(row, "ttft_s"),
    )


def _measured(row: pd.Series, column: str) -> float | None:
    value = row.get(column)
    return None if value is None or pd.isna(value) else float(value)


MAX_OUTPUT_TOKENS = 10_000_000
"""Output tokens of one request at most: ten times the longest context window offered."""
MAX_BITS = 32
"""Bits per weight at most: full single precision."""
MAX_TRAINING_QUERIES = 10**18
"""Lifetime requests at most: a billion a second for thirty years is 10^18."""


class LLMRequest(BaseModel):
    """One kind of request: a model, a number of output tokens, where it runs.

    ``provider`` (whose data centres, default the model's) and ``region`` (whose grid,
    an electricity zone; default where the provider's data centres are) are looked up in
    the tables; ``batch_size`` and ``quantisation_bits`` default to the constants'.
    ``training_queries``, where given, shares the model's disclosed training run
    (``data/llm_training.csv``) over that many requests in the model's life.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(min_length=1)
    output_tokens: int = Field(gt=0, le=MAX_OUTPUT_TOKENS, strict=True)
    gpu: str = "h100-80gb"
    provider: str | None = None
    region: str | None = None
    batch_size: int | None = Field(default=None, gt=0, strict=True)
    quantisation_bits: int | None = Field(default=None, gt=0, le=MAX_BITS, strict=True)
    training_queries: int | None = Field(default=None, gt=0, le=MAX_TRAINING_QUERIES, strict=True)


def llm_request(**fields: object) -> LLMRequest:
    """An :class:`LLMRequest` of ``fields``, or the first thing wrong with them in a line.

    >>> llm_request(model="gpt-4o-mini", output_tokens=400).output_tokens
    400
    >>> llm_request(model="gpt-4o-mini", output_tokens=10**12)
    Traceback (most recent call last):
    ...
    supplychain.llm.UnknownChoiceError: output_tokens: at most 10000000, not 1000000000000
    """
    try:
        return LLMRequest(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        column = str(first["loc"][0]) if first["loc"] else ""
        value = fields.get(column)
        if isinstance(value, int) and len(str(value)) > 24:
            value = f"{str(value)[:12]}... ({len(str(value))} digits)"
        if first["type"] == "less_than_equal":
            text = f"at most {first['ctx']['le']}, not {value}"
        elif first["type"] in ("string_too_short", "missing"):
            text = "none given"
        else:
            text = f"{first['msg'].lower()}, not {value!r}"
        raise UnknownChoiceError(f"{column}: {text}", column) from None


# ------------------------------------------------------------------------- formulas


def weights_memory_gb(total_params_b: float, bits: int, overhead: float) -> float:
    """GPU memory to host a model, GB: ``overhead x parameters (billions) x bits / 8``.

    >>> weights_memory_gb(8.0, 16, 1.2)
    19.2
    """
    return overhead * total_params_b * bits / 8


def gpus_needed(memory_gb: float, gpu_memory_gb: float) -> int:
    """Cards to hold ``memory_gb``: enough of ``gpu_memory_gb`` each, rounded up to a power
    of two (deployments use 1, 2, 4, 8 ... cards).

    >>> [gpus_needed(m, 80) for m in (19.2, 80.0, 80.1, 200.0, 400.0)]
    [1, 1, 2, 4, 8]
    """
    cards = max(1, math.ceil(memory_gb / gpu_memory_gb))
    return 2 ** math.ceil(math.log2(cards))


def gpu_energy_per_token_kwh(active_b: float, batch: int, c: InferenceConstants) -> float:
    """Energy of one GPU per output token, kWh: ``(alpha e^(beta B) P + gamma) / 1000``
    (the fit in Wh per token, ``P`` active parameters in billions, ``B`` the batch)."""
    wh = c.gpu_energy_alpha * math.exp(c.gpu_energy_beta * batch) * active_b + c.gpu_energy_gamma
    return wh * conversion_factor("Wh", "kWh")


def latency_per_token_s(active_b: float, batch: int, c: InferenceConstants) -> float:
    """Generation time per output token, s: ``alpha P + beta B + gamma``."""
    return c.latency_alpha * active_b + c.latency_beta * batch + c.latency_gamma


@dataclass(frozen=True)
class RequestFigures:
    """What one request takes: ``it_kwh`` (GPUs and server, before the data centre's
    overhead), ``server_hours`` (hours of the whole server: the request's share of it),
    ``latency_s``, ``gpus`` and ``memory_gb``."""

    it_kwh: float
    server_hours: float
    latency_s: float
    gpus: int
    memory_gb: float


def request_figures(
    total_b: float,
    active_b: float,
    output_tokens: int,
    gpu_memory_gb: float,
    c: InferenceConstants,
    batch: int | None = None,
    bits: int | None = None,
    tokens_per_s: float | None = None,
    first_token_s: float | None = None,
) -> RequestFigures:
    """One request of ``output_tokens`` tokens of a model of ``total_b`` (``active_b``)
    billion parameters on GPUs of ``gpu_memory_gb``.

    IT energy, kWh = GPUs x tokens x energy per token + latency x server power x
    (GPUs / server GPUs) / batch; the server's share, hours = latency x (GPUs / server
    GPUs) / batch, which amortises its embodied impacts. The latency, s, is ``tokens /
    tokens_per_s + first_token_s`` where the model's speed was measured (EcoLogits 0.11.3
    does so), else ``tokens x`` :func:`latency_per_token_s`.

    >>> c = inference_constants()
    >>> figures = request_figures(8.0, 8.0, 1000, 80, c)
    >>> figures.gpus, round(figures.latency_s, 2), f"{figures.it_kwh:.3g}"
    (1, 44.87, '7.43e-05')
    """
    batch = c.batch_size if batch is None else batch
    bits = c.quantisation_bits if bits is None else bits
    memory = weights_memory_gb(total_b, bits, c.memory_overhead)
    gpus = gpus_needed(memory, gpu_memory_gb)
    if tokens_per_s is None:
        latency = output_tokens * latency_per_token_s(active_b, batch, c)
    else:
        latency = output_tokens / tokens_per_s + (first_token_s or 0.0)
    hours = latency * conversion_factor("s", "hour")
    share = (gpus / c.server_gpus) / batch
    gpu_kwh = gpus * output_tokens * gpu_energy_per_token_kwh(active_b, batch, c)
    return RequestFigures(
        it_kwh=gpu_kwh + hours * c.server_power * share,
        server_hours=hours * share,
        latency_s=latency,
        gpus=gpus,
        memory_gb=memory,
    )


# ------------------------------------------------------------------------- the graph


def service_id(
    request: LLMRequest,
    provider: str,
    region: str,
    model: str | None = None,
    constants: InferenceConstants | None = None,
) -> str:
    """The node id of a request's service, e.g. ``llm-gpt-4o-mini-400-tokens-h100-80gb-openai-usa``.

    ``model``: the model's name as the table gives it (default the request's); a batch or
    bits other than the ``constants``' defaults are part of the id, so two requests that
    differ only in them are two services.

    >>> service_id(LLMRequest(model="meta-llama/Llama-3.1-8B", output_tokens=400), "hf", "USA")
    'llm-meta-llama-llama-3-1-8b-400-tokens-h100-80gb-hf-usa'
    >>> request = LLMRequest(model="m", output_tokens=4, batch_size=1, quantisation_bits=4)
    >>> service_id(request, "hf", "USA")
    'llm-m-4-tokens-h100-80gb-hf-usa-batch-1-4-bit'
    """
    name = request.model if model is None else model
    text = f"llm {name} {request.output_tokens} tokens {request.gpu} {provider} {region}"
    default_batch = None if constants is None else constants.batch_size
    default_bits = None if constants is None else constants.quantisation_bits
    if request.batch_size is not None and request.batch_size != default_batch:
        text += f" batch {request.batch_size}"
    if request.quantisation_bits is not None and request.quantisation_bits != default_bits:
        text += f" {request.quantisation_bits} bit"
    if request.training_queries is not None:
        text += f" trained over {request.training_queries}"
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class _Tables:
    models: pd.DataFrame
    gpus: pd.DataFrame
    hardware: pd.DataFrame
    parts: pd.DataFrame
    datacentres: pd.DataFrame
    electricity: pd.DataFrame
    contents: pd.DataFrame
    metals: pd.DataFrame
    training: pd.DataFrame


def _shipped_tables() -> _Tables:
    return _Tables(
        models=read_table("llm_models"),
        gpus=read_table("gpus"),
        hardware=read_table("hardware"),
        parts=read_table("device_parts"),
        datacentres=read_table("datacentres"),
        electricity=read_table("electricity"),
        contents=read_table("material_content"),
        metals=read_table("metal_impacts"),
        training=read_table("llm_training"),
    )


def _choice(
    table: pd.DataFrame, column: str, wanted: str, what: str, file: str, field: str
) -> pd.DataFrame:
    rows = table[table[column] == wanted]
    if rows.empty:
        choices = sorted(set(table[column]))
        raise UnknownChoiceError(
            f"unknown {what} {wanted!r}{_suggest(wanted, choices)} ({what}s: the {column} column"
            f" of data/{file}: {', '.join(choices[:12])}{' ...' if len(choices) > 12 else ''})",
            field,
        )
    return rows


def _resolve(
    request: LLMRequest, t: _Tables, c: InferenceConstants
) -> tuple[LLMModel, pd.Series, str, str]:
    """The model, GPU row, provider and region of ``request``, defaults filled in; a batch
    beyond the fits' data refused."""
    if request.batch_size is not None and request.batch_size > c.fit_max_batch_size:
        raise UnknownChoiceError(
            f"batch_size: at most {c.fit_max_batch_size}, not {request.batch_size} (the energy"
            " and latency fits were made on batches up to that; data/llm_inference.csv)",
            "batch_size",
        )
    model = find_model(t.models, request.model)
    gpu = _choice(t.gpus, "gpu", request.gpu, "GPU", "gpus.csv", "gpu").iloc[0]
    provider = request.provider or model.provider
    centres = _choice(
        t.datacentres, "provider", provider, "provider", "datacentres.csv", "provider"
    )
    region = request.region or centres.iloc[0]["location"]
    zones = t.electricity[t.electricity["source"] == "ecologits-electricity-mixes"]
    _choice(zones, "zone", region, "region", "electricity.csv", "region")
    if request.training_queries is not None:
        _training_row(t.training, model.name)
    return model, gpu, provider, region


def _training_row(training: pd.DataFrame, model: str) -> pd.Series:
    """The disclosed training run of ``model``."""
    runs = training[training["models"].map(lambda text: model in text.split(";"))]
    if runs.empty:
        trained = sorted({m for text in training["models"] for m in text.split(";")})
        raise UnknownChoiceError(
            f"no disclosed training run of {model!r} (data/llm_training.csv has those of"
            f" {', '.join(trained)}); leave training_queries out for inference alone",
            "training_queries",
        )
    return runs.iloc[0]


def _training(draft: GraphDraft, model: LLMModel, t: _Tables, c: InferenceConstants) -> str:
    """A model's disclosed training run as a node (one run, unit ``item``): its electricity
    (GPU hours x power, with the disclosed location-based emissions per kWh) and the hours
    of the training GPUs' servers (their embodied share); returns its id."""
    run = _training_row(t.training, model.name)
    node = f"training-{run['training']}"
    if any(n["id"] == node for n in draft.nodes):
        return node
    gpu = _choice(t.gpus, "gpu", run["gpu"], "GPU", "gpus.csv", "gpu").iloc[0]
    kwh = float(run["gpu_hours"]) * float(run["power_w"]) * conversion_factor("Wh", "kWh")
    power = f"electricity-{node}"
    draft.node(
        power,
        "energy",
        "kWh",
        f"Electricity of the training run {run['training']} (as its maker reports it)",
        transparency=run["transparency"],
        source=run["source"],
    )
    draft.impact(
        power,
        "gwp",
        float(run["gwp_location_t"]) * conversion_factor("t", "kg") / kwh,
        unit="kg CO2e/kWh",
        transparency=run["transparency"],
        source=run["source"],
        note=f"data/llm_training.csv {run['training']}: location-based"
        f" {run['gwp_location_t']:g} t CO2e over {kwh:.6g} kWh (GPU hours x power; ours)."
        f" Market-based: {run['gwp_market_t']:g} t.",
    )
    zones = t.electricity[t.electricity["source"] == "ecologits-electricity-mixes"]
    for category in ("energy", "water", "adp"):
        found = one_row(zones, "electricity.csv", zone="USA", quantity=category)
        draft.impact(
            power,
            category,
            float(found["value"]),
            unit=found["unit"],
            transparency="estimated",
            source=found["source"],
            note=f"data/electricity.csv zone USA, {category}: the US average standing in (the"
            " card names no grid).",
        )
    draft.node(
        node,
        "service",
        "item",
        f"Training run {run['training']} ({run['models'].replace(';', ', ')})",
        transparency=run["transparency"],
        source=run["source"],
        note=run["note"],
    )
    draft.edge(
        power,
        node,
        kwh,
        unit="kWh",
        transparency=run["transparency"],
        source_ref=run["source"],
        note=f"{run['gpu_hours']:g} GPU hours x {run['power_w']:g} W (data/llm_training.csv).",
    )
    draft.edge(
        _server(draft, gpu, t, c),
        node,
        float(run["gpu_hours"]) / c.server_gpus,
        unit="hour",
        transparency="estimated",
        source_ref=f"{run['source']};ecologits-llm-constants",
        note=f"{run['gpu_hours']:g} GPU hours / {c.server_gpus} GPUs a server: hours of"
        " the servers it held, which carry their embodied share (the card gives no hardware"
        " figures of its own).",
    )
    return node


REQUEST_COLUMNS = (
    "model",
    "output_tokens",
    "gpu",
    "provider",
    "region",
    "batch_size",
    "quantisation_bits",
    "training_queries",
)
"""Columns of a requests file (``model`` and ``output_tokens`` required)."""


def read_requests(path: str | os.PathLike) -> list[LLMRequest]:
    """The requests of a CSV file, one per row (columns :data:`REQUEST_COLUMNS`).

    Raises
    ------
    InvalidDataError
        With every problem of the file at once, each naming its row, column and value: a
        missing column, a count that is not a positive whole number, an unknown model,
        GPU, provider or region (with the closest names).
    UnreadableFileError
        If the file is not a readable regular file.
    """
    path = Path(path)
    try:
        data = read_regular_file(path)
    except UnreadableFileError as error:
        raise UnreadableFileError(f"{path}: {error}") from None

    def problem(message: str, row: int | None = None, column: str = "", value=None) -> Problem:
        return Problem(
            Severity.ERROR, "bad-request", message, path.name, "requests", row, column, value
        )

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidDataError(
            [problem(f"not UTF-8 text (byte {error.start} cannot be read)")]
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [c for c in ("model", "output_tokens") if c not in header]
    unknown = [c for c in header if c not in REQUEST_COLUMNS]
    twice = sorted({c for c in header if header.count(c) > 1})
    problems = [problem(f"missing column {c!r}", column=c) for c in missing]
    problems += [
        problem(f"unknown column (expected {', '.join(REQUEST_COLUMNS)})", column=c, value=c)
        for c in unknown
    ]
    problems += [problem("the column is named twice", column=c, value=c) for c in twice]
    if problems:
        raise InvalidDataError(problems)
    tables = _shipped_tables()
    constants = inference_constants()
    requests = []
    seen: dict[str, int] = {}
    for raw in reader:
        number = reader.line_num  # the file's line where the row ends (blank lines counted)
        extra = [v for v in raw.get(None) or [] if v.strip()]  # type: ignore[call-overload]
        if extra:
            problems.append(
                problem(f"{len(extra)} cell(s) more than the header names", number, "", extra[0])
            )
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        fields: dict[str, object] = {}
        for column in REQUEST_COLUMNS:
            value = row.get(column, "")
            if column in ("output_tokens", "batch_size", "quantisation_bits", "training_queries"):
                if value == "" and column != "output_tokens":
                    continue
                if not re.fullmatch(r"[0-9]+", value) or int(value) == 0:
                    problems.append(
                        problem("expected a positive whole number", number, column, value)
                    )
                    continue
                fields[column] = int(value)
            elif value:
                fields[column] = value
        if "model" not in fields:
            problems.append(problem("no model named", number, "model", ""))
        if len(problems) and any(p.row == number for p in problems):
            continue
        try:
            request = llm_request(**fields)
            model, _, provider, region = _resolve(request, tables, constants)
        except UnknownChoiceError as error:
            column = error.column or "model"
            problems.append(problem(str(error), number, column, row.get(column, "")))
            continue
        service = service_id(request, provider, region, model.name, constants)
        if service in seen:
            problems.append(
                problem(f"the same request as line {seen[service]} ({service})", number)
            )
            continue
        seen[service] = number
        requests.append(request)
    if problems:
        raise InvalidDataError(problems)
    if not requests:
        raise InvalidDataError([problem("no requests: the file has a header and no rows")])
    return requests


def _server(draft: GraphDraft, gpu: pd.Series, t: _Tables, c: InferenceConstants) -> str:
    """The 8-GPU server of ``gpu`` (its parts, the server without GPUs, the GPUs' metals)
    and an hour of its life; returns the hour's id. Nodes already drafted are reused."""
    server = f"llm-server-{gpu['gpu']}"
    hour = f"{server}-hour"
    if any(n["id"] == hour for n in draft.nodes):
        return hour
    draft.node(
        server,
        "device",
        "item",
        f"LLM inference server, {c.server_gpus} x {gpu['name']}",
        transparency="estimated",
        source="ecologits-methodology",
        note="EcoLogits's reference server (AWS p5.48xlarge class) with the GPUs chosen.",
    )
    hardware_impacts(
        draft,
        server,
        "ecologits-server-8gpu-excl-gpus",
        t.hardware,
        how="the server without its GPUs",
    )
    add_parts(draft, server, t.parts, t.hardware)
    card = one_row(t.parts, "device_parts.csv", device=server)["part"]
    how = f"the A100's figures standing in for the {gpu['name']}, for which none was found"
    for metal in ("copper", "gold"):
        material_content(draft, t.contents, GPU_METAL_PROXY, metal, card, how)
    for metal in GPU_PLACEHOLDER_METALS:
        if metal in GPU_BOUNDED_METALS:
            bounded_estimate(draft, t.contents, GPU_METAL_PROXY, metal, card)
            continue
        placeholder(
            draft,
            metal,
            card,
            1.0,
            "g",
            0.01,
            10.0,
            f"Placeholder: no figure found for {metal} in a {gpu['name']}. 1 g stands in,"
            " between 0.01 g and 10 g; the audit should rank it as a gap.",
        )
    return amortised_hour(
        draft,
        server,
        hour,
        f"One hour of the LLM server with {gpu['name']} (its embodied share)",
        c.hardware_lifetime,
        source="ecologits-llm-constants",
        why="EcoLogits's HARDWARE_LIFESPAN (data/llm_inference.csv hardware_lifetime)",
    )


def _electricity(draft: GraphDraft, provider: str, region: str, t: _Tables) -> str:
    """The data-centre electricity of ``provider`` on the grid of ``region``; its id."""
    centre = f"electricity-datacentre-{provider}-{region}".lower().replace("_", "-")
    if any(n["id"] == centre for n in draft.nodes):
        return centre
    grid = f"electricity-{region}".lower()
    if not any(n["id"] == grid for n in draft.nodes):
        grid_electricity(
            draft, grid, region, f"Electricity, {region} grid", t.electricity, base_zone=region
        )
    return datacentre_electricity(
        draft,
        grid,
        centre,
        f"Electricity at the servers, {provider} data centre on the {region} grid (incl. PUE)",
        t.datacentres,
        provider,
    )


def _spread(figures: list[RequestFigures], field: str, per: float) -> tuple[float, str]:
    """The amount (midpoint) and uncertainty text of ``field`` over the parameter ends."""
    low, high = (getattr(f, field) * per for f in figures)
    if low == high:
        return low, ""
    low, high = min(low, high), max(low, high)
    return (low + high) / 2, span(low, high)


@dataclass(frozen=True)
class LLMGraph:
    """The graph of some requests: ``tables`` (for :func:`supplychain.tables.from_tables`)
    and ``requests``, one row per request: ``service`` (its node), ``model``,
    ``provider``, ``region``, ``gpu``, ``output_tokens``, ``batch``, ``bits``,
    ``total_params_b``, ``active_params_b`` (a ``low-high`` text where a range),
    ``weights_gb``, ``gpus``, ``latency_s`` (generation time), ``it_kwh`` (at the
    servers), ``grid_kwh`` (from the grid: with the midpoint of the data centre's PUE) and
    ``server_hours`` (per request; midpoints where the parameters are a range),
    ``training_queries`` and ``training`` (the training node, or empty)."""

    tables: dict[str, pd.DataFrame]
    requests: pd.DataFrame


def llm_graph(
    requests: list[LLMRequest],
    constants: InferenceConstants | None = None,
    tables: _Tables | None = None,
) -> LLMGraph:
    """The graph of ``requests``: one ``service`` per request, per 1,000 queries, with an
    edge from its data centre's electricity (IT kWh) and one from an hour of its server
    (the server's hours), the server built of its parts and the mining layer of their
    metals. Shared nodes (a grid, a server) appear once.

    Raises
    ------
    UnknownChoiceError
        For a model, GPU, provider or region the tables do not list, with suggestions.
    """
    c = inference_constants() if constants is None else constants
    t = _shipped_tables() if tables is None else tables
    draft = GraphDraft()
    described: list[dict] = []
    per_1000 = 1000.0
    for request in requests:
        model, gpu, provider, region = _resolve(request, t, c)
        figures = [
            request_figures(
                total,
                active,
                request.output_tokens,
                float(gpu["memory_gb"]),
                c,
                request.batch_size,
                request.quantisation_bits,
                model.tokens_per_s,
                model.first_token_s,
            )
            for total, active in zip(model.total_b, model.active_b, strict=True)
        ]
        service = service_id(request, provider, region, model.name, c)
        if any(n["id"] == service for n in draft.nodes):
            continue
        described.append(
            {
                "service": service,
                "model": model.name,
                "provider": provider,
                "region": region,
                "gpu": gpu["gpu"],
                "output_tokens": request.output_tokens,
                "batch": request.batch_size or c.batch_size,
                "bits": request.quantisation_bits or c.quantisation_bits,
                "total_params_b": _range_text(model.total_b),
                "active_params_b": _range_text(model.active_b),
                "weights_gb": _range_text(tuple(f.memory_gb for f in figures)),
                "gpus": _range_text(tuple(float(f.gpus) for f in figures)),
                "latency_s": sum(f.latency_s for f in figures) / 2,
                "it_kwh": sum(f.it_kwh for f in figures) / 2,
                "grid_kwh": sum(f.it_kwh for f in figures) / 2 * _pue_midpoint(t, provider),
                "server_hours": sum(f.server_hours for f in figures) / 2,
                "training_queries": request.training_queries,
                "training": "",
            }
        )
        power = _electricity(draft, provider, region, t)
        hour = _server(draft, gpu, t, c)
        params = (
            f"{model.total_b[0]:g}-{model.total_b[1]:g}B parameters"
            if model.ranged
            else f"{model.total_b[0]:g}B parameters ({model.active_b[0]:g}B active)"
        )
        draft.node(
            service,
            "service",
            "1000 queries",
            f"{model.name}: 1,000 requests of {request.output_tokens} output tokens on"
            f" {gpu['name']}, {provider}, {region} grid",
            country=region[:3],
            transparency=model.transparency,
            source=f"{model.source};ecologits-methodology",
            note=f"{params}; {figures[-1].gpus} GPU(s) of {gpu['memory_gb']:g} GB for"
            f" {figures[-1].memory_gb:.4g} GB of weights; batch"
            f" {request.batch_size or c.batch_size}.",
        )
        kwh, kwh_spread = _spread(figures, "it_kwh", per_1000)
        hours, hours_spread = _spread(figures, "server_hours", per_1000)
        source_ref = "ecologits-methodology;ecologits-llm-constants;" + model.source
        draft.edge(
            power,
            service,
            kwh,
            unit="kWh",
            uncertainty=kwh_spread,
            transparency="estimated",
            source_ref=source_ref,
            note="IT energy of 1,000 requests: GPUs x tokens x energy per token (EcoLogits's"
            " fit on H100 measurements) + generation time x server power x GPU share / batch"
            + ("; the range spans the model's parameter range" if kwh_spread else "")
            + ".",
        )
        draft.edge(
            hour,
            service,
            hours,
            unit="hour",
            uncertainty=hours_spread,
            transparency="estimated",
            source_ref=source_ref,
            note="Hours of the whole server for 1,000 requests: generation time x (GPUs used"
            " / GPUs in the server) / batch, which amortises its embodied impacts.",
        )
        if request.training_queries is not None:
            described[-1]["training"] = _training(draft, model, t, c)
            draft.edge(
                described[-1]["training"],
                service,
                per_1000 / request.training_queries,
                unit="item",
                transparency="estimated",
                note=f"The training run shared over {request.training_queries:,} requests in"
                " the model's life: a figure the user sets, no source.",
            )
    subtract_materials(draft, t.metals, PROXIES)
    graph = with_mines(draft, ["copper", "gold", *GPU_PLACEHOLDER_METALS], PROXIES)
    return LLMGraph(graph, pd.DataFrame(described))


def _pue_midpoint(t: _Tables, provider: str) -> float:
    """The midpoint of ``provider``'s PUE range, kWh from the grid per kWh of IT."""
    pue = one_row(t.datacentres, "datacentres.csv", provider=provider, quantity="pue")
    return (pue["low"] + pue["high"]) / 2 * rate_factor(pue["unit"], "kWh", "kWh")


def _range_text(ends: tuple[float, ...]) -> str:
    low, high = min(ends), max(ends)
    return f"{low:.4g}" if low == high else f"{low:.4g}-{high:.4g}"
