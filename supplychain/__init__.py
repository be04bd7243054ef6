"""supplychain: the physical supply chain of AI as a graph, with impacts and data gaps."""

from supplychain.build import Matrices, to_matrices, to_networkx
from supplychain.errors import InvalidGraphError, SupplyChainError
from supplychain.io import export_graphml, load, save_csv, save_json, validate
from supplychain.model import SupplyChain, from_tables
from supplychain.problems import Problem, Severity

__all__ = [
    "SupplyChain",
    "from_tables",
    "load",
    "validate",
    "save_csv",
    "save_json",
    "export_graphml",
    "to_networkx",
    "to_matrices",
    "Matrices",
    "Problem",
    "Severity",
    "SupplyChainError",
    "InvalidGraphError",
]

__version__ = "0.1.0"
