"""Assembling a source: the readers, their one httpx client, the credential and the tenant's identity.

Two ways, one stack:
* a recording (the demo, ``--tenant-dir``) is served by the built-in emulator **in process**: the real
  Graph and ARM adapters talk to it through httpx with the real ``https://graph.microsoft.com`` and
  ``https://management.azure.com`` URLs and no socket;
* a live tenant (a config profile, including a ``custom`` cloud such as ``ztconsole emulator`` on
  loopback) is read with the profile's credential and cloud endpoints.

Everything heavy (msgraph-sdk, azure-mgmt-network, azure-identity) is imported here, when a stack is
opened, never at start-up; and only for the APIs read: a stack opened for some data sets (``keys``) builds,
and imports, only the readers of their APIs (``DataSet.api``), so ``whatif``, ``gaps`` and ``impact``, which
read Graph alone, never load azure-mgmt-network (a quarter of a second), and the emulator serving them
never sets up its ARM half.

Both sources keep what a refresh needs between their loads (``refresh(previous=tenant)``, issue #13): the
delta links of the data sets read through delta queries (:class:`~ztconsole.sources.base.SyncState`) and,
for a recording, the emulator itself: its change sequence is what the links point into, and writes made
through it stay visible to later loads, as ``ztconsole emulator`` keeps them for its lifetime.

The SDKs, adapters and emulator are imported, and set up, with the cyclic garbage collector paused
(:func:`ztconsole.gcpause.gc_paused`, which then freezes what they made out of later collections: they live
as long as the process). Otherwise the collector walks the new modules again and again while they are
imported, and the loader's one collection at the end of a load walks every one of them (a fifth of a
million objects): together a tenth of a one-shot command's time.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from ztconsole.model.tenant import Tenant, TenantInfo
from ztconsole.sources.base import Reader, ReadOptions, SyncState
from ztconsole.sources.errors import SourceError

HTTP_TIMEOUT = 60.0


def apis_for(keys: Iterable[str] | None) -> frozenset[str]:
    """The APIs (``"graph"``, ``"arm"``) that reading the data sets ``keys`` (None: every one) takes: theirs
    and those of the data sets the loader reads first for them (parents, and what chooses the parents)."""
    from ztconsole.datasets import BY_KEY, DATASETS
    from ztconsole.sources.loader import SELECTED_BY

    if keys is None:
        return frozenset(ds.api for ds in DATASETS)
    todo = list(keys)
    seen: set[str] = set()
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        ds = BY_KEY[key]
        todo.extend(((ds.parent,) if ds.parent else ()) + SELECTED_BY.get(key, ()))
    return frozenset(BY_KEY[key].api for key in seen)


def import_httpx() -> ModuleType:
    """``httpx``, without its command-line client.

    ``import httpx`` imports ``httpx._main`` only to offer ``httpx.main`` (the ``httpx`` command), and with
    it click, pygments and rich's console, progress and syntax modules: two thirds of httpx's import time,
    a tenth of ``whatif --demo``. httpx falls back to a stub ``main`` when that import fails, so it is made
    to fail while httpx itself is imported (a ``None`` in ``sys.modules`` stops an import); afterwards
    ``httpx._main`` imports as usual for whoever asks for it. ztconsole's modules that import httpx (the
    adapters, the emulator's transport) are imported after this, when a stack is opened.
    """
    if "httpx" in sys.modules:
        return sys.modules["httpx"]
    blocked = "httpx._main" not in sys.modules
    if blocked:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx
    except ImportError:  # a release that needs its client after all: import it the plain way
        if not blocked:
            raise
        del sys.modules["httpx._main"]
        blocked = False
        import httpx
    finally:
        if blocked and sys.modules.get("httpx._main", "") is None:
            del sys.modules["httpx._main"]
    return httpx


class Stack:
    """Open readers for one tenant. Use as ``async with``; ``readers``, ``info``, ``options``."""

    def __init__(self) -> None:
        self.readers: dict[str, Reader] = {}
        self.info: TenantInfo | None = None
        self.options = ReadOptions()
        self.emulator: Any = None
        self._exit = AsyncExitStack()

    async def __aenter__(self) -> Stack:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for reader in self.readers.values():
            await reader.aclose()
        await self._exit.aclose()


#: the in-process emulator of each recording (and page size) opened without faults: once written to, it is
#: the one the next command in the same process reads, so what a command writes to ``--demo`` or
#: ``--tenant-dir`` is what the next one sees (the in-memory emulator of CONTRACTS §2 lives as long as the
#: process); until then each opening reads the recording's files afresh
_SHARED: dict[tuple[Path, int], tuple[Any, str]] = {}


async def open_recording(tenant_dir: Path, *, page_size: int = 100, faults: Any = None,
                         retry_delay: float = 1.0, keys: Iterable[str] | None = None,
                         emulator: Any = None, token: str | None = None) -> Stack:
    """The recording in ``tenant_dir`` through the in-process emulator and the real adapters: the readers
    of the APIs that the data sets ``keys`` (None: every one) are read from.

    ``emulator``: one already serving it (a source's, kept between its loads), with its ``token``; else the
    process's emulator of the recording (one per recording and page size, made on first use) when neither
    ``faults`` nor a ``token`` is given, else a new one (with ``token``, or a random one).

    Without injected ``faults`` nothing in process is transient: an error is a file the emulator cannot
    serve, and it stays so, so the readers do not retry (retrying a broken file cost seconds each).
    """
    import secrets

    from ztconsole.gcpause import gc_paused

    apis = apis_for(keys)
    with gc_paused():  # the imports (see the module docstring)
        httpx = import_httpx()

        from ztconsole.emulator.app import Emulator
        from ztconsole.emulator.transport import EmulatorTransport
        from ztconsole.sources.static_token import StaticTokenCredential

        _without_sniffio()
        if emulator is not None and not token:
            raise ValueError("an emulator is reached with its token")
        shared = ((Path(tenant_dir).resolve(), page_size) if emulator is None and faults is None and token is None
                  else None)
        if shared is not None and shared in _SHARED and _SHARED[shared][0].state.writes:
            emulator, token = _SHARED[shared]  # written to: what it holds is no longer the recording's files
        token = token or secrets.token_urlsafe(32)
        stack = Stack()
        stack.emulator = emulator if emulator is not None else Emulator(
            Path(tenant_dir), token=token, page_size=page_size, faults=faults,
            what_if=recorded_what_if(Path(tenant_dir)))
        if shared is not None:
            _SHARED[shared] = (stack.emulator, token)
        http = httpx.AsyncClient(transport=EmulatorTransport(stack.emulator), timeout=HTTP_TIMEOUT)
        stack._exit.push_async_callback(http.aclose)
        credential = StaticTokenCredential(token)
        retries = 3 if faults is not None else 0
        if "graph" in apis:
            from ztconsole.sources.graph import GraphReader

            stack.readers["graph"] = GraphReader(http, credential, retry_delay=retry_delay, max_retries=retries)
        if "arm" in apis:
            from ztconsole.sources.arm import ArmReader

            stack.readers["arm"] = ArmReader(http, credential, retry_backoff=retry_delay, max_retries=retries)
    stack.info = stack.emulator.store.info  # tenant.toml, as the emulator read it
    stack.options = ReadOptions(signins_since=None)  # a recording: everything it holds
    return stack


def _without_sniffio() -> None:
    """httpx's ASGI transport (the in-process emulator's) asks ``import sniffio`` on every request, to tell
    trio from asyncio; where sniffio is not installed that failed import searches ``sys.path`` each time. A
    ``None`` in ``sys.modules`` makes it fail at once, as it would anyway."""
    import importlib.util

    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def recorded_what_if(tenant_dir: Path) -> Callable[[Any], list[dict[str, Any]]]:
    """What an emulator serving ``tenant_dir`` answers Conditional Access What If with: the local evaluator
    over the recorded tenant (read on the first question; writes made during the emulator's life are not
    seen by it)."""
    cache: list[tuple[Any, Any]] = []

    def answer(body: Any) -> list[dict[str, Any]]:
        from ztconsole.engine.compare import answer_request

        if not cache:
            from ztconsole.engine.whatif import Context
            from ztconsole.tenantdir import load_tenant

            tenant = load_tenant(tenant_dir, keys=["ca_policies", "named_locations", "users", "groups",
                                                   "group_members", "user_member_of", "role_definitions",
                                                   "role_assignments", "role_eligibility",
                                                   "service_principals"])
            cache.append((tenant, Context.from_tenant(tenant, break_glass=tenant.info.break_glass)))
        return answer_request(*cache[0], body)

    return answer


async def open_live(profile: Any, *, break_glass: tuple[str, ...] = (), signin_days: int = 30,
                    on_device_code: Callable[[str], None] | None = None,
                    now: datetime | None = None, keys: Iterable[str] | None = None) -> Stack:
    """A live tenant (or a ``custom`` cloud) from a config profile: the Graph reader (the tenant's
    organization is read with it) and the ARM reader if the data sets ``keys`` (None: every one) need it."""
    import os
    from datetime import timedelta

    from ztconsole.datasets import BY_KEY
    from ztconsole.gcpause import gc_paused

    apis = apis_for(keys)
    endpoints = profile.endpoints
    with gc_paused():  # the imports (see the module docstring)
        httpx = import_httpx()

        from ztconsole.sources.credentials import credential_for
        from ztconsole.sources.graph import GraphReader

        credential = credential_for(profile, env=os.environ, on_device_code=on_device_code)
        stack = Stack()
        http = httpx.AsyncClient(timeout=httpx.Timeout(HTTP_TIMEOUT, connect=15.0))
        stack._exit.push_async_callback(http.aclose)
        close = getattr(credential, "close", None)
        if close is not None:
            stack._exit.push_async_callback(close)
        stack.readers["graph"] = GraphReader(http, credential, graph_url=endpoints.graph_url,
                                             scopes=[endpoints.graph_scope])
        if "arm" in apis:
            from ztconsole.sources.arm import ArmReader

            stack.readers["arm"] = ArmReader(http, credential, arm_url=endpoints.arm_url,
                                             scopes=[endpoints.arm_scope])
    moment = now or datetime.now(UTC)
    stack.options = ReadOptions(signins_since=moment - timedelta(days=signin_days), max_items=200_000)
    try:
        org = None
        async for page in stack.readers["graph"].collection(BY_KEY["organization"]):
            org = page[0] if page else org
    except SourceError:
        await stack.aclose()
        raise
    domain = ""
    for d in (org or {}).get("verifiedDomains", []) or []:
        if d.get("isDefault"):
            domain = d.get("name", "")
    stack.info = TenantInfo(
        id=(org or {}).get("id") or profile.tenant_id or "",
        display_name=(org or {}).get("displayName") or profile.name,
        default_domain=domain,
        subscriptions=tuple(profile.subscriptions),
        captured_at=moment,
        source="live",
        break_glass=tuple(break_glass),
    )
    return stack


class RecordingSource:
    """A recording (demo or tenant directory) read through the emulator and the real adapters.

    What the console and the headless commands hold: ``info`` comes from ``tenant.toml`` at once (no
    heavy import); ``load()`` opens the stack and reads everything, blocking, on its own event loop (the
    console calls it from a worker thread); ``refresh(previous=tenant)`` reads only what can have changed
    since (:mod:`ztconsole.sources.loader`). The emulator is made by the first load and kept for the later
    ones (``emulator``; ``token`` is the bearer token it demands, random unless given).
    """

    def __init__(self, tenant_dir: Path, *, page_size: int = 100, faults: Any = None,
                 retry_delay: float = 1.0, token: str | None = None):
        from ztconsole.tenantdir import TenantDir

        self.tenant_dir = Path(tenant_dir)
        self.info = TenantDir.open(self.tenant_dir).info
        self.page_size = page_size
        self.faults = faults
        self.retry_delay = retry_delay
        self.sync = SyncState()
        self.emulator: Any = None
        """The in-process emulator serving the recording: None until the first load."""
        self._token = token  # made by the first load (random unless given)

    def __repr__(self) -> str:  # never the token
        return f"RecordingSource({str(self.tenant_dir)!r})"

    async def aload(self, *, keys: list[str] | None = None, on_start: Any = None, on_result: Any = None,
                    recorder: Any = None, previous: Tenant | None = None, whole: bool = False) -> Any:
        import secrets

        from ztconsole.sources.loader import Loader

        self._token = self._token or secrets.token_urlsafe(32)
        async with await open_recording(self.tenant_dir, page_size=self.page_size, faults=self.faults,
                                        retry_delay=self.retry_delay, keys=keys, emulator=self.emulator,
                                        token=self._token) as stack:
            self.emulator = stack.emulator
            loader = Loader(stack.readers, stack.info, options=stack.options, recorder=recorder)  # type: ignore[arg-type]
            return await loader.load(keys, on_result=on_result, on_start=on_start, previous=previous,
                                     sync=self.sync if previous is not None else None, whole=whole)

    @asynccontextmanager
    async def open_for_writing(self, *, keys: Iterable[str] | None = None) -> AsyncIterator[Stack]:
        """The stack to write through (``readers``, ``info``, ``options``), served by this source's emulator:
        what is written through it is what the next :meth:`load` or :meth:`refresh` reads (the console's
        writes). ``keys``: the data sets it will read back (None: every one). Opened on the running loop."""
        import secrets

        self._token = self._token or secrets.token_urlsafe(32)
        async with await open_recording(self.tenant_dir, page_size=self.page_size, faults=self.faults,
                                        retry_delay=self.retry_delay, keys=keys, emulator=self.emulator,
                                        token=self._token) as stack:
            self.emulator = stack.emulator  # made here if no load made it yet: the next load reads what is written
            yield stack

    def load(self, *, keys: list[str] | None = None, on_start: Any = None, on_result: Any = None) -> Any:
        import asyncio

        return asyncio.run(self.aload(keys=keys, on_start=on_start, on_result=on_result))

    def refresh(self, *, previous: Tenant, whole: bool = False, on_start: Any = None,
                on_result: Any = None) -> Any:
        """Read again what can have changed since ``previous`` (``whole``: every data set, keeping the
        identity of what did not change), blocking, as :meth:`load`."""
        import asyncio

        return asyncio.run(self.aload(on_start=on_start, on_result=on_result, previous=previous, whole=whole))


class LiveSource:
    """A live tenant (a config profile) for the console: sign-in and every read happen in ``load()``.

    ``info`` starts as what the profile knows (its name, tenant id, subscriptions) and becomes the
    tenant's own (display name, default domain) once the organization has been read.
    ``on_device_code`` is called with the sign-in instructions when device-code sign-in needs the user.
    """

    def __init__(self, profile: Any, *, break_glass: tuple[str, ...] = (), signin_days: int = 30):
        self.profile = profile
        self.break_glass = tuple(break_glass)
        self.signin_days = signin_days
        self.on_device_code: Callable[[str], None] | None = None
        self.sync = SyncState()
        self.info = TenantInfo(id=profile.tenant_id or "", display_name=profile.name,
                               subscriptions=tuple(profile.subscriptions), source="live",
                               break_glass=self.break_glass)

    async def aload(self, *, keys: list[str] | None = None, on_start: Any = None, on_result: Any = None,
                    recorder: Any = None, previous: Tenant | None = None, whole: bool = False) -> Any:
        from ztconsole.sources.loader import Loader

        async with await open_live(self.profile, break_glass=self.break_glass,
                                   signin_days=self.signin_days, on_device_code=self.on_device_code,
                                   keys=keys) as stack:
            self.info = stack.info  # type: ignore[assignment]
            loader = Loader(stack.readers, stack.info, options=stack.options, recorder=recorder)  # type: ignore[arg-type]
            return await loader.load(keys, on_result=on_result, on_start=on_start, previous=previous,
                                     sync=self.sync if previous is not None else None, whole=whole)

    @asynccontextmanager
    async def open_for_writing(self, *, keys: Iterable[str] | None = None) -> AsyncIterator[Stack]:
        """The stack to write through (``readers``, ``info``, ``options``), signed in as :meth:`load` is
        (the profile's credential; device code through ``on_device_code``). ``keys``: the data sets it will
        read back (None: every one). Opened on the running loop."""
        async with await open_live(self.profile, break_glass=self.break_glass, signin_days=self.signin_days,
                                   on_device_code=self.on_device_code, keys=keys) as stack:
            yield stack

    def load(self, *, keys: list[str] | None = None, on_start: Any = None, on_result: Any = None) -> Any:
        import asyncio

        return asyncio.run(self.aload(keys=keys, on_start=on_start, on_result=on_result))

    def refresh(self, *, previous: Tenant, whole: bool = False, on_start: Any = None,
                on_result: Any = None) -> Any:
        """Read again what can have changed since ``previous`` (``whole``: every data set, keeping the
        identity of what did not change): the sign-ins since the newest held, users and groups through
        Graph delta queries, the rest whole; blocking, as :meth:`load`."""
        import asyncio

        return asyncio.run(self.aload(on_start=on_start, on_result=on_result, previous=previous, whole=whole))
