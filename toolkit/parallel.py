"""Work on several cores: forked processes, and the garbage-collector pause beside them.

The whole API: ``map_in_processes`` (a list of items in shares, one per process,
results back in item order), ``run_queued`` (tasks taken from one queue by each
process as it comes free), ``processes_available`` (how many to use), and
``cycle_collection_paused``. Underneath, ``run_in_processes`` runs one task here
and each other one in a forked child: a child sees everything this process holds
without copying or pickling it; only its result (or its error) comes back. The
corpus is parsed with ``map_in_processes``, a share of the files per core, and
the export writes the parts of its formats with ``run_queued`` (performance
edits, benchmarks/README.md).

Fork is used only where it is safe and pays: where the platform has it, more
than one core is ours, and no other thread runs (a thread holding a lock at the
fork would leave the child deadlocked).
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

T = TypeVar("T")
P = TypeVar("P")
X = TypeVar("X")


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its state afterwards.

    Reading a corpus creates a few dozen small dicts and lists per record, which
    all live to the end of the run; the collector would walk them again and again
    to find nothing (records hold no cycles), a fifth of the whole run at 10,000
    records. Reference counting still frees everything else as it goes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def usable_cores() -> int:
    """How many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether forking a child to share the work is available and safe here."""
    return hasattr(os, "fork") and threading.active_count() == 1


def processes_available(wanted: int | None) -> int:
    """How many processes to run: ``wanted`` if given (at least 1), else the usable cores; 1 if forking is out."""
    processes = usable_cores() if wanted is None else max(1, wanted)
    return processes if processes > 1 and can_fork() else 1


def run_in_processes(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run the first task here and each other task in a forked child; return their results in order.

    A child's result comes back pickled, so it must be picklable. Raises what a
    task raised: this process's own error first; else the first failed child's,
    pickled back with the child's traceback as a note (an error that cannot be
    pickled comes back as a ``RuntimeError`` with that traceback). A child that
    dies without a word (killed by a signal, say by the kernel when memory runs
    out) raises ``ChildProcessError``. When this process fails or is interrupted,
    its children are killed before the error goes on, so no child outlives the call.
    """
    children: list[tuple[int, int]] = []  # (pid, the read end of the pipe its outcome comes through)
    try:
        for task in tasks[1:]:
            children.append(_fork(task))
        results = [tasks[0]()] if tasks else []
        outcomes = []
        while children:  # a child leaves the list once reaped, so that only live ones are killed below
            outcomes.append(_outcome(*children[0]))
            children.pop(0)
    except BaseException:
        for pid, pipe in children:
            _kill(pid, pipe)
        raise
    for succeeded, value in outcomes:
        if not succeeded:
            raise value
        results.append(value)
    return results


@dataclass(slots=True)
class _Share(Generic[P, X]):
    """What one process made of its share: a plain result per item, and extras for some items.

    A forked process sends ``plain`` as marshal bytes: plain data (str, int,
    float, bool, None, lists, tuples and dicts) is written and read four times
    faster than with pickle, and keeps dict keys interned (performance edit,
    benchmarks/README.md). The extras are few and go pickled, as they are.
    """

    plain: list[P] | bytes
    extras: Mapping[int, X]  # position in the share -> the extra of that item

    def unpacked(self) -> list[P]:
        return marshal.loads(self.plain) if isinstance(self.plain, bytes) else self.plain


def map_in_processes(
    work: Callable[[list[T], bool], tuple[list[P], Mapping[int, X]]],
    items: Sequence[T],
    *,
    jobs: int | None,
    min_per_process: int,
) -> tuple[int, Iterator[tuple[T, P, X | None]]]:
    """Run ``work`` over shares of ``items``, one share per process; give back each item's results in item order.

    ``work(share, first)`` returns a plain result (marshal-able) per item of its
    share and a dict of extras for some of them (by position in the share);
    ``first`` is true for the share worked on in this process. The processes are
    ``jobs`` if given (at most one per item), else every usable core as long as
    each gets ``min_per_process`` items. Every process-th item goes to one share,
    not a run of items: items of one sort (the files of one folder) then spread
    over all the processes. Returns how many processes ran, and an iterator of
    ``(item, plain result, extra or None)``.
    """
    wanted = processes_available(jobs)
    processes = max(1, min(wanted, len(items) // min_per_process if jobs is None else len(items)))
    shares = run_in_processes(
        [partial(_work_on_share, work, list(items[number::processes]), number == 0) for number in range(processes)]
    )
    unpacked = [share.unpacked() for share in shares]

    def in_order() -> Iterator[tuple[T, P, X | None]]:
        for position, item in enumerate(items):
            number, within = position % processes, position // processes
            yield item, unpacked[number][within], shares[number].extras.get(within)

    return processes, in_order()


def _work_on_share(
    work: Callable[[list[T], bool], tuple[list[P], Mapping[int, X]]], share: list[T], first: bool
) -> _Share[P, X]:
    plain, extras = work(share, first)
    return _Share(plain if first else marshal.dumps(plain), extras)


# One byte per task in the queue: a one-byte read from a pipe cannot be split
# between two readers, and an export has a few dozen tasks at most.
MAX_QUEUED_TASKS = 256


def run_queued(tasks: Sequence[Callable[[], T]], lanes: int) -> list[T]:
    """Run ``tasks`` on up to ``lanes`` processes, each process taking the next task as soon as it is free.

    Give the tasks longest first: the processes then end within about one short task
    of each other, whatever each task turns out to cost. The queue is a pipe
    holding one byte per task, which each process (this one, or a child forked
    by ``run_in_processes``) reads one at a time. Returns the results in the order of
    ``tasks``; raises as ``run_in_processes`` does.
    """
    if len(tasks) > MAX_QUEUED_TASKS:
        raise ValueError(f"at most {MAX_QUEUED_TASKS} queued tasks, not {len(tasks)}")
    lanes = max(1, min(lanes, len(tasks)))
    if lanes == 1:
        return [task() for task in tasks]
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, bytes(range(len(tasks))))  # far below the pipe's capacity: never blocks
        os.close(write_end)  # before forking, so that an empty queue reads as its end in every process
        write_end = -1

        def one_process() -> dict[int, T]:
            results: dict[int, T] = {}
            while taken := os.read(read_end, 1):
                results[taken[0]] = tasks[taken[0]]()
            return results

        by_task: dict[int, T] = {}
        for results in run_in_processes([one_process] * lanes):
            by_task.update(results)
        return [by_task[number] for number in range(len(tasks))]
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def _fork(task: Callable[[], object]) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: run the task, send its outcome, and leave without running any cleanup of the parent's
        os.close(read_end)
        status = 1
        try:
            _die_with(parent)
            outcome = pickle.dumps((True, task()), protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        except BaseException as error:  # noqa: BLE001 - everything is sent back to the parent
            outcome = _packed(error)
        try:
            with os.fdopen(write_end, "wb") as pipe:  # a buffered write: all of it, however long
                pipe.write(outcome)
        except BaseException:  # noqa: BLE001 - the parent sees a child that said nothing
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when its parent dies, as Linux can; exit now if it is already gone.

    A parent killed outright (SIGKILL) runs no cleanup; without this its children
    would go on writing into staging folders that nothing will ever move into place.
    """
    if sys.platform.startswith("linux"):
        import ctypes  # only here: the parent never needs it

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request above
        os._exit(1)


def _packed(error: BaseException) -> bytes:
    text = "".join(traceback.format_exception(error))
    try:
        error.add_note(f"raised in a forked process:\n{text}")
        return pickle.dumps((False, error))
    except Exception:  # noqa: BLE001 - an error that cannot be pickled is sent as its traceback
        return pickle.dumps((False, RuntimeError(f"a forked process failed:\n{text}")))


def _read_all(pipe: int) -> bytes:
    chunks = []
    while chunk := os.read(pipe, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _outcome(pid: int, pipe: int) -> tuple[bool, Any]:
    """Wait for a child: (True, its result) or (False, the error it raised)."""
    try:
        message = _read_all(pipe)
    finally:
        os.close(pipe)
    _, status = os.waitpid(pid, 0)
    if message:
        try:
            outcome: tuple[bool, Any] = pickle.loads(message)
            return outcome
        except Exception:  # noqa: BLE001 - a message cut short: said below
            pass
    code = os.waitstatus_to_exitcode(status)
    how = f"was killed by signal {_signal_name(-code)}" if code < 0 else f"exited with status {code}"
    return False, ChildProcessError(f"a forked process {how} before it finished (out of memory?)")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _kill(pid: int, pipe: int) -> None:
    # Interrupted halfway through _outcome, the pipe may be closed or the child reaped already.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        os.close(pipe)
