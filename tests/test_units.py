"""Units: the table, parsing, and conversion factors someone can check by hand."""

import itertools

import pytest

from supplychain.errors import UnitError
from supplychain.units import _UNITS, conversion_factor, parse_unit, rate_factor


@pytest.mark.parametrize(
    ("given", "target", "factor"),
    [
        ("g", "kg", 1e-3),
        ("t", "kg", 1e3),
        ("mg", "g", 1e-3),
        ("kWh", "MJ", 3.6),
        ("Wh", "kWh", 1e-3),
        ("MJ", "kWh", 1 / 3.6),
        ("L", "m3", 1e-3),
        ("h", "s", 3600),
        ("year", "h", 8760),
        ("1000 queries", "query", 1000),
        ("1e3 queries", "query", 1000),
        ("1000 Queries", "query", 1000),
        ("query", "1000 queries", 1e-3),
        ("kg CO2e", "g CO2e", 1000),
        ("mWh", "kWh", 1e-6),
        ("mJ", "J", 1e-3),
        ("Mg", "kg", 1e3),
        ("Mt", "t", 1e6),
        ("Hours", "h", 1),
        ("m2*a", "m2a", 1),
        ("pcs", "item", 1),
    ],
)
def test_conversion_factor(given, target, factor):
    assert conversion_factor(given, target) == pytest.approx(factor, rel=1e-15)


@pytest.mark.parametrize(
    ("given", "target", "words"),
    [
        ("kg", "kWh", "mass"),
        ("item", "query", "cannot be converted"),
        ("kg CO2e", "kg Sb-eq", "counts"),
        ("m2", "m2a", "land occupation"),
    ],
)
def test_incompatible_units_are_refused(given, target, words):
    with pytest.raises(UnitError, match=words):
        conversion_factor(given, target)


def test_unknown_unit_suggests_a_close_one():
    with pytest.raises(UnitError, match="did you mean 'kg'"):
        parse_unit("kgg")


@pytest.mark.parametrize("text", ["", "   ", "0 kg", "kg/", "kg/kWh/h", "CO2e"])
def test_malformed_units_are_refused(text):
    with pytest.raises(UnitError):
        parse_unit(text)


def test_a_unit_without_qualifier_converts_to_one_with():
    """'kg' is accepted where 'kg CO2e' is expected (common shorthand)."""
    assert conversion_factor("kg", "kg CO2e") == 1
    assert conversion_factor("kg CO2-eq", "kg CO2e") == 1


@pytest.mark.parametrize(
    ("given", "numerator", "denominator", "factor"),
    [
        ("g CO2e/kWh", "kg CO2e", "kWh", 1e-3),
        ("g CO2e/kWh", "kg CO2e", "MJ", 1e-3 / 3.6),
        ("L/kWh", "m3", "kWh", 1e-3),
        ("kWh/query", "kWh", "1000 queries", 1000),
        ("kWh per 1000 queries", "kWh", "query", 1e-3),
        ("g/kg", "kg", "t", 1),
        ("g", "kg", "item", 1e-3),
    ],
)
def test_rate_factor(given, numerator, denominator, factor):
    assert rate_factor(given, numerator, denominator) == pytest.approx(factor, rel=1e-15)


def test_rate_with_a_wrong_denominator_is_refused():
    with pytest.raises(UnitError, match="energy"):
        rate_factor("g CO2e/kg", "kg CO2e", "kWh")


def _same_dimension_pairs():
    for a, b in itertools.combinations(sorted(_UNITS), 2):
        if _UNITS[a][0] == _UNITS[b][0]:
            yield a, b


@pytest.mark.parametrize(("a", "b"), list(_same_dimension_pairs()))
def test_conversion_there_and_back_is_one(a, b):
    assert conversion_factor(a, b) * conversion_factor(b, a) == pytest.approx(1, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("mwh", "'mWh' or 'MWh'"),
        ("KWH", "'kWh'"),
        ("kwh", "'kWh'"),
        ("mj", "'mJ' or 'MJ'"),
        ("MG", "'Mg' or 'mg'"),
        ("mb", "'MB'"),
        ("15000 mwh", "'mWh' or 'MWh'"),
        ("KG CO2e", "'kg'"),
    ],
)
def test_a_symbol_in_another_case_is_refused_never_guessed(text, meant):
    """SI prefixes are case-sensitive: 'mwh' could be milli or mega, and 'KWH' is no
    symbol; each is refused with what it could mean."""
    with pytest.raises(UnitError, match=f"case-sensitive.*did you mean {meant}"):
        parse_unit(text)


def test_prefixes_keep_their_case():
    assert conversion_factor("15000 mWh", "kWh") == pytest.approx(0.015, rel=1e-15)
    assert conversion_factor("MWh", "kWh") == 1000
    assert conversion_factor("mJ", "MJ") == pytest.approx(1e-9, rel=1e-15)
    assert conversion_factor("Mg", "mg") == pytest.approx(1e9, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1,5 g", "no thousands separator"),
        ("1,000 queries", "no thousands separator"),
        ("1_000 g", "no thousands separator"),
        ("1.000.000 g", "no thousands separator"),
        ("1e400 g", "beyond the range of floating-point numbers"),
        ("1e300 TWh", "beyond the range of floating-point numbers"),
        ("1e-400 g", "not positive"),
    ],
)
def test_the_number_of_a_unit_follows_the_rule_of_amounts(text, words):
    with pytest.raises(UnitError, match=words):
        parse_unit(text)


def test_the_environmental_footprint_units():
    from supplychain.units import conversion_factor, parse_unit

    assert conversion_factor("mmol H+-eq", "mol H+-eq") == pytest.approx(1e-3)
    assert parse_unit("disease incidence").dimension == "disease incidence"
    for unit, other in (("CTUe", "CTUh"), ("mol N-eq", "mol H+-eq"), ("pt", "m2a")):
        with pytest.raises(UnitError):
            conversion_factor(unit, other)
