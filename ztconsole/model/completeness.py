"""Which data sets an analysis used were not read completely (CONTRACTS §2 "Incomplete sources").

An answer computed without all of its data is never presented as complete: each analysis names the data
sets it uses, and this says which of them are not ``ok`` (``partial``, ``forbidden``, ``throttled``,
``failed``, a ``missing`` singleton), in the words and the JSON shape every command shares.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ztconsole.datasets import BY_KEY
from ztconsole.model.tenant import Tenant

__all__ = ["Incomplete", "incomplete"]


@dataclass(frozen=True, slots=True)
class Incomplete:
    """One data set an analysis used that was not read completely."""

    key: str  # the catalogue key (``users``)
    data_set: str  # its label (``graph/v1.0/users``), as in tenant.toml ``[datasets]``
    status: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"dataSet": self.data_set, "status": self.status, "message": self.message}


def incomplete(tenant: Tenant, keys: Iterable[str]) -> list[Incomplete]:
    """The data sets among ``keys`` that are not ``ok``, in the order given."""
    out = []
    for key in dict.fromkeys(keys):
        result = tenant.results.get(key)
        if result is None:
            status, message = "failed", "not read"
        elif result.status == "ok":
            continue
        else:
            status, message = result.status, result.message or result.status
        out.append(Incomplete(key, BY_KEY[key].label, status, message))
    return out
