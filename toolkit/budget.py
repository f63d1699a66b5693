"""A budget of work per run for hints: past it, a finding gets the plain hint.

Hints ("did you mean ...?", the closest passage of an article) compare the input
with what is near it, and input decides how much comparing that is: a reference
deleted from a corpus of 100,000 records, a quote of 26,000 characters, thousands
of made-up quotes or typos. Each search for a hint first asks its budget for the
work it will do, counted in real units (characters of one string compared with
characters of the other), and runs only when the budget still holds it. So the
time spent on hints in a run is bounded whatever the input, while ordinary
input, a few hints per run, gets them all.
"""

from __future__ import annotations

# What one comparison costs besides its characters, in the same unit, when
# rapidfuzz runs the loop (process.extractOne over a list): some 150 ns, while it
# compares characters at some 1.5 * 10^10 pairs a second on the benchmark's VM.
PER_COMPARISON = 2_500


class WorkBudget:
    """A number of character pairs that searches for hints may still compare in this run."""

    def __init__(self, pairs: int) -> None:
        self.left = pairs

    @staticmethod
    def cost(length: int, others: int, comparisons: int = 1, per_comparison: int = PER_COMPARISON) -> int:
        """The work of comparing a string of ``length`` characters with ``comparisons``
        strings holding ``others`` characters in all, each comparison costing
        ``per_comparison`` besides its characters."""
        return max(length, 1) * max(others, 1) + per_comparison * comparisons

    def spend(self, pairs: int) -> bool:
        """Take ``pairs`` from the budget if it still holds them; False (and nothing
        taken) if not, and the caller gives the plain hint instead."""
        if pairs > self.left:
            return False
        self.left -= pairs
        return True
