"""Units: a small explicit table, parsing of unit texts, and conversion factors.

A unit text is ``[number] symbol [qualifier]``, optionally ``/ [number] symbol`` (or
``per``) for a rate: ``kg``, ``1000 queries``, ``kg CO2e``, ``g CO2e/kWh``, ``L per kWh``.
The qualifier names what is counted (``CO2e``, ``Sb-eq``); two qualified units convert
only if their qualifiers agree, and a unit without a qualifier converts to one with
(``kg`` is accepted for ``kg CO2e``).

Units of different dimensions never convert: ``item`` is not ``query``, ``kg`` is not
``kWh``. The table is deliberately explicit (no guessing of prefixes); add a row to
``_UNITS`` to teach it a new unit. Symbols are case-sensitive, as SI prefixes are (``mWh``
is a milliwatt-hour, ``MWh`` a megawatt-hour): a spelling that matches a symbol only in
another case (``KWH``, ``mwh``) is refused with the symbols it could mean, never guessed.
Only units written as words (``hour``, ``Queries``, ``Item``) match in any case. The number
before a unit follows the rule of amounts: a decimal point, no thousands separator.

Examples
--------
>>> conversion_factor("g", "kg")
0.001
>>> conversion_factor("kWh", "MJ")
3.6
>>> rate_factor("g CO2e/kWh", numerator="kg CO2e", denominator="MJ")  # 1 g/kWh in kg/MJ
0.0002777777777777778
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from supplychain.errors import UnitError

__all__ = ["Unit", "parse_unit", "conversion_factor", "rate_factor", "known_units"]

# symbol -> (dimension, size in the dimension's base unit). Bases: kg, J, W, m3, m2, m2a,
# m, s, item, query, t*km, byte, mol, CTUe, CTUh, disease incidence, pt.
_UNITS: dict[str, tuple[str, float]] = {
    # mass
    "kg": ("mass", 1.0),
    "g": ("mass", 1e-3),
    "Mg": ("mass", 1e3),  # megagram, a tonne
    "mg": ("mass", 1e-6),
    "ug": ("mass", 1e-9),
    "µg": ("mass", 1e-9),
    "t": ("mass", 1e3),
    "tonne": ("mass", 1e3),
    "tonnes": ("mass", 1e3),
    "metric ton": ("mass", 1e3),
    "kt": ("mass", 1e6),
    "Mt": ("mass", 1e9),
    "lb": ("mass", 0.45359237),
    # energy
    "mJ": ("energy", 1e-3),
    "J": ("energy", 1.0),
    "kJ": ("energy", 1e3),
    "MJ": ("energy", 1e6),
    "GJ": ("energy", 1e9),
    "TJ": ("energy", 1e12),
    "PJ": ("energy", 1e15),
    "mWh": ("energy", 3.6),
    "Wh": ("energy", 3.6e3),
    "kWh": ("energy", 3.6e6),
    "MWh": ("energy", 3.6e9),
    "GWh": ("energy", 3.6e12),
    "TWh": ("energy", 3.6e15),
    # power
    "mW": ("power", 1e-3),
    "W": ("power", 1.0),
    "kW": ("power", 1e3),
    "MW": ("power", 1e6),
    "GW": ("power", 1e9),
    # volume
    "m3": ("volume", 1.0),
    "L": ("volume", 1e-3),
    "l": ("volume", 1e-3),
    "mL": ("volume", 1e-6),
    "ml": ("volume", 1e-6),
    # area and land occupation (area x time, in m2 x year)
    "m2": ("area", 1.0),
    "cm2": ("area", 1e-4),
    "mm2": ("area", 1e-6),
    "ha": ("area", 1e4),
    "km2": ("area", 1e6),
    "m2a": ("land occupation", 1.0),
    "m2*a": ("land occupation", 1.0),
    "m2.a": ("land occupation", 1.0),
    "m2 a": ("land occupation", 1.0),
    "m2y": ("land occupation", 1.0),
    "ha*a": ("land occupation", 1e4),
    # length
    "m": ("length", 1.0),
    "mm": ("length", 1e-3),
    "cm": ("length", 1e-2),
    "km": ("length", 1e3),
    # time (a year is 365 days)
    "s": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "hour": ("time", 3600.0),
    "hours": ("time", 3600.0),
    "day": ("time", 86400.0),
    "days": ("time", 86400.0),
    "year": ("time", 31_536_000.0),
    "years": ("time", 31_536_000.0),
    "yr": ("time", 31_536_000.0),
    # counts of things
    "item": ("item", 1.0),
    "items": ("item", 1.0),
    "piece": ("item", 1.0),
    "pieces": ("item", 1.0),
    "pc": ("item", 1.0),
    "pcs": ("item", 1.0),
    "unit": ("item", 1.0),
    "units": ("item", 1.0),
    # counts of requests to a service
    "query": ("query", 1.0),
    "queries": ("query", 1.0),
    "request": ("query", 1.0),
    "requests": ("query", 1.0),
    "inference": ("query", 1.0),
    "inferences": ("query", 1.0),
    # freight transport
    "tkm": ("transport", 1.0),
    "t*km": ("transport", 1.0),
    "kgkm": ("transport", 1e-3),
    "kg*km": ("transport", 1e-3),
    # amount of substance (acidification in mol H+-eq, terrestrial eutrophication in mol N-eq)
    "mol": ("amount of substance", 1.0),
    "mmol": ("amount of substance", 1e-3),
    "kmol": ("amount of substance", 1e3),
    # the impact indicators of the EU's Environmental Footprint (PEF) that have units of
    # their own: comparative toxic units, disease incidence, a dimensionless land-use score
    "CTUe": ("ecotoxic units", 1.0),
    "CTUh": ("toxic cases", 1.0),
    "disease incidence": ("disease incidence", 1.0),
    "pt": ("points", 1.0),
    # data
    "B": ("data", 1.0),
    "kB": ("data", 1e3),
    "MB": ("data", 1e6),
    "GB": ("data", 1e9),
    "TB": ("data", 1e12),
}

# Units written as words, matched in any case (``Hours``, ``QUERIES``); every other symbol
# is matched exactly, since the case of a prefix is its meaning (m milli, M mega).
_WORDS = frozenset(
    {"tonne", "tonnes", "metric ton", "hour", "hours", "day", "days", "year", "years"}
    | {"item", "items", "piece", "pieces", "unit", "units", "query", "queries"}
    | {"request", "requests", "inference", "inferences", "disease incidence"}
)
_QUALIFIER_ALIASES = {"co2eq": "co2e", "co2equivalent": "co2e", "sbeq": "sb-eq"}
# What may be meant as a number: digits with any separators, checked strictly after.
_NUMBER_LIKE = r"(?:[\d.][\d.,_']*(?:[eE][+-]?\d+)?)"
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TERM = re.compile(rf"^\s*(?P<number>{_NUMBER_LIKE})?\s*(?P<rest>.*?)\s*$")


@dataclass(frozen=True)
class Unit:
    """A parsed unit: ``size`` base units of ``dimension``, counting ``qualifier``.

    ``text`` is the text it was read from. ``per`` is the denominator of a rate unit
    (``g CO2e/kWh``), or None.
    """

    text: str
    dimension: str
    size: float
    qualifier: str = ""
    per: Unit | None = None


def known_units() -> list[str]:
    """All unit symbols in the table, sorted."""
    return sorted(_UNITS)


@lru_cache(maxsize=1)
def _lower_case_index() -> dict[str, list[str]]:
    """Symbols by their lower-case spelling (``mwh`` -> ``['mWh', 'MWh']``)."""
    by_lower: dict[str, list[str]] = {}
    for symbol in _UNITS:
        by_lower.setdefault(symbol.lower(), []).append(symbol)
    return by_lower


def _normalise_qualifier(text: str) -> str:
    key = re.sub(r"[\s_]+", "", text.lower())
    key = key.replace("-", "") if key.replace("-", "") in _QUALIFIER_ALIASES else key
    return _QUALIFIER_ALIASES.get(key, key)


def _lookup_symbol(words: str, whole: str) -> tuple[str, str] | None:
    """Split ``words`` into (table symbol, qualifier) by the longest known leading symbol.

    Raises UnitError for a symbol written in the wrong case (``KWH``), naming what it
    could mean.
    """
    tokens = words.split()
    lower_index = _lower_case_index()
    for cut in range(len(tokens), 0, -1):
        head = " ".join(tokens[:cut])
        if head in _UNITS:
            return head, " ".join(tokens[cut:])
        candidates = lower_index.get(head.lower(), [])
        words_only = [symbol for symbol in candidates if symbol in _WORDS]
        if words_only:
            return words_only[0], " ".join(tokens[cut:])
        if candidates:
            options = " or ".join(repr(symbol) for symbol in candidates)
            raise UnitError(
                f"unit {whole!r}: {head!r} is not a unit symbol; symbols are case-sensitive"
                f" (m is milli, M mega, k kilo, G giga): did you mean {options}?"
            )
    return None


def _multiple(number_text: str, whole: str) -> float:
    """The number a unit starts with (``1000 queries``), by the rule of amounts."""
    if not _NUMBER.fullmatch(number_text):
        raise UnitError(
            f"unit {whole!r} has a number {number_text!r} that is not a plain number"
            " (use a decimal point, no thousands separator: '1.5 g', '1000 queries')"
        )
    multiple = float(number_text)
    if not math.isfinite(multiple):
        raise UnitError(
            f"unit {whole!r} has a number beyond the range of floating-point numbers"
            " (about 1.8e308)"
        )
    if not multiple > 0:
        raise UnitError(f"unit {whole!r} has a number that is not positive")
    return multiple


def _parse_term(text: str, whole: str) -> Unit:
    match = _TERM.match(text)
    rest = match.group("rest") if match else ""
    number_text = match.group("number") if match else None
    if not rest:
        raise UnitError(f"unit {whole!r} has no unit symbol")
    found = _lookup_symbol(rest, whole)
    if found is None:
        close = difflib.get_close_matches(rest, known_units(), n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise UnitError(
            f"unknown unit {whole!r}{hint} (units: kg, g, t, kWh, MJ, item, hour, query,"
            " '1000 queries', m3, L, m2a ... all in the README)"
        )
    symbol, qualifier = found
    dimension, size = _UNITS[symbol]
    multiple = 1.0 if number_text is None else _multiple(number_text, whole)
    if not math.isfinite(size * multiple) or size * multiple == 0:
        raise UnitError(
            f"unit {whole!r} is beyond the range of floating-point numbers (about 1e-308 to"
            " 1.8e308 of its base unit)"
        )
    return Unit(whole, dimension, size * multiple, _normalise_qualifier(qualifier))


def _split_rate(text: str) -> list[str]:
    """``'g CO2e / kWh'`` -> ``['g CO2e', 'kWh']``; a plain unit gives one part."""
    return [part.strip() for part in re.split(r"\s*/\s*|\s+per\s+", text.strip())]


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> Unit:
    """Parse a unit text such as ``kg``, ``1000 queries`` or ``g CO2e/kWh``.

    Raises
    ------
    UnitError
        If a symbol is not in the table, or the text is empty or malformed.

    Examples
    --------
    >>> parse_unit("1000 queries").size
    1000.0
    >>> parse_unit("g CO2e/kWh").per.dimension
    'energy'
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError("unit is empty")
    parts = _split_rate(text)
    if len(parts) > 2:
        raise UnitError(f"unit {text!r} has more than one '/' or 'per'")
    numerator = _parse_term(parts[0], text)
    if len(parts) == 1:
        return numerator
    if not parts[1].strip():
        raise UnitError(f"unit {text!r} has nothing after '/'")
    denominator = _parse_term(parts[1], text)
    return Unit(text, numerator.dimension, numerator.size, numerator.qualifier, denominator)


def _factor(given: Unit, target: Unit, given_text: str, target_text: str, whole: str = "") -> float:
    """Size of ``given`` in ``target`` units; ``whole`` is the rate ``given`` is part of."""
    where = (
        f"unit {whole!r}: {given_text!r}"
        if whole and whole != given_text
        else (f"unit {given_text!r}")
    )
    if given.dimension != target.dimension:
        raise UnitError(
            f"{where} ({given.dimension}) cannot be converted to "
            f"{target_text!r} ({target.dimension})"
        )
    if given.qualifier and target.qualifier and given.qualifier != target.qualifier:
        raise UnitError(
            f"{where} counts {given.qualifier!r} but {target_text!r} counts {target.qualifier!r}"
        )
    return given.size / target.size


def conversion_factor(given: str, target: str) -> float:
    """How many ``target`` units one ``given`` unit is (multiply a value by it).

    Raises
    ------
    UnitError
        If either unit is unknown, or their dimensions or qualifiers differ.

    Examples
    --------
    >>> conversion_factor("t", "g")
    1000000.0
    """
    given_unit, target_unit = parse_unit(given), parse_unit(target)
    if given_unit.per is not None or target_unit.per is not None:
        raise UnitError(f"unit {given!r} or {target!r} is a rate; expected a plain unit")
    return _factor(given_unit, target_unit, given, target)


def rate_factor(given: str, numerator: str, denominator: str) -> float:
    """Factor that turns a value in ``given`` into ``numerator`` per ``denominator``.

    ``given`` is a plain unit (then it is per one ``denominator`` already) or a rate
    ``A/B`` (then ``A`` converts to ``numerator`` and ``B`` to ``denominator``). Used for
    edge amounts (supplier unit per consumer unit) and direct impacts (category unit per
    node unit).

    Raises
    ------
    UnitError
        If a part is unknown or incompatible.

    Examples
    --------
    >>> rate_factor("kWh/query", numerator="kWh", denominator="1000 queries")
    1000.0
    >>> rate_factor("g", numerator="kg", denominator="item")
    0.001
    """
    given_unit = parse_unit(given)
    numerator_unit, denominator_unit = parse_unit(numerator), parse_unit(denominator)
    for part, text in ((numerator_unit, numerator), (denominator_unit, denominator)):
        if part.per is not None:
            raise UnitError(f"unit {text!r} is a rate; expected a plain unit")
    parts = _split_rate(given)
    head = Unit(parts[0], given_unit.dimension, given_unit.size, given_unit.qualifier)
    factor = _factor(head, numerator_unit, parts[0], numerator, whole=given)
    if given_unit.per is not None:
        factor /= _factor(given_unit.per, denominator_unit, parts[1], denominator, whole=given)
    return factor
