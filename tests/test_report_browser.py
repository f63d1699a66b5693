"""toolkit report in a real browser: headless Chromium through chromium-driver, from file://.

One browser for the module, on the site of the export fixture corpus. Without
Chromium on the machine these tests are skipped, saying how to install it; under
CI (``CI=true``) they fail instead, since CI must run them (.ci/run installs it).

Screenshots of the timeline, the graph and an article at a desktop's and a
phone's width are written into the run's temporary folder (printed with ``-s``).
The README's image is of the bundled corpus instead, made by the command the
README gives (headless Chromium's own --screenshot).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from corpus_overlay import built_export_corpus
from toolkit.quotes import normalise
from toolkit.report_site import write_report

FIXTURE = built_export_corpus()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
INSTALL = "install it with: sudo apt-get install chromium chromium-driver (Debian, Ubuntu)"
DESKTOP, PHONE = (1280, 900), (390, 844)
PAGE_LOADED = "return document.readyState"


def _records(folder: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((FIXTURE / folder).glob("*.yaml"))]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(FIXTURE, tmp_path_factory.mktemp("out"), jobs=1)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None or DRIVER is None:
        missing = "chromium" if CHROMIUM is None else "chromium-driver"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI runs the browser tests, and {missing} is missing: {INSTALL}")
        pytest.skip(f"the browser tests need {missing}: {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, page: Path, size: tuple[int, int] = DESKTOP) -> None:
    if getattr(browser, "report_size", None) != size:  # resizing costs a round trip: only when it changes
        browser.set_window_size(*size)
        browser.report_size = size
    browser.get(page.as_uri())


def _errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def test_no_page_of_the_site_logs_an_error_in_the_console(browser: Any, site: Path) -> None:
    # Every page but the records, which share one template: one record of each kind.
    records = sorted((site / "records").glob("*.html"))
    pages = [page for page in sorted(site.rglob("*.html")) if page.parent.name != "records"]
    pages += [
        next(page for page in records if page.name.startswith(prefix))
        for prefix in ("act-", "adv-", "evt-", "loc-", "src-", "index")
    ]
    browser.get_log("browser")  # start from an empty log
    for page in pages:
        _open(browser, page)
        assert _errors(browser) == [], page.relative_to(site)


def test_every_event_of_the_corpus_is_shown_on_the_timeline(browser: Any, site: Path) -> None:
    shown: set[str] = set()
    for page in sorted((site / "timeline").glob("*.html")):
        _open(browser, page)
        shown |= set(
            browser.execute_script(
                "return [...document.querySelectorAll('li.row.event')]"
                ".filter(row => row.querySelector('.mark').getBoundingClientRect().height > 0)"
                ".map(row => row.dataset.id)"
            )
        )
    assert shown == {str(event["id"]) for event in _records("events")}


def test_the_timeline_filters_by_actor_show_only_that_actors_events(browser: Any, site: Path) -> None:
    from selenium.webdriver.support.ui import Select

    _open(browser, site / "timeline" / "2022.html")
    Select(browser.find_element("css selector", "select[name=actors]")).select_by_value("act-iran")
    visible = browser.execute_script(
        "return [...document.querySelectorAll('li.row')].filter(row => !row.hidden).map(row => row.dataset.id)"
    )
    wanted = {
        str(event["id"])
        for event in _records("events")
        if str(event["date"]["start"]).startswith("2022") or event["date"].get("end", "").startswith("2022")
        if any(participant["actor"] == "act-iran" for participant in event["participants"])
    }
    assert set(visible) == wanted and wanted


# Each quote of an article page: its number, the records it backs, and the text of its highlighted segments.
QUOTES = """
return [...document.querySelectorAll('ol.quotes li[id^="q-"]')].map(item => {
  const number = item.id.slice(2);
  const marks = [...document.querySelectorAll('article.text mark')]
    .filter(mark => mark.dataset.q.split(' ').includes(number));
  return {number, records: item.dataset.records.split(' '), text: marks.map(mark => mark.textContent).join('')};
});
"""


def test_every_evidence_quote_is_highlighted_once_per_record_it_backs_with_its_text(browser: Any, site: Path) -> None:
    highlighted: dict[str, list[dict[str, Any]]] = {}
    for source in _records("sources"):
        _open(browser, site / "articles" / f"{source['id']}.html")
        highlighted[str(source["id"])] = browser.execute_script(QUOTES)
    for kind in ("sources", "actors", "locations", "events", "advisories"):
        for record in _records(kind):
            for item in record["evidence"]:
                found = [
                    quote
                    for quote in highlighted[item["source"]]
                    if record["id"] in quote["records"] and normalise(quote["text"]) == normalise(item["quote"])
                ]
                assert len(found) == 1, (record["id"], item["quote"], found)


def test_clicking_a_highlight_reaches_the_records_it_backs(browser: Any, site: Path) -> None:
    # Every highlight of the article that most records cite, some backing one record, some several.
    reached = 0
    for source_id in ["src-fixture-wire-istanbul-cell"]:
        page = site / "articles" / f"{source_id}.html"
        _open(browser, page)
        count = len(browser.find_elements("css selector", "a.cite"))
        for number in range(count):
            _open(browser, page)
            highlight = browser.find_elements("css selector", "a.cite")[number]
            records = highlight.get_attribute("data-records").split()
            highlight.click()
            if len(records) > 1:  # a list of the records, each a link
                entry = browser.find_element("css selector", ":target")
                links = [link.get_attribute("href") for link in entry.find_elements("css selector", "ul.items a")]
                assert {link.rsplit("/", 1)[-1] for link in links} >= {f"{record}.html" for record in records}
                browser.get(links[0])
            assert browser.current_url.rsplit("/", 1)[-1].split("#")[0] in {f"{record}.html" for record in records}
            assert browser.find_element("css selector", "h1").text
            reached += len(records)
    assert reached > count


@pytest.fixture(scope="module")
def split_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same corpus with pages of the graph of at most 8 actors: its one group of 19 is split."""
    from toolkit.report_site import layout

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "PAGE_ACTORS", 8)
        return write_report(FIXTURE, tmp_path_factory.mktemp("split"), jobs=1)


def _graph_pages(browser: Any, site: Path) -> list[str]:
    """The pages of the graph, as the index of its groups links to them."""
    _open(browser, site / "graph.html")
    links = browser.execute_script("return [...document.querySelectorAll('main a[href^=\"graph/\"]')].map(a => a.href)")
    return sorted(set(links))


@pytest.mark.parametrize("pages", ["one page", "split"])
def test_the_graph_has_one_node_per_actor_that_takes_part_in_something(
    browser: Any, site: Path, split_site: Path, pages: str
) -> None:
    taking_part = {participant["actor"] for event in _records("events") for participant in event["participants"]}
    for actor in _records("actors"):
        for affiliation in actor.get("affiliations", []):
            taking_part |= {actor["id"], affiliation["actor"]}
    folder = site if pages == "one page" else split_site
    nodes: list[str] = []
    found = _graph_pages(browser, folder)
    for page in found:
        browser.get(page)
        nodes += browser.execute_script(
            "return [...document.querySelectorAll('svg a.node')].map(node => node.dataset.id)"
        )
    assert sorted(nodes) == sorted(taking_part)
    assert len(found) == (1 if pages == "one page" else 3)
    browser.get(found[0])
    node = browser.find_element("css selector", "svg a.node")
    actor = node.get_attribute("data-id")
    node.click()
    assert browser.current_url.endswith(f"/records/{actor}.html")
    browser.find_element("css selector", "a.in-graph").click()
    assert browser.current_url == found[0]


def test_an_actor_drawn_on_another_page_of_the_graph_leads_to_the_page_where_it_is_a_node(
    browser: Any, split_site: Path
) -> None:
    followed = 0
    for page in _graph_pages(browser, split_site):
        browser.get(page)
        elsewhere = browser.execute_script(
            "return [...document.querySelectorAll('svg a.elsewhere')].map(a => [a.dataset.id, a.href.baseVal])"
        )
        for actor, href in elsewhere:
            browser.get(page)
            browser.find_element("css selector", f"svg a.elsewhere[data-id='{actor}']").click()
            assert browser.current_url != page and browser.current_url.endswith(href.removeprefix(".."))
            assert browser.find_elements("css selector", f"svg a.node[data-id='{actor}']"), (page, actor)
            followed += 1
    assert followed


def test_the_keyboard_reaches_the_content_from_the_top_of_a_page(browser: Any, site: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    _open(browser, site / "records" / "evt-fixture-istanbul-kidnap-plot.html")
    body = browser.find_element("css selector", "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.current_url.endswith("#main")


@pytest.mark.parametrize(
    "page",
    [
        "records/evt-fixture-istanbul-kidnap-plot.html",
        "articles/src-fixture-wire-istanbul-cell.html",
        "advisories.html",
        "graph.html",
        "graph/1.html",
    ],
)
def test_pages_fit_a_phones_width_without_scrolling_sideways(browser: Any, site: Path, page: str) -> None:
    _open(browser, site / page, PHONE)
    width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], page


def test_screenshots_of_the_timeline_graph_and_an_article_at_desktop_and_phone_widths(
    browser: Any, site: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("report-screenshots")
    pages = {
        "timeline": "timeline/2022.html",
        "graph": "graph/1.html",
        "article": "articles/src-fixture-wire-istanbul-cell.html",
    }
    for name, page in pages.items():
        for width_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            _open(browser, site / page, size)
            # The page's whole height, up to about two screens.
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(size[0], min(height, 2 * size[1]))
            browser.report_size = None
            path = folder / f"{name}-{width_name}.png"
            assert browser.save_screenshot(str(path)) and path.read_bytes().startswith(b"\x89PNG")
    print(f"screenshots in {folder}")
