"""The reference tables of data/: every figure cites a source, and the tables agree."""

import re

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT

from supplychain.reference import DATA_TABLES, data_folder, read_table
from supplychain.schema import Transparency

DATA = PROJECT / "data"
TABLES = sorted(p.stem for p in DATA.glob("*.csv") if p.stem != "sources")
LEVELS = {level.value for level in Transparency}


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def test_the_shipped_data_is_found():
    assert data_folder() is not None
    assert set(DATA_TABLES) <= {*TABLES, "sources"}


@pytest.mark.parametrize("name", TABLES)
def test_every_table_reads_and_is_documented(name):
    read_table(name)
    assert f"## {name}.csv" in (DATA / "README.md").read_text()


@pytest.mark.parametrize("name", [t for t in TABLES if t != "countries"])
def test_every_number_cites_a_source_or_is_marked_missing(name):
    table = raw(name)
    sources = set(raw("sources")["id"])
    numeric = [
        c
        for c in table.columns
        if c not in ("year", "edition", "lifetime_years")
        and pd.to_numeric(table[c].replace("", np.nan), errors="coerce").notna().any()
    ]
    has_number = np.zeros(len(table), dtype=bool)
    for column in numeric:
        has_number |= pd.to_numeric(table[column].replace("", np.nan), errors="coerce").notna()
    assert table["transparency"].isin(LEVELS).all(), f"{name}: a bad transparency level"
    for position in np.flatnonzero(has_number):
        entry = table.iloc[position]
        cited = [s.strip() for s in entry["source"].split(";") if s.strip()]
        where = f"{name}.csv row {position + 2}"
        assert cited, f"{where}: a figure without a source"
        assert set(cited) <= sources, f"{where}: cites {cited}, not all in sources.csv"
        assert entry["transparency"] != "missing", f"{where}: a figure marked missing"
    blank = table[~has_number & (table["transparency"] == "missing")]
    if "note" in table:
        assert (blank["note"] != "").all(), f"{name}: a missing figure without a note"


def test_every_source_says_what_where_when_and_under_which_licence():
    sources = raw("sources")
    assert not sources["id"].duplicated().any()
    for column in ("title", "locator", "licence"):
        assert (sources[column] != "").all(), f"a source without {column}"
    for entry in sources.itertuples():
        assert re.fullmatch(r"\d{4}", entry.year) or "Year as found" in entry.note, entry.id


def test_every_country_is_coded():
    countries = raw("countries")
    assert countries["iso3"].str.fullmatch(r"[A-Z]{3}").all()
    assert not countries["iso3"].duplicated().any()
    for name in ("mine_production", "child_forced_labour", "conflict_minerals"):
        used = set(raw(name)["country"]) - {""}
        assert used <= set(countries["iso3"]), f"{name}: {used - set(countries['iso3'])}"


def test_country_rows_add_up_to_the_rounded_world_totals():
    production = read_table("mine_production")
    for (material, year), rows in production.groupby(["material", "year"]):
        world = rows.loc[rows["row_type"] == "world", "production"].sum()
        listed = rows.loc[rows["row_type"] != "world", "production"].sum()
        if world > 0:
            assert listed == pytest.approx(world, rel=0.05), f"{material} {year}"


def test_usgs_headline_shares():
    """Figures that anyone can check in MCS 2026 (2025 estimates)."""
    production = read_table("mine_production").set_index(["material", "country", "year"])
    assert production.loc[("cobalt", "COD", 2025), "production"] == 230_000
    assert production.loc[("tantalum", "RWA", 2025), "production"] == 400
    assert production.loc[("rare-earths", "CHN", 2025), "production"] == 270_000


def test_gold_and_germanium_are_marked_missing_not_invented():
    production = read_table("mine_production")
    for material in ("gold", "germanium"):
        rows = production[production["material"] == material]
        assert rows["production"].isna().all() and (rows["transparency"] == "missing").all()


def test_metal_impacts_say_how_far_they_were_checked():
    metals = raw("metal_impacts")
    figures = metals[metals["gwp"] != ""]
    assert figures["check"].isin(["confirmed", "corroborated", "unconfirmed"]).all()
    gold = metals.set_index("material").loc["gold"]
    assert float(gold["gwp"]) == 12500  # the paper's headline value


def test_dol_listings_map_to_materials_and_countries():
    labour = raw("child_forced_labour")
    assert labour[["country", "material"]].ne("").all().all()
    drc = labour[(labour["country"] == "COD") & (labour["material"] == "cobalt")]
    assert list(drc["child_labour"]) == ["true"]
