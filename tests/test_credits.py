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
