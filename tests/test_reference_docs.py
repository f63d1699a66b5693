"""docs/reference.md: every field and every vocabulary value, generated from the schemas, kept current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.kinds import KINDS
from toolkit.reference_docs import REGENERATE, render, slug
from toolkit.schema_fields import choices, kind_fields
from toolkit.schema_loader import load_schemas, vocabulary


@pytest.fixture(scope="module")
def schemas(repo_root: Path):
    return load_schemas(repo_root / "schemas")


@pytest.fixture(scope="module")
def reference(repo_root: Path) -> str:
    return (repo_root / "docs" / "reference.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def test_docs_reference_is_generated_from_the_current_schemas(schemas, reference: str) -> None:
    assert reference == render(schemas), f"docs/reference.md is out of date with the schemas: run `{REGENERATE}`"


def test_the_reference_lists_every_field_of_every_kind(schemas, reference: str) -> None:
    def paths(fields, prefix=""):
        for field in fields:
            yield f"{prefix}{field.name}"
            yield from paths(field.fields, f"{prefix}{field.name}{'[]' if field.is_list else ''}.")

    for kind in KINDS:
        section = reference.split(f"\n## {kind.name.capitalize()}\n", 1)[1].split("\n## ", 1)[0]
        for path in paths(kind_fields(kind.name, schemas)):
            assert f"| `{path}` |" in section, f"{kind.name}.{path} is missing from its table"


def test_the_reference_gives_every_vocabulary_value_with_its_description(schemas, reference: str) -> None:
    defs = schemas.definitions
    vocabularies = [name for name in defs if choices(defs[name])]
    assert {"event_type", "participant_role", "event_status", "actor_type"} <= set(vocabularies)
    for name in vocabularies:
        for value, description in vocabulary(name, schemas.folder).items():
            assert f"| `{value}` | {' '.join(description.split())} |" in reference, f"{name}: {value}"


def test_the_scales_of_advisory_levels_are_listed_with_their_ranges(reference: str) -> None:
    assert re.search(r"\| `il-nsc-travel-warning` \| `value` 1 to 4 \| Travel warnings of Israel's", reference)


def test_every_link_of_the_reference_leads_to_one_of_its_headings(reference: str) -> None:
    anchors = {slug(line.lstrip("#")) for line in reference.splitlines() if line.startswith("#")}
    links = set(re.findall(r"\]\(#([^)]+)\)", reference))

    assert links and links <= anchors, links - anchors


def test_the_module_writes_the_file_it_is_asked_to(schemas, tmp_path: Path, repo_root: Path) -> None:
    from toolkit.reference_docs import main

    main([str(tmp_path / "docs" / "reference.md"), str(repo_root / "schemas")])

    assert (tmp_path / "docs" / "reference.md").read_text(encoding="utf-8") == render(schemas)
