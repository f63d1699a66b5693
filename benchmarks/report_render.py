"""How fast the report's heaviest pages render in headless Chromium (issue 18: first render under 2 s).

Writes the report of a corpus (e.g. one made by generate.py at 10,000 records),
then loads each page named below from file:// in Debian's chromium through
chromium-driver, and prints the browser's own timings: first contentful paint
and the load event, from the navigation's start, best of ``--repeat`` loads.

Usage: python benchmarks/report_render.py CORPUS [--out DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from toolkit.report_site import write_report

TIMINGS = """
const paint = performance.getEntriesByName('first-contentful-paint')[0];
const navigation = performance.getEntriesByType('navigation')[0];
return [paint ? paint.startTime : null, navigation.loadEventEnd, document.documentElement.outerHTML.length];
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: a temporary folder)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="report-render-"))
    site = write_report(args.corpus, out)
    pages = [
        max((site / "timeline").glob("*.html"), key=lambda page: page.stat().st_size),
        site / "graph.html",
        max((site / "graph").glob("*.html"), key=lambda page: page.stat().st_size),
        site / "records" / "index.html",
        max((site / "articles").glob("*.html"), key=lambda page: page.stat().st_size),
        site / "index.html",
    ]
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "chromedriver"))
    driver.set_window_size(1280, 900)
    try:
        print("| page | size | first contentful paint | load event |")
        print("|---|---:|---:|---:|")
        for page in pages:
            best: list[float] | None = None
            for _ in range(args.repeat):
                driver.get(page.as_uri())
                paint, loaded, _length = driver.execute_script(TIMINGS)
                # A light page can be loaded before its first paint is recorded: wait for it (10 s at most).
                for _wait in range(100):
                    if paint is not None:
                        break
                    time.sleep(0.1)
                    paint, loaded, _length = driver.execute_script(TIMINGS)
                if best is None or loaded < best[1]:
                    best = [paint if paint is not None else float("nan"), loaded]
            assert best is not None
            size = page.stat().st_size / 1024
            name = page.relative_to(site).as_posix()
            print(f"| {name} | {size:,.0f} KB | {best[0] / 1000:.2f} s | {best[1] / 1000:.2f} s |")
    finally:
        driver.quit()
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
