"""The column rules run with pandas agree with the pydantic row models, row by row.

Big tables are checked column by column (fast); the pydantic models are the schema. Here
hypothesis draws rows of text cells, good and bad, and both ways must accept or refuse
the same rows.
"""

import pandas as pd
import pydantic
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.schema import ROW_MODELS
from supplychain.validate import check_table

CELLS = {
    "id": ["a", "mine-1", "", "ünï, côdé"],
    "source": ["a", "b", ""],
    "target": ["a", "b", ""],
    "node": ["a", ""],
    "kind": ["mine", "Material", "SERVICE", "energy", "mien", ""],
    "unit": ["kg", "1000 queries", "g CO2e/kWh", "kgg", "kg/", ""],
    "category": ["gwp", ""],
    "amount": ["1", "0", "1e3", "-1", "abc", "nan", "inf", "1,5", "", "0.30000000000000004"],
    "value": ["2.5", "-0.1", "NaN", "-inf", "", "1e-300"],
    "lat": ["", "45.5", "-90", "91", "x"],
    "lon": ["", "180", "-181", "0"],
    "transparency": ["", "disclosed", "Published", "ESTIMATED", "missing", "secret"],
    "uncertainty": ["", "lognormal(gsd=1.5)", "range(2, 9)", "range(9, 2)", "gamma(1)"],
    "name": ["", "Cobalt, refined"],
}


def rows(table):
    fields = [f for f in ROW_MODELS[table].model_fields if f in CELLS]
    return st.fixed_dictionaries({f: st.sampled_from(CELLS[f]) for f in fields})


def pydantic_accepts(table, row):
    model = ROW_MODELS[table]
    cells = {k: v for k, v in row.items() if v != "" or model.model_fields[k].is_required()}
    try:
        model.model_validate(cells)
    except pydantic.ValidationError:
        return False
    return True


def columns_accept(table, row):
    _, problems = check_table(pd.DataFrame([row], index=[2]), table, f"{table}.csv")
    return not any(p.is_error for p in problems)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["nodes", "edges", "impacts"]).flatmap(lambda t: st.tuples(st.just(t), rows(t)))
)
def test_column_rules_agree_with_the_row_models(table_and_row):
    table, row = table_and_row
    assert columns_accept(table, row) == pydantic_accepts(table, row), row
