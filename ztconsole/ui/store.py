"""The tenant store: the console's one copy of the tenant's data, and the one load that fills it.

Not a widget: panes come and go (and several may show the same data), while the source, the last load's
results and the load in progress belong to the console as a whole. The store tells whoever subscribed
(:meth:`TenantStore.subscribe`: the app, each pane) what happens, as Textual messages, in order:
:class:`~TenantStore.Started`, then per data set :class:`~TenantStore.Reading` and
:class:`~TenantStore.Loaded`, then :class:`~TenantStore.Finished`; while the load runs,
:class:`~TenantStore.Progress` ten times a second, after what came in since the last one (the beat of
spinners and clocks, so they move in the same frame as the rows). It never touches a screen itself (a
sign-in that needs the user is a :class:`~TenantStore.SignIn` message, and the app decides how to ask).

One load at a time: :meth:`TenantStore.reload` while a load runs is refused, not queued. The running
load is already reading the tenant afresh, so a second one would only read it all again, and against a
throttled tenant every extra load makes the next one slower; the key works again once the load has
finished. The automatic refresh (``refresh_interval``) follows the same rule: the next one is timed from
the end of the last load, so loads never overlap and a slow tenant slows the refresh down instead of
piling loads up.

Refresh (issue #13): :meth:`TenantStore.refresh` is a load that re-reads only what can have changed since
the last one (a source with a ``refresh`` method: :class:`~ztconsole.sources.stack.RecordingSource`,
:class:`~ztconsole.sources.stack.LiveSource`; sign-ins since the newest held, users and groups through
Graph delta queries, the rest whole: see :mod:`ztconsole.sources.loader`); the automatic refresh is one.
:meth:`TenantStore.reload` reads every data set whole, but once a tenant is held it is given it too, so
unchanged items keep their identity either way. A source without ``refresh`` is loaded whole each time.
The first load is a plain load (the console's start is not slowed by it); tracking changes (the delta links,
the digests of the pages read whole) starts with the first refresh, which therefore reads users, groups and
their members whole once more. What changed, for panes that update in place by object id:

* every :class:`~TenantStore.Loaded` is sent, changed or not (the data-set table shows each one's status,
  count and time); ``Loaded.changed`` (``result.changed``) is False when the data set's value is the held
  value itself, every item the same object as before, and its status is the same: nothing to redraw;
* :class:`~TenantStore.Finished` carries ``changed``, the keys of the data sets whose value or status
  differs from the tenant held before (every data set after a first load), and ``refresh`` (whether the
  load was a refresh); ``tenant.results[key].refresh`` says how each data set was read (``delta``,
  ``whole``, ``resync``, ``kept``);
* a refresh that fails for a data set that held something keeps it, ``partial``, saying why
  (:func:`~ztconsole.model.tenant.keep_previous`); a load that raised keeps every data set it had not
  reported that way, instead of failing them empty.

The load blocks, so it runs in a daemon thread (:func:`ztconsole.threads.in_daemon_thread`): Textual's
thread workers run in the loop's default executor, whose threads the interpreter waits for at exit, so a
slow load (or a sign-in waiting for the user) would hold the process after quitting or after SIGTERM.
Its callbacks come from the reader threads and never wait for the console: a data set's start and end
are put on a queue that the console takes up :data:`PROGRESS_INTERVAL` seconds at a time, in order, and
once more as the load ends, before :class:`~TenantStore.Finished` (so every data set's final state is
always shown). Handing each one to the event loop as it came woke the console, and took the interpreter
from the load, once per data set; a sign-in prompt still goes at once (see :func:`_poster`).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from textual.message import Message

from ztconsole.datasets import DATASETS, DataSet
from ztconsole.model.tenant import DataSetResult, Tenant, holds_items, keep_previous
from ztconsole.safetext import clean
from ztconsole.threads import in_daemon_thread, responsive
from ztconsole.ui.status import Status, final

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from ztconsole.model.tenant import TenantInfo

__all__ = ["PROGRESS_INTERVAL", "RefreshableSource", "TenantSource", "TenantStore", "describe"]

PROGRESS_INTERVAL = 0.1
"""Seconds between the batches in which a running load's progress reaches the console (the spinner's
frame time: no row waits longer than a frame)."""


class TenantSource(Protocol):
    """What the console reads: the adapter stack over a recording or a live tenant
    (:class:`~ztconsole.sources.stack.RecordingSource`, :class:`~ztconsole.sources.stack.LiveSource`),
    or a :class:`~ztconsole.tenantdir.TenantDir`.

    ``load`` blocks (the store runs it in a thread of its own) and calls back from its own threads as
    each data set starts and finishes; it reads at most a few data sets at once. A source with an
    ``on_device_code`` attribute (a live tenant) has it set to a callback taking the sign-in message.
    """

    @property
    def info(self) -> TenantInfo: ...

    def load(self, *, on_start: Callable[[DataSet], None],
             on_result: Callable[[DataSetResult], None]) -> object: ...


class RefreshableSource(TenantSource, Protocol):
    """A source that can re-read only what changed since a tenant it returned (``whole``: every data set,
    keeping the identity of what did not change); blocking and calling back as ``load``."""

    def refresh(self, *, previous: Tenant, whole: bool = False, on_start: Callable[[DataSet], None],
                on_result: Callable[[DataSetResult], None]) -> object: ...


class TenantStore:
    """The source, the current (or last) load's results, and the one load at a time.

    ``clock`` times the loads (tests pass a constant one). ``refresh_interval`` (seconds, or None for
    off) reloads that long after each load has finished, unless ``may_refresh()`` says no at that
    moment (a dialog is open): then it waits another interval.
    """

    class Started(Message, bubble=False):
        """A load began: every data set is queued. ``refresh``: it re-reads only what can have changed."""

        def __init__(self, refresh: bool = False) -> None:
            super().__init__()
            self.refresh = refresh

    class Reading(Message, bubble=False):
        """The load started reading data set ``key``."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Loaded(Message, bubble=False):
        """One data set has been read (or has failed). ``changed`` is False when its value and status are
        those held before (the same objects)."""

        def __init__(self, result: DataSetResult) -> None:
            super().__init__()
            self.result = result

        @property
        def changed(self) -> bool:
            return self.result.changed

    class Progress(Message, bubble=False):
        """The load runs on: sent every :data:`PROGRESS_INTERVAL` seconds while it does, after the
        Reading and Loaded messages of what came in since the last one."""

    class Finished(Message, bubble=False):
        """The load ended: ``tenant`` holds every data set's result; ``error`` says why a load that
        raised ended early (its unread data sets have failed with that message, or kept what they held);
        ``changed`` names the data sets whose value or status differs from the tenant held before;
        ``refresh``: the load re-read only what could have changed."""

        def __init__(self, tenant: Tenant, error: str | None, changed: frozenset[str] | None = None,
                     refresh: bool = False) -> None:
            super().__init__()
            self.tenant = tenant
            self.error = error
            self.changed = frozenset(tenant.results) if changed is None else changed
            self.refresh = refresh

    class SignIn(Message, bubble=False):
        """Device-code sign-in needs the user: ``message`` says where to go and which code to enter."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, source: TenantSource, *, clock: Callable[[], float] = time.monotonic,
                 refresh_interval: float | None = None,
                 may_refresh: Callable[[], bool] = lambda: True) -> None:
        if refresh_interval is not None and not refresh_interval > 0:
            raise ValueError(f"refresh_interval must be a positive number of seconds, not {refresh_interval!r}")
        self.source = source
        self.refresh_interval = refresh_interval
        self.loaded = asyncio.Event()
        """Set once a load has finished; cleared while the next one runs."""
        self.loads = 0
        """Loads started so far."""
        self.results: dict[str, DataSetResult] = {}
        """The running load's results so far, else the last load's."""
        self.tenant: Tenant | None = None
        """The last finished load's tenant (kept while the next load runs)."""
        self._clock = clock
        self._may_refresh = may_refresh
        self._subscribers: list[MessagePump] = []
        self._reading: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._progress: deque[tuple[Callable[..., None], object]] = deque()
        self._progress_timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context = contextvars.copy_context()
        self._started_at = 0.0
        self._elapsed = 0.0
        self._closed = False
        self._previous: Tenant | None = None  # the tenant the running load refreshes
        self._refreshing = False

    @property
    def info(self) -> TenantInfo:
        """The tenant's identity (a live tenant's becomes its own once its organization has been read)."""
        return self.source.info

    @property
    def loading(self) -> bool:
        return self._task is not None

    @property
    def elapsed(self) -> float:
        """Seconds the running load has taken so far, else the last load's."""
        return self._clock() - self._started_at if self.loading else self._elapsed

    def status(self, key: str) -> Status | None:
        """Data set ``key``'s status in the running (or last) load; None before the first load."""
        if key in self.results:
            return final(self.results[key].status)
        if self.loading:
            return "loading" if key in self._reading else "queued"
        return None

    def reading(self) -> frozenset[str]:
        """The data sets the running load is reading now."""
        return frozenset(self._reading - self.results.keys())

    # --- subscribers ------------------------------------------------------------------------------

    def subscribe(self, node: MessagePump) -> None:
        """Post every store message to ``node`` from now on (until :meth:`unsubscribe`)."""
        if node not in self._subscribers:
            self._subscribers.append(node)

    def unsubscribe(self, node: MessagePump) -> None:
        if node in self._subscribers:
            self._subscribers.remove(node)

    def _emit(self, message: Callable[..., Message], *args: object) -> None:
        for node in tuple(self._subscribers):  # one message each: a message is handled once
            node.post_message(message(*args))

    # --- loading ------------------------------------------------------------------------------------

    @property
    def refreshing(self) -> bool:
        """Whether the running (or last) load is a refresh."""
        return self._refreshing

    def reload(self) -> bool:
        """Start reading every data set whole (from the event loop); False, and nothing done, while a load
        is already running or after :meth:`close`."""
        return self._start(refresh=False)

    def refresh(self) -> bool:
        """Start re-reading what can have changed since the tenant held (a whole load when none is held yet
        or the source cannot refresh); False, and nothing done, while a load runs or after :meth:`close`."""
        return self._start(refresh=True)

    def _start(self, *, refresh: bool) -> bool:
        if self._closed or self._task is not None:
            return False
        self._cancel_timer()
        self._loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()  # the console's (Textual's active app), for callbacks
        self.loads += 1
        self.results = {}
        self._reading = set()
        self.loaded.clear()
        self._started_at = self._clock()
        post = _poster(self._loop, self._context)
        progress = self._progress = deque()  # this load's: appended in its threads, taken up here

        def started(ds: DataSet) -> None:
            progress.append((self._read_started, ds.key))

        def finished(result: DataSetResult) -> None:
            progress.append((self._read_finished, result))

        if hasattr(self.source, "on_device_code"):  # a live tenant: sign-in may need the user
            self.source.on_device_code = lambda message: post(self._emit, self.SignIn, message)
        refresher = getattr(self.source, "refresh", None)  # a RefreshableSource
        self._previous = self.tenant if refresher is not None else None
        self._refreshing = refresh and self._previous is not None
        job: Callable[..., object] = self.source.load
        if refresher is not None and self._previous is not None:
            job = functools.partial(refresher, previous=self._previous, whole=not refresh)
        self._task = self._loop.create_task(self._run(job, started, finished))
        self._emit(self.Started, self._refreshing)
        self._progress_timer = self._loop.call_later(PROGRESS_INTERVAL, self._progress_due, context=self._context)
        return True

    async def _run(self, job: Callable[..., object], started: Callable[[DataSet], None],
                   finished: Callable[[DataSetResult], None]) -> None:
        """The load, awaited in a daemon thread. Every callback it made was queued before its result, so
        they have all been handled when it ends here."""
        returned: object = None
        error: str | None = None
        try:
            returned = await in_daemon_thread(_responsive(job), on_start=started, on_result=finished,
                                              name="ztconsole-load")
        except Exception as e:  # noqa: BLE001 - a load that raised fails the data sets it had not read
            error = describe(e)
        self._take_progress()  # what the load reported last, before it is said to have finished
        self._finish(returned, error)

    def _progress_due(self) -> None:
        self._progress_timer = None
        self._take_progress()
        if self._task is not None and self._loop is not None and not self._closed:
            self._emit(self.Progress)
            self._progress_timer = self._loop.call_later(PROGRESS_INTERVAL, self._progress_due,
                                                         context=self._context)

    def _take_progress(self) -> None:
        """Handle what the running load has reported since the last time, in the order it came."""
        progress = self._progress
        while progress:
            handle, arg = progress.popleft()
            handle(arg)

    def _read_started(self, key: str) -> None:
        if self._task is not None and key not in self.results:
            self._reading.add(key)
            self._emit(self.Reading, key)

    def _read_finished(self, result: DataSetResult) -> None:
        if self._task is not None:
            self.results[result.key] = result
            self._emit(self.Loaded, result)

    def _finish(self, returned: object, error: str | None) -> None:
        previous = self._previous
        for ds in DATASETS:  # what the load never reported has failed (or kept what it held), never stays queued
            if ds.key not in self.results:
                why = error or "not read"
                held = previous.results.get(ds.key) if previous is not None else None
                result = keep_previous(held, why) if held is not None and holds_items(held) else \
                    DataSetResult(ds.key, "failed", None, message=why)
                if held is not None:
                    result.changed = result.value is not held.value or result.status != held.status
                self._read_finished(result)
        self._task = None
        if self._progress_timer is not None:
            self._progress_timer.cancel()
            self._progress_timer = None
        self._elapsed = self._clock() - self._started_at
        if isinstance(returned, Tenant) and error is None:
            self.tenant = returned  # the source's own: it may hold what its loader derived
        else:
            self.tenant = Tenant(self.info, dict(self.results))
        self._previous = None
        self.loaded.set()
        changed = self.tenant.changed if previous is not None else frozenset(self.tenant.results)
        self._emit(self.Finished, self.tenant, error, changed, self._refreshing)
        self._arm()

    # --- refresh ------------------------------------------------------------------------------------

    def _arm(self) -> None:
        """Time the next refresh from now, the end of a load: loads never overlap."""
        if self.refresh_interval is not None and self._loop is not None and not self._closed:
            self._timer = self._loop.call_later(self.refresh_interval, self._refresh_due, context=self._context)

    def _refresh_due(self) -> None:
        self._timer = None
        if self._task is not None:  # cannot happen (a load cancels the timer); never start a second one
            return
        if self._may_refresh():
            self.refresh()
        else:
            self._arm()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """The console is ending: no more refreshes or messages. A running load's thread is left to
        finish, or to die with the process (nothing waits for it)."""
        self._closed = True
        self._cancel_timer()
        if self._progress_timer is not None:
            self._progress_timer.cancel()
            self._progress_timer = None
        if self._task is not None:
            self._task.cancel()
        self._subscribers.clear()


def _poster(loop: asyncio.AbstractEventLoop, context: contextvars.Context) -> Callable[..., None]:
    """A way for the load's threads to hand a call to the console at once without waiting for it. Textual's
    ``call_from_thread`` waits for the result, and once the console has ended nothing gives one: a
    reader thread (which the interpreter joins at exit) would then hold the process for good."""

    def post(fn: Callable[..., object], *args: object) -> None:
        try:
            loop.call_soon_threadsafe(fn, *args, context=context)
        except RuntimeError:  # the console has ended and its loop is closed
            pass

    return post


def _responsive(job: Callable[..., object]) -> Callable[..., object]:
    """``job``, run with the short switch interval (:func:`ztconsole.threads.responsive`): a load parses
    pages in its thread while the console draws what came in."""

    @functools.wraps(job)
    def run(*args: object, **kwargs: object) -> object:
        with responsive():
            return job(*args, **kwargs)

    return run


def describe(error: BaseException) -> str:
    """One line for a load that raised instead of reporting per data set."""
    from ztconsole.tenantdir import TenantDirError  # the reader: not needed before the first frame

    if isinstance(error, TenantDirError):
        return clean(error)
    return clean(f"{type(error).__name__}: {error}")
