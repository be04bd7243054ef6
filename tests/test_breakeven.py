"""One multi-purpose model against task-specific ones: the break-even by hand, and the
command on the shipped graph."""

import math

import pytest

from supplychain.breakeven import break_even
from supplychain.builders import GraphDraft, training_energy_run
from supplychain.cli import main
from supplychain.errors import IncomparableError, ReferenceRowError, UnknownNodeError
from supplychain.reference import read_table
from supplychain.tables import from_tables


def chain(
    general_run=100.0, specific_run=80.0, general_kwh=0.01, specific_kwh=0.001, shared=0, cooled=()
):
    """Two tasks on 1 kg CO2e/kWh power: a general model (one run of ``general_run`` kWh,
    ``general_kwh`` per query on each task) and two task-specific ones (a run each);
    ``cooled`` services take a kWh of cooling, 0.002 m3 of water, per query."""
    nodes = [
        {"id": "power", "kind": "energy", "unit": "kWh"},
        {"id": "big-run", "kind": "service", "unit": "item"},
        {"id": "run-a", "kind": "service", "unit": "item"},
        {"id": "run-b", "kind": "service", "unit": "item"},
    ]
    edges = [
        {"source": "power", "target": "big-run", "amount": general_run},
        {"source": "power", "target": "run-a", "amount": specific_run},
        {"source": "power", "target": "run-b", "amount": specific_run},
    ]
    for task in ("a", "b"):
        nodes += [
            {"id": f"chat-{task}", "kind": "service", "unit": "query"},
            {"id": f"small-{task}", "kind": "service", "unit": "query"},
        ]
        edges += [
            {"source": "power", "target": f"chat-{task}", "amount": general_kwh},
            {"source": "power", "target": f"small-{task}", "amount": specific_kwh},
        ]
        if shared:  # the run shared over `shared` queries, as `llm --training-queries` does
            edges.append({"source": "big-run", "target": f"chat-{task}", "amount": 1 / shared})
    impacts = [{"node": "power", "category": "gwp", "value": 1.0}]
    if cooled:
        nodes.append({"id": "cooling", "kind": "energy", "unit": "kWh"})
        edges += [{"source": "cooling", "target": service, "amount": 1.0} for service in cooled]
        impacts.append({"node": "cooling", "category": "water", "value": 0.002})
    return from_tables(nodes=nodes, edges=edges, impacts=impacts)


TASKS = [("chat-a", "small-a"), ("chat-b", "small-b")]
RUNS = {"small-a": "run-a", "small-b": "run-b"}


@pytest.mark.parametrize("shared", [0, 1000])
def test_the_lines_cross_where_both_choices_cost_the_same(shared):
    row = break_even(chain(shared=shared), TASKS, "big-run", RUNS).iloc[0]
    # 100 + N (0.01 + 0.01) = 160 + N (0.001 + 0.001): N = 60 / 0.018
    assert row["break_even"] == pytest.approx(60 / 0.018, rel=1e-12)
    assert row["general_cheaper"] == "below N*"
    assert (row["general_training"], row["specific_training"]) == pytest.approx((100.0, 160.0))
    assert row["general_per_unit"] == pytest.approx(0.02, rel=1e-12)  # training not in it
    assert row["mean_specific_run_needed"] == pytest.approx(50.0)
    n = row["break_even"]
    assert 100 + n * 0.02 == pytest.approx(160 + n * 0.002, rel=1e-12)
    assert row["specific_runs_known"] == 2 and row["tasks"] == 2


def test_a_general_run_that_outweighs_all_others_never_pays_off():
    row = break_even(chain(general_run=500.0), TASKS, "big-run", RUNS).iloc[0]
    assert row["general_cheaper"] == "never" and math.isnan(row["break_even"])
    assert row["mean_specific_run_needed"] == pytest.approx(250.0)


def test_a_general_model_cheaper_per_query_wins_above_the_crossing_or_always():
    cheap = chain(general_run=200.0, general_kwh=0.0005)
    row = break_even(cheap, TASKS, "big-run", RUNS).iloc[0]
    # 200 + 0.001 N = 160 + 0.002 N: N = 40 / 0.001
    assert row["general_cheaper"] == "above N*"
    assert row["break_even"] == pytest.approx(40_000.0, rel=1e-9)
    assert math.isnan(row["mean_specific_run_needed"])
    assert break_even(chain(general_kwh=0.0005), TASKS, "big-run", RUNS).iloc[0][
        "general_cheaper"
    ] == ("always")


def test_unknown_task_specific_runs_count_as_nothing_and_are_counted():
    row = break_even(chain(), TASKS, "big-run", {"small-a": "run-a"}).iloc[0]
    assert row["specific_training"] == pytest.approx(80.0)
    assert row["specific_runs_known"] == 1
    assert row["general_cheaper"] == "never"  # 100 > 80: the other run would be needed


@pytest.mark.parametrize(
    ("tasks", "general", "error", "words"),
    [
        ([], "big-run", IncomparableError, "at least one task"),
        ([("chat-a", "chat-a")], "big-run", IncomparableError, "both a general and"),
        ([("chat-a", "run-a")], "big-run", IncomparableError, "share one unit"),
        ([("chat-a", "smal-a")], "big-run", UnknownNodeError, "small-a"),
        (TASKS, "big-rum", UnknownNodeError, "big-run"),
    ],
)
def test_what_cannot_be_weighed_is_refused_with_the_reason(tasks, general, error, words):
    with pytest.raises(error, match=words):
        break_even(chain(), tasks, general)


def test_a_published_training_run_sums_its_stages():
    table = read_table("training_energy")
    draft = GraphDraft()
    draft.node("grid", "energy", "kWh", "grid")
    node = training_energy_run(draft, table, "bloomz-7b1", "grid")
    (edge,) = draft.edges
    stages = table[table["training"] == "bloomz-7b1"]
    assert node == "training-bloomz-7b1" and len(stages) == 2
    assert edge["amount"] == pytest.approx(float(stages["energy_kwh"].sum()))
    assert edge["amount"] == 51_686 + 7_571  # Power Hungry Processing, Table 5
    with pytest.raises(ReferenceRowError, match="bloomz-9"):
        training_energy_run(draft, table, "bloomz-9", "grid")


BLOOMZ = [
    *("--task", "text-classification-bloomz-7b1", "text-classification"),
    *("--task", "extractive-qa-bloomz-7b1", "extractive-qa"),
    *("--task", "summarization-bloomz-7b1", "summarization"),
]


def test_the_command_weighs_bloomz_against_the_task_specific_models(capsys):
    argv = ["breakeven", "ai-inference", *BLOOMZ, "--general-training", "training-bloomz-7b1"]
    assert main([*argv, "--category", "gwp", "--format", "json"]) == 0
    (row,) = __import__("json").loads(capsys.readouterr().out)[
        "multi-purpose against task-specific (whole runs; inference per unit of each service)"
    ]
    france = read_table("electricity")
    gwp = france[(france["zone"] == "FRA") & (france["quantity"] == "gwp")]["value"].iloc[0]
    assert row["general_training"] == pytest.approx((51_686 + 7_571) * gwp, rel=1e-12)
    assert row["specific_runs_known"] == 0 and row["general_cheaper"] == "never"
    assert row["mean_specific_run_needed"] == pytest.approx(row["general_training"] / 3)
    assert main([*argv, "--category", "gwp"]) == 0
    out = capsys.readouterr().out
    assert "counting the 3 task-specific runs the graph lacks as 0" in out
    assert f"{row['mean_specific_run_needed']:.4g} kg CO2e each" in out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--general-training", "training-bloomz"], "training-bloomz-7b1"),
        (["--general-training", "training-bloomz-7b1", "--category", "gwq"], "gwp"),
        (
            [
                "--general-training",
                "training-bloomz-7b1",
                "--task",
                "summarization",
                "image-generation",
            ],
            "both a general and",
        ),
    ],
)
def test_the_command_names_what_is_wrong_without_a_traceback(capsys, extra, words):
    assert main(["breakeven", "ai-inference", *BLOOMZ, *extra]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_general_service_named_for_two_tasks_serves_both():
    """chat-a for both tasks: it serves 2 N queries, 0.02 per N in all (it was counted once,
    0.01, as though the second task were free)."""
    row = break_even(chain(), [("chat-a", "small-a"), ("chat-a", "small-b")], "big-run", RUNS)
    assert row.iloc[0]["general_per_unit"] == pytest.approx(0.02, rel=1e-12)


@pytest.mark.parametrize(
    ("tasks", "general_run", "runs", "message"),
    [
        (TASKS, "big-run", {"chat-a": "run-a"}, "no task-specific service"),
        (TASKS, "chat-a", RUNS, "a training run and as a service"),
        (TASKS, "big-run", {"small-a": "small-b"}, "a training run and as a service"),
        (TASKS, "big-run", {"small-a": "big-run"}, "general run and as a task-specific"),
    ],
)
def test_a_node_in_two_parts_is_refused(tasks, general_run, runs, message):
    with pytest.raises(IncomparableError, match=message):
        break_even(chain(), tasks, general_run, runs)


def test_a_category_a_run_has_no_figure_in_is_unknown_not_free():
    """Water on the services' power only: the runs have no water figure, so the answer is
    unknown (it read as runs of 0 m3 before, and the general model 'never' the cheaper)."""
    extra = chain(cooled=("chat-a", "small-a"))
    rows = break_even(extra, TASKS, "big-run", RUNS).set_index("category")
    assert rows.loc["water", "general_cheaper"] == "unknown"
    assert math.isnan(rows.loc["water", "general_training"])
    assert rows.loc["water", "no_figure"] == "big-run;run-a;run-b;chat-b;small-b"
    assert rows.loc["gwp", "no_figure"] == "" and rows.loc["gwp", "general_cheaper"] == "below N*"
