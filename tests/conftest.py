"""Shared fixtures: the repository root, the rule example corpora, a CLI runner whose output shows on failure,
and a cache folder of a test's own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import toolkit.cache
from corpus_overlay import build_all
from toolkit.cache import CACHE_ENV
from toolkit.cli import app

# The red-team corpora (corpus, broken, secret_yaml) of test_red_team_*.py.
pytest_plugins = ["red_team_support"]

REPO_ROOT = Path(__file__).resolve().parent.parent

# The command line keeps its cache beside each corpus it checks (toolkit/cache.py):
# the suite's runs keep theirs in one temporary folder instead, never in the checkout.
os.environ.setdefault("TOOLKIT_CACHE_DIR", tempfile.mkdtemp(prefix="toolkit-cache-tests-"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Test files that run child processes (marked ``slow``) first; each file's tests stay together, in order.

    pytest-xdist gives whole files to its workers in this order (``--no-loadscope-reorder``
    in pyproject.toml): the long files start first, and the run ends on short files shared
    out, not on one long file keeping one core busy while the other waits.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # a stable sort


@pytest.fixture
def repo_root() -> Path:
    """The repository's top folder."""
    return REPO_ROOT


class ToolkitRunner:
    """Runs the CLI in-process; a failed expectation prints what the command said."""

    def __init__(self) -> None:
        self._runner = CliRunner()

    def __call__(self, args: Sequence[str], expect: int | None = 0) -> Result:
        result = self._runner.invoke(app, list(args), catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, (
                f"toolkit {' '.join(args)} exited {result.exit_code}, expected {expect}\n"
                f"--- output ---\n{result.output}"
            )
        return result


@pytest.fixture
def run_toolkit() -> ToolkitRunner:
    """Call as ``run_toolkit(["validate", path], expect=1)``."""
    return ToolkitRunner()


@pytest.fixture(scope="session")
def rule_corpora(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding every rule example corpus built in full, at ``tests/rules/<rule>/<kind>``.

    Built once per session from the overlays (tests/corpus_overlay.py); run from this
    folder, a report names files as it did when the cases were whole corpora in git.
    """
    return build_all(tmp_path_factory.mktemp("built"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache in ``tmp_path/cache``; files count as settled at once (no 'just written' window)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(toolkit.cache, "_RACY_NS", 0)
    return tmp_path / "cache"
