"""Exporters: one module per output format, picked by name.

Each module has ``write(corpus: CorpusIndex, out: Path) -> None``, which writes
the format's files into ``out``, an empty folder of its own. Modules are
imported only when their format is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from toolkit.corpus_index import CorpusIndex

EXPORTER_BY_NAME: dict[str, str] = {
    "csv": "toolkit.exporters.csv_tables",
    "jsonld": "toolkit.exporters.jsonld",
    "stix": "toolkit.exporters.stix",
}

# What each writer costs per record, relative to the others (measured at 10,000
# records, benchmarks/README.md): the export balances its lanes by these.
WRITE_COST: dict[str, float] = {
    "csv": 1.0,
    "jsonld": 0.8,
    "stix": 1.7,
}


def exporter(name: str) -> Callable[[CorpusIndex, Path], None]:
    """The ``write`` function of the named format."""
    return importlib.import_module(EXPORTER_BY_NAME[name]).write
