"""Blocking work awaited from an event loop without holding the process at exit.

``asyncio.to_thread`` and Textual's thread workers run in the loop's default executor, whose threads the
interpreter joins at exit: a device-code poll (up to 15 minutes) or a slow tenant load in one would hold
Ctrl-C, ``q`` or a SIGTERM until it finished. A daemon thread is left behind instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["in_daemon_thread"]

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
