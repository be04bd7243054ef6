"""Credits and negative flows: recycling credits, avoided products, uptakes. Totals exact
against a dense solve, opacity on the flows' sizes, signed shares, draws that keep their
sign, and credits that carry neither mined mass nor social risk."""

import numpy as np
import pandas as pd
import pytest

from supplychain.cli import main
from supplychain.errors import InvalidGraphError
from supplychain.propagate import solve_chain, totals
from supplychain.social import exposure, mined_mass
from supplychain.tables import from_tables
from supplychain.trace import contributions, input_contributions
from supplychain.uncertainty import monte_carlo, uncertainty_summary


def recycled_part(**credit):
    """Ore (disclosed, 10 kg CO2e/kg) makes metal; a part takes 2 kg of metal and is
    credited 0.5 kg of scrap metal it returns (estimated), and takes up 1 kg CO2e."""
    nodes = [
        {"id": "ore", "kind": "mine", "unit": "kg", "country": "COD"},
        {"id": "metal", "kind": "material", "unit": "kg"},
        {"id": "scrap", "kind": "material", "unit": "kg"},
        {"id": "part", "kind": "component", "unit": "item"},
    ]
    disclosed = {"transparency": "disclosed", "source_ref": "s"}
    edges = [
        {"source": "ore", "target": "metal", "amount": 1.0, **disclosed},
        {"source": "metal", "target": "part", "amount": 2.0, **disclosed},
        {"source": "metal", "target": "scrap", "amount": 1.0, **disclosed},
        {
            "source": "scrap",
            "target": "part",
            "amount": -0.5,
            "transparency": "estimated",
            "source_ref": "s",
            **credit,
        },
    ]
    impacts = [
        {
            "node": "ore",
            "category": "gwp",
            "value": 10.0,
            "transparency": "disclosed",
            "source": "s",
        },
        {
            "node": "part",
            "category": "gwp",
            "value": -1.0,
            "transparency": "disclosed",
            "source": "s",
        },
    ]
    social = [{"node": "ore", "indicator": "child_labour", "level": "high", "source": "s"}]
    return from_tables(
        nodes=nodes,
        edges=edges,
        impacts=impacts,
        social=social,
        sources=[{"id": "s", "title": "s"}],
    )


def test_a_credit_lowers_the_total_exactly():
    found = totals(recycled_part(), category="gwp").set_index("node")["value"]
    assert found["part"] == pytest.approx(2 * 10 - 0.5 * 10 - 1)  # 14


def test_opacity_counts_every_part_at_its_size():
    """|parts| of the part: 20 (metal, disclosed) + 5 (the credit, estimated) + 1 (its own
    uptake, disclosed) = 26, of which 5 undisclosed: opacity 5 / 26, in [0, 1] although the
    credit is a negative part of a total of 14."""
    row = totals(recycled_part(), category="gwp").set_index("node").loc["part"]
    assert row["opacity"] == pytest.approx(5 / 26)
    assert row["estimated_share"] == pytest.approx(5 / 26)


def test_signed_shares_add_up_to_one():
    chain = recycled_part()
    inputs = input_contributions(chain, "part")
    inputs = inputs[inputs["category"] == "gwp"].set_index("input")["share"]
    assert inputs["metal"] == pytest.approx(20 / 14) and inputs["scrap"] == pytest.approx(-5 / 14)
    direct = contributions(chain, "part", "gwp").set_index("node")["share"]
    assert direct.sum() == pytest.approx(1.0)
    assert direct["part"] == pytest.approx(-1 / 14)  # the uptake


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_totals_with_credits_agree_with_a_dense_solve(seed):
    """A random graph: forward edges of either sign, positive loops, impacts of either
    sign; H = B (I - A)^-1 by numpy against the solver."""
    rng = np.random.default_rng(seed)
    n = 30
    A = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < 0.12:
                A[i, j] = rng.normal(0, 0.4)
    for i in range(20, 24):  # a positive loop 20 -> 21 -> ... -> 24 -> 20
        A[i, i + 1] = abs(A[i, i + 1]) or 0.3
    A[24, 20] = 0.2
    A[20:25, 20:25] = np.abs(A[20:25, 20:25])  # credits come in and out, not inside it
    B = rng.normal(size=(2, n))
    nodes = [{"id": f"n{i}", "kind": "material", "unit": "kg"} for i in range(n)]
    edges = [
        {"source": f"n{i}", "target": f"n{j}", "amount": float(A[i, j])}
        for i, j in zip(*np.nonzero(A), strict=True)
    ]
    impacts = [
        {"node": f"n{j}", "category": c, "value": float(B[k, j])}
        for k, c in enumerate(("gwp", "water"))
        for j in range(n)
    ]
    chain = from_tables(nodes=nodes, edges=edges, impacts=impacts)
    H = solve_chain(chain).H
    exact = np.linalg.solve((np.eye(n) - A).T, B.T)  # rows: nodes
    assert np.allclose(H, exact, rtol=1e-12, atol=1e-12)


def test_a_credit_inside_a_loop_is_refused_with_its_row():
    with pytest.raises(InvalidGraphError, match="credit-in-loop|a negative amount"):
        from_tables(
            nodes=[{"id": "a", "kind": "material", "unit": "kg"}],
            edges=[{"source": "a", "target": "a", "amount": -0.1}],
        )


@pytest.mark.parametrize("uncertainty", ["normal(sd=0.4)", "range(-0.8, -0.3)", ""])
def test_the_monte_carlo_of_a_credited_total_brackets_it(uncertainty):
    run = monte_carlo(recycled_part(uncertainty=uncertainty), 2000, 0, ["part"])
    spread = uncertainty_summary(run).set_index(["node", "category"]).loc[("part", "gwp")]
    assert spread["p5"] < spread["value"] < spread["p95"]


def test_the_draws_of_a_negative_figure_keep_its_sign():
    from supplychain.uncertainty import draw, parameters

    for text in ("normal(sd=0.4)", "range(-0.8, -0.3)", ""):
        params = parameters(recycled_part(uncertainty=text))
        row = params.table.index[params.table["parameter"] == "scrap -> part"][0]
        drawn = draw(params, np.array([row]), seed=0, start=0, size=5000)
        assert (drawn < 0).all(), text
        if text.startswith("range"):
            assert drawn.min() >= -0.8 and drawn.max() <= -0.3
            described = params.table.loc[row, "distribution"]
            assert described == "negative log-uniform(min=-0.8, max=-0.3)"  # not "uniform"


def test_a_credit_carries_no_mined_mass_and_no_social_risk():
    """The scrap credit avoids 0.5 kg of metal, but avoided mining elsewhere does not undo
    the 2 kg of ore mined for this part, nor the child labour listed at that mine."""
    chain = recycled_part()
    mass = pd.Series(mined_mass(chain), index=chain.nodes["id"])
    assert mass["part"] == pytest.approx(2.0)  # not 1.5
    found = exposure(chain, "part").set_index("indicator").loc["child_labour"]
    assert found["exposed"] == pytest.approx(2.0) and found["share"] == pytest.approx(1.0)


def test_a_credit_is_no_share_of_a_sourcing_mix(tmp_path):
    from supplychain.io import save_csv, validate

    chain = recycled_part()
    save_csv(chain, tmp_path / "g")
    assert [p.code for p in validate(tmp_path / "g")] == []  # no mix-not-one for the credit


def test_the_commands_show_a_credit(tmp_path, capsys):
    from supplychain.io import save_csv

    save_csv(recycled_part(), tmp_path / "g")
    assert main(["impacts", str(tmp_path / "g"), "--node", "part", "--format", "json"]) == 0
    shown = capsys.readouterr()
    assert '"value": 14.0' in shown.out
    assert "the graph has credits" in shown.err and "each counted at its size" in shown.err
    assert main(["trace", str(tmp_path / "g"), "part", "--format", "csv"]) == 0
    assert "-0.5" in capsys.readouterr().out


def test_the_report_says_what_opacity_means_with_credits(tmp_path, capsys):
    from supplychain.io import save_csv

    save_csv(recycled_part(), tmp_path / "g")
    assert main(["report", str(tmp_path / "g"), "--no-page"]) == 0
    assert "the graph has credits" in capsys.readouterr().err
    assert main(["report", "example", "--no-page"]) == 0
    assert "credits" not in capsys.readouterr().err  # a graph without any says nothing


def test_the_audit_traces_mined_mass_along_positive_flows():
    """All 2 kg of ore come from a country mine: the credit takes nothing from coverage
    (a signed trace made it 1.5 of 2 kg, 25 % of unknown origin)."""
    from supplychain.audit import audit

    row = audit(recycled_part(), ["part"]).coverage.iloc[0]
    assert row["mined"] == pytest.approx(2.0)
    assert row["country_only_share"] == pytest.approx(1.0)
    assert row["unknown_origin_share"] == pytest.approx(0.0, abs=1e-12)


def test_the_audit_ranks_a_credit_gap_by_its_size():
    """The estimated credit scrap -> part is a gap of -5 / 14 of the total, signed."""
    from supplychain.audit import audit

    gaps = audit(recycled_part(), ["part"]).gaps.set_index("gap")
    assert gaps.loc["scrap -> part", "share"] == pytest.approx(-5 / 14)


def test_a_credited_node_is_in_the_requirements_and_mines_are_gross():
    from supplychain.trace import requirements, requirements_by_country

    chain = recycled_part()
    found = requirements(chain, "part").set_index("node")["amount"]
    assert found["scrap"] == pytest.approx(-0.5)  # credited only: a negative amount
    assert found["metal"] == pytest.approx(1.5) and found["ore"] == pytest.approx(1.5)  # net
    by_country = requirements_by_country(chain, "part").set_index("country")["amount"]
    assert by_country["COD"] == pytest.approx(2.0)  # mined, as mined_mass


def test_a_focused_page_shows_a_credit_by_its_size():
    """The credit scrap -> part is 5 / 14 of the part's total (negative): shown, sized by
    its size; before, a page kept only positive shares and hid it."""
    from supplychain.render import page_data

    data = page_data(recycled_part(), focus="part", samples=0)
    shown = {node["id"]: node for node in data["nodes"]}
    assert "scrap" in shown
    assert shown["scrap"]["size"] > 10  # 10 is the size of a node with no share


def test_a_comparison_counts_an_uptake_as_own():
    """Two parts alike but for an uptake of 1 kg CO2e: the difference is all ``own``."""
    from supplychain.report import comparison_sections

    part = {"kind": "component", "unit": "item"}
    chain = from_tables(
        nodes=[
            {"id": "grid", "kind": "energy", "unit": "kWh"},
            {"id": "plain", **part},
            {"id": "planted", **part},
        ],
        edges=[{"source": "grid", "target": t, "amount": 2.0} for t in ("plain", "planted")],
        impacts=[
            {"node": "grid", "category": "gwp", "value": 0.5},
            {"node": "planted", "category": "gwp", "value": -1.0},
        ],
    )
    drivers = comparison_sections(chain, ["plain", "planted"], samples=20)
    drivers = drivers["what drives the difference"].set_index("through")
    assert drivers.loc["own", "impact"] == -1.0
    assert drivers.loc["own", "share_of_difference"] == pytest.approx(1.0)


def test_a_comparison_leaves_a_category_without_figures_unknown():
    """Water only on the second part's cooling: the first part's water is unknown, so its
    difference is too (it read as 0, the whole water total a difference)."""
    from supplychain.report import comparison_sections

    part = {"kind": "component", "unit": "item"}
    chain = from_tables(
        nodes=[
            {"id": "grid", "kind": "energy", "unit": "kWh"},
            {"id": "cooling", "kind": "energy", "unit": "kWh"},
            {"id": "dry", **part},
            {"id": "cooled", **part},
        ],
        edges=[
            {"source": "grid", "target": "dry", "amount": 2.0},
            {"source": "grid", "target": "cooled", "amount": 2.0},
            {"source": "cooling", "target": "cooled", "amount": 1.0},
        ],
        impacts=[
            {"node": "grid", "category": "gwp", "value": 0.5},
            {"node": "cooling", "category": "water", "value": 0.01},
        ],
    )
    drivers = comparison_sections(chain, ["dry", "cooled"], samples=20)
    drivers = drivers["what drives the difference"].set_index(["category", "through"])
    assert drivers.loc[("water", "energy"), "impact"] == pytest.approx(0.01)
    assert np.isnan(drivers.loc[("water", "energy"), "first"])
    assert np.isnan(drivers.loc[("water", "energy"), "difference"])
    assert str(drivers.loc[("gwp", "energy"), "difference"]) == "0.0"  # never -0.0


def _two_services(tmp_path, second="forest"):
    from supplychain.io import save_csv

    service = {"kind": "service", "unit": "1000 queries"}
    chain = from_tables(
        nodes=[{"id": "server", **service}, {"id": second, **service}],
        impacts=[
            {"node": "server", "category": "gwp", "value": 3.0},
            {"node": second, "category": "gwp", "value": -2.0 if second == "forest" else 1.0},
        ],
    )
    save_csv(chain, tmp_path / "g")
    return str(tmp_path / "g")


def test_a_chart_names_the_negative_totals_it_leaves_out(tmp_path, capsys):
    graph = _two_services(tmp_path)
    chart = str(tmp_path / "c.svg")
    assert main(["uncertainty", graph, "--samples", "20", "--chart", chart]) == 0
    err = capsys.readouterr().err
    assert "left out of the chart, a log axis draws positive totals only: forest (-2)" in err
    assert "(1 bars)" in err
    code = main(
        ["uncertainty", graph, "--samples", "20", "--node", "forest", "--chart", chart + "2.svg"]
    )
    assert code == 1
    assert (
        "a log axis draws positive totals only, and forest (-2) is not" in capsys.readouterr().err
    )


def test_a_missing_glyph_is_one_line_not_a_warning_per_character(tmp_path, capsys):
    graph = _two_services(tmp_path, second="服务器")
    assert main(["uncertainty", graph, "--samples", "20", "--chart", str(tmp_path / "c.png")]) == 0
    err = capsys.readouterr().err
    assert err.count("not in the chart's font") == 1 and "UserWarning" not in err


def test_the_evidence_counts_mined_mass_as_the_exposure_does():
    from supplychain.social import evidence

    chain = recycled_part()
    found = evidence(chain, "part", "child_labour").set_index("source_node")["mined"]
    assert found["ore"] == pytest.approx(2.0)  # as exposure's 2 kg, not the net 1.5
