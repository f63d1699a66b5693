"""Exporters: one module per output format, picked by name.

Each module has ``write(corpus: CorpusIndex, out: Path) -> None``, which writes
the format's files into ``out``, an empty folder of its own. A module whose
files can be written independently of each other (the CSV tables) also names
those parts in ``PARTS`` and has ``write_part(corpus, out, part)``: the export
then shares the parts among its processes. Modules are imported only when
their format is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from toolkit.corpus_index import CorpusIndex

EXPORTER_BY_NAME: dict[str, str] = {
    "csv": "toolkit.exporters.csv_tables",
    "jsonld": "toolkit.exporters.jsonld",
    "stix": "toolkit.exporters.stix",
}

# What writing each format costs per record, relative to the others (measured at
# 10,000 and 100,000 records, benchmarks/README.md): the export starts the
# costliest writes first, so that its processes end together.
WRITE_COST: dict[str, float] = {
    "csv": 1.0,
    "jsonld": 0.55,
    "stix": 1.5,
}

Writer = Callable[[CorpusIndex, Path], None]


def exporter(name: str) -> Writer:
    """The ``write`` function of the named format."""
    write: Writer = importlib.import_module(EXPORTER_BY_NAME[name]).write
    return write


def parts(name: str) -> list[tuple[str, Writer]]:
    """The parts the named format is written in, each with the function that writes it.

    A format without ``PARTS`` is one part, named after the format.
    """
    module = importlib.import_module(EXPORTER_BY_NAME[name])
    if not hasattr(module, "PARTS"):
        return [(name, module.write)]
    return [(part, partial(module.write_part, part=part)) for part in module.PARTS]
