"""Scenarios: tables of changes applied to a graph on load, the base and each scenario side
by side; every bad row named with its row, column and value."""

import json

import pytest

from supplychain.cli import main
from supplychain.errors import InvalidDataError
from supplychain.io import load
from supplychain.propagate import totals
from supplychain.report import scenario_sections
from supplychain.scenarios import apply_scenario, read_scenarios, scenario_chains, scenario_table
from supplychain.tables import from_tables

ISSUE_SCENARIOS = """\
scenario,change,source,target,node,category,value,unit,note
french-grid,supplier,electricity-us-oregon,electricity-datacentre-oregon,,,electricity-france,,\
the French grid
six-year-life,life,server-p4de-24xlarge,server-p4de-24xlarge-hour,,,6,years,kept six years
"""


def gwp_of(chain, node):
    return totals(chain, category="gwp").set_index("node").loc[node, "value"]


def test_the_three_figures_of_the_issue_come_from_one_table(tmp_path):
    """Image generation: 1.557 on the Oregon grid; on the French grid the 2.907 kWh x PUE
    1.115 of electricity at 0.04144 instead of 0.2976 kg CO2e/kWh; with a six-year server
    life the server's share halves (3 years in the graph)."""
    (tmp_path / "s.csv").write_text(ISSUE_SCENARIOS)
    base = load("ai-inference")
    made = scenario_chains(base, read_scenarios(tmp_path / "s.csv"))
    oregon = gwp_of(base, "image-generation")
    electricity = 2.907 * 1.115 * 0.2976
    assert oregon == pytest.approx(1.557, abs=5e-4)
    french = gwp_of(made["french-grid"], "image-generation")
    assert french == pytest.approx(oregon - 2.907 * 1.115 * (0.2976 - 0.04144), rel=1e-9)
    six = gwp_of(made["six-year-life"], "image-generation")
    assert six == pytest.approx(electricity + (oregon - electricity) / 2, rel=1e-9)
    assert round(french, 3) == 0.727 and round(six, 3) == 1.261
    assert gwp_of(load("ai-inference"), "image-generation") == oregon  # the graph unchanged


def test_compare_runs_the_scenarios_side_by_side(tmp_path, capsys):
    (tmp_path / "s.csv").write_text(ISSUE_SCENARIOS)
    args = ["compare", "ai-inference", "image-generation", "--scenarios", str(tmp_path / "s.csv")]
    assert main([*args, "--category", "gwp", "--samples", "200", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    side = {row["scenario"]: row for row in found["base and scenarios"]}
    assert list(side) == ["base", "french-grid", "six-year-life"]
    assert side["french-grid"]["ratio"] == pytest.approx(0.727 / 1.557, abs=1e-3)
    assert side["base"]["difference"] == 0
    drivers = {(r["scenario"], r["through"]): r for r in found["what drives the difference"]}
    assert drivers[("french-grid", "energy")]["share_of_difference"] == pytest.approx(1.0)
    assert drivers[("six-year-life", "device")]["share_of_difference"] == pytest.approx(1.0)
    assert [r["change"] for r in found["the changes"]] == ["supplier", "life"]
    for fmt in ("table", "csv", "markdown"):
        assert main([*args, "--samples", "20", "--format", fmt]) == 0
        assert "french-grid" in capsys.readouterr().out


def test_the_same_draws_in_base_and_scenario_for_what_no_scenario_changes():
    """A scenario changes the grid only: the spread of a node that does not use it is the
    base's, to the last digit (keyed random streams)."""
    base = load("ai-inference")
    changes = scenario_table(
        [
            {
                "scenario": "s",
                "change": "impact",
                "node": "electricity-france",
                "category": "gwp",
                "value": "0.05",
                "unit": "kg CO2e/kWh",
            }
        ]
    )
    found = scenario_sections(base, scenario_chains(base, changes), ["image-generation"], 50)
    side = found["base and scenarios"]
    gwp = side[side["category"] == "gwp"].set_index("scenario")
    assert gwp.loc["s", "p95"] == gwp.loc["base", "p95"]


def chain():
    """Two mines 0.75 / 0.25 into a metal, the metal into a part, power into the part."""
    return from_tables(
        nodes=[
            {"id": "mine-a", "kind": "mine", "unit": "kg"},
            {"id": "mine-b", "kind": "mine", "unit": "t"},
            {"id": "metal", "kind": "material", "unit": "kg"},
            {"id": "grid", "kind": "energy", "unit": "kWh"},
            {"id": "green", "kind": "energy", "unit": "kWh"},
            {"id": "part", "kind": "component", "unit": "item"},
        ],
        edges=[
            {"source": "mine-a", "target": "metal", "amount": 0.75},
            {"source": "mine-b", "target": "metal", "amount": 0.00025},  # t per kg: 0.25
            {"source": "metal", "target": "part", "amount": 2.0, "uncertainty": "range(1, 3)"},
            {"source": "grid", "target": "part", "amount": 10.0, "unit": "kWh"},
        ],
        impacts=[
            {"node": "mine-a", "category": "gwp", "value": 4.0},
            {"node": "mine-b", "category": "gwp", "value": 8000.0},  # per t: 8 per kg
            {"node": "grid", "category": "gwp", "value": 0.5},
            {"node": "green", "category": "gwp", "value": 0.02},
        ],
    )


def one(**change):
    changes = scenario_table([{"scenario": "s", **change}])
    return apply_scenario(chain(), changes)


def test_an_amount_an_impact_a_supplier_and_a_share():
    base = gwp_of(chain(), "part")  # 2 x (0.75 x 4 + 0.25 x 8) + 10 x 0.5 = 15
    assert base == pytest.approx(15.0)
    assert gwp_of(
        one(change="amount", source="metal", target="part", value="1500", unit="g"), "part"
    ) == pytest.approx(12.5)
    assert gwp_of(one(change="impact", node="grid", category="gwp", value="0.1"), "part") == (
        pytest.approx(11.0)
    )
    added = one(change="impact", node="metal", category="gwp", value="1")  # it had none
    assert gwp_of(added, "part") == pytest.approx(17.0)
    assert gwp_of(one(change="supplier", target="part", value="green"), "part") == (
        pytest.approx(10.2)  # the one energy input, inferred
    )
    shared = one(change="share", source="mine-b", target="metal", value="0.5")
    edges = shared.edges.set_index("source")["converted_amount"]
    assert edges["mine-a"] == pytest.approx(0.5) and edges["mine-b"] == pytest.approx(0.0005)
    assert gwp_of(shared, "part") == pytest.approx(2 * (0.5 * 4 + 0.5 * 8) + 5)


def test_a_changed_figure_cites_the_scenario_and_drops_its_range():
    changed = one(change="amount", source="metal", target="part", value="5", note="more metal")
    row = changed.edges.set_index(["source", "target"]).loc[("metal", "part")]
    assert (row["transparency"], row["source_ref"], row["uncertainty"]) == (
        "estimated",
        "scenario-s",
        "",
    )
    assert row["note"].startswith("scenario 's': more metal")
    assert "scenario-s" in set(changed.sources["id"])


def bad(rows, match):
    with pytest.raises(InvalidDataError) as caught:
        apply_scenario(chain(), scenario_table(rows))
    text = "\n".join(p.describe() for p in caught.value.problems)
    assert match in text, text
    return caught.value.problems


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (
            {"change": "amount", "source": "metal", "target": "prat", "value": "1"},
            "no node 'prat' in the graph graph; closest: part",
        ),
        (
            {"change": "amount", "source": "grid", "target": "metal", "value": "1"},
            "no edge grid -> metal",
        ),
        (
            {"change": "amount", "source": "metal", "target": "part", "value": "1", "unit": "kWh"},
            "'kWh'",
        ),
        (
            {"change": "supplier", "target": "metal", "value": "green"},
            "metal has 0 inputs of kind energy",
        ),
        ({"change": "supplier", "target": "part", "value": "metal"}, "part takes metal already"),
        (
            {"change": "share", "source": "metal", "target": "part", "value": "0.5"},
            "no share of a sourcing mix",
        ),
        (
            {"change": "supplier", "target": "part", "source": "grid", "value": "mine-a"},
            "scenario 's' (rows 2) makes an invalid graph",
        ),
    ],
)
def test_a_change_that_names_nothing_or_breaks_the_graph_is_refused(row, match):
    problems = bad([{"scenario": "s", **row}], match)
    assert problems[0].row == 2 and problems[0].file == "scenarios"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("scenario,change\ns,amount\n", "missing column 'value'"),
        ("scenario,change,value,colour\ns,amount,1,red\n", "unknown column"),
        ("scenario,change,value\ns,amonut,1\n", "unknown change (one of amount, impact"),
        ('scenario,change,source,target,value\ns,amount,a,b,"1,5"\n', "use a decimal point"),
        ("scenario,change,source,target,value\ns,share,a,b,1.5\n", "between 0 and 1"),
        ("scenario,change,source,target,value\ns,life,a,b,6\n", "needs its unit"),
        (
            "scenario,change,source,target,value\ns,amount,a,b,1\ns,amount,a,b,2\n",
            "changed twice in scenario 's' (row 2)",
        ),
        ("scenario,change,value\n", "no changes"),
        ("scenario,change,source,value\n,amount,a,1\n", "no scenario named"),
    ],
)
def test_a_bad_scenarios_file_names_row_column_and_value(tmp_path, text, match, capsys):
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(InvalidDataError) as caught:
        read_scenarios(path)
    described = "\n".join(p.describe() for p in caught.value.problems)
    assert match in described and "s.csv" in described, described
    code = main(["compare", "example", "image-generation", "--scenarios", str(path)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and match in err


def test_compare_of_one_node_without_scenarios_is_a_usage_error(capsys):
    assert main(["compare", "example", "image-generation"]) == 2
    assert "--scenarios" in capsys.readouterr().err


def test_two_shares_of_one_mix_are_both_kept():
    """mine-a at 0.5 and then mine-b at 0.3 leave 0.2 for nobody: refused; in a mix of
    three, the third takes what is left (the second share had rescaled the first)."""
    base = chain()
    tables = {
        "nodes": [*base.nodes[["id", "kind", "unit"]].to_dict("records"),
                  {"id": "mine-c", "kind": "mine", "unit": "kg"}],
        "edges": [*base.edges[["source", "target", "amount", "unit"]].to_dict("records")],
    }  # fmt: skip
    tables["edges"][0]["amount"] = 0.5  # mine-a 0.5, mine-b 0.25, mine-c 0.25
    tables["edges"].append({"source": "mine-c", "target": "metal", "amount": 0.25})
    three = from_tables(**tables)
    share = {"scenario": "s", "change": "share", "target": "metal"}
    changes = scenario_table(
        [
            {**share, "source": "mine-a", "value": "0.6"},
            {**share, "source": "mine-b", "value": "0.3"},
        ]
    )
    shares = apply_scenario(three, changes).edges.set_index("source")["converted_amount"]
    assert shares["mine-a"] == pytest.approx(0.6) and shares["mine-b"] == pytest.approx(0.0003)
    assert shares["mine-c"] == pytest.approx(0.1)
    too_much = scenario_table(
        [
            {**share, "source": "mine-a", "value": "0.8"},
            {**share, "source": "mine-b", "value": "0.3"},
        ]
    )
    with pytest.raises(InvalidDataError, match="more than 1"):
        apply_scenario(three, too_much)


def test_a_scenario_named_base_is_refused():
    with pytest.raises(InvalidDataError, match="'base' names the graph itself"):
        scenario_table([{"scenario": "base", "change": "amount", "source": "a", "target": "b",
                         "value": "1"}])  # fmt: skip


def test_a_supplier_change_keeps_the_amounts_spread(tmp_path):
    (tmp_path / "s.csv").write_text(ISSUE_SCENARIOS)
    made = scenario_chains(load("ai-inference"), read_scenarios(tmp_path / "s.csv"))
    edges = made["french-grid"].edges.set_index(["source", "target"])
    assert edges.loc[("electricity-france", "electricity-datacentre-oregon"), "uncertainty"] == (
        "range(min=1.09, max=1.14)"
    )


def test_a_scenarios_file_with_semicolons_reads_decimal_commas(tmp_path):
    (tmp_path / "s.csv").write_text("scenario;change;source;target;value\ns;amount;a;b;2,5\n")
    assert read_scenarios(tmp_path / "s.csv")["value"].tolist() == ["2.5"]
