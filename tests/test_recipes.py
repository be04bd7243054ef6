"""The README's recipes, run as written: the rows of its disclosed-supplier recipe applied
to the shipped graph give the numbers it promises."""

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from supplychain.audit import audit
from supplychain.io import load, save_csv
from supplychain.propagate import totals
from supplychain.social import exposure, mined_mass

README = Path(__file__).resolve().parent.parent / "README.md"


def recipe_rows() -> dict[str, list[list[str]]]:
    """The rows of the README's disclosed-supplier recipe, by file."""
    text = README.read_text("utf-8")
    start = text.index("* **A disclosed supplier.**")
    block = text[text.index("```", start) + 3 : text.index("```", text.index("```", start) + 3)]
    rows: dict[str, list[list[str]]] = {}
    table = None
    for line in block.strip().splitlines():
        found = re.match(r"\s*(\w+)\.csv:\s+(.*)", line)
        if found:
            table, cells = found.group(1), found.group(2)
        else:
            cells = line.strip()
        rows.setdefault(table, []).append(next(csv.reader(io.StringIO(cells))))
    return rows


def apply_recipe(folder: Path) -> None:
    """Append the recipe's rows to the tables of ``folder``; an edge already there is
    replaced (the recipe lowers one)."""
    for table, rows in recipe_rows().items():
        path = folder / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        added = pd.DataFrame([r + [""] * (len(frame.columns) - len(r)) for r in rows],
                             columns=frame.columns)  # fmt: skip
        if table == "edges":
            key = ["source", "target"]
            frame = frame[~frame.set_index(key).index.isin(added.set_index(key).index)]
        pd.concat([frame, added]).to_csv(path, index=False)


def test_the_disclosed_supplier_recipe_gives_the_numbers_it_promises(tmp_path):
    base = load("ai-inference")
    save_csv(base, tmp_path / "g")
    apply_recipe(tmp_path / "g")
    chain = load(tmp_path / "g")
    assert "tantalum-smelter-x" in set(chain.nodes["id"])
    before = totals(base).set_index(["node", "category"])["value"]
    after = totals(chain).set_index(["node", "category"])["value"]
    assert after[("tantalum", "gwp")] == pytest.approx(before[("tantalum", "gwp")], rel=1e-12)
    mass = pd.Series(mined_mass(chain), index=chain.nodes["id"])
    assert mass["tantalum"] == pytest.approx(1.0)  # not 0.6
    prior = exposure(base, "tantalum").set_index("indicator").loc["conflict", "share"]
    found = exposure(chain, "tantalum").set_index("indicator").loc["conflict", "share"]
    assert found == pytest.approx(0.4 + 0.6 * prior, rel=1e-9)
    checks = audit(chain, ["tantalum"], samples=None).checks
    assert not (checks["check"] == "conflict-scope").any()
    assert not [p for p in chain.warnings if "tantalum-smelter-x" in p.describe()]
