"""What the commands write, and what they print: only what was asked, where it was asked,
safe for the spreadsheet or the terminal that opens it, and lossless where it must be."""

import csv
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import PROJECT
from conftest import run_cli as run

from supplychain.files import atomic_write, safe_file_name
from supplychain.io import load, save_csv
from supplychain.output import (
    from_spreadsheet_safe,
    render_frame,
    spreadsheet_safe,
    terminal_safe,
)

CORPUS = PROJECT / "tests" / "corpus"
HOSTILE = CORPUS / "formula-and-escape-ids"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def graph(tmp_path) -> Path:
    folder = tmp_path / "ex"
    shutil.copytree(PROJECT / "graphs" / "example", folder)
    return folder


# ----------------------------------------------------------------- numbers that were wrong


def test_milliwatt_hours_are_not_megawatt_hours(capsys):
    code, out, _ = run(capsys, "impacts", CORPUS / "milliwatt-hours", "--node", "chip",
                       "--format", "json")  # fmt: skip
    assert code == 0
    assert json.loads(out)[0]["value"] == pytest.approx(15000 * 1e-6 * 0.4, rel=1e-12)


# ----------------------------------------------------------- writes into the input, refused


@pytest.mark.parametrize(
    "argv",
    [
        ["--to", "graphml", "-o", "{g}/nodes.csv", "--overwrite"],
        ["--to", "json", "-o", "{g}/out.json"],
        ["--to", "csv", "-o", "{g}/sub"],
        ["--to", "csv", "-o", "{g}", "--overwrite"],
        ["--to", "csv", "-o", "{g}/../ex/", "--overwrite"],
    ],
)
def test_export_never_writes_into_the_graph_it_reads(capsys, graph, argv):
    before = tree(graph)
    code, _, err = run(capsys, "export", graph, *[a.format(g=graph) for a in argv])
    assert code == 1 and "refusing to write onto the graph being read" in err
    assert tree(graph) == before


def test_nor_into_a_json_graph_it_reads(capsys, tmp_path):
    source = tmp_path / "g.json"
    shutil.copy(CORPUS / "empty-edges.json", source)
    before = source.read_bytes()
    code, _, err = run(capsys, "export", source, "--to", "json", "-o", source, "--overwrite")
    assert code == 1 and "onto the graph being read" in err
    assert source.read_bytes() == before


def test_export_to_csv_deletes_nothing_it_did_not_write(capsys, tmp_path, graph):
    other = tmp_path / "other"
    assert run(capsys, "export", "ai-inference", "--to", "csv", "-o", other)[0] == 0
    (other / "README.md").write_text("my notes")
    assert run(capsys, "export", CORPUS / "milliwatt-hours", "--to", "csv", "-o", other,
               "--overwrite")[0] == 0  # fmt: skip
    assert (other / "README.md").read_text() == "my notes"
    # the tables the new graph has no rows of are emptied (no stale rows), not deleted
    assert (other / "social.csv").read_text().startswith("node,indicator,level")
    assert len((other / "social.csv").read_text().splitlines()) == 1
    assert len(load(other).nodes) == 2


def test_a_table_name_taken_by_a_folder_stops_the_export_before_anything_moves(capsys, tmp_path):
    # impacts.csv as a folder failed after nodes.csv and edges.csv had been replaced: the
    # target held half of one graph and half of another
    other = tmp_path / "other"
    assert run(capsys, "export", "example", "--to", "csv", "-o", other)[0] == 0
    before = (other / "nodes.csv").read_bytes()
    (other / "impacts.csv").unlink()
    (other / "impacts.csv").mkdir()
    code, _, err = run(capsys, "export", CORPUS / "milliwatt-hours", "--to", "csv", "-o",
                       other, "--overwrite")  # fmt: skip
    assert code == 1 and "impacts.csv is not a file" in err and "Traceback" not in err
    assert (other / "nodes.csv").read_bytes() == before


def test_a_graph_folder_named_with_bytes_that_are_not_utf8_is_written_without_a_traceback(
    capsys, tmp_path
):
    # the name kept the undecodable byte as a surrogate and writing it raised
    # UnicodeEncodeError in export --to json, viz and report's page
    folder = tmp_path / os.fsdecode(b"bad\xff")
    assert run(capsys, "export", "example", "--to", "csv", "-o", folder)[0] == 0
    out = tmp_path / "out.json"
    assert run(capsys, "export", folder, "--to", "json", "-o", out)[0] == 0
    assert json.loads(out.read_text(encoding="utf-8"))["name"] == "bad\ufffd"
    page = tmp_path / "page.html"
    assert run(capsys, "viz", folder, "-o", page, "--samples", "0")[0] == 0


def test_no_parent_folder_is_made_that_was_not_asked_for(capsys, tmp_path):
    code, _, err = run(capsys, "export", "example", "--to", "json", "-o", tmp_path / "a/b/c.json")
    assert code == 1 and "does not exist" in err and not (tmp_path / "a").exists()


# ---------------------------------------------------------------- failed writes: one line


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "example", "--to", "json", "-o", "{t}"],
        ["export", "example", "--to", "graphml", "-o", "{t}", "--overwrite"],
        ["viz", "example", "-o", "{t}", "--samples", "0"],
        ["report", "example", "--page", "{t}"],
        ["uncertainty", "example", "--samples", "20", "--chart", "{t}"],
    ],
)
def test_a_folder_in_the_way_is_one_line_and_exit_1(capsys, tmp_path, argv):
    target = tmp_path / "folder"
    target.mkdir()
    (target / "keep").write_text("x")
    code, _, err = run(capsys, *[a.format(t=target) for a in argv])
    assert code == 1 and f"{target} is a folder" in err
    assert tree(target) == {"keep": b"x"}


WRITERS = [
    ["export", "example", "--to", "json", "-o", "out.json"],
    ["export", "example", "--to", "graphml", "-o", "out.graphml"],
    ["export", "example", "--to", "csv", "-o", "out"],
    ["viz", "example", "-o", "out.html", "--samples", "0"],
    ["report", "example", "--page", "out.html"],
    ["uncertainty", "example", "--samples", "20", "--chart", "out.svg"],
    ["mix", "cobalt", "-o", "out"],
]


@pytest.mark.parametrize("argv", WRITERS, ids=lambda a: " ".join(a[:3]))
@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_failed_write_is_one_line_and_leaves_nothing(capsys, tmp_path, monkeypatch, argv,
                                                       failure):  # fmt: skip
    """A full disk, a read-only folder, no permission: as the last step of a write fails."""

    def refuse(*_):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(os, "replace", refuse)
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert "cannot write out" in err and os.strerror(failure) in err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [] or {p.name for p in tmp_path.iterdir()} <= {"out"}
    assert not any(p.name.startswith(".") for p in tmp_path.rglob("*"))


def _mount(tmp_path: Path, options: str) -> Path:
    target = tmp_path / "mounted"
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    return target


@pytest.mark.parametrize(("options", "reason"), [("size=8k", "No space left on device"),
                                                 ("ro", "Read-only file system")])  # fmt: skip
def test_a_real_full_or_read_only_disk(capsys, tmp_path, options, reason):
    target = _mount(tmp_path, options)
    try:
        for argv in WRITERS[:5]:
            argv = [a.replace("out", str(target / "out")) for a in argv]
            code, _, err = run(capsys, *argv)
            assert code == 1 and reason in err and len(err.strip().splitlines()) == 1, argv
            assert list(target.iterdir()) == []
    finally:
        subprocess.run(["umount", str(target)], check=True)


# ------------------------------------------------------- temporary files: never left behind

WRITER = """
import sys, time
from pathlib import Path
from supplychain.files import atomic_write, cleanup_on_signals
cleanup_on_signals()
def write(path):
    path.write_bytes(b"x" * 1_000_000)
    print("writing", flush=True)
    time.sleep(60)
atomic_write(Path(sys.argv[1]), write)
"""


def _writer_stopped_by(sig: int, target: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, cwd=PROJECT
    ) as process:
        assert process.stdout.readline() == b"writing\n"
        process.send_signal(sig)
        process.wait(timeout=30)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_write_stopped_by_a_signal_leaves_no_temporary_file(tmp_path, sig):
    target = tmp_path / "page.html"
    target.write_text("the old page")
    _writer_stopped_by(sig, target)
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    assert target.read_text() == "the old page"


def test_a_temporary_file_of_a_killed_writer_is_removed_on_the_next_write(tmp_path):
    target = tmp_path / "page.html"
    _writer_stopped_by(signal.SIGKILL, target)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".page.html.supplychain-")  # SIGKILL: no say
    someone_elses = tmp_path / ".page.html.notes"
    someone_elses.write_text("not ours")
    atomic_write(target, lambda path: path.write_text("new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".page.html.notes", "page.html"]


def test_a_live_writers_temporary_file_is_left_alone(tmp_path):
    live = tmp_path / f".page.html.supplychain-{os.getppid()}-abc.tmp"  # our parent: alive
    live.write_text("being written")
    atomic_write(tmp_path / "page.html", lambda path: path.write_text("new"))
    assert live.exists()


def test_a_staging_folder_of_a_killed_export_is_removed_on_the_next_one(capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / f".supplychain-{dead.pid}-xyz"
    stale.mkdir()
    (stale / "nodes.csv").write_text("half")
    assert run(capsys, "export", "example", "--to", "csv", "-o", out)[0] == 0
    assert not stale.exists()


# ------------------------------------------------------------------- page names from data


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("../../etc/cron.d/x", "etc_cron.d_x.html"),
        ("/absolute/path", "absolute_path.html"),
        ("nul\x00byte", "nul_byte.html"),
        ("\u202etxt.exe", "txt.exe.html"),
        ("...", "graph.html"),
        ("ai-inference", "ai-inference.html"),
    ],
)
def test_a_page_name_from_data_is_a_plain_file_name(name, file):
    assert safe_file_name(name, ".html") == file


# ---------------------------------------------------------------- spreadsheets: no formula

FORMULAS = ['=HYPERLINK("http://x")', "+cmd|calc", "-1+1", "@sum", "\tx", "\rx"]


@pytest.mark.parametrize("text", [*FORMULAS, "'=1", "''x", "'plain", "plain", "", "'"])
def test_spreadsheet_safe_is_inert_and_undone_exactly(text):
    safe = spreadsheet_safe(text)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert from_spreadsheet_safe(safe) == text


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize(
    "argv",
    [
        ["impacts", HOSTILE, "--format", "csv"],
        ["trace", HOSTILE, "![x](http://evil/p.png)", "--format", "csv"],
        ["audit", HOSTILE, "--format", "csv"],
        ["report", HOSTILE, "--format", "csv", "--no-page"],
    ],
    ids=lambda a: a[0],
)
def test_no_csv_output_holds_a_formula(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "HYPERLINK" in out
    for cell in _csv_cells(out):
        if cell and cell[0] in "=+@\t\r":
            pytest.fail(f"a formula in the CSV output: {cell!r}")
        if cell.startswith("-"):
            float(cell)  # a negative number is a number, not a formula


def test_export_to_csv_is_inert_and_reads_back_exactly(capsys, tmp_path):
    out = tmp_path / "out"
    assert run(capsys, "export", HOSTILE, "--to", "csv", "-o", out)[0] == 0
    text = (out / "nodes.csv").read_text(encoding="utf-8")
    assert '"\'=HYPERLINK(""http://x"")"' in text and '"\'+cmd|calc"' in text
    assert load(out).nodes.equals(load(HOSTILE).nodes)  # lossless, through the reading rule
    assert run(capsys, "export", HOSTILE, "--to", "json", "-o", tmp_path / "g.json")[0] == 0
    ids = [n["id"] for n in json.loads((tmp_path / "g.json").read_text())["nodes"]]
    assert ids[0] == '=HYPERLINK("http://x")'  # JSON: the text as it is


def test_saving_twice_changes_nothing(tmp_path):
    save_csv(load(HOSTILE), tmp_path / "a")
    save_csv(load(tmp_path / "a"), tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


# ---------------------------------------------------------------- terminals and Markdown


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize(
    "argv",
    [
        ["impacts", HOSTILE],
        ["trace", HOSTILE, "![x](http://evil/p.png)"],
        ["audit", HOSTILE],
        ["report", HOSTILE, "--no-page"],
        ["validate", HOSTILE],
        ["uncertainty", HOSTILE, "--node", "@sum", "--samples", "20"],
    ],
    ids=lambda a: a[0],
)
def test_no_escape_sequence_reaches_the_terminal(capsys, argv, fmt):
    code, out, err = run(capsys, *argv, *([] if argv[0] == "validate" else ["--format", fmt]))
    assert code == 0
    for text in (out, err):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    if argv[0] not in (
        "validate",
        "uncertainty",
    ):  # shown, escaped (in Markdown, its backslash escaped too)
        assert ("evil\\x1b[2Jid" if fmt == "table" else "evil\\\\x1b\\[2Jid") in out
    if fmt == "markdown":
        assert "![x](http" not in out and "[a](javascript" not in out
        assert "!\\[x\\](http://evil/p.png)" in out or argv[0] in ("validate", "uncertainty")


def test_an_escape_in_a_node_asked_for_is_not_printed_raw(capsys):
    code, _, err = run(capsys, "trace", HOSTILE, "\x1b]0;owned\x07")
    assert code == 1 and "\x1b" not in err and "\\x1b" in err


def test_json_output_escapes_what_a_terminal_acts_on_and_stays_lossless():
    frame = pd.DataFrame({"id": ["a\u202eb\x9b[31m", "\x1b]8;;x\x07"], "value": [1.0, 2.0]})
    text = render_frame(frame, "json")
    assert not any(c in text for c in "\u202e\x9b\x1b\x07")
    assert [row["id"] for row in json.loads(text)] == frame["id"].tolist()


def test_terminal_safe_escapes_controls_and_invisible_characters():
    assert terminal_safe("a\x1b[31mb\x07c\u200bd\u202ee\x9bf") == (
        "a\\x1b[31mb\\x07c\\u200bd\\u202ee\\x9bf"
    )
    assert terminal_safe("café 中 ü") == "café 中 ü"


# --------------------------------------------------------------------- lookalike node ids


def test_lookalike_ids_are_warned_about(capsys):
    code, out, _ = run(capsys, "validate", CORPUS / "lookalike-ids", "--format", "json")
    assert code == 0
    problems = json.loads(out)
    codes = [(p["code"], p["row"]) for p in problems]
    assert ("lookalike-id", 3) in codes  # cafe + combining accent looks like café (row 2)
    assert ("invisible-character", 4) in codes and ("lookalike-id", 4) in codes
