"""The bundled demo tenant ("Contoso") and the synthetic tenant generator.

Light on purpose: the console imports this at start-up, so the builders (``contoso``, ``synthetic``,
``wirebuild``) are imported only by whoever writes a tenant directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEMO_CAPTURED_AT = "2026-11-22T10:00:00Z"


def demo_dir() -> Path:
    """The bundled demo tenant directory (package data ``ztconsole/data/demo``)."""
    return Path(str(files("ztconsole") / "data" / "demo"))
