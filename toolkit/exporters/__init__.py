"""Exporters: one module per output format, registered here by name with what writing it costs.

Each module has ``write(corpus: CorpusIndex, out: Path) -> None``, which writes
the format's files into ``out``, an empty folder of its own. A module whose
files can be written independently of each other (the CSV tables) also names
those parts in ``PARTS`` and has ``write_part(corpus, out, part)``: the export
then shares the parts among its processes. Modules are imported only when
their format is written, so that the command line can list the formats
without loading the pipeline.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.corpus_index import CorpusIndex
    from toolkit.model import Kind

Writer = Callable[["CorpusIndex", Path], None]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One export format: its name, the module that writes it, and what writing it costs.

    ``cost`` is what writing the format costs per record, relative to the others
    (measured at 10,000 and 100,000 records, benchmarks/README.md): the export
    starts the costliest writes first, so that its processes end together.
    """

    name: str
    module: str
    cost: float

    def writer_module(self) -> ModuleType:
        """The module that writes this format (imported on first use)."""
        return importlib.import_module(self.module)

    def parts(self) -> list[tuple[str, Writer]]:
        """The parts the format is written in, each with the function that writes it.

        A format without ``PARTS`` is one part, named after the format.
        """
        module = self.writer_module()
        if not hasattr(module, "PARTS"):
            return [(self.name, module.write)]
        return [(part, partial(module.write_part, part=part)) for part in module.PARTS]

    def treats(self, kind: Kind) -> bool:
        """Whether the format's module has a treatment for records of ``kind`` (its ``treats(kind)``)."""
        return bool(self.writer_module().treats(kind))


FORMATS: dict[str, ExportFormat] = {
    export_format.name: export_format
    for export_format in (
        ExportFormat("csv", "toolkit.exporters.csv_tables", cost=1.0),
        ExportFormat("jsonld", "toolkit.exporters.jsonld", cost=0.55),
        # The CSV tables' rows again, inserted under their keys: 1.4-1.5x CSV at 10,000 records.
        ExportFormat("sqlite", "toolkit.exporters.sqlite_db", cost=1.4),
        ExportFormat("stix", "toolkit.exporters.stix", cost=1.5),
    )
}


def untreated_kinds(names: list[str], kinds: tuple[Kind, ...] | None = None) -> list[str]:
    """What stops the named formats from writing every registered kind: one sentence per gap, naming the exporter.

    Checked before an export reads the corpus, so that a kind added to
    ``toolkit/kinds.py`` without a treatment in some exporter fails at once, by
    name, rather than halfway through writing (or silently leaving it out).
    """
    if kinds is None:
        from toolkit import kinds as registry  # read at call time: the registry may have grown

        kinds = registry.KINDS
    return [
        f"the {name} exporter ({FORMATS[name].module}) has no treatment for the kind {kind.name!r}"
        for name in names
        for kind in kinds
        if not FORMATS[name].treats(kind)
    ]
