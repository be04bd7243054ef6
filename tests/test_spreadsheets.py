"""Tables as spreadsheets save them: semicolons and decimal commas (Excel where the comma is
the decimal mark), tabs, Windows-1252 and UTF-16 refused with the reason."""

import csv
import io

import pandas as pd
import pytest

from supplychain.cli import main
from supplychain.io import load, save_csv, validate
from supplychain.propagate import totals


def as_excel_saves(folder, separator=";"):
    """Rewrite every table of ``folder`` the way Excel saves CSV with a decimal comma."""
    for path in folder.glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
        header = rows[0]
        numbers = {i for i, name in enumerate(header) if name in ("amount", "value", "lat", "lon")}
        out = io.StringIO()
        writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
        for number, row in enumerate(rows):
            writer.writerow(
                [c.replace(".", ",") if number and i in numbers else c for i, c in enumerate(row)]
            )
        path.write_text(out.getvalue(), "utf-8")


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_graph_saved_with_decimal_commas_reads_as_the_same_graph(tmp_path, separator):
    chain = load("ai-inference")
    save_csv(chain, tmp_path / "g")
    as_excel_saves(tmp_path / "g", separator)
    assert ";0," in (tmp_path / "g" / "edges.csv").read_text().replace("\t", ";")
    again = load(tmp_path / "g")
    pd.testing.assert_frame_equal(totals(again), totals(chain))


def test_a_thousands_point_is_refused_as_ambiguous(tmp_path, capsys):
    save_csv(load("example"), tmp_path / "g")
    as_excel_saves(tmp_path / "g")
    edges = tmp_path / "g" / "edges.csv"
    text = edges.read_text().splitlines()
    cells = text[1].split(";")
    cells[2] = "1.234"
    text[1] = ";".join(cells)
    edges.write_text("\r\n".join(text) + "\r\n")
    problems = [p for p in validate(tmp_path / "g") if p.code == "ambiguous-number"]
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("edges.csv", 2, "amount", "1.234")
    ]
    assert main(["validate", str(tmp_path / "g")]) == 1
    assert "a thousands point or a decimal one" in capsys.readouterr().out


def test_a_comma_file_keeps_its_decimal_points(tmp_path):
    """Only a file separated by semicolons or tabs reads decimal commas."""
    save_csv(load("example"), tmp_path / "g")
    before = (tmp_path / "g" / "edges.csv").read_text()
    assert "," in before.splitlines()[0]
    pd.testing.assert_frame_equal(totals(load(tmp_path / "g")), totals(load("example")))


def test_windows_1252_and_utf16_are_refused_with_the_reason(tmp_path, capsys):
    save_csv(load("example"), tmp_path / "g")
    nodes = tmp_path / "g" / "nodes.csv"
    text = nodes.read_text("utf-8").rstrip("\n") + " (près de Kolwezi)\n"  # the last note
    nodes.write_bytes(text.encode("cp1252"))
    assert main(["validate", str(tmp_path / "g")]) == 1
    out = capsys.readouterr().out
    assert "('è' in Windows-1252, as Excel saves 'CSV')" in out
    nodes.write_bytes(text.encode("utf-16"))
    assert main(["validate", str(tmp_path / "g")]) == 1
    assert "is UTF-16 text (as Excel's 'Unicode text' saves it)" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["example", "ai-inference", "smart-speaker", "llm-inference"])
@pytest.mark.parametrize("to", ["xlsx", "graphml"])
def test_a_workbook_and_graphml_load_back_as_the_same_graph(tmp_path, name, to):
    from supplychain.io import graph_tables

    chain = load(name)
    target = tmp_path / f"g.{to}"
    assert main(["export", name, "--to", to, "-o", str(target)]) == 0
    again = load(target)
    for table, frame in graph_tables(chain).items():
        pd.testing.assert_frame_equal(
            graph_tables(again)[table], frame, check_dtype=False, obj=f"{to} {table}"
        )
    pd.testing.assert_frame_equal(totals(again), totals(chain))


def workbook(tmp_path, sheets):
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "mine.xlsx"
    book.save(path)
    return path


NODES = [["id", "kind", "unit"], ["ore", "mine", "kg"], ["metal", "material", "kg"]]


def test_a_workbook_as_an_analyst_writes_it(tmp_path):
    """Sheet names in any case, numbers as numbers, a header in another case."""
    path = workbook(
        tmp_path,
        {
            "Nodes": NODES,
            "EDGES": [["Source", "Target", "Amount"], ["ore", "metal", 1.25]],
            "impacts": [["node", "category", "value"], ["ore", "gwp", 4]],
        },
    )
    found = totals(load(path), category="gwp").set_index("node")["value"]
    assert found["metal"] == pytest.approx(5.0)


def test_a_bad_workbook_is_named_by_sheet_row_and_column(tmp_path, capsys):
    path = workbook(
        tmp_path,
        {
            "nodes": NODES,
            "edges": [["source", "target", "amount"], ["ore", "metal", "=1/0.8"]],
            "notes": [["whatever"]],
        },
    )
    problems = validate(path)
    formula = [p for p in problems if p.code == "formula-without-value"]
    assert [(p.table, p.row, p.column, p.value) for p in formula] == [
        ("edges", 2, "amount", "=1/0.8")
    ]
    assert formula[0].describe().startswith("mine.xlsx, sheet edges, row 2, column amount")
    assert any(p.code == "unknown-sheet" and not p.is_error for p in problems)
    assert main(["validate", str(path)]) == 1
    (tmp_path / "fake.xlsx").write_text("id,kind,unit\n")
    assert main(["validate", str(tmp_path / "fake.xlsx")]) == 1
    assert "not an Excel workbook (.xlsx)" in capsys.readouterr().out
    no_nodes = workbook(tmp_path, {"edges": [["source", "target", "amount"]]})
    assert any(p.code == "no-nodes" for p in validate(no_nodes))


def test_text_that_looks_like_a_formula_stays_text_in_a_written_workbook(tmp_path):
    from openpyxl import load_workbook

    from supplychain.tables import from_tables

    chain = from_tables(nodes=[{"id": "ore", "kind": "mine", "unit": "kg", "note": "=1+1"}])
    from supplychain.io import save_xlsx

    save_xlsx(chain, tmp_path / "g.xlsx")
    sheet = load_workbook(tmp_path / "g.xlsx")["nodes"]
    cell = sheet.cell(2, [c.value for c in sheet[1]].index("note") + 1)
    assert cell.data_type != "f" and cell.value == "=1+1"  # text, not a formula
    assert load(tmp_path / "g.xlsx").nodes.loc[0, "note"] == "=1+1"


def test_a_graphml_of_another_tool_is_refused_with_the_reason(tmp_path, capsys):
    import networkx as nx

    nx.write_graphml(nx.DiGraph([("a", "b")]), tmp_path / "other.graphml")
    assert main(["validate", str(tmp_path / "other.graphml")]) == 1
    assert "holds no supplychain graph" in capsys.readouterr().out


def test_a_control_character_is_named_not_a_traceback(tmp_path, capsys):
    from supplychain.tables import from_tables

    chain = from_tables(nodes=[{"id": "ore", "kind": "mine", "unit": "kg", "note": "p1\x0cp2"}])
    save_csv(chain, tmp_path / "g")
    assert (
        main(["export", str(tmp_path / "g"), "--to", "xlsx", "-o", str(tmp_path / "g.xlsx")]) == 1
    )
    err = capsys.readouterr().err
    assert "control character U+000C of nodes.csv, row 2, column note" in err
    assert not (tmp_path / "g.xlsx").exists()


def test_a_stale_dimension_loses_no_row(tmp_path):
    """A sheet whose saved <dimension> says fewer rows than it has (other programs write
    such files): every row is read."""
    import zipfile

    save_csv(load("example"), tmp_path / "g")
    main(["export", str(tmp_path / "g"), "--to", "xlsx", "-o", str(tmp_path / "g.xlsx")])
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(tmp_path / "g.xlsx") as source, zipfile.ZipFile(stale, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":  # edges
                text = data.decode()
                start = text.index('<dimension ref="') + len('<dimension ref="')
                end = text.index('"', start)
                data = (text[:start] + "A1:H3" + text[end:]).encode()
            out.writestr(item, data)
    assert len(load(stale).edges) == len(load("example").edges)


def test_a_graphml_edited_in_another_tool_is_refused_not_silently_read(tmp_path, capsys):
    import networkx as nx

    path = tmp_path / "g.graphml"
    assert main(["export", "example", "--to", "graphml", "-o", str(path)]) == 0
    graph = nx.read_graphml(path)
    source, target = next(iter(graph.edges))
    graph.edges[source, target]["amount_as_written"] = 100.0
    nx.write_graphml(graph, path)
    capsys.readouterr()
    assert main(["validate", str(path)]) == 1
    assert (
        f"was edited after export (the amount of {source} -> {target})" in capsys.readouterr().out
    )
