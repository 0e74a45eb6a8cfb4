"""Progress display: tqdm when installed, else a plain line on stderr."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable


class _Callback:
    def __init__(self, fn: Callable[[int, int | None], Any], total: int | None) -> None:
        self.fn, self.total = fn, total

    def update(self, done: int) -> None:
        self.fn(done, self.total)

    def close(self) -> None:
        pass


class _Tqdm:
    def __init__(self, total: int | None) -> None:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        self.bar = tqdm(total=total, unit="frame", desc="framesink")
        self.done = 0

    def update(self, done: int) -> None:
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        self.bar.close()


class _Line:
    def __init__(self, total: int | None) -> None:
        self.total = total
        self.start = time.monotonic()
        self.last = 0.0
        self.done = 0

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self.last >= 0.2 or done == self.total:
            self.last = now
            self._print(now)

    def _print(self, now: float) -> None:
        rate = self.done / max(now - self.start, 1e-9)
        of = f"/{self.total}" if self.total is not None else ""
        sys.stderr.write(f"\rframesink: {self.done}{of} frames, {rate:.1f} fps")
        sys.stderr.flush()

    def close(self) -> None:
        self._print(time.monotonic())
        sys.stderr.write("\n")


def make_progress(
    progress: bool | Callable[[int, int | None], Any], total: int | None
) -> Any | None:
    if callable(progress):
        return _Callback(progress, total)
    if not progress:  # False, None (numpy's False too)
        return None
    try:
        return _Tqdm(total)
    except ImportError:
        return _Line(total)
