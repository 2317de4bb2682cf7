"""The canonical JSON every digest of the write path is taken over, and a plan's digest (the audit log names
each write's plan by it)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical", "plan_digest"]


def canonical(doc: Any) -> bytes:
    """``doc`` as canonical JSON: sorted keys, no whitespace, UTF-8 (what every digest here is over)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def plan_digest(plan: Any) -> str:
    """The digest a record names a plan by: SHA-256 (hex) of its canonical JSON."""
    return hashlib.sha256(canonical(plan)).hexdigest()
