"""The command line, end to end through main([...]) and as a real process."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from conftest import PROJECT, write_graph
from conftest import run_cli as run

from supplychain.cli import main
from supplychain.io import load


def test_report_on_the_default_graph(capsys):
    code, out, err = run(capsys, "report")
    assert code == 0 and err == ""
    assert "supplychain report: ai-inference" in out
    for title in ("nodes by kind", "transparency of the data", "sources", "validation warnings"):
        assert f"== {title}" in out


def test_report_json_has_every_section(capsys):
    code, out, _ = run(capsys, "report", "example", "--format", "json")
    sections = json.loads(out)
    assert code == 0
    assert {"graph", "nodes by kind", "sources", "validation warnings"} <= set(sections)
    counts = {row["item"]: row["count"] for row in sections["graph"]}
    assert counts["nodes"] == len(load("example").nodes)
    mix = {row["table"]: row for row in sections["transparency of the data"]}
    assert (
        sum(mix["edges"][level] for level in ("disclosed", "published", "estimated", "missing"))
        == (mix["edges"]["rows"])
    )


def test_report_csv_is_one_table_with_a_section_column(capsys):
    code, out, _ = run(capsys, "report", "--format", "csv")
    frame = pd.read_csv(StringIO(out))
    assert code == 0 and frame.columns[0] == "section"
    assert "nodes by kind" in set(frame["section"])


def test_validate_exit_codes(capsys, minimal_graph, tmp_path):
    assert run(capsys, "validate", str(minimal_graph))[0] == 0
    broken = write_graph(tmp_path / "broken", {"nodes.csv": "id,kind,unit\na,rock,kg\n"})
    code, out, _ = run(capsys, "validate", str(broken))
    assert code == 1
    assert "nodes.csv, row 2, column kind, value 'rock': unknown kind" in out
    assert "invalid: 1 error" in out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_validate_machine_formats_list_every_problem(capsys, tmp_path, fmt):
    broken = write_graph(
        tmp_path / "broken",
        {
            "nodes.csv": "id,kind,unit\na,rock,kg\nb,mine,kgg\n",
            "edges.csv": "source,target,amount\na,b,x\n",
        },
    )
    code, out, _ = run(capsys, "validate", str(broken), "--format", fmt)
    frame = pd.read_csv(StringIO(out)) if fmt == "csv" else pd.DataFrame(json.loads(out))
    assert code == 1
    errors = frame[frame["severity"] == "error"]
    assert set(errors["code"]) == {"unknown-kind", "unknown-unit", "not-a-number"}
    assert set(errors["row"]) == {2, 3}


def test_validate_limit_hides_the_rest_with_a_count(capsys, tmp_path):
    rows = "".join(f"n{i},rock,kg\n" for i in range(30))
    broken = write_graph(tmp_path / "many", {"nodes.csv": "id,kind,unit\n" + rows})
    _, out, _ = run(capsys, "validate", str(broken), "--limit", "5")
    assert out.count("unknown kind") == 5
    assert "... and 25 more 'unknown-kind' problems in nodes.csv" in out


def test_report_on_a_graph_without_services_heads_with_its_end_products(capsys, tmp_path):
    assert main(["mix", "cobalt", "tin", "-o", str(tmp_path / "mines")]) == 0
    capsys.readouterr()
    assert main(["report", str(tmp_path / "mines"), "--no-page", "--format", "json"]) == 0
    sections = json.loads(capsys.readouterr().out)
    (headline,) = [v for k, v in sections.items() if k.startswith("headline")]
    assert {row["node"] for row in headline} == {"cobalt", "tin"}  # no empty rows
    assert all(row["kind"] == "material" for row in headline)


def test_report_on_an_invalid_graph_fails_cleanly(capsys, tmp_path):
    broken = write_graph(tmp_path / "broken", {"nodes.csv": "id,kind,unit\na,rock,kg\n"})
    code, out, err = run(capsys, "report", str(broken))
    assert code == 1 and out == ""
    assert "unknown kind" in err and "nothing was done" in err


def test_unknown_path_names_the_shipped_graphs(capsys):
    code, _, err = run(capsys, "validate", "no-such-graph")
    assert code == 1
    assert err.strip() == (
        "supplychain: no-such-graph: no such file or folder, and no shipped graph of that name"
        " (shipped: ai-inference, example, llm-inference, smart-speaker)"
    )


@pytest.mark.parametrize(
    ("to", "name"), [("json", "g.json"), ("csv", "g"), ("graphml", "g.graphml")]
)
def test_export_writes_and_refuses_to_overwrite(capsys, minimal_graph, tmp_path, to, name):
    target = tmp_path / name
    assert run(capsys, "export", str(minimal_graph), "--to", to, "-o", str(target))[0] == 0
    assert target.exists()
    code, _, err = run(capsys, "export", str(minimal_graph), "--to", to, "-o", str(target))
    assert code == 1 and ("exists" in err or "already holds" in err)
    assert (
        run(capsys, "export", str(minimal_graph), "--to", to, "-o", str(target), "--overwrite")[0]
        == 0
    )


def test_export_never_writes_onto_its_input(capsys, minimal_graph):
    before = (minimal_graph / "nodes.csv").read_bytes()
    code, _, err = run(
        capsys, "export", str(minimal_graph), "--to", "csv", "-o", str(minimal_graph), "--overwrite"
    )
    assert code == 1 and "onto the graph being read" in err
    assert (minimal_graph / "nodes.csv").read_bytes() == before


def test_export_json_then_validate_it(capsys, tmp_path):
    target = tmp_path / "example.json"
    assert run(capsys, "export", "example", "--to", "json", "-o", str(target))[0] == 0
    assert run(capsys, "validate", str(target))[0] == 0


def test_graphs_lists_the_shipped_graphs(capsys):
    code, out, _ = run(capsys, "graphs", "--format", "json")
    assert code == 0
    assert "example" in {row["name"] for row in json.loads(out)}


def test_usage_errors_exit_2(capsys):
    assert main(["impactz"]) == 2
    assert main(["export", "example"]) == 2  # --to and -o are required
    capsys.readouterr()


def test_python_dash_m_runs_from_any_directory(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "supplychain", "validate", "example"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PROJECT), "PATH": ""},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "example: valid" in result.stdout


def test_console_script_when_installed(tmp_path):
    script = Path(sys.executable).parent / "supplychain"
    if not script.exists():
        pytest.skip(f"the package is not installed in {Path(sys.executable).parent}")
    result = subprocess.run(
        [str(script), "--version"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("supplychain ")


def test_impacts_json_records_keep_full_precision(capsys):
    from supplychain.propagate import totals

    code, out, _ = run(capsys, "impacts", "example", "--format", "json")
    records = json.loads(out)
    assert code == 0
    assert {"node", "category", "value", "unit", "per", "opacity"} <= set(records[0])
    expected = totals(load("example")).set_index(["node", "category"])["value"]
    for record in records:
        value = expected[(record["node"], record["category"])]
        if value != value:  # no figure upstream: null, not 0
            assert record["value"] is None
        else:
            assert record["value"] == value  # exact


def test_impacts_csv_keeps_full_precision(capsys):
    from supplychain.propagate import totals

    code, out, _ = run(capsys, "impacts", "example", "--category", "gwp", "--format", "csv")
    frame = pd.read_csv(StringIO(out))
    expected = totals(load("example"), category="gwp")
    assert code == 0
    assert frame["value"].tolist() == expected["value"].tolist()


def test_impacts_of_one_node_in_one_category(capsys):
    code, out, _ = run(
        capsys, "impacts", "example", "--node", "image-generation", "--category", "gwp"
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3 and lines[2].startswith("image-generation")
    assert "kg CO2e" in lines[2] and "1000 queries" in lines[2]


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--node", "image-generaton", "did you mean 'image-generation'"),
        ("--category", "co2", "gwp"),
    ],
)
def test_impacts_unknown_node_or_category(capsys, option, value, words):
    code, _, err = run(capsys, "impacts", "example", option, value)
    assert code == 1 and words in err


@pytest.mark.parametrize("by", ["node", "material", "country"])
def test_trace_in_every_grouping_and_format(capsys, by):
    code, out, _ = run(capsys, "trace", "example", "server-8xa100", "--by", by, "--format", "json")
    sections = json.loads(out)
    assert code == 0
    (requirements_title,) = [t for t in sections if t.startswith("requirements")]
    assert f"(by {by})" in requirements_title
    assert any(t.startswith("supply paths") for t in sections)
    code, out, _ = run(capsys, "trace", "example", "server-8xa100", "--by", by)
    assert code == 0 and "== supply paths by share of gwp" in out


def test_trace_by_country_names_the_unknown_origin(capsys):
    code, out, _ = run(
        capsys, "trace", "example", "server-8xa100", "--by", "country", "--format", "csv"
    )
    frame = pd.read_csv(StringIO(out), keep_default_na=False)
    cobalt = frame[
        (frame["section"].str.startswith("requirements")) & (frame["material"] == "cobalt")
    ]
    assert code == 0
    assert cobalt["country"].tolist() == ["COD", "IDN", "(unknown)"]
    assert cobalt["share"].astype(float).sum() == pytest.approx(1)


@pytest.mark.parametrize("cutoff", ["1.5", "-0.1", "half"])
def test_trace_refuses_a_cutoff_that_is_no_share(capsys, cutoff):
    assert main(["trace", "example", "gpu-a100", "--cutoff", cutoff]) == 2
    assert "--cutoff" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["uncertainty", "example", "--seed", "-1"],
        ["audit", "example", "--samples", "50", "--seed", "-1"],
        ["viz", "example", "--seed", "-3"],
        ["viz", "example", "--samples", "1"],
        ["viz", "example", "--samples", "-5"],
        ["uncertainty", "example", "--top", "-2"],
        ["audit", "example", "--top", "-1"],
        ["audit", "example", "--limit", "-1"],
        ["validate", "example", "--limit", "-1"],
    ],
)
def test_a_bad_number_is_refused_by_the_parser_without_a_traceback(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert argv[-2] in err and "Traceback" not in err


def test_a_chart_with_nothing_to_draw_is_refused(capsys, tmp_path):
    assert main(["mix", "cobalt", "-o", str(tmp_path / "mines")]) == 0
    chart = tmp_path / "c.svg"
    assert (
        main(["uncertainty", str(tmp_path / "mines"), "--samples", "5", "--chart", str(chart)]) == 1
    )
    assert "nothing to chart" in capsys.readouterr().err and not chart.exists()


def test_a_repeated_percentile_is_reported_once(capsys):
    code = main(["uncertainty", "example", "--samples", "20", "--percentiles", "50", "50"])
    header = capsys.readouterr().out.splitlines()[1].split()
    assert code == 0 and header.count("p50") == 1


def test_a_loop_that_needs_itself_is_refused_by_name(capsys, tmp_path):
    folder = write_graph(
        tmp_path / "loop",
        {
            "nodes.csv": "id,kind,unit\nbauxite,mine,kg\nscrap,material,kg\nmetal,material,kg\n",
            "edges.csv": "source,target,amount\nbauxite,metal,1\nmetal,scrap,1\nscrap,metal,1.2\n",
            "impacts.csv": "node,category,value\nbauxite,gwp,1\n",
        },
    )
    for command in (["impacts", str(folder)], ["trace", str(folder), "metal"]):
        code, out, err = run(capsys, *command)
        assert code == 1 and out == ""
        assert "the loop" in err and "scrap" in err and "metal" in err and "bauxite" not in err


def test_report_shows_headline_totals_and_hotspots(capsys):
    code, out, _ = run(capsys, "report", "example", "--format", "json")
    sections = json.loads(out)
    (headline,) = [v for k, v in sections.items() if k.startswith("headline totals")]
    (spots,) = [v for k, v in sections.items() if k.startswith("hotspots")]
    assert code == 0
    assert {row["node"] for row in headline} == {
        "image-generation",
        "text-classification",
        "server-8xa100",
    }
    assert all("opacity" in row for row in headline)
    assert spots[0]["node"] == "image-generation" and spots[0]["hotspot"] == "electricity-usa"


def test_a_graph_read_as_dot_is_named_by_its_folder(tmp_path, monkeypatch, capsys):
    assert main(["export", "example", "--to", "csv", "-o", str(tmp_path / "mine")]) == 0
    capsys.readouterr()
    monkeypatch.chdir(tmp_path / "mine")
    assert main(["validate", "."]) == 0
    assert capsys.readouterr().out.startswith("mine: valid")  # it read ": valid"


def test_the_report_opens_with_a_summary_and_fits_100_columns(capsys):
    """Piped, the report's tables fit 100 columns (it ran to 287); --full keeps them whole."""
    assert main(["report", "--no-page"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[2] == "== summary, in gwp =="
    assert lines[3].startswith("training-bloomz-7b1: 2456 kg CO2e per item (P5-P95")
    assert "image-generation: 1.557 kg CO2e per 1000 queries (P5-P95 0.442 to 4.62)" in out
    assert "worst social risk: child_labour high" in out
    assert "first gap to close: electricity-us-oregon -> electricity-datacentre-oregon" in out
    assert len(lines) < 300
    assert main(["report", "--no-page", "--full"]) == 0
    full = capsys.readouterr().out
    assert max(len(line) for line in full.splitlines()) > 100
    assert "water-scarcity" in full and "water-scarcity" not in out.split("== graph ==")[1]
