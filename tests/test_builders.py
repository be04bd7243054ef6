"""The builders: each piece on tables small enough to check by hand, and a user's own device."""

import math

import pandas as pd
import pytest

from supplychain.builders import (
    GraphDraft,
    add_parts,
    amortised_hour,
    datacentre_electricity,
    grid_electricity,
    hardware_impacts,
    material_content,
    measured_service_energy,
    measured_services,
    one_row,
    placeholder,
    span,
    subtract_materials,
)
from supplychain.errors import ReferenceRowError, UnitError
from supplychain.propagate import totals
from supplychain.tables import from_tables

NAN = float("nan")


def hardware_table(item="gpu", gwp=150.0, source="my-lca"):
    return pd.DataFrame(
        {
            "item": [item] * 3,
            "quantity": ["gwp", "energy", "adp"],
            "value": [gwp, 2000.0, 0.004],
            "unit_of_value": ["kg CO2e", "MJ", "kg Sb-eq"],
            "transparency": "estimated",
            "source": source,
        }
    )


def parts_table(rows):
    columns = ["device", "part", "part_name", "hardware_item", "units", "amount_per_unit"]
    columns += ["low_per_unit", "high_per_unit", "unit", "transparency", "source", "note"]
    return pd.DataFrame(rows, columns=columns)


# ------------------------------------------------------------------------- rows


def test_one_row_names_the_table_and_the_match_when_it_finds_none_or_several():
    table = pd.DataFrame({"item": ["a", "a", "b"], "quantity": ["gwp", "gwp", "gwp"]})
    assert one_row(table, "hardware.csv", item="b")["item"] == "b"
    with pytest.raises(ReferenceRowError, match=r"hardware.csv: .*item 'c'.*found 0"):
        one_row(table, "hardware.csv", item="c")
    with pytest.raises(ReferenceRowError, match="found 2"):
        one_row(table, "hardware.csv", item="a", quantity="gwp")
    with pytest.raises(ReferenceRowError, match="no column 'colour'"):
        one_row(table, "hardware.csv", colour="red")


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        (0.01, 10.0, "range(min=0.01, max=10)"),
        # float noise of g -> kg does not widen a bound into 17 digits
        (0.18 / 1000, 0.39 / 1000, "range(min=0.00018, max=0.00039)"),
        # rounding would put the lower bound above the figure: it is written in full
        (0.38696695302221196, 0.5, "range(min=0.38696695302221196, max=0.5)"),
        (0.1, 0.6401234, "range(min=0.1, max=0.6401234)"),
    ],
)
def test_span_never_narrows_a_range(low, high, text):
    assert span(low, high) == text


# ------------------------------------------------------------------------- hardware


def test_hardware_impacts_are_the_rows_of_the_item():
    draft = GraphDraft()
    hardware_impacts(draft, "gpu", "gpu", hardware_table())
    assert [(i["category"], i["value"], i["unit"]) for i in draft.impacts] == [
        ("gwp", 150.0, "kg CO2e"),
        ("energy", 2000.0, "MJ"),
        ("adp", 0.004, "kg Sb-eq"),
    ]
    assert all(i["source"] == "my-lca" for i in draft.impacts)
    assert "Boavizta" not in draft.impacts[0]["note"]  # only Boavizta rows say so


def test_hardware_impacts_refuse_an_item_without_all_three_categories():
    with pytest.raises(ReferenceRowError, match="item 'gpu', quantity 'adp'"):
        hardware_impacts(GraphDraft(), "gpu", "gpu", hardware_table().iloc[:2])


def test_parts_are_units_times_amount_with_the_range_of_one():
    parts = parts_table(
        [
            ["srv", "dram", "DRAM", "ram", 36, 32, NAN, NAN, "GB", "estimated", "bom", "36 x 32."],
            ["srv", "psu", "PSU", "psu", 2, 2.99, 1, 5, "kg", "estimated", "bom", "2 x 2.99."],
        ]
    )
    hardware = pd.concat([hardware_table("ram", 1.9), hardware_table("psu", 24.3)])
    draft = GraphDraft()
    add_parts(draft, "srv", parts, hardware)
    dram, psu = draft.edges
    assert (dram["amount"], dram["unit"], "uncertainty" in dram) == (1152.0, "GB", False)
    assert (psu["amount"], psu["uncertainty"]) == (5.98, "range(min=2, max=10)")
    assert [n["id"] for n in draft.nodes] == ["dram", "psu"]
    assert [i["value"] for i in draft.impacts if i["category"] == "gwp"] == [1.9, 24.3]
    assert psu["note"] == "2 x 2.99." and psu["source_ref"] == "bom"


def test_a_part_without_a_hardware_item_takes_the_recipes_derivation():
    # an empty cell, or NaN from a table read without supplychain.reference, is no item
    parts = parts_table([["srv", "ssd", "SSD", NAN, 8, 1, NAN, NAN, "item", "estimated", "b", ""]])
    calls = []

    def derive(draft, part):
        calls.append(part)
        draft.impact(part, "gwp", 40.0)

    draft = GraphDraft()
    add_parts(draft, "srv", parts, hardware_table(), derived={"ssd": derive})
    assert calls == ["ssd"] and draft.impacts[0]["value"] == 40.0
    with pytest.raises(ReferenceRowError, match="'ssd' of 'srv' has no hardware_item"):
        add_parts(GraphDraft(), "srv", parts, hardware_table())
    with pytest.raises(ReferenceRowError, match="no parts of device 'laptop'"):
        add_parts(GraphDraft(), "laptop", parts, hardware_table())


def test_an_hour_of_a_device_is_one_over_its_lifetime_hours():
    draft = GraphDraft()
    amortised_hour(draft, "srv", "srv-hour", "An hour", 3.0, 6.0, source="a; b")
    edge = draft.edges[0]
    assert edge["amount"] == 1 / 26280
    assert edge["uncertainty"] == span(1 / 52560, 1 / 26280)
    assert edge["source_ref"] == "a;b" and edge["note"].startswith("1 / 26280 hours (3 years)")
    for years in (0.0, -1.0, float("nan")):
        with pytest.raises(ReferenceRowError, match="lifetime of .* years for 'srv'"):
            amortised_hour(GraphDraft(), "srv", "srv-hour", "An hour", years)


# ------------------------------------------------------------------------- materials


CONTENT = pd.DataFrame(
    {
        "product": ["pcb", "pcb"],
        "material": ["gold", "tin"],
        "grams_per_unit": [0.5, 40.0],
        "low": [0.2, NAN],
        "high": [1.0, NAN],
        "unit": ["kg", "kg"],
        "transparency": ["published", "published"],
        "source": ["review", "review ; other"],
    }
)


def test_material_content_is_grams_converted_to_kilograms():
    draft = GraphDraft()
    material_content(draft, CONTENT, "pcb", "gold", "board")
    material_content(draft, CONTENT, "pcb", "tin", "board", how="a proxy")
    gold, tin = draft.edges
    assert (gold["amount"], gold["uncertainty"], gold["transparency"]) == (
        0.0005,
        "range(min=0.0002, max=0.001)",
        "published",
    )
    assert (tin["amount"], tin["uncertainty"], tin["transparency"]) == (0.04, "", "estimated")
    assert tin["source_ref"] == "review;other" and "a proxy" in tin["note"]


def test_a_placeholder_is_missing_with_its_range_and_reason():
    draft = GraphDraft()
    placeholder(draft, "tantalum", "gpu", 1.0, "g", 0.01, 10.0, "not found")
    assert draft.edges == [
        {
            "source": "tantalum",
            "target": "gpu",
            "amount": 1.0,
            "unit": "g",
            "uncertainty": "range(min=0.01, max=10)",
            "transparency": "missing",
            "note": "not found",
        }
    ]


METALS = pd.DataFrame(
    {"material": ["gold", "neodymium"], "gwp": [8.0, 20.0], "energy": [100.0, 300.0]}
)


def test_contained_metals_come_out_of_a_parts_own_figure():
    draft = GraphDraft()
    draft.node("gpu", "component", "item", "GPU")
    draft.node("magnet", "component", "kg", "Magnet")
    draft.impact("gpu", "gwp", 10.0, note="Factor.")
    draft.edge("gold", "gpu", 100.0, unit="g")  # 0.1 kg x 8 = 0.8
    draft.edge("magnet", "gpu", 0.5, unit="kg")  # a part without figures of its own ...
    draft.edge("rare-earths", "magnet", 0.2, unit="kg")  # ... 0.5 x 0.2 x 20 = 2.0
    subtract_materials(draft, METALS, {"rare-earths": "neodymium"})
    gwp = draft.impacts[0]
    assert gwp["value"] == pytest.approx(10.0 - 0.8 - 2.0)
    assert gwp["transparency"] == "estimated" and "10 - 2.8" in gwp["note"]


def test_metals_beyond_the_whole_figure_are_refused():
    draft = GraphDraft()
    draft.node("gpu", "component", "item", "GPU")
    draft.impact("gpu", "gwp", 0.5, note="")
    draft.edge("gold", "gpu", 0.1, unit="kg")
    with pytest.raises(ReferenceRowError, match=r"materials in gpu \(0.8\) exceed .*gwp"):
        subtract_materials(draft, METALS)


# ------------------------------------------------------------------------- energy


ELECTRICITY = pd.DataFrame(
    {
        "zone": ["USA"] * 4 + ["USA-OR"],
        "quantity": ["gwp", "energy", "water", "adp", "gwp"],
        "value": [0.4, 9.0, 3.0, 1e-7, 0.3],
        "unit": ["kg CO2e/kWh", "MJ/kWh", "L/kWh", "kg Sb-eq/kWh", "kg CO2e/kWh"],
        "scope": "life-cycle",
        "transparency": "published",
        "source": ["mixes"] * 4 + ["paper"],
    }
)


def test_a_regional_grid_takes_its_gwp_and_the_national_rest_as_estimated():
    draft = GraphDraft()
    grid_electricity(
        draft, "grid", "USA-OR", "Oregon", ELECTRICITY, ("USA-OR", "paper"), "USA", "mixes"
    )
    found = {i["category"]: (i["value"], i["transparency"]) for i in draft.impacts}
    assert found == {
        "gwp": (0.3, "published"),
        "energy": (9.0, "estimated"),
        "water": (3.0, "estimated"),
        "adp": (1e-7, "estimated"),
    }
    assert draft.nodes[0]["country"] == "USA" and draft.nodes[0]["source"] == "paper"


def datacentres(pue_unit="kWh/kWh"):
    return pd.DataFrame(
        {
            "provider": ["p", "p"],
            "location": ["USA", "USA"],
            "quantity": ["pue", "wue"],
            "low": [1.09, 0.13],
            "high": [1.14, 0.99],
            "unit": [pue_unit, "L/kWh"],
            "transparency": "estimated",
            "source": "ecologits",
        }
    )


def test_a_data_centre_takes_the_midpoints_of_its_pue_and_wue():
    draft = GraphDraft()
    datacentre_electricity(draft, "grid", "dc", "Data centre", datacentres(), "p")
    (edge,), (water,) = draft.edges, draft.impacts
    assert (edge["source"], edge["amount"], edge["uncertainty"]) == (
        "grid",
        pytest.approx(1.115),
        "range(min=1.09, max=1.14)",
    )
    assert (water["value"], water["unit"]) == (pytest.approx(0.56), "L/kWh")


def test_a_pue_in_a_unit_that_is_no_energy_ratio_is_refused():
    with pytest.raises(UnitError):
        datacentre_electricity(GraphDraft(), "grid", "dc", "DC", datacentres("L/kWh"), "p")


# ------------------------------------------------------------------------- services


RUNS = pd.DataFrame(
    {
        "task_id": ["qa", "qa", "qa", "qa", "sum", "sum"],
        "model": ["t1", "t2", "m1", "m2", "m1", "m2"],
        "model_type": ["task-specific"] * 2 + ["multi-purpose"] * 4,
        "mean_kwh_per_1000_queries": [0.002, 0.006, 0.01, 0.03, 0.03, 0.05],
        "mean_duration_s_per_1000_queries": [3600.0, 7200.0, 1800.0, 1800.0, 900.0, 900.0],
    }
)
BY_TASK = pd.DataFrame(
    {"task": ["question answering", "summaries"], "mean_kwh_per_1000_queries": [0.003, NAN]},
    index=pd.Index(["qa", "sum"], name="task_id"),
)
ZERO_SHOT = pd.DataFrame(
    {"mean_kwh_per_1000_queries": [0.04, 0.08]}, index=pd.Index(["m1", "m2"], name="model")
)


def test_task_specific_energy_is_table_2_with_the_models_scaled_to_it():
    found = measured_service_energy(RUNS, BY_TASK, ZERO_SHOT, "qa", "task-specific")
    assert (found.amount, found.transparency) == (0.003, "published")
    assert found.uncertainty == "choice(0.0015, 0.0045)"  # 0.002, 0.006 x 0.003 / 0.004


def test_multi_purpose_energy_puts_each_model_on_table_3s_basis():
    # m1: logs average 0.02, table 3 0.04 -> x2; m2: 0.04 and 0.08 -> x2
    found = measured_service_energy(RUNS, BY_TASK, ZERO_SHOT, "qa", "multi-purpose")
    assert found.amount == pytest.approx((0.01 * 2 + 0.03 * 2) / 2)
    assert found.uncertainty == "choice(0.02, 0.06)" and found.transparency == "estimated"
    with pytest.raises(ReferenceRowError, match=r"no row for \['m2'\]"):
        measured_service_energy(RUNS, BY_TASK, ZERO_SHOT.iloc[:1], "qa", "multi-purpose")
    with pytest.raises(ReferenceRowError, match="no task-specific runs of 'sum'"):
        measured_service_energy(RUNS, BY_TASK, ZERO_SHOT, "sum", "task-specific")


def test_measured_services_take_hours_of_the_device_from_the_durations_in_seconds():
    draft = GraphDraft()
    made = measured_services(draft, "power", "srv-hour", RUNS.iloc[:4], BY_TASK, ZERO_SHOT)
    assert made == ["qa-multi-purpose", "qa"]  # by task, then model type
    hours = {e["target"]: e["amount"] for e in draft.edges if e["source"] == "srv-hour"}
    assert hours == {"qa": 1.5, "qa-multi-purpose": 0.5}


# ------------------------------------------------------------------------- a user's own device


def test_a_device_built_from_ones_own_tables_gives_the_hand_total():
    """8 GPUs of 150 kg CO2e over 4 years: 8 x 150 / (4 x 8760) kg CO2e an hour, plus
    1.115 x 0.4 kg CO2e a kWh for 2 kWh an hour of use."""
    parts = parts_table(
        [["srv", "gpu", "GPU", "gpu", 8, 1, NAN, NAN, "item", "estimated", "my-lca", "8."]]
    )
    draft = GraphDraft()
    draft.node("srv", "device", "item", "Server")
    add_parts(draft, "srv", parts, hardware_table())
    hour = amortised_hour(draft, "srv", "srv-hour", "An hour of the server", 4.0)
    grid = grid_electricity(draft, "grid", "USA", "US grid", ELECTRICITY, base_source="mixes")
    power = datacentre_electricity(draft, grid, "dc", "DC", datacentres(), "p")
    draft.node("job", "service", "hour", "An hour of a job")
    draft.edge(hour, "job", 1.0, unit="hour")
    draft.edge(power, "job", 2.0, unit="kWh")
    sources = pd.DataFrame(
        {"id": ["my-lca", "mixes", "ecologits"], "title": ["My LCA", "Mixes", "EcoLogits"]}
    )
    chain = from_tables("mine", **draft.tables(), sources=sources)
    gwp = totals(chain, node="job", category="gwp")["value"].iloc[0]
    assert math.isclose(gwp, 8 * 150 / (4 * 8760) + 2 * 1.115 * 0.4, rel_tol=1e-12)


def test_the_readmes_builder_example_runs_on_tables_of_ones_own(tmp_path, capsys):
    from conftest import PROJECT

    from supplychain.reference import read_table

    readme = (PROJECT / "README.md").read_text()
    section = readme[readme.index("### Building a device or a service") :]
    code = section[section.index("```python\n") + 10 : section.index("\n```\n")]
    mine = tmp_path / "my"
    mine.mkdir()
    parts = read_table("device_parts")
    parts[parts["part"].isin(["gpu-a100-sxm4-80gb", "dram"])].assign(device="my-server").to_csv(
        mine / "device_parts.csv", index=False
    )
    read_table("hardware").to_csv(mine / "hardware.csv", index=False)
    own = pd.DataFrame([{"id": "my-meter", "title": "My meter", "year": 2026}])
    pd.concat([read_table("sources"), own]).to_csv(mine / "sources.csv", index=False)
    exec(compile(code.replace('"my/', f'"{mine}/'), "README.md", "exec"), {})
    assert "my-job" in capsys.readouterr().out
