"""The command line: ``supplychain <command> ...``; the only place that talks to a person.

Exit codes: 0 success (warnings allowed), 1 bad input or a refused request (the message
says what and where; never a traceback), 2 a command line that cannot be parsed, 3 an
audit above a threshold it was given (``--max-opacity`` ...).

Examples
--------
>>> main(["validate", "example"])
example: valid: 0 errors, 0 warnings
0
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from supplychain import __version__
from supplychain.defaults import (
    DEFAULT_PERCENTILES,
    DEFAULT_SAMPLES,
    DEFAULT_SEED,
    DEFAULT_YEAR,
    MAX_RESULT_BYTES,
    PAGE_SAMPLES,
    TRACE_CUTOFF,
)
from supplychain.errors import InvalidDataError, InvalidGraphError, SupplyChainError
from supplychain.files import cleanup_on_signals
from supplychain.shipped import DEFAULT_GRAPH
from supplychain.text import FORMATS, terminal_safe

# Each command imports what it uses when it runs: `supplychain --help` and `graphs` do
# not wait for numpy, pandas and scipy (about 2 s).

__all__ = ["main"]

_PATH_HELP = "graph folder, JSON file, or the name of a shipped graph (see 'supplychain graphs')"


def _number_in(kind: type, low: float, high: float, upper_open: bool, what: str):
    """An argparse type: a ``kind`` number from ``low`` to ``high`` (``what`` names it)."""

    def parse(text: str):
        try:
            if kind is int and not re.fullmatch(r"\s*[+-]?[0-9]+\s*", text):
                raise ValueError(text)  # no 1_000, no digits of other scripts
            value = kind(text)
        except ValueError:
            word = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {word}") from None
        if not (low <= value < high if upper_open else low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


_share = _number_in(float, 0, 1, True, "a share in [0, 1)")  # --cutoff
_fraction = _number_in(float, 0, 1, False, "a share in [0, 1]")  # audit thresholds
_count = _number_in(int, 2, float("inf"), False, "a number of samples of at least 2")
_percentile = _number_in(float, 0, 100, False, "a percentile in [0, 100]")
_seed = _number_in(int, 0, float("inf"), False, "a seed: a whole number, 0 or more")
_how_many = _number_in(int, 0, float("inf"), False, "a whole number, 0 or more")  # --top, --limit
_positive = _number_in(int, 1, float("inf"), False, "a positive whole number")  # --tokens


def _page_samples(text: str) -> int:
    """An argparse type: 0 (no Monte Carlo) or a number of samples of at least 2."""
    return 0 if text.strip() == "0" else _count(text)


def _add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed", type=_seed, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table for people (default), markdown, csv or json",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supplychain",
        description="The supply chain of AI hardware and services as a graph: impacts,"
        " social risks and data gaps.",
    )
    parser.add_argument("--version", action="version", version=f"supplychain {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    report = commands.add_parser(
        "report", help="the main job: what a graph holds, headline totals with opacity, hotspots"
    )
    report.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default=DEFAULT_GRAPH,
        help=f"{_PATH_HELP}; default: the shipped graph '{DEFAULT_GRAPH}'",
    )
    report.add_argument(
        "--page",
        metavar="FILE",
        help="where to write the interactive page of the graph (default: NAME.html here)",
    )
    report.add_argument("--no-page", action="store_true", help="do not write the page")
    report.add_argument(
        "--full",
        action="store_true",
        help="tables at their full width (by default they fit the terminal, or 100 columns"
        " when the output is not a terminal)",
    )
    _add_format(report)

    impacts = commands.add_parser(
        "impacts", help="total impacts per unit of every node, with opacity"
    )
    impacts.add_argument("path", metavar="PATH", help=_PATH_HELP)
    impacts.add_argument("--node", metavar="ID", help="only this node")
    impacts.add_argument("--category", metavar="C", help="only this category (e.g. gwp)")
    _add_format(impacts)

    trace = commands.add_parser(
        "trace", help="what a node takes upstream: amounts, countries, supply paths"
    )
    trace.add_argument("path", metavar="PATH", help=_PATH_HELP)
    trace.add_argument("node", metavar="NODE", help="the node to trace")
    trace.add_argument(
        "--by",
        choices=("material", "country", "node"),
        default="node",
        help="group the requirements by material, by country of the mines, or list every"
        " node (default)",
    )
    trace.add_argument(
        "--cutoff",
        type=_share,
        default=TRACE_CUTOFF,
        metavar="SHARE",
        help=f"path tree: leave out paths below this share of the total (default {TRACE_CUTOFF})",
    )
    trace.add_argument(
        "--category", metavar="C", help="path tree and hotspots in this category (default: gwp)"
    )
    trace.add_argument(
        "--chart",
        metavar="FILE",
        help="also draw what contributes the node's total in each category, stacked, as a"
        " chart for a report (.svg, .png or .pdf)",
    )
    _add_format(trace)

    spread = commands.add_parser(
        "uncertainty",
        help="Monte Carlo: mean, median, spread and percentiles of totals; what drives them",
    )
    spread.add_argument("path", metavar="PATH", help=_PATH_HELP)
    spread.add_argument(
        "--node", metavar="ID", help="only this node, and the parameters that drive its spread"
    )
    spread.add_argument("--category", metavar="C", help="only this category (e.g. gwp)")
    spread.add_argument(
        "--samples",
        type=_count,
        default=DEFAULT_SAMPLES,
        metavar="N",
        help=f"number of samples (default {DEFAULT_SAMPLES})",
    )
    _add_seed(spread)
    spread.add_argument(
        "--percentiles",
        type=_percentile,
        nargs="+",
        default=list(DEFAULT_PERCENTILES),
        metavar="P",
        help="percentiles to report (default 5 95)",
    )
    spread.add_argument(
        "--top",
        type=_how_many,
        default=10,
        metavar="N",
        help="with --node: the N parameters that drive most of the spread (0: all; default 10)",
    )
    spread.add_argument(
        "--chart",
        metavar="FILE",
        help="also draw the services (or --node) in the category as a bar chart with P5-P95"
        " whiskers (.svg, .png or .pdf)",
    )
    _add_format(spread)

    social = commands.add_parser(
        "social",
        help="social risk of a node: worst levels upstream with evidence, mined mass exposed",
    )
    social.add_argument("path", metavar="PATH", help=_PATH_HELP)
    social.add_argument("node", metavar="NODE", help="the node to look at")
    social.add_argument("--indicator", metavar="I", help="only this indicator (e.g. child_labour)")
    _add_format(social)

    gaps = commands.add_parser(
        "audit",
        help="the data-gap audit: coverage, what totals rest on, ranked gaps, completeness",
    )
    gaps.add_argument("path", metavar="PATH", help=_PATH_HELP)
    gaps.add_argument(
        "node", metavar="NODE", nargs="?", help="the node to audit (default: services and devices)"
    )
    gaps.add_argument("--category", metavar="C", help="rank gaps in this category (default: gwp)")
    gaps.add_argument(
        "--samples",
        type=_count,
        metavar="N",
        help="also run a Monte Carlo of N samples and rank gaps by their share of the variance",
    )
    _add_seed(gaps)
    gaps.add_argument(
        "--older-than", type=int, metavar="YEAR", help="flag figures whose sources are older"
    )
    gaps.add_argument(
        "--top", type=_how_many, default=10, metavar="N", help="gaps per node (0: all; default 10)"
    )
    gaps.add_argument(
        "--limit",
        type=_how_many,
        default=10,
        metavar="N",
        help="table and markdown: findings per completeness check (0: all; default 10)",
    )
    for flag, what in (
        ("--max-opacity", "opacity of any audited total"),
        ("--max-missing", "share of any audited total resting on missing data"),
        ("--max-unknown-origin", "share of any audited node's mined mass of unknown origin"),
    ):
        gaps.add_argument(
            flag,
            type=_fraction,
            metavar="SHARE",
            help=f"exit with code 3 if the {what} is above SHARE (for CI)",
        )
    _add_format(gaps)

    viz = commands.add_parser(
        "viz", help="the chain as an interactive HTML page that works offline"
    )
    viz.add_argument("path", metavar="PATH", help=_PATH_HELP)
    viz.add_argument(
        "-o", "--output", metavar="FILE", help="the page to write (default: NAME.html here)"
    )
    viz.add_argument("--focus", metavar="NODE", help="show only what is upstream of NODE")
    viz.add_argument(
        "--category", metavar="C", help="size nodes and edges by this category (default: gwp)"
    )
    viz.add_argument(
        "--cutoff",
        type=_share,
        metavar="SHARE",
        help="hide nodes through which less than SHARE of the shown total flows"
        " (default with --focus: 0.001)",
    )
    viz.add_argument(
        "--samples",
        type=_page_samples,
        default=PAGE_SAMPLES,
        metavar="N",
        help=f"Monte Carlo samples for P5-P95 in the panel (0: none; default {PAGE_SAMPLES})",
    )
    _add_seed(viz)
    viz.add_argument(
        "--overwrite", action="store_true", help="replace FILE even if it is not a page of ours"
    )

    validate = commands.add_parser("validate", help="check a graph: every error and warning")
    validate.add_argument("path", metavar="PATH", help=_PATH_HELP)
    _add_format(validate)
    validate.add_argument(
        "--limit",
        type=_how_many,
        default=20,
        metavar="N",
        help="table format: show at most N problems of each kind per file (0: all; default 20)",
    )

    export = commands.add_parser(
        "export",
        help="write a graph as JSON, CSV tables, an Excel workbook, GraphML or a Brightway"
        " database",
    )
    export.add_argument("path", metavar="PATH", help=_PATH_HELP)
    export.add_argument(
        "--to", choices=("json", "csv", "xlsx", "graphml", "brightway"), required=True
    )
    export.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="file (json, xlsx, graphml), folder (csv) or Brightway database name to write",
    )
    export.add_argument(
        "--project", help="with --to brightway: the Brightway project (default: its current one)"
    )
    export.add_argument(
        "--overwrite", action="store_true", help="replace OUT if it exists (never the input)"
    )

    brightway = commands.add_parser(
        "from-brightway",
        help="a Brightway activity's supply chain (or a whole database) as a graph folder",
    )
    brightway.add_argument("database", metavar="DATABASE", help="the Brightway database")
    brightway.add_argument("--activity", metavar="CODE", help="the activity's code")
    brightway.add_argument(
        "--method",
        nargs="+",
        action="append",
        default=[],
        metavar="PART",
        help="a method whose characterisation makes a category (its name's parts; repeat)",
    )
    brightway.add_argument("--project", help="the Brightway project (default: its current one)")
    brightway.add_argument(
        "-o", "--output", required=True, metavar="FOLDER", help="the graph folder to write"
    )
    brightway.add_argument(
        "--overwrite", action="store_true", help="replace the tables in FOLDER if it has any"
    )

    mix = commands.add_parser(
        "mix",
        help="country sourcing mixes of materials, written from the production table in data/",
    )
    mix.add_argument(
        "materials", nargs="+", metavar="MATERIAL", help="material ids, e.g. cobalt tantalum"
    )
    mix.add_argument(
        "--year", type=int, default=DEFAULT_YEAR, help=f"production year (default {DEFAULT_YEAR})"
    )
    mix.add_argument(
        "--min-share",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="fold countries below this share of world production into the rest of the world",
    )
    mix.add_argument(
        "-o",
        "--output",
        metavar="FOLDER",
        help="write the mining layer (mines, unknown origins, materials, their impacts, social"
        " listings and sources) as a graph folder; without it, print the shares",
    )
    mix.add_argument(
        "--overwrite", action="store_true", help="replace the tables in FOLDER if it has any"
    )
    _add_format(mix)

    rmi = commands.add_parser(
        "rmi",
        help="read the smelters of an RMI reporting template (CMRT, EMRT .xlsx) into graph"
        " rows, on their own or merged into a graph's component",
    )
    rmi.add_argument("template", metavar="TEMPLATE", help="the filled-in template (.xlsx)")
    rmi.add_argument(
        "--into",
        metavar="PATH",
        help="merge into this graph (folder, file or shipped name); needs --component",
    )
    rmi.add_argument(
        "--component",
        metavar="NODE",
        help="the node whose metals the template's smelters supply (e.g. the GPU)",
    )
    rmi.add_argument(
        "-o",
        "--output",
        metavar="FOLDER",
        help="write the graph (the smelters, or the merged graph) as a folder of CSV tables;"
        " without it, print the smelters read",
    )
    rmi.add_argument(
        "--overwrite", action="store_true", help="replace the tables in FOLDER if it has any"
    )
    _add_format(rmi)

    llm = commands.add_parser(
        "llm",
        help="an LLM request of N output tokens as a service: energy, GWP, water, mined mass by"
        " country and social exposure, with P5-P95 and opacity",
    )
    llm.add_argument(
        "model",
        nargs="?",
        help="a model of data/llm_models.csv, e.g. gpt-4o-mini or provider/model",
    )
    llm.add_argument("--tokens", type=_positive, metavar="N", help="output tokens per request")
    llm.add_argument(
        "--requests",
        metavar="FILE",
        help="many requests at once: a CSV file with columns model, output_tokens and"
        " optionally gpu, provider, region, batch_size, quantisation_bits, training_queries"
        " (then name no MODEL and none of the options below)",
    )
    llm.add_argument("--gpu", help="GPU of data/gpus.csv (default h100-80gb)")
    llm.add_argument(
        "--provider", help="whose data centres (data/datacentres.csv; default: the model's)"
    )
    llm.add_argument(
        "--region", help="electricity zone, e.g. USA, FRA (default: where the provider's are)"
    )
    llm.add_argument("--batch", type=_positive, metavar="B", help="requests served together")
    llm.add_argument("--bits", type=_positive, metavar="Q", help="bits per weight (default 16)")
    llm.add_argument(
        "--training-queries",
        type=_positive,
        metavar="Q",
        help="share the model's disclosed training run (data/llm_training.csv) over Q requests"
        " in its life",
    )
    llm.add_argument(
        "--samples",
        type=_count,
        default=DEFAULT_SAMPLES,
        help=f"Monte Carlo samples (default {DEFAULT_SAMPLES})",
    )
    _add_seed(llm)
    llm.add_argument(
        "-o", "--output", metavar="FOLDER", help="also write the request's graph as a folder"
    )
    llm.add_argument(
        "--overwrite", action="store_true", help="replace the tables in FOLDER if it has any"
    )
    _add_format(llm)

    compare = commands.add_parser(
        "compare",
        help="nodes side by side (two GPUs, two providers, with and without training): totals"
        " with P5-P95, the ratio to the first, and what drives the difference",
    )
    compare.add_argument("path", metavar="PATH", help=_PATH_HELP)
    compare.add_argument(
        "nodes",
        nargs="+",
        metavar="NODE",
        help="two or more node ids; with --scenarios, one or more",
    )
    compare.add_argument(
        "--scenarios",
        metavar="FILE",
        help="a CSV table of changes (scenario, change, source, target, node, category, value,"
        " unit, note): the base and each scenario side by side, the graph unchanged",
    )
    compare.add_argument("--category", help="only this category (e.g. gwp)")
    compare.add_argument(
        "--samples",
        type=_count,
        default=DEFAULT_SAMPLES,
        help=f"Monte Carlo samples (default {DEFAULT_SAMPLES})",
    )
    _add_seed(compare)
    compare.add_argument(
        "--chart",
        metavar="FILE",
        help="also draw the nodes in the category (default: the main one) as a bar chart"
        " with P5-P95 whiskers (.svg, .png or .pdf)",
    )
    _add_format(compare)

    breakeven = commands.add_parser(
        "breakeven",
        help="one multi-purpose model trained once against a task-specific model per task:"
        " the queries per task at which each costs less over its life",
    )
    breakeven.add_argument("path", metavar="PATH", help=_PATH_HELP)
    breakeven.add_argument(
        "--task",
        nargs=2,
        action="append",
        required=True,
        metavar=("GENERAL", "SPECIFIC"),
        help="a task: the multi-purpose model's service for it and the task-specific one's"
        " (repeat for each task; all in one unit)",
    )
    breakeven.add_argument(
        "--general-training",
        required=True,
        metavar="RUN",
        help="the node of the multi-purpose model's training run (its total: one run)",
    )
    breakeven.add_argument(
        "--specific-training",
        nargs=2,
        action="append",
        default=[],
        metavar=("SPECIFIC", "RUN"),
        help="the training run of a task-specific service, where the graph has one (a"
        " service without one counts as trained for nothing, and the table says so)",
    )
    breakeven.add_argument("--category", help="only this category (e.g. gwp)")
    _add_format(breakeven)

    graphs = commands.add_parser("graphs", help="list the shipped graphs")
    _add_format(graphs)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from supplychain.io import read_problems
    from supplychain.output import render_frame, render_problems
    from supplychain.problems import problems_frame

    chain, problems = read_problems(args.path)
    errors = sum(p.is_error for p in problems)
    if args.format == "table":
        warnings = len(problems) - errors
        name = chain.name if chain is not None else str(args.path)
        verdict = "invalid" if errors else "valid"
        sys.stdout.write(render_problems(problems, args.limit))
        sys.stdout.write(
            terminal_safe(
                f"{name}: {verdict}: {errors} error{'s' * (errors != 1)},"
                f" {warnings} warning{'s' * (warnings != 1)}"
            )
            + "\n"
        )
    else:
        sys.stdout.write(render_frame(problems_frame(problems), args.format))
    return 1 if errors else 0


_COMPACT = {  # the report's tables as a terminal shows them (--full: every column)
    "headline totals": ["node", "value", "p5", "p95", "unit", "per", "opacity"],
    "hotspots": ["node", "hotspot", "country", "direct", "share", "transparency"],
    "social risks": ["node", "indicator", "level", "share", "worst_node", "country"],
    "top data gaps": ["rank", "gap", "kind", "share", "totals_reached", "close_with"],
}


def _compact(sections: dict, category: str) -> dict:
    """The report's long tables with their main columns, totals in the main category only."""
    shown = {}
    for title, frame in sections.items():
        columns = next((c for key, c in _COMPACT.items() if title.startswith(key)), None)
        if columns is None or frame.empty:
            shown[title] = frame
            continue
        if title.startswith("headline totals") and category in set(frame["category"]):
            frame = frame[frame["category"] == category]
            title = f"headline totals in {category}, P5-P95, opacity (--full: all categories)"
        shown[title] = frame[[c for c in columns if c in frame.columns]].reset_index(drop=True)
    return shown


REPORT_PIPE_WIDTH = 100
"""The width of the report's tables when its output is not a terminal."""


def _table_width() -> int:
    """The terminal's width, or :data:`REPORT_PIPE_WIDTH` when standard output is none."""
    import shutil  # noqa: PLC0415

    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((REPORT_PIPE_WIDTH, 24)).columns, 40)
    return REPORT_PIPE_WIDTH


def _report_page(chain, solution, run, args: argparse.Namespace) -> str:
    """Write the report's page (after the report is printed: a page that cannot be written
    is an error, exit 1, but the report stands); return a line saying where."""
    from supplychain.files import safe_file_name
    from supplychain.io import resolve_graph_path
    from supplychain.render import write_page

    if args.no_page:
        return ""
    target = Path(args.page) if args.page else Path(safe_file_name(chain.name, ".html"))
    written = write_page(
        chain, target, protect=(resolve_graph_path(args.path),), solution=solution, run=run
    )
    return f"the interactive page: {written.absolute()} (open it in a browser; it works offline)"


def _report(args: argparse.Namespace) -> int:
    from supplychain.io import load, resolve_graph_path
    from supplychain.output import render_problems, render_sections
    from supplychain.propagate import solve_chain
    from supplychain.render import shown_nodes
    from supplychain.report import headline_nodes, report_samples, report_sections, summary_lines
    from supplychain.uncertainty import monte_carlo

    chain = load(args.path)
    solution = solve_chain(chain)
    # one Monte Carlo run for the report and its page: the same P5-P95 in both
    nodes = headline_nodes(solution)
    if not args.no_page:
        nodes = list(dict.fromkeys([*nodes, *shown_nodes(solution)]))
    run = monte_carlo(chain, report_samples(chain), DEFAULT_SEED, nodes) if nodes else None
    sections = report_sections(chain, solution, run)
    _say_credits(solution)
    if args.format != "table":
        sys.stdout.write(render_sections(sections, args.format))
        page = _report_page(chain, solution, run, args)
        if page:
            sys.stderr.write(terminal_safe(page) + "\n")
        return 0
    warnings = sections.pop("validation warnings")
    where = resolve_graph_path(args.path)
    width = None if args.full else _table_width()
    summary_title = next(iter(sections))
    summary = sections.pop(summary_title)
    sys.stdout.write(terminal_safe(f"supplychain report: {chain.name} ({where})") + "\n\n")
    sys.stdout.write(f"== {summary_title} ==\n")
    lines = summary_lines(summary, width)
    sys.stdout.write("".join(terminal_safe(line) + "\n" for line in lines) or "(none)\n")
    if not args.full:
        sections = _compact(sections, summary_title.removeprefix("summary, in "))
    sys.stdout.write("\n" + render_sections(sections, "table", width))
    sys.stdout.write(f"\n== validation warnings ({len(warnings)}) ==\n")
    sys.stdout.write(render_problems(list(chain.warnings)) or "(none)\n")
    page = _report_page(chain, solution, run, args)
    if page:
        sys.stdout.write(f"\n{terminal_safe(page)}\n")
    return 0


def _impacts(args: argparse.Namespace) -> int:
    from supplychain.io import load
    from supplychain.output import render_frame
    from supplychain.propagate import solve_chain, totals

    solution = solve_chain(load(args.path))
    found = totals(solution, node=args.node, category=args.category)
    sys.stdout.write(render_frame(found, args.format))
    _say_credits(solution)
    return 0


def _say_credits(solution) -> None:
    """Where opacity is shown for a graph with credits, say what it then means."""
    if solution.signed:
        sys.stderr.write(
            "supplychain: the graph has credits (negative amounts or impacts): totals and"
            " shares are signed; opacity is the share of the flows, each counted at its"
            " size, that rests on undisclosed data\n"
        )


def _write_chart(rows, category: str, chart: str, graph: str, none_left: str) -> None:
    """Draw ``rows`` (an uncertainty summary) in ``category`` as a bar chart into
    ``chart``, in the format its suffix names (SVG, PNG or PDF); never into the graph
    ``graph`` being read. Rows in another unit than most are left out, and said so.
    ``none_left``: the message when no row is in the category."""
    from supplychain.chart import chart_bytes
    from supplychain.files import atomic_write

    target, fmt = _chart_target(chart, graph)
    rows = rows[(rows["category"] == category) & rows["value"].notna()]
    if rows.empty:
        raise SupplyChainError(none_left)
    positive = rows["value"] > 0
    if not positive.any():
        raise SupplyChainError(
            f"nothing to chart: a log axis draws positive totals only, and"
            f" {_listed_values(rows)} {'is' if len(rows) == 1 else 'are'} not"
        )
    if not positive.all():
        sys.stderr.write(
            terminal_safe(
                "left out of the chart, a log axis draws positive totals only:"
                f" {_listed_values(rows[~positive])}"
            )
            + "\n"
        )
    rows = rows[positive]
    unit = rows.groupby(["unit", "per"], sort=False).size().idxmax()
    same = (rows["unit"] == unit[0]) & (rows["per"] == unit[1])
    if not same.all():
        left = rows.loc[~same, "node"]
        sys.stderr.write(
            terminal_safe(f"left out of the chart, not per {unit[1]}: {', '.join(left)}") + "\n"
        )
    drawn = _drawn(lambda: chart_bytes(rows[same], category, fmt))
    atomic_write(target, lambda path: path.write_bytes(drawn))
    sys.stderr.write(terminal_safe(f"wrote {target} ({int(same.sum())} bars)") + "\n")


def _drawn(draw) -> bytes:
    """The bytes ``draw()`` makes of a chart, with matplotlib's warning per character
    missing from its font said once, in one line; other warnings pass on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        drawn = draw()
    glyphs = [w for w in caught if "missing from font" in str(w.message)]
    if glyphs:
        sys.stderr.write("supplychain: some characters of the names are not in the chart's font\n")
    for other in caught:
        if other not in glyphs:
            warnings.warn(other.message, other.category, stacklevel=1)
    return drawn


def _chart_target(chart: str, graph: str) -> tuple[Path, str]:
    """The file a chart goes to and its format, by its suffix; refused if it exists (a
    chart never replaces a file), lies in the graph ``graph`` or names no chart format."""
    from supplychain.chart import CHART_FORMATS
    from supplychain.files import check_target
    from supplychain.io import resolve_graph_path

    target = Path(chart)
    if target.is_file():
        raise SupplyChainError(f"{chart} exists; name another file (a chart never replaces one)")
    check_target(target, False, (resolve_graph_path(graph),))
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in CHART_FORMATS:
        raise SupplyChainError(
            f"{chart}: name a chart file ending in {', '.join('.' + f for f in CHART_FORMATS)}"
            " (the suffix says the format)"
        )
    return target, fmt


def _write_contribution_chart(chain, node: str, target: Path, fmt: str) -> None:
    """The stacked contributions of ``node``'s totals, every category with a total."""
    import pandas as pd

    from supplychain.chart import contribution_chart_figure, figure_bytes
    from supplychain.files import atomic_write
    from supplychain.propagate import solve_chain
    from supplychain.trace import contributions

    solution = solve_chain(chain, opacity=False)
    frames = [
        contributions(solution, node, category).assign(category=category)
        for category in solution.matrices.categories
    ]
    shares = pd.concat(frames, ignore_index=True).rename(columns={"node": "contributor"})
    per = chain.nodes.set_index("id").loc[node, "unit"]
    try:
        figure = contribution_chart_figure(shares, node, per)
    except ValueError:
        raise SupplyChainError(f"nothing to chart: {node} has no total in any category") from None
    drawn = _drawn(lambda: figure_bytes(figure, fmt))
    atomic_write(target, lambda path: path.write_bytes(drawn))
    sys.stderr.write(terminal_safe(f"wrote {target} (contributions to {node})") + "\n")


def _listed_values(rows) -> str:
    """``node (value)`` for each of ``rows``, joined: what a chart leaves out."""
    return ", ".join(
        f"{node} ({value:.4g})" for node, value in zip(rows["node"], rows["value"], strict=True)
    )


def _uncertainty(args: argparse.Namespace) -> int:
    from supplychain.audit import audited_nodes
    from supplychain.build import to_matrices
    from supplychain.io import load
    from supplychain.output import render_sections
    from supplychain.propagate import category_position, solve_chain
    from supplychain.trace import main_category
    from supplychain.uncertainty import (
        divergence_note,
        monte_carlo,
        sensitivity,
        timed_progress,
        uncertainty_summary,
    )

    chain = load(args.path)
    nodes = [args.node] if args.node else None
    categories = max(chain.impacts["category"].nunique(), 1)
    if nodes is None and len(chain.nodes) * categories * args.samples * 8 > MAX_RESULT_BYTES:
        nodes = audited_nodes(solve_chain(chain, opacity=False))
        sys.stderr.write(
            f"supplychain: keeping {args.samples} samples of all {len(chain.nodes)} nodes would"
            f" take over {MAX_RESULT_BYTES // 2**20} MB; showing the {len(nodes)} services and"
            " devices with the largest totals (ask for one with --node)\n"
        )
    on_terminal = sys.stdout.isatty() and sys.stderr.isatty()  # no bar when output is piped
    progress = timed_progress(sys.stderr.write) if on_terminal else None
    mc = monte_carlo(chain, args.samples, args.seed, nodes, progress)
    if divergence_note(mc):
        sys.stderr.write(f"supplychain: {terminal_safe(divergence_note(mc))}\n")
    found = uncertainty_summary(mc, sorted(set(args.percentiles)))
    if args.category:
        category_position(mc.categories, args.category)  # names an unknown category
        found = found[found["category"] == args.category].reset_index(drop=True)
    category = args.category or main_category(to_matrices(chain).categories)
    if args.chart is not None:
        rows = found if args.node else found[found["kind"] == "service"]
        where = category or "any category"
        none_left = (
            f"nothing to chart: no total of {args.node} in {where}"
            if args.node
            else f"nothing to chart: no service in {where} (name a node with --node)"
        )
        _write_chart(rows, category, args.chart, args.path, none_left)
    title = f"uncertainty of totals per unit ({args.samples} samples, seed {args.seed})"
    sections = {title: found}
    if args.node and len(mc.categories):
        drivers = sensitivity(mc, args.node, category)
        if args.top:
            drivers = drivers.head(args.top)
        sections[f"what drives the spread of {args.node} in {category}"] = drivers
    sys.stdout.write(render_sections(sections, args.format))
    return 0


def _social(args: argparse.Namespace) -> int:
    from supplychain.io import load
    from supplychain.output import render_sections
    from supplychain.social import social_sections

    sections = social_sections(load(args.path), args.node, args.indicator)
    sys.stdout.write(render_sections(sections, args.format))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from supplychain.audit import audit, audit_sections, threshold_failures
    from supplychain.io import load
    from supplychain.output import render_sections

    chain = load(args.path)
    nodes = [args.node] if args.node else None
    found = audit(
        chain, nodes, args.category, args.samples, args.seed, args.older_than, args.top or None
    )
    limit = args.limit if args.format in ("table", "markdown") else 0
    sys.stdout.write(render_sections(audit_sections(found, args.top, limit), args.format))
    failures = threshold_failures(
        found, args.max_opacity, args.max_unknown_origin, args.max_missing
    )
    for failure in failures:
        sys.stderr.write(f"supplychain audit: {failure}\n")
    return 3 if failures else 0


def _viz(args: argparse.Namespace) -> int:
    from supplychain.files import safe_file_name
    from supplychain.io import load, resolve_graph_path
    from supplychain.render import write_page

    chain = load(args.path)
    target = Path(args.output) if args.output else Path(safe_file_name(chain.name, ".html"))
    written = write_page(
        chain,
        target,
        overwrite=args.overwrite,
        protect=(resolve_graph_path(args.path),),
        focus=args.focus,
        category=args.category,
        cutoff=args.cutoff,
        samples=args.samples,
        seed=args.seed,
    )
    sys.stderr.write(terminal_safe(f"wrote {written} (open it in a browser; it works offline)"))
    sys.stderr.write("\n")
    return 0


def _trace(args: argparse.Namespace) -> int:
    from supplychain.io import load
    from supplychain.output import render_sections
    from supplychain.trace import trace_sections

    chain = load(args.path)
    target = fmt = None
    if args.chart is not None:  # refuse a bad target before any work
        target, fmt = _chart_target(args.chart, args.path)
    sections = trace_sections(
        chain, args.node, by=args.by, category=args.category, cutoff=args.cutoff
    )
    if target is not None:
        _write_contribution_chart(chain, args.node, target, fmt)
    if args.format == "table":  # show the tree as an indented outline
        for title, frame in sections.items():
            if "depth" in frame:
                outline = [
                    "  " * d + node for d, node in zip(frame["depth"], frame["node"], strict=True)
                ]
                sections[title] = frame.assign(node=outline).drop(columns="depth")
    sys.stdout.write(render_sections(sections, args.format))
    return 0


def _export(args: argparse.Namespace) -> int:
    from supplychain.graphml import export_graphml
    from supplychain.io import load, resolve_graph_path, save_csv, save_json, save_xlsx

    chain = load(args.path)
    source = resolve_graph_path(args.path)
    if args.to == "brightway":
        from supplychain.brightway import to_brightway

        to_brightway(chain, args.output, args.project, args.overwrite)
        sys.stderr.write(
            terminal_safe(
                f"wrote Brightway database {args.output} ({len(chain.nodes)} activities, its"
                f" biosphere and {chain.impacts['category'].nunique()} methods"
                f" ('supplychain', {args.output!r}, category))"
            )
            + "\n"
        )
        return 0
    if args.project is not None:
        sys.stderr.write("supplychain export: --project goes with --to brightway\n")
        return 2
    writers = {"json": save_json, "csv": save_csv, "xlsx": save_xlsx, "graphml": export_graphml}
    writer = writers[args.to]
    writer(chain, Path(args.output), overwrite=args.overwrite, protect=(source,))
    sys.stderr.write(
        terminal_safe(
            f"wrote {args.output} ({args.to}: {len(chain.nodes)} nodes, {len(chain.edges)} edges)"
        )
        + "\n"
    )
    return 0


def _mix(args: argparse.Namespace) -> int:
    import pandas as pd

    from supplychain.io import check_table_folder, save_csv
    from supplychain.mixes import mine_layer, production_shares
    from supplychain.output import render_frame
    from supplychain.tables import from_tables

    if args.output is not None:  # refuse a taken folder before any work
        _refuse_shipped(args.output)
        check_table_folder(args.output, args.overwrite)
    if args.output is None:
        shares = [production_shares(m, args.year, args.min_share) for m in args.materials]
        sys.stdout.write(render_frame(pd.concat(shares, ignore_index=True), args.format))
        return 0
    layer = mine_layer(args.materials, args.year, args.min_share)
    chain = from_tables(Path(args.output).name or "mix", **layer)
    save_csv(chain, Path(args.output), overwrite=args.overwrite)
    sys.stderr.write(
        terminal_safe(
            f"wrote {args.output} (mining layer of {', '.join(args.materials)}:"
            f" {len(chain.nodes)} nodes, {len(chain.edges)} edges)"
        )
        + "\n"
    )
    return 0


def _from_brightway(args: argparse.Namespace) -> int:
    from supplychain.brightway import from_brightway
    from supplychain.io import check_table_folder, save_csv

    _refuse_shipped(args.output)
    check_table_folder(args.output, args.overwrite)
    methods = [tuple(parts) for parts in args.method]
    chain = from_brightway(args.database, args.activity, methods, args.project)
    save_csv(chain, Path(args.output), overwrite=args.overwrite)
    sys.stderr.write(
        terminal_safe(
            f"wrote {args.output} ({len(chain.nodes)} nodes, {len(chain.edges)} edges,"
            f" {len(chain.impacts)} impacts)"
        )
        + "\n"
    )
    return 0


def _rmi(args: argparse.Namespace) -> int:
    from supplychain.io import check_table_folder, load, resolve_graph_path, save_csv
    from supplychain.output import render_frame
    from supplychain.rmi import read_template, smelter_summary, smelter_tables
    from supplychain.tables import from_tables

    if (args.into is None) != (args.component is None):
        sys.stderr.write("supplychain rmi: --into and --component go together\n")
        return 2
    if args.output is not None:  # refuse a taken or shipped folder before any work
        _refuse_shipped(args.output)
        check_table_folder(args.output, args.overwrite)
    template = read_template(args.template)
    chain = load(args.into) if args.into is not None else None
    tables, notes = smelter_tables(template, chain, args.component)
    name = chain.name if chain is not None else Path(args.template).stem
    merged = from_tables(name, **tables)
    for note in notes:
        sys.stderr.write(terminal_safe(f"supplychain: {note}") + "\n")
    sys.stdout.write(render_frame(smelter_summary(template), args.format))
    if args.output is not None:
        protect = (resolve_graph_path(args.into),) if args.into is not None else ()
        if any(Path(args.output).resolve().is_relative_to(p.resolve()) for p in protect):
            raise SupplyChainError(
                f"refusing to write into the graph being read ({args.into}); write elsewhere"
            )
        save_csv(merged, Path(args.output), overwrite=args.overwrite)
        sys.stderr.write(
            terminal_safe(
                f"wrote {args.output} ({template.kind} {template.version}:"
                f" {len(template.smelters)} smelters; {len(merged.nodes)} nodes,"
                f" {len(merged.edges)} edges)"
            )
            + "\n"
        )
    return 0


def _refuse_shipped(output: str) -> None:
    """Refuse an output folder that is empty text, or the shipped graphs' folder or inside
    it (a new folder there would be listed as a shipped graph)."""
    from supplychain.errors import OutputExistsError
    from supplychain.shipped import shipped_graphs_folder

    if not output.strip():
        raise OutputExistsError("-o: name a folder to write (the name given is empty)")
    shipped = shipped_graphs_folder()
    target = Path(output).resolve()
    if shipped is not None and (target == shipped or shipped.resolve() in target.parents):
        raise OutputExistsError(
            f"{output}: inside the shipped graphs ({shipped}); write your graph elsewhere"
        )


def _llm(args: argparse.Namespace) -> int:
    from supplychain.io import check_table_folder, save_csv
    from supplychain.llm import llm_graph, llm_request, read_requests
    from supplychain.output import render_sections
    from supplychain.report import service_sections
    from supplychain.tables import from_tables

    options = {
        "model": args.model,
        "output_tokens": args.tokens,
        "gpu": args.gpu,
        "provider": args.provider,
        "region": args.region,
        "batch_size": args.batch,
        "quantisation_bits": args.bits,
        "training_queries": args.training_queries,
    }
    given = {name: value for name, value in options.items() if value is not None}
    if args.requests is not None and given:
        sys.stderr.write(
            "supplychain llm: --requests takes every request from its file; give"
            f" {', '.join(given)} there (columns of the same names), not here\n"
        )
        return 2
    if args.requests is None and (args.model is None or args.tokens is None):
        sys.stderr.write("supplychain llm: name a MODEL with --tokens N, or a --requests FILE\n")
        return 2
    if args.output is not None:  # refuse a taken folder before any work
        _refuse_shipped(args.output)
        check_table_folder(args.output, args.overwrite)
    from_file = args.requests is not None
    requests = read_requests(args.requests) if from_file else [llm_request(**given)]
    graph = llm_graph(requests)
    chain = from_tables(Path(args.output).name if args.output else "llm", **graph.tables)
    services = list(graph.requests["service"])
    trained = graph.requests.dropna(subset=["training_queries"])
    training = {
        row.service: (row.training, int(row.training_queries)) for row in trained.itertuples()
    }
    sections = {
        "request": graph.requests,
        **service_sections(chain, services, args.samples, args.seed, training),
    }
    sys.stdout.write(render_sections(sections, args.format))
    if args.output:
        save_csv(chain, Path(args.output), overwrite=args.overwrite)
        sys.stderr.write(
            terminal_safe(
                f"wrote {args.output} ({len(chain.nodes)} nodes, {len(chain.edges)} edges):"
                " every command takes it"
            )
            + "\n"
        )
    return 0


def _compare(args: argparse.Namespace) -> int:
    from supplychain.build import to_matrices
    from supplychain.io import load
    from supplychain.output import render_sections
    from supplychain.propagate import category_position, node_position
    from supplychain.report import comparison_sections
    from supplychain.trace import main_category

    nodes = list(dict.fromkeys(args.nodes))
    if len(nodes) < 2 and args.scenarios is None:
        sys.stderr.write(
            "supplychain compare: name two or more different nodes, or scenarios of one"
            " (--scenarios FILE)\n"
        )
        return 2
    chain = load(args.path)
    matrices = to_matrices(chain)
    for node in nodes:
        node_position(matrices.nodes, node)  # names an unknown node, with the closest ids
    if args.scenarios is not None:
        import pandas as pd

        from supplychain.report import scenario_sections
        from supplychain.scenarios import read_scenarios, scenario_chains

        changes = read_scenarios(args.scenarios)
        graphs = scenario_chains(chain, changes, Path(args.scenarios).name)
        if args.category:  # a scenario may add the category
            known = {c for g in [chain, *graphs.values()] for c in to_matrices(g).categories}
            category_position(pd.Index(sorted(known)), args.category)
        sections = scenario_sections(chain, graphs, nodes, args.samples, args.seed)
        side = "base and scenarios"
    else:
        if args.category:
            category_position(matrices.categories, args.category)
        sections = comparison_sections(chain, nodes, args.samples, args.seed)
        side = "side by side"
    if args.category:
        sections = {
            title: frame[frame["category"] == args.category].reset_index(drop=True)
            for title, frame in sections.items()
        }
    if args.scenarios is not None:
        sections["the changes"] = changes.drop(columns="transparency")
    if args.chart is not None:
        category = args.category or main_category(matrices.categories)
        none_left = f"nothing to chart: none of the nodes has a total in {category}"
        rows = sections[side]
        if args.scenarios is not None:  # a bar per scenario (and node)
            label = rows["scenario"] if len(nodes) == 1 else rows["scenario"] + ": " + rows["node"]
            rows = rows.assign(node=label)
        _write_chart(rows, category, args.chart, args.path, none_left)
    sys.stdout.write(render_sections(sections, args.format))
    return 0


def _breakeven(args: argparse.Namespace) -> int:
    from supplychain.breakeven import break_even
    from supplychain.io import load
    from supplychain.output import render_sections
    from supplychain.propagate import category_position, solve_chain

    chain = load(args.path)
    solution = solve_chain(chain)
    if args.category:
        category_position(solution.matrices.categories, args.category)
    runs = dict(map(tuple, args.specific_training))
    found = break_even(solution, [tuple(t) for t in args.task], args.general_training, runs)
    if args.category:
        found = found[found["category"] == args.category].reset_index(drop=True)
    title = "multi-purpose against task-specific (whole runs; inference per unit of each service)"
    sys.stdout.write(render_sections({title: found}, args.format))
    if args.format == "table":
        sys.stdout.write("".join(terminal_safe(line) + "\n" for line in _break_even_lines(found)))
    return 0


def _break_even_lines(found) -> list[str]:
    """The table's answer in words, a line per category."""
    lines = []
    for row in found.itertuples(index=False):
        unit, per = f"{row.unit}", f"{row.per}"
        unknown = row.tasks - row.specific_runs_known
        known = (
            f"counting the {unknown} task-specific run{'s' * (unknown != 1)} the graph lacks as 0"
            if unknown
            else "all task-specific runs known"
        )
        if row.general_cheaper == "never":
            lines.append(
                f"{row.category}: the multi-purpose model is never the cheaper ({known}); its"
                f" run would pay off only if the task-specific runs cost over"
                f" {row.mean_specific_run_needed:.4g} {unit} each on average"
            )
        elif row.general_cheaper == "below N*":
            lines.append(
                f"{row.category}: the multi-purpose model is the cheaper below"
                f" {row.break_even:.4g} x {per} per task, dearer above ({known})"
            )
        elif row.general_cheaper == "above N*":
            lines.append(
                f"{row.category}: the multi-purpose model is the cheaper above"
                f" {row.break_even:.4g} x {per} per task ({known})"
            )
        elif row.general_cheaper == "always":
            lines.append(f"{row.category}: the multi-purpose model is always the cheaper ({known})")
        else:
            lacking = row.no_figure.replace(";", ", ")
            lines.append(f"{row.category}: unknown, no figure in this category for {lacking}")
    return lines


def _graphs(args: argparse.Namespace) -> int:
    from supplychain.shipped import shipped_graphs_rows
    from supplychain.text import render_rows

    rows, columns = shipped_graphs_rows()
    sys.stdout.write(render_rows(rows, columns, args.format) + "\n")
    return 0


_COMMANDS = {
    "validate": _validate,
    "report": _report,
    "impacts": _impacts,
    "trace": _trace,
    "uncertainty": _uncertainty,
    "social": _social,
    "audit": _audit,
    "viz": _viz,
    "export": _export,
    "mix": _mix,
    "llm": _llm,
    "compare": _compare,
    "rmi": _rmi,
    "from-brightway": _from_brightway,
    "breakeven": _breakeven,
    "graphs": _graphs,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on --help, --version and usage errors
        return int(exit_.code or 0)
    restore_signals = cleanup_on_signals()  # SIGTERM unwinds, removing temporary files
    try:
        return _COMMANDS[args.command](args)
    except InvalidGraphError as error:
        from supplychain.output import render_problems

        sys.stderr.write(render_problems(list(error.problems)))
        errors = sum(p.is_error for p in error.problems)
        what = "data table" if isinstance(error, InvalidDataError) else "graph"
        sys.stderr.write(
            f"supplychain: the {what} has {errors} error{'s' * (errors != 1)}; nothing was done\n"
        )
        return 1
    except SupplyChainError as error:
        sys.stderr.write(terminal_safe(f"supplychain: {error}") + "\n")
        return 1
    except BrokenPipeError:  # output piped into a command that stopped reading
        sys.stderr.close()
        return 0
    except OSError as error:  # the writers say which file; this is the net under them
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(terminal_safe(f"supplychain: {where}{error.strerror or error}") + "\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("supplychain: interrupted\n")
        return 130
    finally:
        restore_signals()


def main_exit() -> None:
    """Entry point of the ``supplychain`` console script."""
    sys.exit(main())
