"""A run's memo of queueing answers, bounded."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class BoundedMemo(Generic[T]):
    """Answers by key, computed once; the memo starts over once it holds ``limit`` of them.

    Loads repeat (a diurnal day, a looped trace), so a run keeps asking the same
    questions; the bound keeps months of answers that never repeat from growing without
    end. Answers may be None (a computed "no answer")."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._answers: dict[Hashable, T] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        answers = self._answers
        hit = answers.get(key, answers)  # the dict itself: never an answer
        if hit is answers:
            if len(answers) >= self.limit:
                answers.clear()
            hit = answers[key] = compute()
        return hit  # type: ignore[return-value]

    def find(self, key: Hashable) -> T | None:
        """The answer for ``key`` if there is one (for answers that are never None)."""
        return self._answers.get(key)

    def put(self, key: Hashable, answer: T) -> None:
        """Keep ``answer`` for ``key`` (an answer known only after the fact)."""
        if len(self._answers) >= self.limit:
            self._answers.clear()
        self._answers[key] = answer
