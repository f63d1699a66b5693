"""Tasks run side by side in forked children: every one runs, every failure comes back, no child outlives the call."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from toolkit.exporters import FORMATS
from toolkit.exporters.csv_tables import PARTS as CSV_PARTS
from toolkit.exporting import write_tasks
from toolkit.parallel import MAX_QUEUED_TASKS, processes_available, run_in_processes, run_queued

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")


def _write(path: Path, text: str):
    return lambda: path.write_text(text, encoding="utf-8")


def test_every_task_runs_and_the_first_runs_here(tmp_path: Path) -> None:
    here = os.getpid()
    pids: dict[str, int] = {}

    def first() -> None:
        pids["first"] = os.getpid()

    run_in_processes([first, _write(tmp_path / "b", "b"), _write(tmp_path / "c", "c")])
    assert pids == {"first": here}
    assert (tmp_path / "b").read_text() == "b" and (tmp_path / "c").read_text() == "c"


def test_results_come_back_in_the_order_of_the_tasks() -> None:
    here = os.getpid()
    results = run_in_processes([os.getpid, os.getpid, lambda: {"nested": [1, "two", None]}])
    assert results[0] == here
    assert results[1] != here  # run in a child
    assert results[2] == {"nested": [1, "two", None]}


def test_an_error_in_a_child_comes_back_as_itself_with_the_child_traceback(tmp_path: Path) -> None:
    def full_disk() -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "bundle.json"))

    with pytest.raises(OSError) as raised:
        run_in_processes([lambda: None, full_disk])
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(tmp_path / "bundle.json")
    assert any("in full_disk" in note for note in raised.value.__notes__)


class _Unpicklable(Exception):
    def __init__(self) -> None:
        super().__init__("holds a lock")
        self.lock = threading.Lock()


def test_an_error_that_cannot_be_pickled_comes_back_as_its_traceback() -> None:
    def fails() -> None:
        raise _Unpicklable()

    with pytest.raises(RuntimeError, match=r"(?s)a forked process failed:.*_Unpicklable: holds a lock"):
        run_in_processes([lambda: None, fails])


def test_a_child_killed_without_a_word_is_reported() -> None:
    def killed() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(ChildProcessError, match="killed by signal SIGKILL"):
        run_in_processes([lambda: None, killed])


def test_when_this_process_fails_its_children_are_killed_and_reaped(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"

    def sleeps() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)

    def fails_once_the_child_runs() -> None:
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise ValueError("the writer here failed")

    started = time.monotonic()
    with pytest.raises(ValueError, match="the writer here failed"):
        run_in_processes([fails_once_the_child_runs, sleeps])
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process any more
        os.kill(int(pid_file.read_text()), 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_children_die_with_a_parent_killed_outright(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    program = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from toolkit.parallel import run_in_processes\n"
        "def child():\n"
        f"    Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        "    time.sleep(60)\n"
        "run_in_processes([lambda: time.sleep(60), child])\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", program])
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists() or not pid_file.read_text():
            assert parent.poll() is None and time.monotonic() < deadline, "the child never started"
            time.sleep(0.01)
    finally:
        parent.kill()  # SIGKILL: the parent runs no cleanup at all
        parent.wait()
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    """Whether a process runs (not merely waits, dead, for its new parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _other_threads_ended(seconds: float) -> list[threading.Thread]:
    """Wait for threads an earlier test left behind (a test server's handler finishing a slow
    answer) to end; return those still running."""
    deadline = time.monotonic() + seconds
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t in threading.enumerate() if t is not threading.current_thread()]


def test_one_lane_when_asked_or_when_another_thread_runs() -> None:
    assert _other_threads_ended(30) == []  # the suite's workers run files one after another
    assert processes_available(1) == 1
    assert processes_available(3) == 3
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert processes_available(3) == 1  # forking beside a running thread can deadlock the child
    finally:
        stop.set()
        thread.join()


def test_queued_tasks_each_run_once_and_their_results_come_back_in_order(tmp_path: Path) -> None:
    tasks = [_write(tmp_path / str(number), str(number)) for number in range(20)]
    assert run_queued(tasks, 2) == [len(str(number)) for number in range(20)]  # what write_text returned
    assert sorted(int(path.name) for path in tmp_path.iterdir()) == list(range(20))


def test_a_free_lane_takes_the_next_task_while_another_is_busy(tmp_path: Path) -> None:
    # The first task waits until every other task has run: only a lane that takes
    # tasks as it gets free (not a share fixed in advance) lets it finish.
    others = 6

    def wait_for_the_others() -> None:
        deadline = time.monotonic() + 20
        while len(list(tmp_path.iterdir())) < others:
            assert time.monotonic() < deadline, "the other lane did not take the remaining tasks"
            time.sleep(0.01)

    run_queued([wait_for_the_others, *(_write(tmp_path / str(number), "done") for number in range(others))], 2)
    assert len(list(tmp_path.iterdir())) == others


def test_one_lane_runs_the_queue_here_in_order() -> None:
    ran: list[int] = []
    assert run_queued([lambda number=number: ran.append(number) for number in range(5)], 1) == [None] * 5
    assert ran == [0, 1, 2, 3, 4]


def test_an_error_in_a_queued_task_comes_back(tmp_path: Path) -> None:
    def full_disk() -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "corpus.jsonld"))

    with pytest.raises(OSError) as raised:
        run_queued([lambda: None, full_disk, lambda: None], 2)
    assert raised.value.errno == errno.ENOSPC


def test_the_queue_is_refused_beyond_its_size() -> None:
    with pytest.raises(ValueError, match=str(MAX_QUEUED_TASKS)):
        run_queued([lambda: None] * (MAX_QUEUED_TASKS + 1), 2)


def test_the_costliest_formats_are_written_first_and_the_csv_tables_last(tmp_path: Path) -> None:
    staged = {name: tmp_path / name for name in FORMATS}
    tasks = write_tasks(list(FORMATS), None, staged)  # type: ignore[arg-type]  # nothing runs here
    writers = [task.args[0] for task in tasks]  # type: ignore[attr-defined]
    assert [writer.__module__ for writer in writers[:3]] == [
        "toolkit.exporters.stix",
        "toolkit.exporters.sqlite_db",
        "toolkit.exporters.jsonld",
    ]
    assert [writer.keywords["part"] for writer in writers[3:]] == list(CSV_PARTS)
    assert {task.args[2] for task in tasks[3:]} == {staged["csv"]}  # type: ignore[attr-defined]
