"""A budget of work per run for hints: past it, a finding gets the plain hint.

Hints ("did you mean ...?", the closest passage of an article) compare the input
with what is near it, and input decides how much comparing that is: a reference
deleted from a corpus of 100,000 records, a quote of 26,000 characters, thousands
of made-up quotes or typos. Each search for a hint first asks its budget for the
work it will do, counted in real units (characters of one string compared with
characters of the other), and runs only when the budget still holds it. So the
time spent on hints in a run is bounded whatever the input, while ordinary
input, a few hints per run, gets them all.

Which hints a budget runs short of depends on every search of the run, not on the
records a finding is about: a run that judges only what an edit reaches
(``toolkit/incremental.py``) keeps a ``Ledger`` of what the budgets were asked
for, and trusts its hints only when the searches of the whole corpus fit the
budgets with room for each (then no search of a run over the whole corpus is
refused either, and every hint is the one an unbounded search gives).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

# What one comparison costs besides its characters, in the same unit, when
# rapidfuzz runs the loop (process.extractOne over a list): some 150 ns, while it
# compares characters at some 1.5 * 10^10 pairs a second on the benchmark's VM.
PER_COMPARISON = 2_500


@dataclass
class Ledger:
    """What the budgets made while it is kept (``ledger()``) were asked for, by budget name.

    ``spent``: the pairs taken; ``largest``: the most any one search asked to be held
    before it began (``WorkBudget.holds``); ``refused``: whether any budget said no.
    """

    spent: dict[str, int] = field(default_factory=dict)
    largest: dict[str, int] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    refused: bool = False

    def plus(self, other: Ledger) -> Ledger:
        """What two runs asked for together: a bound on a run doing the searches of both."""
        names = {*self.spent, *self.largest, *other.spent, *other.largest}
        return Ledger(
            {name: self.spent.get(name, 0) + other.spent.get(name, 0) for name in names},
            {name: max(self.largest.get(name, 0), other.largest.get(name, 0)) for name in names},
            {**self.limits, **other.limits},
            self.refused or other.refused,
        )

    def roomy(self) -> bool:
        """Whether a run doing these searches, in any order, is refused none: each budget holds all that
        was spent with room for the largest search asked for (a budget of unknown size holds nothing)."""
        return not self.refused and all(
            self.spent.get(name, 0) + self.largest.get(name, 0) <= self.limits.get(name, 0)
            for name in {*self.spent, *self.largest}
            if self.spent.get(name, 0) or self.largest.get(name, 0)
        )

    def stored(self) -> dict[str, Any]:
        """The ledger as JSON."""
        return {"spent": self.spent, "largest": self.largest, "limits": self.limits, "refused": self.refused}

    @classmethod
    def restored(cls, value: object) -> Ledger | None:
        """A ledger read back from JSON, or None when the value is not one in every part."""
        if not isinstance(value, dict) or not isinstance(value.get("refused"), bool):
            return None
        parts: list[dict[str, int]] = []
        for key in ("spent", "largest", "limits"):
            part = value.get(key)
            if not (isinstance(part, dict) and all(map(_count, part.values()))):
                return None
            parts.append(dict(part))
        spent, largest, limits = parts
        return cls(spent, largest, limits, value["refused"])


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


_LEDGER: ContextVar[Ledger | None] = ContextVar("hint_ledger", default=None)


@contextmanager
def ledger() -> Iterator[Ledger]:
    """Keep, in the ledger given, what every budget made in the block is asked for."""
    kept = Ledger()
    token = _LEDGER.set(kept)
    try:
        yield kept
    finally:
        _LEDGER.reset(token)


class WorkBudget:
    """A number of character pairs that searches for hints may still compare in this run.

    ``name`` files what it is asked for under that name in the ledger kept, if any.
    """

    def __init__(self, pairs: int, name: str = "") -> None:
        self.left = pairs
        self._name = name
        self._ledger = _LEDGER.get()
        if self._ledger is not None:
            self._ledger.limits[name] = pairs

    @staticmethod
    def cost(length: int, others: int, comparisons: int = 1, per_comparison: int = PER_COMPARISON) -> int:
        """The work of comparing a string of ``length`` characters with ``comparisons``
        strings holding ``others`` characters in all, each comparison costing
        ``per_comparison`` besides its characters."""
        return max(length, 1) * max(others, 1) + per_comparison * comparisons

    def holds(self, pairs: int) -> bool:
        """Whether the budget still holds ``pairs``, taking nothing: a search asks so before it begins,
        and is refused up front when the whole of it could not be paid for."""
        held = pairs <= self.left
        if self._ledger is not None:
            largest = self._ledger.largest
            largest[self._name] = max(largest.get(self._name, 0), pairs)
            self._ledger.refused |= not held
        return held

    def spend(self, pairs: int) -> bool:
        """Take ``pairs`` from the budget if it still holds them; False (and nothing
        taken) if not, and the caller gives the plain hint instead."""
        held = pairs <= self.left
        if self._ledger is not None:
            spent = self._ledger.spent
            spent[self._name] = spent.get(self._name, 0) + (pairs if held else 0)
            self._ledger.refused |= not held
        if not held:
            return False
        self.left -= pairs
        return True
