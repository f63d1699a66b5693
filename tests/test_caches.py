"""Caches are keyed by what they depend on: a file edited between two library calls in one process is read again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import toolkit
from toolkit.schema_loader import load_schemas

ROOT = Path(__file__).resolve().parent.parent
CLEAN = ROOT / "tests" / "corpora" / "clean"


def _copy_schemas(tmp_path: Path) -> Path:
    folder = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", folder)
    return folder


def test_a_schema_edited_between_two_validations_in_one_process_is_read_again(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    before = toolkit.validate([CLEAN], schema_dir=schemas)
    assert not [f for f in before.findings if f.rule == "schema-required"]

    actor = schemas / "actor.schema.json"
    schema = json.loads(actor.read_text(encoding="utf-8"))
    schema["required"] = [*schema["required"], "nickname"]
    schema["properties"]["nickname"] = {"type": "string"}
    actor.write_text(json.dumps(schema), encoding="utf-8")

    after = toolkit.validate([CLEAN], schema_dir=schemas)
    assert [f.message for f in after.findings if f.rule == "schema-required"]
    assert all("nickname" in f.message for f in after.findings if f.rule == "schema-required")


def test_a_schema_file_added_to_the_folder_is_seen_by_the_next_call(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    assert "extra.schema.json" not in load_schemas(schemas).schemas
    (schemas / "extra.schema.json").write_text('{"$id": "https://example.org/extra"}', encoding="utf-8")
    assert "extra.schema.json" in load_schemas(schemas).schemas


def test_schemas_unchanged_are_read_once(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    assert load_schemas(schemas) is load_schemas(schemas)
