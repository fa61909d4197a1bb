"""UUIDv7 identifiers (RFC 9562): random, yet ordered by creation time, so new rows land
at the end of a B-tree index instead of splitting pages all over it."""

from __future__ import annotations

import os
import threading
import time
from uuid import UUID


class UuidV7Generator:
    """Monotonic within a process: ids made in the same millisecond still sort in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def new_id(self) -> UUID:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms > self._last_ms:
                self._last_ms = now_ms
                # A random start leaves room to count up within the millisecond.
                self._counter = int.from_bytes(os.urandom(2), "big") & 0x1FF
            else:
                self._counter += 1
                if self._counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                    self._last_ms += 1
                    self._counter = 0
            ms, counter = self._last_ms, self._counter
        random_tail = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76
        value |= counter << 64
        value |= 0b10 << 62
        value |= random_tail
        return UUID(int=value)
