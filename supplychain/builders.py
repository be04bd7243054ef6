"""Build device and service graphs from sourced tables: hardware, materials, energy, services.

The pieces a recipe puts together, each taking its figures from a row of a reference table
(the shipped ``data/`` or a user's own tables in the same columns, read with
:func:`supplychain.reference.read_table`) and writing rows in the columns of the graph
format into a :class:`GraphDraft`. Units are converted through :mod:`supplychain.units`;
every row written says in its note which table row it came from. The shipped graphs are
two such recipes (``graphs/build_shipped.py``).

Examples
--------
A server with eight GPUs whose embodied impacts come from a hardware table, amortised over
its life in hours:

>>> import pandas as pd
>>> hardware = pd.DataFrame({
...     "item": ["gpu"] * 3, "quantity": ["gwp", "energy", "adp"],
...     "value": [150.0, 2000.0, 0.004], "unit_of_value": ["kg CO2e", "MJ", "kg Sb-eq"],
...     "transparency": "estimated", "source": "my-lca"})
>>> parts = pd.DataFrame({
...     "device": ["server"], "part": ["gpu"], "part_name": ["GPU"], "hardware_item": ["gpu"],
...     "units": [8.0], "amount_per_unit": [1.0], "low_per_unit": [float("nan")],
...     "high_per_unit": [float("nan")], "unit": ["item"], "transparency": ["estimated"],
...     "source": ["my-bom"], "note": ["8 GPUs."]})
>>> draft = GraphDraft()
>>> _ = draft.node("server", "device", "item", "My server")
>>> add_parts(draft, "server", parts, hardware)
>>> [(e["source"], e["target"], e["amount"]) for e in draft.edges]
[('gpu', 'server', 8.0)]
>>> hour = amortised_hour(draft, "server", "server-hour", "An hour of the server", 4.0)
>>> round(draft.edges[-1]["amount"] * 4 * 8760, 12)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from supplychain.errors import ReferenceRowError
from supplychain.mixes import cited_sources, mine_layer
from supplychain.units import conversion_factor, rate_factor

__all__ = [
    "EMBODIED_CATEGORIES",
    "EXTRA_EMBODIED_CATEGORIES",
    "EdgeFigure",
    "GraphDraft",
    "add_parts",
    "amortised_hour",
    "bounded_estimate",
    "citation",
    "datacentre_electricity",
    "grid_electricity",
    "hardware_impacts",
    "material_content",
    "material_footprint",
    "measured_service_energy",
    "measured_services",
    "one_of",
    "one_row",
    "placeholder",
    "span",
    "subtract_materials",
    "training_energy_run",
    "with_mines",
]

EMBODIED_CATEGORIES = ("gwp", "energy", "adp")
"""The categories of embodied impacts that ``hardware.csv`` gives for each item."""

EXTRA_EMBODIED_CATEGORIES = (
    "acidification",
    "ecotoxicity",
    "eutrophication-terrestrial",
    "particulate-matter",
    "photochemical-ozone",
    "land-use-score",
    "water-scarcity",
)
"""Environmental Footprint categories that ``hardware.csv`` gives for some items."""

ELECTRICITY_CATEGORIES = ("gwp", "energy", "water", "adp")
"""The categories ``electricity.csv`` gives for each zone, per kWh."""


# ------------------------------------------------------------------------- rows and texts


@dataclass
class GraphDraft:
    """Rows of a graph under construction (dicts in the columns of the graph format).

    ``tables()`` gives them as the DataFrames :func:`supplychain.tables.from_tables` takes.
    """

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    impacts: list[dict] = field(default_factory=list)

    def node(self, id_: str, kind: str, unit: str, name: str, **extra: str) -> str:
        """Add a node; returns its id."""
        self.nodes.append({"id": id_, "kind": kind, "unit": unit, "name": name, **extra})
        return id_

    def edge(self, source: str, target: str, amount: float, **extra: object) -> None:
        """Add an edge: ``amount`` of ``source`` per unit of ``target``."""
        self.edges.append({"source": source, "target": target, "amount": amount, **extra})

    def impact(self, node: str, category: str, value: float, **extra: object) -> None:
        """Add a direct impact of ``node`` per unit of its output."""
        self.impacts.append({"node": node, "category": category, "value": value, **extra})

    def tables(self) -> dict[str, pd.DataFrame]:
        """``nodes``, ``edges`` and ``impacts`` as DataFrames."""
        return {
            "nodes": pd.DataFrame(self.nodes),
            "edges": pd.DataFrame(self.edges),
            "impacts": pd.DataFrame(self.impacts),
        }


def one_row(table: pd.DataFrame, table_name: str = "table", **match: object) -> pd.Series:
    """The one row of ``table`` whose columns equal ``match``.

    Raises
    ------
    ReferenceRowError
        Naming the table and the match, if no row or several rows match.

    Examples
    --------
    >>> table = pd.DataFrame({"item": ["a", "b"], "value": [1.0, 2.0]})
    >>> float(one_row(table, "t", item="b")["value"])
    2.0
    """
    mask = np.ones(len(table), dtype=bool)
    for column, value in match.items():
        if column not in table:
            raise ReferenceRowError(f"{table_name} has no column {column!r}")
        mask &= (table[column] == value).to_numpy()
    found = table[mask]
    if len(found) != 1:
        wanted = ", ".join(f"{column} {value!r}" for column, value in match.items())
        raise ReferenceRowError(f"{table_name}: expected one row with {wanted}, found {len(found)}")
    return found.iloc[0]


def citation(text: str) -> str:
    """A citation with its ids separated by ``;`` and no spaces.

    >>> citation(" a ; b;")
    'a;b'
    """
    return ";".join(part.strip() for part in text.split(";") if part.strip())


def span(low: float, high: float, shape: str = "range") -> str:
    """An uncertainty text ``range(min=..., max=...)`` (or another ``shape`` of two bounds,
    ``uniform``), each bound in six significant digits where that does not narrow the
    range (else in full), so a figure at a bound stays in it.

    >>> span(0.01, 10)
    'range(min=0.01, max=10)'
    >>> span(0.38696695302221196, 0.640123)
    'range(min=0.38696695302221196, max=0.640123)'
    >>> span(6, 74, "uniform")
    'uniform(min=6, max=74)'
    """
    return f"{shape}(min={_bound(low, down=True)}, max={_bound(high, down=False)})"


def _bound(value: float, down: bool) -> str:
    """``value`` in six significant digits, or in full where rounding would move it inward
    by more than float noise (a lower bound up, an upper bound down)."""
    text = f"{value:.6g}"
    inward = float(text) - value if down else value - float(text)
    return repr(float(value)) if inward > 1e-12 * abs(value) else text


def one_of(values: Iterable[float]) -> str:
    """An uncertainty text ``choice(...)``: one of the values, each as likely.

    >>> one_of([1.5, 2])
    'choice(1.5, 2)'
    """
    return f"choice({', '.join(f'{v:.6g}' for v in values)})"


def _finite(*values: object) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


# ------------------------------------------------------------------------- hardware


def hardware_impacts(
    draft: GraphDraft, node: str, item: str, hardware: pd.DataFrame, how: str = ""
) -> None:
    """Direct gwp, energy and adp of ``node``: the ``hardware`` rows of ``item``, and
    those of :data:`EXTRA_EMBODIED_CATEGORIES` where the table has them (Boavizta's GPU
    model gives them; most items have none, and their absence is a gap, not a zero).

    ``hardware`` has the columns of ``data/hardware.csv`` (``item, quantity, value,
    unit_of_value, transparency, source``); the impacts are per one ``unit`` of the item.
    """
    given = set(hardware.loc[hardware["item"] == item, "quantity"])
    extra = [c for c in EXTRA_EMBODIED_CATEGORIES if c in given]
    for category in [*EMBODIED_CATEGORIES, *extra]:
        found = one_row(hardware, "hardware.csv", item=item, quantity=category)
        modelled = found["source"].startswith("boavizta")
        draft.impact(
            node,
            category,
            float(found["value"]),
            unit=found["unit_of_value"],
            transparency=found["transparency"],
            source=found["source"],
            note=f"data/hardware.csv item {item}, {category}"
            + (f"; {how}" if how else "")
            + "."
            + (" Modelled with Boavizta factors, not measured." if modelled else ""),
        )


def add_parts(
    draft: GraphDraft,
    device: str,
    parts: pd.DataFrame,
    hardware: pd.DataFrame,
    derived: Mapping[str, Callable[[GraphDraft, str], None]] | None = None,
) -> None:
    """The parts of ``device`` from a parts table: a component node each, its embodied
    impacts and an edge of ``units x amount_per_unit`` (in the part's ``unit``) into the
    device.

    ``parts`` has the columns of ``data/device_parts.csv``. A part with a ``hardware_item``
    takes its impacts from that item of ``hardware`` (:func:`hardware_impacts`); one
    without takes them from ``derived[part](draft, part)``, the recipe's own derivation.
    The edge's range is ``units x low_per_unit`` to ``units x high_per_unit`` where both
    are given.

    Raises
    ------
    ReferenceRowError
        If ``device`` has no parts, or a part has neither a hardware item nor a derivation.
    """
    derived = derived or {}
    rows = parts[parts["device"] == device]
    if rows.empty:
        raise ReferenceRowError(f"device_parts.csv: no parts of device {device!r}")
    for _, part in rows.iterrows():
        item = part.get("hardware_item")
        item = item.strip() if isinstance(item, str) else ""  # empty or NaN: none
        first = (
            one_row(hardware, "hardware.csv", item=item, quantity=EMBODIED_CATEGORIES[0])
            if item
            else None
        )
        draft.node(
            part["part"],
            "component",
            part["unit"],
            part["part_name"],
            transparency=first["transparency"] if first is not None else "estimated",
            source=first["source"] if first is not None else citation(part["source"]),
        )
        if item:
            hardware_impacts(draft, part["part"], item, hardware)
        elif part["part"] in derived:
            derived[part["part"]](draft, part["part"])
        else:
            raise ReferenceRowError(
                f"device_parts.csv: part {part['part']!r} of {device!r} has no hardware_item"
                " and the recipe derives no impacts for it"
            )
        units = float(part["units"])
        low, high = part.get("low_per_unit"), part.get("high_per_unit")
        draft.edge(
            part["part"],
            device,
            units * float(part["amount_per_unit"]),
            unit=part["unit"],
            **({"uncertainty": span(units * low, units * high)} if _finite(low, high) else {}),
            transparency=part["transparency"],
            source_ref=citation(part["source"]),
            note=part["note"],
        )


def amortised_hour(
    draft: GraphDraft,
    device: str,
    id_: str,
    name: str,
    lifetime_years: float,
    longest_years: float | None = None,
    source: str = "",
    why: str = "",
) -> str:
    """A node for one hour of ``device``'s life: it takes ``1 / lifetime hours`` of the
    device, so whatever uses the device by the hour carries its embodied share.

    ``longest_years``, where given, makes the amount a range from ``1 / longest`` to
    ``1 / lifetime`` hours. Years convert to hours through :mod:`supplychain.units`
    (a year is 365 days, 8760 hours). Returns the hour node's id.

    Raises
    ------
    ReferenceRowError
        If a lifetime is not a positive number.

    >>> draft = GraphDraft()
    >>> amortised_hour(draft, "laptop", "laptop-hour", "An hour of a laptop", 5.0)
    'laptop-hour'
    >>> draft.edges[0]["amount"] == 1 / (5 * 8760)
    True
    """
    for years in (lifetime_years, longest_years):
        if years is not None and not (math.isfinite(years) and years > 0):
            raise ReferenceRowError(f"a lifetime of {years!r} years for {device!r}: expected > 0")
    hours_per_year = conversion_factor("year", "hour")
    shortest = lifetime_years * hours_per_year
    draft.node(
        id_,
        "device",
        "hour",
        name,
        transparency="estimated",
        source=citation(source),
        note="Amortises the device's embodied impacts over its lifetime hours.",
    )
    spread = {}
    if longest_years is not None:
        spread = {"uncertainty": span(1 / (longest_years * hours_per_year), 1 / shortest)}
    draft.edge(
        device,
        id_,
        1 / shortest,
        unit="item",
        **spread,
        transparency="estimated",
        source_ref=citation(source),
        note=f"1 / {shortest:.0f} hours ({lifetime_years:g} years)"
        + (f": {why}" if why else "")
        + ".",
    )
    return id_


# ------------------------------------------------------------------------- materials


def material_content(
    draft: GraphDraft,
    table: pd.DataFrame,
    product: str,
    material: str,
    target: str,
    how: str = "",
) -> None:
    """An edge ``material -> target``, in kg, from the ``table`` row of ``product`` and
    ``material`` (the columns of ``data/material_content.csv``: grams per unit, with an
    optional low-high range). ``how``, if given, says why the figure is used in a way its
    source did not give it, and marks the edge ``estimated``.

    >>> table = pd.DataFrame({"product": ["pcb"], "material": ["gold"],
    ...     "grams_per_unit": [0.5], "low": [0.2], "high": [1.0], "unit": ["kg"],
    ...     "transparency": ["published"], "source": ["review"]})
    >>> draft = GraphDraft()
    >>> material_content(draft, table, "pcb", "gold", "pcb")
    >>> draft.edges[0]["amount"], draft.edges[0]["uncertainty"]
    (0.0005, 'range(min=0.0002, max=0.001)')
    """
    found = one_row(table, "material_content.csv", product=product, material=material)
    to_kg = conversion_factor("kg", "g")
    grams = float(found["grams_per_unit"])
    low, high = found["low"], found["high"]
    draft.edge(
        material,
        target,
        grams / to_kg,
        unit="kg",
        uncertainty=span(low / to_kg, high / to_kg) if _finite(low, high) else "",
        transparency="estimated" if how else found["transparency"],
        source_ref=citation(found["source"]),
        note=f"data/material_content.csv {product}/{material}: {grams:.6g} g per"
        f" {found['unit']}" + (f"; {how}" if how else "") + ".",
    )


def placeholder(
    draft: GraphDraft,
    supplier: str,
    consumer: str,
    amount: float,
    unit: str,
    low: float,
    high: float,
    why: str,
) -> None:
    """An edge where no figure exists: ``amount`` stands in, between ``low`` and ``high``,
    marked ``missing`` (no source), so the audit ranks it as a gap.

    ``why`` is the edge's note: what was searched and why the stand-in is what it is.
    """
    draft.edge(
        supplier,
        consumer,
        amount,
        unit=unit,
        uncertainty=span(low, high),
        transparency="missing",
        note=why,
    )


def bounded_estimate(
    draft: GraphDraft,
    table: pd.DataFrame,
    product: str,
    material: str,
    target: str,
) -> None:
    """An edge ``material -> target``, kg, where ``data/material_content.csv`` has no
    figure for ``product`` and ``material`` but bounds (``low``, ``high``, grams, drawn
    from what a source says): their midpoint stands in, drawn uniform between them (so
    the draws' mean is the figure, and a total lies inside its own P5-P95), marked as
    the row is (``estimated``).

    Raises
    ------
    ReferenceRowError
        If the row has a figure (use :func:`material_content`) or no bounds.

    >>> table = pd.DataFrame({"product": ["gpu"], "material": ["tin"], "grams_per_unit": [None],
    ...     "low": [6.0], "high": [74.0], "unit": ["item"], "transparency": ["estimated"],
    ...     "source": ["paper"], "note": ["bounds only"]})
    >>> draft = GraphDraft()
    >>> bounded_estimate(draft, table, "gpu", "tin", "card")
    >>> draft.edges[0]["amount"], draft.edges[0]["transparency"]
    (0.04, 'estimated')
    """
    found = one_row(table, "material_content.csv", product=product, material=material)
    if _finite(found["grams_per_unit"]) or not _finite(found["low"], found["high"]):
        raise ReferenceRowError(
            f"material_content.csv {product}/{material}: a bounded estimate needs low and"
            " high and no figure"
        )
    to_kg = conversion_factor("kg", "g")
    low, high = float(found["low"]) / to_kg, float(found["high"]) / to_kg
    draft.edge(
        material,
        target,
        (low + high) / 2,
        unit="kg",
        uncertainty=span(low, high, "uniform"),  # mean = the midpoint, the figure
        transparency=found["transparency"],
        source_ref=citation(found["source"]),
        note=f"data/material_content.csv {product}/{material}: no figure, the midpoint of"
        f" {found['low']:g}-{found['high']:g} g. {found['note']}",
    )


def material_footprint(
    draft: GraphDraft, metals: pd.DataFrame, proxies: Mapping[str, str] | None = None
) -> dict[str, dict[str, float]]:
    """Cradle-to-gate gwp and energy of the materials each component or device contains,
    per unit of it (kg CO2e, MJ), from ``metals`` (the columns of
    ``data/metal_impacts.csv``, per kg).

    Follows component -> component edges (a board or magnet inside a part) into parts
    that have no direct impacts of their own, so the materials of a part count for the
    whole. ``proxies`` maps a material without figures to one that stands in. A supplier
    that is not yet a node is taken to be a material (the mining layer comes later).
    """
    factors = metals.set_index("material")
    proxies = proxies or {}
    kinds = {n["id"]: n["kind"] for n in draft.nodes}
    with_impacts = {i["node"] for i in draft.impacts}

    def per_kg(material: str, category: str) -> float:
        return float(factors.loc[proxies.get(material, material), category])

    def footprint(node: str) -> dict[str, float]:
        total = {"gwp": 0.0, "energy": 0.0}
        for e in draft.edges:
            if e["target"] != node:
                continue
            kind = kinds.get(e["source"], "material")
            for category in total:
                if kind == "material":
                    kg = e["amount"] * conversion_factor(e.get("unit") or "kg", "kg")
                    total[category] += kg * per_kg(e["source"], category)
                elif kind == "component" and e["source"] not in with_impacts:
                    total[category] += e["amount"] * footprint(e["source"])[category]
        return total

    return {
        n["id"]: footprint(n["id"]) for n in draft.nodes if n["kind"] in ("component", "device")
    }


def subtract_materials(
    draft: GraphDraft, metals: pd.DataFrame, proxies: Mapping[str, str] | None = None
) -> None:
    """Take the contained materials' cradle-to-gate share out of the direct gwp and energy
    of components and devices.

    Component factors (Boavizta's) already include the extraction and refining of their
    materials; the graph carries those through the mines instead, so that the part's own
    figure is what remains and its total stays the factor's. Changed impacts become
    ``estimated`` and their note gives the subtraction.

    Raises
    ------
    ReferenceRowError
        If the materials would exceed a part's whole figure.
    """
    footprints = material_footprint(draft, metals, proxies)
    for impact in draft.impacts:
        share = footprints.get(impact["node"], {}).get(impact["category"], 0.0)
        if share == 0:
            continue
        original = impact["value"]
        impact["value"] = original - share
        if impact["value"] <= 0:
            raise ReferenceRowError(
                f"the materials in {impact['node']} ({share:.6g}) exceed its whole"
                f" {impact['category']} figure ({original:.6g})"
            )
        impact["transparency"] = "estimated"
        impact["note"] += (
            f" Less {share:.6g} for the metals it contains, which the graph counts at the"
            f" mines (Nuss & Eckelman 2014): {original:.6g} - {share:.6g}."
        )


def with_mines(
    draft: GraphDraft, materials: list[str], proxies: Mapping[str, str] | None = None
) -> dict[str, pd.DataFrame]:
    """The draft's tables with the mining layer of ``materials`` added
    (:func:`supplychain.mixes.mine_layer`) and the cited sources resolved."""
    layer = mine_layer(materials, allow_no_prior=True, impact_proxies=dict(proxies or {}))
    own = draft.tables()
    tables = {
        name: pd.concat([own[name], layer[name]], ignore_index=True)
        for name in ("nodes", "edges", "impacts")
    }
    tables["social"] = layer["social"]
    tables["sources"] = cited_sources(tables)
    return tables


# ------------------------------------------------------------------------- energy


def grid_electricity(
    draft: GraphDraft,
    id_: str,
    zone: str,
    name: str,
    electricity: pd.DataFrame,
    gwp_from: tuple[str, str] | None = None,
    base_zone: str = "USA",
    base_source: str = "ecologits-electricity-mixes",
) -> str:
    """An electricity node (per kWh) with the four factors of ``electricity.csv``.

    The factors come from ``base_zone`` as ``base_source`` gives them; ``gwp_from``, a
    ``(zone, source)`` pair, takes the gwp from another row (a regional grid's figure)
    and marks the other three, standing in for that region, ``estimated``. Returns the id.
    """
    cited = gwp_from[1] if gwp_from is not None else base_source
    draft.node(id_, "energy", "kWh", name, country=zone[:3], transparency="published", source=cited)
    for category in ELECTRICITY_CATEGORIES:
        if category == "gwp" and gwp_from is not None:
            found = one_row(
                electricity,
                "electricity.csv",
                zone=gwp_from[0],
                quantity="gwp",
                source=gwp_from[1],
            )
            how = f"zone {gwp_from[0]}"
        else:
            found = one_row(
                electricity,
                "electricity.csv",
                zone=base_zone,
                quantity=category,
                source=base_source,
            )
            how = f"zone {base_zone}"
        proxy = gwp_from is not None and category != "gwp"
        draft.impact(
            id_,
            category,
            float(found["value"]),
            unit=found["unit"],
            transparency="estimated" if proxy else found["transparency"],
            source=found["source"],
            note=f"data/electricity.csv {how}, {category}, source {found['source']}"
            + (f" ({base_zone} average standing in for the regional grid)" if proxy else "")
            + f"; scope {found['scope']}.",
        )
    return id_


def datacentre_electricity(
    draft: GraphDraft,
    grid: str,
    id_: str,
    name: str,
    datacentres: pd.DataFrame,
    provider: str,
) -> str:
    """Electricity at the IT equipment of ``provider``'s data centres: the midpoint of its
    PUE range of ``grid`` electricity per kWh, and the midpoint of its WUE range as direct
    water (L per kWh), each with its range as uncertainty.

    ``datacentres`` has the columns of ``data/datacentres.csv``. Returns the id.
    """
    pue = one_row(datacentres, "datacentres.csv", provider=provider, quantity="pue")
    wue = one_row(datacentres, "datacentres.csv", provider=provider, quantity="wue")
    draft.node(
        id_,
        "energy",
        "kWh",
        name,
        transparency=pue["transparency"],
        source=citation(pue["source"]),
    )
    grid_per_it = rate_factor(pue["unit"], "kWh", "kWh")
    draft.edge(
        grid,
        id_,
        (pue["low"] + pue["high"]) / 2 * grid_per_it,
        unit="kWh",
        uncertainty=span(pue["low"] * grid_per_it, pue["high"] * grid_per_it)
        if pue["high"] > pue["low"]
        else "",
        transparency=pue["transparency"],
        source_ref=citation(pue["source"]),
        note=f"Power usage effectiveness: the midpoint of the range data/datacentres.csv gives"
        f" for {provider} ({pue['location']}): PUE {pue['low']:g}-{pue['high']:g}.",
    )
    draft.impact(
        id_,
        "water",
        (wue["low"] + wue["high"]) / 2,
        unit=wue["unit"],
        uncertainty=span(wue["low"], wue["high"]) if wue["high"] > wue["low"] else "",
        transparency=wue["transparency"],
        source=citation(wue["source"]),
        note=f"On-site water (cooling) per kWh of IT energy: the midpoint of the WUE range"
        f" data/datacentres.csv gives for {provider} ({wue['location']}):"
        f" {wue['low']:g}-{wue['high']:g} {wue['unit']}.",
    )
    return id_


# ------------------------------------------------------------------------- services


@dataclass(frozen=True)
class EdgeFigure:
    """An edge's amount with its uncertainty text, transparency, source and note."""

    amount: float
    uncertainty: str
    transparency: str
    source: str
    note: str


def measured_service_energy(
    runs: pd.DataFrame,
    by_task: pd.DataFrame,
    zero_shot: pd.DataFrame,
    task: str,
    kind: str,
) -> EdgeFigure:
    """Electricity of one measured service, kWh per 1,000 queries, on the published basis
    of *Power Hungry Processing* (the columns of ``data/inference_energy_*.csv``;
    ``by_task`` indexed by ``task_id``, ``zero_shot`` by ``model``).

    Task-specific services take Table 2's mean. Multi-purpose ones have no per-task figure
    in the paper: each model's log figure for the task is scaled by that model's Table 3 /
    logs ratio, then averaged over the models. The uncertainty is one of the models, each
    on the same basis, so the draws' mean is the amount.

    Raises
    ------
    ReferenceRowError
        If a multi-purpose model has no Table 3 row, or the task no runs of ``kind``.
    """
    models = runs[(runs["task_id"] == task) & (runs["model_type"] == kind)]
    if models.empty:
        raise ReferenceRowError(f"inference_energy_by_model.csv: no {kind} runs of {task!r}")
    if kind == "task-specific":
        mean = float(by_task.loc[task, "mean_kwh_per_1000_queries"])
        logged = models["mean_kwh_per_1000_queries"]
        scaled = logged * mean / logged.mean()
        note = (
            f"data/inference_energy_by_task.csv: Table 2's mean over the task-specific models,"
            f" {mean:g} kWh (CodeCarbon GPU + CPU + RAM of the node, pue 1); uncertainty = one"
            f" of the {len(models)} models, each from the logs scaled to that mean."
        )
        return EdgeFigure(mean, one_of(scaled), "published", "luccioni-2024-table2", note)
    all_tasks = runs[runs["model"].isin(models["model"]) & (runs["model_type"] == kind)]
    log_average = all_tasks.groupby("model")["mean_kwh_per_1000_queries"].mean()
    ratio = zero_shot["mean_kwh_per_1000_queries"].reindex(log_average.index) / log_average
    if ratio.isna().any():
        raise ReferenceRowError(
            f"inference_energy_zero_shot.csv: no row for {list(ratio.index[ratio.isna()])}"
        )
    scaled = models.set_index("model")["mean_kwh_per_1000_queries"] * ratio
    if len(scaled) == 1:
        sd = float(models["sd_kwh_per_1000_queries"].iloc[0] * ratio.iloc[0])
        note = (
            f"data/inference_energy_by_model.csv: {scaled.index[0]}'s log mean for the task x"
            f" data/inference_energy_zero_shot.csv (Table 3 / its log mean over its three"
            f" tasks, {ratio.iloc[0]:.2f}); the paper gives no per-task figure. Uncertainty:"
            f" the sd of its {int(models['n_runs'].iloc[0])} runs, so scaled."
        )
        source = "luccioni-2024-codecarbon-logs;luccioni-2024-table3"
        return EdgeFigure(float(scaled.iloc[0]), f"normal(sd={sd:.6g})", "estimated", source, note)
    note = (
        "data/inference_energy_by_model.csv (the task's log mean of each model) x"
        " data/inference_energy_zero_shot.csv (Table 3 / the model's log mean over its three"
        f" tasks, {ratio.min():.2f}-{ratio.max():.2f}), averaged over the {len(scaled)} models;"
        " the paper gives no per-task figure. Uncertainty = one of the models, so scaled."
    )
    source = "luccioni-2024-codecarbon-logs;luccioni-2024-table3"
    return EdgeFigure(float(scaled.mean()), one_of(scaled), "estimated", source, note)


def training_energy_run(
    draft: GraphDraft, training: pd.DataFrame, run: str, electricity: str
) -> str:
    """A training run published as energy alone (``data/training_energy.csv``) as a node
    (unit ``item``: one run) drawing the electricity of all its stages from
    ``electricity``, kWh. Returns its id, ``training-<run>``.

    No hardware hours are published for such a run, so it carries no share of its
    cluster's embodied impacts: its note says so.

    Raises
    ------
    ReferenceRowError
        If ``training`` has no row of ``run``.
    """
    stages = training[training["training"] == run]
    if stages.empty:
        raise ReferenceRowError(f"training_energy.csv: no row of training {run!r}")
    node = f"training-{run}"
    sources = ";".join(dict.fromkeys(";".join(stages["source"]).split(";")))
    kwh = float(stages["energy_kwh"].sum())
    parts = ", ".join(f"{r.stage} {r.energy_kwh:g}" for r in stages.itertuples())
    draft.node(
        node,
        "service",
        "item",
        f"Training run {run} ({', '.join(stages['stage'])})",
        country=str(stages["country"].iloc[0]),
        transparency=str(stages["transparency"].iloc[0]),
        source=sources,
        note=f"data/training_energy.csv {run}: {parts} kWh. Energy only: no GPU hours are"
        " published, so the cluster's embodied share is not carried (missing).",
    )
    draft.edge(
        electricity,
        node,
        kwh,
        unit="kWh",
        transparency=str(stages["transparency"].iloc[0]),
        source_ref=sources,
        note=f"{parts} kWh (data/training_energy.csv), as published: whether the data"
        " centre's overhead (PUE) is in it is not said, and none is added.",
    )
    return node


def measured_services(
    draft: GraphDraft,
    electricity: str,
    device_hour: str,
    runs: pd.DataFrame,
    by_task: pd.DataFrame,
    zero_shot: pd.DataFrame,
    model: tuple[str, str] | None = None,
) -> list[str]:
    """One service node per task and model type of the measured ``runs``, per 1,000
    queries: electricity (:func:`measured_service_energy`) and hours of the whole device
    (the runs' mean duration, converted from seconds through :mod:`supplychain.units`).

    ``model``, an ``(id suffix, name)`` pair, names services of one model alone (``runs``
    then holds only its rows): ``text-classification-bloomz-7b1``, say, beside the means.

    Returns the services' ids.
    """
    seconds_per_hour = conversion_factor("hour", "s")
    made = []
    for (task, kind), models in runs.groupby(["task_id", "model_type"], sort=True):
        label = by_task.loc[task, "task"]
        if model is None:
            service = task.replace("_", "-") + ("-multi-purpose" if kind == "multi-purpose" else "")
            name = f"{label[0].upper()}{label[1:]}, {kind} models (1,000 queries)"
            what = f"Mean over the {len(models)} {kind} models measured"
        else:
            service = f"{task.replace('_', '-')}-{model[0]}"
            name = f"{label[0].upper()}{label[1:]}, {model[1]} ({kind}, 1,000 queries)"
            what = f"{model[1]} alone, as measured"
        draft.node(
            service,
            "service",
            "1000 queries",
            name,
            country="USA",
            transparency="published",
            source="luccioni-2024-codecarbon-logs",
            note=f"{what} by Luccioni, Jernite & Strubell ({', '.join(models['model'])}); each"
            " ran 1,000 queries one at a time on an 8 x A100-SXM4-80GB node in AWS us-west-2.",
        )
        energy = measured_service_energy(runs, by_task, zero_shot, task, kind)
        draft.edge(
            electricity,
            service,
            energy.amount,
            unit="kWh",
            uncertainty=energy.uncertainty,
            transparency=energy.transparency,
            source_ref=energy.source,
            note=energy.note,
        )
        hours = models["mean_duration_s_per_1000_queries"] / seconds_per_hour
        draft.edge(
            device_hour,
            service,
            float(hours.mean()),
            unit="hour",
            # one model: no spread of durations is logged, so the default for its level
            uncertainty=one_of(hours) if len(hours) > 1 else "",
            transparency="published",
            source_ref="luccioni-2024-codecarbon-logs",
            note="data/inference_energy_by_model.csv: mean run duration of 1,000 queries, in"
            " hours of the whole 8-GPU node: each run used one GPU, and the measured energy"
            " includes the idle power of the other seven (paper, footnote 3), so the node is"
            " allocated whole, energy and embodied share alike.",
        )
        made.append(service)
    return made
