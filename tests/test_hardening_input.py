"""The read side holds against hostile input (issue 13): what is read, from where, and
what the reviewer sees.

- The text a person reviews is the text the parser reads: characters that make them
  differ are refused, located (rule ``yaml-unsafe-character``).
- The corpus root follows from where records live (``<root>/<kind>/<file>``), never
  from climbing: a checkout inside ``~/sources/`` reads nothing around it.
- Every file name in a finding is valid text on one line, in every report format.
- Nothing in the corpus is silently skipped: a folder that cannot be listed, or is a
  symlink, is a finding; a deep tree is walked without recursion.
- Files are opened one guarded way: not through a link out of the corpus (checked
  on the file opened), and a position is never read from a stale parse.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

import toolkit
from scratch_git import GIT_ENV, annotations_repo, commit_all, git
from toolkit import loading
from toolkit.changes import changed_annotation_files
from toolkit.errors import ToolkitError
from toolkit.exporting import ExportRefused, export
from toolkit.input_files import OutsideCorpus, read_capped
from toolkit.positions import locate

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "hostile" / "corpus"  # a small valid corpus: 2 actors, 1 event, 1 source
CLEAN = HERE / "corpora" / "clean"
SECRET = "NOT-FOR-THE-REPORT-5b1e"


def run_toolkit_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """The real command in a child process; output kept as bytes, to check it is UTF-8."""
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args], cwd=cwd, capture_output=True, timeout=120, check=False
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    return copy


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.yaml"
    secret.write_text(
        f"id: src-secret\ntype: person\nname: {SECRET}\ntext: src-amir-abdollahian-to-visit-turkey.txt\n",
        encoding="utf-8",
    )
    return secret


ACTOR = (CORPUS / "actors" / "act-turkey.yaml").read_text(encoding="utf-8")  # referenced by the event


def write_actor(corpus: Path, text: str, name: str = "act-turkey.yaml") -> Path:
    path = corpus / "actors" / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


# --- The text reviewed is the text parsed -------------------------------------------------

HIDING = {
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "next line (NEL)": "\x85",
    "lone carriage return": "\r",
    "escape (terminal)": "\x1b",
    "C1 control sequence introducer": "\x9b",
    "delete": "\x7f",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "zero width space": "\u200b",
    "word joiner": "\u2060",
    "invisible plus": "\u2064",
    "byte-order mark inside the file": "\ufeff",
    "soft hyphen": "\u00ad",
    "hangul filler": "\u3164",
    "tag latin letter (ASCII smuggling)": "\U000e0041",
    "noncharacter": "\ufffe",
}


def test_a_field_hidden_behind_a_line_separator_in_a_comment_is_refused_where_it_is(corpus: Path) -> None:
    # git diff, grep and editors show one line ending in a comment; libyaml reads two.
    write_actor(
        corpus,
        'id: act-extra\ntype: state\nname: "Extra" # unchanged\u2028aliases: [Hidden]\ncountries: [TR]\n',
        name="act-extra.yaml",
    )

    report = toolkit.validate([corpus])

    assert [(Path(f.file).name, f.line, f.column, f.rule) for f in report.findings] == [
        ("act-extra.yaml", 3, 26, "yaml-unsafe-character")
    ]
    assert "LINE SEPARATOR" in report.findings[0].message
    assert report.records == 4  # the file with the hidden field gives no record


@pytest.mark.parametrize("char", HIDING.values(), ids=HIDING.keys())
def test_a_character_that_shows_otherwise_than_it_parses_is_refused_at_its_line_and_column(
    corpus: Path, char: str
) -> None:
    write_actor(corpus, f"id: act-extra\ntype: state\nname: Tur{char}key\ncountries: [TR]\n", name="act-extra.yaml")

    report = toolkit.validate([corpus])

    assert [(f.rule, f.line, f.column) for f in report.findings] == [("yaml-unsafe-character", 3, 10)]
    assert f"U+{ord(char):04X}" in report.findings[0].message or char == "\r"
    assert report.findings[0].hint


def test_characters_that_scripts_need_are_allowed_and_crlf_line_ends_too(corpus: Path) -> None:
    # ZWNJ (Persian), ZWJ (emoji, Indic), LRM/RLM/ALM (Hebrew and Arabic beside digits),
    # a variation selector (emoji), and CRLF: none hides anything from review.
    from toolkit.unsafe_text import UNSAFE_CHARACTER

    aliases = (
        '["می\u200cخواهم", "\U0001f468\u200d\U0001f4bc", "לפיד 2022\u200f", "x\u200e", "عربي\u061c 1", "\u2764\ufe0f"]'
    )
    text = ACTOR.replace("\n", "\r\n") + f"aliases: {aliases}\r\n"
    write_actor(corpus, text)

    assert UNSAFE_CHARACTER.search(text) is None
    assert toolkit.validate([corpus]).findings == ()


def test_the_scan_refuses_every_control_separator_and_surrogate_and_every_format_character_but_the_allowed_ones() -> (
    None
):
    # Pins the decision against the Unicode database of the running Python: a new
    # format character (category Cf) in a later Unicode version must be decided on.
    from toolkit.unsafe_text import UNSAFE_CHARACTER, first_unsafe

    allowed_format = {0x200C, 0x200D, 0x200E, 0x200F, 0x061C, *range(0x180B, 0x1810)}
    visible_format = {
        *range(0x0600, 0x0606),
        0x06DD,
        0x070F,
        0x0890,
        0x0891,
        0x08E2,
        0x110BD,
        0x110CD,
        *range(0x13430, 0x13456),
    }  # number signs and hieroglyph format controls: seen, not hidden
    wrong = []
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        refused = UNSAFE_CHARACTER.fullmatch(char) is not None
        if (first_unsafe(f"ab{char}c") == 2) != refused:  # the fast scan finds exactly the same
            wrong.append(f"fast scan U+{code:04X}")
        if char in "\t\n":
            expected = False
        elif (
            char == "\r" or category in ("Cc", "Zl", "Zp", "Cs") or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
        ):
            expected = True
        elif category == "Cf":
            expected = code not in allowed_format | visible_format
        else:
            expected = refused  # other categories: only the listed invisible fillers, checked above
        if refused != expected:
            wrong.append(f"U+{code:04X}")
    assert wrong == []
    assert UNSAFE_CHARACTER.search("a\r\nb") is None and first_unsafe("a\r\nb\U0001f600") is None
    assert first_unsafe("a\r\nb\rc") == 4


def test_a_lone_surrogate_from_an_escape_is_refused_where_it_is(corpus: Path) -> None:
    write_actor(corpus, ACTOR.replace("turkey", "extra") + 'aliases: ["ok", "\\ud83d"]\n', name="act-extra.yaml")

    report = toolkit.validate([corpus])

    assert [(f.rule, f.line) for f in report.findings] == [("yaml-unsafe-character", 8)]
    assert report.findings[0].column is not None


# --- The corpus root: by rule, never by climbing ------------------------------------------------


@pytest.fixture
def checkout_under_sources(tmp_path: Path) -> Path:
    """A checkout at ~/sources/checkout, beside unrelated YAML files in ~/sources/ and ~/."""
    home = tmp_path / "home"
    (home / "sources").mkdir(parents=True)
    for folder in (home, home / "sources", home / "sources" / "other-project"):
        folder.mkdir(exist_ok=True)
        (folder / "unrelated.yaml").write_text(f"secret: {SECRET}\n", encoding="utf-8")
    checkout = home / "sources" / "checkout"
    shutil.copytree(CLEAN, checkout / "annotations")
    (checkout / "mkdocs.yml").write_text("site_name: Notes\n", encoding="utf-8")
    (checkout / ".github" / "workflows").mkdir(parents=True)
    (checkout / ".github" / "workflows" / "ci.yml").write_text("name: CI\n", encoding="utf-8")
    return checkout


def test_validate_dot_in_a_checkout_under_a_folder_named_sources_reads_only_the_checkout(
    checkout_under_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(checkout_under_sources)

    report = toolkit.validate(["."])

    assert {f.file for f in report.findings} == {"mkdocs.yml"}  # a YAML file in no corpus, named
    assert {f.rule for f in report.findings} == {"file-kind-unknown"}
    assert report.records == 10  # the corpus in annotations/, checked whole
    assert not any(SECRET in f.message or "unrelated" in f.file for f in report.findings)


def test_validate_dot_at_the_top_of_a_repository_checks_the_corpus_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = annotations_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)

    assert toolkit.validate(["."]) == toolkit.validate([])


def test_a_repository_named_like_a_kind_folder_is_not_a_kind_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git clone .../sources.git: the checkout's top is named sources/ and holds annotations/.
    (tmp_path / "unrelated.yaml").write_text(f"secret: {SECRET}\n", encoding="utf-8")
    repo = annotations_repo(tmp_path / "sources")
    monkeypatch.chdir(repo)

    report = toolkit.validate(["."])

    assert report.findings == ()
    assert report.records == 10


def test_a_file_given_alone_in_a_folder_that_is_not_a_kind_folder_is_the_only_file_read(
    checkout_under_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(checkout_under_sources.parent)
    read = []
    real_read_text = loading.read_text

    def spy(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(Path(path).name)
        return real_read_text(path, *args, **kwargs)

    monkeypatch.setattr(loading, "read_text", spy)

    report = toolkit.validate(["other-project/unrelated.yaml"])

    assert [(f.file, f.rule) for f in report.findings] == [("other-project/unrelated.yaml", "file-kind-unknown")]
    assert read == ["unrelated.yaml"]


def test_export_of_a_corpus_folder_under_a_folder_named_sources_reads_nothing_around_it(
    checkout_under_sources: Path, tmp_path: Path
) -> None:
    empty = checkout_under_sources / "drafts"  # a folder with no kind folder yet
    empty.mkdir()

    # Not taken for a corpus by climbing to ~/ (whose sources/ is a kind folder's name),
    # and not exported empty either: a mistyped --corpus must not replace an export by
    # empty files (red team, round 3).
    with pytest.raises(ToolkitError, match="not a corpus folder"):
        export(["csv"], tmp_path / "out", empty, jobs=1)

    assert not (tmp_path / "out").exists()


def test_changed_since_in_a_checkout_under_a_folder_named_sources_ignores_yaml_outside_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = annotations_repo(tmp_path / "sources" / "checkout")
    git(repo, "checkout", "--quiet", "-b", "edits")
    (repo / "mkdocs.yml").write_text("site_name: Notes\n", encoding="utf-8")
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo)

    assert changed_annotation_files("main", [Path(".")]) == []


# --- File names: valid text on one line in every report --------------------------------------


@pytest.mark.parametrize("report_format", ["text", "json", "github", "sarif"])
def test_a_file_name_that_is_not_utf8_is_shown_escaped_in_every_report(corpus: Path, report_format: str) -> None:
    # As unpacked from a Windows zip: the name's bytes are Latin-1.
    os.rename(corpus / "actors" / "act-turkey.yaml", os.fsencode(corpus / "actors") + b"/act-t\xfcrkey.yaml")

    result = run_toolkit_process("validate", "corpus", "--format", report_format, cwd=corpus.parent)

    assert result.returncode == 1, result.stderr
    assert result.stderr == b""
    output = result.stdout.decode("utf-8")  # valid UTF-8, or this raises
    shown = '"corpus/actors/act-t\\374rkey.yaml"'  # as git shows it
    if report_format == "json":
        assert shown in {finding["file"] for finding in json.loads(output)["findings"]}
    elif report_format == "sarif":
        results = json.loads(output)["runs"][0]["results"]
        assert shown in {unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    else:
        assert shown in output


@pytest.mark.parametrize("report_format", ["text", "github"])
def test_a_file_name_with_a_newline_cannot_forge_a_line_of_the_report(corpus: Path, report_format: str) -> None:
    forged = "act-x.yaml\n::error file=ok.yaml::forged\nok.yaml:1:1: error [forged] z.yaml"
    (corpus / "actors" / forged).write_text("id: act-x\n", encoding="utf-8")

    result = run_toolkit_process("validate", "corpus", "--format", report_format, cwd=corpus.parent)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert not [line for line in lines if line.startswith(("::error file=ok.yaml", "ok.yaml"))]
    assert any('"corpus/actors/act-x.yaml\\n::error' in line for line in lines)


# --- Nothing in the corpus is silently skipped --------------------------------------------------


def test_a_kind_folder_that_is_a_symlink_is_an_error_and_the_export_is_refused(corpus: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(corpus / "events", elsewhere)
    (corpus / "events").symlink_to(elsewhere, target_is_directory=True)

    report = toolkit.validate([corpus])

    unread = [f for f in report.findings if f.rule == "file-unreadable"]
    assert [(f.file, f.line) for f in unread] == [(os.fspath(corpus / "events"), None)]
    assert "symlink" in unread[0].message
    with pytest.raises(ExportRefused):
        export(["csv"], tmp_path / "out", corpus, jobs=1)


@pytest.mark.parametrize(
    "error",
    [PermissionError(13, "Permission denied"), FileNotFoundError(2, "No such file")],
    ids=["no permission", "vanished"],
)
def test_a_kind_folder_that_cannot_be_listed_is_an_error_not_an_empty_folder(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, error: OSError
) -> None:
    # The tests may run as root, who lists any folder: the refusal is simulated.
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if os.fspath(path).endswith("events"):
            raise error
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    report = toolkit.validate([corpus])

    assert [(Path(f.file).name, f.rule) for f in report.findings if f.rule == "file-unreadable"] == [
        ("events", "file-unreadable")
    ]
    assert report.failed()


def test_a_folder_problem_is_reported_also_when_one_file_of_the_corpus_is_validated(
    corpus: Path, tmp_path: Path
) -> None:
    shutil.move(corpus / "events", tmp_path / "elsewhere")
    (corpus / "events").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    report = toolkit.validate([corpus / "actors" / "act-turkey.yaml"])

    assert "file-unreadable" in {f.rule for f in report.findings}


def test_a_tree_deeper_than_the_recursion_limit_is_walked(corpus: Path) -> None:
    folders = [corpus / "events"]
    for _level in range(sys.getrecursionlimit() + 100):  # os.makedirs itself recurses
        folders.append(folders[-1] / "d")
        folders[-1].mkdir()
    deepest = folders[-1] / "evt-deep.yaml"
    deepest.write_text("id: evt-deep\n", encoding="utf-8")
    try:
        report = toolkit.validate([corpus])
    finally:
        # shutil.rmtree recurses too: pytest could not remove the tree later.
        deepest.unlink()
        for folder in reversed(folders[1:]):
            folder.rmdir()

    assert [(f.rule, Path(f.file).name) for f in report.findings] == [("file-kind-unknown", "evt-deep.yaml")]


def test_a_record_whose_suffix_differs_only_in_case_is_read_not_skipped(corpus: Path) -> None:
    write_actor(corpus, ACTOR.replace("type: state", "type: statee"), name="act-turkey.YAML")  # a typo in it
    (corpus / "actors" / "act-turkey.yaml").unlink()

    report = toolkit.validate([corpus])

    assert [(Path(f.file).name, f.rule) for f in report.findings] == [("act-turkey.YAML", "schema-vocabulary")]


# --- One guarded way to open a file -------------------------------------------------------------


def test_a_link_swapped_out_of_the_corpus_between_the_check_and_the_open_is_not_read(
    corpus: Path, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = corpus / "actors" / "act-link.yaml"
    link.symlink_to(corpus / "actors" / "act-turkey.yaml")
    real_open = os.open

    def open_after_a_swap(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(path) == os.fspath(link) and not flags & os.O_NOFOLLOW:
            link.unlink()
            link.symlink_to(secret_file)  # the race: after the check, before the open
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_after_a_swap)

    with pytest.raises(OutsideCorpus):
        read_capped(link, 1 << 20, within=corpus)


def test_a_position_is_not_read_through_a_link_out_of_the_corpus(corpus: Path, secret_file: Path) -> None:
    link = corpus / "actors" / "act-link.yaml"
    link.symlink_to(secret_file)

    assert locate(link, ("name",)) == (None, None)


def test_a_position_follows_an_edit_of_the_file_between_two_calls(corpus: Path) -> None:
    path = corpus / "actors" / "act-turkey.yaml"
    path.write_text(ACTOR, encoding="utf-8")
    assert locate(path, ("name",)) == (3, 7)

    path.write_text("# a comment added above\n" + ACTOR, encoding="utf-8")

    assert locate(path, ("name",)) == (4, 7)


def test_the_records_beside_an_edited_text_are_read_within_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = annotations_repo(tmp_path / "repo")
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"id: src-secret\nname: {SECRET}\ntext: src-lapid-to-visit-turkey.txt\n", encoding="utf-8")
    sources = repo / "annotations" / "sources"
    (sources / "src-link.yaml").symlink_to(secret)
    commit_all(repo, "A link out, on main: not a change of the branch (a link the branch adds is checked itself)")
    git(repo, "checkout", "--quiet", "-b", "edits")
    text = sources / "src-lapid-to-visit-turkey.txt"
    text.write_text(text.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(repo)

    changed = changed_annotation_files("main")

    assert [path.name for path in changed] == ["src-lapid-to-visit-turkey.yaml"]


def test_a_yaml_file_found_in_a_folder_outside_any_corpus_is_not_read_through_a_link_out_of_it(
    tmp_path: Path, secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "evt-draft.yaml").symlink_to(secret_file)
    monkeypatch.chdir(tmp_path)
    read = []
    real_read_capped = loading.read_capped

    def spy(path, cap, *, within=None):  # type: ignore[no-untyped-def]
        content = real_read_capped(path, cap, within=within)
        read.append(content)
        return content

    monkeypatch.setattr(loading, "read_capped", spy)

    report = toolkit.validate(["drafts"])

    assert [f.rule for f in report.findings] == ["file-unreadable"]
    assert read == []
