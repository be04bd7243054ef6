"""Write the shipped graphs ``ai-inference`` and ``smart-speaker`` from ``data/``, and the pages.

Every figure of the two graphs is read here from a row of ``data/`` (its note names the
row), or derived from such rows (the note gives the arithmetic), or is a placeholder
marked ``missing`` with a wide range. The mining layer (country mines, unknown origins,
their impacts and labour listings) comes from :func:`supplychain.mixes.mine_layer`.

Run from a source checkout::

    python graphs/build_shipped.py          # rewrite both graphs' tables and viz/*.html
    python graphs/build_shipped.py --check  # exit 1 if a table or page differs

``viz/`` holds the interactive page of every shipped graph (``supplychain viz``), the
example graph's included, and the chart of the services of ``ai-inference`` with their
P5-P95 (``supplychain uncertainty ai-inference --chart FILE``). The READMEs beside the
graphs are written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from supplychain.chart import bar_chart
from supplychain.io import load, save_csv
from supplychain.mixes import cited_sources, mine_layer
from supplychain.model import from_tables
from supplychain.reference import read_table
from supplychain.render import page_data, render_page
from supplychain.shipped import shipped_graph_names
from supplychain.uncertainty import (
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    monte_carlo,
    uncertainty_summary,
)

GRAPHS = Path(__file__).resolve().parent
VIZ = GRAPHS.parent / "viz"

RARE_EARTH_PROXY = "neodymium"
"""Nuss & Eckelman give no aggregate rare-earth figure: neodymium oxide stands in."""

PLACEHOLDER = "range(min=0.01, max=10)"
"""Spread of a 1 g placeholder amount, in g: three orders of magnitude."""

HOURS_PER_YEAR = 8760.0


# ------------------------------------------------------------------------- reading data


def row(table: pd.DataFrame, **match: object) -> pd.Series:
    """The one row of ``table`` whose columns equal ``match``."""
    mask = np.ones(len(table), dtype=bool)
    for column, value in match.items():
        mask &= (table[column] == value).to_numpy()
    found = table[mask]
    if len(found) != 1:
        raise LookupError(f"expected one row with {match}, found {len(found)}")
    return found.iloc[0]


def first_source(text: str) -> str:
    """The first id of a ``;``-separated citation."""
    return text.split(";")[0].strip()


def citation(text: str) -> str:
    """A citation with its ids separated by ``;`` and no spaces."""
    return ";".join(part.strip() for part in text.split(";") if part.strip())


def span(low: float, high: float) -> str:
    """An uncertainty text ``range(min=..., max=...)``."""
    return f"range(min={low:.6g}, max={high:.6g})"


def one_of(values: pd.Series) -> str:
    """An uncertainty text ``choice(...)``: one of the measured values, each as likely."""
    return f"choice({', '.join(f'{v:.6g}' for v in values)})"


# ------------------------------------------------------------------------- the builder


@dataclass
class Graph:
    """Rows of a graph under construction (dicts in the columns of the graph format)."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    impacts: list[dict] = field(default_factory=list)

    def node(self, id_: str, kind: str, unit: str, name: str, **extra: str) -> str:
        self.nodes.append({"id": id_, "kind": kind, "unit": unit, "name": name, **extra})
        return id_

    def edge(self, source: str, target: str, amount: float, **extra: object) -> None:
        self.edges.append({"source": source, "target": target, "amount": amount, **extra})

    def impact(self, node: str, category: str, value: float, **extra: object) -> None:
        self.impacts.append({"node": node, "category": category, "value": value, **extra})


def hardware_impacts(
    graph: Graph, node: str, item: str, hardware: pd.DataFrame, scale: float = 1.0, how: str = ""
) -> None:
    """Direct gwp, energy and adp of ``node`` from the ``hardware`` rows of ``item``."""
    for category in ("gwp", "energy", "adp"):
        found = row(hardware, item=item, quantity=category)
        graph.impact(
            node,
            category,
            float(found["value"]) * scale,
            unit=found["unit_of_value"],
            transparency=found["transparency"],
            source=found["source"],
            note=f"data/hardware.csv item {item}, {category}"
            + (f"; {how}" if how else "")
            + ". Modelled with Boavizta factors, not measured.",
        )


def material_footprint(graph: Graph, metals: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Cradle-to-gate gwp and energy of the materials each component contains, per unit.

    Follows component -> component links (a board or magnet inside a component), so the
    materials of a part count for the whole.
    """
    factors = metals.set_index("material")
    kinds = {n["id"]: n["kind"] for n in graph.nodes}

    def per_kg(material: str, category: str) -> float:
        name = RARE_EARTH_PROXY if material == "rare-earths" else material
        return float(factors.loc[name, category])

    def footprint(node: str) -> dict[str, float]:
        total = {"gwp": 0.0, "energy": 0.0}
        for e in graph.edges:
            if e["target"] != node:
                continue
            kind = kinds.get(e["source"], "material")  # materials come later, with the mines
            kg = e["amount"] * (0.001 if e.get("unit") == "g" else 1.0)
            for category in total:
                if kind == "material":
                    total[category] += kg * per_kg(e["source"], category)
                elif kind == "component" and not any(
                    i["node"] == e["source"] for i in graph.impacts
                ):
                    total[category] += e["amount"] * footprint(e["source"])[category]
        return total

    return {
        n["id"]: footprint(n["id"]) for n in graph.nodes if n["kind"] in ("component", "device")
    }


def subtract_materials(graph: Graph, metals: pd.DataFrame) -> None:
    """Take the contained materials' cradle-to-gate share out of components' direct gwp/energy.

    Boavizta's component factors already include the extraction and refining of their
    materials; the graph carries those through the mines instead, so that the component's
    own figure is what remains (its total stays Boavizta's).
    """
    footprints = material_footprint(graph, metals)
    for impact in graph.impacts:
        share = footprints.get(impact["node"], {}).get(impact["category"], 0.0)
        if share == 0:
            continue
        original = impact["value"]
        impact["value"] = original - share
        if impact["value"] <= 0:
            raise ValueError(f"materials exceed the figure of {impact['node']}")
        impact["transparency"] = "estimated"
        impact["note"] += (
            f" Less {share:.6g} for the metals it contains, which the graph counts at the"
            f" mines (Nuss & Eckelman 2014): {original:.6g} - {share:.6g}."
        )


def placeholder(graph: Graph, material: str, component: str, why: str) -> None:
    """A 1 g placeholder of ``material`` in ``component``: no figure exists."""
    graph.edge(
        material,
        component,
        1.0,
        unit="g",
        uncertainty=PLACEHOLDER,
        transparency="missing",
        note=f"Placeholder: no figure found for {material} in this part ({why}). 1 g stands"
        " in, between 0.01 g and 10 g; the audit should rank it as a gap.",
    )


def content(
    graph: Graph, table: pd.DataFrame, product: str, material: str, target: str, how: str = ""
) -> None:
    """An edge ``material -> target`` from ``data/material_content.csv``."""
    found = row(table, product=product, material=material)
    grams = float(found["grams_per_unit"])
    spread = (
        span(found["low"] / 1000, found["high"] / 1000)
        if np.isfinite(found["low"]) and np.isfinite(found["high"])
        else ""
    )
    graph.edge(
        material,
        target,
        grams / 1000,
        unit="kg",
        uncertainty=spread,
        transparency="estimated" if how else found["transparency"],
        source_ref=citation(found["source"]),
        note=f"data/material_content.csv {product}/{material}: {grams:.6g} g per"
        f" {found['unit']}" + (f"; {how}" if how else "") + ".",
    )


def with_mines(graph: Graph, materials: list[str]) -> dict[str, pd.DataFrame]:
    """The graph's tables with the mining layer of ``materials`` added, sources resolved."""
    layer = mine_layer(
        materials, allow_no_prior=True, impact_proxies={"rare-earths": RARE_EARTH_PROXY}
    )
    tables = {
        "nodes": pd.concat([pd.DataFrame(graph.nodes), layer["nodes"]], ignore_index=True),
        "edges": pd.concat([pd.DataFrame(graph.edges), layer["edges"]], ignore_index=True),
        "impacts": pd.concat([pd.DataFrame(graph.impacts), layer["impacts"]], ignore_index=True),
        "social": layer["social"],
    }
    tables["sources"] = cited_sources(tables)
    return tables


# ------------------------------------------------------------------------- energy


def grid_electricity(graph: Graph, id_: str, zone: str, name: str, gwp_from: tuple | None) -> str:
    """An electricity node with EcoLogits's four factors for ``zone`` (gwp maybe elsewhere)."""
    electricity = read_table("electricity")
    cited = gwp_from[1] if gwp_from is not None else "ecologits-electricity-mixes"
    graph.node(id_, "energy", "kWh", name, country=zone[:3], transparency="published", source=cited)
    for category in ("gwp", "energy", "water", "adp"):
        if category == "gwp" and gwp_from is not None:
            found = row(electricity, zone=gwp_from[0], quantity="gwp", source=gwp_from[1])
            how = f"zone {gwp_from[0]}"
        else:
            found = row(
                electricity, zone="USA", quantity=category, source="ecologits-electricity-mixes"
            )
            how = "zone USA"
        proxy = gwp_from is not None and category != "gwp"
        graph.impact(
            id_,
            category,
            float(found["value"]),
            unit=found["unit"],
            transparency="estimated" if proxy else found["transparency"],
            source=found["source"],
            note=f"data/electricity.csv {how}, {category}, source {found['source']}"
            + (" (US average standing in for the regional grid)" if proxy else "")
            + f"; scope {found['scope']}.",
        )
    return id_


def datacentre_electricity(graph: Graph, grid: str, id_: str, name: str) -> str:
    """Electricity at the IT equipment: grid electricity times PUE, plus on-site water."""
    graph.node(
        id_,
        "energy",
        "kWh",
        name,
        transparency="estimated",
        source="ecologits-provider-datacentres",
    )
    pue_low, pue_high, wue_low, wue_high = 1.09, 1.14, 0.13, 0.99  # EcoLogits huggingface_hub
    graph.edge(
        grid,
        id_,
        (pue_low + pue_high) / 2,
        unit="kWh",
        uncertainty=span(pue_low, pue_high),
        transparency="estimated",
        source_ref="ecologits-provider-datacentres",
        note="Power usage effectiveness: the midpoint of EcoLogits's assumption for US"
        f" hyperscale data centres (huggingface_hub: PUE {pue_low}-{pue_high}); the logs"
        " measured IT energy only (PUE 1.0).",
    )
    graph.impact(
        id_,
        "water",
        (wue_low + wue_high) / 2,
        unit="L/kWh",
        uncertainty=span(wue_low, wue_high),
        transparency="estimated",
        source="ecologits-provider-datacentres",
        note=f"On-site water (cooling) per kWh of IT energy: midpoint of EcoLogits's WUE"
        f" assumption {wue_low}-{wue_high} L/kWh for huggingface_hub (USA).",
    )
    return id_


# ------------------------------------------------------------------------- ai-inference


def service_energy(
    runs: pd.DataFrame, by_task: pd.DataFrame, zero_shot: pd.DataFrame, task: str, kind: str
) -> tuple[float, str, str, str, str]:
    """Electricity of one service, kWh per 1,000 queries, on the paper's published basis.

    Returns the amount, its uncertainty text, transparency, source and note. Task-specific
    services take Table 2's mean. Multi-purpose ones have no per-task figure in the paper: each
    model's log figure for the task is scaled by that model's Table 3 / logs ratio (the logs run
    1.1-2.2x above Table 3, and 0.9-2.4x of Table 2), then averaged over the models. The
    uncertainty is one of the models, each on the same basis: the draws' mean is the amount.
    """
    models = runs[(runs["task_id"] == task) & (runs["model_type"] == kind)]
    if kind == "task-specific":
        mean = float(by_task.loc[task, "mean_kwh_per_1000_queries"])
        logged = models["mean_kwh_per_1000_queries"]
        scaled = logged * mean / logged.mean()
        note = (
            f"data/inference_energy_by_task.csv: Table 2's mean over the task-specific models,"
            f" {mean:g} kWh (CodeCarbon GPU + CPU + RAM of the node, pue 1); uncertainty = one"
            f" of the {len(models)} models, each from the logs scaled to that mean."
        )
        return mean, one_of(scaled), "published", "luccioni-2024-table2", note
    all_tasks = runs[runs["model"].isin(models["model"]) & (runs["model_type"] == kind)]
    log_average = all_tasks.groupby("model")["mean_kwh_per_1000_queries"].mean()
    ratio = zero_shot["mean_kwh_per_1000_queries"].reindex(log_average.index) / log_average
    if ratio.isna().any():
        raise LookupError(f"no Table 3 row for {list(ratio.index[ratio.isna()])}")
    scaled = models.set_index("model")["mean_kwh_per_1000_queries"] * ratio
    note = (
        "data/inference_energy_by_model.csv (the task's log mean of each model) x"
        " data/inference_energy_zero_shot.csv (Table 3 / the model's log mean over its three"
        f" tasks, {ratio.min():.2f}-{ratio.max():.2f}), averaged over the {len(scaled)} models;"
        " the paper gives no per-task figure. Uncertainty = one of the models, so scaled."
    )
    source = "luccioni-2024-codecarbon-logs;luccioni-2024-table3"
    return float(scaled.mean()), one_of(scaled), "estimated", source, note


def inference_services(graph: Graph, electricity: str, server_hour: str) -> None:
    """One service per task and model type of Power Hungry Processing, per 1,000 queries."""
    runs = read_table("inference_energy_by_model")
    by_task = read_table("inference_energy_by_task").set_index("task_id")
    zero_shot = read_table("inference_energy_zero_shot").set_index("model")
    paper_models = runs["model"].str.startswith(("google/flan-t5", "bigscience/bloomz"))
    runs = runs[(runs["model_type"] == "task-specific") | paper_models]
    for (task, kind), models in runs.groupby(["task_id", "model_type"], sort=True):
        service = task.replace("_", "-") + ("-multi-purpose" if kind == "multi-purpose" else "")
        label = by_task.loc[task, "task"]
        graph.node(
            service,
            "service",
            "1000 queries",
            f"{label[0].upper()}{label[1:]}, {kind} models (1,000 queries)",
            country="USA",
            transparency="published",
            source="luccioni-2024-codecarbon-logs",
            note=f"Mean over the {len(models)} {kind} models measured by Luccioni, Jernite &"
            f" Strubell ({', '.join(models['model'])}); each ran 1,000 queries one at a time"
            " on an 8 x A100-SXM4-80GB node in AWS us-west-2.",
        )
        kwh, spread, transparency, source, note = service_energy(
            runs, by_task, zero_shot, task, kind
        )
        graph.edge(
            electricity,
            service,
            kwh,
            unit="kWh",
            uncertainty=spread,
            transparency=transparency,
            source_ref=source,
            note=note,
        )
        hours = models["mean_duration_s_per_1000_queries"] / 3600
        graph.edge(
            server_hour,
            service,
            float(hours.mean()),
            unit="hour",
            uncertainty=one_of(hours),
            transparency="published",
            source_ref="luccioni-2024-codecarbon-logs",
            note="data/inference_energy_by_model.csv: mean run duration of 1,000 queries, in"
            " hours of the whole 8-GPU node: each run used one GPU, and the measured energy"
            " includes the idle power of the other seven (paper, footnote 3), so the node is"
            " allocated whole, energy and embodied share alike.",
        )


def inference_server(graph: Graph) -> tuple[str, str]:
    """The measured server (p4de.24xlarge: 8 x A100 80GB) and an hour of its life."""
    hardware = read_table("hardware")
    server = graph.node(
        "server-p4de-24xlarge",
        "device",
        "item",
        "Inference server, AWS p4de.24xlarge class (8 x A100-SXM4-80GB, 2 x Xeon 8275CL)",
        country="USA",
        transparency="estimated",
        source="boavizta-factors",
        note="The hardware of the Power Hungry Processing measurements as Boavizta's"
        " archetype describes it; embodied impacts are modelled, not disclosed by AWS or"
        " NVIDIA.",
    )
    hardware_impacts(graph, server, "server-assembly", hardware, how="assembly of the server")
    hour = graph.node(
        "server-p4de-24xlarge-hour",
        "device",
        "hour",
        "One hour of the inference server's life (its embodied share)",
        transparency="estimated",
        source="ecologits-llm-constants",
        note="Amortises the server's embodied impacts over its lifetime hours.",
    )
    short, long_ = 3 * HOURS_PER_YEAR, 6 * HOURS_PER_YEAR
    graph.edge(
        server,
        hour,
        1 / short,
        unit="item",
        uncertainty=span(1 / long_, 1 / short),
        transparency="estimated",
        source_ref="ecologits-llm-constants;boavizta-factors",
        note=f"1 / {short:.0f} hours: EcoLogits's 3-year HARDWARE_LIFESPAN; the range runs to"
        " Boavizta's 6 years for cloud servers (data/hardware.csv lifetime_years).",
    )
    parts = [
        ("gpu-a100-sxm4-80gb", "NVIDIA A100 SXM4 80GB GPU", "item", 8.0, "gpu-a100-sxm4-80gb", ""),
        (
            "cpu-xeon-platinum-8275cl",
            "Intel Xeon Platinum 8275CL CPU",
            "item",
            2.0,
            "cpu-xeon-platinum-8275cl",
            "",
        ),
        ("dram", "Server DRAM (per GB)", "GB", 1152.0, "ram-p4d-24xlarge-per-gb", ""),
        ("motherboard", "Server motherboard", "item", 1.0, "motherboard", ""),
        ("server-chassis", "Rack server chassis with fans", "item", 1.0, "server-case-rack", ""),
    ]
    counts = {
        "gpu-a100-sxm4-80gb": "8 GPUs (CodeCarbon logs: '8 x NVIDIA A100-SXM4-80GB')",
        "cpu-xeon-platinum-8275cl": "2 CPUs (Boavizta archetype p4de.24xlarge)",
        "dram": "36 x 32 GB = 1152 GB (Boavizta archetype p4de.24xlarge, 'not verified')",
        "motherboard": "one per server",
        "server-chassis": "one rack case per server",
    }
    for id_, name, unit, amount, item, how in parts:
        graph.node(
            id_, "component", unit, name, transparency="estimated", source="boavizta-factors"
        )
        hardware_impacts(graph, id_, item, hardware, how=how)
        graph.edge(
            id_,
            server,
            amount,
            unit=unit,
            transparency="estimated",
            source_ref="boavizta-archetypes"
            if id_ != "gpu-a100-sxm4-80gb"
            else "luccioni-2024-codecarbon-logs",
            note=counts[id_] + ".",
        )
    graph.node(
        "nvme-ssd-1tb",
        "component",
        "item",
        "NVMe SSD, 1000 GB",
        transparency="estimated",
        source="boavizta-factors",
    )
    for category in ("gwp", "energy", "adp"):
        total = float(row(hardware, item="ssd-p4d-24xlarge-8000gb", quantity=category)["value"])
        base = float(row(hardware, item="ssd-base-per-drive", quantity=category)["value"])
        graph.impact(
            "nvme-ssd-1tb",
            category,
            (total - base) / 8 + base,
            unit=row(hardware, item="ssd-base-per-drive", quantity=category)["unit_of_value"],
            transparency="estimated",
            source="boavizta-factors",
            note=f"data/hardware.csv: (ssd-p4d-24xlarge-8000gb {total:g} - one drive base"
            f" {base:g}) / 8 + one drive base: a 1000 GB share of the flash plus its own"
            " base. Modelled with Boavizta factors, not measured.",
        )
    graph.edge(
        "nvme-ssd-1tb",
        server,
        8.0,
        unit="item",
        transparency="estimated",
        source_ref="boavizta-archetypes",
        note="8 x 1000 GB (Boavizta archetype p4de.24xlarge).",
    )
    graph.node(
        "power-supply",
        "component",
        "kg",
        "Server power supply (per kg)",
        transparency="estimated",
        source="boavizta-factors",
    )
    hardware_impacts(graph, "power-supply", "power-supply-per-kg", hardware)
    graph.edge(
        "power-supply",
        server,
        2 * 2.99,
        unit="kg",
        uncertainty=span(2 * 1.0, 2 * 5.0),
        transparency="estimated",
        source_ref="boavizta-archetypes",
        note="2 supplies x 2.99 kg (Boavizta archetype: units 2, unit weight 2.99 kg, range"
        " 1-5 kg).",
    )
    return server, hour


def inference_materials(graph: Graph) -> list[str]:
    """Metals inside the server's parts; returns the materials used."""
    contents = read_table("material_content")
    via_press = (
        "the ICP-OES analysis of an A100 by Falk et al. as quoted in the press; the study's"
        " own table was not reachable, so the figure is marked estimated"
    )
    content(graph, contents, "gpu-a100", "copper", "gpu-a100-sxm4-80gb", via_press)
    content(graph, contents, "gpu-a100", "gold", "gpu-a100-sxm4-80gb", via_press)
    for material in ("tantalum", "tin", "tungsten", "cobalt"):
        placeholder(
            graph,
            material,
            "gpu-a100-sxm4-80gb",
            "Falk et al. measured it, the figure was not reachable",
        )
    circuit_board(
        graph,
        contents,
        note="Metal content per kg of waste PCBs (median of the reports compiled in the"
        " review); not specific to servers.",
    )
    graph.edge(
        "printed-circuit-board",
        "motherboard",
        1.0,
        unit="kg",
        uncertainty=span(0.3, 3.0),
        transparency="missing",
        note="Placeholder: no mass of a server motherboard was found (data/material_content.csv"
        " server-motherboard rows are missing); 1 kg stands in, between 0.3 and 3 kg.",
    )
    magnet(graph, contents)
    graph.edge(
        "ndfeb-magnet",
        "server-chassis",
        0.01,
        unit="kg",
        uncertainty=span(0.001, 0.1),
        transparency="missing",
        note="Placeholder: fans use NdFeB magnets but no magnet mass per server was found"
        " (data/material_content.csv server-fan rows are missing); 10 g stands in, 1-100 g.",
    )
    return [
        "copper",
        "gold",
        "silver",
        "palladium",
        "tin",
        "tantalum",
        "tungsten",
        "cobalt",
        "nickel",
        "aluminium",
        "rare-earths",
    ]


BOARD_METALS = ("copper", "tin", "gold", "silver", "palladium", "nickel", "aluminium")
"""Metals with a published content per kg of circuit board (data/material_content.csv)."""


def circuit_board(graph: Graph, contents: pd.DataFrame, **extra: str) -> None:
    """A populated circuit board (per kg), its published metals and a tantalum placeholder."""
    graph.node(
        "printed-circuit-board",
        "component",
        "kg",
        "Printed circuit board, populated (per kg; mixed e-waste composition)",
        transparency="published",
        source="mc-hindawi-2022-pcb-review",
        **extra,
    )
    for material in BOARD_METALS:
        content(graph, contents, "printed-circuit-board", material, "printed-circuit-board")
    placeholder(graph, "tantalum", "printed-circuit-board", "no per-kg figure for boards")


def magnet(graph: Graph, contents: pd.DataFrame) -> None:
    """An NdFeB magnet (per kg) and its rare earths."""
    graph.node(
        "ndfeb-magnet",
        "component",
        "kg",
        "NdFeB permanent magnet (per kg)",
        transparency="estimated",
        source="mc-courage-ndfeb-composition",
        note="Rare-earth content of sintered NdFeB magnets.",
    )
    grams = {
        m: float(row(contents, product="ndfeb-magnet-per-kg", material=m)["grams_per_unit"])
        for m in ("neodymium", "praseodymium", "dysprosium")
    }
    low = sum(row(contents, product="ndfeb-magnet-per-kg", material=m)["low"] for m in grams)
    high = sum(row(contents, product="ndfeb-magnet-per-kg", material=m)["high"] for m in grams)
    graph.edge(
        "rare-earths",
        "ndfeb-magnet",
        sum(grams.values()) / 1000,
        unit="kg",
        uncertainty=span(low / 1000, high / 1000),
        transparency="estimated",
        source_ref="mc-courage-ndfeb-composition;mc-reegain-hdd-ndfeb",
        note="data/material_content.csv ndfeb-magnet-per-kg: neodymium "
        + ", ".join(f"{m} {g:g}" for m, g in grams.items())
        + " g/kg, summed as rare earths (the production table has rare earths only as a"
        " whole, in oxide equivalent).",
    )


def ai_inference() -> dict[str, pd.DataFrame]:
    """The tables of the ``ai-inference`` graph."""
    graph = Graph()
    grid = grid_electricity(
        graph,
        "electricity-us-oregon",
        "USA-OR",
        "Electricity, AWS us-west-2 region (Oregon) grid",
        gwp_from=("USA-OR", "luccioni-2024-setup"),
    )
    datacentre = datacentre_electricity(
        graph,
        grid,
        "electricity-datacentre-oregon",
        "Electricity at the servers, US data centre in Oregon (incl. PUE)",
    )
    server, hour = inference_server(graph)
    inference_services(graph, datacentre, hour)
    materials = inference_materials(graph)
    subtract_materials(graph, read_table("metal_impacts"))
    return with_mines(graph, materials)


# ------------------------------------------------------------------------- smart-speaker


def smart_speaker() -> dict[str, pd.DataFrame]:
    """The tables of the ``smart-speaker`` graph."""
    voice, contents = read_table("voice_assistant"), read_table("material_content")
    graph = Graph()
    home = grid_electricity(graph, "electricity-usa", "USA", "Electricity, USA average grid", None)
    cloud_power = datacentre_electricity(
        graph,
        home,
        "electricity-datacentre-us",
        "Electricity at the servers, US data centre (incl. PUE)",
    )

    def figure(item: str, quantity: str) -> pd.Series:
        return row(voice, item=item, quantity=quantity)

    total = figure("nest-mini-2nd-gen", "gwp_total")
    use = figure("nest-mini-2nd-gen", "gwp_use_ratio")
    years = float(figure("nest-mini-2nd-gen", "lifetime")["value"])
    yearly = figure("nest-mini-2nd-gen", "yearly_electricity")
    per_day = figure("smart-speaker-usage", "queries_per_day")
    device = graph.node(
        "smart-speaker",
        "device",
        "item",
        "Smart speaker (Google Nest Mini 2nd gen footprint standing in for an Amazon Echo Dot)",
        transparency="estimated",
        source=citation(total["source"]),
        note="Amazon publishes no Echo Dot footprint that could be read here; the closest"
        " disclosed device, Google's Nest Mini (2nd gen), stands in.",
    )
    embodied = float(total["value"]) * (1 - float(use["value"]))
    graph.impact(
        device,
        "gwp",
        embodied,
        unit="kg CO2e",
        transparency="estimated",
        source=citation(total["source"]),
        note=f"data/voice_assistant.csv nest-mini-2nd-gen: total {total['value']:g} kg CO2e x"
        f" (1 - use ratio {use['value']:g}) = manufacturing, transport and end of life; the"
        " use phase is modelled as electricity instead.",
    )
    circuit_board(graph, contents)
    mass = float(figure("nest-mini-2nd-gen", "weight")["value"])
    graph.edge(
        "printed-circuit-board",
        device,
        round(mass * 0.15, 6),
        unit="kg",
        uncertainty=span(mass * 0.05, mass * 0.5),
        transparency="missing",
        note=f"Placeholder: no board mass was found for any smart speaker. 15% of the"
        f" {mass:g} kg device (data/voice_assistant.csv nest-mini-2nd-gen weight) stands in,"
        " between 5% and 50%.",
    )
    magnet(graph, contents)
    graph.edge(
        "ndfeb-magnet",
        device,
        0.005,
        unit="kg",
        uncertainty=span(0.0005, 0.02),
        transparency="missing",
        note="Placeholder: the speaker driver's magnet mass was not found (and it may be"
        " ferrite, not NdFeB); 5 g stands in, between 0.5 and 20 g.",
    )
    queries_over_life = float(per_day["value"]) * 365.25 * years
    fewest = float(per_day["low"]) * 365.25 * years
    service = graph.node(
        "voice-assistant",
        "service",
        "1000 queries",
        "Voice assistant: 1,000 spoken queries on a smart speaker",
        country="USA",
        transparency="estimated",
        source=citation(per_day["source"]),
        note="Gives the whole device and its standby power to queries: an upper bound, since"
        " speakers also play music.",
    )
    graph.edge(
        device,
        service,
        1000 / queries_over_life,
        unit="item",
        uncertainty=span(1000 / queries_over_life, 1000 / fewest),
        transparency="estimated",
        source_ref=citation(per_day["source"]) + ";" + citation(total["source"]),
        note=f"1000 / ({per_day['value']:g} queries a day x 365.25 x {years:g} years);"
        f" range down to {per_day['low']:g} queries a day (data/voice_assistant.csv).",
    )
    graph.edge(
        home,
        service,
        1000 * float(yearly["value"]) / (float(per_day["value"]) * 365.25),
        unit="kWh",
        uncertainty=span(
            1000 * float(yearly["value"]) / (float(per_day["value"]) * 365.25),
            1000 * float(yearly["value"]) / (float(per_day["low"]) * 365.25),
        ),
        transparency="estimated",
        source_ref=citation(yearly["source"]) + ";" + citation(per_day["source"]),
        note=f"The device's {yearly['value']:g} kWh a year shared over {per_day['value']:g}"
        " queries a day (mostly standby power).",
    )
    cloud = graph.node(
        "voice-assistant-cloud",
        "service",
        "1000 queries",
        "Cloud side of a voice query: speech recognition and understanding",
        transparency="estimated",
        note="No provider discloses the energy of a voice request.",
    )
    classic, llm = (
        figure("voice-query-cloud-classic", "energy"),
        figure("voice-query-cloud-llm", "energy"),
    )
    graph.edge(
        cloud_power,
        cloud,
        float(classic["value"]),
        unit="kWh",
        uncertainty=span(float(classic["low"]), float(llm["value"])),
        transparency="estimated",
        source_ref=citation(classic["source"]),
        note=f"data/voice_assistant.csv voice-query-cloud-classic: {classic['value']:g} Wh a"
        f" query (speech recognition + classification proxies); the range runs to the"
        f" LLM-based scenario, {llm['value']:g} Wh. Servers' embodied share not included.",
    )
    graph.edge(
        cloud,
        service,
        1.0,
        unit="1000 queries",
        transparency="missing",
        note="Modelling assumption, no source: every spoken query is processed in the cloud.",
    )
    subtract_materials(graph, read_table("metal_impacts"))
    return with_mines(graph, [*BOARD_METALS, "tantalum", "rare-earths"])


BUILDERS = {"ai-inference": ai_inference, "smart-speaker": smart_speaker}


def write(name: str, folder: Path) -> None:
    """Write the tables of graph ``name`` into ``folder`` (replacing its tables)."""
    chain = from_tables(name, **BUILDERS[name]())
    save_csv(chain, folder, overwrite=True)


def differences(name: str) -> list[str]:
    """Files of the shipped graph ``name`` that differ from a fresh build."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / name
        write(name, fresh)
        shipped = GRAPHS / name
        names = {p.name for p in fresh.glob("*.csv")} | {p.name for p in shipped.glob("*.csv")}
        return sorted(
            n
            for n in names
            if not (shipped / n).is_file()
            or not (fresh / n).is_file()
            or (shipped / n).read_bytes() != (fresh / n).read_bytes()
        )


def page(name: str) -> str:
    """The interactive page of the shipped graph ``name``, as ``supplychain viz`` writes it."""
    return render_page(page_data(load(GRAPHS / name)))


def services_chart() -> str:
    """The per-service GWP of ``ai-inference`` with P5-P95: the article's comparison."""
    chain = load(GRAPHS / "ai-inference")
    found = uncertainty_summary(monte_carlo(chain, DEFAULT_SAMPLES, DEFAULT_SEED))
    rows = found[(found["kind"] == "service") & (found["category"] == "gwp")]
    return bar_chart(rows, "gwp")


def outputs() -> dict[str, Callable[[], str]]:
    """Every file of ``viz/`` and how to make it."""
    made: dict[str, Callable[[], str]] = {
        f"{name}.html": (lambda name=name: page(name)) for name in shipped_graph_names()
    }
    made["ai-inference-services.svg"] = services_chart
    return made


_DECIMAL = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def comparable(text: str) -> str:
    """``text`` with every decimal number rounded to 10 significant digits: a page drawn
    with another numpy or BLAS build differs in the last bit of its Monte Carlo figures
    (a percentile of 0.007120965863714474 against ...475), which is not a stale page."""
    return _DECIMAL.sub(lambda match: f"{float(match.group()):.10g}", text)


def stale_pages() -> list[str]:
    """Files in ``viz/`` that differ from a fresh render (or are absent), beyond the last
    digits of a number."""
    return [
        name
        for name, make in outputs().items()
        if not (VIZ / name).is_file()
        or comparable((VIZ / name).read_text(encoding="utf-8")) != comparable(make())
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if stale")
    args = parser.parse_args()
    if not args.check and not (GRAPHS.parent / "pyproject.toml").is_file():
        print(
            f"build_shipped.py: {GRAPHS} is not the graphs folder of a source checkout (no"
            " pyproject.toml beside it; an installed package never rewrites its own files):"
            " run it from a clone of the repository",
            file=sys.stderr,
        )
        return 2
    if args.check:
        stale = {name: differences(name) for name in BUILDERS}
        for name, files in stale.items():
            if files:
                print(f"{name}: differs from data/ in {', '.join(files)}")
        pages = stale_pages()
        for name in pages:
            print(f"viz/{name}: differs from a fresh render")
        return 1 if any(stale.values()) or pages else 0
    for name in BUILDERS:
        write(name, GRAPHS / name)
        print(f"wrote graphs/{name}")
    VIZ.mkdir(exist_ok=True)
    for name, make in outputs().items():
        (VIZ / name).write_text(make(), encoding="utf-8")
        print(f"wrote viz/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
