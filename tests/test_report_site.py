"""toolkit report: the site is written like an export (whole, refused on errors, the same bytes every run).

What the pages show in a browser is checked in tests/test_report_browser.py; here,
the files, on the export fixture corpus (tests/export_corpus/README.md).
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml

from corpus_overlay import built_export_corpus
from toolkit.report_site import write_report

FIXTURE = built_export_corpus()


def _records(corpus: Path, folder: str) -> list[dict[str, object]]:
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((corpus / folder).glob("*.yaml"))]


def _tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(FIXTURE, tmp_path_factory.mktemp("out"), jobs=1)


def test_the_site_has_a_page_for_every_record_every_article_and_every_year_with_events(site: Path) -> None:
    ids = [
        str(record["id"])
        for folder in ("sources", "actors", "locations", "events", "advisories")
        for record in _records(FIXTURE, folder)
    ]
    assert sorted(path.stem for path in (site / "records").glob("*.html") if path.stem != "index") == sorted(ids)
    sources = [str(record["id"]) for record in _records(FIXTURE, "sources")]
    assert sorted(path.stem for path in (site / "articles").glob("*.html")) == sorted(sources)
    years = {str(record["date"]["start"])[:4] for record in _records(FIXTURE, "events")}  # type: ignore[index]
    assert years <= {path.stem for path in (site / "timeline").glob("*.html")}
    for page in ("index.html", "timeline.html", "graph.html", "advisories.html", "records/index.html"):
        assert (site / page).is_file(), page


def test_two_runs_on_the_same_corpus_write_the_same_bytes(site: Path, tmp_path: Path) -> None:
    again = write_report(FIXTURE, tmp_path / "again", jobs=2)
    assert _tree(again) == _tree(site)


def test_on_the_timeline_a_day_is_a_point_and_a_month_a_year_or_a_range_is_a_span(site: Path) -> None:
    pages = "".join(path.read_text(encoding="utf-8") for path in sorted((site / "timeline").glob("*.html")))
    for event in _records(FIXTURE, "events"):
        rows = re.findall(rf'<li class="row event[^"]*" data-id="{event["id"]}".*?</li>', pages, re.S)
        assert rows, f"{event['id']} is on no timeline page"
        shape = "point" if event["date"]["precision"] == "day" else "span"  # type: ignore[index]
        assert all(f'class="mark {shape} ' in row for row in rows), (event["id"], shape)


def test_record_and_article_pages_need_no_script(site: Path) -> None:
    pages = [*(site / "records").glob("*.html"), *(site / "articles").glob("*.html")]
    assert pages and not [page.name for page in pages if "<script" in page.read_text(encoding="utf-8")]


def test_a_superseded_advisory_is_shown_as_such_with_the_one_that_replaced_it(site: Path) -> None:
    table = (site / "advisories.html").read_text(encoding="utf-8")
    for advisory in _records(FIXTURE, "advisories"):
        for older in advisory.get("supersedes") or []:  # type: ignore[attr-defined]
            row = re.search(rf'<tr data-id="{older}" class="superseded">.*?</tr>', table, re.S)
            assert row and f"records/{advisory['id']}.html" in row.group(0), older


def test_a_corpus_with_errors_is_refused_with_exit_1_and_nothing_is_written(
    tmp_path: Path, run_toolkit: object
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    event = corpus / "events" / "evt-fixture-iran-denial.yaml"
    event.write_text(event.read_text(encoding="utf-8").replace("status: reported\n", ""), encoding="utf-8")
    result = run_toolkit(["report", str(corpus), "--out", str(tmp_path / "out")], expect=1)  # type: ignore[operator]
    assert "nothing was written" in result.output and "evt-fixture-iran-denial.yaml" in result.output
    assert not (tmp_path / "out" / "report").exists()


def test_the_report_beside_an_export_leaves_the_export_alone_and_each_replaces_only_its_own(
    tmp_path: Path, run_toolkit: object
) -> None:
    out = tmp_path / "exports"
    run_toolkit(["export", "--corpus", str(FIXTURE), "--out", str(out), "--format", "csv"])  # type: ignore[operator]
    exported = _tree(out / "csv")
    run_toolkit(["report", str(FIXTURE), "--out", str(out)])  # type: ignore[operator]
    run_toolkit(["report", str(FIXTURE), "--out", str(out)])  # type: ignore[operator]
    run_toolkit(["export", "--corpus", str(FIXTURE), "--out", str(out), "--format", "csv"])  # type: ignore[operator]
    assert _tree(out / "csv") == exported
    assert (out / "report" / "index.html").is_file()


def test_a_file_of_the_users_in_the_report_folder_stops_the_report_and_is_kept(
    tmp_path: Path, run_toolkit: object
) -> None:
    out = tmp_path / "out"
    run_toolkit(["report", str(FIXTURE), "--out", str(out)])  # type: ignore[operator]
    mine = out / "report" / "my-notes.html"
    mine.write_text("mine", encoding="utf-8")
    result = run_toolkit(["report", str(FIXTURE), "--out", str(out)], expect=2)  # type: ignore[operator]
    assert "'toolkit report' did not write" in result.output and "my-notes.html" in result.output
    assert mine.read_text(encoding="utf-8") == "mine"


def test_markup_in_a_record_is_shown_as_text_never_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    actor = corpus / "actors" / "act-iran.yaml"
    actor.write_text(
        actor.read_text(encoding="utf-8") + 'note: "<script>alert(1)</script> & <b>bold</b>"\n', encoding="utf-8"
    )
    page = (write_report(corpus, tmp_path / "out", jobs=1) / "records" / "act-iran.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert" not in page


def test_every_uncited_sentence_is_marked_and_no_marked_sentence_holds_a_quote(site: Path) -> None:
    for source in _records(FIXTURE, "sources"):
        page = (site / "articles" / f"{source['id']}.html").read_text(encoding="utf-8")
        text = re.search(r'<article class="text"[^>]*>(.*?)</article>', page, re.S)
        assert text
        for uncited in re.findall(r'<span class="uncited"[^>]*>(.*?)</span>', text.group(1), re.S):
            assert "<mark" not in uncited
        shown = html.unescape(re.sub(r"<[^>]+>", "", text.group(1)))
        article = (FIXTURE / "sources" / str(source["text"])).read_text(encoding="utf-8")
        assert shown == article, "the article's text is shown whole, character for character"
