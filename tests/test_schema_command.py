"""`toolkit schema`: self-contained draft-07 schemas that editors (yaml-language-server) can use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from check_jsonschema import main as check_jsonschema_main
from click.testing import CliRunner, Result
from jsonschema import Draft7Validator

from scratch_git import CLEAN_CORPUS
from toolkit.kinds import KINDS
from toolkit.loading import load_corpus
from toolkit.schema_loader import load_schemas


def check_jsonschema(*args: str) -> Result:
    """Run the real check-jsonschema CLI, in-process (its start-up costs seconds per run)."""
    return CliRunner().invoke(check_jsonschema_main, list(args))


@pytest.fixture(scope="module")
def editor_schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `toolkit schema --out` wrote, once for the module."""
    from typer.testing import CliRunner as TyperRunner

    from toolkit.cli import app

    out = tmp_path_factory.mktemp("editor") / "schemas"
    result = TyperRunner().invoke(app, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_one_schema_per_kind_is_written_under_the_name_the_modelines_use(editor_schemas: Path) -> None:
    assert sorted(path.name for path in editor_schemas.iterdir()) == sorted(kind.schema_file for kind in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_each_schema_is_self_contained_draft_07(kind, editor_schemas: Path) -> None:
    schema = json.loads((editor_schemas / kind.schema_file).read_text(encoding="utf-8"))

    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$id" not in schema and "$defs" not in json.dumps(schema)  # nothing to fetch, nothing draft-07 lacks
    for ref in refs(schema):
        assert ref.startswith("#/definitions/") and ref.removeprefix("#/definitions/") in schema["definitions"]


def test_check_jsonschema_accepts_the_schemas_as_draft_07(editor_schemas: Path) -> None:
    result = check_jsonschema("--check-metaschema", *sorted(map(str, editor_schemas.iterdir())))

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_a_yaml_schema_tool_passes_the_clean_corpus_with_them(kind, editor_schemas: Path) -> None:
    files = sorted(map(str, (CLEAN_CORPUS / kind.folder).glob("*.yaml")))

    result = check_jsonschema("--schemafile", str(editor_schemas / kind.schema_file), *files)

    assert result.exit_code == 0, result.output


def test_a_yaml_schema_tool_rejects_a_broken_record_with_them(editor_schemas: Path, tmp_path: Path) -> None:
    broken = tmp_path / "evt-lapid-visits-turkey.yaml"
    broken.write_text(
        (CLEAN_CORPUS / "events/evt-lapid-visits-turkey.yaml")
        .read_text(encoding="utf-8")
        .replace("role: target", "role: host"),
        encoding="utf-8",
    )

    result = check_jsonschema("--schemafile", str(editor_schemas / "event.schema.json"), str(broken))

    assert result.exit_code == 1
    assert "$.participants[1].role" in result.output


# Records the schemas of the toolkit reject, one per keyword family, to compare verdicts.
MUTATIONS = [
    ("events/evt-lapid-visits-turkey.yaml", "precision: day", "precision: week"),
    ("events/evt-lapid-visits-turkey.yaml", "precision: day", "precision: range"),  # if/then: end is required
    ("events/evt-lapid-visits-turkey.yaml", 'start: "2022-06-23"', 'start: "2022-06"'),  # day needs YYYY-MM-DD
    ("actors/act-yair-lapid.yaml", "countries: [IL]", "countries: [IL, IL]"),
    ("actors/act-yair-lapid.yaml", "status: current", "status: current\n    since: 2022"),
    ("locations/loc-istanbul.yaml", "country: TR", "country: XX"),
    ("advisories/adv-il-nsc-istanbul-level-4.yaml", "value: 4", "value: 5"),
    ("sources/src-lapid-to-visit-turkey.yaml", "  note: >-", "  expression: >-"),  # allOf: published.note
]


def test_the_editor_schemas_judge_records_as_the_toolkit_does(editor_schemas: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "annotations"
    shutil.copytree(CLEAN_CORPUS, corpus)
    for number, (file, old, new) in enumerate(MUTATIONS):
        text = (corpus / file).read_text(encoding="utf-8")
        assert old in text
        (corpus / file).with_name(f"{Path(file).stem}-{number}.yaml").write_text(text.replace(old, new), "utf-8")
    toolkit = load_schemas()
    records = load_corpus(corpus).records
    editor = {kind.name: Draft7Validator(json.loads((editor_schemas / kind.schema_file).read_text())) for kind in KINDS}

    verdicts = [
        (
            record.file,
            toolkit.validators[record.kind.name].is_valid(record.data),
            editor[record.kind.name].is_valid(record.data),
        )
        for record in records
    ]

    assert [v for v in verdicts if v[1] != v[2]] == []
    assert sum(1 for _file, valid, _ in verdicts if not valid) == len(MUTATIONS)


def test_writing_again_replaces_its_own_files_with_identical_bytes(editor_schemas: Path, run_toolkit) -> None:
    before = {path.name: path.read_bytes() for path in editor_schemas.iterdir()}

    run_toolkit(["schema", "--out", str(editor_schemas)])

    assert {path.name: path.read_bytes() for path in editor_schemas.iterdir()} == before


def test_the_source_schemas_are_never_overwritten(repo_root: Path, tmp_path: Path, run_toolkit) -> None:
    sources = tmp_path / "schemas"
    shutil.copytree(repo_root / "schemas", sources)
    before = {path.name: path.read_bytes() for path in sources.iterdir()}

    result = run_toolkit(["schema", "--out", str(sources)], expect=2)

    assert "was not written by toolkit schema; it is left alone" in result.stderr
    assert {path.name: path.read_bytes() for path in sources.iterdir()} == before


def test_the_editor_schemas_judge_the_real_corpus_as_the_toolkit_does(editor_schemas: Path, repo_root: Path) -> None:
    toolkit = load_schemas()
    editor = {kind.name: Draft7Validator(json.loads((editor_schemas / kind.schema_file).read_text())) for kind in KINDS}
    records = load_corpus(repo_root / "annotations").records
    assert len(records) > 50

    disagreements = [
        record.file
        for record in records
        if toolkit.validators[record.kind.name].is_valid(record.data) != editor[record.kind.name].is_valid(record.data)
    ]

    assert disagreements == []


def test_every_record_of_the_corpus_names_its_kinds_schema_in_its_first_line(repo_root: Path) -> None:
    corpus = repo_root / "annotations"
    for kind in KINDS:
        for path in sorted((corpus / kind.folder).glob("*.yaml")):
            first = path.read_text(encoding="utf-8").split("\n", 1)[0]
            assert first == f"# yaml-language-server: $schema=../../schemas/{kind.schema_file}", path
            assert (path.parent / first.split("=", 1)[1]).resolve() == repo_root / "schemas" / kind.schema_file
