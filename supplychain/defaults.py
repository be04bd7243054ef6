"""The defaults of the analyses and of the command line, in one light module (stdlib only),
so that ``supplychain --help`` can name them without importing numpy or pandas. The
modules that use them import them from here.

>>> DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_PERCENTILES
(1000, 0, (5.0, 95.0))
"""

__all__ = [
    "DEFAULT_SAMPLES",
    "DEFAULT_SEED",
    "DEFAULT_PERCENTILES",
    "MAX_RESULT_BYTES",
    "PAGE_SAMPLES",
    "TRACE_CUTOFF",
    "DEFAULT_YEAR",
]

DEFAULT_SAMPLES = 1000
"""Monte Carlo samples of ``uncertainty`` and of the report."""

DEFAULT_SEED = 0
"""Seed of every Monte Carlo run unless given."""

DEFAULT_PERCENTILES = (5.0, 95.0)
"""Percentiles reported next to every total."""

MAX_RESULT_BYTES = 512 * 2**20
"""The command line keeps every node's samples only while they fit in this much memory
(nodes x categories x samples x 8 bytes); beyond, it keeps the largest services and
devices. The library keeps the ``nodes`` it is given."""

PAGE_SAMPLES = 300
"""Monte Carlo samples behind the P5-P95 of a page drawn on its own (``viz``)."""

TRACE_CUTOFF = 0.01
"""Paths contributing less than this share of a node's total are not expanded."""

DEFAULT_YEAR = 2024
"""Production year of the mixes: the latest with reported, not estimated, USGS figures
(MCS 2026), and the year of the named mines' reports."""
