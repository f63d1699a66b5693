"""What the command's process imports: it declines what costs seconds and serves nothing of ours.

python-jsonschema imports rfc3987_syntax, where it is installed, for its "iri" format
checkers, building Earley parsers as it does (seconds, on every run that explains a
schema error). The command declines it (``DECLINED_IMPORTS`` in toolkit/cli.py); that
is safe only while no schema names a format those checkers serve.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit.cli import DECLINED_IMPORTS, main

CLEAN = Path(__file__).resolve().parent / "corpora" / "clean"
ADVISORY = Path("advisories") / "adv-il-nsc-istanbul-level-4.yaml"
# The formats python-jsonschema checks with rfc3987_syntax.
RFC3987_SYNTAX_FORMATS = {"iri", "iri-reference"}

# Runs the command as `toolkit` does, then says on the last line of standard error
# which declined modules were imported after all.
_RUN_AND_REPORT = """
import atexit, json, sys
declined = {declined!r}
atexit.register(lambda: print(json.dumps([n for n in declined if sys.modules.get(n) is not None]), file=sys.stderr))
from toolkit.cli import main
main()
"""


def _formats(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            yield node["format"]
        for value in node.values():
            yield from _formats(value)
    elif isinstance(node, list):
        for value in node:
            yield from _formats(value)


def test_no_schema_names_a_format_whose_checker_the_command_declines(repo_root: Path) -> None:
    schemas = sorted((repo_root / "schemas").glob("*.json"))
    assert schemas
    named = {fmt for path in schemas for fmt in _formats(json.loads(path.read_text(encoding="utf-8")))}
    assert named.isdisjoint(RFC3987_SYNTAX_FORMATS), named & RFC3987_SYNTAX_FORMATS


def test_a_run_that_explains_a_schema_error_imports_no_declined_module_and_still_explains_it(tmp_path: Path) -> None:
    corpus = tmp_path / "annotations"
    shutil.copytree(CLEAN, corpus)
    advisory = corpus / ADVISORY
    advisory.write_text(advisory.read_text(encoding="utf-8").replace("value: 4", "value: 99"), encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT.format(declined=["rfc3987_syntax"]), "validate", "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "[schema-invalid] 99 is above the maximum of 4" in result.stdout
    assert json.loads(result.stderr.splitlines()[-1]) == []


def test_main_called_in_a_larger_process_leaves_the_declined_modules_importable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "argv", ["toolkit", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert all(sys.modules.get(name, "absent") is not None for name in DECLINED_IMPORTS)
