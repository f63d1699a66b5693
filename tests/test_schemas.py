"""The schemas are valid draft 2020-12, resolve offline, and document every vocabulary value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from toolkit.kinds import KINDS
from toolkit.schema_loader import default_schema_dir, load_schemas

SCHEMA_FILES = sorted(default_schema_dir().glob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_schema_is_valid_against_the_draft_2020_12_metaschema(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_there_is_one_schema_per_kind_plus_shared_definitions() -> None:
    names = {path.name for path in SCHEMA_FILES}
    assert names == {kind.schema_file for kind in KINDS} | {"defs.schema.json"}


def test_every_ref_resolves_from_the_local_folder_without_a_network() -> None:
    schemas = load_schemas()
    for schema in schemas.schemas.values():
        resolver = schemas.registry.resolver(base_uri=schema["$id"])
        for ref in _refs(schema):
            resolver.lookup(ref)  # raises if a $ref would need a fetch


def test_records_are_strict_about_unknown_fields() -> None:
    schemas = load_schemas()
    for kind in KINDS:
        assert schemas.schemas[kind.schema_file]["additionalProperties"] is False


def test_every_vocabulary_value_has_a_description() -> None:
    defs = load_schemas().schemas["defs.schema.json"]["$defs"]
    vocabularies = {name: d for name, d in defs.items() if "oneOf" in d and all("const" in o for o in d["oneOf"])}
    assert {"event_type", "event_status", "participant_role", "date_precision"} <= set(vocabularies)
    for name, definition in vocabularies.items():
        for option in definition["oneOf"]:
            assert option.get("description", "").strip(), f"{name}: {option['const']} has no description"


def test_event_types_follow_plover_and_keep_cameo_codes() -> None:
    options = load_schemas().schemas["defs.schema.json"]["$defs"]["event_type"]["oneOf"]
    by_value = {o["const"]: o for o in options}
    assert by_value["CONSULT/visit"]["x-cameo"] == "042"
    assert by_value["CONSULT/phone"]["x-cameo"] == "041"
    assert by_value["COERCE/arrest"]["x-cameo"] == "173"
    assert by_value["ASSAULT/assassinate"]["x-cameo"] == "186"
    assert {"ACCUSE", "REJECT"} <= set(by_value)


def test_each_kind_has_one_documented_id_pattern() -> None:
    defs = load_schemas().schemas["defs.schema.json"]["$defs"]
    for kind in KINDS:
        definition = defs[f"{kind.name}_id"]
        assert definition["pattern"].startswith(f"^{kind.id_prefix}")
        assert definition["description"]


def test_the_israeli_nsc_scale_runs_from_1_to_4() -> None:
    level_schema = load_schemas().schemas["defs.schema.json"]["$defs"]["advisory_level"]
    level_validator = Draft202012Validator(level_schema, registry=load_schemas().registry)
    assert level_validator.is_valid({"scale": "il-nsc-travel-warning", "value": 4})
    assert not level_validator.is_valid({"scale": "il-nsc-travel-warning", "value": 5})
    assert not level_validator.is_valid({"scale": "il-nsc-travel-warning", "value": 0})


def _refs(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append(node["$ref"])
        for value in node.values():
            found += _refs(value)
    elif isinstance(node, list):
        for value in node:
            found += _refs(value)
    return found
