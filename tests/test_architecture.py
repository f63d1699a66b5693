"""The structure the code promises: what each layer imports, and where each kind of thing is registered.

See docs/architecture.md for the map these tests hold the code to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Modules of the pipeline (and the heavy libraries it uses) that listing commands and
# formats must not load: `toolkit --help` and a pre-commit run start on the model alone.
PIPELINE = (
    "toolkit.loading",
    "toolkit.validation",
    "toolkit.corpus_index",
    "toolkit.exporting",
    "toolkit.positions",
    "toolkit.schema_loader",
    "toolkit.checks",
    "toolkit.exporters.",
    "yaml",
    "jsonschema",
    "jsonschema_rs",
    "rapidfuzz",
)


def _modules_after(code: str) -> list[str]:
    """The modules loaded in a fresh interpreter after running ``code``."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def _pipeline_in(modules: list[str]) -> list[str]:
    # A package named without a dot counts with its submodules; "toolkit.exporters." only
    # its submodules (the package itself is the light registry of formats).
    return [
        name
        for name in modules
        if name in PIPELINE
        or name.startswith(tuple(prefix if prefix.endswith(".") else prefix + "." for prefix in PIPELINE))
    ]


def test_toolkit_help_loads_no_module_of_the_pipeline() -> None:
    code = (
        "import sys\nfrom toolkit.cli import _run\nsys.argv = ['toolkit', '--help']\n"
        "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()): _run()"
    )
    assert _pipeline_in(_modules_after(code)) == []


def test_the_help_of_each_command_loads_no_module_of_the_pipeline() -> None:
    for command in ("validate", "export", "schema", "new"):
        code = (
            "import sys\nfrom toolkit.cli import _run\n"
            f"sys.argv = ['toolkit', '{command}', '--help']\n"
            "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()): _run()"
        )
        assert _pipeline_in(_modules_after(code)) == [], command


def test_importing_the_package_loads_nothing_until_a_name_is_used() -> None:
    assert [name for name in _modules_after("import toolkit") if name.startswith("toolkit.")] == []


def test_reporters_render_a_report_without_the_pipeline() -> None:
    code = (
        "from toolkit.model import Report\nfrom toolkit.reporters import REPORTER_BY_NAME\n"
        "[REPORTER_BY_NAME[name]().render(Report((), 0, 0)) for name in REPORTER_BY_NAME]"
    )
    assert _pipeline_in(_modules_after(code)) == []


def test_the_model_imports_nothing_of_the_toolkit_or_its_libraries() -> None:
    loaded = _modules_after("import toolkit.model")
    assert [name for name in loaded if name.startswith("toolkit.")] == ["toolkit.model"]
    assert _pipeline_in(loaded) == []


def test_each_export_format_is_one_registry_entry_naming_its_module_and_cost() -> None:
    from toolkit.exporters import FORMATS

    for name, export_format in FORMATS.items():
        assert export_format.name == name
        assert export_format.cost > 0
        assert export_format.parts(), name


@pytest.mark.parametrize("rule", ["id-duplicate", "unreferenced-actor"])
def test_a_located_finding_takes_its_severity_from_the_rules_table(tmp_path: Path, rule: str) -> None:
    from toolkit.kinds import KIND_BY_NAME
    from toolkit.model import Record
    from toolkit.positions import finding_at
    from toolkit.rules import RULES

    (tmp_path / "actors").mkdir()
    path = tmp_path / "actors" / "act-x.yaml"
    path.write_text("id: act-x\n", encoding="utf-8")
    record = Record(KIND_BY_NAME["actor"], {"id": "act-x"}, "actors/act-x.yaml", path)
    found = finding_at(record, rule, ("id",), "a message")
    assert (found.severity, found.line, found.column, found.path) == (RULES[rule].severity, 1, 5, "$.id")


def _register(monkeypatch: pytest.MonkeyPatch, kind: object) -> None:
    """Add ``kind`` to the kinds registry for this test only, as one entry in toolkit/kinds.py would."""
    import toolkit.kinds as kinds

    monkeypatch.setattr(kinds, "KINDS", (*kinds.KINDS, kind))
    monkeypatch.setitem(kinds.KIND_BY_NAME, kind.name, kind)  # type: ignore[attr-defined]
    monkeypatch.setitem(kinds.KIND_BY_FOLDER, kind.folder, kind)  # type: ignore[attr-defined]


def test_every_exporter_has_a_treatment_for_every_registered_kind() -> None:
    from toolkit.exporters import FORMATS, untreated_kinds

    assert untreated_kinds(list(FORMATS)) == []


def test_a_kind_registered_without_treatments_fails_the_export_at_once_naming_each_exporter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolkit.errors import ToolkitError
    from toolkit.exporting import export
    from toolkit.model import Kind

    _register(monkeypatch, Kind("meeting", "meetings", "meeting.schema.json", "mtg-"))
    corpus = tmp_path / "annotations"
    (corpus / "meetings").mkdir(parents=True)
    with pytest.raises(ToolkitError) as refused:
        export(["all"], tmp_path / "exports", corpus)
    message = str(refused.value)
    for name in ("csv", "jsonld", "stix", "sqlite"):
        assert f"the {name} exporter" in message and "'meeting'" in message
    assert not (tmp_path / "exports").exists()  # refused before anything was read or written


def test_a_kind_lacking_one_exporters_treatment_is_refused_naming_that_exporter_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from toolkit.exporters import FORMATS, jsonld, stix, untreated_kinds
    from toolkit.model import Kind

    # JSON-LD and STIX are taught to write meetings as they write events; CSV is not, and
    # so neither is SQLite, whose tables are the CSV export's Data Package.
    meeting = Kind(
        "meeting",
        "meetings",
        "meeting.schema.json",
        "mtg-",
        csv_table="meetings",
        jsonld_classes=("Event", "Entity"),
        stix_type="event",
    )
    monkeypatch.setitem(jsonld.RECORD_FIELDS, "meeting", jsonld.RECORD_FIELDS["event"])
    monkeypatch.setitem(stix.PLANNERS, "meeting", stix.PLANNERS["event"])
    _register(monkeypatch, meeting)
    assert untreated_kinds(list(FORMATS)) == [
        "the csv exporter (toolkit.exporters.csv_tables) has no treatment for the kind 'meeting'",
        "the sqlite exporter (toolkit.exporters.sqlite_db) has no treatment for the kind 'meeting'",
    ]


def test_every_module_the_architecture_map_names_exists() -> None:
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"toolkit/[\w/]+(?:\.py|/)", text))
    assert len(named) > 30  # the map names the modules, not a few of them
    missing = sorted(name for name in named if not (ROOT / name).exists())
    assert missing == []


def test_every_module_of_the_toolkit_is_on_the_architecture_map() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "toolkit").rglob("*.py"))
        if path.name not in ("__init__.py", "__main__.py")
    ]
    assert [module for module in modules if module not in text] == []


def test_only_the_schema_layer_indexes_the_shared_definitions_or_follows_refs() -> None:
    import re

    # Reading $defs or following $ref by hand anywhere else is how three ways of
    # resolving a $ref grew; everything goes through SchemaSet (toolkit/schema_loader.py).
    by_hand = re.compile(r"""\[\s*["']\$defs["']\s*\]|\.get\(\s*["']\$ref["']|\[\s*["']\$ref["']\s*\]|\.lookup\(""")
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "toolkit").rglob("*.py"))
        if path.name != "schema_loader.py" and by_hand.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_schema_layer_resolves_a_ref_chain_with_the_referring_keywords_winning() -> None:
    from toolkit.schema_loader import load_schemas

    schemas = load_schemas()
    node = {"$ref": "defs.schema.json#/$defs/actor_id", "description": "The actor who speaks."}
    resolved, first = schemas.resolve(node)
    assert first == "actor_id"
    assert resolved["description"] == "The actor who speaks."
    assert resolved["pattern"] == schemas.definition("actor_id")["pattern"]
    assert [entry["const"] for entry in schemas.vocabulary("event_type")]
