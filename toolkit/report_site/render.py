"""The report's pages from its data, through the Jinja2 templates shipped in this package.

Jinja2 escapes every value it puts into a page (``autoescape``): a record's text,
whatever it holds, is shown as text and never becomes markup or script.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from toolkit.report_site.site import Site, graph_href

STATIC = ("site.css", "site.js")


@cache
def environment() -> jinja2.Environment:
    """The template environment: templates from the package, every value escaped, undefined names an error."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("toolkit.report_site", "templates"),
        # Templates are part of the installed package: never checked for changes, which
        # was a stat and a few path operations per page written (1 s of 10,000 pages).
        auto_reload=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _write(folder: Path, name: str, text: str) -> None:
    path = os.path.join(folder, name)
    data = text.encode("utf-8")
    try:
        with open(path, "wb") as file:
            file.write(data)
    except FileNotFoundError:  # its folder is not made yet: the first page of that folder
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)


def _render(folder: Path, name: str, template: str, **values: Any) -> None:
    # The way back to the site's top folder, for links and the stylesheet.
    root = "../" * name.count("/")
    _write(folder, name, environment().get_template(template).render(root=root, **values))


def _overview(site: Site, folder: Path) -> None:
    for name in STATIC:
        _write(
            folder, f"static/{name}", resources.files("toolkit.report_site").joinpath("static", name).read_text("utf-8")
        )
    _render(folder, "timeline.html", "timeline.html", site=site, page="timeline")
    _render(folder, "graph.html", "graph.html", site=site, graph=site.graph, page="graph")
    pages = len(site.graph.pages)
    for graph_page in site.graph.pages:
        _render(
            folder,
            graph_page.href,
            "graph_page.html",
            site=site,
            graph_page=graph_page,
            pages=pages,
            page_of=site.graph.page_of,
            page="graph",
        )
    _render(folder, "advisories.html", "advisories.html", site=site, rows=site.advisories, page="advisories")
    _render(folder, "records/index.html", "records.html", site=site, page="records")


def _years(site: Site, folder: Path) -> None:
    for year in site.years:
        _render(folder, f"timeline/{year.year}.html", "year.html", site=site, year=year, page="timeline")


def _articles(site: Site, folder: Path) -> None:
    # The overview lists every article with its count of cited sentences: written here,
    # where the articles are read.
    articles = [site.article(source) for source in site.sources]
    for article in articles:
        _render(folder, f"articles/{article.link.id}.html", "article.html", article=article, page="articles")
    _render(folder, "index.html", "index.html", site=site, articles=articles, page="index")


def _records(site: Site, first: int, last: int, folder: Path) -> None:
    page_of = site.graph.page_of
    for page in site.records[first:last]:
        site.fill(page)
        graph = graph_href(page_of[page.link.id]) if page.link.id in page_of else ""
        _render(folder, f"records/{page.link.id}.html", "record.html", record=page, graph=graph, page="records")


def page_tasks(site: Site, batch: int) -> list[Callable[[Path], None]]:
    """Functions that each write some of the pages into the folder they are given; together, the site."""
    tasks: list[Callable[[Path], None]] = [
        partial(_records, site, start, start + batch) for start in range(0, len(site.records), batch)
    ]
    return [partial(_overview, site), partial(_years, site), partial(_articles, site), *tasks]
