"""Write the shipped graphs ``ai-inference``, ``smart-speaker``, ``llm-inference`` and pages.

This script holds only the three recipes; the pieces they are made of (parts, embodied
impacts, metals, electricity, data centres, measured services, the mining layer, LLM
requests) are the functions of :mod:`supplychain.builders` and :mod:`supplychain.llm`.
Every figure of the graphs is read from a row of ``data/`` (its note names the row), or
derived from such rows (the note gives the arithmetic), or is a placeholder marked
``missing`` whose stand-in and range the recipe states, with its reason, in the edge's note.

Run from a source checkout::

    python graphs/build_shipped.py          # rewrite the graphs' tables and viz/*.html
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
from pathlib import Path

import pandas as pd

from supplychain.builders import (
    EMBODIED_CATEGORIES,
    GraphDraft,
    add_parts,
    amortised_hour,
    bounded_estimate,
    citation,
    datacentre_electricity,
    grid_electricity,
    hardware_impacts,
    material_content,
    measured_services,
    one_row,
    placeholder,
    span,
    subtract_materials,
    training_energy_run,
    with_mines,
)
from supplychain.chart import chart_bytes
from supplychain.io import load, save_csv
from supplychain.llm import LLMRequest, llm_graph
from supplychain.reference import read_table
from supplychain.render import page_data, render_page
from supplychain.shipped import shipped_graph_names
from supplychain.tables import from_tables
from supplychain.uncertainty import (
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    monte_carlo,
    uncertainty_summary,
)
from supplychain.units import conversion_factor, rate_factor

GRAPHS = Path(__file__).resolve().parent
VIZ = GRAPHS.parent / "viz"

PROXIES = {"rare-earths": "neodymium"}
"""Nuss & Eckelman give no aggregate rare-earth figure: neodymium oxide stands in."""


def gram_placeholder(draft: GraphDraft, material: str, component: str, why: str) -> None:
    """A 1 g placeholder of ``material`` in ``component``: no figure exists."""
    placeholder(
        draft,
        material,
        component,
        1.0,
        "g",
        0.01,
        10.0,
        f"Placeholder: no figure found for {material} in this part ({why}). 1 g stands"
        " in, between 0.01 g and 10 g; the audit should rank it as a gap.",
    )


# ------------------------------------------------------------------------- ai-inference


def drive_share(hardware: pd.DataFrame, drives: int) -> Callable[[GraphDraft, str], None]:
    """The impacts of one of ``drives`` 1000 GB drives: the archetype's one 8000 GB drive
    less its per-drive base, shared over the drives, plus each drive's own base."""

    def impacts(draft: GraphDraft, part: str) -> None:
        for category in EMBODIED_CATEGORIES:
            whole = one_row(hardware, item="ssd-p4d-24xlarge-8000gb", quantity=category)
            base = one_row(hardware, item="ssd-base-per-drive", quantity=category)
            total, own = float(whole["value"]), float(base["value"])
            draft.impact(
                part,
                category,
                (total - own) / drives + own,
                unit=base["unit_of_value"],
                transparency="estimated",
                source=base["source"],
                note=f"data/hardware.csv: (ssd-p4d-24xlarge-8000gb {total:g} - one drive base"
                f" {own:g}) / {drives} + one drive base: a 1000 GB share of the flash plus its"
                " own base. Modelled with Boavizta factors, not measured.",
            )

    return impacts


def inference_server(draft: GraphDraft) -> tuple[str, str]:
    """The measured server (p4de.24xlarge: 8 x A100 80GB) and an hour of its life."""
    hardware, parts = read_table("hardware"), read_table("device_parts")
    server = draft.node(
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
    hardware_impacts(draft, server, "server-assembly", hardware, how="assembly of the server")
    ecologits = one_row(hardware, item="ecologits-server-8gpu-total", quantity="gwp")
    boavizta = one_row(hardware, item="server-p4d-24xlarge-a100-80gb-total", quantity="gwp")
    hour = amortised_hour(
        draft,
        server,
        "server-p4de-24xlarge-hour",
        "One hour of the inference server's life (its embodied share)",
        float(ecologits["lifetime_years"]),
        float(boavizta["lifetime_years"]),
        source="ecologits-llm-constants;boavizta-factors",
        why="EcoLogits's HARDWARE_LIFESPAN; the range runs to Boavizta's lifetime for cloud"
        " servers (data/hardware.csv lifetime_years of ecologits-server-8gpu-total and"
        " server-p4d-24xlarge-a100-80gb-total)",
    )
    drives = int(one_row(parts, device=server, part="nvme-ssd-1tb")["units"])
    add_parts(
        draft, server, parts, hardware, derived={"nvme-ssd-1tb": drive_share(hardware, drives)}
    )
    return server, hour


def inference_services(draft: GraphDraft, electricity: str, server_hour: str) -> None:
    """The services of Power Hungry Processing: every task-specific model, and of the
    multi-purpose ones the eight zero-shot models of the paper's Table 3."""
    runs = read_table("inference_energy_by_model")
    by_task = read_table("inference_energy_by_task").set_index("task_id")
    zero_shot = read_table("inference_energy_zero_shot").set_index("model")
    paper_models = runs["model"].str.startswith(("google/flan-t5", "bigscience/bloomz"))
    runs = runs[(runs["model_type"] == "task-specific") | paper_models]
    measured_services(draft, electricity, server_hour, runs, by_task, zero_shot)
    bloomz = runs[runs["model"] == "bigscience/bloomz-7b1"]
    measured_services(
        draft, electricity, server_hour, bloomz, by_task, zero_shot, ("bloomz-7b1", "BLOOMz-7B")
    )


def bloomz_training(draft: GraphDraft) -> None:
    """BLOOMz-7B's training run (pretraining and finetuning energy, Power Hungry
    Processing's Table 5) on the French grid, for ``breakeven`` against task-specific
    models; not shared over any requests here (the number is the user's to choose)."""
    france = grid_electricity(
        draft,
        "electricity-france",
        "FRA",
        "Electricity, France grid (Jean Zay, where BLOOM was trained)",
        read_table("electricity"),
        base_zone="FRA",
    )
    training_energy_run(draft, read_table("training_energy"), "bloomz-7b1", france)


def inference_materials(draft: GraphDraft) -> list[str]:
    """Metals inside the server's parts; returns the materials used."""
    contents = read_table("material_content")
    via_press = (
        "the ICP-OES analysis of an A100 by Falk et al. as quoted in the press; the study's"
        " own table was not reachable, so the figure is marked estimated"
    )
    material_content(draft, contents, "gpu-a100", "copper", "gpu-a100-sxm4-80gb", via_press)
    material_content(draft, contents, "gpu-a100", "gold", "gpu-a100-sxm4-80gb", via_press)
    for material in ("tantalum", "tin", "tungsten", "cobalt"):
        if material == "tin":  # bounded by what the study's abstract says
            bounded_estimate(draft, contents, "gpu-a100", "tin", "gpu-a100-sxm4-80gb")
            continue
        gram_placeholder(
            draft,
            material,
            "gpu-a100-sxm4-80gb",
            "Falk et al. measured it, the figure was not reachable",
        )
    circuit_board(
        draft,
        contents,
        note="Metal content per kg of waste PCBs (median of the reports compiled in the"
        " review); not specific to servers.",
    )
    placeholder(
        draft,
        "printed-circuit-board",
        "motherboard",
        1.0,
        "kg",
        0.3,
        3.0,
        "Placeholder: no mass of a server motherboard was found (data/material_content.csv"
        " server-motherboard rows are missing); 1 kg stands in, between 0.3 and 3 kg.",
    )
    magnet(draft, contents)
    placeholder(
        draft,
        "ndfeb-magnet",
        "server-chassis",
        0.01,
        "kg",
        0.001,
        0.1,
        "Placeholder: fans use NdFeB magnets but no magnet mass per server was found"
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


def circuit_board(draft: GraphDraft, contents: pd.DataFrame, **extra: str) -> None:
    """A populated circuit board (per kg), its published metals and a tantalum placeholder."""
    draft.node(
        "printed-circuit-board",
        "component",
        "kg",
        "Printed circuit board, populated (per kg; mixed e-waste composition)",
        transparency="published",
        source="mc-hindawi-2022-pcb-review",
        **extra,
    )
    for material in BOARD_METALS:
        material_content(
            draft, contents, "printed-circuit-board", material, "printed-circuit-board"
        )
    gram_placeholder(draft, "tantalum", "printed-circuit-board", "no per-kg figure for boards")


def magnet(draft: GraphDraft, contents: pd.DataFrame) -> None:
    """An NdFeB magnet (per kg) and its rare earths."""
    draft.node(
        "ndfeb-magnet",
        "component",
        "kg",
        "NdFeB permanent magnet (per kg)",
        transparency="estimated",
        source="mc-courage-ndfeb-composition",
        note="Rare-earth content of sintered NdFeB magnets.",
    )
    # the vendor's "Nd" share is Nd and Pr together (PrNd); the praseodymium row splits it
    # and is not added again
    rows = [
        one_row(contents, product="ndfeb-magnet-per-kg", material=m)
        for m in ("neodymium", "dysprosium")
    ]
    split = one_row(contents, product="ndfeb-magnet-per-kg", material="praseodymium")
    to_kg = conversion_factor("kg", "g")
    grams = {r["material"]: float(r["grams_per_unit"]) for r in rows}
    draft.edge(
        "rare-earths",
        "ndfeb-magnet",
        sum(grams.values()) / to_kg,
        unit="kg",
        uncertainty=span(sum(r["low"] for r in rows) / to_kg, sum(r["high"] for r in rows) / to_kg),
        transparency="estimated",
        source_ref="mc-courage-ndfeb-composition;mc-reegain-hdd-ndfeb",
        note="data/material_content.csv ndfeb-magnet-per-kg: "
        + ", ".join(f"{m} {g:g}" for m, g in grams.items())
        + f" g/kg (neodymium with its praseodymium, {float(split['grams_per_unit']):g} g of"
        " it), summed as rare earths (the production table has rare earths only as a whole,"
        " in oxide equivalent).",
    )


def ai_inference() -> dict[str, pd.DataFrame]:
    """The tables of the ``ai-inference`` graph."""
    draft = GraphDraft()
    grid = grid_electricity(
        draft,
        "electricity-us-oregon",
        "USA-OR",
        "Electricity, AWS us-west-2 region (Oregon) grid",
        read_table("electricity"),
        gwp_from=("USA-OR", "luccioni-2024-setup"),
    )
    datacentre = datacentre_electricity(
        draft,
        grid,
        "electricity-datacentre-oregon",
        "Electricity at the servers, US data centre in Oregon (incl. PUE)",
        read_table("datacentres"),
        "huggingface_hub",
    )
    server, hour = inference_server(draft)
    inference_services(draft, datacentre, hour)
    bloomz_training(draft)
    materials = inference_materials(draft)
    subtract_materials(draft, read_table("metal_impacts"), PROXIES)
    return with_mines(draft, materials, PROXIES)


# ------------------------------------------------------------------------- smart-speaker


def cloud_side(draft: GraphDraft, energy: pd.Series, power: str, node: str, answer: str) -> str:
    """The cloud side of a voice query answered by ``answer``: electricity at the servers,
    the midpoint of the ``voice_assistant.csv`` row's range (so the total lies inside its
    own P5-P95), per 1,000 queries."""
    draft.node(
        node,
        "service",
        "1000 queries",
        f"Cloud side of a voice query, {answer}: speech recognition and the answer",
        transparency="estimated",
        note="No provider discloses the energy of a voice request.",
    )
    # Wh a query is kWh per 1,000 queries: convert the table's unit, never assume it
    per_1000 = 1000 * conversion_factor(energy["unit"].removesuffix("/query"), "kWh")
    low, high = float(energy["low"]) * per_1000, float(energy["high"]) * per_1000
    draft.edge(
        power,
        node,
        (low + high) / 2,
        unit="kWh",
        uncertainty=span(low, high),
        transparency="estimated",
        source_ref=citation(energy["source"]),
        note=f"data/voice_assistant.csv {energy['item']}: {energy['low']:g}-{energy['high']:g}"
        f" Wh a query, its midpoint here (the row's figure is {energy['value']:g}); servers'"
        " embodied share not included.",
    )
    return node


def voice_service(
    draft: GraphDraft,
    service: str,
    answer: str,
    device: str,
    home: str,
    cloud: str,
    per_day: pd.Series,
    yearly: pd.Series,
    lifetime: pd.Series,
) -> None:
    """1,000 spoken queries answered by ``answer``: a share of the ``device`` over its life,
    its electricity at ``home`` (mostly standby) and the ``cloud`` side."""
    years = float(lifetime["value"])
    life_days = years * conversion_factor(lifetime["unit"], "day")
    queries_over_life = float(per_day["value"]) * life_days
    fewest = float(per_day["low"]) * life_days
    draft.node(
        service,
        "service",
        "1000 queries",
        f"Voice assistant, {answer}: 1,000 spoken queries on a smart speaker",
        country="USA",
        transparency="estimated",
        source=citation(per_day["source"]),
        note="Gives the whole device and its standby power to queries: an upper bound, since"
        " speakers also play music.",
    )
    draft.edge(
        device,
        service,
        1000 / queries_over_life,
        unit="item",
        uncertainty=span(1000 / queries_over_life, 1000 / fewest),
        transparency="estimated",
        source_ref=citation(per_day["source"]) + ";" + citation(lifetime["source"]),
        note=f"1000 / ({per_day['value']:g} queries a day x {life_days:g} days ({years:g}"
        f" years of 365 days)); range down to {per_day['low']:g} queries a day"
        " (data/voice_assistant.csv).",
    )
    kwh_per_day = float(yearly["value"]) * rate_factor(yearly["unit"], "kWh", "day")
    draft.edge(
        home,
        service,
        1000 * kwh_per_day / float(per_day["value"]),
        unit="kWh",
        uncertainty=span(
            1000 * kwh_per_day / float(per_day["value"]),
            1000 * kwh_per_day / float(per_day["low"]),
        ),
        transparency="estimated",
        source_ref=citation(yearly["source"]) + ";" + citation(per_day["source"]),
        note=f"The device's {yearly['value']:g} kWh a year shared over {per_day['value']:g}"
        " queries a day (mostly standby power).",
    )
    draft.edge(
        cloud,
        service,
        1.0,
        unit="1000 queries",
        transparency="missing",
        note="Modelling assumption, no source: every spoken query is processed in the cloud.",
    )


def smart_speaker() -> dict[str, pd.DataFrame]:
    """The tables of the ``smart-speaker`` graph."""
    voice, contents = read_table("voice_assistant"), read_table("material_content")
    draft = GraphDraft()
    home = grid_electricity(
        draft, "electricity-usa", "USA", "Electricity, USA average grid", read_table("electricity")
    )
    cloud_power = datacentre_electricity(
        draft,
        home,
        "electricity-datacentre-us",
        "Electricity at the servers, US data centre (incl. PUE)",
        read_table("datacentres"),
        "huggingface_hub",
    )

    def figure(item: str, quantity: str) -> pd.Series:
        return one_row(voice, "voice_assistant.csv", item=item, quantity=quantity)

    total = figure("nest-mini-2nd-gen", "gwp_total")
    use = figure("nest-mini-2nd-gen", "gwp_use_ratio")
    lifetime = figure("nest-mini-2nd-gen", "lifetime")
    yearly = figure("nest-mini-2nd-gen", "yearly_electricity")
    per_day = figure("smart-speaker-usage", "queries_per_day")
    device = draft.node(
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
    draft.impact(
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
    circuit_board(draft, contents)
    weight = figure("nest-mini-2nd-gen", "weight")
    mass = float(weight["value"]) * conversion_factor(weight["unit"], "kg")
    placeholder(
        draft,
        "printed-circuit-board",
        device,
        round(mass * 0.15, 6),
        "kg",
        mass * 0.05,
        mass * 0.5,
        f"Placeholder: no board mass was found for any smart speaker. 15% of the"
        f" {mass:g} kg device (data/voice_assistant.csv nest-mini-2nd-gen weight) stands in,"
        " between 5% and 50%.",
    )
    magnet(draft, contents)
    placeholder(
        draft,
        "ndfeb-magnet",
        device,
        0.005,
        "kg",
        0.0005,
        0.02,
        "Placeholder: the speaker driver's magnet mass was not found (and it may be"
        " ferrite, not NdFeB); 5 g stands in, between 0.5 and 20 g.",
    )
    scenarios = {  # service -> (its cloud side, the voice_assistant.csv row, what answers)
        "voice-assistant": ("voice-query-cloud-classic", "a classic assistant"),
        "voice-assistant-llm": ("voice-query-cloud-llm", "an LLM answer"),
    }
    for service, (item, answer) in scenarios.items():
        cloud = cloud_side(draft, figure(item, "energy"), cloud_power, f"{service}-cloud", answer)
        voice_service(draft, service, answer, device, home, cloud, per_day, yearly, lifetime)
    subtract_materials(draft, read_table("metal_impacts"), PROXIES)
    return with_mines(draft, [*BOARD_METALS, "tantalum", "rare-earths"], PROXIES)


# ------------------------------------------------------------------------- llm-inference

LLM_REQUESTS = [
    # model, output tokens, GPU, provider (None: the model's), region (None: the
    # provider's), lifetime requests its training is shared over (None: no training)
    ("meta-llama/Meta-Llama-3.1-8B-Instruct", 400, "h100-80gb", None, None, None),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", 400, "a100-80gb", None, None, None),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", 400, "h100-80gb", None, None, None),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", 400, "h200-141gb", None, None, None),
    ("meta-llama/Meta-Llama-3.1-70B-Instruct", 400, "h100-80gb", None, None, 10**10),
    ("open-mixtral-8x7b", 400, "h100-80gb", None, None, None),
    ("open-mixtral-8x7b", 400, "h100-80gb", None, "FRA", None),
    ("gpt-4o-mini", 100, "h100-80gb", None, None, None),
    ("gpt-4o-mini", 400, "h100-80gb", None, None, None),
    ("gpt-4o-mini", 1000, "h100-80gb", None, None, None),
    ("claude-3-5-haiku-20241022", 400, "h100-80gb", None, None, None),
]
"""The requests of ``llm-inference``: open models of two sizes on three GPUs, one with its
disclosed training shared over 10^10 requests (a scenario, not a figure: the graph's README
gives the break-even), a mixture of experts on two grids, a closed model at three token
counts, and a second closed one."""


def llm_inference() -> dict[str, pd.DataFrame]:
    """The tables of the ``llm-inference`` graph."""
    requests = [
        LLMRequest(model=m, output_tokens=n, gpu=g, provider=p, region=r, training_queries=q)
        for m, n, g, p, r, q in LLM_REQUESTS
    ]
    return llm_graph(requests).tables


BUILDERS = {
    "ai-inference": ai_inference,
    "smart-speaker": smart_speaker,
    "llm-inference": llm_inference,
}


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
    rows = found[
        (found["kind"] == "service")
        & (found["category"] == "gwp")
        & (found["per"] == "1000 queries")
    ]
    return chart_bytes(rows, "gwp", "svg").decode("utf-8")


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
