"""When to reconcile: debounce, coalescing, one run at a time, backoff (pure).

The caller passes the clock, so every rule is tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_DEBOUNCE = 0.5
"""Seconds of quiet after the last relevant change before reconciling. The objects of one
`kubectl apply` arrive within about 0.1 s of each other, so 0.5 s still makes them one run
(`bench/watch_bench.py`); each second more is a second more from every change to its rollout."""


@dataclass
class Scheduler:
    """Pure timing (the caller passes the clock).

    A burst of triggers is reconciled `debounce` seconds after the last one (at most `max_delay`
    after the first); one engine run at a time, triggers during it coalesce into one follow-up;
    failures back off exponentially.
    """

    debounce: float = DEFAULT_DEBOUNCE
    max_delay: float = 0.0
    """0: five times `debounce`."""
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    first: float | None = None
    last: float | None = None
    triggers: int = 0
    running: bool = False
    failures: int = 0
    retry_at: float = 0.0

    def trigger(self, now: float) -> None:
        """A relevant change at `now`: a reconcile becomes due."""
        if self.first is None:
            self.first = now
        self.last = now
        self.triggers += 1

    @property
    def pending(self) -> bool:
        """A reconcile is due or waiting for its debounce."""
        return self.first is not None

    def wait(self, now: float) -> float | None:
        """Seconds until a reconcile is due: 0 = now, None = nothing to do (or a run going)."""
        if self.first is None or self.last is None or self.running:
            return None
        cap = self.max_delay or 5 * self.debounce
        due = max(min(self.last + self.debounce, self.first + cap), self.retry_at)
        return max(0.0, due - now)

    def begin(self) -> tuple[int, float | None]:
        """A reconcile starts: (triggers it covers, when the first of them came)."""
        covered, first = self.triggers, self.first
        self.first = self.last = None
        self.triggers = 0
        return covered, first

    def run_started(self) -> None:
        """An engine run starts."""
        self.running = True

    def backoff(self) -> float:
        """Seconds before the retry after the failures so far."""
        return min(self.backoff_base * 2 ** max(self.failures - 1, 0), self.backoff_max)

    def run_finished(self, now: float, ok: bool) -> float:
        """Record the outcome; after a failure a retry is pending.

        Returns the backoff (0 on success).
        """
        self.running = False
        if ok:
            self.failures, self.retry_at = 0, 0.0
            return 0.0
        self.failures += 1
        delay = self.backoff()
        self.retry_at = now + delay
        if self.first is None:
            self.first = self.last = now
        return delay
