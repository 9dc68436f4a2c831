"""Keeping a long-lived web worker's memory near its idle size.

A photo search needs large short-lived buffers: the decoded picture (up to 2048 px a side, 12 MB
in colour) and YuNet's feature maps at 1024 px (about 40 MB). glibc's malloc keeps freed memory
inside the process for reuse, and gives each thread that allocates at the same time an arena of
its own, so a worker that has served a few photos in two threads stays tens of megabytes above
its idle size for ever. Two small levers fix that, both no-ops where glibc is not the allocator:

* ``cap_malloc_arenas`` bounds the number of arenas (call it before the worker starts threads);
* ``release_freed_memory`` hands freed memory back to the system after a big picture is done.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


@functools.cache
def _glibc():
    """glibc's ``libc``, or None on musl, macOS and Windows (where these knobs do not exist)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim  # noqa: B018  (raises AttributeError unless this is glibc)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def cap_malloc_arenas(count: int) -> bool:
    """At most ``count`` malloc arenas in this process; True when glibc accepted it."""
    libc = _glibc()
    return bool(libc and libc.mallopt(M_ARENA_MAX, int(count)))


def release_freed_memory() -> bool:
    """Return the memory malloc holds but no longer uses to the system; True if some was returned.

    Takes about a millisecond on a worker's heap (a photo search takes tens), so it can follow
    every photo.
    """
    libc = _glibc()
    return bool(libc and libc.malloc_trim(0))
