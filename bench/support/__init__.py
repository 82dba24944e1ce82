"""The support package of the benchmarks, one module per concern; it only re-exports.

``models`` (the Order record), ``timing`` (raw vs provider timing, medians, peak memory),
``machine`` (the machine line), ``readme`` (the result sections of bench/README.md),
``filling`` (chunked MongoDB inserts), ``s3`` (streams, peak RSS) and ``s3_worker``
(one measured S3 transfer in a fresh process).
A package, so that ``nox -s bench``, which runs every ``bench/*.py``, does not run it.
"""

from support.filling import fill
from support.machine import machine
from support.models import BASE, Address, Order, make_order
from support.readme import README, ratio_table, write_section
from support.timing import (
    Operation,
    Row,
    Timing,
    median,
    paired_rounds,
    peak_memory,
    timed,
    timed_block,
)

__all__ = [
    "BASE",
    "README",
    "Address",
    "Operation",
    "Order",
    "Row",
    "Timing",
    "fill",
    "machine",
    "make_order",
    "median",
    "paired_rounds",
    "peak_memory",
    "ratio_table",
    "timed",
    "timed_block",
    "write_section",
]
