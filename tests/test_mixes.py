"""Sourcing mixes written from the production table: shares, the mining layer, the command."""

import math

import pandas as pd
import pytest

from supplychain.cli import main
from supplychain.errors import SupplyChainError
from supplychain.io import load, validate
from supplychain.mixes import mine_layer, production_shares
from supplychain.reference import read_table
from supplychain.tables import from_tables
from supplychain.trace import requirements_by_country

COUNTRIES = pd.DataFrame({"iso3": ["AAA", "BBB", "CCC"], "name": ["Aland", "Bland", "Cland"]})


def production(*rows):
    """A production table of (country, row_type, tonnes) rows for material ``m`` in 2024."""
    return pd.DataFrame(
        [
            {
                "material": "m",
                "country": c,
                "year": 2024,
                "production": t,
                "unit": "t",
                "row_type": r,
                "source": "s",
            }
            for c, r, t in rows
        ]
    )


def test_shares_are_of_the_listed_rows_and_add_up_to_one():
    table = production(
        ("AAA", "country", 60.0),
        ("BBB", "country", 30.0),
        ("", "other", 10.0),
        ("", "world", 95.0),  # a rounded world total is not the denominator
    )
    shares = production_shares("m", production=table, countries=COUNTRIES)
    assert list(shares["node"]) == ["m-mining-aaa", "m-mining-bbb", "m-mining-other"]
    assert list(shares["share"]) == [0.6, 0.3, 0.1]
    assert list(shares["country_name"]) == ["Aland", "Bland", "rest of the world"]


def test_small_countries_fold_into_the_rest_of_the_world():
    table = production(("AAA", "country", 90.0), ("BBB", "country", 6.0), ("CCC", "country", 4.0))
    shares = production_shares("m", min_share=0.05, production=table, countries=COUNTRIES)
    assert list(shares["node"]) == ["m-mining-aaa", "m-mining-bbb", "m-mining-other"]
    assert shares["share"].tolist() == pytest.approx([0.9, 0.06, 0.04])
    assert shares["note"].iloc[-1] == "together: Cland"


def test_zero_and_missing_production_count_for_nothing():
    table = production(("AAA", "country", 5.0), ("BBB", "country", 0.0), ("CCC", "country", None))
    shares = production_shares("m", production=table, countries=COUNTRIES)
    assert list(shares["node"]) == ["m-mining-aaa"] and list(shares["share"]) == [1.0]


@pytest.mark.parametrize(
    "table, message",
    [
        (production(("AAA", "country", 5.0)).assign(material="x"), "no rows for material 'm'"),
        (production(("", "world", None)), "no production figure for 'm'"),
    ],
)
def test_a_material_without_figures_is_refused_by_name(table, message):
    with pytest.raises(SupplyChainError, match=message):
        production_shares("m", production=table, countries=COUNTRIES)


def test_shipped_cobalt_mix_is_the_usgs_table():
    shares = production_shares("cobalt", year=2025)
    assert shares["share"].sum() == pytest.approx(1, abs=1e-12)
    drc = shares.set_index("country").loc["COD"]
    assert drc["production"] == 230_000
    assert drc["share"] == pytest.approx(230_000 / 314_600)  # listed rows sum to 314,600 t


def test_the_mining_layer_loads_and_traces_cobalt_to_its_countries():
    layer = mine_layer(["cobalt", "tantalum"], year=2025, min_share=0.05)
    chain = from_tables(**layer)
    assert not [w for w in chain.warnings if w.is_error]
    by_country = requirements_by_country(chain, "cobalt").set_index("country")
    assert by_country.loc["COD", "amount"] == pytest.approx(230_000 / 314_600)  # no site in 2025
    assert by_country["amount"].sum() == pytest.approx(1)
    assert set(layer["sources"]["id"]) >= set(layer["edges"]["source_ref"].dropna()) - {""}


def test_mines_carry_the_metal_impacts_and_the_labour_listings():
    layer = mine_layer(["cobalt"])
    metal = read_table("metal_impacts").set_index("material").loc["cobalt"]
    gwp = layer["impacts"][layer["impacts"]["category"] == "gwp"]
    assert set(gwp["value"]) == {metal["gwp"]}
    assert set(gwp["node"]) == set(layer["nodes"].query("kind == 'mine'")["id"])
    drc = layer["social"][layer["social"]["node"] == "cobalt-mining-cod"]
    assert ("child_labour", "high") in set(zip(drc["indicator"], drc["level"], strict=True))
    assert "cobalt-mining-aus" not in set(layer["social"]["node"])  # not listed: no row


def levels(layer: dict, indicator: str) -> dict[str, str]:
    """Node -> level of one indicator in the social rows of a mining layer."""
    social = layer["social"][layer["social"]["indicator"] == indicator]
    return dict(zip(social["node"], social["level"], strict=True))


def test_3tg_from_the_drc_and_its_neighbours_carry_the_conflict_level():
    conflict = levels(mine_layer(["tantalum", "cobalt"]), "conflict")
    assert conflict == {
        "tantalum-mining-cod": "high",
        "tantalum-mining-rwa": "high",
        "tantalum-mining-bdi": "high",  # Burundi borders the DRC
    }  # not Brazil's tantalum, not the DRC's cobalt: the rule covers 3TG only


def test_a_named_mine_in_the_drc_keeps_the_rules_scope_not_the_dol_listing():
    layer = mine_layer(["tin"])
    conflict = levels(layer, "conflict")
    # the rule's scope follows the country of origin; the DOL lists countries, not mines
    assert conflict["tin-mining-cod"] == conflict["tin-mine-bisie"] == "high"
    assert "tin-mine-bisie" not in levels(layer, "child_labour")


def test_gold_without_a_prior_has_an_unknown_conflict_level():
    layer = mine_layer(["gold"])
    social = layer["social"].set_index(["node", "indicator"])
    row = social.loc[("gold-unknown-origin", "conflict")]
    assert row["level"] == "unknown"
    assert row["transparency"] == "missing"
    assert "10 countries" in row["note"]


def test_the_unknown_origin_is_missing_and_takes_the_world_mix():
    nodes = mine_layer(["tin"])["nodes"].set_index("id")
    assert nodes.loc["tin-unknown-origin", "transparency"] == "missing"
    assert nodes.loc["tin", "kind"] == "material"


def test_mix_command_prints_the_shares(capsys):
    assert main(["mix", "cobalt", "--min-share", "0.05", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("material,node,country")
    assert "cobalt-mining-cod,COD" in out


def test_mix_command_writes_a_valid_graph_and_never_overwrites(tmp_path, capsys):
    folder = tmp_path / "mines"
    assert main(["mix", "cobalt", "tantalum", "-o", str(folder)]) == 0
    assert [p for p in validate(folder) if p.is_error] == []
    chain = load(folder)
    assert math.isclose(chain.edges["amount"].sum(), 4.0)  # two mixes of 1 and two 1:1 links
    before = (folder / "nodes.csv").read_bytes()
    assert main(["mix", "tin", "-o", str(folder)]) == 1
    assert "already holds" in capsys.readouterr().err
    assert (folder / "nodes.csv").read_bytes() == before


def test_mix_command_names_an_unknown_material(capsys):
    assert main(["mix", "unobtainium"]) == 1
    err = capsys.readouterr().err
    assert "no rows for material 'unobtainium'" in err and "cobalt" in err
    assert "Traceback" not in err


def test_a_bad_production_figure_is_named_with_file_row_and_column(tmp_path):
    path = tmp_path / "mine_production.csv"
    path.write_text(
        "material,country,year,production,unit,row_type,source\n"
        "m,AAA,2025,12,t,country,s\n"
        "m,BBB,2025,1.2.3,t,country,s\n"
    )
    with pytest.raises(SupplyChainError) as caught:
        read_table("mine_production", path)
    [problem] = caught.value.problems
    assert problem.describe() == (
        "mine_production.csv, row 3, column production, value '1.2.3': expected a finite"
        " number (or an empty cell)"
    )


def sites(*rows):
    """A mine_sites table of (id, country, tonnes, comparable) rows for ``m`` in 2024."""
    return pd.DataFrame(
        [
            {"id": i, "material": "m", "country": c, "year": 2024, "production": t,
             "unit": "t", "comparable": ok, "source": "site-report"}
            for i, c, t, ok in rows
        ]
    )  # fmt: skip


def test_a_named_mine_is_carved_out_of_its_country():
    table = production(("AAA", "country", 60.0), ("BBB", "country", 40.0))
    named = sites(("m-mine-big", "AAA", 45.0, "true"), ("m-mine-vague", "BBB", 30.0, "false"))
    shares = production_shares("m", production=table, countries=COUNTRIES, sites=named)
    found = shares.set_index("node")
    assert found.loc["m-mine-big", "share"] == 0.45 and found.loc["m-mine-big", "site"]
    assert found.loc["m-mining-aaa", "production"] == 15.0  # 60 - 45
    assert found.loc["m-mining-bbb", "share"] == 0.4  # not comparable: left in the country
    assert "m-mine-vague" not in found.index
    assert shares["share"].sum() == pytest.approx(1)


def test_a_named_mine_larger_than_its_country_is_refused():
    table = production(("AAA", "country", 10.0))
    named = sites(("m-mine-big", "AAA", 45.0, "true"))
    with pytest.raises(SupplyChainError, match="named m mines of AAA produce 45"):
        production_shares("m", production=table, countries=COUNTRIES, sites=named)


def test_shipped_named_mines_become_nodes_without_country_listings():
    layer = mine_layer(["cobalt"])
    nodes = layer["nodes"].set_index("id")
    assert nodes.loc["cobalt-mine-tfm-kfm", "operator"].startswith("CMOC")
    assert nodes.loc["cobalt-mine-tfm-kfm", "transparency"] == "disclosed"
    edges = layer["edges"].set_index("source")
    tfm = edges.loc["cobalt-mine-tfm-kfm"]
    assert tfm["amount"] == pytest.approx(114_165 / 301_590)  # CMOC 2024 / USGS listed rows
    assert tfm["source_ref"] == "ms-cmoc-2024-results;usgs-mcs2026-cobalt"
    assert "cobalt-mine-tfm-kfm" not in set(layer["social"]["node"])
    assert "cobalt-mining-cod" in set(layer["social"]["node"])
