"""The sourced reference tables of ``data/``: where they are, and reading them safely.

Each table is a CSV file with a ``source`` column citing ``data/sources.csv`` and a
``transparency`` column (see ``data/README.md`` for the columns and units of each). In a
source checkout they are the files of ``data/`` beside the package; an installed wheel
carries them inside the package as ``_shipped/data``.

Examples
--------
>>> production = read_table("mine_production")
>>> cobalt = production[(production.material == "cobalt") & (production.year == 2025)]
>>> float(cobalt.loc[cobalt.country == "COD", "production"].iloc[0])
230000.0
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from supplychain.errors import InvalidDataError
from supplychain.problems import Problem, Severity

__all__ = ["DATA_TABLES", "data_folder", "read_table"]

_PACKAGE = Path(__file__).resolve().parent

DATA_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mine_production": (
        ("material", "country", "year", "production", "unit", "row_type", "source"),
        ("year", "production"),
    ),
    "metal_impacts": (("material", "gwp", "energy", "source"), ("gwp", "energy")),
    "child_forced_labour": (
        ("country", "material", "child_labour", "forced_labour", "source"),
        (),
    ),
    "conflict_minerals": (("country", "materials", "conflict", "source"), ()),
    "countries": (("iso3", "name"), ()),
    "iso3166": (("alpha2", "alpha3", "name"), ()),
    "mine_sites": (
        ("id", "material", "country", "year", "production", "unit", "comparable", "source"),
        ("lat", "lon", "year", "production"),
    ),
    "electricity": (("zone", "quantity", "value", "unit", "source"), ("value",)),
    "inference_energy_by_task": (
        ("task_id", "mean_kwh_per_1000_queries", "source"),
        ("mean_kwh_per_1000_queries", "sd_kwh_per_1000_queries"),
    ),
    "inference_energy_by_model": (
        ("task_id", "model", "model_type", "mean_kwh_per_1000_queries", "source"),
        (
            "n_runs",
            "mean_kwh_per_1000_queries",
            "sd_kwh_per_1000_queries",
            "gpu_kwh",
            "cpu_kwh",
            "ram_kwh",
            "mean_duration_s_per_1000_queries",
            "gpu_count",
        ),
    ),
    "inference_energy_zero_shot": (
        ("model", "mean_kwh_per_1000_queries", "source"),
        ("g_co2e_per_1000_queries", "mean_kwh_per_1000_queries"),
    ),
    "hardware": (("item", "quantity", "value", "source"), ("value", "lifetime_years")),
    "material_content": (
        ("product", "material", "grams_per_unit", "unit", "source"),
        ("grams_per_unit", "low", "high"),
    ),
    "device_parts": (
        ("device", "part", "units", "amount_per_unit", "unit", "source"),
        ("units", "amount_per_unit", "low_per_unit", "high_per_unit"),
    ),
    "datacentres": (("provider", "quantity", "low", "high", "unit", "source"), ("low", "high")),
    "llm_models": (
        ("provider", "model", "architecture", "total_params_b", "active_params_b", "source"),
        (
            "total_params_b",
            "total_low_b",
            "total_high_b",
            "active_params_b",
            "active_low_b",
            "active_high_b",
            "tps",
            "ttft_s",
        ),
    ),
    "llm_inference": (("parameter", "value", "unit", "source"), ("value",)),
    "llm_training": (
        ("training", "models", "gpu", "gpu_hours", "power_w", "gwp_location_t", "source"),
        ("gpu_hours", "power_w", "gwp_location_t", "gwp_market_t"),
    ),
    "training_energy": (
        ("training", "models", "stage", "energy_kwh", "country", "source"),
        ("energy_kwh",),
    ),
    "gpus": (("gpu", "memory_gb", "hardware_item", "source"), ("memory_gb",)),
    "voice_assistant": (("item", "quantity", "value", "source"), ("value", "low", "high")),
    "sources": (("id", "title"), ("year",)),
}
"""Tables the library reads: name -> (required columns, numeric columns)."""


def data_folder() -> Path | None:
    """The folder holding the shipped reference tables, or None if the package has none."""
    for candidate in (_PACKAGE / "_shipped" / "data", _PACKAGE.parent / "data"):
        if (candidate / "sources.csv").is_file():
            return candidate
    return None


def _numbers(column: pd.Series, file: str, name: str) -> tuple[pd.Series, list[Problem]]:
    """``column`` as floats (empty cells NaN), with a problem for every cell that is no number."""
    numbers = pd.to_numeric(column.str.strip().replace("", np.nan), errors="coerce")
    bad = numbers.isna() & (column.str.strip() != "") | np.isinf(numbers)
    problems = [
        Problem(
            Severity.ERROR,
            "not-a-number",
            "expected a finite number (or an empty cell)",
            file=file,
            table=file.removesuffix(".csv"),
            row=int(position) + 2,
            column=name,
            value=column.iloc[position],
        )
        for position in np.flatnonzero(bad.to_numpy())
    ]
    return numbers, problems


def read_table(name: str, path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read the reference table ``name`` (from ``path``, default: the shipped ``data/``).

    Text cells are strings (empty cells ``""``), the table's numeric columns floats (empty
    cells NaN). See ``data/README.md`` for each table's columns and units.

    Raises
    ------
    InvalidDataError
        Naming file, row, column and value of every missing column and bad number.
    FileNotFoundError
        If there is no such table (a programming error, not bad input).

    Examples
    --------
    >>> sorted(read_table("metal_impacts").columns)[:3]
    ['check', 'energy', 'energy_unit']
    """
    required, numeric = DATA_TABLES.get(name, ((), ()))
    if path is None:
        folder = data_folder()
        if folder is None:
            raise FileNotFoundError("the package has no data/ folder")
        path = folder / f"{name}.csv"
    path = Path(path)
    file = path.name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise InvalidDataError(
            [Problem(Severity.ERROR, "unreadable-file", f"cannot read as CSV: {error}", file=file)]
        ) from None
    problems = [
        Problem(Severity.ERROR, "missing-column", f"the table needs a column {column!r}", file=file)
        for column in required
        if column not in frame.columns
    ]
    for column in numeric:
        if column in frame.columns:
            frame[column], found = _numbers(frame[column], file, column)
            problems += found
    if problems:
        raise InvalidDataError(problems)
    return frame
