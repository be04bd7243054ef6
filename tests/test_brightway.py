"""Brightway round trip: bw2calc itself scores a graph as our totals give it (to 1e-9 from
full-precision data packages; to bw2data's 32-bit storage of each exchange from a
database), and a database reads back as the same graph."""

import numpy as np
import pandas as pd
import pytest

bw2data = pytest.importorskip("bw2data")  # the test extra installs it (pinned)
bw2calc = pytest.importorskip("bw2calc")

from supplychain.brightway import from_brightway, method_key, to_brightway  # noqa: E402
from supplychain.io import graph_tables, load  # noqa: E402
from supplychain.propagate import totals  # noqa: E402
from supplychain.tables import from_tables  # noqa: E402


@pytest.fixture
def project(tmp_path_factory, request):
    """A Brightway project of its own for each test."""
    name = f"supplychain-{request.node.name}"[:60]
    bw2data.projects.set_current(name)
    yield name
    bw2data.projects.set_current("default")
    bw2data.projects.delete_project(name, delete_dir=True)


def credit_and_loop():
    """A loop (a fab reusing 20 % of its output) and a recycling credit."""
    return from_tables(
        "loop",
        nodes=[
            {"id": "ore", "kind": "mine", "unit": "t", "country": "COD"},
            {"id": "metal", "kind": "material", "unit": "kg"},
            {"id": "scrap", "kind": "material", "unit": "kg"},
            {"id": "wafer", "kind": "component", "unit": "item"},
            {"id": "grid", "kind": "energy", "unit": "kWh"},
        ],
        edges=[
            {"source": "ore", "target": "metal", "amount": 1.2, "unit": "kg"},
            {"source": "metal", "target": "wafer", "amount": 0.3},
            {"source": "wafer", "target": "wafer", "amount": 0.2},
            {"source": "grid", "target": "wafer", "amount": 40, "uncertainty": "lognormal(1.2)"},
            {"source": "metal", "target": "scrap", "amount": 1.0},
            {"source": "scrap", "target": "wafer", "amount": -0.05},
        ],
        impacts=[
            {"node": "ore", "category": "gwp", "value": 9000, "unit": "kg CO2e/t"},
            {"node": "grid", "category": "gwp", "value": 400, "unit": "g CO2e/kWh"},
            {"node": "grid", "category": "water", "value": 2, "unit": "L/kWh"},
        ],
    )


@pytest.mark.parametrize("name", ["ai-inference", "smart-speaker", "loop"])
def test_bw2calc_scores_the_exported_graph_as_we_do(project, name):
    chain = credit_and_loop() if name == "loop" else load(name)
    to_brightway(chain, name)
    ours = totals(chain).set_index(["node", "category"])["value"]
    database = bw2data.Database(name)
    nodes = list(chain.nodes["id"])
    if len(nodes) > 40:  # the services and devices, and some of the rest
        kinds = chain.nodes.set_index("id")["kind"]
        nodes = [n for n in nodes if kinds[n] in ("service", "device")] + nodes[:10]
    categories = list(dict.fromkeys(chain.impacts["category"]))
    lca = bw2calc.LCA({database.get(nodes[0]).id: 1}, method=method_key(name, categories[0]))
    lca.lci()
    for category in categories:
        lca.switch_method(method_key(name, category))
        for node in nodes:
            lca.lci(demand={database.get(node).id: 1})
            lca.lcia()
            expected = ours.get((node, category), 0.0)
            expected = 0.0 if np.isnan(expected) else expected
            # bw2data keeps each exchange as a 32-bit float: about 6e-8 of each figure
            assert lca.score == pytest.approx(expected, rel=3e-7, abs=1e-9), (node, category)


@pytest.mark.parametrize("name", ["ai-inference", "smart-speaker", "llm-inference", "loop"])
def test_bw2calc_scores_the_data_packages_as_we_do_to_1e_9(name):
    from supplychain.brightway import to_datapackages

    chain = credit_and_loop() if name == "loop" else load(name)
    inventory, methods, ids = to_datapackages(chain)
    ours = totals(chain).set_index(["node", "category"])["value"]
    worst = 0.0
    for category, method in methods.items():
        lca = bw2calc.LCA({1: 1}, data_objs=[inventory, method])
        lca.lci()
        lca.lcia()
        for node, position in ids.items():
            lca.lci(demand={position: 1})
            lca.lcia()
            expected = ours.get((node, category), np.nan)
            expected = 0.0 if np.isnan(expected) else expected
            assert lca.score == pytest.approx(expected, rel=1e-9, abs=1e-15), (node, category)
            if expected:
                worst = max(worst, abs(lca.score - expected) / abs(expected))
    assert worst < 1e-9


@pytest.mark.parametrize("name", ["example", "ai-inference", "loop"])
def test_a_graph_reads_back_from_brightway_as_it_was(project, name):
    chain = credit_and_loop() if name == "loop" else load(name)
    to_brightway(chain, name)
    again = from_brightway(name)
    pd.testing.assert_frame_equal(totals(again), totals(chain))
    for table in ("nodes", "edges", "impacts"):
        key = {"nodes": ["id"], "edges": ["source", "target"], "impacts": ["node", "category"]}
        mine = graph_tables(again)[table].sort_values(key[table]).reset_index(drop=True)
        theirs = graph_tables(chain)[table].sort_values(key[table]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=False, obj=table)


def test_an_activity_of_another_database_with_a_method(project):
    """A database as bw2io would import one: no supplychain fields, a production of 2 kg,
    a method of its own."""
    bio = bw2data.Database("bio")
    bio.write({("bio", "co2"): {"name": "CO2", "unit": "kilogram", "type": "emission"}})
    db = bw2data.Database("other")
    db.write(
        {
            ("other", "steel"): {"name": "steel", "unit": "kg", "exchanges": [
                {"input": ("other", "steel"), "amount": 2.0, "type": "production"},
                {"input": ("bio", "co2"), "amount": 3.0, "type": "biosphere"}]},
            ("other", "frame"): {"name": "frame", "unit": "unit", "exchanges": [
                {"input": ("other", "frame"), "amount": 1.0, "type": "production"},
                {"input": ("other", "steel"), "amount": 5.0, "type": "technosphere"}]},
        }
    )  # fmt: skip
    method = bw2data.Method(("IPCC", "GWP100"))
    method.register(unit="kg CO2e")
    method.write([(("bio", "co2"), 1.0)])
    chain = from_brightway("other", "frame", methods=[("IPCC", "GWP100")])
    kinds = chain.nodes.set_index("id")["kind"]
    assert kinds["steel"] == "material" and kinds["frame"] == "component"
    found = totals(chain).set_index(["node", "category"])["value"]
    assert found[("frame", "ipcc_gwp100")] == pytest.approx(5 * 3.0 / 2.0)


def test_a_database_that_exists_is_not_overwritten(project):
    from supplychain.errors import OutputExistsError

    chain = credit_and_loop()
    to_brightway(chain, "loop")
    with pytest.raises(OutputExistsError, match="exists in project"):
        to_brightway(chain, "loop")
    to_brightway(chain, "loop", overwrite=True)


def test_ecoinvent_unit_names_substitution_and_edits_in_brightway(project):
    """Units as ecoinvent names them, a substitution (an avoided product), and an amount
    changed in Brightway after export: all read as Brightway has them."""
    bio = bw2data.Database("bio2")
    bio.write({("bio2", "co2"): {"name": "CO2", "unit": "kilogram", "type": "emission"}})
    db = bw2data.Database("eco")
    db.write(
        {
            ("eco", "power"): {"name": "power", "unit": "kilowatt hour", "exchanges": [
                {"input": ("eco", "power"), "amount": 1.0, "type": "production"},
                {"input": ("bio2", "co2"), "amount": 0.5, "type": "biosphere"}]},
            ("eco", "bike"): {"name": "bike", "unit": "unit", "exchanges": [
                {"input": ("eco", "bike"), "amount": 1.0, "type": "production"},
                {"input": ("eco", "power"), "amount": 80.0, "type": "technosphere"},
                {"input": ("eco", "power"), "amount": 5.0, "type": "substitution"}]},
        }
    )  # fmt: skip
    method = bw2data.Method(("EF", "climate"))
    method.register(unit="kg CO2-Eq")
    method.write([(("bio2", "co2"), 1.0)])
    chain = from_brightway("eco", "bike", methods=[("EF", "climate")])
    assert chain.nodes.set_index("id").loc["power", "unit"] == "kWh"
    lca = bw2calc.LCA({db.get("bike").id: 1}, method=("EF", "climate"))
    lca.lci()
    lca.lcia()
    found = totals(chain).set_index(["node", "category"])["value"][("bike", "ef_climate")]
    assert found == pytest.approx(lca.score, rel=1e-6) and found == pytest.approx(37.5)

    to_brightway(credit_and_loop(), "loop")
    exchange = next(
        e for e in bw2data.Database("loop").get("wafer").technosphere() if e.input["code"] == "grid"
    )
    exchange["amount"] = 100.0
    exchange.save()
    again = totals(from_brightway("loop")).set_index(["node", "category"])["value"]
    assert (
        again[("wafer", "gwp")]
        != totals(credit_and_loop()).set_index(["node", "category"])["value"][("wafer", "gwp")]
    )


def test_bad_brightway_requests_are_one_line(project, capsys):
    from supplychain.cli import main

    assert main(["from-brightway", "nowhere", "--project", "p-typo", "-o", "x"]) == 1
    assert "no Brightway project 'p-typo'" in capsys.readouterr().err
    assert "p-typo" not in {p.name for p in bw2data.projects}
    to_brightway(credit_and_loop(), "loop")
    code = main(["from-brightway", "loop", "--method", "IPCC", "2021", "-o", "x"])
    assert code == 1 and "no Brightway method ('IPCC', '2021')" in capsys.readouterr().err
    assert main(["export", "example", "--to", "brightway", "-o", ""]) == 1
    assert "name the Brightway database" in capsys.readouterr().err
