"""What a reader of one API (Graph or ARM) offers the loader.

A reader turns a catalogue data set into requests and hands back the raw wire items, page by page: the
loader builds the model from them (the one wire-to-model mapping) and, for ``snapshot``, records them as
they came. Readers raise only :mod:`ztconsole.sources.errors` errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ztconsole.datasets import DataSet
from ztconsole.sources.errors import SourceError

if TYPE_CHECKING:
    from ztconsole.model.wire import Wire

#: Hosts an http (not https) base URL may name: ``ztconsole emulator`` on loopback. Anywhere else a
#: bearer token would travel in clear.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How much to read. ``signins_since``: the start of the sign-in window (None: everything);
    ``signins_of``: only the sign-ins of these accounts, each an object id or a user principal name (None:
    every account's; empty: none, nothing is requested), which a command that judges only some accounts
    (``assess``: the emergency access accounts) reads instead of the whole log; ``max_items``: a bound for
    unbounded logs (sign-ins), never applied silently: the loader marks a data set partial when it is
    reached."""

    signins_since: datetime | None = None
    signins_of: tuple[str, ...] | None = None
    max_items: int | None = None


class Reader(Protocol):
    """One API's reads. ``sub`` is a subscription id (ARM per-subscription data sets); ``parent`` the
    parent item's key (Graph object id, ARM resource id) for item-scoped data sets."""

    api: str

    def collection(self, ds: DataSet, *, sub: str = "", parent: str = "",
                   options: ReadOptions = ReadOptions()) -> AsyncIterator[list[Any]]:
        """The items of a collection, one list per page, following every next link."""
        ...

    async def single(self, ds: DataSet, *, sub: str = "", parent: str = "") -> Any | None:
        """A singleton's object, or None when the service says it does not exist (404)."""
        ...

    def many(self, ds: DataSet, parents: Sequence[str], *,
             options: ReadOptions = ReadOptions()) -> AsyncIterator[tuple[str, Any]]:
        """An item-scoped data set for many parents: ``(parent, items or object)`` as each completes.

        Readers may batch (Graph ``$batch``); errors for one parent raise as usual.
        """
        ...

    async def aclose(self) -> None:
        ...


#: The data sets a refresh reads through delta queries (Graph ``/users/delta``, ``/groups/delta``).
DELTA_KEYS: tuple[str, ...] = ("users", "groups")

#: Properties the full read selects that delta cannot track (Graph: "$expand/$select is not supported for the
#: following properties: signInActivity"): a refresh keeps the values of the last full read.
NOT_ON_DELTA: dict[str, frozenset[str]] = {"users": frozenset({"signInActivity"})}


class ResyncRequired(SourceError):
    """The service no longer knows a delta token (HTTP 410 Gone, or ``syncStateNotFound`` /
    ``resyncRequired``): the data set must be read whole again, and tracked from a new token."""

    status = "failed"
    title = "delta token expired"


@runtime_checkable
class DeltaReader(Protocol):
    """What a reader offers for delta queries (the Graph reader)."""

    async def delta_latest(self, ds: DataSet) -> str:
        """A delta link for the changes from now on, with no items ("sync from now")."""
        ...

    def delta(self, ds: DataSet, link: str | None = None) -> AsyncIterator[tuple[list[Any], str | None]]:
        """One delta round from ``link`` (None: the initial round, every item): ``(items, None)`` per page
        but the last, ``(items, delta link)`` for the last. Raises :class:`ResyncRequired` when the service
        no longer knows the link's token."""
        ...


@dataclass
class SyncState:
    """What a source keeps between its loads for the next refresh: the delta link of each data set read
    through delta queries (opaque state tokens: never shown, not even by ``repr``)."""

    links: dict[str, str] = field(default_factory=dict)
    #: data set key -> (the value of its last whole read, {where a page came from: (digest of its JSON,
    #: position of its first item in that value, its items)}): an unchanged page is not parsed again
    pages: dict[str, tuple[Any, dict[Any, tuple[bytes, int, int]]]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"SyncState(tracking={sorted(self.links)})"


class ReaderCredential:
    """The caller's async credential as a reader hands it to its SDK, with any failure to get a token
    raised as ``failed(exc)``.

    The credential is a plug-in (azure-identity's, ``sources.credentials``' guarded one, a static token,
    a test double): whatever it raises means "no token", which each reader's error funnel reports as
    :class:`errors.AuthFailed`. ``failed`` builds the exception that the reader's SDK pipeline lets
    through, unretried, to that funnel. Cancellation passes. ``get_token_info`` is offered only when the
    credential has it (azure-core prefers it then); ``close`` leaves the credential open: it is the
    caller's to close.
    """

    def __init__(self, credential: Any, failed: Callable[[Exception], Exception]):
        self._credential = credential
        self._failed = failed
        if hasattr(credential, "get_token_info"):
            self.get_token_info = self._get_token_info

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        return await self._guarded(self._credential.get_token, scopes, kwargs)

    async def _get_token_info(self, *scopes: str, **kwargs: Any) -> Any:
        return await self._guarded(self._credential.get_token_info, scopes, kwargs)

    async def _guarded(self, get: Callable[..., Any], scopes: tuple[str, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return await get(*scopes, **kwargs)
        except Exception as exc:  # noqa: BLE001 - converted, never swallowed: see the class docstring
            raise self._failed(exc) from exc

    async def close(self) -> None:
        return None  # the caller's credential is the caller's to close

    async def __aenter__(self) -> ReaderCredential:  # an AsyncTokenCredential is an async context manager
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:  # never a token
        return f"ReaderCredential({type(self._credential).__name__})"


def select_for(ds: DataSet) -> list[str]:
    """The ``$select`` list for a Graph data set: every top-level property the model reads.

    Graph returns only a default set of properties without ``$select`` (users lack signInActivity and
    onPremisesSyncEnabled, beta applications lack onPremisesPublishing), so the model's own field list
    is the request's. ``@odata.type`` is an annotation, always sent.
    """
    cls = ds.model_class()
    keys: list[str] = []
    for sub in _subclasses(cls):
        for _, spec in sub.wire_fields:
            top = spec.key.split(".", 1)[0] if not spec.key.startswith("@") else ""
            if top and top not in keys:
                keys.append(top)
    return keys


def _subclasses(cls: type[Wire]) -> list[type[Wire]]:
    poly = getattr(cls, "__wire_poly__", None)
    if poly is None:
        return [cls]
    return [cls, *poly.classes.values()]
