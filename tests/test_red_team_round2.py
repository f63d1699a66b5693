"""Red team, round 2: the promises of "What the toolkit guarantees on bad input" after the fixes of round 1.

Tests of attacks that held pass; tests of misbehaviours found (N1-N8 in
/work/redteam2/findings.md) fail today and are meant to be kept as regression
tests once fixed. Copy into ``tests/`` to run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from red_team_support import ADVISORY, SECRET, run_command, run_process
from scratch_git import annotations_repo, commit_all, git

SOURCE = Path("sources") / "src-lapid-to-visit-turkey.yaml"
EVENT = Path("events") / "evt-lapid-visits-turkey.yaml"
ACTOR = Path("actors") / "act-turkey.yaml"
JOURNAL_HEADER = b"Kept by 'toolkit export': the folders it made here and what it wrote; do not edit.\n"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- Nothing outside the corpus is read ------------------------------------------------


@pytest.mark.timeout(60)
def test_a_source_text_reached_through_a_folder_link_out_of_the_corpus_is_not_read(corpus: Path) -> None:
    # N1. O_NOFOLLOW guards only the last component: `text: sub/x.txt` with
    # `sources/sub -> outside` opens the outside file; its checksum is printed and the
    # closest-passage hint of a near-miss quote prints its content.
    outside = corpus.parent.parent / "outside"
    outside.mkdir()
    (outside / "shadow.txt").write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n", encoding="utf-8")
    (corpus / "sources" / "sub").symlink_to(outside, target_is_directory=True)
    _replace(corpus / SOURCE, "text: src-lapid-to-visit-turkey.txt", "text: sub/shadow.txt")
    _replace(
        corpus / EVENT,
        "quote: Foreign Minister Yair Lapid will visit Turkey on Thursday",
        'quote: "root:x:0:0:NOT-FOR-THE-REPORT"',
    )
    digest = hashlib.sha256((outside / "shadow.txt").read_bytes()).hexdigest()

    result = run_command("validate", cwd=corpus.parent)

    assert result.returncode == 1, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert digest not in result.stdout, "the checksum of a file outside the corpus is reported"


@pytest.mark.timeout(60)
def test_a_corpus_folder_committed_as_a_link_to_a_tree_with_kind_folders_further_down_is_not_read(
    tmp_path: Path,
) -> None:
    # N2. `annotations -> ../outside` is refused when the target holds kind folders, but
    # when they are one level down (outside/x/events/) the downward search follows the
    # link and the corpus found there is read and quoted.
    outside = tmp_path / "outside" / "x" / "events"
    outside.mkdir(parents=True)
    (outside / "evt-x.yaml").write_text(f"id: evt-x\ntype: {SECRET}\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    (repo / "annotations").symlink_to("../outside", target_is_directory=True)

    result = run_command("validate", "--format", "github", cwd=repo)

    assert SECRET not in result.stdout + result.stderr
    assert result.returncode in (1, 2), result.stdout + result.stderr


@pytest.mark.timeout(60)
def test_a_link_to_a_folder_below_a_kind_folder_is_not_followed_for_a_file_named_alone(
    corpus: Path, secret_yaml: Path
) -> None:
    # N9. Outside a git repository a file below a kind folder is "loose" and read within
    # its own folder, named lexically: events/sub -> outside is followed, keys are quoted
    # (in a git repository, and in the whole-corpus run, the link is refused).
    (corpus / "events" / "sub").symlink_to(secret_yaml.parent, target_is_directory=True)

    result = run_command("validate", f"annotations/events/sub/{secret_yaml.name}", cwd=corpus.parent)

    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr


# --- One verdict on every path ---------------------------------------------------------


@pytest.mark.timeout(60)
def test_a_valid_corpus_at_the_top_of_its_repository_passes_beside_its_configuration_files(tmp_path: Path) -> None:
    # N3. Kind folders at the top of a repository (the hooks' `(^|/)events/` allows it):
    # the corpus walk takes .pre-commit-config.yaml and .github/workflows/*.yml for
    # misplaced records, so a valid corpus fails, while a file named alone passes.
    repo = tmp_path / "top"
    shutil.copytree(Path(__file__).parent / "corpora" / "clean", repo)
    git(repo, "init", "--quiet", "--initial-branch=main")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    commit_all(repo, "corpus at the top")

    whole = run_command("validate", ".", cwd=repo)
    one = run_command("validate", ACTOR.as_posix(), cwd=repo)

    assert one.returncode == 0, one.stdout
    assert whole.returncode == 0, whole.stdout


@pytest.mark.timeout(60)
def test_changed_since_fails_a_kind_folder_replaced_by_a_link_to_a_copy(tmp_path: Path) -> None:
    # N7. The branch moves annotations/events to decoy/events and commits
    # annotations/events -> ../decoy/events. The deleted files still "exist" through the
    # link, the added ones are outside the scope: "no annotation files changed", exit 0,
    # while the whole corpus fails (a kind folder that is a link).
    repo = annotations_repo(tmp_path / "repo")
    git(repo, "checkout", "--quiet", "-b", "feat")
    (repo / "decoy").mkdir()
    git(repo, "mv", "annotations/events", "decoy/events")
    (repo / "annotations" / "events").symlink_to("../decoy/events", target_is_directory=True)
    commit_all(repo, "events through a link")

    whole = run_command("validate", cwd=repo)
    changed = run_command("validate", "--changed-since", "main", cwd=repo)

    assert whole.returncode == 1, whole.stdout
    assert changed.returncode == 1, changed.stdout


@pytest.mark.parametrize("git_repository", [False, True])
@pytest.mark.timeout(60)
def test_a_file_misplaced_below_a_kind_folder_fails_on_every_path(corpus: Path, git_repository: bool) -> None:
    # Held.
    (corpus / "events" / "sub").mkdir()
    shutil.copy(corpus / ACTOR, corpus / "events" / "sub" / "act-x.yaml")
    if git_repository:
        git(corpus.parent, "init", "--quiet")
        commit_all(corpus.parent, "misplaced")

    for args in ([], ["annotations/events/sub/act-x.yaml"], ["annotations/events/sub"]):
        result = run_command("validate", *args, cwd=corpus.parent)
        assert result.returncode == 1, (args, result.stdout)
        assert "file-kind-unknown" in result.stdout, (args, result.stdout)


@pytest.mark.parametrize(
    "spelling",
    [
        "annotations/advisories/./{name}",
        "annotations//advisories//{name}",
        "annotations/events/../advisories/{name}",
        "{cwd}/annotations/../annotations/advisories/{name}",
        "annotations/events/../advisories",
    ],
)
@pytest.mark.timeout(60)
def test_a_broken_file_fails_however_its_path_is_spelt(broken: Path, spelling: str) -> None:
    # Held.
    path = spelling.format(name=ADVISORY.name, cwd=broken.parent)

    result = run_command("validate", path, cwd=broken.parent)

    assert result.returncode == 1, result.stdout
    assert "schema-invalid" in result.stdout


@pytest.mark.timeout(60)
def test_a_corpus_beyond_the_search_depth_is_not_a_clean_pass(tmp_path: Path) -> None:
    # N8 (low). `validate .` finds corpora at most four folders down; one folder deeper
    # the run says "0 files, 0 records: 0 errors" and exits 0 on a broken corpus.
    deep = tmp_path / "w" / "a" / "b" / "c" / "d" / "annotations"
    shutil.copytree(Path(__file__).parent / "corpora" / "clean", deep)
    _replace(deep / ADVISORY, "value: 4", "value: 99")

    result = run_command("validate", ".", cwd=tmp_path / "w")

    assert result.returncode != 0, result.stdout


# --- YAML: no tags, no anchors ----------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "! name: Turkey",
        "name: ! Turkey",
        "name: !<!> Turkey",
        "&a name: Turkey",
        "? &a name\n: Turkey",
        "name: !!str\n  Turkey",
        "!!str name: Turkey",
        "name: !e!str Turkey",
    ],
)
@pytest.mark.timeout(60)
def test_tags_and_anchors_in_every_position_are_refused(corpus: Path, written: str) -> None:
    # Held.
    _replace(corpus / ACTOR, "name: Turkey", written)

    result = run_command("validate", f"annotations/{ACTOR.as_posix()}", cwd=corpus.parent)

    assert result.returncode == 1, result.stdout
    assert any(rule in result.stdout for rule in ("[yaml-tag]", "[yaml-alias]", "[yaml-syntax]")), result.stdout


# --- Writing: the journal, the marker, the schemas, new ----------------------------------


@pytest.mark.timeout(60)
def test_a_re_export_after_the_export_folder_was_copied_is_refused_saying_how_to_go_on(corpus: Path) -> None:
    # N4, kept by design: the journal knows the toolkit's files by size and mtime_ns, so
    # a copy (cp -r, a checkout, a cache restore: the same bytes, new times) counts as
    # changed and is never replaced; hashing every file instead would cost about 1.5 s
    # per GB of export (measured at 100,000 records). Nothing is lost, and the message
    # says how to go on.
    work = corpus.parent
    assert run_command("export", "--out", "exports", cwd=work).returncode == 0
    for path in (work / "exports").rglob("*"):
        if path.is_file():
            os.utime(path)  # what a checkout or a copy does: the same bytes, a new mtime

    result = run_command("export", "--out", "exports", cwd=work)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "a copy of an export" in result.stderr and "remove the folder" in result.stderr


@pytest.mark.timeout(60)
def test_a_deeply_nested_journal_is_not_an_internal_error(corpus: Path) -> None:
    # N5. json.loads raises RecursionError, which is not a ValueError: exit 3.
    out = corpus.parent / "exports"
    out.mkdir()
    (out / ".toolkit-export.journal").write_bytes(JOURNAL_HEADER + b"[" * 200_000 + b"]" * 200_000)

    result = run_command("export", "--out", "exports", cwd=corpus.parent)

    assert result.returncode in (0, 2), result.stderr
    assert "internal error" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "folder", "link", "user-file"])
@pytest.mark.timeout(60)
def test_a_journal_that_is_not_the_toolkits_is_refused_and_left_alone(corpus: Path, kind: str) -> None:
    # Held.
    out = corpus.parent / "exports"
    out.mkdir()
    journal = out / ".toolkit-export.journal"
    target = corpus.parent / "mine.txt"
    target.write_text("mine\n", encoding="utf-8")
    if kind == "fifo":
        os.mkfifo(journal)
    elif kind == "folder":
        journal.mkdir()
    elif kind == "link":
        journal.symlink_to(target)
    else:
        journal.write_text("my notes\n", encoding="utf-8")

    result = run_process("export", "--out", "exports", cwd=corpus.parent, timeout=30)

    assert result.returncode == 2, result.stdout + result.stderr
    assert target.read_text(encoding="utf-8") == "mine\n"
    if kind == "user-file":
        assert journal.read_text(encoding="utf-8") == "my notes\n"


@pytest.mark.timeout(60)
def test_an_edited_journal_cannot_point_the_clean_up_at_other_folders(corpus: Path) -> None:
    # Held.
    out = corpus.parent / "exports"
    out.mkdir()
    keep = corpus.parent / "keep"
    keep.mkdir()
    (keep / "x").write_text("x", encoding="utf-8")
    (out / ".tmp-csv-0000000g").mkdir()
    names = [str(keep), "../keep", ".tmp-csv-00000000/../../keep", ".tmp-csv-0000000g", ".old-csv-backup"]
    (out / ".toolkit-export.journal").write_bytes(JOURNAL_HEADER + json.dumps({"made": names}).encode())

    result = run_command("export", "--out", "exports", cwd=corpus.parent)

    assert result.returncode == 0, result.stderr
    assert (keep / "x").exists()
    assert (out / ".tmp-csv-0000000g").is_dir()


@pytest.mark.timeout(60)
def test_folders_of_the_user_named_like_run_folders_survive_an_export(corpus: Path) -> None:
    # Held (round 1's M11 and variants with eight hex digits).
    work = corpus.parent
    assert run_command("export", "--out", "exports", cwd=work).returncode == 0
    for name in (".old-stix-backup", ".tmp-csv-1234abcd", ".old-csv-20220623"):
        shutil.copytree(work / "exports" / "stix", work / "exports" / name)

    result = run_command("export", "--out", "exports", cwd=work)

    assert result.returncode == 0, result.stderr
    for name in (".old-stix-backup", ".tmp-csv-1234abcd", ".old-csv-20220623"):
        assert (work / "exports" / name / "bundle.json").is_file(), name


@pytest.mark.timeout(60)
def test_a_file_edited_or_added_in_an_export_stops_the_next_export(corpus: Path) -> None:
    # Held.
    work = corpus.parent
    assert run_command("export", "--out", "exports", cwd=work).returncode == 0
    with (work / "exports" / "csv" / "events.csv").open("a", encoding="utf-8") as stream:
        stream.write("mine\n")
    (work / "exports" / "stix" / "NOTES").write_text("notes", encoding="utf-8")

    for fmt in ("csv", "stix"):
        result = run_command("export", "--out", "exports", "--format", fmt, cwd=work)
        assert result.returncode == 2, result.stdout + result.stderr
    assert (work / "exports" / "csv" / "events.csv").read_text(encoding="utf-8").endswith("mine\n")
    assert (work / "exports" / "stix" / "NOTES").exists()


@pytest.mark.timeout(60)
def test_a_generated_schema_whose_checksum_no_longer_holds_is_not_overwritten(tmp_path: Path) -> None:
    # Held: an edit, or a CRLF checkout (a false refusal, but never a loss).
    assert run_command("schema", "--out", "sch", cwd=tmp_path).returncode == 0
    schema = tmp_path / "sch" / "actor.schema.json"
    edited = schema.read_bytes().replace(b"\n", b"\r\n")
    schema.write_bytes(edited)

    result = run_command("schema", "--out", "sch", cwd=tmp_path)

    assert result.returncode == 2, result.stdout + result.stderr
    assert schema.read_bytes() == edited


@pytest.mark.timeout(60)
def test_new_with_a_kind_folder_for_the_corpus_does_not_write_a_misplaced_record(corpus: Path) -> None:
    # N6. `--corpus annotations/actors` writes annotations/actors/actors/act-q.yaml, a file
    # the corpus then fails as file-kind-unknown; a kind folder's corpus is its parent.
    result = run_command("new", "actor", "act-q", "--corpus", "annotations/actors", cwd=corpus.parent)

    assert not (corpus / "actors" / "actors").exists(), result.stdout


@pytest.mark.parametrize("suffix", [".Yml", ".YAML", ".yML"])
@pytest.mark.timeout(60)
def test_new_refuses_an_id_whose_record_exists_with_a_suffix_in_another_case(corpus: Path, suffix: str) -> None:
    # Held (round 1's M13).
    (corpus / ACTOR).rename((corpus / ACTOR).with_suffix(suffix))

    result = run_command("new", "actor", "act-turkey", cwd=corpus.parent)

    assert result.returncode == 2, result.stdout
    assert not (corpus / ACTOR).exists()


@pytest.mark.parametrize("value", ["", " ", "\t"])
@pytest.mark.timeout(60)
def test_new_refuses_a_blank_corpus(corpus: Path, value: str) -> None:
    # Held.
    result = run_command("new", "actor", "act-q", "--corpus", value, cwd=corpus.parent)

    assert result.returncode == 2, result.stdout
    assert not (corpus.parent / "actors").exists()
