"""Hostile and broken input: a clear message, exit code 1, no traceback, nothing written."""

import csv
import hashlib
import json
import os
import re
import shutil
import string
from pathlib import Path

import pytest
from conftest import PROJECT
from conftest import run_cli as run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain.cli import main

CORPUS = PROJECT / "tests" / "corpus"
with open(CORPUS / "EXPECTED.csv", encoding="utf-8") as handle:
    EXPECTED = list(csv.DictReader(handle))


SOLVING_REFUSED = {"overflowing-totals", "overflowing-loop"}  # valid, but beyond floats
COMMANDS = [
    ["validate"],
    ["impacts"],
    ["report"],
    ["audit"],
    ["uncertainty", "--samples", "20"],
    ["viz", "--samples", "20"],
]


def _generated(tmp_path: Path) -> dict[str, Path]:
    """Corpus entries that git cannot hold or should not: a FIFO, links to a device and to
    nothing, files too large to ship. Each is a copy of ``milliwatt-hours`` with one file
    replaced."""

    def graph(name: str, table: str, make) -> Path:
        folder = tmp_path / name
        shutil.copytree(CORPUS / "milliwatt-hours", folder)
        (folder / table).unlink()
        make(folder / table)
        return folder

    return {
        "nodes-as-a-fifo": graph("fifo", "nodes.csv", os.mkfifo),
        "nodes-linked-to-dev-zero": graph("zero", "nodes.csv", lambda p: p.symlink_to("/dev/zero")),
        "impacts-linked-to-nothing": graph(
            "dangling", "impacts.csv", lambda p: p.symlink_to(p.parent / "gone.csv")
        ),
        "a-line-of-3-mb": graph(
            "long",
            "edges.csv",
            lambda p: p.write_text(
                "source,target,amount,note\npower,chip,1," + "x" * 3_000_000 + "\n"
            ),
        ),
        "a-million-columns": graph(
            "wide",
            "edges.csv",
            lambda p: p.write_text(
                ",".join(["source", "target", "amount", *"c" * 999_997]) + "\npower,chip,1\n"
            ),
        ),
    }


GENERATED = {  # entry: (exit code, message)
    "nodes-as-a-fifo": (1, "nodes.csv: not read: not a regular file but a named pipe (FIFO)"),
    "nodes-linked-to-dev-zero": (1, "nodes.csv: not read: not a regular file but a device"),
    "impacts-linked-to-nothing": (1, "impacts.csv: not read: a symbolic link to"),
    "a-line-of-3-mb": (1, "line 2 is 3,000,013 bytes long, more than the 1,048,576"),
    "a-million-columns": (1, "line 1 is 2,000,014 bytes long"),
}


def _every_file(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    "entry",
    [
        *EXPECTED,
        *(
            {"entry": e, "exit_code": str(c), "message": m, "generated": True}
            for e, (c, m) in GENERATED.items()
        ),
    ],
    ids=[*(e["entry"] for e in EXPECTED), *GENERATED],
)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_on_the_corpus(capsys, tmp_path, entry, command):
    """Each entry gives its exit code and message in every command, and writes nothing but
    the page asked for, in the current folder (``tmp_path``), whatever the graph's name."""
    if entry.get("generated"):
        path = _generated(tmp_path / "input")[entry["entry"]]
    else:
        path = CORPUS / entry["entry"]
    before = _every_file(tmp_path)
    code, out, err = run(capsys, command[0], path, *command[1:])
    expected = int(entry["exit_code"])
    if command == ["validate"] and entry["entry"] in SOLVING_REFUSED:
        expected = 0  # valid data that cannot be solved; solving it is refused
    assert code == expected
    if code == 1:
        shown = out + err if command == ["validate"] else err
        assert entry["message"] in shown
    written = _every_file(tmp_path) - before
    assert all("/" not in name and name.endswith(".html") for name in written), written
    assert len(written) <= (command[0] in ("report", "viz") and code == 0)


def test_a_page_named_by_data_stays_in_the_current_folder(capsys, tmp_path):
    """A JSON graph's name decides the page's file name only: sanitised, here."""
    for entry, page in (
        ("page-name-escapes.json", "tmp_escaped_x_y.html"),
        ("absolute-page-name.json", "tmp_absolute-page.html"),
    ):
        assert run(capsys, "viz", CORPUS / entry, "--samples", "0")[0] == 0
        assert (tmp_path / page).is_file()
    assert not Path("/tmp/escaped").exists() and not Path("/tmp/absolute-page.html").exists()


HOSTILE_GRAPH = CORPUS / "valid-hostile-names"


@pytest.mark.parametrize(
    "argv",
    [
        ["trace", HOSTILE_GRAPH, "<script>alert(1)</script>", "--by", "country"],
        ["social", HOSTILE_GRAPH, "'; DROP TABLE nodes; --"],
        ["uncertainty", HOSTILE_GRAPH, "--samples", "20", "--format", "markdown"],
        ["audit", HOSTILE_GRAPH, '"><img src=x onerror=alert(1)>', "--format", "json"],
        ["impacts", HOSTILE_GRAPH, "--format", "csv"],
    ],
)
def test_hostile_names_go_through_every_command(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and out


def test_hostile_names_survive_export_and_the_page(capsys, tmp_path):
    assert run(capsys, "export", HOSTILE_GRAPH, "--to", "json", "-o", tmp_path / "g.json")[0] == 0
    document = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert "<script>alert(1)</script>" in {n["id"] for n in document["nodes"]}
    assert run(capsys, "viz", HOSTILE_GRAPH, "-o", tmp_path / "page.html")[0] == 0
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img" not in page


CELL = st.text(alphabet=string.printable + "éü中\x00\x1b\ufeff", max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    nodes=st.one_of(
        st.binary(max_size=300),
        st.lists(st.lists(CELL, min_size=1, max_size=5), max_size=6).map(
            lambda rows: "\n".join(",".join(r) for r in [["id", "kind", "unit"], *rows]).encode(
                "utf-8", "surrogatepass"
            )
        ),
    ),
    edges=st.binary(max_size=200),
)
def test_fuzzed_csv_folders_give_problems_never_crashes(tmp_path_factory, nodes, edges):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "nodes.csv").write_bytes(nodes)
    (folder / "edges.csv").write_bytes(edges)
    assert main(["validate", str(folder), "--format", "json"]) in (0, 1)
    assert main(["impacts", str(folder), "--format", "csv"]) in (0, 1)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
TABLES = st.fixed_dictionaries(
    {},
    optional={
        "nodes": st.lists(
            st.fixed_dictionaries(
                {
                    "id": JSON_VALUES,
                    "kind": st.sampled_from(["mine", "material", 3, None]),
                    "unit": JSON_VALUES,
                }
            ),
            max_size=4,
        ),
        "edges": JSON_VALUES,
        "impacts": JSON_VALUES,
        "social": JSON_VALUES,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=st.one_of(TABLES, JSON_VALUES), cut=st.integers(0, 400))
def test_fuzzed_json_gives_problems_never_crashes(tmp_path_factory, document, cut):
    path = tmp_path_factory.mktemp("fuzz") / "graph.json"
    text = json.dumps(document)
    path.write_text(text if cut == 0 else text[:cut], encoding="utf-8")
    assert main(["validate", str(path), "--format", "json"]) in (0, 1)
    assert main(["audit", str(path), "--format", "json"]) in (0, 1)


def test_no_code_from_input_is_ever_run_or_deserialized():
    risky = re.compile(r"\b(pickle|marshal|shelve|eval|exec|yaml\.load|jsonpickle)\b\s*[.(]")
    for module in (PROJECT / "supplychain").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert not risky.search(text), f"{module.name} could run or deserialize code"


def digest(folder):
    return {
        p.relative_to(folder): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_input_folder_is_never_written(capsys, tmp_path):
    graph = tmp_path / "graph"
    shutil.copytree(PROJECT / "graphs" / "ai-inference", graph)
    before = digest(graph)
    for argv in (
        ["validate", graph],
        ["report", graph],
        ["impacts", graph],
        ["trace", graph, "image-generation"],
        ["uncertainty", graph, "--samples", "20"],
        ["social", graph, "server-p4de-24xlarge"],
        ["audit", graph, "--format", "markdown"],
        ["viz", graph, "-o", tmp_path / "page.html", "--samples", "0"],
        ["export", graph, "--to", "json", "-o", tmp_path / "graph.json"],
    ):
        assert main([str(a) for a in argv]) == 0, argv
    assert main(["export", str(graph), "--to", "csv", "-o", str(graph), "--overwrite"]) == 1
    assert main(["viz", str(graph), "-o", str(graph / "page.html")]) == 1
    capsys.readouterr()
    assert digest(graph) == before
