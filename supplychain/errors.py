"""Every error the library raises on purpose: one base class, one line each on what it means.

The command line catches :class:`SupplyChainError` and prints its message without a
traceback; anything else escaping is a bug in ``supplychain``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from supplychain.problems import Problem

__all__ = [
    "SupplyChainError",
    "GraphNotFoundError",
    "InvalidGraphError",
    "InvalidDataError",
    "UnitError",
    "UncertaintySyntaxError",
    "OutputExistsError",
    "WriteError",
    "UnreadableFileError",
    "ReferenceRowError",
    "IncomparableError",
    "UnknownNodeError",
    "UnknownCategoryError",
    "UnknownIndicatorError",
    "DivergentLoopError",
    "NumericRangeError",
]


def _listed(nodes: Sequence[str], most: int = 12) -> str:
    """``a, b, c`` and, past ``most`` names, how many more."""
    shown = ", ".join(nodes[:most])
    return shown + (f" and {len(nodes) - most} more" if len(nodes) > most else "")


class SupplyChainError(Exception):
    """Base of every error raised by supplychain for bad input or a refused request."""


class GraphNotFoundError(SupplyChainError):
    """The path names no graph folder, no JSON file and no shipped graph."""


class InvalidGraphError(SupplyChainError):
    """The graph has errors; ``problems`` lists all of them (and the warnings)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.is_error]
        first = errors[0].describe() if errors else "no details"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"invalid graph: {first}{more}")


class InvalidDataError(InvalidGraphError):
    """A reference data table (production, labour list ...) has errors; see ``problems``."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems)
        self.args = (str(self.args[0]).replace("invalid graph", "invalid data table", 1),)


class UnitError(SupplyChainError):
    """A unit is unknown, or cannot be converted into the unit it has to match."""


class UncertaintySyntaxError(SupplyChainError):
    """An uncertainty text such as ``lognormal(gsd=1.5)`` cannot be read."""


class OutputExistsError(SupplyChainError):
    """Writing would overwrite a file or folder that exists (or the input itself)."""


class WriteError(SupplyChainError):
    """A file could not be written (read-only folder, full disk ...); the path is named."""


class UnreadableFileError(SupplyChainError):
    """A file is not read: not a regular file, a broken link, or larger than a table may be."""


class ReferenceRowError(SupplyChainError):
    """A table given to a builder lacks what it needs: no row or several where one is
    needed, or a figure it cannot use (a lifetime of zero years)."""


class IncomparableError(SupplyChainError):
    """Nodes asked to be weighed against each other that cannot be: no pair, one node on
    both sides, or different units."""


class UnknownNodeError(SupplyChainError):
    """A node id asked for is not in the graph."""


class UnknownCategoryError(SupplyChainError):
    """An impact category asked for has no direct impact in the graph."""


class UnknownIndicatorError(SupplyChainError):
    """A social indicator asked for is not one the graph knows."""


class DivergentLoopError(SupplyChainError):
    """A loop needs one unit or more of itself: the system has no finite solution."""

    def __init__(self, nodes: Sequence[str], spectral_radius: float | None = None):
        self.nodes = list(nodes)
        self.spectral_radius = spectral_radius
        shown = _listed(self.nodes)
        radius = f" (spectral radius {spectral_radius:.6g})" if spectral_radius is not None else ""
        super().__init__(
            f"the loop {shown} needs one unit or more of itself per unit{radius};"
            " it has no finite solution"
        )


class NumericRangeError(SupplyChainError):
    """A total is beyond the range of floating-point numbers (about 1.8e308)."""

    def __init__(self, nodes: Sequence[str], where: str = ""):
        self.nodes = list(nodes)
        super().__init__(
            f"the totals of {_listed(self.nodes)} are beyond the range of floating-point"
            f" numbers (about 1.8e308){where}: amounts multiply along a chain, so look for"
            " amounts or impacts upstream of them that are far too large (a unit given wrongly?)"
        )
