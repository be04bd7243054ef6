"""Uncertainty texts: parsing, canonical form, refusals."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplychain.distributions import (
    Choice,
    Lognormal,
    Normal,
    Range,
    Triangular,
    Uniform,
    bounds_problem,
    format_uncertainty,
    parse_uncertainty,
)
from supplychain.errors import UncertaintySyntaxError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lognormal(gsd=1.5)", Lognormal(gsd=1.5)),
        ("lognormal(1.5)", Lognormal(gsd=1.5)),
        ("LogNormal( gsd = 2 )", Lognormal(gsd=2)),
        ("normal(sd=0.1)", Normal(sd=0.1)),
        ("uniform(min=1, max=3)", Uniform(min=1, max=3)),
        ("uniform(1, 3)", Uniform(min=1, max=3)),
        ("triangular(1, 2, 4)", Triangular(min=1, mode=2, max=4)),
        ("triangular(1, 4)", Triangular(min=1, max=4)),
        ("triangular(max=4, min=1)", Triangular(min=1, max=4)),
        ("range(2, 9)", Range(min=2, max=9)),
        ("range(min=-1e-3, max=2.5E2)", Range(min=-0.001, max=250)),
        ("choice(0.85, 1.2, 12.68)", Choice(values=(0.85, 1.2, 12.68))),
        ("Choice( 3 , 3 )", Choice(values=(3, 3))),
    ],
)
def test_parse(text, expected):
    assert parse_uncertainty(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("lognormal(gsd=0.5)", "greater than or equal to 1"),
        ("normal(sd=-1)", "greater than or equal to 0"),
        ("uniform(3, 1)", "min 3 is above max 1"),
        ("triangular(1, 5, 4)", "mode 5 is not between"),
        ("gamma(2)", "unknown distribution 'gamma'"),
        ("lognormal(sigma=2)", "not 'sigma'"),
        ("range(1, 2, 3)", "too many arguments"),
        ("range(min=1, min=2)", "given twice"),
        ("range(a, 2)", "'a' is not a number"),
        ("lognormal", "is not an uncertainty"),
        ("1.5", "is not an uncertainty"),
        ("normal(sd=inf)", "is not a number"),
        ("lognormal()", "Field required"),
        ("choice(2)", "at least 2 items"),
        ("choice(values=1, 2)", "by position"),
        ("choice(1, nan)", "'nan' is not a number"),
    ],
)
def test_refused(text, words):
    with pytest.raises(UncertaintySyntaxError, match=words):
        parse_uncertainty(text)


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)


@st.composite
def specs(draw):
    low, high = sorted([draw(finite), draw(finite)])
    return draw(
        st.sampled_from(
            [
                Lognormal(gsd=draw(st.floats(min_value=1, max_value=100))),
                Normal(sd=draw(st.floats(min_value=0, max_value=1e6))),
                Uniform(min=low, max=high),
                Range(min=low, max=high),
                Triangular(min=low, max=high),
                Triangular(min=low, mode=(low + high) / 2, max=high),
                Choice(values=(low, high, draw(finite))),
            ]
        )
    )


@given(specs())
def test_canonical_text_reads_back_exactly(spec):
    assert parse_uncertainty(format_uncertainty(spec)) == spec


def test_canonical_text_is_keyword_form():
    assert format_uncertainty(parse_uncertainty("triangular(1, 2, 4)")) == (
        "triangular(min=1, mode=2, max=4)"
    )


def test_bounds_problem():
    assert bounds_problem(Range(min=2, max=9), 5.0) == ""
    assert "outside" in bounds_problem(Uniform(min=2, max=9), 1.0)
    assert bounds_problem(Lognormal(gsd=2), 1e9) == ""
    assert bounds_problem(Choice(values=(1, 4)), 2.5) == ""
    assert "outside choice(1, 4)" in bounds_problem(Choice(values=(1, 4)), 5.0)
