"""Uncertainty specifications: the distributions an amount or a value may carry.

They are written as one readable text, in a column of their own, and parsed into frozen
pydantic models (a discriminated union on ``distribution``):

=====================================  ================================================
text                                   meaning (``value`` is the figure in the row)
=====================================  ================================================
``lognormal(gsd=1.5)``                 lognormal with median ``value`` and geometric
                                       standard deviation 1.5 (``gsd >= 1``)
``normal(sd=0.2)``                     normal with mean ``value`` and standard deviation
                                       0.2, in the row's unit
``uniform(min=1, max=3)``              uniform between 1 and 3
``triangular(min=1, mode=2, max=4)``   triangular; without ``mode`` the mode is ``value``
``range(min=2, max=9)``                the figure lies between 2 and 9, nothing more is
                                       known (a plain min/max range)
``choice(1.2, 3.4, 8)``                one of the listed values, each as likely (e.g.
                                       the models measured for a task; their mean is
                                       the mean of the draws)
=====================================  ================================================

Arguments may also be given by position in the order of the table (``range(2, 9)``,
``lognormal(1.5)``); ``choice`` takes its values by position only. Bounds and values are
in the row's unit.

Examples
--------
>>> parse_uncertainty("range(2, 9)")
Range(min=2.0, max=9.0, distribution='range')
>>> format_uncertainty(parse_uncertainty("lognormal(1.5)"))
'lognormal(gsd=1.5)'
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from supplychain.errors import UncertaintySyntaxError

__all__ = [
    "Lognormal",
    "Normal",
    "Uniform",
    "Triangular",
    "Range",
    "Choice",
    "Distribution",
    "parse_uncertainty",
    "format_uncertainty",
    "bounds_problem",
]

Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Lognormal(_Spec):
    """Lognormal around the figure as its median; ``gsd`` is the geometric SD (>= 1)."""

    distribution: Literal["lognormal"] = "lognormal"
    gsd: Annotated[float, Field(ge=1, allow_inf_nan=False)]


class Normal(_Spec):
    """Normal around the figure as its mean; ``sd`` in the figure's unit (>= 0)."""

    distribution: Literal["normal"] = "normal"
    sd: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Bounded(_Spec):
    min: Finite
    max: Finite

    @model_validator(mode="after")
    def _min_not_above_max(self):
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class Uniform(_Bounded):
    """Uniform between ``min`` and ``max`` (in the figure's unit)."""

    distribution: Literal["uniform"] = "uniform"


class Range(_Bounded):
    """The figure lies between ``min`` and ``max``; no shape is known."""

    distribution: Literal["range"] = "range"


class Triangular(_Bounded):
    """Triangular between ``min`` and ``max``; ``mode`` defaults to the figure itself."""

    distribution: Literal["triangular"] = "triangular"
    mode: Finite | None = None

    @model_validator(mode="after")
    def _mode_within_bounds(self):
        if self.mode is not None and not self.min <= self.mode <= self.max:
            raise ValueError(f"mode {self.mode:g} is not between min and max")
        return self


class Choice(_Spec):
    """One of ``values`` (in the figure's unit), each as likely: an empirical spread."""

    distribution: Literal["choice"] = "choice"
    values: Annotated[tuple[Finite, ...], Field(min_length=2)]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


Distribution = Annotated[
    Lognormal | Normal | Uniform | Triangular | Range | Choice,
    Field(discriminator="distribution"),
]
Spec = Lognormal | Normal | Uniform | Triangular | Range | Choice

_POSITIONAL = {
    "lognormal": ("gsd",),
    "normal": ("sd",),
    "uniform": ("min", "max"),
    "range": ("min", "max"),
    "triangular": ("min", "mode", "max"),
    "choice": ("values",),
}
_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$", re.DOTALL)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _number(text: str, whole: str) -> float:
    text = text.strip()
    if not _NUMBER.match(text):
        raise UncertaintySyntaxError(f"{whole!r}: {text!r} is not a number")
    return float(text)


def _arguments(name: str, body: str, whole: str) -> dict[str, float]:
    names = _POSITIONAL[name]
    pieces = [piece for piece in body.split(",")] if body.strip() else []
    values: dict[str, float] = {}
    for position, piece in enumerate(pieces):
        key, sep, raw = piece.partition("=")
        if sep:
            key = key.strip().lower()
            if key not in names:
                raise UncertaintySyntaxError(
                    f"{whole!r}: {name} takes {', '.join(names)}, not {key!r}"
                )
        else:
            raw = key
            if name == "triangular" and len(pieces) == 2:
                key = ("min", "max")[position]
            elif position < len(names):
                key = names[position]
            else:
                raise UncertaintySyntaxError(f"{whole!r}: too many arguments for {name}")
        if key in values:
            raise UncertaintySyntaxError(f"{whole!r}: {key} is given twice")
        values[key] = _number(raw, whole)
    return values


@lru_cache(maxsize=1)
def _adapter() -> TypeAdapter:
    return TypeAdapter(Distribution)


@lru_cache(maxsize=65536)
def parse_uncertainty(text: str) -> Spec:
    """Parse an uncertainty text into its distribution model.

    Raises
    ------
    UncertaintySyntaxError
        If the text is not one of the forms in the module docstring, or its numbers are
        out of bounds (``gsd < 1``, ``min > max`` ...).

    Examples
    --------
    >>> parse_uncertainty("triangular(1, 4)").mode is None
    True
    """
    match = _CALL.match(text)
    if not match:
        raise UncertaintySyntaxError(
            f"{text!r} is not an uncertainty; write e.g. lognormal(gsd=1.5), normal(sd=0.1),"
            " uniform(min=1, max=2), triangular(min=1, mode=2, max=3), range(min=1, max=2)"
            " or choice(1, 2, 4)"
        )
    name = match.group(1).lower()
    if name not in _POSITIONAL:
        raise UncertaintySyntaxError(
            f"{text!r}: unknown distribution {name!r} (known: {', '.join(_POSITIONAL)})"
        )
    if name == "choice":
        body = match.group(2)
        if "=" in body:
            raise UncertaintySyntaxError(f"{text!r}: choice takes its values by position")
        arguments = {"values": [_number(p, text) for p in body.split(",")] if body.strip() else []}
    else:
        arguments = _arguments(name, match.group(2), text)
    try:
        return _adapter().validate_python({"distribution": name, **arguments})
    except ValidationError as error:
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'][1:]) or name}: {e['msg']}"
            for e in error.errors()
        )
        raise UncertaintySyntaxError(f"{text!r}: {reasons}") from None


def _show(number: float) -> str:
    text = repr(float(number))
    return text[:-2] if text.endswith(".0") else text


def format_uncertainty(spec: Spec) -> str:
    """The canonical text of a distribution (keywords, shortest exact numbers).

    >>> format_uncertainty(Triangular(min=1, max=3))
    'triangular(min=1, max=3)'
    """
    if isinstance(spec, Choice):
        return f"choice({', '.join(_show(v) for v in spec.values)})"
    fields = [
        f"{key}={_show(value)}"
        for key, value in spec.model_dump(exclude={"distribution"}).items()
        if value is not None
    ]
    order = _POSITIONAL[spec.distribution]
    fields.sort(key=lambda field: order.index(field.split("=")[0]))
    return f"{spec.distribution}({', '.join(fields)})"


def bounds_problem(spec: Spec, value: float) -> str:
    """Why ``value`` does not fit inside the bounds of ``spec``, or '' when it does.

    >>> bounds_problem(Range(min=2, max=9), 10.0)
    'the value 10 lies outside range(min=2, max=9)'
    """
    low, high = getattr(spec, "min", -math.inf), getattr(spec, "max", math.inf)
    if low <= value <= high:
        return ""
    return f"the value {_show(value)} lies outside {format_uncertainty(spec)}"
