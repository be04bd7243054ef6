"""Monte Carlo: known answers, reproducibility, mixes, loops, sensitivity, the command."""

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import SOURCES, edge, impact, make, node
from conftest import run_cli as run

import supplychain.uncertainty as unc
from supplychain.errors import SupplyChainError, UnknownNodeError
from supplychain.io import load
from supplychain.propagate import totals
from supplychain.tables import from_tables
from supplychain.uncertainty import (
    DEFAULT_GSD,
    draw,
    monte_carlo,
    noise_floor,
    parameters,
    sensitivity,
    uncertainty_summary,
)


def draws(params, samples: int, seed: int = 0) -> np.ndarray:
    """Every parameter of ``params``, ``samples`` times."""
    return draw(params, np.arange(len(params)), seed, 0, samples)


def total_of(mc, node_id: str, category: str = "gwp") -> np.ndarray:
    return mc.results[mc.nodes.get_loc(node_id), mc.categories.get_loc(category)]


def chain_of_two(edge_spread: str, impact_spread: str, level: str = "published"):
    """ore -> metal, 2 kg per kg; ore emits 3 kg CO2e per kg: metal's total is 6."""
    return make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 2, level, uncertainty=edge_spread)],
        [impact("ore", 3, transparency=level, uncertainty=impact_spread)],
    )


def test_a_product_of_lognormals_has_the_known_median_and_gsd():
    mc = monte_carlo(chain_of_two("lognormal(1.3)", "lognormal(1.5)"), samples=40_000, seed=3)
    metal = total_of(mc, "metal")
    expected_sigma = math.hypot(math.log(1.3), math.log(1.5))
    assert np.median(metal) == pytest.approx(6, rel=0.02)
    assert np.log(metal).std() == pytest.approx(expected_sigma, rel=0.02)


def test_a_sum_of_normals_has_the_known_variance():
    chain = make(
        [node("a", "mine"), node("b"), node("c", "component")],
        [
            edge("a", "c", 1, uncertainty="normal(sd=0)"),
            edge("b", "c", 1, uncertainty="normal(sd=0)"),
        ],
        [impact("a", 10, uncertainty="normal(sd=0.3)"), impact("b", 20, uncertainty="normal(0.4)")],
    )
    c = total_of(monte_carlo(chain, samples=40_000, seed=4), "c")
    assert c.mean() == pytest.approx(30, rel=0.002)
    assert c.std() == pytest.approx(0.5, rel=0.02)  # sqrt(0.3^2 + 0.4^2)


def test_less_transparency_means_a_wider_spread():
    spreads = {}
    for level in ("disclosed", "missing"):
        metal = total_of(monte_carlo(chain_of_two("", "", level), samples=5000), "metal")
        spreads[level] = np.log(metal).std()
    assert spreads["disclosed"] < spreads["missing"] / 5
    expected = math.sqrt(2) * math.log(DEFAULT_GSD["disclosed"])
    assert spreads["disclosed"] == pytest.approx(expected, rel=0.05)


def test_the_same_seed_gives_the_same_numbers():
    chain = load("ai-inference")
    first = monte_carlo(chain, samples=50, seed=7).results
    assert np.array_equal(first, monte_carlo(chain, samples=50, seed=7).results)
    assert not np.array_equal(first, monte_carlo(chain, samples=50, seed=8).results)


def test_the_mean_converges_to_the_total_when_linear_in_one_parameter():
    chain = chain_of_two("normal(sd=0)", "normal(sd=0.5)")
    metal = total_of(monte_carlo(chain, samples=20_000, seed=5), "metal")
    assert abs(metal.mean() - 6) < 4 * metal.std() / math.sqrt(len(metal))
    assert metal.std() == pytest.approx(1.0, rel=0.03)  # 2 kg x sd 0.5


def test_a_mix_is_drawn_as_shares_that_add_up_to_one():
    chain = make(
        [node("m1", "mine"), node("m2", "mine"), node("m3", "mine"), node("cobalt")],
        [edge("m1", "cobalt", 0.7, "estimated"), edge("m2", "cobalt", 0.2, "estimated")]
        + [edge("m3", "cobalt", 0.1, "estimated")],
        [impact(m, 1.0) for m in ("m1", "m2", "m3")],
    )
    params = parameters(chain)
    assert set(params.table["distribution"].iloc[:3]) == {"dirichlet share (concentration 50)"}
    values = draws(params, 20_000)[:3]
    assert np.allclose(values.sum(axis=0), 1)
    assert values.mean(axis=1) == pytest.approx([0.7, 0.2, 0.1], abs=0.005)
    assert values[0].std() == pytest.approx(math.sqrt(0.7 * 0.3 / 51), rel=0.05)


def test_an_unknown_origin_spreads_over_the_producing_countries():
    mc = monte_carlo(load("ai-inference"), samples=400, seed=0)
    pool = mc.params.table.query("parameter.str.endswith('-> cobalt-unknown-origin')")
    assert len(pool) > 5 and pool["distribution"].str.startswith("dirichlet").all()
    shares = mc.draws(pool.index.to_numpy())
    assert np.allclose(shares.sum(axis=0), 1)


def test_a_whole_single_supplier_is_fixed():
    table = parameters(load("ai-inference")).table.set_index("parameter")
    assert table.loc["cobalt-unknown-origin -> cobalt", "distribution"] == "fixed: the whole mix"


def test_ranges_are_log_uniform_and_normals_never_negative():
    chain = make(
        [node("a", "mine"), node("b", "mine")],
        impacts=[
            impact("a", 10, uncertainty="range(1, 100)"),
            impact("b", 1, uncertainty="normal(sd=2)"),
        ],
    )
    values = draws(parameters(chain), 40_000, seed=1)
    assert np.median(values[0]) == pytest.approx(10, rel=0.05)
    assert values[0].min() >= 1 and values[0].max() <= 100
    assert values[1].min() >= 0


def test_bounds_in_another_unit_are_converted_with_the_figure():
    chain = make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 500, unit="g", uncertainty="uniform(400, 600)")],
        [impact("ore", 1)],
    )
    values = draws(parameters(chain), 10_000, seed=2)[0]
    assert values.min() >= 0.4 and values.max() <= 0.6


def dense_totals(chain, amounts: np.ndarray, impacts: np.ndarray) -> np.ndarray:
    """The obvious alternative: (I - A)^-1 solved densely for one sample's values."""
    n = len(chain.nodes)
    index = chain.index
    A = np.zeros((n, n))
    np.add.at(A, (index.edge_supplier, index.edge_consumer), amounts)
    categories = list(dict.fromkeys(chain.impacts["category"]))
    B = np.zeros((len(categories), n))
    B[[categories.index(c) for c in chain.impacts["category"]], index.impact_node] = impacts
    return np.linalg.solve(np.eye(n) - A.T, B.T)  # (n, k): H^T, Y = B^T + A^T Y


@pytest.mark.parametrize("chunk_bytes", [unc.CHUNK_BYTES, 1])
def test_each_sample_equals_a_full_solve_with_its_draws(monkeypatch, chunk_bytes):
    monkeypatch.setattr(unc, "CHUNK_BYTES", chunk_bytes)
    chain = make(  # a loop: scrap goes back into metal
        [node("ore", "mine"), node("metal"), node("part", "component"), node("scrap")],
        [
            edge("ore", "metal", 0.9, "estimated"),
            edge("scrap", "metal", 0.1, "missing"),
            edge("metal", "part", 2.0, "published"),
            edge("part", "scrap", 0.3, "estimated"),
        ],
        [impact("ore", 5.0, transparency="estimated"), impact("part", 1.0)],
    )
    mc = monte_carlo(chain, samples=20, seed=9)
    E = len(chain.edges)
    drawn = mc.draws(range(6))
    for s in range(20):
        expected = dense_totals(chain, drawn[:E, s], drawn[E:, s])
        assert mc.results[:, :, s] == pytest.approx(expected, rel=1e-9)


def test_a_loop_that_needs_itself_in_every_sample_is_refused():
    """At its figures the loop gains 0.9; every draw of its range gains 1.08 or more."""
    chain = make(
        [node("a"), node("b")],
        [edge("a", "b", 1.0, "missing", uncertainty="uniform(1.2, 1.3)")]
        + [edge("b", "a", 0.9, "missing", uncertainty="uniform(0.9, 0.95)")],
        [impact("a", 1.0)],
    )
    with pytest.raises(SupplyChainError, match="every one of the 200 samples.*a, b"):
        monte_carlo(chain, samples=200, seed=0)


def test_samples_whose_own_draws_diverge_are_counted_and_left_out():
    """The loop's gain is 0.9 x 0.9 = 0.81 at the figures, but a missing figure is drawn
    with a GSD of 3: some samples' loops need more than one unit of themselves."""
    chain = make(
        [node("a"), node("b")],
        [edge("a", "b", 0.9, "missing"), edge("b", "a", 0.9, "missing")],
        [impact("a", 1.0)],
    )
    mc = monte_carlo(chain, samples=200, seed=0)
    gain = mc.draws([0]) * mc.draws([1])
    assert np.array_equal(mc.divergent, (gain >= 1).ravel())  # exactly the samples that need it
    assert 0 < mc.divergent.sum() < 200 and mc.loops == [("a", "b")]
    assert np.isnan(mc.results[:, :, mc.divergent]).all()
    assert np.isfinite(uncertainty_summary(mc)[["median", "p95"]].to_numpy()).all()


def test_a_loop_the_sweeps_settle_slowly_is_solved_exactly_in_every_sample():
    """Issue 14's graph: metal takes 0.985-0.99 of itself; impacts gives 100 kg CO2e per
    kg of metal, and every sample must agree with its own geometric series."""
    chain = make(
        [node("metal"), node("phone", "device", "item")],
        [
            edge("metal", "metal", 0.99, "estimated", uncertainty="uniform(0.985, 0.99)"),
            edge("metal", "phone", 0.01, "disclosed", uncertainty="normal(sd=0)"),
        ],
        [impact("metal", 1.0, uncertainty="normal(sd=0)")],
    )
    assert totals(chain, "metal", "gwp")["value"].iloc[0] == pytest.approx(100, rel=1e-12)
    mc = monte_carlo(chain, samples=50, seed=1)
    loop = mc.draws([0]).ravel()
    assert not mc.divergent.any()
    assert total_of(mc, "metal") == pytest.approx(1 / (1 - loop), rel=1e-10)
    assert total_of(mc, "phone") == pytest.approx(0.01 / (1 - loop), rel=1e-10)


def test_fixed_figures_give_the_deterministic_totals_in_every_sample():
    chain = chain_of_two("normal(sd=0)", "normal(sd=0)")
    mc = monte_carlo(chain, samples=5)
    summary = uncertainty_summary(mc).set_index("node")
    assert summary.loc["metal", "sd"] == 0
    assert summary.loc["metal", "p5"] == summary.loc["metal", "value"] == 6


def test_summary_columns_and_percentiles():
    summary = uncertainty_summary(monte_carlo(load("example"), 200), percentiles=(2.5, 50, 97.5))
    assert list(summary.columns) == [
        "node", "kind", "category", "value", "mean", "median", "sd",
        "p2.5", "p50", "p97.5", "unit", "per", "opacity",
    ]  # fmt: skip
    known = summary.dropna(subset=["value"])  # rows with no figure upstream have no spread
    assert summary.loc[summary["value"].isna(), "p50"].isna().all()
    assert (known["p2.5"] <= known["p97.5"]).all()
    assert np.allclose(known["p50"], known["median"])


def test_a_choice_draws_each_value_as_often_and_is_centred_on_their_mean():
    """Energy of three measured models, in Wh per query, counted per kWh: mean 2 kWh."""
    chain = make(
        [node("grid", "energy", "kWh"), node("service", "service", "query")],
        [
            edge(
                "grid",
                "service",
                2000,
                "published",
                unit="Wh",
                uncertainty="choice(500, 1500, 4000)",
            )
        ],
        [impact("grid", 0.5, transparency="disclosed")],
    )
    values = draws(parameters(chain), 30_000, seed=2)[0]
    assert set(np.unique(values)) == {0.5, 1.5, 4.0}  # converted to kWh like the figure
    assert np.bincount((values * 2).astype(int))[[1, 3, 8]] / 30_000 == pytest.approx(
        [1 / 3] * 3, abs=0.01
    )
    mc = monte_carlo(chain, 4000, seed=1)
    assert total_of(mc, "service").mean() == pytest.approx(1.0, rel=0.02)  # 2 kWh x 0.5


def test_a_mix_in_other_units_is_drawn_as_one_mix_that_stays_whole():
    # 0.0003 t of ore and 0.7 kg of scrap per kg of metal are a whole mix by the rule that
    # validate warns by; drawn, the shares in the metal's unit always add up to 1 (the
    # Monte Carlo only took mixes in one unit)
    chain = make(
        [node("ore", "mine", "t"), node("scrap"), node("metal")],
        [edge("ore", "metal", 0.0003, "estimated"), edge("scrap", "metal", 0.7, "estimated")],
        [impact("ore", 1000.0), impact("scrap", 0.5)],
    )
    assert chain.warnings == ()
    params = parameters(chain)
    assert params.table["distribution"].tolist()[:2] == ["dirichlet share (concentration 50)"] * 2
    draws = draw(params, np.arange(2), seed=3, start=0, size=500)
    assert np.allclose(draws[0] * 1000 + draws[1], 1.0)  # t -> kg: always the whole
    assert draws[0].std() > 0
    assert draws[0].mean() == pytest.approx(0.0003, rel=0.05)


def test_sensitivity_names_the_widest_undisclosed_figure_first():
    chain = make(
        [node("ore", "mine"), node("metal"), node("grid", "energy", "kWh")],
        [
            edge("ore", "metal", 1.0, "disclosed"),
            edge("grid", "metal", 2.0, "missing", uncertainty="lognormal(3)"),
        ],
        [impact("ore", 5.0), impact("grid", 0.4, transparency="disclosed")],
    )
    mc = monte_carlo(chain, 3000, seed=1)
    found = sensitivity(mc, "metal", "gwp")
    assert found.loc[0, "parameter"] == "grid -> metal"
    assert found.loc[0, "transparency"] == "missing"
    assert found["variance_share"].sum() == pytest.approx(1)


def test_sensitivity_of_totals_beyond_1e154_gives_no_overflow_warning():
    # the spread check squared the totals (std): a total of 1e200 overflowed to a
    # RuntimeWarning printed to the user (seen on a 10^5-deep chain)
    chain = make(
        [node("ore", "mine"), node("metal")],
        [edge("ore", "metal", 1.0, "missing", uncertainty="lognormal(2)")],
        [impact("ore", 1e200)],
    )
    found = sensitivity(monte_carlo(chain, 200, seed=1), "metal", "gwp")  # warnings: errors
    assert found.loc[0, "parameter"] == "ore -> metal"


def test_sensitivity_leaves_out_what_only_chance_correlates():
    """One wide figure and 300 that weigh nothing: only the wide one drives the spread."""
    mines = [node(f"m{i}", "mine") for i in range(300)]
    chain = make(
        [*mines, node("metal"), node("grid", "energy", "kWh")],
        [edge(m["id"], "metal", 1.0, "disclosed") for m in mines]
        + [edge("grid", "metal", 2.0, "missing", uncertainty="lognormal(3)")],
        [impact(m["id"], 1e-9) for m in mines] + [impact("grid", 0.4)],
    )
    mc = monte_carlo(chain, 500, seed=3)
    found = sensitivity(mc, "metal", "gwp")
    assert list(found["parameter"]) == ["grid -> metal"]
    assert noise_floor(500, 601) > 0.15  # what 601 unrelated draws reach by chance


def test_unknown_nodes_and_too_few_samples_are_named():
    chain = load("example")
    with pytest.raises(UnknownNodeError, match="image-generation"):
        monte_carlo(chain, 10, nodes=["image-generaton"])
    with pytest.raises(SupplyChainError, match="at least 2 samples"):
        monte_carlo(chain, 1)


def test_uncertainty_command_on_a_node(capsys):
    code, out, err = run(
        capsys, "uncertainty", "ai-inference", "--node", "image-generation", "--format", "json"
    )
    sections = json.loads(out)
    assert code == 0 and err == ""  # no progress bar when stderr is not a terminal
    (spread,) = [v for k, v in sections.items() if k.startswith("uncertainty")]
    (drivers,) = [v for k, v in sections.items() if k.startswith("what drives")]
    gwp = next(row for row in spread if row["category"] == "gwp")
    assert gwp["p5"] < gwp["median"] < gwp["p95"]
    assert gwp["value"] == pytest.approx(
        totals(load("ai-inference"), "image-generation", "gwp")["value"].iloc[0]
    )
    assert 2 <= len(drivers) <= 10 and drivers[0]["transparency"] in ("published", "estimated")
    assert min(abs(d["rank_correlation"]) for d in drivers) > 0.1  # above sampling noise


def test_uncertainty_command_options(capsys):
    code, out, _ = run(
        capsys, "uncertainty", "example", "--category", "gwp", "--samples", "300",
        "--seed", "2", "--percentiles", "10", "90", "--format", "csv",
    )  # fmt: skip
    assert code == 0
    header = out.splitlines()[0]
    assert "p10" in header and "p90" in header and "(300 samples, seed 2)" in out
    assert run(capsys, "uncertainty", "example", "--samples", "1")[0] == 2
    assert run(capsys, "uncertainty", "example", "--percentiles", "120")[0] == 2
    code, _, err = run(capsys, "uncertainty", "example", "--category", "mercury")
    assert code == 1 and "no direct impacts in category 'mercury'" in err


def test_report_shows_p5_and_p95_of_its_headline_numbers(capsys):
    code, out, _ = run(capsys, "report", "--format", "json")
    sections = json.loads(out)
    (headline,) = [v for k, v in sections.items() if k.startswith("headline totals")]
    assert code == 0
    assert all(row["p5"] <= row["p95"] for row in headline if row["value"] is not None)
    assert {"p5", "p95", "opacity"} <= set(headline[0])


def test_parameters_list_every_edge_and_impact():
    chain = load("example")
    table = parameters(chain).table
    assert len(table) == len(chain.edges) + len(chain.impacts)
    assert table["distribution"].notna().all()


def test_a_zero_figure_stays_zero():
    chain = from_tables(nodes=[node("a", "mine")], impacts=[impact("a", 0.0)], sources=SOURCES)
    assert parameters(chain).table.loc[0, "distribution"] == "fixed (zero)"


def test_samples_do_not_depend_on_chunking_or_on_how_many_are_drawn(monkeypatch):
    chain = load("ai-inference")
    many = monte_carlo(chain, samples=40, seed=3).results
    monkeypatch.setattr(unc, "CHUNK_BYTES", 1)  # one sample and one level per chunk
    assert np.array_equal(monte_carlo(chain, samples=40, seed=3).results, many)
    assert np.array_equal(monte_carlo(chain, samples=13, seed=3).results, many[:, :, :13])


def test_a_nodes_numbers_do_not_depend_on_which_other_nodes_are_asked_for():
    """Issue 14: report, page and ``uncertainty --node`` printed three P5-P95 for one node."""
    chain = load("ai-inference")
    alone = monte_carlo(chain, 200, seed=0, nodes=["image-generation"])
    together = monte_carlo(chain, 200, seed=0, nodes=["text-classification", "image-generation"])
    everything = monte_carlo(chain, 200, seed=0)
    row = [m.nodes.get_loc("image-generation") for m in (alone, together, everything)]
    assert np.allclose(alone.results[row[0]], together.results[row[1]], rtol=1e-13)
    assert np.allclose(alone.results[row[0]], everything.results[row[2]], rtol=1e-13)


def test_draws_are_keyed_by_the_parameter_not_its_position():
    chain = chain_of_two("", "")
    flipped = make(
        [node("metal"), node("ore", "mine")],
        [edge("ore", "metal", 2, "published")],
        [impact("ore", 3, transparency="published")],
    )
    a, b = draws(parameters(chain), 100), draws(parameters(flipped), 100)
    assert np.array_equal(a, b)
    assert not np.array_equal(draws(parameters(chain), 100, seed=1), a)


def test_keyed_uniforms_are_uniform_and_independent():
    from scipy import stats

    u = unc.uniforms(unc.stream_keys([f"p{i}" for i in range(200)]), 0, 0, 5000)
    assert stats.kstest(u.ravel(), "uniform").pvalue > 0.001
    correlation = np.corrcoef(u)[np.triu_indices(200, 1)]
    assert np.abs(correlation).max() < 5 / math.sqrt(5000)  # no pair beyond chance
    lagged = np.corrcoef(u[:, :-1].ravel(), u[:, 1:].ravel())[0, 1]
    assert abs(lagged) < 5 / math.sqrt(u.size)


@pytest.mark.parametrize("alpha", [0.05, 0.7, 1.0, 3.0, 40.0, 900.0])
def test_gamma_draws_have_the_gamma_distribution(alpha):
    from scipy import stats

    keys = unc.stream_keys(["g"])
    u = unc.uniforms(keys, 4, 0, 20_000)
    values = np.exp(unc._log_gamma(np.array([alpha]), keys, u, 4, 0)[0])
    assert stats.kstest(values, stats.gamma(alpha).cdf).pvalue > 0.001
    assert values.mean() == pytest.approx(alpha, rel=5 * math.sqrt(1 / alpha / 20_000) + 0.01)


def test_the_progress_bar_shows_only_after_its_delay():
    written: list[str] = []
    quiet = unc.timed_progress(written.append, after=60)
    quiet(5, 10)
    assert written == []
    loud = unc.timed_progress(written.append, after=0)
    loud(5, 10)
    loud(10, 10)
    assert written[0].startswith("\rMonte Carlo") and "5/10" in written[0]
    assert written[-1] == "\n"


def test_a_run_for_some_nodes_draws_only_what_is_upstream_of_them():
    chain = make(
        [node("ore", "mine"), node("metal"), node("sand", "mine"), node("glass")],
        [edge("ore", "metal", 2.0, "estimated"), edge("sand", "glass", 3.0, "estimated")],
        [impact("ore", 1.0, transparency="estimated"), impact("sand", 5.0)],
    )
    mc = monte_carlo(chain, 500, seed=2, nodes=["metal"])
    assert list(mc.chain.nodes["id"]) == ["ore", "metal"]  # the glass branch is left out
    assert set(mc.params.table["parameter"]) == {"ore -> metal", "ore: gwp"}
    found = sensitivity(mc, "metal", "gwp")
    assert set(found["parameter"]) == {"ore -> metal", "ore: gwp"}
    product = mc.draws(range(2)).prod(axis=0)  # metal = amount x impact, sample by sample
    assert mc.results[0, 0] == pytest.approx(product)


def test_the_command_keeps_only_the_largest_nodes_when_all_would_not_fit(monkeypatch, capsys):
    import supplychain.cli as cli

    monkeypatch.setattr(cli, "MAX_RESULT_BYTES", 1000)
    code, out, err = run(
        capsys, "uncertainty", "ai-inference", "--samples", "20", "--format", "json"
    )
    rows = next(iter(json.loads(out).values()))
    shown = load("ai-inference").nodes["kind"].isin(["service", "device"]).sum()
    assert code == 0 and f"showing the {shown} services and devices" in err
    assert {r["kind"] for r in rows} == {"service", "device"}


def test_the_command_draws_a_chart_and_never_overwrites(capsys, tmp_path):
    chart = tmp_path / "services.svg"
    code, _, err = run(
        capsys, "uncertainty", "ai-inference", "--samples", "50", "--chart", str(chart)
    )
    per_1000 = load("ai-inference").nodes.query("kind == 'service' and unit == '1000 queries'")
    assert code == 0 and f"{len(per_1000)} bars" in err
    # the training run is per run, not per 1,000 queries: left out, and said so
    assert "left out of the chart, not per 1000 queries: training-bloomz-7b1" in err
    svg = chart.read_text()
    ET.fromstring(svg)
    assert all(f">{node}<" in svg for node in per_1000["id"])
    assert ">training-bloomz-7b1<" not in svg
    code, _, err = run(
        capsys, "uncertainty", "ai-inference", "--samples", "50", "--chart", str(chart)
    )
    assert code == 1 and "exists" in err
