"""Exports are never half-written, never interleaved, never refused silently, and
their CSV cells never run as spreadsheet formulas.

The kill and concurrency tests run the real command in child processes, on a
generated corpus large enough that writing it takes a moment to interrupt.
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.exporters import FORMATS
from toolkit.exporters.csv_tables import FORMULA_TRIGGERS, unescape_formula
from toolkit.exporting import JOURNAL_NAME, JOURNAL_TEXT, LOCK_NAME, MARKER_NAME, MARKER_TEXT, export

# Exports in child processes, killed or racing each other: out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

HOSTILE = Path(__file__).resolve().parent / "hostile"
SMALL = HOSTILE / "corpus"
FORMULAS = HOSTILE / "formula-corpus"
LEFTOVER_PREFIXES = (".tmp-", ".old-")


def generate_corpus(root: Path, people: int) -> Path:
    """A valid corpus of ``2 * people + 2`` records: one source, a chain of meetings."""
    for folder in ("sources", "actors", "events"):
        (root / folder).mkdir(parents=True)
    text = "".join(f"Person {i} met person {i + 1} in Istanbul on the record.\n" for i in range(people))
    (root / "sources" / "src-meetings.txt").write_text(text, encoding="utf-8")
    (root / "sources" / "src-meetings.yaml").write_text(
        "id: src-meetings\ntitle: A generated record of meetings\n"
        "published:\n  start: '2022-06'\n  precision: month\n  note: Generated for a test.\n"
        f"language: en\ntext: src-meetings.txt\nsha256: {hashlib.sha256(text.encode()).hexdigest()}\n"
        "evidence:\n  - source: src-meetings\n    quote: Person 0 met person 1\n",
        encoding="utf-8",
    )
    for i in range(people + 1):
        quote = f"Person {i} met" if i == 0 else f"person {i} in Istanbul"
        (root / "actors" / f"act-person-{i}.yaml").write_text(
            f"id: act-person-{i}\ntype: person\nname: Person {i}\n"
            f"evidence:\n  - source: src-meetings\n    quote: {quote}\n",
            encoding="utf-8",
        )
    for i in range(people):
        (root / "events" / f"evt-meeting-{i}.yaml").write_text(
            f"id: evt-meeting-{i}\ntype: CONSULT\nstatus: reported\nsummary: Person {i} met person {i + 1}.\n"
            "date:\n  start: '2022-06'\n  precision: month\n"
            f"participants:\n  - actor: act-person-{i}\n    role: initiator\n"
            f"  - actor: act-person-{i + 1}\n    role: target\n"
            f"evidence:\n  - source: src-meetings\n    quote: Person {i} met person {i + 1} in Istanbul\n",
            encoding="utf-8",
        )
    return root


@pytest.fixture(scope="module")
def large_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_corpus(tmp_path_factory.mktemp("large") / "corpus", people=2_000)


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of the format folders of an export and its bytes (not what a run left)."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.glob("*/**/*"))
        if path.is_file() and not path.relative_to(out).parts[0].startswith(".")
    }


def leftovers(out: Path) -> list[str]:
    return sorted(path.name for path in out.iterdir() if path.name.startswith(LEFTOVER_PREFIXES))


def toolkit_export(corpus: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", "export", "--corpus", str(corpus), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def reference_exports(tmp_path_factory: pytest.TempPathFactory, large_corpus: Path) -> dict[str, dict[str, bytes]]:
    """What a complete export of each corpus holds, to compare others with."""
    base = tmp_path_factory.mktemp("reference")
    export(["all"], base / "small", SMALL)
    export(["all"], base / "large", large_corpus)
    return {"small": snapshot(base / "small"), "large": snapshot(base / "large")}


def test_an_export_killed_while_writing_leaves_the_previous_export_as_it_was(
    tmp_path: Path, large_corpus: Path, reference_exports: dict[str, dict[str, bytes]]
) -> None:
    out = tmp_path / "exports"
    export(["all"], out, SMALL)
    before = snapshot(out)
    assert before == reference_exports["small"]

    process = toolkit_export(large_corpus, out)
    deadline = time.monotonic() + 60
    while not any(path.is_file() for path in out.glob(".tmp-*/*")):  # it has started writing
        assert process.poll() is None, f"the export ended before it could be killed: {process.communicate()}"
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate()

    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    assert leftovers(out) != []  # the killed run's staging folder: it really was cut short


def test_the_next_export_removes_what_a_killed_run_left(
    tmp_path: Path, reference_exports: dict[str, dict[str, bytes]]
) -> None:
    out = tmp_path / "exports"
    export(["all"], out, SMALL)
    # What a run killed while writing leaves, and what one killed between the two
    # renames of a swap leaves: the previous stix export set aside, none in place.
    (out / ".tmp-csv-0badc0de").mkdir()
    (out / ".tmp-csv-0badc0de" / MARKER_NAME).write_text(MARKER_TEXT, encoding="utf-8")  # a run marks it first
    (out / ".tmp-csv-0badc0de" / "actors.csv").write_text("id\r\nact-half-writ", encoding="utf-8")
    os.rename(out / "stix", out / ".old-stix-00004242")
    # A run names each folder in its journal before making it.
    journal = out / JOURNAL_NAME
    state = json.loads(journal.read_bytes()[len(JOURNAL_TEXT.encode()) :])
    state["made"] += [".tmp-csv-0badc0de", ".old-stix-00004242"]
    journal.write_bytes(JOURNAL_TEXT.encode() + json.dumps(state).encode())
    mine = out / ".tmp-not-from-the-toolkit"
    mine.mkdir()

    export(["csv"], out, SMALL)

    assert leftovers(out) == [mine.name]  # only folders of a format the toolkit writes are touched
    assert snapshot(out) == reference_exports["small"]  # the set-aside stix export is back


def test_formats_written_side_by_side_are_the_bytes_written_one_after_another(
    tmp_path: Path, large_corpus: Path, reference_exports: dict[str, dict[str, bytes]]
) -> None:
    export(["all"], tmp_path / "one-by-one", large_corpus, jobs=1)
    export(["all"], tmp_path / "three-at-once", large_corpus, jobs=3)
    assert snapshot(tmp_path / "one-by-one") == reference_exports["large"]
    assert snapshot(tmp_path / "three-at-once") == reference_exports["large"]


@pytest.mark.parametrize("failing", list(FORMATS))
def test_a_writer_failing_in_any_process_fails_the_export_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str, reference_exports: dict[str, dict[str, bytes]]
) -> None:
    out = tmp_path / "exports"
    export(["all"], out, SMALL)

    def full_disk(corpus: object, folder: Path, part: str | None = None) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(folder / "out.file"))

    module = FORMATS[failing].writer_module()
    monkeypatch.setattr(module, "write_part" if hasattr(module, "PARTS") else "write", full_disk)
    with pytest.raises(ToolkitError, match=r"out\.file: cannot write the export: No space left on device"):
        export(["all"], out, SMALL, jobs=3)  # the failing parts run here or in a child, whichever is free
    assert snapshot(out) == reference_exports["small"]
    assert leftovers(out) == []


def test_two_exports_into_one_folder_at_once_do_not_interleave(
    tmp_path: Path, large_corpus: Path, reference_exports: dict[str, dict[str, bytes]]
) -> None:
    out = tmp_path / "exports"
    first, second = toolkit_export(SMALL, out), toolkit_export(large_corpus, out)
    results = [process.communicate(timeout=120) + (process.returncode,) for process in (first, second)]

    assert [code for _stdout, _stderr, code in results] == [0, 0], results
    assert snapshot(out) in (reference_exports["small"], reference_exports["large"])
    assert leftovers(out) == []


def test_an_export_waits_while_another_holds_the_folder(
    tmp_path: Path, reference_exports: dict[str, dict[str, bytes]]
) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    with open(out / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a running export holds it
        process = toolkit_export(SMALL, out)
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=2)  # unhindered, it is done in about a second
        assert sorted(path.name for path in out.iterdir()) == [LOCK_NAME]  # nothing staged, nothing written
        fcntl.flock(lock, fcntl.LOCK_UN)
    _stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 0, stderr
    assert snapshot(out) == reference_exports["small"]


def test_a_corpus_with_errors_is_not_exported_and_the_previous_export_stays(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    export(["all"], out, SMALL)
    before = snapshot(out)
    corpus = tmp_path / "corpus"
    shutil.copytree(SMALL, corpus)
    shutil.copy(HOSTILE / "files" / "yaml-alias" / "billion-laughs.yaml", corpus / "actors" / "act-lol.yaml")

    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "export", "--corpus", str(corpus), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "[yaml-alias]" in result.stderr and "nothing was exported" in result.stderr
    assert snapshot(out) == before and leftovers(out) == []


# --- An output folder that cannot be written -------------------------------------


def _only_error_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    assert "Traceback" not in output
    return lines[0]


def test_a_file_where_the_output_folder_should_be_is_an_error(run_toolkit, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    out.write_text("not a folder\n", encoding="utf-8")

    result = run_toolkit(["export", "--corpus", str(SMALL), "--out", str(out)], expect=2)

    assert _only_error_line(result.output) == f"Error: {out}: exists and is not a folder; choose another --out"
    assert out.read_text(encoding="utf-8") == "not a folder\n"


def test_a_file_where_a_format_folder_should_be_is_an_error_before_anything_is_written(
    run_toolkit, tmp_path: Path
) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    (out / "stix").write_text("not a folder\n", encoding="utf-8")

    result = run_toolkit(["export", "--corpus", str(SMALL), "--out", str(out)], expect=2)

    assert "exists and is not a folder" in _only_error_line(result.output)
    assert sorted(path.name for path in out.iterdir()) == ["stix"]


def test_a_format_folder_holding_someone_elses_files_is_never_replaced(run_toolkit, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    (out / "csv").mkdir(parents=True)
    (out / "csv" / "my-analysis.xlsx").write_bytes(b"work of a week")

    result = run_toolkit(["export", "--corpus", str(SMALL), "--out", str(out)], expect=2)

    assert "did not write" in _only_error_line(result.output)
    assert (out / "csv" / "my-analysis.xlsx").read_bytes() == b"work of a week"


def test_a_folder_the_export_wrote_is_replaced_by_the_next_export(run_toolkit, tmp_path: Path) -> None:
    # A file added by hand is the user's and stops the export (test_red_team_values.py);
    # what the export wrote, or less of it, is replaced whole.
    out = tmp_path / "exports"
    run_toolkit(["export", "--format", "csv", "--corpus", str(SMALL), "--out", str(out)])
    (out / "csv" / "actors.csv").unlink()

    run_toolkit(["export", "--format", "csv", "--corpus", str(SMALL), "--out", str(out)])

    assert (out / "csv" / "actors.csv").is_file()
    assert (out / "csv" / "datapackage.json").is_file()


@pytest.mark.parametrize("where", ["file/exports", "/proc/toolkit-exports", "/dev/null/exports", "lock-is-a-folder"])
def test_an_output_folder_that_cannot_be_made_or_written_is_an_error_even_for_root(
    run_toolkit, tmp_path: Path, where: str
) -> None:
    # chmod does not stop root, who runs these tests in CI containers: these places
    # cannot be written by anyone.
    (tmp_path / "file").write_text("a file, not a folder\n", encoding="utf-8")
    (tmp_path / "lock-is-a-folder" / LOCK_NAME).mkdir(parents=True)
    out = where if where.startswith("/") else str(tmp_path / where)

    result = run_toolkit(["export", "--corpus", str(SMALL), "--out", out], expect=2)

    assert "cannot write the export" in _only_error_line(result.output)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_an_error(run_toolkit, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = run_toolkit(["export", "--corpus", str(SMALL), "--out", str(out)], expect=2)
    finally:
        out.chmod(0o755)

    assert "Permission denied" in _only_error_line(result.output)


# --- CSV formula injection -------------------------------------------------------


def _csv_cells(folder: Path) -> Iterator[tuple[str, str, str, str]]:
    """(table, column, type, cell) for every cell of every table of a CSV export."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        types = {field["name"]: field["type"] for field in resource["schema"]["fields"]}
        with (folder / resource["path"]).open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                for column, cell in row.items():
                    yield resource["path"], column, types[column], cell


def _planted_texts() -> set[str]:
    """Every text of the formula corpus that starts with a formula trigger."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str) and value.startswith(tuple(FORMULA_TRIGGERS)):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    from toolkit.loading import load_corpus

    for record in load_corpus(FORMULAS).records:
        walk(record.data)
    return found


@pytest.mark.skipif("csv" not in FORMATS, reason="no CSV exporter registered")
def test_no_csv_cell_starts_with_a_formula_and_every_cell_reads_back_as_written(tmp_path: Path) -> None:
    export(["csv"], tmp_path, FORMULAS)

    cells = list(_csv_cells(tmp_path / "csv"))
    planted = _planted_texts()

    assert {"=", "+", "-", "@", "\t", "\r"} <= {text[0] for text in planted}
    assert any(text.startswith("=HYPERLINK(") for text in planted)
    unsafe = [
        (table, column, cell)
        for table, column, kind, cell in cells
        if kind == "string" and cell.startswith(tuple(FORMULA_TRIGGERS))
    ]
    assert unsafe == []
    numbers = [cell for _table, _column, kind, cell in cells if kind in ("number", "integer") and cell]
    assert all(float(cell) == float(cell) for cell in numbers)  # typed numbers are numbers, not formulas
    read_back = {unescape_formula(cell) for _table, _column, kind, cell in cells if kind == "string"}
    assert planted - read_back == set()  # each hostile text is in the export, escaped, not dropped
