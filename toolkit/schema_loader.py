"""Schema loading: the JSON Schemas of each kind, resolved offline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from toolkit.kinds import KINDS


def default_schema_dir() -> Path:
    """The schemas shipped with the package, or the repository's when run from a checkout."""
    packaged = Path(__file__).parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "schemas"


@dataclass(frozen=True, eq=False)
class SchemaSet:
    """Every schema of one folder, a registry resolving their ``$id``s, and a validator per kind."""

    folder: Path
    schemas: dict[str, dict[str, Any]]  # by file name
    registry: Registry
    validators: dict[str, Draft202012Validator]  # by kind name


def _retrieve_nothing(uri: str) -> Resource:
    # Every $ref must resolve within the folder: never fetch a schema over a network.
    raise LookupError(f"the schema {uri} is not among the local schemas")


@lru_cache(maxsize=8)
def load_schemas(folder: Path | None = None) -> SchemaSet:
    """Read every ``*.schema.json`` of a folder and build a validator per kind."""
    folder = (folder or default_schema_dir()).absolute()
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.schema.json")):
        schemas[path.name] = json.loads(path.read_text(encoding="utf-8"))
    registry: Registry = Registry(retrieve=_retrieve_nothing).with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in schemas.values()
    )
    validators = {
        kind.name: Draft202012Validator(
            schemas[kind.schema_file],
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        for kind in KINDS
    }
    return SchemaSet(folder, schemas, registry, validators)


def vocabulary(name: str, folder: Path | None = None) -> dict[str, str]:
    """The values of a controlled vocabulary in ``defs.schema.json``, with their descriptions."""
    definition = load_schemas(folder).schemas["defs.schema.json"]["$defs"][name]
    return {entry["const"]: entry.get("description", "") for entry in definition["oneOf"]}
