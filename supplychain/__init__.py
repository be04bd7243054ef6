"""supplychain: the physical supply chain of AI as a graph, with impacts and data gaps.

The names below are imported when first used (PEP 562), so that ``import supplychain``
and the command line's ``--help`` do not wait for numpy, pandas and scipy.

>>> import supplychain as sc
>>> sc.load("example")
SupplyChain('example': 13 nodes, 13 edges, 22 impacts, 8 sources)
"""

from importlib import import_module

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

_WHERE = {
    "Matrices": "build",
    "to_matrices": "build",
    "to_networkx": "build",
    "InvalidGraphError": "errors",
    "SupplyChainError": "errors",
    "export_graphml": "graphml",
    "load": "io",
    "save_csv": "io",
    "save_json": "io",
    "validate": "io",
    "SupplyChain": "model",
    "from_tables": "tables",
    "Problem": "problems",
    "Severity": "problems",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"supplychain.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'supplychain' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
