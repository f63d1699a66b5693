"""`toolkit diff` where the repository lacks an object the tree names: exit 2 naming the file (red team 4, M10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scratch_git import annotations_repo, git


def test_a_record_whose_object_is_missing_is_named_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_toolkit
) -> None:
    repo = annotations_repo(tmp_path / "repo")
    sha = git(repo, "rev-parse", "HEAD:annotations/actors/act-turkey.yaml").strip()
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()
    monkeypatch.chdir(repo)

    result = run_toolkit(["diff", "HEAD"], expect=2)

    assert result.output.startswith(f"Error: actors/act-turkey.yaml at HEAD: git cannot read it ({sha} missing)")
    assert "the repository lacks this object" in result.output
