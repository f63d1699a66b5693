"""The GitHub workflow: valid for GitHub's schema, and its shell steps behave as the comments say."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from check_jsonschema import main as check_jsonschema_main
from click.testing import CliRunner

from scratch_git import CLEAN_CORPUS
from toolkit.yaml_strict import parse_yaml

# Runs the workflow's steps as child processes: out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "validate-annotations.yml"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    # The toolkit's YAML 1.2 reader: PyYAML's would read the key `on` as true.
    parsed = parse_yaml(WORKFLOW.read_text(encoding="utf-8"), str(WORKFLOW))
    assert parsed.findings == [] and parsed.data is not None
    return parsed.data


def step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in workflow["jobs"]["validate"]["steps"] if s.get("name") == name)


def run_step(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a step's script as GitHub's runner does (bash -e), with this environment's toolkit on PATH."""
    environ = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_workflow_is_valid_for_githubs_workflow_schema() -> None:
    # check-jsonschema's vendored copy of SchemaStore's schema: no network needed.
    result = CliRunner().invoke(check_jsonschema_main, ["--builtin-schema", "vendor.github-workflows", str(WORKFLOW)])

    assert result.exit_code == 0, result.output


def test_it_runs_on_pull_requests_that_touch_the_annotations_or_the_schemas(workflow: dict[str, Any]) -> None:
    assert list(workflow["on"]) == ["pull_request"]
    assert {"annotations/**", "schemas/**"} <= set(workflow["on"]["pull_request"]["paths"])


def test_it_installs_the_toolkit_and_validates_with_inline_annotations(workflow: dict[str, Any]) -> None:
    uses = [s.get("uses", "").split("@")[0] for s in workflow["jobs"]["validate"]["steps"]]

    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert step(workflow, "Install the toolkit")["run"] == "python -m pip install ."
    assert step(workflow, "Validate")["run"] == "toolkit validate --format github"


def test_the_sarif_is_written_and_uploaded_even_when_validation_failed(workflow: dict[str, Any]) -> None:
    assert step(workflow, "Write SARIF")["if"] == "always()"
    upload = step(workflow, "Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["if"].startswith("always()")
    assert upload["with"]["sarif_file"] == "toolkit.sarif"
    assert workflow["jobs"]["validate"]["permissions"]["security-events"] == "write"


@pytest.fixture
def broken_checkout(tmp_path: Path) -> Path:
    """A checkout whose corpus has one misspelt event type."""
    shutil.copytree(CLEAN_CORPUS, tmp_path / "annotations")
    event = tmp_path / "annotations/events/evt-lapid-visits-turkey.yaml"
    event.write_text(event.read_text(encoding="utf-8").replace("CONSULT/visit", "CONSULT/vist"), encoding="utf-8")
    return tmp_path


def test_the_validate_step_fails_the_job_and_annotates_the_line(workflow, broken_checkout: Path) -> None:
    result = run_step(step(workflow, "Validate")["run"], broken_checkout)

    assert result.returncode == 1
    assert (
        "::error file=annotations/events/evt-lapid-visits-turkey.yaml,line=3,col=7,title=schema-vocabulary::"
        in result.stdout
    )
    # Past GitHub's 10 annotations a step, the plain report in the log still has every finding.
    assert "annotations/events/evt-lapid-visits-turkey.yaml:3:7: error [schema-vocabulary]" in result.stdout


def test_the_sarif_step_writes_the_findings_and_succeeds_when_validation_fails(workflow, broken_checkout) -> None:
    result = run_step(step(workflow, "Write SARIF")["run"], broken_checkout)

    assert result.returncode == 0, result.stderr
    sarif = json.loads((broken_checkout / "toolkit.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["schema-vocabulary"]


def test_the_sarif_step_fails_when_the_run_itself_breaks(workflow, tmp_path: Path) -> None:
    result = run_step(step(workflow, "Write SARIF")["run"], tmp_path)  # no annotations/ folder: exit 2

    assert result.returncode != 0
    assert "Error: annotations: no such file or folder" in result.stderr
