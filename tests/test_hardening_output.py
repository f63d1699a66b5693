"""What the toolkit writes goes only where it should, over nothing it did not write, and
an output stream that cannot be written is an I/O error, not a bug.

Links, pipes and set-aside folders are planted the way a pull request (or a user)
can plant them; the streams are broken the way a shell breaks them.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.exporters import FORMATS as REGISTERED_FORMATS
from toolkit.exporting import LOCK_NAME, MARKER_NAME, MARKER_TEXT
from toolkit.kinds import KINDS

HOSTILE = Path(__file__).resolve().parent / "hostile"
SMALL = HOSTILE / "corpus"
FORMATS = tuple(sorted(REGISTERED_FORMATS))  # every format an export writes by default
pytestmark = pytest.mark.timeout(120)


def toolkit(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, **streams: object
) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in a child process, as a shell would."""
    options: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **streams}
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        text=True,
        timeout=100,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        **options,
    )  # type: ignore[call-overload]


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


def export(out: Path, *more: str, corpus: Path = SMALL, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return toolkit("export", "--corpus", str(corpus), "--out", str(out), *more, cwd=cwd)


# --- Links and special files where the export writes ------------------------------


def test_a_lock_file_committed_as_a_link_is_refused_and_its_target_keeps_its_bytes(tmp_path: Path) -> None:
    precious = tmp_path / "thesis.tex"
    precious.write_text("a year of work\n", encoding="utf-8")
    out = tmp_path / "exports"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(precious)

    result = export(out)

    assert result.returncode == 2
    assert "symbolic link" in one_error_line(result.stderr)
    assert precious.read_text(encoding="utf-8") == "a year of work\n"
    assert sorted(path.name for path in out.iterdir()) == [LOCK_NAME]  # nothing written


def test_a_named_pipe_as_the_lock_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    os.mkfifo(out / LOCK_NAME)

    result = export(out)

    assert result.returncode == 2
    assert "named pipe" in one_error_line(result.stderr)


def test_an_output_folder_that_is_a_link_is_refused_naming_where_it_leads(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "exports").symlink_to(elsewhere)

    result = export(Path("exports"), cwd=tmp_path / "repo")

    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "exports: is a symbolic link" in line and str(elsewhere) in line
    assert list(elsewhere.iterdir()) == []


def test_a_link_on_the_way_to_the_output_folder_inside_the_repository_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "build").symlink_to(elsewhere)

    result = export(Path("build/exports"), cwd=tmp_path / "repo")

    assert result.returncode == 2 and "symbolic link" in one_error_line(result.stderr)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("prefix", [".tmp-", ".old-"])
def test_a_folder_of_the_users_named_like_a_leftover_is_neither_removed_nor_moved(tmp_path: Path, prefix: str) -> None:
    out = tmp_path / "exports"
    (out / f"{prefix}stix-backup").mkdir(parents=True)
    (out / f"{prefix}stix-backup" / "bundle-of-2021.json").write_text("{}\n", encoding="utf-8")

    result = export(out, "--format", "csv")

    assert result.returncode == 0, result.stderr
    assert (out / f"{prefix}stix-backup" / "bundle-of-2021.json").read_text(encoding="utf-8") == "{}\n"
    assert not (out / "stix").exists()


def test_a_marker_that_is_a_link_does_not_make_a_folder_the_toolkits(tmp_path: Path) -> None:
    real_marker = tmp_path / "marker"
    real_marker.write_text(MARKER_TEXT, encoding="utf-8")
    out = tmp_path / "exports"
    (out / "csv").mkdir(parents=True)
    (out / "csv" / "my-analysis.xlsx").write_bytes(b"work of a week")
    (out / "csv" / MARKER_NAME).symlink_to(real_marker)

    result = export(out)

    assert result.returncode == 2 and "did not write" in one_error_line(result.stderr)
    assert (out / "csv" / "my-analysis.xlsx").read_bytes() == b"work of a week"


def test_an_output_folder_inside_the_corpus_is_refused(tmp_path: Path) -> None:
    result = export(SMALL / "exports")

    assert result.returncode == 2 and "inside the corpus" in one_error_line(result.stderr)
    assert not (SMALL / "exports").exists()


def _snapshot(out: Path) -> dict[str, bytes]:
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.glob("*/*"))
        if path.is_file() and not path.relative_to(out).parts[0].startswith(".")
    }


def test_a_format_that_cannot_be_moved_into_place_leaves_every_format_of_the_previous_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.errors import ToolkitError
    from toolkit.exporting import export as run_export

    out = tmp_path / "exports"
    run_export(["all"], out, SMALL, jobs=1)
    before = _snapshot(out)
    real_rename = os.rename

    def refused_for_stix(source: object, target: object, *args: object, **kwargs: object) -> None:
        # As a permission error on the last of the three swaps, after csv and jsonld are in place.
        if os.fspath(target).endswith("stix") and ".tmp-" in os.fspath(source):  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(target))  # type: ignore[arg-type]
        real_rename(source, target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", refused_for_stix)
    with pytest.raises(ToolkitError, match="cannot write the export: Permission denied"):
        run_export(["all"], out, HOSTILE / "formula-corpus", jobs=1)
    monkeypatch.undo()

    assert _snapshot(out) == before  # all three formats of the previous export, not two new and one old
    assert [path.name for path in out.iterdir() if path.name.startswith((".tmp-", ".old-"))] == []


# --- Permissions ------------------------------------------------------------------


def test_export_folders_and_files_get_the_permissions_of_the_umask_like_mkdir(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    old = os.umask(0o022)
    try:
        result = export(out)
    finally:
        os.umask(old)

    assert result.returncode == 0, result.stderr
    for name in FORMATS:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o755, name
        for path in (out / name).iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


# --- toolkit schema and toolkit new --------------------------------------------------


def test_schema_never_writes_through_a_dangling_link(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    out.mkdir()
    target = tmp_path / "outside" / "planted.json"
    target.parent.mkdir()
    (out / KINDS[0].schema_file).symlink_to(target)

    result = toolkit("schema", "--out", str(out))

    assert result.returncode == 2 and "symbolic link" in one_error_line(result.stderr)
    assert not target.exists()
    assert sorted(path.name for path in out.iterdir()) == [KINDS[0].schema_file]  # none of the others either


def test_schema_refuses_a_named_pipe_where_a_schema_goes_without_waiting(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    out.mkdir()
    os.mkfifo(out / KINDS[-1].schema_file)

    result = toolkit("schema", "--out", str(out))

    assert result.returncode == 2 and "named pipe" in one_error_line(result.stderr)


def test_new_never_writes_into_a_kind_folder_that_is_a_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "actors").symlink_to(elsewhere)

    result = toolkit("new", "actor", "act-someone", cwd=tmp_path)

    assert result.returncode == 2 and "symbolic link" in one_error_line(result.stderr)
    assert list(elsewhere.iterdir()) == []


# --- Standard output and standard error -----------------------------------------------


def _assert_io_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert one_error_line(result.stderr).startswith("Error: cannot write the output: ")
    assert "Exception ignored" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command", [["validate", str(SMALL)], ["validate", str(SMALL), "--format", "json"], ["--help"]]
)
def test_a_full_standard_output_is_an_io_error_not_a_bug(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        _assert_io_error(toolkit(*command, stdout=full))


def test_a_closed_standard_output_is_an_io_error_not_a_bug() -> None:
    # Closing descriptor 1 in the child is what the shell's `>&-` does.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, runpy, sys; os.close(1); sys.argv = ['toolkit', "
            f"'validate', {str(SMALL)!r}]; runpy.run_module('toolkit', run_name='__main__')",
        ],
        stderr=subprocess.PIPE,
        text=True,
        timeout=100,
        check=False,
    )
    _assert_io_error(result)


def test_a_pipe_whose_reader_is_gone_is_an_io_error_not_findings() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `| head -1` leaves it once head has what it wants
    try:
        result = toolkit("validate", str(SMALL), stdout=write_end)
    finally:
        os.close(write_end)
    _assert_io_error(result)


def test_an_export_whose_report_cannot_be_printed_is_whole_on_disk(tmp_path: Path) -> None:
    out = tmp_path / "exports"
    with open("/dev/full", "w") as full:
        result = toolkit("export", "--corpus", str(SMALL), "--out", str(out), stdout=full)

    _assert_io_error(result)
    assert sorted(path.name for path in out.iterdir() if not path.name.startswith(".")) == list(FORMATS)
    assert all((out / name / MARKER_NAME).is_file() for name in FORMATS)


@pytest.fixture(scope="module")
def corpus_with_hebrew(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("hebrew") / "corpus"
    (corpus / "actors").mkdir(parents=True)
    (corpus / "actors" / "act-x.yaml").write_text("id: act-x\ntype: person\nname: ישראל\nשם: x\n", encoding="utf-8")
    return corpus


@pytest.mark.parametrize(
    ("environment", "encoding"),
    [
        ({"PYTHONIOENCODING": "ascii"}, "ascii"),
        ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
        ({"LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}, "ascii"),  # the C locale, uncoerced
    ],
    ids=["ascii", "latin-1", "C-locale"],
)
@pytest.mark.parametrize("report_format", ["text", "json"])
def test_text_the_output_encoding_cannot_take_is_escaped_in_that_encoding_not_a_crash(
    corpus_with_hebrew: Path, environment: dict[str, str], encoding: str, report_format: str
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONIOENCODING", "LC_ALL", "LANG", "PYTHONUTF8", "PYTHONCOERCECLOCALE")
    }
    result = subprocess.run(
        [sys.executable, "-m", "toolkit", "validate", str(corpus_with_hebrew), "--format", report_format],
        capture_output=True,
        timeout=100,
        check=False,
        env={**env, **environment},
    )

    assert result.returncode == 1, result.stderr
    text = result.stdout.decode(encoding)  # only what the stream's encoding can hold was written
    assert "\\u05e9\\u05dd" in text
    if report_format == "json":
        messages = [finding["message"] for finding in json.loads(text)["findings"]]
        assert "unknown field 'שם'" in messages  # the escapes read back as the same text


def test_a_file_name_that_is_not_utf8_is_reported_not_a_crash(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "actors").mkdir(parents=True)
    (corpus / "actors").joinpath(os.fsdecode(b"act-\xff.yaml")).write_text("id: act-x\n", encoding="utf-8")

    for report_format in ("text", "json"):
        result = subprocess.run(
            [sys.executable, "-m", "toolkit", "validate", str(corpus), "--format", report_format],
            capture_output=True,
            timeout=100,
            check=False,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
        assert result.returncode == 1, result.stderr
        # Shown escaped as git shows it (toolkit.loading.display_path), in valid UTF-8.
        shown = result.stdout.decode("utf-8")
        if report_format == "json":
            shown = json.loads(result.stdout)["findings"][0]["file"]
        assert "act-\\377.yaml" in shown
