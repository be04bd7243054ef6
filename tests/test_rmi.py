"""RMI reporting templates (CMRT, EMRT) built here with openpyxl in the layout of RMI's
files (Smelter List header in row 4, smelters from row 5, the revision in row 3, the
country list in sheet C), read into smelters and merged into the shipped server's GPU."""

import pytest

from supplychain.cli import main
from supplychain.errors import InvalidDataError
from supplychain.io import load
from supplychain.propagate import totals
from supplychain.rmi import read_template, smelter_tables
from supplychain.social import evidence, exposure
from supplychain.tables import from_tables

GPU = "gpu-a100-sxm4-80gb"
HEADER = [
    "Smelter Identification Number Input Column", "Metal (*)", "Smelter Look-up (*)",
    "Smelter Name (1)", "Smelter Country (*)", "Smelter Identification",
    "Source of Smelter Identification Number", "Smelter Street", "Smelter City",
    "Smelter Facility Location: State / Province", "Smelter Contact Name",
    "Smelter Contact Email", "Proposed next steps", "Name of Mine(s)",
    "Location (Country) of Mine(s)", "100% recycled or scrap?", "Comments",
    "Standard Smelter Name", "Country Code", "State / Province Code",
]  # fmt: skip
COUNTRIES = [
    ("CD", "CONGO, DEMOCRATIC REPUBLIC OF THE"), ("RW", "RWANDA"), ("ID", "INDONESIA"),
    ("CN", "CHINA"), ("KR", "KOREA, REPUBLIC OF"), ("MY", "MALAYSIA"),
]  # fmt: skip


def smelter(metal, name, country, cid="", mines="", recycled="No"):
    """A Smelter List row, columns A to Q."""
    return [cid, metal, name, name, country, cid, "RMI" if cid else "", "", "City", "", "", "",
            "", "", mines, recycled, ""]  # fmt: skip


CMRT_ROWS = [
    smelter("Tantalum", "Tantalum Smelter Kigali", "RWANDA", "CID002504"),
    smelter("Tin", "Tin Smelter Bangka", "INDONESIA", "CID001234",
            mines="CONGO, DEMOCRATIC REPUBLIC OF THE, RWANDA"),
    smelter("Tin", "Tin Recycler", "KOREA, REPUBLIC OF", "CID004321", recycled="Yes"),
    smelter("Gold", "A Gold Refiner", "CHINA", "CID000211"),
]  # fmt: skip


REVISION = "Revision 6.5\nApril 25, 2025"


def template(tmp_path, rows=CMRT_ROWS, kind="CMRT", revision=REVISION, sheet="Smelter List",
             countries=COUNTRIES, header=HEADER, name="supplier.xlsx"):  # fmt: skip
    from openpyxl import Workbook

    book = Workbook()
    declaration = book.active
    declaration.title = "Declaration"
    title = {"CMRT": "Conflict Minerals Reporting Template (CMRT)",
             "EMRT": "Extended Minerals Reporting Template (EMRT)"}[kind]  # fmt: skip
    declaration["B2"] = title
    smelters = book.create_sheet(sheet)
    smelters["B2"] = "First:"
    smelters["Q3"] = revision
    for column, label in enumerate(header, start=1):
        smelters.cell(4, column, label)
    for number, row in enumerate(rows, start=5):
        for column, value in enumerate(row, start=1):
            smelters.cell(number, column, value or None)
    listed = book.create_sheet("C")
    listed.append(["COUNTRY CODE LIST", "FULL NAME"])
    for code, country in countries:
        listed.append([code, country])
    path = tmp_path / name
    book.save(path)
    return path


def test_a_cmrt_reads_into_smelters_with_coded_countries(tmp_path):
    found = read_template(template(tmp_path))
    assert (found.kind, found.version) == ("CMRT", "6.5")
    rows = found.smelters.set_index("facility_id")
    assert rows.loc["CID002504", "country"] == "RWA"
    assert rows.loc["CID001234", "mine_countries"] == "COD;RWA"  # the DRC's comma kept
    assert rows.loc["CID004321", "country"] == "KOR" and rows.loc["CID004321", "recycled"]
    assert list(rows["metal"]) == ["tantalum", "tin", "tin", "gold"]


def merged(tmp_path, rows=CMRT_ROWS, kind="CMRT", revision="Revision 6.5\nApril 25, 2025"):
    tables, notes = smelter_tables(
        read_template(template(tmp_path, rows, kind, revision)), load("ai-inference"), GPU
    )
    return from_tables("merged", **tables), notes


def test_merged_into_the_gpu_the_smelters_carry_its_metals(tmp_path):
    chain, notes = merged(tmp_path)
    assert notes == []
    edges = chain.edges.set_index(["source", "target"])
    assert ("tantalum-for-" + GPU, GPU) in edges.index
    assert ("tantalum", GPU) not in edges.index  # the GPU's tantalum now comes from them
    assert ("tantalum", "printed-circuit-board") in edges.index  # the rest keeps its own
    assert edges.loc[("smelter-tin-cid001234", "tin-for-" + GPU), "amount"] == pytest.approx(0.5)
    assert edges.loc[("smelter-tin-cid001234", "tin-for-" + GPU), "transparency"] == "missing"
    assert edges.loc[("tin-mining-cod", "smelter-tin-cid001234"), "amount"] == pytest.approx(0.5)
    smelter = chain.nodes.set_index("id").loc["smelter-tantalum-cid002504"]
    assert (smelter["facility_id"], smelter["country"]) == ("CID002504", "RWA")
    # a smelter with no declared mine takes the world prior: the tantalum mass is as before
    mass = totals(chain).set_index(["node", "category"])
    before = totals(load("ai-inference")).set_index(["node", "category"])
    assert mass.loc[("tantalum-for-" + GPU, "gwp"), "value"] == pytest.approx(
        before.loc[("tantalum", "gwp"), "value"], rel=1e-9
    )


def test_social_and_audit_name_the_smelters_their_countries_and_the_gaps(tmp_path):
    from supplychain.audit import audit

    chain, _ = merged(tmp_path)
    conflict = evidence(chain, GPU, "conflict", top=100)
    assert {"smelter-tantalum-cid002504"} <= set(conflict["source_node"])  # in Rwanda: in scope
    assert "RWA" in set(conflict["country"])
    scope = chain.social.set_index(["node", "indicator"])
    assert "smelter or refiner" in scope.loc[("smelter-tantalum-cid002504", "conflict"), "note"]
    gaps = audit(chain, [GPU], samples=None).gaps.set_index("gap")
    gap = gaps.loc["smelter-tantalum-cid002504 -> tantalum-for-" + GPU]
    assert gap["kind"] == "smelter share" and "volumes by smelter" in gap["close_with"]
    before = exposure(load("ai-inference"), GPU).set_index("indicator").loc["conflict", "share"]
    after = exposure(chain, GPU).set_index("indicator").loc["conflict", "share"]
    assert after > before  # tin from the DRC and Rwanda, declared, and a smelter in Rwanda


def test_an_emrt_of_cobalt_merges_too(tmp_path):
    rows = [smelter("Cobalt", "A Cobalt Refinery", "CHINA", "CID003875",
                    mines="CONGO, DEMOCRATIC REPUBLIC OF THE")]  # fmt: skip
    chain, notes = merged(tmp_path, rows, "EMRT", "Revision 2.1\nOctober 17, 2025")
    edges = chain.edges.set_index(["source", "target"])
    assert ("cobalt-mining-cod", "smelter-cobalt-cid003875") in edges.index
    assert ("cobalt-for-" + GPU, GPU) in edges.index


def test_a_metal_the_component_does_not_take_is_said(tmp_path):
    rows = [*CMRT_ROWS, smelter("Tungsten", "W Smelter", "CHINA", "CID000999")]
    _, notes = smelter_tables(read_template(template(tmp_path, rows)), load("example"), "gpu-a100")
    assert any("takes no tungsten" in note for note in notes) or notes == []


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"sheet": "Smelters"}, "no sheet 'Smelter List'"),
        ({"revision": "Revision 7.0\nJanuary 1, 2030"}, "CMRT version 7.0 is not one"),
        ({"rows": []}, "names no smelter"),
        ({"rows": [smelter("Tin", "X", "CHINA", "CID12")]}, "not an RMI smelter id"),
        ({"rows": [smelter("Cobalt", "X", "CHINA")]}, "not a metal the CMRT reports"),
        ({"rows": [smelter("Tin", "X", "ATLANTIS")]}, "country list does not name"),
        ({"header": HEADER[:17]}, "not the Smelter List layout"),
    ],
)
def test_a_bad_template_is_named_by_sheet_row_and_column(tmp_path, change, match, capsys):
    path = template(tmp_path, **change)
    with pytest.raises(InvalidDataError) as caught:
        read_template(path)
    described = "\n".join(p.describe() for p in caught.value.problems)
    assert match in described, described
    assert main(["rmi", str(path)]) == 1
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_the_cid_error_names_sheet_row_and_column(tmp_path):
    path = template(tmp_path, rows=[CMRT_ROWS[0], smelter("Tin", "X", "CHINA", "CID12")])
    with pytest.raises(InvalidDataError) as caught:
        read_template(path)
    (problem,) = caught.value.problems
    assert problem.describe().startswith(
        "supplier.xlsx, sheet Smelter List, row 6, column F (Smelter Identification), value 'CID12'"
    )


def test_not_a_workbook_is_refused(tmp_path, capsys):
    (tmp_path / "t.xlsx").write_text("metal,smelter\n")
    assert main(["rmi", str(tmp_path / "t.xlsx")]) == 1
    assert "not an Excel workbook" in capsys.readouterr().err


def test_the_command_merges_in_one_step_and_the_commands_read_it(tmp_path, capsys):
    path = template(tmp_path)
    out = tmp_path / "merged"
    assert (
        main(["rmi", str(path), "--into", "ai-inference", "--component", GPU, "-o", str(out)]) == 0
    )
    shown = capsys.readouterr()
    assert "Tantalum Smelter Kigali" in shown.out and "wrote" in shown.err
    assert main(["social", str(out), GPU, "--indicator", "conflict"]) == 0
    assert "smelter-tantalum-cid002504" in capsys.readouterr().out
    assert main(["audit", str(out), GPU, "--top", "40"]) == 0
    assert "smelter-tantalum-cid" in capsys.readouterr().out
    assert main(["rmi", str(path), "--into", "ai-inference"]) == 2  # --component too
    assert main(["rmi", str(path), "-o", str(tmp_path / "alone")]) == 0  # on its own
    alone = load(tmp_path / "alone")
    assert {"tantalum", "tin", "gold"} <= set(alone.nodes["id"])


def test_a_gold_smelter_declaring_a_country_without_a_production_figure(tmp_path):
    """Gold has no production prior: a declared mine country gets a mine of its own,
    marked missing (it was an unknown node)."""
    rows = [smelter("Gold", "A Gold Refiner", "CHINA", "CID000211", mines="CHINA")]
    chain, _ = merged(tmp_path, rows)
    mine = chain.nodes.set_index("id").loc["gold-mining-chn"]
    assert (mine["kind"], mine["transparency"]) == ("mine", "missing")


def test_one_id_under_two_metals_is_two_smelters(tmp_path):
    rows = [smelter("Tin", "Dual", "CHINA", "CID001234"),
            smelter("Tantalum", "Dual", "CHINA", "CID001234")]  # fmt: skip
    chain, _ = merged(tmp_path, rows)
    found = totals(chain, category="gwp").set_index("node")["value"]
    before = totals(load("ai-inference"), category="gwp").set_index("node")["value"]
    assert found["tantalum-for-" + GPU] == pytest.approx(before["tantalum"], rel=1e-9)
    assert found["tin-for-" + GPU] == pytest.approx(before["tin"], rel=1e-9)


def test_a_recycled_feed_is_no_free_metal(tmp_path):
    """100 % recycled: mined nowhere, but the primary metal's figures stand in (estimated,
    an upper bound); before, half of the tin weighed nothing."""
    rows = [smelter("Tin", "Tin Recycler", "KOREA, REPUBLIC OF", "CID004321", recycled="Yes")]
    chain, _ = merged(tmp_path, rows)
    found = totals(chain, category="gwp").set_index("node")
    before = totals(load("ai-inference"), category="gwp").set_index("node")["value"]
    assert found.loc["tin-for-" + GPU, "value"] == pytest.approx(before["tin"], rel=0.2)
    mass = exposure(chain, "tin-for-" + GPU).set_index("indicator")["mined"]
    assert mass.iloc[0] == 0.0


def test_smelters_not_yet_identified_stay_apart_and_missing(tmp_path):
    rows = [smelter("Tin", "Smelter not yet identified", "CHINA"),
            smelter("Tin", "Smelter not yet identified", "RWANDA")]  # fmt: skip
    for row in rows:
        row[3] = ""  # no name, only the look-up
    chain, _ = merged(tmp_path, rows)
    nodes = chain.nodes.set_index("id")
    unidentified = nodes[nodes.index.str.contains("not-yet-identified")]
    assert sorted(unidentified["country"]) == ["CHN", "RWA"]
    assert (unidentified["transparency"] == "missing").all()
