"""``toolkit report``: a static HTML site of a validated corpus, to look at rather than read.

Pages (under ``<out>/report/``; open ``index.html``, from ``file://`` or any static host):

- ``timeline.html`` and ``timeline/<year>.html``: events and advisories by date, one
  page a year; a day is a point, a month, a year or a range a span; coloured by status,
  hedged (dashed) when the event rests on someone's claim; filters by source, actor
  and type (the only script of the site; without it every row shows).
- ``graph.html`` and ``graph/<n>.html``: actors linked by the events they share and by
  their affiliations, drawn as SVG on the server (``layout.py`` says why), with the same
  ties as a list; ``graph.html`` lists the groups of tied actors (connected components)
  with their size and leads to the pages that draw them, a few groups whole to a page
  or a group too large for one split along its weakest ties (``layout.PAGE_ACTORS``).
- ``articles/<source>.html``: each article's text with its quoted passages highlighted,
  each leading to the records it backs, and its uncited sentences marked.
- ``records/<id>.html``: every record in plain words, its evidence in context, what it
  refers to and what refers to it; ``advisories.html``: the advisories as a table.

The site is written like an export (``toolkit/exporting.py``): only for a corpus
without errors, into a staging folder swapped into place whole, under the output
folder's lock and journal, the same bytes from run to run (no time of "now",
every list sorted).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from toolkit.exporting import (
    REPORT_FOLDER,
    ExportRefused,
    check_output_folder,
    write_folders,
)
from toolkit.model import Report
from toolkit.parallel import cycle_collection_paused
from toolkit.validation import DEFAULT_CORPUS, check_corpus, corpus_root

DEFAULT_OUT = Path("exports")
# Record pages are written in batches of this many, shared among the processes.
_BATCH = 400


def write_report(
    corpus: Path | str = DEFAULT_CORPUS, out_dir: Path | str = DEFAULT_OUT, *, jobs: int | None = None
) -> Path:
    """Validate the corpus, then write its site into ``out_dir/report/``; return that folder.

    Raises ``ExportRefused`` if the corpus has errors (nothing is written) and
    ``ToolkitError`` for usage and I/O problems (nothing is changed).
    """
    from toolkit.report_site.render import page_tasks
    from toolkit.report_site.site import build_site

    root = corpus_root(corpus)
    out_dir = Path(out_dir)
    check_output_folder(out_dir, root, [REPORT_FOLDER])
    checked = check_corpus(root, jobs=jobs)
    report = Report.of(checked.findings, len(checked.files), len(checked.index.records))
    if report.errors:
        raise ExportRefused(report, done="written")

    def tasks_for(staged: dict[str, Path]) -> list[Callable[[], None]]:
        return [partial(task, staged[REPORT_FOLDER]) for task in page_tasks(site, _BATCH)]

    # The cyclic collector would walk the whole corpus again and again while the
    # pages' data and text are made, as it would while an export's writers run:
    # half of the time spent writing the pages at 10,000 records (benchmarks/README.md).
    # The processes that write the pages are forked with it paused too.
    with cycle_collection_paused():
        site = build_site(checked.index, sentence_spans)
        write_folders(out_dir, [REPORT_FOLDER], tasks_for, jobs=jobs)
    return out_dir / REPORT_FOLDER


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The sentences of an article as [start, end) offsets, cut as ``toolkit coverage`` cuts them."""
    from toolkit.coverage import sentences

    return [(sentence.start, sentence.end) for sentence in sentences(text)]
