"""What a graph is made of, as read from its tables: frozen pydantic models, one per row.

These models are the schema. Small tables and the JSON form are validated with them row
by row; the big tables (nodes, edges, impacts) are checked column by column with pandas
(:mod:`supplychain.validate`) by rules derived from these same fields, so both ways agree.

Tables and their columns (the first ones of each are required):

* ``nodes``: ``id, kind, unit`` | ``name, country, lat, lon, transparency, source, note,
  operator, facility_id, location``
* ``edges``: ``source, target, amount`` | ``unit, uncertainty, transparency, source_ref,
  note``. ``source``/``target`` are node ids; the citation is ``source_ref``.
* ``impacts``: ``node, category, value`` | ``unit, uncertainty, transparency, source,
  note``
* ``social``: ``node, indicator, level`` | ``transparency, source, note``
* ``sources``: ``id, title`` | ``authors, year, publisher, url, locator, licence,
  transparency, note``
* ``categories``: ``id, name, unit`` | ``group, description``

Examples
--------
>>> Node(id="cobalt", kind="material", unit="kg").kind
<Kind.MATERIAL: 'material'>
>>> Edge(source="cobalt", target="battery", amount=0.008, unit="kg").amount
0.008
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from supplychain.distributions import parse_uncertainty
from supplychain.errors import UncertaintySyntaxError, UnitError
from supplychain.units import parse_unit

__all__ = [
    "Kind",
    "Transparency",
    "RiskLevel",
    "INDICATORS",
    "indicator_ids",
    "Node",
    "Edge",
    "Impact",
    "SocialRisk",
    "Source",
    "Category",
    "ROW_MODELS",
    "UNIT_COLUMN",
    "PLAIN_UNIT_COLUMN",
    "UNCERTAINTY_COLUMN",
    "normalise_choice",
    "GraphDocument",
]


class Kind(StrEnum):
    """Layer of a node, upstream to downstream, plus ``energy`` which may feed any layer."""

    MINE = "mine"
    MATERIAL = "material"
    COMPONENT = "component"
    DEVICE = "device"
    SERVICE = "service"
    ENERGY = "energy"


class Transparency(StrEnum):
    """Where a figure comes from, most to least transparent.

    * ``disclosed``: primary data from the actor itself (company report, audited smelter
      list, EPD)
    * ``published``: secondary data (peer-reviewed paper, LCA database, statistics)
    * ``estimated``: a proxy, an average standing in, a modelled or expert value
    * ``missing``: no data; a placeholder or a prior stands in
    """

    DISCLOSED = "disclosed"
    PUBLISHED = "published"
    ESTIMATED = "estimated"
    MISSING = "missing"


class RiskLevel(StrEnum):
    """Level of a social risk indicator at a node; ``unknown`` is never read as ``none``."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"
    UNKNOWN = "unknown"


INDICATORS: dict[str, str] = {
    "child_labour": "Child labour",
    "forced_labour": "Forced labour",
    "conflict": "Conflict financing",
    "occupational_health": "Occupational health and safety",
    "community_harm": "Community and environmental harm",
    "land_rights": "Land rights",
}
"""Social risk indicators: id -> name."""


def indicator_ids(own: Iterable[str] = ()) -> list[str]:
    """The built-in indicators, then ``own`` (a graph's categories of group ``social``).

    >>> indicator_ids(["water_rights"])[-2:]
    ['land_rights', 'water_rights']
    """
    return list(dict.fromkeys([*INDICATORS, *own]))


def normalise_choice(text: object) -> object:
    """Spelling-tolerant form of an enum value: ``'Very High'`` -> ``'very_high'``."""
    if isinstance(text, str):
        return re.sub(r"[\s\-]+", "_", text.strip().lower())
    return text


class ColumnMarker:
    """Tags a text field whose values are checked by a parser (unit, uncertainty)."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ColumnMarker({self.name!r})"


UNIT_COLUMN = ColumnMarker("unit")
PLAIN_UNIT_COLUMN = ColumnMarker("plain_unit")
UNCERTAINTY_COLUMN = ColumnMarker("uncertainty")


def _check_unit(text: str) -> str:
    if text:
        try:
            parse_unit(text)
        except UnitError as error:  # pydantic reports ValueError as a validation error
            raise ValueError(str(error)) from None
    return text


def _check_uncertainty(text: str) -> str:
    if text:
        try:
            parse_uncertainty(text)
        except UncertaintySyntaxError as error:
            raise ValueError(str(error)) from None
    return text


def _reference_unit(text: str) -> str:
    if not text:
        raise ValueError("unit is empty")
    _check_unit(text)
    if parse_unit(text).per is not None:
        raise ValueError(f"{text!r} is a rate; a reference unit is a plain unit such as kg")
    return text


Text = str
RequiredText = Annotated[str, Field(min_length=1)]
UnitText = Annotated[str, UNIT_COLUMN, AfterValidator(_check_unit)]
ReferenceUnit = Annotated[
    str, Field(min_length=1), PLAIN_UNIT_COLUMN, AfterValidator(_reference_unit)
]
UncertaintyText = Annotated[str, UNCERTAINTY_COLUMN, AfterValidator(_check_uncertainty)]
Quantity = Annotated[float, Field(allow_inf_nan=False)]
"""An edge amount or a direct impact: any finite number. A negative one is a credit (an
avoided product, a recycling credit, an uptake): see ``DESIGN.md``, "Negative flows"."""
TransparencyLevel = Annotated[Transparency | None, BeforeValidator(normalise_choice)]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Node(_Row):
    """A node: a mine, material, component, device, service or energy carrier.

    ``unit`` is the reference amount its numbers are per (``kg``, ``item``,
    ``1000 queries``...). Facilities (smelters, refiners, fabs) are material or component
    nodes with ``operator``, ``country``, ``location`` and, where one exists, an external
    ``facility_id`` (e.g. an RMI smelter id). ``country`` is free text; ISO 3166-1
    alpha-3 codes (``COD``, ``IDN``) are recommended. ``lat``/``lon`` in decimal degrees.
    """

    id: RequiredText
    kind: Annotated[Kind, BeforeValidator(normalise_choice)]
    unit: ReferenceUnit
    name: Text = ""
    country: Text = ""
    lat: Annotated[float | None, Field(ge=-90, le=90, allow_inf_nan=False)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180, allow_inf_nan=False)] = None
    transparency: TransparencyLevel = None
    source: Text = ""
    note: Text = ""
    operator: Text = ""
    facility_id: Text = ""
    location: Text = ""


class Edge(_Row):
    """``target`` uses ``source``: one unit of ``target`` takes ``amount`` of ``source``.

    ``amount`` is in ``unit`` when given (converted on load to the supplier's unit per
    unit of the consumer), else already in the supplier's unit. ``unit`` may be a rate
    such as ``g/kg`` (supplier per consumer). ``source_ref`` cites the bibliography; several
    ids are separated by ``;``.
    """

    source: RequiredText
    target: RequiredText
    amount: Quantity
    unit: UnitText = ""
    uncertainty: UncertaintyText = ""
    transparency: TransparencyLevel = None
    source_ref: Text = ""
    note: Text = ""


class Impact(_Row):
    """A direct impact: ``value`` of ``category`` per unit of ``node``'s output.

    ``unit`` (optional) is the unit of ``value``, e.g. ``g CO2e`` or a rate such as
    ``g CO2e/kWh``; it is converted on load to the category's unit per node unit.
    """

    node: RequiredText
    category: RequiredText
    value: Quantity
    unit: UnitText = ""
    uncertainty: UncertaintyText = ""
    transparency: TransparencyLevel = None
    source: Text = ""
    note: Text = ""


class SocialRisk(_Row):
    """A social risk ``level`` of ``indicator`` at ``node``, with its evidence."""

    node: RequiredText
    indicator: Annotated[RequiredText, BeforeValidator(normalise_choice)]
    level: Annotated[RiskLevel, BeforeValidator(normalise_choice)]
    transparency: TransparencyLevel = None
    source: Text = ""
    note: Text = ""


class Source(_Row):
    """A bibliography entry: one cited place in one work.

    ``locator`` says where in the work (table, page, file and column); ``licence`` the
    licence of the data taken; ``transparency`` the level figures from it have when a row
    citing it does not say.
    """

    id: RequiredText
    title: RequiredText
    authors: Text = ""
    year: Annotated[int | None, Field(ge=1000, le=2200)] = None
    publisher: Text = ""
    url: Text = ""
    locator: Text = ""
    licence: Text = ""
    transparency: TransparencyLevel = None
    note: Text = ""


class Category(_Row):
    """An impact category: ``unit`` is what its totals are in (per unit of a node)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: RequiredText
    unit: ReferenceUnit
    group: Annotated[Literal["environmental", "social"], BeforeValidator(normalise_choice)] = (
        "environmental"
    )
    description: Text = ""


ROW_MODELS: dict[str, type[_Row]] = {
    "nodes": Node,
    "edges": Edge,
    "impacts": Impact,
    "social": SocialRisk,
    "sources": Source,
    "categories": Category,
}
"""Table name -> row model, in the order tables are read and written."""


JsonCell = str | int | float | bool | None


class GraphDocument(BaseModel):
    """The JSON form of a graph: one object holding every table as a list of records.

    Records have the same fields as the CSV columns; numbers may be JSON numbers or text.
    ``format`` and ``version`` identify the file; ``name`` names the graph.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["supplychain-graph"] = "supplychain-graph"
    version: Literal[1] = 1
    name: str = ""
    nodes: list[dict[str, JsonCell]]
    edges: list[dict[str, JsonCell]] = []
    impacts: list[dict[str, JsonCell]] = []
    social: list[dict[str, JsonCell]] = []
    sources: list[dict[str, JsonCell]] = []
    categories: list[dict[str, JsonCell]] = []
