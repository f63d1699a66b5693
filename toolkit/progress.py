"""A progress line for long runs, shown only to a person watching a terminal.

In CI logs and in piped output a line rewritten with carriage returns is noise,
so the decision is made once, by ``show_progress``, from facts the caller
passes in (is the stream a terminal, the environment): easy to test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

ProgressCallback = Callable[[int, int], None]

# Below this many files a run takes about a second: a progress line would only flicker.
MIN_FILES = 500
# Redraw about a hundred times in a whole run, however large.
STEPS = 100


def show_progress(is_terminal: bool, environ: Mapping[str, str]) -> bool:
    """Whether to draw progress: on a terminal, not in CI (``CI`` set, as any CI service does), not a dumb terminal."""
    if not is_terminal:
        return False
    if environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    return environ.get("TERM") != "dumb"


class ProgressLine:
    """``reading files 1200/5000`` on one line of ``stream``, rewritten in place, cleared at the end."""

    def __init__(self, stream: TextIO, min_files: int = MIN_FILES) -> None:
        self.stream = stream
        self.min_files = min_files
        self.width = 0

    def _draw(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def __call__(self, done: int, total: int) -> None:
        if total < self.min_files:
            return
        step = max(1, total // STEPS)
        if done == total:
            self._draw(f"checking {total} files...")
        elif done % step == 0:
            self._draw(f"reading files {done}/{total}")

    def clear(self) -> None:
        """Erase the line, so that the report starts on a clean one."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


@contextmanager
def progress_for(stream: TextIO, environ: Mapping[str, str] | None = None) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing on ``stream`` when it is a person's terminal, else ``None``."""
    environ = os.environ if environ is None else environ
    is_terminal = hasattr(stream, "isatty") and stream.isatty()
    if not show_progress(is_terminal, environ):
        yield None
        return
    line = ProgressLine(stream)
    try:
        yield line
    finally:
        line.clear()
