"""A pool for runtime objects that one thread at a time may use: LiteRT interpreters.

A LiteRT interpreter -- the emotion model's or the face detector's -- may not run in two threads
at once: it keeps its input and working buffers inside the object. A pool lends each caller an object no
other thread holds and takes it back afterwards, so a process holds as many as it ever ran at
the same time -- two in a web worker with two threads -- and the one built while the worker
warmed up serves requests too. (One object per thread would also keep copies for threads that
never analyse again, each about 8 MB.) With ``limit``, at most that many objects are ever built
and further callers wait for one to come back: a web worker trades a few milliseconds of waiting
for the memory of the copies it does not build.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class ObjectPool(Generic[T]):
    def __init__(self, create: Callable[[], T], limit: int | None = None):
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self._create = create
        self._idle: list[T] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(limit) if limit else None
        self.created = 0

    @contextmanager
    def borrowed(self) -> Iterator[T]:
        """An object for this caller alone until the ``with`` block ends."""
        if self._slots:
            self._slots.acquire()
        try:
            with self._lock:
                item = self._idle.pop() if self._idle else None
            if item is None:
                item = self._create()  # outside the lock: building one must not hold up the others
                with self._lock:
                    self.created += 1
            try:
                yield item
            finally:
                with self._lock:
                    self._idle.append(item)
        finally:
            if self._slots:
                self._slots.release()
