"""Hostile and broken input gets a finding (exit 1) or an error (exit 2): never a
traceback, a hang, a crash of the interpreter, or a read outside the corpus.

The committed hostile files are in ``tests/hostile/files/<rule>/``: each must be
refused with the rule its folder is named after, so adding a case is dropping a
file there. What git cannot hold (a named pipe, a symlink out of the repository,
a file over the size cap) is built in a temporary folder here.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import toolkit
from toolkit.cli import EXIT_INTERNAL, main
from toolkit.corpus_index import CorpusIndex
from toolkit.kinds import KIND_BY_NAME
from toolkit.loading import MAX_FILE_BYTES, display_path, load_file
from toolkit.model import Record
from toolkit.positions import locate
from toolkit.schema_loader import load_schemas
from toolkit.yaml_strict import MAX_VALUES

HOSTILE = Path(__file__).resolve().parent / "hostile"
CORPUS = HOSTILE / "corpus"
FILES = sorted(path for path in (HOSTILE / "files").glob("*/*") if path.is_file())
SOURCE_ID = "src-amir-abdollahian-to-visit-turkey"
SECRET = "NOT-FOR-THE-REPORT-7f3a"  # in files outside the corpus: must never be read


def file_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def run_toolkit_process(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command (``main()``, exit codes and all) in a child process: a crash
    of the interpreter or a hang fails the test instead of ending the session."""
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the small valid corpus, to break."""
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    return copy


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A file beside the corpus, not in it, that a hostile link may point at."""
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"id: act-secret\ntype: person\nname: {SECRET}\n", encoding="utf-8")
    return secret


def rules_by_file(report: toolkit.Report) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in report.findings:
        found.setdefault(Path(finding.file).name, set()).add(finding.rule)
    return found


def test_the_fixture_corpus_is_valid() -> None:
    report = toolkit.validate([CORPUS])

    assert report.findings == ()
    assert report.records == 4


@pytest.mark.parametrize("path", FILES, ids=file_id)
def test_every_hostile_file_is_refused_with_the_rule_its_folder_names(path: Path) -> None:
    record, findings = load_file(path, KIND_BY_NAME["actor"])

    assert record is None
    assert [finding.rule for finding in findings] == [path.parent.name]
    assert all(finding.message and "\n" not in finding.message for finding in findings)


def test_a_corpus_full_of_hostile_files_is_reported_by_the_command_without_a_crash(
    corpus: Path, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actors = corpus / "actors"
    expected = {}
    for path in FILES:
        shutil.copy(path, actors / f"{path.parent.name}--{path.name}")
        expected[f"{path.parent.name}--{path.name}"] = path.parent.name
    # libyaml's composer recurses in C per level and segfaults some 20,000 levels down.
    (actors / "nested-100000-levels.yaml").write_text("aliases: " + "[" * 100_000 + "\n", encoding="utf-8")
    (actors / "over-the-size-cap.yaml").write_text("note: " + "x" * (2 * MAX_FILE_BYTES) + "\n", encoding="utf-8")
    (actors / "too-many-values.yaml").write_text("".join(f"k{i}: 1\n" for i in range(MAX_VALUES + 1)), encoding="utf-8")
    os.mkfifo(actors / "named-pipe.yaml")  # opening it for reading would wait for a writer forever
    (actors / "folder.yaml").mkdir()
    (actors / "link-out.yaml").symlink_to(secret_file)
    (actors / "dev-zero.yaml").symlink_to("/dev/zero")  # endless bytes
    (actors / "dangling.yaml").symlink_to(corpus / "deleted.yaml")
    expected |= {
        "nested-100000-levels.yaml": "yaml-too-deep",
        "over-the-size-cap.yaml": "file-too-large",
        "too-many-values.yaml": "file-too-large",
        "named-pipe.yaml": "file-unreadable",
        "folder.yaml": "file-unreadable",
        "link-out.yaml": "file-unreadable",
        "dev-zero.yaml": "file-unreadable",
        "dangling.yaml": "file-unreadable",
    }

    started = time.monotonic()
    result = run_toolkit_process("validate", "corpus", "--format", "json", cwd=corpus.parent)
    elapsed = time.monotonic() - started

    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert SECRET not in result.stdout
    report = json.loads(result.stdout)
    found: dict[str, set[str]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["file"], set()).add(finding["rule"])
    monkeypatch.chdir(corpus.parent)  # files are named as the command names them, from where it ran
    missed = {name: rule for name, rule in expected.items() if rule not in found.get(display_path(actors / name), ())}
    assert missed == {}
    assert report["summary"]["records"] == 4
    assert elapsed < 60


def test_an_alias_bomb_is_refused_in_bounded_time_and_memory() -> None:
    # Expanded, this text would be 9**30 strings; composing it makes one node per
    # alias, and the walk refuses the second use of a node before expanding any.
    script = """
import resource, sys, time, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from toolkit.yaml_strict import parse_yaml
tracemalloc.start()
lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 31)]
started = time.perf_counter()
findings = parse_yaml("\\n".join(lines) + "\\nname: *a30\\n", "bomb.yaml").findings
# tracemalloc, not ru_maxrss: a forked child's maxrss starts at its parent's.
print([f.rule for f in findings], time.perf_counter() - started,
      tracemalloc.get_traced_memory()[1] // (1 << 20))
"""
    try:
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the alias bomb was expanded: parsing did not end within 30 seconds")

    assert result.returncode == 0, result.stderr
    rules, seconds, peak_mib = result.stdout.split("]")[0] + "]", *result.stdout.split("]")[1].split()
    assert rules == "['yaml-alias']"
    assert float(seconds) < 5  # expanding would take ages; refusing takes milliseconds
    assert int(peak_mib) < 50


@pytest.mark.parametrize(
    "line",
    [
        "type: !!python/name:os.system ''",  # on a scalar
        'name: !!python/object/apply:os.system ["touch {marker}"]',  # on a sequence
        "note: !!python/object/new:subprocess.Popen {{args: [touch, '{marker}']}}",  # on a mapping
    ],
    ids=["scalar", "sequence", "mapping"],
)
def test_yaml_tags_that_would_run_code_are_refused_and_never_run(corpus: Path, tmp_path: Path, line: str) -> None:
    marker = tmp_path / "pwned"  # what PyYAML's unsafe loaders would create
    (corpus / "actors" / "act-tagged.yaml").write_text(
        f"id: act-tagged\n{line.format(marker=marker)}\n", encoding="utf-8"
    )

    report = toolkit.validate([corpus])

    assert rules_by_file(report) == {"act-tagged.yaml": {"yaml-tag"}}
    assert not marker.exists()


@pytest.mark.timeout(60)
def test_a_file_with_more_values_than_any_record_needs_is_refused_where_it_crosses_the_cap(corpus: Path) -> None:
    aliases = "".join(f"  - Alias {i}\n" for i in range(MAX_VALUES))
    (corpus / "actors" / "act-alias-flood.yaml").write_text(
        f"id: act-alias-flood\ntype: person\nname: Flood\naliases:\n{aliases}", encoding="utf-8"
    )

    report = toolkit.validate([corpus])

    [finding] = report.findings
    assert (finding.rule, finding.line, finding.path) == ("file-too-large", 5, "$.aliases")


@pytest.mark.timeout(120)
def test_thousands_of_findings_in_one_file_take_seconds_not_minutes(corpus: Path) -> None:
    # A long text and thousands of made-up quotes: the quote search must not rebuild
    # the text per quote, and the search for the closest passage has a budget.
    text_path = corpus / "sources" / f"{SOURCE_ID}.txt"
    article = text_path.read_text(encoding="utf-8")
    text_path.write_text(article * 100, encoding="utf-8")
    source = corpus / "sources" / f"{SOURCE_ID}.yaml"
    digest = hashlib.sha256(text_path.read_bytes()).hexdigest()
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            "e608a24f4048cbc6d874ed64cb50e57945bb6f457f3f3f1b9c2cceec5b1e27b3", digest
        ),
        encoding="utf-8",
    )
    quotes = "".join(
        f"  - source: {SOURCE_ID}\n    quote: Made-up quote number {i}, never printed\n" for i in range(3_000)
    )
    (corpus / "actors" / "act-made-up.yaml").write_text(
        f"id: act-made-up\ntype: person\nname: Made Up\nevidence:\n{quotes}", encoding="utf-8"
    )

    started = time.monotonic()
    report = toolkit.validate([corpus])
    elapsed = time.monotonic() - started

    assert rules_by_file(report) == {"act-made-up.yaml": {"evidence-quote-not-found", "unreferenced-actor"}}
    assert report.errors == 3_000
    assert elapsed < 20


def _seconds_to_place_every_key(folder: Path, count: int) -> float:
    keys = [f"made_up_field_{i}" for i in range(count)]
    path = folder / f"act-{count}-fields.yaml"
    path.write_text("".join(f"{key}: 1\n" for key in keys), encoding="utf-8")
    locate(path, ("id",))  # parse the file once, outside the timing
    started = time.perf_counter()
    places = [locate(path, (key,), key=True) for key in keys]
    elapsed = time.perf_counter() - started
    assert places[-1] == (count, 1)
    return elapsed


@pytest.mark.timeout(60)
def test_placing_the_findings_of_a_file_takes_time_in_proportion_to_their_number(tmp_path: Path) -> None:
    # Twenty times the findings: twenty times the time when each is found by key,
    # four hundred times when each lookup scans the mapping (seconds for one file).
    small = min(_seconds_to_place_every_key(tmp_path, 500) for _ in range(5))
    large = min(_seconds_to_place_every_key(tmp_path, 10_000) for _ in range(3))

    assert large < 100 * small


# --- Paths of source texts -------------------------------------------------------


def _set_text(corpus: Path, name: str) -> None:
    source = corpus / "sources" / f"{SOURCE_ID}.yaml"
    source.write_text(
        source.read_text(encoding="utf-8").replace(f"text: {SOURCE_ID}.txt", f"text: '{name}'"), encoding="utf-8"
    )


@pytest.mark.parametrize("name", ["/etc/hostname", "../secret.yaml", "../../../../../../etc/hostname"])
def test_a_text_path_out_of_the_corpus_is_refused_by_the_schema_and_by_the_check(
    corpus: Path, secret_file: Path, name: str
) -> None:
    _set_text(corpus, name)

    report = toolkit.validate([corpus])

    on_text = {f.rule for f in report.findings if f.path == "$.text"}
    assert on_text == {"schema-format", "source-text-outside"}
    assert all(SECRET not in (f.message + (f.hint or "")) for f in report.findings)


@pytest.mark.parametrize("name", ["/etc/hostname", "../secret.yaml", "sub/../../secret.yaml", "..", "/"])
def test_the_text_check_refuses_paths_out_of_the_corpus_without_the_schema(
    corpus: Path, secret_file: Path, name: str
) -> None:
    # The record is built by hand, as a library user or a future schema might let it through.
    schemas = load_schemas()
    source = Record(
        KIND_BY_NAME["source"], {"id": SOURCE_ID, "text": name}, "source.yaml", corpus / "sources" / f"{SOURCE_ID}.yaml"
    )

    loaded = CorpusIndex(corpus, [source], schemas).source_text(source)

    assert loaded.text is None and loaded.sha256 is None
    assert loaded.problem is not None and loaded.problem[0] == "source-text-outside"


def test_a_text_that_is_a_symlink_out_of_the_corpus_is_refused_and_not_read(corpus: Path, secret_file: Path) -> None:
    # The name passes the schema; only the check sees where the file leads.
    text = corpus / "sources" / f"{SOURCE_ID}.txt"
    text.unlink()
    text.symlink_to(secret_file)

    report = toolkit.validate([corpus])

    assert {(f.rule, f.path) for f in report.findings} == {("source-text-outside", "$.text")}
    assert all(SECRET not in (f.message + (f.hint or "")) for f in report.findings)


def test_a_text_that_is_a_symlink_within_the_corpus_is_read(corpus: Path) -> None:
    text = corpus / "sources" / f"{SOURCE_ID}.txt"
    shutil.move(text, corpus / "article.txt")
    text.symlink_to(Path("..") / "article.txt")

    assert toolkit.validate([corpus]).findings == ()


@pytest.mark.timeout(60)  # without the protection, opening the pipe waits for a writer forever
def test_a_text_that_is_a_named_pipe_is_reported_not_waited_for(corpus: Path) -> None:
    text = corpus / "sources" / f"{SOURCE_ID}.txt"
    text.unlink()
    os.mkfifo(text)

    report = toolkit.validate([corpus])

    assert {(f.rule, f.path) for f in report.findings} == {("source-text-missing", "$.text")}


def test_a_text_over_the_cap_is_not_read(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("toolkit.corpus_index.MAX_TEXT_BYTES", 1_000)

    report = toolkit.validate([corpus])

    [finding] = [f for f in report.findings if f.rule == "source-text-missing"]
    assert "more than the cap of 1,000" in finding.message


# --- Missing and unreadable files ------------------------------------------------


def test_a_missing_text_is_a_finding(corpus: Path) -> None:
    (corpus / "sources" / f"{SOURCE_ID}.txt").unlink()

    report = toolkit.validate([corpus])

    assert {(f.rule, f.path) for f in report.findings} == {("source-text-missing", "$.text")}


def test_a_folder_named_like_a_record_is_reported_not_skipped(corpus: Path) -> None:
    (corpus / "actors" / "act-folder.yaml").mkdir()

    report = toolkit.validate([corpus])

    assert [(f.rule, f.message) for f in report.findings] == [("file-unreadable", "expected a file, found a directory")]


def test_a_symlinked_record_within_the_corpus_is_read(corpus: Path) -> None:
    actor = corpus / "actors" / "act-turkey.yaml"
    shutil.move(actor, corpus / "turkey.yaml.txt")
    actor.symlink_to(Path("..") / "turkey.yaml.txt")

    assert toolkit.validate([corpus]).findings == ()


def test_a_path_that_does_not_exist_is_an_error_of_one_line(tmp_path: Path) -> None:
    result = run_toolkit_process("validate", "no-such-corpus", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr == "Error: no-such-corpus: no such file or folder\n"


def test_terminal_escapes_and_bidi_overrides_in_a_file_reach_the_report_escaped(run_toolkit, corpus: Path) -> None:
    # A key that would clear the screen, retitle the window, ring the bell, and
    # flip the rest of the line right to left.
    actor = corpus / "actors" / "act-turkey.yaml"
    actor.write_text(actor.read_text(encoding="utf-8") + '"\\e[2J\\e]0;owned\\a\\u202e": 1\n', encoding="utf-8")

    result = run_toolkit(["validate", str(corpus)], expect=1)

    assert "unknown field '\\x1b[2J\\x1b]0;owned\\x07\\u202e'" in result.output
    assert not any(char in result.output for char in "\x1b\x07\u202e")


# --- Internal errors -------------------------------------------------------------


def _crash_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug\nspread over\nthree lines")

    monkeypatch.setattr(importlib.import_module("toolkit.validation"), "validate", crash)


def test_an_internal_error_ends_with_one_line_and_an_exit_code_of_its_own(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], corpus: Path
) -> None:
    _crash_validation(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["toolkit", "validate", str(corpus)])

    with pytest.raises(SystemExit) as exit_info:
        main()

    assert exit_info.value.code == EXIT_INTERNAL == 3
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1
    assert stderr.startswith("Error: internal error: RuntimeError: a bug spread over three lines.")
    assert "--debug" in stderr and "report" in stderr
    assert "Traceback" not in stderr


def test_debug_shows_the_traceback_of_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], corpus: Path
) -> None:
    _crash_validation(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["toolkit", "--debug", "validate", str(corpus)])

    with pytest.raises(SystemExit) as exit_info:
        main()

    assert exit_info.value.code == EXIT_INTERNAL
    stderr = capsys.readouterr().err
    assert stderr.startswith("Traceback (most recent call last):")
    assert 'in crash\n    raise RuntimeError("a bug' in stderr
    assert stderr.splitlines()[-1].startswith("Error: internal error: RuntimeError: a bug spread over three lines.")


def test_a_reader_that_goes_away_is_not_a_traceback(corpus: Path) -> None:
    # A broken pipe is an I/O error, never a traceback nor "Exception ignored" noise at exit.
    for i in range(2_000):  # enough findings that the report fills the pipe
        (corpus / "actors" / f"act-empty-{i}.yaml").write_text("# nothing yet\n", encoding="utf-8")

    result = subprocess.run(
        f"'{sys.executable}' -m toolkit validate corpus | head -n 1",
        shell=True,
        cwd=corpus.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.stdout.count("\n") == 1
    # One line that says so (exit 2, an I/O error), where it used to be a silent exit 1, the
    # code for findings; none if head took all before it went.
    assert result.stderr in ("", "Error: cannot write the output: standard output: Broken pipe\n")
