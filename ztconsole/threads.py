"""Blocking work awaited from an event loop without holding the process at exit, and without stalling it.

``asyncio.to_thread`` and Textual's thread workers run in the loop's default executor, whose threads the
interpreter joins at exit: a device-code poll (up to 15 minutes) or a slow tenant load in one would hold
Ctrl-C, ``q`` or a SIGTERM until it finished. A daemon thread is left behind instead.

A CPU-bound worker holds the interpreter lock (the GIL) from the event loop: each time the loop waits for
input or a timer it lets the lock go, and gets it back only when the worker yields it, after the switch
interval (5 ms by default), or after the C call the worker is in returns (freeing a large structure is
one such call). :func:`responsive` shortens the switch interval while a worker runs, and :func:`release`
frees a large structure in pieces, so the loop answers a key within a frame
(``benchmarks/bench_stalls.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["SWITCH_INTERVAL", "in_daemon_thread", "release", "release_in_background", "responsive"]

SWITCH_INTERVAL = 0.001
"""The switch interval (seconds) while a worker runs: how long the event loop waits at most for the lock
between two bytecodes of a busy worker (5 ms by default; a 60 Hz frame is 16.7 ms)."""

_T = TypeVar("_T")


async def in_daemon_thread(fn: Callable[..., _T], *args: Any, name: str = "ztconsole-worker",
                           **kwargs: Any) -> _T:
    """Run ``fn(*args, **kwargs)`` in a new daemon thread and await its result (or exception).

    Cancelling the await leaves the thread to finish, or to die with the process: nothing waits for it.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def run() -> None:
        try:
            outcome: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting task as is
            outcome = (False, e)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


_switch_lock = threading.Lock()
_switch_depth = 0
_switch_was = 0.0


@contextlib.contextmanager
def responsive(interval: float | None = None) -> Iterator[None]:
    """Within, the interpreter switches threads every ``interval`` seconds at most (default
    :data:`SWITCH_INTERVAL`, read at each call; thread-safe, nestable;
    the setting before the first one is restored when the last one ends). Meant around CPU-bound work in a
    worker thread: the event loop waits that long at most for the lock between two bytecodes. A longer
    setting made meanwhile (by :func:`sys.setswitchinterval`) is left as it is."""
    global _switch_depth, _switch_was
    interval = SWITCH_INTERVAL if interval is None else interval
    with _switch_lock:
        if _switch_depth == 0:
            _switch_was = sys.getswitchinterval()
            if interval < _switch_was:
                sys.setswitchinterval(interval)
        _switch_depth += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_depth -= 1
            if _switch_depth == 0 and sys.getswitchinterval() < _switch_was:
                sys.setswitchinterval(_switch_was)


def release(parts: list[Any]) -> None:
    """Empty ``parts``, freeing what only it held in small pieces instead of one long deallocation.

    Freeing a large structure is a single C call that holds the GIL throughout (the checks' context of the
    large tenant: 50 ms). Here every container nobody else holds is taken apart from the top: its parts are
    held (in a list) before it is freed, so each free is short, and between two of them the event loop can
    take the lock. Nothing is changed: only references are held and dropped, so what others hold stays as
    it is. Objects in a reference cycle are left to the garbage collector, as before. Call it with the only
    reference to the list's items (``parts = [ctx]; del ctx``), from a worker thread."""
    todo = [part for part in parts[::-1] if gc.is_tracked(part)]
    parts.clear()
    referents, tracked, refcount = gc.get_referents, gc.is_tracked, sys.getrefcount
    while todo:
        obj = todo.pop()
        if refcount(obj) <= 2:  # only ``obj`` (and getrefcount's argument) holds it: take it apart
            # its containers (strings and numbers are freed with it: a dict of them, untracked, is freed
            # whole too, in a few milliseconds for 100,000 entries)
            todo.extend(filter(tracked, referents(obj)))
        del obj  # freed here if only ``obj`` held it, its parts being in ``todo``: a short deallocation


def release_in_background(parts: list[Any]) -> None:
    """:func:`release` ``parts`` in a daemon thread of its own (:func:`responsive`): what a worker or the
    event loop drops when it is done with a large structure, without waiting for it to be freed."""
    threading.Thread(target=_release_responsive, args=(parts,), name="ztconsole-release", daemon=True).start()


def _release_responsive(parts: list[Any]) -> None:
    with responsive():
        release(parts)
