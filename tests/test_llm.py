"""LLM requests: the formulas by hand, the graph they make, the command, and EcoLogits."""

import math

import pytest

from supplychain.cli import main
from supplychain.io import load
from supplychain.llm import (
    LLMRequest,
    UnknownChoiceError,
    find_model,
    gpu_energy_per_token_kwh,
    gpus_needed,
    inference_constants,
    latency_per_token_s,
    llm_graph,
    request_figures,
    weights_memory_gb,
)
from supplychain.propagate import totals
from supplychain.reference import read_table
from supplychain.tables import from_tables

C = inference_constants()


# ------------------------------------------------------------------------- formulas


def test_the_constants_are_the_tables_in_their_units():
    assert (C.server_power, C.batch_size, C.server_gpus, C.hardware_lifetime) == (1.2, 64, 8, 3.0)
    assert C.quantisation_bits == 16 and C.memory_overhead == 1.2


@pytest.mark.parametrize(
    ("params", "bits", "gpu_gb", "memory", "cards"),
    [
        (8.0, 16, 80, 19.2, 1),  # 1.2 x 8 x 2 bytes
        (70.0, 16, 80, 168.0, 4),  # 3 cards, rounded up to a power of two
        (70.0, 8, 80, 84.0, 2),  # quantised to 8 bits: half the memory
        (70.0, 16, 141, 168.0, 2),  # an H200 holds more
        (405.0, 16, 80, 972.0, 16),  # 13 cards -> 16
    ],
)
def test_memory_and_cards(params, bits, gpu_gb, memory, cards):
    assert weights_memory_gb(params, bits, 1.2) == pytest.approx(memory)
    assert gpus_needed(memory, gpu_gb) == cards


def test_energy_and_latency_per_token_by_hand():
    wh = 1.1665273170451914e-06 * math.exp(-0.011205921025579175 * 64) * 8 + 4.052928146734005e-05
    assert gpu_energy_per_token_kwh(8.0, 64, C) == pytest.approx(wh / 1000, rel=1e-15)
    seconds = 0.0006785088094353663 * 8 + 0.0003119310311688259 * 64 + 0.019473717579473387
    assert latency_per_token_s(8.0, 64, C) == pytest.approx(seconds, rel=1e-15)


def test_a_request_is_gpu_energy_plus_its_share_of_the_server():
    tokens = 1000
    figures = request_figures(8.0, 8.0, tokens, 80, C)
    latency = tokens * latency_per_token_s(8.0, 64, C)
    share = (1 / 8) / 64  # one of eight cards, one of 64 requests
    assert figures.latency_s == pytest.approx(latency)
    assert figures.server_hours == pytest.approx(latency / 3600 * share)
    gpu = tokens * gpu_energy_per_token_kwh(8.0, 64, C)
    assert figures.it_kwh == pytest.approx(gpu + latency / 3600 * 1.2 * share)


def test_a_mixture_of_experts_computes_with_its_active_and_stores_its_total_parameters():
    mixtral = find_model(read_table("llm_models"), "open-mixtral-8x7b")
    assert (mixtral.total_b, mixtral.active_b) == ((46.7, 46.7), (12.9, 12.9))
    moe = request_figures(46.7, 12.9, 100, 80, C)
    dense_small = request_figures(12.9, 12.9, 100, 80, C)
    assert moe.gpus == 2 and dense_small.gpus == 1  # 112 GB of weights against 31 GB
    assert moe.latency_s == dense_small.latency_s  # the same active parameters


# ------------------------------------------------------------------------- choices


def test_unknown_names_are_refused_with_a_suggestion():
    models = read_table("llm_models")
    with pytest.raises(UnknownChoiceError, match="did you mean 'gpt-4o-mini'"):
        find_model(models, "gpt-4o-mni")
    assert find_model(models, "openai/gpt-4o-mini").name == "gpt-4o-mini"
    with pytest.raises(UnknownChoiceError, match="unknown GPU 'h10'.*'h100-80gb'"):
        llm_graph([LLMRequest(model="gpt-4o-mini", output_tokens=10, gpu="h10")])
    with pytest.raises(UnknownChoiceError, match="unknown provider 'opnai'.*'openai'"):
        llm_graph([LLMRequest(model="gpt-4o-mini", output_tokens=10, provider="opnai")])
    with pytest.raises(UnknownChoiceError, match="unknown region 'XYZ'"):
        llm_graph([LLMRequest(model="gpt-4o-mini", output_tokens=10, region="XYZ")])


@pytest.mark.parametrize("tokens", [0, -1, 1.5, "400", True])
def test_tokens_must_be_a_positive_whole_number(tokens):
    with pytest.raises(ValueError):
        LLMRequest(model="gpt-4o-mini", output_tokens=tokens)


# ------------------------------------------------------------------------- the graph


def test_a_request_is_a_service_whose_total_is_the_formula():
    """Llama 3.1 8B, 1000 tokens, H100, cohere (PUE 1.09 and WUE 0.999, no range), USA."""
    request = LLMRequest(model="c4ai-aya-expanse-8b", output_tokens=1000)
    graph = llm_graph([request])
    chain = from_tables("llm", **graph.tables)
    service = graph.requests["service"].iloc[0]
    figures = request_figures(8.03, 8.03, 1000, 80, C)
    grid = read_table("electricity")
    usa = grid[(grid["zone"] == "USA") & (grid["source"] == "ecologits-electricity-mixes")]
    gwp_per_kwh = float(usa.loc[usa["quantity"] == "gwp", "value"].iloc[0])
    hardware = read_table("hardware").set_index(["item", "quantity"])["value"]
    server = hardware[("ecologits-server-8gpu-excl-gpus", "gwp")]
    gpu = hardware[("gpu-h100-sxm-80gb", "gwp")]
    per_hour = (server + 8 * gpu) / (3 * 8760)
    expected = 1000 * (figures.it_kwh * 1.09 * gwp_per_kwh + figures.server_hours * per_hour)
    found = totals(chain, node=service, category="gwp")["value"].iloc[0]
    assert found == pytest.approx(expected, rel=1e-12)
    assert chain.warnings == ()
    assert graph.requests["grid_kwh"].iloc[0] == pytest.approx(figures.it_kwh * 1.09)


def test_a_measured_speed_sets_the_latency_instead_of_the_fit():
    # 400 tokens at 79 tokens/s after 0.54 s: 5.6032 s; the server's share of it
    figures = request_figures(18.0, 18.0, 400, 80, C, tokens_per_s=79.0, first_token_s=0.54)
    assert figures.latency_s == pytest.approx(400 / 79 + 0.54, rel=1e-12)
    assert figures.server_hours == pytest.approx((400 / 79 + 0.54) / 3600 / 8 / 64, rel=1e-12)
    fitted = request_figures(18.0, 18.0, 400, 80, C)
    assert fitted.latency_s == pytest.approx(400 * latency_per_token_s(18.0, 64, C), rel=1e-12)


def test_a_range_of_parameters_is_a_range_of_amounts():
    graph = llm_graph([LLMRequest(model="gpt-4o-mini", output_tokens=400)])  # 8-28B
    edges = graph.tables["edges"]
    service = graph.requests["service"].iloc[0]
    energy = edges[(edges["target"] == service) & (edges["unit"] == "kWh")].iloc[0]
    speed = find_model(read_table("llm_models"), "gpt-4o-mini")
    assert (speed.tokens_per_s, speed.first_token_s) == (79.0, 0.54)  # EcoLogits 0.11.3
    measured = {"tokens_per_s": 79.0, "first_token_s": 0.54}
    low = request_figures(8, 8, 400, 80, C, **measured).it_kwh * 1000
    high = request_figures(28, 28, 400, 80, C, **measured).it_kwh * 1000
    assert energy["amount"] == pytest.approx((low + high) / 2)
    assert energy["uncertainty"].startswith("range(min=")
    assert graph.requests["total_params_b"].iloc[0] == "8-28"


def test_requests_share_their_grid_and_server():
    requests = [LLMRequest(model="gpt-4o-mini", output_tokens=n) for n in (100, 400)]
    nodes = llm_graph(requests).tables["nodes"]
    assert nodes["id"].is_unique
    assert (nodes["kind"] == "service").sum() == 2
    assert (nodes["id"] == "llm-server-h100-80gb").sum() == 1


# ------------------------------------------------------------------------- the command


def test_the_command_gives_totals_mines_and_exposure_and_writes_a_graph(tmp_path, capsys):
    out = tmp_path / "req"
    argv = ["llm", "gpt-4o-mini", "--tokens", "400", "--samples", "200", "-o", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for title in ("== request ==", "== totals per unit", "== mined mass by country", "== social"):
        assert title in printed
    chain = load(out)
    service = chain.nodes.loc[chain.nodes["kind"] == "service", "id"].iloc[0]
    # the written graph gives the same P5-P95 in `uncertainty --node`
    assert (
        main(["llm", "gpt-4o-mini", "--tokens", "400", "--samples", "200", "--format", "json"]) == 0
    )
    import json

    mine = json.loads(capsys.readouterr().out)["totals per unit (P5-P95, opacity)"]
    command = ["uncertainty", str(out), "--node", service, "--samples", "200", "--format", "json"]
    assert main(command) == 0
    theirs = json.loads(capsys.readouterr().out)
    theirs = theirs if isinstance(theirs, list) else next(iter(theirs.values()))
    by_category = {row["category"]: (row["p5"], row["p95"]) for row in theirs}
    assert {row["category"]: (row["p5"], row["p95"]) for row in mine} == by_category
    assert main(argv) == 1  # the folder is taken
    refused = capsys.readouterr()
    assert "already holds nodes.csv" in refused.err and refused.out == ""  # before any work


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["llm", "gpt-4o-mni", "--tokens", "400"], 1, "did you mean 'gpt-4o-mini'"),
        (["llm", "gpt-4o-mini", "--tokens", "0"], 2, "'0' is not a positive whole number"),
        (["llm", "gpt-4o-mini", "--tokens", "4.5"], 2, "'4.5' is not a whole number"),
        (["llm", "gpt-4o-mini", "--tokens", "400", "--gpu", "b200"], 1, "unknown GPU 'b200'"),
        (["llm", "gpt-4o-mini", "--tokens", "9" * 400], 1, "at most 10000000, not 999999999999"),
        (["llm", "gpt-4o-mini", "--tokens", "4", "--bits", "9" * 30], 1, "at most 32"),
        (["llm", "gpt-4o-mini", "--tokens", "4", "--training-queries", "9" * 30], 1, "at most"),
        (["llm", "gpt-4o-mini", "--tokens", "4", "--batch", "513"], 1, "at most 512"),
        (["llm", "gpt-4o-mini", "--tokens", "\uff15"], 2, "is not a whole number"),
        (["llm", "gpt-4o-mini", "--tokens", "1_000"], 2, "is not a whole number"),
        (["llm", "", "--tokens", "4"], 1, "model: none given"),
        (["llm", "gpt-4o-mini", "--tokens", "4", "--region", "usa"], 1, "did you mean 'USA'"),
        (["llm", "--requests", "r.csv", "--gpu", "a100-80gb"], 2, "give gpu there"),
        (["llm", "gpt-4o-mini", "--tokens", "4", "-o", ""], 1, "the name given is empty"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(argv, code, message, capsys):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


# ------------------------------------------------------------------------- against EcoLogits


@pytest.mark.parametrize(
    ("model", "provider", "tokens"),
    [
        ("c4ai-aya-expanse-32b", "cohere", 1000),  # dense, published parameters
        ("command-a-03-2025", "cohere", 400),  # a measured speed (51.5 tokens/s)
        ("open-mixtral-8x7b", "mistralai", 400),  # mixture of experts, Sweden
        ("meta-llama/Meta-Llama-3.1-70B-Instruct", "huggingface_hub", 400),  # 4 GPUs, PUE range
        ("gpt-4o-mini", "openai", 400),  # parameters a range
    ],
)
def test_our_request_agrees_with_ecologits_itself(model, provider, tokens):
    """A request through EcoLogits 0.11.3 (pinned in the test extra) and through ours: GWP,
    primary energy, water and ADPe per request agree to 1e-9. Where EcoLogits gives a range
    (a parameter range, or a PUE range), ours is its midpoint: everything is linear in the
    one quantity that varies."""
    theirs = _ecologits(model, provider, None, tokens)
    graph = llm_graph([LLMRequest(model=model, output_tokens=tokens, provider=provider)])
    chain = from_tables("llm", **graph.tables)
    ours = totals(chain, node=graph.requests["service"].iloc[0]).set_index("category")["value"]
    assert ours["gwp"] / 1000 == pytest.approx(_middle(theirs.gwp), rel=1e-9)
    assert ours["energy"] / 1000 == pytest.approx(_middle(theirs.pe), rel=1e-9)
    assert ours["water"] * 1000 / 1000 == pytest.approx(_middle(theirs.wcf), rel=1e-9)  # m3 -> L
    assert ours["adp"] / 1000 == pytest.approx(_middle(theirs.adpe), rel=1e-9)


# models of the shipped graph that EcoLogits 0.11.3 no longer lists: compared on our inputs
NOT_IN_ECOLOGITS = {"open-mixtral-8x7b", "claude-3-5-haiku-20241022"}


def _middle(value):
    value = getattr(value, "value", value)
    return (value.min + value.max) / 2 if hasattr(value, "min") else value


def _ecologits(model: str, provider: str, region: str | None, tokens: int):
    """EcoLogits 0.11.3's impacts of one request: through its own entry point
    (``llm_impacts``: its model repository, speeds, data centres and grids) where it lists
    the model, else its equations on our tables' inputs (the two models it dropped)."""
    pytest.importorskip("ecologits")
    from ecologits.impacts import llm
    from ecologits.model_repository import models
    from ecologits.tracers.utils import llm_impacts
    from ecologits.utils.range_value import RangeValue

    name = model.split("/", 1)[1] if model.startswith(f"{provider}/") else model
    if models.find_model(provider, name) is not None:
        assert name not in NOT_IN_ECOLOGITS
        found = llm_impacts(provider, name, tokens, math.inf, region)
        assert not found.errors, found.errors
        return found
    assert name in NOT_IN_ECOLOGITS

    def ranged(low, high):
        return low if low == high else RangeValue(min=low, max=high)

    ours = find_model(read_table("llm_models"), model)
    centre = read_table("datacentres").set_index(["provider", "quantity"])
    zone = region or centre.loc[(provider, "pue"), "location"]
    grid = read_table("electricity")
    mix = grid[(grid["zone"] == zone) & (grid["source"] == "ecologits-electricity-mixes")]
    mix = mix.set_index("quantity")["value"]
    return llm.compute_llm_impacts(
        model_active_parameter_count=ranged(*ours.active_b),
        model_total_parameter_count=ranged(*ours.total_b),
        output_token_count=tokens,
        if_electricity_mix_adpe=mix["adp"],
        if_electricity_mix_pe=mix["energy"],
        if_electricity_mix_gwp=mix["gwp"],
        if_electricity_mix_wue=mix["water"],
        datacenter_pue=ranged(*centre.loc[(provider, "pue"), ["low", "high"]]),
        datacenter_wue=ranged(*centre.loc[(provider, "wue"), ["low", "high"]]),
    )


def test_the_tables_hold_ecologits_0_11_3_figures():
    """Every row of llm_models.csv and electricity.csv that cites EcoLogits 0.11.3 holds the
    package's figure (parameters, speeds, grid factors)."""
    pytest.importorskip("ecologits")
    from ecologits.electricity_mix_repository import electricity_mixes
    from ecologits.model_repository import models

    table = read_table("llm_models")
    mine = table[table["source"] == "ecologits-0.11.3-models"]
    assert len(mine) == 342
    for row in mine.itertuples():
        theirs = models.find_model(row.provider, row.model)
        found = find_model(table, row.model, row.provider)
        parameters = theirs.architecture.parameters
        total = getattr(parameters, "total", parameters)
        active = getattr(parameters, "active", parameters)
        for value, bounds in ((total, found.total_b), (active, found.active_b)):
            low, high = (value.min, value.max) if hasattr(value, "min") else (value, value)
            assert bounds == (low, high), row.model
        speed = theirs.deployment.tps if theirs.deployment else None
        assert found.tokens_per_s == speed, row.model
    grid = read_table("electricity")
    grid = grid[grid["source"] == "ecologits-electricity-mixes"]
    key = {"gwp": "gwp", "energy": "pe", "water": "wue", "adp": "adpe"}
    for row in grid.itertuples():
        mix = electricity_mixes.find_electricity_mix(zone=row.zone)
        assert row.value == getattr(mix, key[row.quantity]), (row.zone, row.quantity)


# ------------------------------------------------------------------------- a file of requests


def test_a_file_of_requests_makes_one_service_each(tmp_path, capsys):
    from supplychain.llm import read_requests

    path = tmp_path / "requests.csv"
    path.write_text(
        "model,output_tokens,gpu,region\n"
        "gpt-4o-mini,400,h100-80gb,USA\n"
        "open-mixtral-8x7b, 400 ,h200-141gb,FRA\n"
    )
    requests = read_requests(path)
    assert [(r.model, r.output_tokens, r.gpu, r.region) for r in requests] == [
        ("gpt-4o-mini", 400, "h100-80gb", "USA"),
        ("open-mixtral-8x7b", 400, "h200-141gb", "FRA"),
    ]
    out = tmp_path / "graph"
    assert main(["llm", "--requests", str(path), "--samples", "50", "-o", str(out)]) == 0
    nodes = load(out).nodes
    assert (nodes["kind"] == "service").sum() == 2
    assert "mixtral" in capsys.readouterr().out


def test_every_bad_row_of_a_requests_file_is_named_at_once(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(
        "model,output_tokens,gpu,region\n"
        "gpt-4o-mini,400,,\n"
        "gpt-4o-mni,400,,\n"
        "gpt-4o-mini,0,,\n"
        "gpt-4o-mini,1.5,,\n"
        "gpt-4o-mini,400,b200,\n"
        "gpt-4o-mini,400,,XX\n"
    )
    assert main(["llm", "--requests", str(path)]) == 1
    err = capsys.readouterr().err
    for expected in (
        "bad.csv, row 3, column model, value 'gpt-4o-mni'",
        "row 4, column output_tokens, value '0': expected a positive whole number",
        "row 5, column output_tokens, value '1.5'",
        "row 6, column gpu, value 'b200'",
        "row 7, column region, value 'XX'",
    ):
        assert expected in err
    assert "Traceback" not in err and "row 2" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model,tokens\ngpt-4o-mini,400\n", "missing column 'output_tokens'"),
        ("model,output_tokens,colour\ngpt-4o-mini,400,red\n", "column colour, value 'colour'"),
        ("model,output_tokens\n", "no requests"),
    ],
)
def test_a_requests_file_with_wrong_columns_is_refused(tmp_path, capsys, text, message):
    path = tmp_path / "requests.csv"
    path.write_text(text)
    assert main(["llm", "--requests", str(path)]) == 1
    assert message in capsys.readouterr().err


def test_requests_differing_only_in_batch_or_bits_are_two_services(tmp_path, capsys):
    path = tmp_path / "requests.csv"
    path.write_text(
        "model,output_tokens,batch_size,quantisation_bits\n"
        "gpt-4o-mini,400,,\n"
        "gpt-4o-mini,400,1,\n"
        "gpt-4o-mini,400,,4\n"
        "gpt-4o-mini,400,64,16\n"  # the defaults, written out: the first request again
    )
    assert main(["llm", "--requests", str(path)]) == 1
    assert "row 5: the same request as line 2" in capsys.readouterr().err
    path.write_text(path.read_text().rsplit("gpt-4o-mini,400,64,16", 1)[0])
    assert main(["llm", "--requests", str(path), "--format", "json", "--samples", "20"]) == 0
    services = [r["service"] for r in __import__("json").loads(capsys.readouterr().out)["request"]]
    assert services == [
        "llm-gpt-4o-mini-400-tokens-h100-80gb-openai-usa",
        "llm-gpt-4o-mini-400-tokens-h100-80gb-openai-usa-batch-1",
        "llm-gpt-4o-mini-400-tokens-h100-80gb-openai-usa-4-bit",
    ]


def test_a_requests_file_is_read_as_written(tmp_path, capsys):
    path = tmp_path / "r.csv"
    # blank lines: the row is named by its line in the file
    path.write_text("model,output_tokens\n\n\ngpt-4o-mini,400\ngpt-4o-mni,400\n")
    assert main(["llm", "--requests", str(path)]) == 1
    assert "r.csv, row 5, column model" in capsys.readouterr().err
    path.write_text("model,output_tokens,model\ngpt-4o-mini,400,x\n")
    assert main(["llm", "--requests", str(path)]) == 1
    assert "column model, value 'model': the column is named twice" in capsys.readouterr().err
    path.write_text("model,output_tokens\ngpt-4o-mini,400,extra,more\n")
    assert main(["llm", "--requests", str(path)]) == 1
    assert "row 2, value 'extra': 2 cell(s) more than the header names" in capsys.readouterr().err
    assert main(["llm", "--requests", str(tmp_path)]) == 1
    assert f"{tmp_path}: not a regular file but a folder" in capsys.readouterr().err


def test_llm_never_writes_among_the_shipped_graphs(capsys):
    from supplychain.shipped import shipped_graphs_folder

    shipped = shipped_graphs_folder()
    before = sorted(p.name for p in shipped.iterdir())
    for target in (shipped / "llm-inference", shipped / "mine"):
        argv = ["llm", "gpt-4o-mini", "--tokens", "4", "-o", str(target), "--overwrite"]
        assert main(argv) == 1
        assert "inside the shipped graphs" in capsys.readouterr().err
    assert main(["mix", "cobalt", "-o", str(shipped / "mine")]) == 1
    assert sorted(p.name for p in shipped.iterdir()) == before


def test_compare_refuses_nodes_of_different_units(capsys):
    assert main(["compare", "llm-inference", H100, "electricity-usa", "--samples", "20"]) == 1
    err = capsys.readouterr().err
    assert "must share one unit" in err and "electricity-usa per kWh" in err


def test_a_model_or_a_file_but_not_both(capsys):
    assert main(["llm", "gpt-4o-mini"]) == 2
    assert main(["llm", "gpt-4o-mini", "--tokens", "4", "--requests", "x.csv"]) == 2
    assert "name a MODEL with --tokens N, or a --requests FILE" in capsys.readouterr().err


# what graphs/llm-inference/README.md says of each kind of request, ours / EcoLogits
SHIPPED_RATIOS = {"a100-80gb": 1.049, "h200-141gb": 0.500, "anthropic": 0.998}


def test_the_shipped_graph_stands_against_ecologits_as_its_readme_says():
    from conftest import PROJECT

    pytest.importorskip("ecologits")
    readme = (PROJECT / "graphs" / "llm-inference" / "README.md").read_text()
    chain = load("llm-inference")
    ours = totals(chain, category="gwp").set_index("node")["value"]
    graph = llm_graph(
        [
            LLMRequest(model=m, output_tokens=n, gpu=g, provider=p, region=r, training_queries=q)
            for m, n, g, p, r, q in _shipped_requests()
        ]
    )
    services = chain.nodes.loc[chain.nodes["kind"] == "service", "id"]
    assert set(graph.requests["service"]) == set(services[~services.str.startswith("training-")])
    for row in graph.requests.itertuples():
        if row.training:  # EcoLogits has no training; the README gives our share of it
            continue
        theirs = _ecologits(row.model, row.provider, row.region, row.output_tokens)
        ratio = ours[row.service] / 1000 / _middle(theirs.gwp)
        expected = SHIPPED_RATIOS.get(row.gpu, SHIPPED_RATIOS.get(row.provider, 1.0))
        assert ratio == pytest.approx(expected, abs=5e-4 if expected != 1.0 else 1e-9), row.service
        if expected != 1.0:
            assert f"{expected:.3f}" in readme


def _shipped_requests():
    import importlib.util
    import sys

    from conftest import PROJECT

    spec = importlib.util.spec_from_file_location(
        "build_shipped", PROJECT / "graphs" / "build_shipped.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_shipped"] = module
    spec.loader.exec_module(module)
    return module.LLM_REQUESTS


# ------------------------------------------------------------------------- training


def test_a_disclosed_training_run_is_shared_over_the_requests_a_user_sets():
    """Llama 3.1 8B: 1.46M GPU hours x 700 W = 1.022 GWh and 420 t CO2e (the card), plus
    the embodied share of 1.46M / 8 server hours, over 10^9 requests."""
    queries = 10**9
    request = LLMRequest(
        model="meta-llama/Meta-Llama-3.1-8B-Instruct", output_tokens=400, training_queries=queries
    )
    graph = llm_graph([request])
    chain = from_tables("llm", **graph.tables)
    edges = chain.edges.set_index(["source", "target"])["amount"]
    assert edges[("electricity-training-llama-3.1-8b", "training-llama-3.1-8b")] == 1.022e6
    assert edges[("llm-server-h100-80gb-hour", "training-llama-3.1-8b")] == 182_500
    service = graph.requests["service"].iloc[0]
    assert edges[("training-llama-3.1-8b", service)] == 1000 / queries
    found = totals(chain, node="training-llama-3.1-8b", category="gwp")["value"].iloc[0]
    hour = totals(chain, node="llm-server-h100-80gb-hour", category="gwp")["value"].iloc[0]
    assert found == pytest.approx(420_000 + 182_500 * hour, rel=1e-12)
    assert graph.requests["training"].iloc[0] == "training-llama-3.1-8b"


def test_at_the_break_even_count_training_and_inference_weigh_the_same():
    from supplychain.propagate import solve_chain
    from supplychain.report import training_balance

    def balance(queries):
        request = LLMRequest(
            model="meta-llama/Meta-Llama-3.1-70B-Instruct",
            output_tokens=400,
            training_queries=queries,
        )
        graph = llm_graph([request])
        solution = solve_chain(from_tables("llm", **graph.tables))
        row = graph.requests.iloc[0]
        found = training_balance(solution, row.service, row.training, queries)
        return found.set_index("category")

    first = balance(10**9)
    assert first.loc["gwp", "training_share"] == pytest.approx(
        first.loc["gwp", "training"]
        / (first.loc["gwp", "training"] + first.loc["gwp", "inference"])
    )
    even = round(first.loc["gwp", "equal_at_queries"])
    assert balance(even).loc["gwp", "training_share"] == pytest.approx(0.5, abs=1e-6)


def test_training_of_a_model_without_a_disclosed_run_is_refused(capsys):
    argv = ["llm", "gpt-4o-mini", "--tokens", "400", "--training-queries", "1000"]
    assert main(argv) == 1
    assert "no disclosed training run of 'gpt-4o-mini'" in capsys.readouterr().err


def test_the_command_weighs_training_against_inference(capsys):
    argv = ["llm", "meta-llama/Meta-Llama-3.1-8B-Instruct", "--tokens", "400"]
    argv += ["--training-queries", "1000000000", "--samples", "50", "--format", "json"]
    assert main(argv) == 0
    import json

    found = json.loads(capsys.readouterr().out)
    rows = {r["category"]: r for r in found["training against inference"]}
    assert 0.9 < rows["gwp"]["training_share"] < 1  # 10^9 requests do not carry 475 t
    inputs = {r["input"] for r in found["what each input carries"]}
    assert "training-llama-3.1-8b" in inputs


# ------------------------------------------------------------------------- compare

H100 = "llm-meta-llama-meta-llama-3-1-70b-instruct-400-tokens-h100-80gb-huggingface-hub-usa"
H200 = H100.replace("h100-80gb", "h200-141gb")
TRAINED = H100 + "-trained-over-10000000000"


def test_compare_gives_ratios_and_what_drives_the_difference():
    from supplychain.report import comparison_sections

    found = comparison_sections(load("llm-inference"), [H100, H200, TRAINED], samples=50)
    side = found["side by side"]
    gwp = side[side["category"] == "gwp"].set_index("node")["ratio"]
    assert gwp[H100] == 1 and gwp[H200] == pytest.approx(0.5, rel=1e-12)  # half the cards
    drivers = found["what drives the difference"]
    for node in (H200, TRAINED):
        rows = drivers[(drivers["node"] == node) & (drivers["category"] == "gwp")]
        assert rows["share_of_difference"].sum() == pytest.approx(1.0, rel=1e-9)
    trained = drivers[(drivers["node"] == TRAINED) & (drivers["category"] == "gwp")]
    assert trained.set_index("through").loc["service", "share_of_difference"] == pytest.approx(1)


def test_compare_on_the_command_line(tmp_path, capsys):
    chart = tmp_path / "compare.svg"
    argv = ["compare", "llm-inference", H100, H200, "--category", "gwp", "--samples", "50"]
    assert main([*argv, "--chart", str(chart), "--format", "json"]) == 0
    import json

    side = json.loads(capsys.readouterr().out)["side by side"]
    assert [row["node"] for row in side] == [H100, H200]
    svg = chart.read_text()
    assert f">{H200}<" in svg and f">{H100}<" in svg  # whole ids, drawn as text
    # the same P5-P95 as uncertainty --node, seed and samples alike
    assert (
        main(
            [
                "uncertainty",
                "llm-inference",
                "--node",
                H200,
                "--samples",
                "50",
                "--category",
                "gwp",
                "--format",
                "json",
            ]
        )
        == 0
    )
    theirs = json.loads(capsys.readouterr().out)
    theirs = theirs if isinstance(theirs, list) else next(iter(theirs.values()))
    assert (theirs[0]["p5"], theirs[0]["p95"]) == (side[1]["p5"], side[1]["p95"])


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ([H100], 2, "name two or more different nodes"),
        ([H100, H100], 2, "name two or more different nodes"),
        ([H100, "llm-nope"], 1, "llm-nope"),
        ([H100, H200, "--category", "gwpp"], 1, "gwpp"),
        ([H100, H200, "--chart", "c.gif"], 1, "ending in .svg, .png, .pdf"),
    ],
)
def test_compare_refuses_bad_requests(extra, code, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "llm-inference", *extra, "--samples", "20"]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "c.gif").exists()


def test_compare_draws_a_real_png(capsys, tmp_path):
    chart = tmp_path / "c.png"
    argv = ["compare", "llm-inference", H100, H200, "--samples", "20", "--chart", str(chart)]
    assert main(argv) == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {chart} (2 bars)" in capsys.readouterr().err
