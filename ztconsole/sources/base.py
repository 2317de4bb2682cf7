"""What a reader of one API (Graph or ARM) offers the loader.

A reader turns a catalogue data set into requests and hands back the raw wire items, page by page: the
loader builds the model from them (the one wire-to-model mapping) and, for ``snapshot``, records them as
they came. Readers raise only :mod:`ztconsole.sources.errors` errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, AsyncIterator, Protocol, Sequence

from ztconsole.datasets import DataSet


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How much to read. ``signins_since``: the start of the sign-in window (None: everything);
    ``max_items``: a bound for unbounded logs (sign-ins), never applied silently: the loader marks a data
    set partial when it is reached."""

    signins_since: datetime | None = None
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


def _subclasses(cls: type) -> list[type]:
    poly = getattr(cls, "__wire_poly__", None)
    if poly is None:
        return [cls]
    return [cls, *poly.classes.values()]
